import Scalars

/// A GPU tensor core's multi-term fused accumulation into a binary32 accumulator: the products of a
/// sum are taken `terms` at a time (in index order), and each group is added to the accumulator in one
/// fused operation that aligns, truncates, adds and rounds once.
///
/// Numerical contract, for one group with accumulator c and exact products p₁ … p_G (exact: operands
/// of at most 24 significand bits multiply exactly in binary64):
/// - **joint alignment** (Fasi, Higham, Mikaitis, Pranesh 2021): e = the largest exponent
///   ⌊log₂|t|⌋ among the non-zero terms t of {c, p₁, …, p_G}; every term is truncated toward zero to a
///   multiple of 2^(e − window + 1), so each keeps at most `window` bits below e's leading bit and
///   nothing smaller (no guard, round or sticky bits);
/// - **products first**: the products are summed exactly first, and that sum and c are then aligned
///   and truncated as above (the FP8 paths of recent GPUs, where a boundary probe sees the group's sum
///   of products as one term);
/// - the truncated terms are added exactly (enough carry bits for any group), and the sum is rounded
///   into binary32 once, toward zero or to nearest even.
/// A group of zeros leaves c as it is; a term that is infinite or NaN makes the group's result the
/// binary32 rounding of the plain sum (so infinities and NaN propagate as IEEE arithmetic says).
/// `window` = 24 is binary32's own precision (V100: no extra alignment bits); 25 has one extra bit.
public struct MultiTermAccumulation: Sendable, Hashable, CustomStringConvertible {
  public enum Alignment: String, Sendable, Hashable {
    /// The accumulator and every product aligned together to the largest of them.
    case joint
    /// The group's products summed exactly first, then aligned with the accumulator.
    case productsFirst = "products-first"
  }

  /// Products per fused group (G).
  public var terms: Int
  /// Bits kept below the leading bit of the largest term when the terms are aligned.
  public var window: Int
  /// The rounding of each group's sum into binary32: toward zero (`true`) or to nearest even.
  public var towardZero: Bool
  public var alignment: Alignment

  public init(terms: Int, window: Int, towardZero: Bool = true, alignment: Alignment = .joint) {
    precondition(Self.termRange.contains(terms) && Self.windowRange.contains(window), "tensor-core model out of range")
    self.terms = terms
    self.window = window
    self.towardZero = towardZero
    self.alignment = alignment
  }

  /// G from 1 to 64; the window from 2 to 46 bits, so that a group's truncated terms add exactly in
  /// binary64.
  public static let termRange = 1...64
  public static let windowRange = 2...46

  /// Published models by name (see docs/NETWORKS.md for their sources and checks).
  public static let presets: [(name: String, model: MultiTermAccumulation)] = [
    // Fasi et al. 2021: V100 fuses 4 binary16 products with the accumulator, no extra alignment
    // bits, truncation; its probe program's checks hold for this model.
    ("v100", MultiTermAccumulation(terms: 4, window: 24)),
    // The T4/A100 probe program of Fasi et al.: one extra alignment bit; 8 products per group on A100
    // (binary16, bfloat16). Its checks and the hexadecimal outputs of A10, RTX 3080 and RTX 4090 hold.
    ("a100", MultiTermAccumulation(terms: 8, window: 25)),
    // A100 TF32 (binary32 storage with --operands tf32): 4 products per group (Fasi et al. 2021), the
    // same alignment; the checks of their TF32 probe program hold, as they did on an A10.
    ("a100-tf32", MultiTermAccumulation(terms: 4, window: 25)),
    // RTX 5090 FP8/FP6/FP4 m16n8k32: 21 effective bits per instruction for the sum of its 32
    // products (lookup1980/tensor-cores-numerical-behavior, 5090/lowp-reduction-width-report.md).
    ("rtx5090-fp8", MultiTermAccumulation(terms: 32, window: 21, alignment: .productsFirst)),
    // H100/H800 FP8 (wgmma): about 13 bits kept, truncated (huweim/emulation_sys; DeepSeek-V3 reports
    // about 14). Only the width is published; the grouping is taken as the instruction's k = 32.
    ("h100-fp8", MultiTermAccumulation(terms: 32, window: 13, alignment: .productsFirst)),
  ]

  /// `tc:G:W[:rz|rn][:joint|products-first]` or `tc:PRESET`.
  public init?(name: String) {
    guard name.hasPrefix("tc:") else { return nil }
    let fields = name.dropFirst(3).split(separator: ":", omittingEmptySubsequences: false).map(String.init)
    if fields.count == 1, let preset = Self.presets.first(where: { $0.name == fields[0] }) {
      self = preset.model
      return
    }
    guard (2...4).contains(fields.count), let g = Int(fields[0]), let w = Int(fields[1]), Self.termRange.contains(g),
      Self.windowRange.contains(w)
    else { return nil }
    var towardZero = true
    var alignment = Alignment.joint
    for field in fields.dropFirst(2) {
      switch field {
      case "rz": towardZero = true
      case "rn": towardZero = false
      default:
        guard let a = Alignment(rawValue: field) else { return nil }
        alignment = a
      }
    }
    self.init(terms: g, window: w, towardZero: towardZero, alignment: alignment)
  }

  /// The canonical spelling, `tc:G:W:rz|rn` with `:products-first` when so.
  public var description: String {
    "tc:\(terms):\(window):\(towardZero ? "rz" : "rn")" + (alignment == .productsFirst ? ":products-first" : "")
  }

