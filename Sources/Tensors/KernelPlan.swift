import Scalars

/// How the kernels of one computation run: the accumulation format, the summation order and fusion
/// (`KernelOptions`), the rounding of product operands (`OperandRounding`, none by default), and the
/// number of threads, which never changes a result.
///
/// The accumulation is a run-time choice: generic network code is compiled once per storage format,
/// and each kernel entry point (`MatrixMultiply`, `DotProduct.rounded`) picks its accumulator type
/// itself, so only the kernels are compiled per storage and accumulation pair.
public struct KernelPlan: Sendable, Hashable {
  public var accumulation: AccumulationChoice
  public var options: KernelOptions
  public var threads: Int
  /// Operands of matrix products and convolutions rounded to a narrower format first (TF32 mode), or
  /// nil: the stored values multiply as they are.
  public var operands: OperandRounding?
  /// Operands of matrix products and convolutions in an OCP MX format (blocks along the reduction
  /// dimension, `MXScaling`; a convolution's along the channels, as microxcaling's), or nil.
  public var mx: MXScaling?
  /// Batch norm's statistics and normalisation rounded into the storage format at every operation
  /// (PrecisionLab before 0.8) instead of computed in the accumulation format and rounded once into
  /// storage (as GPU and CPU kernels do for half-precision data). No effect when the accumulation
  /// format is the storage format.
  public var normalizeInStorage = false
  /// A library's summation trees per product shape (`--summation tree:FILE`), or nil: dense layers'
  /// products then take their options from here (`product(_:m:n:k:_:)`), and `options` serves every
  /// other sum.
  public var trees: ProductTrees?
  /// A mixed-precision policy (`PrecisionPolicy`), or nil: every operation in the storage format. The
  /// network applies it layer by layer (each layer's kernels see the plan its rule makes, without it).
  public var policy: PrecisionPolicy?

  public init(
    accumulate accumulation: AccumulationChoice = .same, options: KernelOptions = KernelOptions(), threads: Int = 1,
    operands: OperandRounding? = nil
  ) {
    self.accumulation = accumulation
    self.options = options
    self.threads = threads
    self.operands = operands
  }

  /// `t` as a product operand: rounded when `operands` says so, else as it is.
  @inlinable public func operand<S: PrecisionScalar>(_ t: Tensor<S>) -> Tensor<S> {
    precondition(mx == nil, "MX operands are taken along a product's reduction dimension: use operand(_:along:)")
    return operands.map { $0.rounded(t) } ?? t
  }

  /// `t`, a matrix operand whose reduction dimension is `axis`, as the product takes it: MX-quantized
  /// along `axis` when `mx` says so (after any operand rounding), else as `operand(_:)` gives it.
  @inlinable public func operand<S: PrecisionScalar>(_ t: Tensor<S>, along axis: Int) -> Tensor<S> {
    let rounded = operands.map { $0.rounded(t) } ?? t
    return mx.map { $0.quantized(rounded, along: axis) } ?? rounded
  }

  /// The plan without operand rounding or MX: for a kernel whose operands were already taken.
  @inlinable public var takingOperandsAsGiven: KernelPlan {
    var plan = self
    plan.operands = nil
    plan.mx = nil
    return plan
  }

  /// The accumulation format for values stored in `S`.
  @inlinable public func accumulationFormat<S: PrecisionScalar>(storage _: S.Type) -> FloatFormat {
    accumulation.format(storage: S.format)
  }

  /// Stops with a message when `S` cannot accumulate in the planned format (see `AccumulationChoice`):
  /// the command line refuses such a choice before anything runs.
  @inlinable public func checkAccumulation<S: PrecisionScalar>(storage _: S.Type) {
    guard accumulation != .same else { return }
    precondition(ScalarConversion.isExactInBinary64(S.self), "accumulating \(S.format.name) in \(accumulation.rawValue) is not supported")
  }
}
