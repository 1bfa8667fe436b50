import Scalars
import Tensors

/// What a layer of a `Network` does, each in the layer's own file: its trainable parameters (named as in
/// PyTorch's state_dict after the layer's prefix), its buffers, its forward pass and its hand-written
/// backward pass. `Network` holds layers as `Layer` cases and reaches every one of these through
/// `Layer.open` and `Layer.modify`, so a layer that forgets a requirement does not compile.
///
/// The numerical contract is the layer's: every operation it performs is rounded as its `KernelPlan`
/// and scalar type say, and the backward pass is the explicit one written beside the forward pass
/// (no automatic differentiation).
protocol NetworkLayer<Scalar>: Sendable {
  associatedtype Scalar: PrecisionScalar

  /// What the layer is for a precision policy (`PrecisionPolicy.rule`).
  static var operation: OperationClass { get }

  /// The trainable parameters' names, in `parameters` order, for a layer whose state_dict prefix is
  /// `prefix` (`0.weight`, `features.3.bias`, …).
  func parameterNames(prefix: String) -> [String]
  /// The trainable parameters. Setting takes tensors of the same shapes, in the same order.
  var parameters: [Tensor<Scalar>] { get set }
  /// State that is not trained (batch norm's running statistics), in state_dict order.
  var buffers: [Tensor<Scalar>] { get set }
  /// How many numbered random streams the layer draws from (an activation's random kink derivative, a
  /// dropout mask): the network numbers them in forward order.
  var randomStreams: Int { get }

  /// The output, and what the backward pass needs (`Network.Cache`); updates running statistics and
  /// counts kinks into `context`.
  mutating func forward(_ x: Tensor<Scalar>, _ context: inout Network<Scalar>.ForwardContext) -> (Tensor<Scalar>, Network<Scalar>.Cache)

  /// From the gradient of the output, for both lanes (the network's activations and the alternative's),
  /// the gradient of the input, or nil when nothing below needs it (`context.passDown` is false; the
  /// network then stops). Parameter gradients go to `context.store` when `context.wanted`.
  func backward(
    _ cache: Network<Scalar>.Cache, _ gradient: Network<Scalar>.Lanes, _ context: inout Network<Scalar>.BackwardContext
  ) -> Network<Scalar>.Lanes?

  /// The format of the layer's output under a precision policy, for input in `entering` (nil: the
  /// storage format): by the rule of the layer's class (`Network+Policy.swift`); a residual block's is
  /// the wider of its branches'.
  func outputFormat(entering: FloatFormat?, _ policy: PrecisionPolicy, exempt: Bool) -> FloatFormat?

  /// The same layer with its parameters and buffers converted into another format, as a `Layer` case.
  func converted<U: PrecisionScalar>(to _: U.Type, name: String) -> Layer<U>

  /// The same layer with every activation in it replaced (same forward, other kink derivatives).
  func replacingActivations(with activation: Activation) -> Self

  /// The inputs of every activation in the layer in a forward pass that kept `cache` (what the kink
  /// counts count): the activation's own input, a residual block's activations' inputs.
  func activationInputs(_ cache: Network<Scalar>.Cache) -> [Tensor<Scalar>]

  /// How the exact zeros of this layer's output `z` (an activation's input, at its kinks) arose, when the
  /// output is a dot product of stored values (`ZeroCause.classify`): a dense layer's, a convolution's, a
  /// residual sum of convolutions. Nil for an output that is not one (batch norm, pooling).
  func zeroCauses(_ cache: Network<Scalar>.Cache, output z: Tensor<Scalar>) -> ZeroCauses?

  /// The causes of the zeros inside the layer (a residual block's own layers), whatever follows it.
  func innerZeroCauses(_ cache: Network<Scalar>.Cache) -> ZeroCauses
}

