import Scalars
import Tensors

extension Network {
  /// What a forward pass keeps for backprop, per layer.
  public indirect enum Cache: Sendable {
    case input(Tensor<T>)
    case shape([Int])
    case batchNorm(BatchNorm<T>.Cache?)
    case none
    case residual(main: [Cache], shortcut: [Cache])
  }

  /// Options of one pass: training mode (batch statistics, dropout), the step number (keys random kink
  /// derivatives and dropout masks).
  public struct Pass: Sendable {
    public var training: Bool
    public var step: Int
    public init(training: Bool = true, step: Int = 0) {
      self.training = training
      self.step = step
    }
  }

  /// What `forwardPass` keeps for backprop: the logits, every layer's cache, and the number of
  /// activation inputs at a kink per activation layer in forward order.
  public struct ForwardPass: Sendable {
    public var logits: Tensor<T>
    public var caches: [Cache]
    public var kinks: [Int]
  }

  /// Forward, keeping what backprop needs (updates batch-norm running statistics in training).
  public mutating func forwardPass(_ x: Tensor<T>, _ plan: KernelPlan, _ pass: Pass = Pass()) -> ForwardPass {
    var context = ForwardContext(plan: plan, pass: pass)
    let (logits, caches) = Self.forward(&layers, x, &context)
    return ForwardPass(logits: logits, caches: caches, kinks: context.kinks)
  }

  /// The logits (evaluation mode unless `pass.training`; training mode updates running statistics).
  public mutating func logits(_ x: Tensor<T>, _ plan: KernelPlan, _ pass: Pass = Pass(training: false)) -> Tensor<T> {
    var context = ForwardContext(plan: plan, pass: pass)
    return Self.forward(&layers, x, &context).0
  }

  /// The mean cross-entropy loss alone.
  public mutating func loss(_ x: Tensor<T>, labels: [Int], _ plan: KernelPlan, _ pass: Pass = Pass(training: false)) -> T {
    SoftmaxCrossEntropy.lossAndGradient(logits: logits(x, plan, pass), labels: labels).loss
  }

  /// One layer's forward step, as a visitor: the layer's output and cache from `input`.
  struct ForwardStep: LayerVisitor {
    typealias Scalar = T
    typealias Result = (Tensor<T>, Cache)
    var input: Tensor<T>
    var context: ForwardContext
    /// The layer's index in its list.
    var index = 0

    mutating func visit<L: NetworkLayer<T>>(_ layer: inout L, name _: String) -> (Tensor<T>, Cache) {
      let position = context.precision
      guard let policy = position.policy, let rule = position.rule(L.operation, index) else { return layer.forward(input, &context) }
      // Under a policy: the layer's plan and parameters as its rule says, its output in its format.
      let output = layer.outputFormat(entering: position.format, policy, exempt: position.isExempt(index))
      var (y, cache): (Tensor<T>, Cache)
      if rule == .lower {
        context.plan = policy.lowerPlan(position.base)
        var lowered = layer
        lowered.parameters = Network.loweredParameters(layer.parameters, policy)
        (y, cache) = lowered.forward(input, &context)
      } else {
        context.plan = position.base
        (y, cache) = layer.forward(input, &context)
      }
      context.precision.format = output
      return (Network.rounded(y, into: output), cache)
    }
  }

  /// Forward through `layers`, each in turn (updating batch-norm running statistics in training, counting
  /// activation inputs at a kink and numbering random streams in `context`). One step visits every
  /// layer and holds the context meanwhile (the caller's copy gives up its kink list, so appending to it
  /// never copies).
  static func forward(_ layers: inout [Layer<T>], _ x: Tensor<T>, _ context: inout ForwardContext) -> (Tensor<T>, [Cache]) {
    var caches: [Cache] = []
    caches.reserveCapacity(layers.count)
    let report = LayerProgress.report
    var step = ForwardStep(input: x, context: context)
    context.kinks = []
    let entering = step.context.precision.enter(layers)
    defer {
      step.context.precision.leave(restoring: entering)
      context = step.context
    }
    for k in layers.indices {
      defer { report?() }
      step.index = k
      let (y, cache) = layers[k].modify(&step)
      caches.append(cache)
      step.input = y
    }
    return (step.input, caches)
  }

  /// The inputs of every activation layer of a forward pass, in forward order (what `kinks` counts).
  public func activationInputs(_ forward: ForwardPass) -> [Tensor<T>] {
    Self.activationInputs(layers, forward.caches)
  }

  static func activationInputs(_ layers: [Layer<T>], _ caches: [Cache]) -> [Tensor<T>] {
    var v = ActivationInputs()
    return zip(layers, caches).flatMap { layer, cache in
      v.cache = cache
      return layer.open(&v)
    }
  }

  struct ActivationInputs: LayerVisitor {
    typealias Scalar = T
    typealias Result = [Tensor<T>]
    var cache = Cache.none
    mutating func visit<L: NetworkLayer<T>>(_ layer: inout L, name _: String) -> [Tensor<T>] { layer.activationInputs(cache) }
  }

  /// The output of the top-level layer `k` in a forward pass: the input layer `k + 1` kept (a dense or
  /// convolution layer's output is the pre-activation its activation sees).
  /// - Precondition: layer `k + 1` keeps its input (a dense, convolution, activation or max-pool layer).
  public func output(ofLayer k: Int, _ forward: ForwardPass) -> Tensor<T> {
    guard k + 1 < forward.caches.count, case .input(let h) = forward.caches[k + 1] else {
      preconditionFailure("layer \(k + 1) does not keep its input")
    }
    return h
  }
}

extension Tensor {
  /// Elementwise sum, each element rounded once (a residual connection).
  @inlinable func adding(_ other: Tensor) -> Tensor {
    Tensor(shape: shape, storage: zip(storage, other.storage).map { $0 + $1 })
  }
}
