import Scalars

/// OCP Microscaling (MX v1.0) block scaling of product operands: the values of each block of
/// `blockSize` consecutive elements along a product's reduction dimension share one power-of-two scale
/// X (an E8M0 value), and each value is stored as an element P of a narrow format, standing for P·X.
///
/// Numerical contract, per block of values V₁ … V_k (k = 32 unless the dimension ends first):
/// - X = 2^e with e = ⌊log₂ max|Vᵢ|⌋ − emax_elem (emax_elem: the element format's largest normal
///   exponent: 8 for E4M3, 15 for E5M2, 2 for E2M3 and E2M1, 4 for E3M2, 0 for INT8), e clamped to
///   [−127, 127] (E8M0's range); a block whose largest magnitude is 0 stays 0.
/// - Pᵢ = Vᵢ / X rounded to the element format (to nearest, ties to even, as hardware converts; or
///   ties away from zero, microxcaling's default `nearest`), normal values above the format's largest
///   clamped to it (saturation, as the spec requires for MX conversion); INT8 elements are multiples of
///   2⁻⁶ in [−127/64, 127/64].
/// - A block holding a NaN or an infinity is all NaN (its scale is E8M0's NaN).
/// The product then multiplies the values Pᵢ·X, each exact in the storage format (binary32 or binary64),
/// and sums them as the `KernelPlan` says: with binary32 accumulation each product of two MX values is
/// exact (at most 8 + 8 significant bits), so only the sums round, as an MX dot product with a binary32
/// accumulator computes it.
public struct MXScaling: Sendable, Hashable, CustomStringConvertible {
  public enum Element: String, Sendable, CaseIterable {
    case e4m3, e5m2, e2m3, e3m2, e2m1, int8

    /// The element's format (the saturating spelling for FP8: MX conversion clamps), nil for INT8.
    public var format: FloatFormat? {
      switch self {
      case .e4m3: return FloatFormat.e4m3.saturating()
      case .e5m2: return FloatFormat.e5m2.saturating()
      case .e2m3: return .fp6e2m3
      case .e3m2: return .fp6e3m2
      case .e2m1: return .fp4e2m1
      case .int8: return nil
      }
    }

    /// The largest normal exponent the scale is chosen against.
    public var emax: Int {
      switch self {
      case .e4m3: return 8
      case .e5m2: return 15
      case .e2m3, .e2m1: return 2
      case .e3m2: return 4
      case .int8: return 0
      }
    }

    /// The MX name: mxfp8-e4m3, mxfp8-e5m2, mxfp6-e2m3, mxfp6-e3m2, mxfp4, mxint8.
    public var name: String {
      switch self {
      case .e4m3, .e5m2: return "mxfp8-\(rawValue)"
      case .e2m3, .e3m2: return "mxfp6-\(rawValue)"
      case .e2m1: return "mxfp4"
      case .int8: return "mxint8"
      }
    }
  }

  public let element: Element
  public let blockSize: Int
  /// `.nearestEven` (hardware, the default) or `.nearestAway` (microxcaling's `nearest`).
  public let rounding: RoundingMode
  /// The element format's constants (nil for INT8).
  @usableFromInline let constants: SmallFormatConstants?

  public init(_ element: Element, blockSize: Int = 32, rounding: RoundingMode = .nearestEven) {
    precondition(blockSize >= 1 && (rounding == .nearestEven || rounding == .nearestAway))
    self.element = element
    self.blockSize = blockSize
    self.rounding = rounding
    constants = element.format?.small
  }

  /// Reads `mxfp8-e4m3`, `mxfp8-e5m2`, `mxfp6-e2m3`, `mxfp6-e3m2`, `mxfp4`, `mxint8`, each optionally
  /// followed by `:BLOCK` (block size, 1 to 1024) and `:ties-away`; nil for anything else.
  public init?(name: String) {
    let parts = name.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
    guard let element = Element.allCases.first(where: { $0.name == parts[0] }), parts.count <= 3 else { return nil }
    var block = 32, rounding = RoundingMode.nearestEven
    for part in parts.dropFirst() {
      if part == "ties-away" { rounding = .nearestAway } else if let n = Int(part), (1...1024).contains(n) { block = n } else { return nil }
    }
    self.init(element, blockSize: block, rounding: rounding)
  }

