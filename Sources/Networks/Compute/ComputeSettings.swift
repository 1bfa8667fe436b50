import Scalars
import Tensors

/// How a study computes: storage format, accumulation, rounding, summation order, threads. Every
/// study runs inside `run`, which sets the rounding mode (and the emulated or MPFR format) on the
/// calling thread and dispatches to the concrete scalar type, so the generic loops are specialised in
/// this module.
public struct ComputeSettings: Sendable, Hashable {
  public var format: FloatFormat
  public var accumulate: AccumulationChoice = .same
  public var rounding: RoundingMode = .nearestEven
  /// Seed of the stochastic-rounding streams (each batch and phase reseeds from it, see the studies).
  public var roundingSeed: UInt64 = 0
  public var options = KernelOptions()
  /// Product operands rounded to a narrower format first (TF32 mode), or nil.
  public var operands: OperandRounding?
  /// Dense layers' product operands in an OCP MX format (`KernelPlan.mx`), or nil.
  public var mx: MXScaling?
  /// Batch norm rounded into storage at every operation (before 0.8) rather than computed in the
  /// accumulation format (`KernelPlan.normalizeInStorage`).
  public var normalizeInStorage = false
  /// A library's summation trees for dense layers' products (`KernelPlan.trees`), or nil.
  public var trees: ProductTrees?
  /// A mixed-precision policy per operation (`KernelPlan.policy`), or nil.
  public var policy: PrecisionPolicy?
  /// Threads inside the kernels (never changes a result).
  public var threads = 1

  public init(format: FloatFormat, accumulate: AccumulationChoice = .same, rounding: RoundingMode = .nearestEven) {
    self.format = format
    self.accumulate = accumulate
    self.rounding = rounding
  }

  /// The kernels' plan: accumulation, summation order and fusion, threads, operand rounding.
  public var plan: KernelPlan {
    var plan = KernelPlan(accumulate: accumulate, options: options, threads: threads, operands: operands)
    plan.normalizeInStorage = normalizeInStorage
    plan.trees = trees
    plan.mx = mx
    plan.policy = policy
    return plan
  }

  func run<V: ScalarVisitor>(_ visitor: V) throws -> V.Result {
    try RoundingEnvironment.with(rounding, seed: roundingSeed) {
      try ScalarDispatch.visit(format: format, rounding: rounding, visitor)
    }
  }

  /// Reseeds the stochastic stream for one phase of one step, so that a phase draws the same bits
  /// whatever ran before it (both kink derivatives see common random numbers).
  func reseed(step: Int, phase: Int) {
    guard rounding == .stochastic else { return }
    RoundingEnvironment.seed(roundingSeed, stream: UInt64(step) &* 8 &+ UInt64(phase))
  }
}
