/// Correctly rounded arithmetic for formats whose values are exact binary64 values (`p ≤ 51`, exponents
/// within ±300): the binary64 engine.
///
/// Every operation first obtains the exact result as an unevaluated sum `hi + lo` of two binary64
/// numbers, with `hi` within half an ulp of it (error-free transformations: TwoSum for + and −, the
/// product itself when 2p ≤ 52 and its fma error term above, the fma remainder for ÷ and √, a
/// renormalised three-term sum for the fused multiply-add above p = 26), then rounds that sum once into
/// the format with `round(_:_:_:_:)`. Only the sign of `lo`, and whether `hi` sits on a grid point or a
/// midpoint of the format, decide the rounding, so the result is correctly rounded in every mode; `lo`'s
/// magnitude only sets the stochastic-rounding probability for ÷ and √, where it is accurate to binary64
/// (relative error ≤ 2^-52 of the gap).
///
/// Round-to-nearest-even of + − × ÷ √ with `p ≤ 25` takes a shortcut: one binary64 operation, then
/// `roundNearestEven(_:_:)`, which is exact by Figueroa's double-rounding theorem (53 ≥ 2p + 2).
public enum SmallFormatArithmetic {
  // MARK: Rounding a binary64 value

  /// Rounds `x` to the nearest format value, ties to even: the bulk-conversion kernel (branch-light bit
  /// arithmetic on the binary64 encoding for normal results, one hardware add for subnormal ones).
  @inlinable @inline(__always)
  public static func roundNearestEven(_ x: Double, _ c: SmallFormatConstants) -> Double {
    let magnitude = x.magnitude
    if magnitude >= c.minNormal {
      let bits = x.bitPattern
      let lsb = (bits >> c.shift) & 1
      let rounded = Double(bitPattern: (bits &+ c.halfMinusOne &+ lsb) & c.keepMask)
      if rounded.magnitude <= c.maxFinite { return rounded }
      if x.isInfinite && c.hasInfinities { return x }
      return overflowed(negative: x < 0, mode: .nearestEven, maxFinite: c.maxFinite, c.overflow)
    }
    if magnitude < c.minNormal {
      if c.hasSubnormals {
        let r = (magnitude + c.subnormalAdder) - c.subnormalAdder
        return Double(signOf: x, magnitudeOf: r)
      }
      // No subnormals: the grid below 2^emin is {0, 2^emin}; the midpoint ties to 0 (even).
      let r = magnitude > 0.5 * c.minNormal ? c.minNormal : 0
      return Double(signOf: x, magnitudeOf: r)
    }
    return .nan
  }

  /// The result of a finite value beyond the largest finite one, IEEE 754 §7.4: rounding toward zero,
  /// toward the opposite infinity and to odd give the largest finite value; the others the format's
  /// overflow value (infinity, NaN, or the largest finite value when saturating).
  @inlinable
  public static func overflowed(negative: Bool, mode: RoundingMode, _ c: SmallFormatConstants) -> Double {
    overflowed(negative: negative, mode: mode, maxFinite: c.maxFinite, c.overflow)
  }

  /// `overflowed(negative:mode:_:)` with only the two constants it needs (kept out of line: rare).
  @inline(never)
  public static func overflowed(
    negative: Bool, mode: RoundingMode, maxFinite: Double, _ overflow: FloatFormat.OverflowBehavior
  ) -> Double {
    let toLargestFinite = mode.overflowGivesLargestFinite(negative: negative)
    let magnitude: Double
    if toLargestFinite || overflow == .saturate {
      magnitude = maxFinite
    } else if overflow == .infinity {
      magnitude = .infinity
    } else {
      return .nan
    }
    return negative ? -magnitude : magnitude
  }

  /// An infinite operand or exact result: kept when the format has infinities, otherwise NaN, or the
  /// largest finite value when the format saturates.
  @inlinable
  static func infinite(_ x: Double, _ c: SmallFormatConstants) -> Double {
    if c.hasInfinities { return x }
    if c.overflow == .saturate { return x < 0 ? -c.maxFinite : c.maxFinite }
    return .nan
  }

