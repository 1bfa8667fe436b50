import Scalars
import Tensors

/// Where generic network code meets a format chosen at run time: maps a format (and an accumulation
/// choice) to concrete scalar types and calls the visitor with them. The visitor runs inside this
/// module, so the generic code is specialised for every type.
///
/// Formats map to: binary32 → `Float`, binary64 → `Double`, fp80 → `Float80` (hardware, when rounding
/// to nearest even) or `Binary32`, `Binary64`, `X87Extended` (emulated, for the other modes);
/// binary16 → `Binary16` in every mode (emulated: bit-identical to hardware half arithmetic, checked
/// exhaustively by `precisionlab-verify`, and about 5x faster here than Swift's `Float16`, which this
/// CPU lacks and which goes through library conversions on every operation); the bfloat16, TF32, FP8, FP6, FP4 and binary128 presets → their
/// emulated types; `mpfr:…` and custom `ieee:…` formats → `MPFRFloat` in that format.
public protocol ScalarVisitor {
  associatedtype Result
  func visit<T: PrecisionScalar, A: PrecisionScalar>(storage: T.Type, accumulate: A.Type) throws -> Result
}

/// The accumulation format of the kernels.
public enum AccumulationChoice: String, Sendable, CaseIterable {
  /// The storage format itself.
  case same
  case binary32
  case binary64

  /// `same`, `fp32`/`binary32`, `fp64`/`binary64`, or the storage format's own name.
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

  /// The format sums accumulate in, for values stored in `storage`.
  public func format(storage: FloatFormat) -> FloatFormat {
    switch self {
    case .same: return storage
    case .binary32: return .binary32
    case .binary64: return .binary64
    }
  }
}

public enum ScalarDispatch {
  public static func visit<V: ScalarVisitor>(
    format: FloatFormat, accumulate: AccumulationChoice, rounding: RoundingMode, _ visitor: V
  ) throws -> V.Result {
    func with<T: PrecisionScalar>(_: T.Type) throws -> V.Result {
      switch accumulate {
      case .same: return try visitor.visit(storage: T.self, accumulate: T.self)
      case .binary32:
        precondition(ScalarConversion.isExactInBinary64(T.self), "accumulating \(format.name) in binary32 is not supported")
        return try visitor.visit(storage: T.self, accumulate: Float.self)
      case .binary64:
        precondition(ScalarConversion.isExactInBinary64(T.self), "accumulating \(format.name) in binary64 is not supported")
        return try visitor.visit(storage: T.self, accumulate: Double.self)
      }
    }
    let hardware = rounding == .nearestEven
    switch format {
    case .binary16: return try with(Binary16.self)
    case .binary32: return hardware ? try with(Float.self) : try with(Binary32.self)
    case .binary64: return hardware ? try with(Double.self) : try with(Binary64.self)
    case .x87Extended: return hardware ? try with(Float80.self) : try with(X87Extended.self)
    case .bfloat16: return try with(BFloat16.self)
    case .tf32: return try with(TF32.self)
    case .e4m3: return try with(E4M3.self)
    case E4M3SaturatingFormat.format: return try with(E4M3Saturating.self)
    case .e5m2: return try with(E5M2.self)
    case E5M2SaturatingFormat.format: return try with(E5M2Saturating.self)
    case .fp6e2m3: return try with(FP6E2M3.self)
    case .fp6e3m2: return try with(FP6E3M2.self)
    case .fp4e2m1: return try with(FP4E2M1.self)
    case .binary128: return try with(Binary128.self)
    default:
      return try MPFRFloat.withFormat(format) { try with(MPFRFloat.self) }
    }
  }

  /// Whether `accumulate` is allowed with `format` (binary32/64 accumulation needs a storage format
  /// whose values are binary64 values).
  public static func supports(format: FloatFormat, accumulate: AccumulationChoice) -> Bool {
    accumulate == .same || ScalarConversion.isExactInBinary64(format)
  }
}
