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
    var counter = 0
    var kinks: [Int] = []
    let (logits, caches) = Self.forward(&layers, x, plan, pass, &counter, &kinks)
    return ForwardPass(logits: logits, caches: caches, kinks: kinks)
  }

  /// The logits (evaluation mode unless `pass.training`; training mode updates running statistics).
  public mutating func logits(_ x: Tensor<T>, _ plan: KernelPlan, _ pass: Pass = Pass(training: false)) -> Tensor<T> {
    var counter = 0
    var kinks: [Int] = []
    return Self.forward(&layers, x, plan, pass, &counter, &kinks).0
  }

  /// The mean cross-entropy loss alone.
  public mutating func loss(_ x: Tensor<T>, labels: [Int], _ plan: KernelPlan, _ pass: Pass = Pass(training: false)) -> T {
    SoftmaxCrossEntropy.lossAndGradient(logits: logits(x, plan, pass), labels: labels).loss
  }

  /// Forward through `layers`; updates batch-norm running statistics in training. Counts activation
  /// inputs at a kink into `kinks`; `counter` numbers the activation and dropout layers.
  static func forward(
    _ layers: inout [Layer<T>], _ x: Tensor<T>, _ plan: KernelPlan, _ pass: Pass, _ counter: inout Int, _ kinks: inout [Int]
  ) -> (Tensor<T>, [Cache]) {
    var h = x
    var caches: [Cache] = []
    caches.reserveCapacity(layers.count)
    let report = LayerProgress.report
    for k in layers.indices {
      defer { report?() }
      switch layers[k] {
      case .linear(let l, _):
        caches.append(.input(h)); h = l.forward(h, plan)
      case .conv(let c, _):
        caches.append(.input(h)); h = c.forward(h, plan)
      case .batchNorm(var b, let name):
        let (y, cache) = b.forward(h, training: pass.training, plan)
        layers[k] = .batchNorm(b, name: name)
        caches.append(.batchNorm(cache)); h = y
      case .activation(let a):
        kinks.append(a.kinkCount(h))
        caches.append(.input(h)); h = a.forward(h)
        counter += 1
      case .maxPool(let p):
        caches.append(.input(h)); h = p.forward(h)
      case .avgPool(let p):
        caches.append(.shape(h.shape)); h = p.forward(h, plan)
      case .flatten:
        caches.append(.shape(h.shape)); h = h.reshaped([h.shape[0], h.count / max(h.shape[0], 1)])
      case .dropout(let d):
        caches.append(.none)
        if pass.training { h = d.forward(h, layer: counter, step: pass.step) }
        counter += 1
      case .residual(var main, var shortcut):
        let (a, mainCaches) = forward(&main, h, plan, pass, &counter, &kinks)
        let (b, shortcutCaches) = forward(&shortcut, h, plan, pass, &counter, &kinks)
        layers[k] = .residual(main: main, shortcut: shortcut)
        precondition(a.shape == b.shape, "residual branches disagree: \(a.shape) and \(b.shape)")
        caches.append(.residual(main: mainCaches, shortcut: shortcutCaches))
        h = a.adding(b)
      }
    }
    return (h, caches)
  }

  /// The inputs of every activation layer of a forward pass, in forward order (what `kinks` counts).
  public func activationInputs(_ forward: ForwardPass) -> [Tensor<T>] {
    Self.activationInputs(layers, forward.caches)
  }

  static func activationInputs(_ layers: [Layer<T>], _ caches: [Cache]) -> [Tensor<T>] {
    var inputs: [Tensor<T>] = []
    for (layer, cache) in zip(layers, caches) {
      switch (layer, cache) {
      case (.activation, .input(let h)): inputs.append(h)
      case (.residual(let main, let shortcut), .residual(let mc, let sc)):
        inputs += activationInputs(main, mc) + activationInputs(shortcut, sc)
      default: break
      }
    }
    return inputs
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