  /// The rounding of the exact value toward zero, +∞, −∞ or to odd in the usual cases, from its binary64 rounding
  /// `hi` alone, or nil. Usual: `hi` in the format's normal range and at least two binary64 ulps from the
  /// format's grid points on either side; or on a grid point when the caller knows the exact value is `hi`
  /// (`exactWhenOnGrid`: a sum whose error term is 0, a product of narrow operands). The exact value is
  /// within an ulp of `hi` (every caller's contract), so in the first case it lies strictly between the
  /// same two grid points as `hi` and a directed rounding needs only `hi`'s bits: truncation of the bits
  /// below the grid (toward zero in magnitude) or that plus one unit (away). Written with selects rather
  /// than branches on whether `hi` is on the grid (sums of nearby values are, about half the time); to
  /// odd, the truncation with the grid's last bit set (the exact value is not on the grid). Not a
  /// directed mode or odd, `hi` near a grid point, subnormal, zero, not finite, or rounding past the largest
  /// finite value: nil, and `round` decides.
  @inlinable @inline(__always)
  public static func roundDirected(_ hi: Double, exactWhenOnGrid exact: Bool, _ mode: RoundingMode, _ c: SmallFormatConstants)
    -> Double?
  {
    let away: Bool, odd: Bool
    switch mode {
    case .towardZero: (away, odd) = (false, false)
    case .towardPositive: (away, odd) = (hi > 0, false)
    case .towardNegative: (away, odd) = (hi < 0, false)
    case .odd: (away, odd) = (false, true)  // truncation with the grid's last bit set
    case .nearestEven, .nearestAway, .stochastic: return nil
    }
    let magnitude = hi.magnitude
    guard c.shift >= 2, magnitude >= c.minNormal, magnitude <= c.maxFinite else { return nil }
    let bits = hi.bitPattern, below = ~c.keepMask
    let dropped = bits & below
    let onGrid = dropped == 0
    let usual = (dropped >= 2) && (dropped < below)
    guard (onGrid && exact) || usual else { return nil }
    let step: UInt64 = away && !onGrid ? below &+ 1 : 0
    let oddBit: UInt64 = odd && !onGrid ? below &+ 1 : 0
    let r = Double(bitPattern: ((bits & c.keepMask) &+ step) | oddBit)
    return r.magnitude <= c.maxFinite ? r : nil
  }

