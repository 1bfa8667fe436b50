import Scalars
import Tensors

/// Mixed-precision training bookkeeping: master weights in format `M` (binary32 by default in
/// practice), the model's working copy in `T`, and loss scaling.
///
/// A step takes the model's gradients (computed from the loss multiplied by `lossScale`), converts
/// them into `M` (one rounding each), divides by the scale in `M`, skips the step if any is infinite or
/// NaN (halving a dynamic scale), updates the master weights with the optimiser, and rounds them into
/// the model's format. With a dynamic scale, every `growthInterval` good steps double the scale.
public struct MixedPrecisionTrainer<M: PrecisionScalar>: Sendable {
  public var master: [Tensor<M>]
  public var optimizer: Optimizer<M>
  public var lossScale: Double
  public var dynamicScaling: Bool
  public var growthInterval: Int
  public var goodSteps = 0
  public var skippedSteps = 0

  public init<T: PrecisionScalar>(
    parameters: [Tensor<T>], optimizer: Optimizer<M>, lossScale: Double = 1, dynamicScaling: Bool = false,
    growthInterval: Int = 2000
  ) {
    master = parameters.map { $0.converted(to: M.self) }
    self.optimizer = optimizer
    self.lossScale = lossScale
    self.dynamicScaling = dynamicScaling
    self.growthInterval = growthInterval
  }

  /// Applies one step; returns the new working parameters in `T`, or nil when the step was skipped
  /// because a scaled gradient overflowed. `@inlinable`, so a caller in another module gets it (and the
  /// optimiser's step) specialised.
  @inlinable
  public mutating func step<T: PrecisionScalar>(scaledGradients: [Tensor<T>], as _: T.Type) -> [Tensor<T>]? {
    let inverse = M(1 / lossScale)
    let gradients = scaledGradients.map { g -> Tensor<M> in
      let c = g.converted(to: M.self)
      return lossScale == 1 ? c : Tensor(shape: c.shape, storage: c.storage.map { $0 * inverse })
    }
    if gradients.contains(where: { $0.storage.contains { !$0.isFinite } }) {
      skippedSteps += 1
      if dynamicScaling { lossScale /= 2; goodSteps = 0 }
      return nil
    }
    optimizer.step(&master, gradients)
    goodSteps += 1
    if dynamicScaling && goodSteps % growthInterval == 0 { lossScale *= 2 }
    return RoundingEnvironment.with(.nearestEven) { master.map { $0.converted(to: T.self) } }
  }
}
