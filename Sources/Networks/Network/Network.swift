import Scalars
import Tensors

/// A feed-forward network as a list of layers (micrograd-style: an obvious forward, an obvious
/// backward, nothing else): every model — the MLP, VGG, ResNet, with or without batch norm or
/// dropout — is one. The builders (`MLP`, `VGG`, `ResNet`, or a `ModelSpec`) lay the layers out; each
/// layer's own file says what it does (`NetworkLayer`); `Network+Forward.swift` and
/// `Network+Backward.swift` walk the list.
///
/// Parameters are named as in the equivalent PyTorch model's state_dict (`0.weight`, `features.0.weight`,
/// `layer1.0.conv1.weight`, …); batch-norm running statistics are buffers, not parameters.
public struct Network<T: PrecisionScalar>: Sendable {
  public var layers: [Layer<T>]

  public init(layers: [Layer<T>]) { self.layers = layers }

  /// Names of the trainable parameters, in forward order.
  public var parameterNames: [String] { Self.names(layers) }

  /// The trainable parameters in `parameterNames` order.
  public var parameters: [Tensor<T>] {
    get { Self.parameters(layers) }
    set { Self.setParameters(&layers, newValue) }
  }

  /// Batch-norm running means and variances (buffers, not parameters), in forward order.
  public var buffers: [Tensor<T>] {
    get { Self.buffers(layers) }
    set { Self.setBuffers(&layers, newValue) }
  }

  /// The same network with every parameter and buffer converted into another format.
  public func converted<U: PrecisionScalar>(to _: U.Type) -> Network<U> {
    Network<U>(layers: Self.converted(layers, to: U.self))
  }

  /// The same network with every activation replaced (same forward, other kink derivatives).
  public func replacingActivations(with activation: Activation) -> Network {
    Network(layers: Self.replacingActivations(layers, activation))
  }
}

/// The visitors behind `Network`'s accessors: each asks every layer of a list the same question.
extension Network {
  struct ParameterCount: LayerVisitor {
    typealias Scalar = T
    typealias Result = Int
    mutating func visit<L: NetworkLayer<T>>(_ layer: inout L, name _: String) -> Int { layer.parameters.count }
  }

  struct Names: LayerVisitor {
    typealias Scalar = T
    typealias Result = [String]
    mutating func visit<L: NetworkLayer<T>>(_ layer: inout L, name: String) -> [String] { layer.parameterNames(prefix: name) }
  }

  struct Parameters: LayerVisitor {
    typealias Scalar = T
    typealias Result = [Tensor<T>]
    mutating func visit<L: NetworkLayer<T>>(_ layer: inout L, name _: String) -> [Tensor<T>] { layer.parameters }
  }

  struct Buffers: LayerVisitor {
    typealias Scalar = T
    typealias Result = [Tensor<T>]
    mutating func visit<L: NetworkLayer<T>>(_ layer: inout L, name _: String) -> [Tensor<T>] { layer.buffers }
  }

  /// Hands each layer its next tensors, as many as it holds (parameters, or buffers).
  struct Assign: LayerVisitor {
    typealias Scalar = T
    typealias Result = Void
    let values: [Tensor<T>]
    let buffers: Bool
    var index = 0

    mutating func visit<L: NetworkLayer<T>>(_ layer: inout L, name _: String) {
      let count = buffers ? layer.buffers.count : layer.parameters.count
      precondition(index + count <= values.count, "\(values.count) tensors for more \(buffers ? "buffers" : "parameters")")
      let next = Array(values[index..<(index + count)])
      if buffers { layer.buffers = next } else { layer.parameters = next }
      index += count
    }
  }

  struct RandomStreams: LayerVisitor {
    typealias Scalar = T
    typealias Result = Int
    mutating func visit<L: NetworkLayer<T>>(_ layer: inout L, name _: String) -> Int { layer.randomStreams }
  }

  struct Convert<U: PrecisionScalar>: LayerVisitor {
    typealias Scalar = T
    typealias Result = Layer<U>
    mutating func visit<L: NetworkLayer<T>>(_ layer: inout L, name: String) -> Layer<U> { layer.converted(to: U.self, name: name) }
  }

  struct ReplaceActivations: LayerVisitor {
    typealias Scalar = T
    typealias Result = Void
    let activation: Activation
    mutating func visit<L: NetworkLayer<T>>(_ layer: inout L, name _: String) { layer = layer.replacingActivations(with: activation) }
  }

  static func names(_ layers: [Layer<T>]) -> [String] {
    var v = Names()
    return layers.flatMap { $0.open(&v) }
  }

  static func parameters(_ layers: [Layer<T>]) -> [Tensor<T>] {
    var v = Parameters()
    return layers.flatMap { $0.open(&v) }
  }

  static func buffers(_ layers: [Layer<T>]) -> [Tensor<T>] {
    var v = Buffers()
    return layers.flatMap { $0.open(&v) }
  }

  static func setParameters(_ layers: inout [Layer<T>], _ values: [Tensor<T>]) { assign(&layers, values, buffers: false) }

  static func setBuffers(_ layers: inout [Layer<T>], _ values: [Tensor<T>]) { assign(&layers, values, buffers: true) }

  static func assign(_ layers: inout [Layer<T>], _ values: [Tensor<T>], buffers: Bool) {
    var v = Assign(values: values, buffers: buffers)
    for k in layers.indices { layers[k].modify(&v) }
    precondition(v.index == values.count, "\(values.count) tensors for \(v.index) \(buffers ? "buffers" : "parameters")")
  }

  static func randomStreams(_ layers: [Layer<T>]) -> Int {
    var v = RandomStreams()
    return layers.reduce(0) { $0 + $1.open(&v) }
  }

  static func converted<U: PrecisionScalar>(_ layers: [Layer<T>], to _: U.Type) -> [Layer<U>] {
    var v = Convert<U>()
    return layers.map { $0.open(&v) }
  }

  static func replacingActivations(_ layers: [Layer<T>], _ activation: Activation) -> [Layer<T>] {
    var v = ReplaceActivations(activation: activation)
    var copy = layers
    for k in copy.indices { copy[k].modify(&v) }
    return copy
  }
}