  /// Rounds the exact value `hi + lo` into the format in `mode`, where `hi` is the binary64 nearest to
  /// it and `|lo| ≤ ulp(hi)/2` (or `lo` has at least the exact error's sign, see the type's notes).
  /// Zero results keep `hi`'s sign; callers apply IEEE 754's sign rule for exact zero sums first.
  @inlinable
  public static func round(_ hi: Double, _ lo: Double, _ mode: RoundingMode, _ c: SmallFormatConstants)
    -> Double
  {
    if !hi.isFinite { return hi.isNaN ? .nan : infinite(hi, c) }
    if hi == 0 { return hi }
    if let r = roundDirected(hi, exactWhenOnGrid: lo == 0, mode, c) { return r }
    let negative = hi < 0
    let h = hi.magnitude
    let l = negative ? -lo : lo
    // Bracket the exact value h + l by two neighbouring grid points down < x < up, gap q apart, using
    // h's binary64 encoding (h is a normal binary64: formats stay within ±300 exponents).
    var down: Double, q: Double, d: Double
    var downIsOdd = false
    let bits = h.bitPattern
    if h < c.minNormal && !c.hasSubnormals {
      q = c.minNormal  // the grid below 2^emin is {0, 2^emin}
      down = 0
      d = h
    } else {
      let e = Int(truncatingIfNeeded: bits >> 52) - 1023
      let quantumExponent = max(e, c.emin) - c.precision + 1
      q = Double(bitPattern: UInt64(truncatingIfNeeded: quantumExponent + 1023) << 52)
      let drop = quantumExponent - (e - 52)  // significand bits of h below the grid (≥ 27)
      if drop >= 53 {
        down = 0  // h < q
        d = h
      } else {
        let mask: UInt64 = (1 << UInt64(drop)) - 1
        down = Double(bitPattern: bits & ~mask)
        d = h - down  // exact
        let significand = (bits & 0x000F_FFFF_FFFF_FFFF) | (1 << 52)  // with the implicit bit
        downIsOdd = (significand >> UInt64(drop)) & 1 == 1
      }
    }
    if d == 0 {
      if l == 0 {  // exact
        return h > c.maxFinite ? overflowed(negative: negative, mode: mode, c) : hi
      }
      if l < 0 {
        // Just below a grid point: the lower neighbour may be in the binade below (half the gap).
        let gridIndexWasOdd = downIsOdd
        if h == c.minNormal && !c.hasSubnormals {
          q = c.minNormal
          downIsOdd = false  // 0
        } else if bits & 0x000F_FFFF_FFFF_FFFF == 0 && Int(truncatingIfNeeded: bits >> 52) - 1023 > c.emin {
          q *= 0.5
          downIsOdd = true  // h/q' = 2·(h/q), so the index below is odd
        } else {
          downIsOdd = !gridIndexWasOdd
        }
        down = h - q
        d = q
      }
    }
    let up = down + q
    let half = 0.5 * q
    let roundUp: Bool
    switch mode {
    case .nearestEven, .nearestAway:
      if d != half {
        // A midpoint is a binary64 number, so the exact value lies on the same side of it as `hi`.
        roundUp = d > half
      } else if l != 0 {
        roundUp = l > 0
      } else {
        roundUp = mode == .nearestAway || downIsOdd
      }
    case .towardZero: roundUp = false
    case .towardPositive: roundUp = !negative
    case .towardNegative: roundUp = negative
    case .odd: roundUp = !downIsOdd
    case .stochastic:
      roundUp = RoundingEnvironment.randomUnit() < (d + l) / q
    }
    let magnitude = roundUp ? up : down
    if magnitude > c.maxFinite { return overflowed(negative: negative, mode: mode, c) }
    return negative ? -magnitude : magnitude
  }

  // MARK: Operations (operands are format values held exactly in binary64)

  /// Knuth's TwoSum: `x + y = s + e` exactly, with `s` the binary64 sum (no overflow).
  @inlinable @inline(__always)
  static func twoSum(_ x: Double, _ y: Double) -> (sum: Double, error: Double) {
    let s = x + y
    let bb = s - x
    return (s, (x - (s - bb)) + (y - bb))
  }

  /// IEEE 754's sign of an exact zero sum: `+0`, except `−0` when both addends are `−0` or when
  /// rounding toward −∞.
  @inlinable @inline(__always)
  static func zeroSum(_ a: Double, _ b: Double, _ mode: RoundingMode) -> Double {
    if a == 0 && b == 0 && a.sign == b.sign { return a }
    return mode == .towardNegative ? -0.0 : 0.0
  }

  @inlinable @inline(__always)
  public static func add(_ a: Double, _ b: Double, _ mode: RoundingMode, _ c: SmallFormatConstants)
    -> Double
  {
    let s = a + b
    if mode == .nearestEven && c.fastNearest { return roundNearestEven(s, c) }
    let error = twoSum(a, b).error
    if let r = roundDirected(s, exactWhenOnGrid: error == 0, mode, c) { return r }
    if s == 0 { return zeroSum(a, b, mode) }
    if !s.isFinite { return round(s, 0, mode, c) }
    return round(s, error, mode, c)
  }

