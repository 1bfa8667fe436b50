import Scalars

/// The format the kernels accumulate sums of products in, for values stored in some format `S`.
///
/// `same` rounds every product and every partial sum into `S` itself. `binary32` and `binary64` convert
/// the stored values exactly into `Float` or `Double`, accumulate there (so the products of formats up
/// to p = 12 are exact in binary32) and round each finished sum into `S` once, as PyTorch's CPU kernels
/// and GPU tensor cores do for half-precision storage; they need a storage format whose values are
/// binary64 values (`ScalarConversion.isExactInBinary64`).
public enum AccumulationChoice: String, Sendable, Hashable, CaseIterable {
  /// The storage format itself.
  case same
  case binary32
  case binary64

  /// `same`, `fp32`/`binary32`, `fp64`/`binary64`, or the storage format's own name (= `same`).
  public init?(name: String, storage: FloatFormat) {
    switch name {
    case "same": self = .same
    case "fp32", "binary32": self = .binary32
    case "fp64", "binary64": self = .binary64
    default:
      guard (try? FloatFormat.named(name)) == storage else { return nil }
      self = .same
    }
  }

  /// What hardware does for values stored in `storage` (PyTorch's CPU kernels, GPU tensor cores): a
  /// format narrower than binary32 (fewer than 24 significand bits: binary16, bfloat16, TF32, the FP8
  /// formats, narrow custom formats) accumulates in binary32, or in binary64 when its exponent range
  /// exceeds binary32's; binary32 and every wider format accumulate in themselves (`same`).
  public static func hardware(storage: FloatFormat) -> AccumulationChoice {
    guard storage.precision < 24 else { return .same }
    if ScalarConversion.isExactInBinary32(storage) { return .binary32 }
    return ScalarConversion.isExactInBinary64(storage) ? .binary64 : .same
  }

  /// The format sums accumulate in, for values stored in `storage`.
  public func format(storage: FloatFormat) -> FloatFormat {
    switch self {
    case .same: return storage
    case .binary32: return .binary32
    case .binary64: return .binary64
    }
  }

  /// Why values stored in `storage` cannot accumulate this way, or nil when they can.
  public func problem(storage: FloatFormat) -> String? {
    guard self != .same, !ScalarConversion.isExactInBinary64(storage) else { return nil }
    return "accumulating in \(rawValue) needs a storage format within binary64; \(storage.name) accumulates in itself (same)"
  }
}
