import Scalars
import Tensors

/// Mixed-precision training bookkeeping: master weights in format `M` (binary32 by default in
/// practice), the model's working copy in `T`, and loss scaling.
///
/// A step takes the model's gradients (computed from the loss multiplied by the scale), converts them
/// into `M` (one rounding each), divides by the scale in `M`, skips the step if any is infinite or NaN,
/// updates the master weights with the optimiser, and rounds them into the model's format; `scaling`
/// then follows its rule (`LossScaling`: fixed, or PyTorch GradScaler's dynamic rule).
public struct MixedPrecisionTrainer<M: PrecisionScalar>: Sendable {
  public var master: [Tensor<M>]
  public var optimizer: Optimizer<M>
  public var scaling: LossScaling
  public var skippedSteps = 0

  public init<T: PrecisionScalar>(parameters: [Tensor<T>], optimizer: Optimizer<M>, scaling: LossScaling = .none) {
    master = parameters.map { $0.converted(to: M.self) }
    self.optimizer = optimizer
    self.scaling = scaling
  }

  /// The scale the next backward pass multiplies the loss gradient by.
  public var lossScale: Double { scaling.scale }

  /// Applies one step; returns the new working parameters in `T`, or nil when the step was skipped
  /// because a scaled gradient overflowed. `@inlinable`, so a caller in another module gets it (and the
  /// optimiser's step) specialised.
  @inlinable
  public mutating func step<T: PrecisionScalar>(scaledGradients: [Tensor<T>], as _: T.Type) -> [Tensor<T>]? {
    let scale = scaling.scale
    let inverse = M(1 / scale)
    let gradients = scaledGradients.map { g -> Tensor<M> in
      let c = g.converted(to: M.self)
      return scale == 1 ? c : Tensor(shape: c.shape, storage: c.storage.map { $0 * inverse })
    }
    let finite = !gradients.contains(where: { $0.storage.contains { !$0.isFinite } })
    scaling.update(finite: finite)
    guard finite else {
      skippedSteps += 1
      return nil
    }
    optimizer.step(&master, gradients)
    return RoundingEnvironment.with(.nearestEven) { master.map { $0.converted(to: T.self) } }
  }
}
