import Scalars
import Tensors

/// Whether two gradient lists are equal element by element as `torch.equal` compares them: numeric
/// equality, so −0 equals +0 and NaN equals nothing. A NaN or an infinity anywhere in either list is a
/// difference even where both hold the same value: such a gradient is no evidence that the two
/// backprops agree (the paper's test, `torch.equal`, counts NaN as a difference too).
public func gradientsEqual<T: PrecisionScalar>(_ a: [Tensor<T>], _ b: [Tensor<T>]) -> Bool {
  for (x, y) in zip(a, b) {
    precondition(x.shape == y.shape, "comparing gradients of shapes \(x.shape) and \(y.shape)")
    for (u, v) in zip(x.storage, y.storage) where !(u == v && u.isFinite) { return false }
  }
  return true
}

/// Whether any value of the gradients is a NaN or an infinity.
public func gradientsContainNonFinite<T: PrecisionScalar>(_ gradients: [Tensor<T>]) -> Bool {
  gradients.contains { $0.storage.contains { !$0.isFinite } }
}