  public var description: String {
    element.name + (blockSize == 32 ? "" : ":\(blockSize)") + (rounding == .nearestAway ? ":ties-away" : "")
  }

  /// The shared exponent e of a block whose largest magnitude is `amax` (finite, > 0).
  @inlinable
  func sharedExponent(_ amax: Double) -> Int {
    min(max(Int(amax.exponent) - element.emax, -127), 127)
  }

  /// `v` (a finite value divided by its block's scale) as an element, then as a value.
  @inlinable
  func element(_ v: Double) -> Double {
    guard let c = constants else {
      // INT8: k/64 with k an integer in [-127, 127].
      let k = rounding == .nearestEven ? (v * 64).rounded(.toNearestOrEven) : (v * 64).rounded(.toNearestOrAwayFromZero)
      return min(max(k, -127), 127) / 64
    }
    // The element grid at v: spacing 2^(max(⌊log₂|v|⌋, emin) − p + 1) (every MX float element has
    // subnormals); v / spacing is exact, so one integer rounding is the element's rounding.
    guard v != 0 else { return v }
    let e = max(Int(v.exponent), c.emin) - c.precision + 1
    let spacing = Double(bitPattern: UInt64(1023 + e) << 52)
    let m = v / spacing
    let q = (rounding == .nearestEven ? m.rounded(.toNearestOrEven) : m.rounded(.toNearestOrAwayFromZero)) * spacing
    return min(max(q, -c.maxFinite), c.maxFinite)
  }

  /// `t` with the blocks along `axis` MX-quantized (a matrix: 1 along each row, 0 along each column; a
  /// convolution's `[batch, channels, h, w]` tensor: 1 along the channels at each batch entry and
  /// position, 0 along the batch, as microxcaling's `quantize_mx_op(axes=[axis])`), stored back in `S`
  /// (exactly: `problem(storage:)` admits binary32 and binary64 only), computed in place.
  @inlinable
  public func quantized<S: PrecisionScalar>(_ t: Tensor<S>, along axis: Int) -> Tensor<S> {
    precondition(axis >= 0 && axis < t.rank, "MX blocks along axis \(axis) of a rank-\(t.rank) tensor")
    precondition(S.self == Float.self || S.self == Double.self, "MX operands are stored in binary32 or binary64")
    // t seen as [outer, length, inner]: element j of line (o, i) is at o·length·inner + j·inner + i.
    let outer = t.shape[..<axis].reduce(1, *), length = t.shape[axis], inner = t.shape[(axis + 1)...].reduce(1, *)
    let lines = outer * inner, step = inner
    var out = t
    out.storage.withUnsafeMutableBufferPointer { p in
      for l in 0..<lines {
        let base = (l / inner) * length * inner + l % inner
        var start = 0
        while start < length {
          let end = min(start + blockSize, length)
          var amax = 0.0, finite = true
          for j in start..<end {
            let v = ScalarConversion.convert(p[base + j * step], to: Double.self)
            if !v.isFinite { finite = false; break }
            amax = max(amax, Swift.abs(v))
          }
          if !finite {
            for j in start..<end { p[base + j * step] = ScalarConversion.convert(Double.nan, to: S.self) }
          } else if amax > 0 {
            let e = sharedExponent(amax)
            let scale = Double(sign: .plus, exponent: e, significand: 1), inverse = Double(sign: .plus, exponent: -e, significand: 1)
            for j in start..<end {
              let i = base + j * step
              let v = ScalarConversion.convert(p[i], to: Double.self)
              p[i] = ScalarConversion.convert(element(v * inverse) * scale, to: S.self)
            }
          }
          start = end
        }
      }
    }
    return out
  }

  /// Why values stored in `storage` cannot take MX operands, or nil.
  public static func problem(storage: FloatFormat) -> String? {
    storage == .binary32 || storage == .binary64 ? nil
      : "MX operands are formed from binary32 or binary64 values (each P·X must be exact in storage), not \(storage.name)"
  }
}
