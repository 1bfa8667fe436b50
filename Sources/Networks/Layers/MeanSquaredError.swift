import Scalars
import Tensors

/// Mean squared error over all elements: loss = (Σ (y − t)²) / count, the sum sequential in the storage
/// format; gradient 2·(y − t) / count (each operation rounded).
public enum MeanSquaredError {
  public static func lossAndGradient<T: PrecisionScalar>(prediction y: Tensor<T>, target t: Tensor<T>) -> (loss: T, gradient: Tensor<T>) {
    precondition(y.shape == t.shape, "MSE: prediction \(y.shape), target \(t.shape)")
    let n = T(y.count)
    var total = T(0)
    var gradient = [T]()
    gradient.reserveCapacity(y.count)
    for (a, b) in zip(y.storage, t.storage) {
      let d = a - b
      T.multiplyAccumulate(&total, d, d)
      gradient.append(T(2) * d / n)
    }
    return (total / n, Tensor(shape: y.shape, storage: gradient))
  }
}