extension NetworkLayer {
  func parameterNames(prefix _: String) -> [String] { [] }
  var parameters: [Tensor<Scalar>] {
    get { [] }
    set { precondition(newValue.isEmpty, "a layer without parameters was given \(newValue.count)") }
  }
  var buffers: [Tensor<Scalar>] {
    get { [] }
    set { precondition(newValue.isEmpty, "a layer without buffers was given \(newValue.count)") }
  }
  var randomStreams: Int { 0 }
  func replacingActivations(with _: Activation) -> Self { self }
  func activationInputs(_: Network<Scalar>.Cache) -> [Tensor<Scalar>] { [] }
  func zeroCauses(_: Network<Scalar>.Cache, output _: Tensor<Scalar>) -> ZeroCauses? { nil }
  func innerZeroCauses(_: Network<Scalar>.Cache) -> ZeroCauses { ZeroCauses() }
}

/// A layer without parameters or buffers whose passes are the same code for every scalar type
/// (activations, pooling, flatten, dropout): it conforms once, generically, and `ParameterFree` makes
/// it a `NetworkLayer` of any scalar.
protocol ParameterFreeLayer: Sendable {
  /// How many numbered random streams the layer draws from (see `NetworkLayer.randomStreams`).
  var randomStreams: Int { get }
  func forward<T: PrecisionScalar>(_ x: Tensor<T>, _ context: inout Network<T>.ForwardContext) -> (Tensor<T>, Network<T>.Cache)
  func backward<T: PrecisionScalar>(
    _ cache: Network<T>.Cache, _ gradient: Network<T>.Lanes, _ context: inout Network<T>.BackwardContext
  ) -> Network<T>.Lanes?
  /// The `Layer` case that holds this layer.
  func layer<T: PrecisionScalar>(as _: T.Type) -> Layer<T>
  func replacingActivations(with activation: Activation) -> Self
  /// See `NetworkLayer.activationInputs`.
  func activationInputs<T: PrecisionScalar>(_ cache: Network<T>.Cache) -> [Tensor<T>]
}

extension ParameterFreeLayer {
  var randomStreams: Int { 0 }
  func replacingActivations(with _: Activation) -> Self { self }
  func activationInputs<T: PrecisionScalar>(_: Network<T>.Cache) -> [Tensor<T>] { [] }
}

/// A parameter-free layer seen as a layer of scalar type `T`.
struct ParameterFree<Wrapped: ParameterFreeLayer, T: PrecisionScalar>: NetworkLayer {
  var wrapped: Wrapped

  /// Every parameter-free layer is elementwise or pooling: it runs in its input's format.
  static var operation: OperationClass { .elementwise }

  var randomStreams: Int { wrapped.randomStreams }

  func forward(_ x: Tensor<T>, _ context: inout Network<T>.ForwardContext) -> (Tensor<T>, Network<T>.Cache) {
    wrapped.forward(x, &context)
  }

  func backward(_ cache: Network<T>.Cache, _ gradient: Network<T>.Lanes, _ context: inout Network<T>.BackwardContext) -> Network<T>.Lanes? {
    wrapped.backward(cache, gradient, &context)
  }

  func converted<U: PrecisionScalar>(to _: U.Type, name _: String) -> Layer<U> { wrapped.layer(as: U.self) }

  func replacingActivations(with activation: Activation) -> Self { Self(wrapped: wrapped.replacingActivations(with: activation)) }

  func activationInputs(_ cache: Network<T>.Cache) -> [Tensor<T>] { wrapped.activationInputs(cache) }
}

/// One operation over a layer of whatever type (the body of a generic closure, which Swift lacks):
/// `Layer.open` and `Layer.modify` call `visit` with the layer's own type, so the call is specialised.
protocol LayerVisitor<Scalar> {
  associatedtype Scalar: PrecisionScalar
  associatedtype Result
  /// `name`: the layer's state_dict prefix ("" for a layer without parameters).
  mutating func visit<L: NetworkLayer<Scalar>>(_ layer: inout L, name: String) -> Result
}
