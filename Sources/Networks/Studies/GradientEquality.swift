import Scalars
import Tensors

/// Whether two gradient lists are equal element by element as `torch.equal` compares them: numeric
/// equality, so −0 equals +0; NaN equals NaN here (a NaN gradient in both copies is no difference).
public func gradientsEqual<T: PrecisionScalar>(_ a: [Tensor<T>], _ b: [Tensor<T>]) -> Bool {
  for (x, y) in zip(a, b) {
    precondition(x.shape == y.shape, "comparing gradients of shapes \(x.shape) and \(y.shape)")
    for (u, v) in zip(x.storage, y.storage) where !(u == v || (u.isNaN && v.isNaN)) { return false }
  }
  return true
}