  @inlinable @inline(__always)
  public static func multiply(_ a: Double, _ b: Double, _ mode: RoundingMode, _ c: SmallFormatConstants)
    -> Double
  {
    let p = a * b  // exact when 2p ≤ 52 bits (no underflow within ±300 exponents)
    if let r = roundDirected(p, exactWhenOnGrid: c.precision <= 26, mode, c) { return r }
    if c.precision > 26 && p.isFinite && p != 0 {
      return round(p, (-p).addingProduct(a, b), mode, c)  // a·b − p, exact (fma)
    }
    if mode == .nearestEven { return roundNearestEven(p, c) }
    return round(p, 0, mode, c)
  }

  @inlinable @inline(__always)
  public static func divide(_ a: Double, _ b: Double, _ mode: RoundingMode, _ c: SmallFormatConstants)
    -> Double
  {
    let q = a / b
    if mode == .nearestEven && c.fastNearest { return roundNearestEven(q, c) }
    if let r = roundDirected(q, exactWhenOnGrid: false, mode, c) { return r }
    if !q.isFinite || q == 0 { return round(q, 0, mode, c) }
    let remainder = a.addingProduct(-q, b)  // a - q·b, exact
    return round(q, remainder / b, mode, c)
  }

  @inlinable @inline(__always)
  public static func squareRoot(_ a: Double, _ mode: RoundingMode, _ c: SmallFormatConstants) -> Double {
    let s = a.squareRoot()
    if mode == .nearestEven && c.fastNearest { return roundNearestEven(s, c) }
    if let r = roundDirected(s, exactWhenOnGrid: false, mode, c) { return r }
    if !s.isFinite || s == 0 { return round(s, 0, mode, c) }
    let remainder = a.addingProduct(-s, s)  // a - s², exact
    return round(s, remainder / (2 * s), mode, c)
  }

  /// `a × b + c` with one rounding.
  @inlinable @inline(__always)
  public static func fusedMultiplyAdd(
    _ a: Double, _ b: Double, _ addend: Double, _ mode: RoundingMode, _ c: SmallFormatConstants
  ) -> Double {
    let p = a * b  // exact when 2p ≤ 52
    if c.precision > 26 && p.isFinite && p != 0 { return fusedMultiplyAddWide(a, b, p, addend, mode, c) }
    let s = p + addend
    if let r = roundDirected(s, exactWhenOnGrid: twoSum(p, addend).error == 0, mode, c) { return r }
    if s == 0 { return p.isNaN ? .nan : zeroSum(p, addend, mode) }
    if !s.isFinite { return round(s, 0, mode, c) }
    return round(s, twoSum(p, addend).error, mode, c)
  }

  /// `a × b + addend` with one rounding when the product `p = a × b` (rounded, finite, non-zero) is not
  /// exact: the exact value `p + e + addend` (e = a·b − p, an fma) as `hi + lo` with `|hi + lo − exact|`
  /// below binary64's rounding error of `lo` and the exact value within an ulp of `hi`, which is what
  /// `round` needs with p ≤ 51 (the midpoints next to `hi` are at least an ulp away, or two below a power
  /// of two). Three TwoSums: (s, t) = p + addend, (u, v) = t + e, (hi, w) = s + u; lo = w + v, whose sign
  /// is the sign of hi's error. When massive cancellation leaves `hi = 0`, the exact value is `v`.
  @inlinable
  static func fusedMultiplyAddWide(
    _ a: Double, _ b: Double, _ p: Double, _ addend: Double, _ mode: RoundingMode, _ c: SmallFormatConstants
  ) -> Double {
    let e = (-p).addingProduct(a, b)  // a·b − p, exact
    let (s, t) = twoSum(p, addend)
    if !s.isFinite { return round(s, 0, mode, c) }
    let (u, v) = twoSum(t, e)
    let (hi, w) = twoSum(s, u)
    if hi == 0 {
      // s = −u: the exact value is v (w is 0), a binary64 number; an exact zero takes IEEE's sign rule.
      return v == 0 ? zeroSum(p, addend, mode) : round(v, 0, mode, c)
    }
    return round(hi, w + v, mode, c)
  }