  /// `acc` plus the `products` (exact), as one fused group.
  @inlinable
  public func add(_ products: UnsafeBufferPointer<Double>, to acc: Float) -> Float {
    let c = Double(acc)
    var exact = c
    var finite = c.isFinite
    for p in products {
      exact += p
      finite = finite && p.isFinite
    }
    guard finite else { return Float(exact) }
    var sum = 0.0
    switch alignment {
    case .joint:
      var top = c == 0 ? Int.min : Int(c.exponent)
      for p in products where p != 0 { top = max(top, Int(p.exponent)) }
      guard top != .min else { return acc }
      sum = truncated(c, top) + products.reduce(0.0) { $0 + truncated($1, top) }
    case .productsFirst:
      var exactSum = FixedPointSum()
      for p in products { exactSum.add(p) }
      var top = c == 0 ? Int.min : Int(c.exponent)
      if let e = exactSum.exponent { top = max(top, e) }
      guard top != .min else { return acc }
      sum = truncated(c, top) + exactSum.truncated(belowExponent: top - window + 1)
    }
    return rounded(sum)
  }

  /// `t` truncated toward zero to a multiple of 2^(top − window + 1) (exact: powers of two scale
  /// exactly within binary64's range for every product of binary32 values).
  @inlinable
  func truncated(_ t: Double, _ top: Int) -> Double {
    guard t != 0 else { return 0 }
    let scale = Double(sign: .plus, exponent: window - 1 - top, significand: 1)
    return (t * scale).rounded(.towardZero) / scale
  }

  /// The exact `sum` rounded into binary32 toward zero or to nearest even.
  @inlinable
  func rounded(_ sum: Double) -> Float {
    var f = Float(sum)
    if towardZero && Double(f).magnitude > sum.magnitude { f = sum > 0 ? f.nextDown : f.nextUp }
    return f
  }
}

/// An exact sum of binary64 values within 2^-320 … 2^320 (every product of two binary32 values), kept
/// as a 640-bit two's-complement fixed-point integer in units of 2^-320 (a Kulisch accumulator).
@usableFromInline
struct FixedPointSum {
  @usableFromInline static let offset = 320
  @usableFromInline var limbs = InlineArray<10, UInt64>(repeating: 0)

  @inlinable init() {}

  /// Adds `x` (finite, zero or with |x| ≥ 2^-320 and |x| < 2^320) exactly.
  @inlinable
  mutating func add(_ x: Double) {
    guard x != 0 else { return }
    let significand = x.significandBitPattern | (1 << 52)  // x is normal
    let position = Int(x.exponent) - 52 + Self.offset
    precondition(position >= 0 && position + 53 < 640, "a product outside the fixed-point range")
    let limb = position / 64
    let shift = UInt64(position % 64)
    let low = significand << shift
    let high = shift == 0 ? 0 : significand >> (64 - shift)
    if x > 0 {
      var carry = add(low, at: limb, carry: 0)
      if limb + 1 < 10 { carry = add(high, at: limb + 1, carry: carry) }
      var i = limb + 2
      while carry != 0 && i < 10 {
        carry = add(0, at: i, carry: carry)
        i += 1
      }
    } else {
      var borrow = subtract(low, at: limb, borrow: 0)
      if limb + 1 < 10 { borrow = subtract(high, at: limb + 1, borrow: borrow) }
      var i = limb + 2
      while borrow != 0 && i < 10 {
        borrow = subtract(0, at: i, borrow: borrow)
        i += 1
      }
    }
  }

  @inlinable
  mutating func add(_ part: UInt64, at i: Int, carry: UInt64) -> UInt64 {
    let (a, o1) = limbs[i].addingReportingOverflow(part)
    let (b, o2) = a.addingReportingOverflow(carry)
    limbs[i] = b
    return (o1 ? 1 : 0) + (o2 ? 1 : 0)
  }

  @inlinable
  mutating func subtract(_ part: UInt64, at i: Int, borrow: UInt64) -> UInt64 {
    let (a, o1) = limbs[i].subtractingReportingOverflow(part)
    let (b, o2) = a.subtractingReportingOverflow(borrow)
    limbs[i] = b
    return (o1 ? 1 : 0) + (o2 ? 1 : 0)
  }

  @inlinable var isNegative: Bool { limbs[9] >> 63 == 1 }

  /// The magnitude's limbs.
  @inlinable var magnitude: InlineArray<10, UInt64> {
    guard isNegative else { return limbs }
    var m = limbs
    var carry: UInt64 = 1
    for i in 0..<10 {
      let (a, o) = (~m[i]).addingReportingOverflow(carry)
      m[i] = a
      carry = o ? 1 : 0
    }
    return m
  }

  /// ⌊log₂|sum|⌋, or nil for zero.
  @inlinable var exponent: Int? {
    let m = magnitude
    for i in stride(from: 9, through: 0, by: -1) where m[i] != 0 {
      return i * 64 + (63 - m[i].leadingZeroBitCount) - Self.offset
    }
    return nil
  }

  /// The sum truncated toward zero to a multiple of 2^e, as a binary64 value; exact when the
  /// magnitude is below 2^(e + 53).
  @inlinable
  func truncated(belowExponent e: Int) -> Double {
    let m = magnitude
    let position = max(e + Self.offset, 0)
    let limb = position / 64
    let shift = position % 64
    var bits = limb < 10 ? m[limb] >> UInt64(shift) : 0
    if shift != 0 && limb + 1 < 10 { bits |= m[limb + 1] << UInt64(64 - shift) }
    let value = Double(sign: .plus, exponent: position - Self.offset, significand: 1) * Double(bits)
    return isNegative ? -value : value
  }
}
