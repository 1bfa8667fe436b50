import Scalars
import Tensors

/// A multilayer perceptron: Linear → activation → … → Linear, generic over the scalar.
///
/// `widths` lists the layer sizes with input and output included (784, 256, 256, 10). The activation
/// follows every Linear except the last, and (for the flagship paper's second builder) optionally not
/// the first. Parameter names follow the equivalent `torch.nn.Sequential`: `0.weight`, `0.bias`,
/// `2.weight`, … (an activation takes an index too).
public struct MLP<T: PrecisionScalar>: Sendable {
  public var layers: [Linear<T>]
  public var activation: Activation
  public var activateFirstLayer: Bool

  public init(layers: [Linear<T>], activation: Activation, activateFirstLayer: Bool = true) {
    precondition(!layers.isEmpty, "an MLP needs at least one layer")
    for (a, b) in zip(layers, layers.dropFirst()) {
      precondition(a.outputs == b.inputs, "layer widths do not chain: \(a.outputs) then \(b.inputs)")
    }
    self.layers = layers
    self.activation = activation
    self.activateFirstLayer = activateFirstLayer
  }

  /// PyTorch-default initialisation from `seed` (see `Initializer`).
  public static func pytorchDefault(
    widths: [Int], seed: UInt64, activation: Activation = .relu(0), activateFirstLayer: Bool = true,
    initFormat: FloatFormat = .binary32
  ) -> MLP {
    precondition(widths.count >= 2 && widths.allSatisfy { $0 >= 1 }, "widths \(widths): need input and output sizes ≥ 1")
    var initializer = Initializer(seed: seed, format: initFormat)
    let layers = zip(widths, widths.dropFirst()).map { initializer.linear(inputs: $0, outputs: $1, as: T.self) }
    return MLP(layers: layers, activation: activation, activateFirstLayer: activateFirstLayer)
  }

  public var widths: [Int] { [layers[0].inputs] + layers.map(\.outputs) }

  /// The MLP variant with batch norm before each activation and/or dropout after it, as a general
  /// `Network` with the equivalent `torch.nn.Sequential` names (Linear 0, BatchNorm1d 1, ReLU 2,
  /// Dropout 3, Linear 4, …). Without batch norm and dropout it computes exactly what `MLP` does.
  public static func layout(
    widths: [Int], activation: Activation = .relu(0), activateFirstLayer: Bool = true, batchNorm: Bool = false,
    dropout: Double? = nil, dropoutSeed: UInt64 = 0
  ) -> [LayerSpec] {
    precondition(widths.count >= 2 && widths.allSatisfy { $0 >= 1 }, "widths \(widths): need input and output sizes ≥ 1")
    var specs: [LayerSpec] = []
    var index = 0
    for l in 0..<(widths.count - 1) {
      specs.append(.linear(inputs: widths[l], outputs: widths[l + 1], name: "\(index)"))
      index += 1
      guard l < widths.count - 2 && (l > 0 || activateFirstLayer) else { continue }
      if batchNorm {
        specs.append(.batchNorm(channels: widths[l + 1], name: "\(index)"))
        index += 1
      }
      specs.append(.activation(activation))
      index += 1
      if let p = dropout {
        specs.append(.dropout(Dropout(probability: p, seed: dropoutSeed)))
        index += 1
      }
    }
    return specs
  }

  /// Whether the activation follows layer `l`.
  public func activates(after l: Int) -> Bool {
    l < layers.count - 1 && (l > 0 || activateFirstLayer)
  }

  /// `torch.nn.Sequential` names of the parameters, layer by layer (weight, bias).
  public var parameterNames: [String] {
    var names: [String] = []
    var index = 0
    for l in layers.indices {
      names += ["\(index).weight", "\(index).bias"]
      index += activates(after: l) ? 2 : 1
    }
    return names
  }

  /// Weight and bias of every layer, in `parameterNames` order.
  public var parameters: [Tensor<T>] {
    get { layers.flatMap { [$0.weight, $0.bias] } }
    set {
      precondition(newValue.count == 2 * layers.count, "\(newValue.count) tensors for \(2 * layers.count) parameters")
      for l in layers.indices {
        layers[l] = Linear(weight: newValue[2 * l], bias: newValue[2 * l + 1])
      }
    }
  }