  /// Rounds any binary64 into the format.
  @inlinable @inline(__always)
  public static func fromDouble(_ x: Double, _ mode: RoundingMode, _ c: SmallFormatConstants) -> Double {
    if mode == .nearestEven { return roundNearestEven(x, c) }
    if let r = roundDirected(x, exactWhenOnGrid: true, mode, c) { return r }
    return round(x, 0, mode, c)
  }

  /// Rounds an integer into the format (exactly split into two binary64 parts first).
  @inlinable
  public static func fromInt(_ n: Int, _ mode: RoundingMode, _ c: SmallFormatConstants) -> Double {
    let high = (n >> 32) << 32
    let x = Double(high), y = Double(n &- high)  // both exact
    let (s, lo) = twoSum(x, y)
    if s == 0 { return 0 }
    return round(s, lo, mode, c)
  }
}

extension SmallFormatArithmetic {
  /// Rounds every element of `source` into the format (to nearest, ties to even) and writes it to
  /// `destination` (same count; may be the same memory). Bit-identical to `roundNearestEven(_:_:)`,
  /// written with explicit SIMD vectors (four lanes, branch-free selects) so that it runs several
  /// values per instruction even on baseline x86-64.
  @inlinable
  public static func roundNearestEven(
    _ source: UnsafeBufferPointer<Double>, into destination: UnsafeMutableBufferPointer<Double>,
    _ c: SmallFormatConstants
  ) {
    precondition(destination.count >= source.count)
    typealias D = SIMD4<Double>
    typealias U = SIMD4<UInt64>
    let overflowMagnitude: Double =
      c.overflow == .saturate ? c.maxFinite : (c.overflow == .infinity ? .infinity : .nan)
    let signMask = U(repeating: 0x8000_0000_0000_0000)
    let shift = U(repeating: c.shift)
    let halfMinusOne = U(repeating: c.halfMinusOne)
    let keepMask = U(repeating: c.keepMask)
    let minNormal = D(repeating: c.minNormal)
    let maxFinite = D(repeating: c.maxFinite)
    let adder = D(repeating: c.subnormalAdder)
    let halfNormal = D(repeating: 0.5 * c.minNormal)
    let overflowBits = U(repeating: overflowMagnitude.bitPattern)
    let nanBits = U(repeating: Double.nan.bitPattern)
    let infinity = D(repeating: .infinity)
    let keepInfinities = c.hasInfinities
    let subnormals = c.hasSubnormals
    let s = UnsafeRawPointer(source.baseAddress!)
    let d = UnsafeMutableRawPointer(destination.baseAddress!)
    let vectorCount = source.count / 4
    for v in 0..<vectorCount {
      let x = s.loadUnaligned(fromByteOffset: v * 32, as: D.self)
      let bits = unsafeBitCast(x, to: U.self)
      let sign = bits & signMask
      let magnitude = unsafeBitCast(bits & ~signMask, to: D.self)
      let lsb = (bits &>> shift) & U(repeating: 1)
      var r = (bits &+ halfMinusOne &+ lsb) & keepMask
      var tinyMagnitude = (magnitude + adder) - adder
      if !subnormals {
        tinyMagnitude = D(repeating: 0).replacing(with: minNormal, where: magnitude .> halfNormal)
      }
      r = r.replacing(with: unsafeBitCast(tinyMagnitude, to: U.self) | sign, where: magnitude .< minNormal)
      let roundedMagnitude = unsafeBitCast(r & ~signMask, to: D.self)
      r = r.replacing(with: overflowBits | sign, where: roundedMagnitude .> maxFinite)
      if keepInfinities { r = r.replacing(with: bits, where: magnitude .== infinity) }
      r = r.replacing(with: nanBits, where: x .!= x)
      d.storeBytes(of: unsafeBitCast(r, to: D.self), toByteOffset: v * 32, as: D.self)
    }
    for i in (vectorCount * 4)..<source.count {
      destination[i] = roundNearestEven(source[i], c)
    }
  }
}
