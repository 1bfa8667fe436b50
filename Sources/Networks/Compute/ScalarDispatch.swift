import Scalars
import Tensors

/// Generic code to run in a storage format chosen at run time: `ScalarDispatch.visit` calls
/// `visit(storage:)` with the concrete scalar type of the format.
public protocol ScalarVisitor {
  associatedtype Result
  func visit<T: PrecisionScalar>(storage: T.Type) throws -> Result
}

/// Where generic network code meets a format chosen at run time: the one place that maps a format to
/// a scalar type. The visitor runs inside this module, so the generic code is specialised for each
/// type here, for six of these nine:
///
/// | format | type |
/// | --- | --- |
/// | binary32, binary64, fp80 rounding to nearest even | `Float`, `Double`, `Float80` (hardware) |
/// | binary16, bfloat16 | `Binary16`, `BFloat16` (emulated, constants folded; bit-identical to hardware half arithmetic, checked exhaustively by `precisionlab-verify`, and about 5x faster here than Swift's `Float16`, which this CPU lacks) |
/// | any other format the binary64 engine holds (p ≤ 51, exponents within ±300): TF32, FP8, FP6, FP4, binary32 in the other modes, `ieee:P:EMAX` | `EmulatedFloat` with the format set on the thread |
/// | binary64 in the other modes | `Binary64` (hardware binary64 operations and error-free transformations, every mode; bit-identical to MPFR's), the generic code unspecialised (see `mpfr`): its matrix products in the directed modes run on the `Double` kernels with the rounding control set |
/// | binary128 | `Binary128` (64-bit integer engine, every mode; bit-identical to MPFR's), the generic code unspecialised like MPFR's (see `mpfr`): its inner products run in C (`accumulateProducts`) |
/// | everything else: fp80 in the other modes, `mpfr:…`, wide `ieee:…` | `MPFRFloat` with the format set on the thread, the generic code unspecialised (see `mpfr`) |
///
/// So a new preset format (`FloatFormat+Presets.swift`) needs no edit here: its engine decides.
/// Accumulation formats are chosen inside the kernels (`KernelPlan`), not here.
public enum ScalarDispatch {
  public static func visit<V: ScalarVisitor>(format: FloatFormat, rounding: RoundingMode, _ visitor: V) throws -> V.Result {
    let hardware = rounding == .nearestEven
    if format == .binary16 { return try visitor.visit(storage: Binary16.self) }
    if format == .bfloat16 { return try visitor.visit(storage: BFloat16.self) }
    if hardware && format == .binary32 { return try visitor.visit(storage: Float.self) }
    if hardware && format == .binary64 { return try visitor.visit(storage: Double.self) }
    if hardware && format == .x87Extended { return try visitor.visit(storage: Float80.self) }
    if format == .binary64 { return try visitUnspecialised(visitor, binary64) }
    if format == .binary128 { return try visitUnspecialised(visitor, binary128) }
    if format.engine == .double { return try EmulatedFloat.withFormat(format) { try visitor.visit(storage: EmulatedFloat.self) } }
    return try MPFRFloat.withFormat(format) { try visitUnspecialised(visitor, mpfr) }
  }

  /// `MPFRFloat` as an existential metatype: the generic code runs unspecialised for it, through its
  /// witness table. Each MPFR operation costs about 100 ns and the inner products run in
  /// `accumulateProducts` (specialised in Scalars), so specialising the networks and studies for
  /// `MPFRFloat` gained little at run time and cost half the release build (Networks to the
  /// executable: 243 s with it, 125 s without, on this 2-core machine).
  static let mpfr: any PrecisionScalar.Type = MPFRFloat.self
  static let binary128: any PrecisionScalar.Type = Binary128.self
  static let binary64: any PrecisionScalar.Type = Binary64.self

  static func visitUnspecialised<V: ScalarVisitor>(_ visitor: V, _ type: any PrecisionScalar.Type) throws -> V.Result {
    func open<T: PrecisionScalar>(_: T.Type) throws -> V.Result { try visitor.visit(storage: T.self) }
    return try open(type)
  }
}
