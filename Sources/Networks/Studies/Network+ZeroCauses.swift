import Scalars
import Tensors

extension Network {
  /// Causes of the kink inputs of a forward pass, for every activation that directly follows a dense
  /// or convolution layer (a convolution output is a dot product over its input patch, classified the
  /// same way), and every activation after a residual sum whose branches each end in a convolution or
  /// are the identity (without batch norm): that sum is classified as one dot product, the main
  /// branch's patch terms followed by the shortcut's (its patch, or for the identity the input value
  /// itself) and both biases, exactly as a dense output is. Zeros after batch norm are not classified:
  /// they are not a dot product of stored values. Nil when the format is wider than binary64.
  public func zeroCauses(_ forward: ForwardPass) -> ZeroCauses? {
    guard ZeroCause.isSupported(T.format) else { return nil }
    return Self.zeroCauses(layers, forward.caches)
  }

  static func zeroCauses(_ layers: [Layer<T>], _ caches: [Cache]) -> ZeroCauses {
    var causes = ZeroCauses()
    var inner = InnerZeroCauses()
    for k in layers.indices {
      inner.cache = caches[k]
      causes = causes + layers[k].open(&inner)
      guard k + 1 < layers.count, case .activation(let a) = layers[k + 1], case .input(let z) = caches[k + 1], a.kinkCount(z) > 0
      else { continue }
      var outer = OutputZeroCauses(cache: caches[k], output: z)
      if let found = layers[k].open(&outer) { causes = causes + found }
    }
    return causes
  }

  struct InnerZeroCauses: LayerVisitor {
    typealias Scalar = T
    typealias Result = ZeroCauses
    var cache = Cache.none
    mutating func visit<L: NetworkLayer<T>>(_ layer: inout L, name _: String) -> ZeroCauses { layer.innerZeroCauses(cache) }
  }

  struct OutputZeroCauses: LayerVisitor {
    typealias Scalar = T
    typealias Result = ZeroCauses?
    let cache: Cache
    let output: Tensor<T>
    mutating func visit<L: NetworkLayer<T>>(_ layer: inout L, name _: String) -> ZeroCauses? { layer.zeroCauses(cache, output: output) }
  }
}
