import Scalars
import Tensors

/// `[batch, …]` to `[batch, features]` (PyTorch's `nn.Flatten()`): no arithmetic, the same storage.
struct Flatten: ParameterFreeLayer {
  func forward<T: PrecisionScalar>(_ x: Tensor<T>, _ context: inout Network<T>.ForwardContext) -> (Tensor<T>, Network<T>.Cache) {
    (x.reshaped([x.shape[0], x.count / max(x.shape[0], 1)]), .shape(x.shape))
  }

  func backward<T: PrecisionScalar>(
    _ cache: Network<T>.Cache, _ g: Network<T>.Lanes, _ context: inout Network<T>.BackwardContext
  ) -> Network<T>.Lanes? {
    let shape = cache.shape(of: "Flatten")
    guard context.passDown else { return nil }
    return g.map { $0.reshaped(shape) }
  }

  func layer<T: PrecisionScalar>(as _: T.Type) -> Layer<T> { .flatten }
}