  /// The same network with every parameter converted into another format.
  public func converted<U: PrecisionScalar>(to _: U.Type) -> MLP<U> {
    MLP<U>(
      layers: layers.map { Linear(weight: $0.weight.converted(to: U.self), bias: $0.bias.converted(to: U.self)) },
      activation: activation, activateFirstLayer: activateFirstLayer)
  }

  /// What a forward pass keeps for backprop.
  public struct ForwardPass: Sendable {
    /// The input of each Linear layer.
    public var inputs: [Tensor<T>]
    /// The output of each Linear layer (the activations' inputs, and the logits last).
    public var preActivations: [Tensor<T>]
    public var logits: Tensor<T> { preActivations.last! }
  }

  public func forward<Acc: PrecisionScalar>(_ x: Tensor<T>, _ plan: KernelPlan<Acc>) -> ForwardPass {
    var inputs: [Tensor<T>] = []
    var pre: [Tensor<T>] = []
    var h = x
    for (l, layer) in layers.enumerated() {
      inputs.append(h)
      let z = layer.forward(h, plan)
      pre.append(z)
      h = activates(after: l) ? activation.forward(z) : z
    }
    return ForwardPass(inputs: inputs, preActivations: pre)
  }

  /// Gradients of every parameter, in layer order.
  public struct Gradients: Sendable {
    public var weights: [Tensor<T>]
    public var biases: [Tensor<T>]
    /// Weight then bias per layer, matching `parameterNames`.
    public var all: [Tensor<T>] { zip(weights, biases).flatMap { [$0, $1] } }
  }

  /// The mean cross-entropy loss on `(x, labels)` and every parameter's gradient, by backprop.
  /// `step` keys random kink derivatives. Also returns how many activation inputs sat exactly at a
  /// kink, per activated layer.
  /// With `lossScale` ≠ 1 the backward pass starts from the loss gradient multiplied by it (one
  /// rounding per element), for mixed-precision training.
  public func lossAndGradients<Acc: PrecisionScalar>(
    _ x: Tensor<T>, labels: [Int], _ plan: KernelPlan<Acc>, step: Int = 0, lossScale: Double = 1
  ) -> (loss: T, gradients: Gradients, kinks: [Int]) {
    let pass = forward(x, plan)
    let (loss, unscaled) = SoftmaxCrossEntropy.lossAndGradient(logits: pass.logits, labels: labels)
    let dLogits = SoftmaxCrossEntropy.scaled(unscaled, by: lossScale)
    let gradients = backward(pass, dLogits: dLogits, plan, step: step)
    return (loss, gradients, kinkCounts(pass))
  }

  /// Backprop from the loss gradient `dLogits` through a forward pass `pass` of this network, with the
  /// network's activation or `activation` (same forward, another derivative at the kinks: what the
  /// ReLU'(0) studies compare). `stopAt` skips the layers below it (their gradients come back empty,
  /// shape [0]): enough for comparing the layers from `stopAt` up.
  public func backward<Acc: PrecisionScalar>(
    _ pass: ForwardPass, dLogits: Tensor<T>, _ plan: KernelPlan<Acc>, step: Int = 0, activation: Activation? = nil,
    stopAt: Int = 0
  ) -> Gradients {
    let activation = activation ?? self.activation
    let empty = Tensor<T>(zeros: [0])
    var weights = [Tensor<T>](repeating: empty, count: layers.count)
    var biases = [Tensor<T>](repeating: empty, count: layers.count)
    var gradOut = dLogits
    for l in layers.indices.reversed() where l >= stopAt {
      let g = layers[l].backward(input: pass.inputs[l], gradOut: gradOut, needInput: l > stopAt, plan)
      weights[l] = g.weight
      biases[l] = g.bias
      if l > stopAt, let dInput = g.input {
        gradOut = activates(after: l - 1)
          ? activation.backward(pass.preActivations[l - 1], dInput, layer: l - 1, step: step) : dInput
      }
    }
    return Gradients(weights: weights, biases: biases)
  }

  /// How many activation inputs of a forward pass sit exactly at a kink, per activated layer.
  public func kinkCounts(_ pass: ForwardPass) -> [Int] {
    layers.indices.filter { activates(after: $0) }.map { activation.kinkCount(pass.preActivations[$0]) }
  }

  /// The loss alone (for finite differences and evaluation).
  public func loss<Acc: PrecisionScalar>(_ x: Tensor<T>, labels: [Int], _ plan: KernelPlan<Acc>) -> T {
    SoftmaxCrossEntropy.lossAndGradient(logits: forward(x, plan).logits, labels: labels).loss
  }
}
