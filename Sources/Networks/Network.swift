import Scalars
import Tensors

/// One step of a network. Parameterised layers carry their PyTorch state_dict prefix.
public indirect enum Layer<T: PrecisionScalar>: Sendable {
  case linear(Linear<T>, name: String)
  case conv(Conv2d<T>, name: String)
  case batchNorm(BatchNorm<T>, name: String)
  case activation(Activation)
  case maxPool(MaxPool2d)
  case avgPool(AvgPool2d)
  case flatten
  case dropout(Dropout)
  /// y = main(x) + shortcut(x) (an empty shortcut is the identity), one rounded addition per element.
  case residual(main: [Layer<T>], shortcut: [Layer<T>])
}

/// A feed-forward network as a list of layers (micrograd-style: an obvious forward, an obvious
/// backward, nothing else), used for the VGG- and ResNet-like models.
///
/// Parameters are named as in the equivalent PyTorch model's state_dict (`features.0.weight`,
/// `layer1.0.conv1.weight`, …); batch-norm running statistics are buffers, not parameters.
public struct Network<T: PrecisionScalar>: Sendable {
  public var layers: [Layer<T>]

  public init(layers: [Layer<T>]) { self.layers = layers }

  // MARK: Parameters

  /// Names of the trainable parameters, in forward order.
  public var parameterNames: [String] { Self.names(layers) }

  static func names(_ layers: [Layer<T>]) -> [String] {
    layers.flatMap { layer -> [String] in
      switch layer {
      case .linear(_, let name): return ["\(name).weight", "\(name).bias"]
      case .conv(let c, let name): return c.bias == nil ? ["\(name).weight"] : ["\(name).weight", "\(name).bias"]
      case .batchNorm(_, let name): return ["\(name).weight", "\(name).bias"]
      case .residual(let main, let shortcut): return names(main) + names(shortcut)
      default: return []
      }
    }
  }

  /// The trainable parameters in `parameterNames` order.
  public var parameters: [Tensor<T>] {
    get { Self.parameters(layers) }
    set {
      var index = 0
      Self.setParameters(&layers, newValue, &index)
      precondition(index == newValue.count, "\(newValue.count) tensors for \(index) parameters")
    }
  }

  /// Batch-norm running means and variances (buffers, not parameters), in forward order.
  public var buffers: [Tensor<T>] {
    get { Self.buffers(layers) }
    set {
      var index = 0
      Self.setBuffers(&layers, newValue, &index)
      precondition(index == newValue.count, "\(newValue.count) tensors for \(index) buffers")
    }
  }

  static func buffers(_ layers: [Layer<T>]) -> [Tensor<T>] {
    layers.flatMap { layer -> [Tensor<T>] in
      switch layer {
      case .batchNorm(let b, _): return [b.runningMean, b.runningVariance]
      case .residual(let main, let shortcut): return buffers(main) + buffers(shortcut)
      default: return []
      }
    }
  }

  static func setBuffers(_ layers: inout [Layer<T>], _ values: [Tensor<T>], _ index: inout Int) {
    for k in layers.indices {
      switch layers[k] {
      case .batchNorm(var b, let name):
        precondition(index + 1 < values.count + 1 && values[index].shape == b.runningMean.shape, "buffer \(index): shape")
        b.runningMean = values[index]; b.runningVariance = values[index + 1]
        index += 2
        layers[k] = .batchNorm(b, name: name)
      case .residual(var main, var shortcut):
        setBuffers(&main, values, &index)
        setBuffers(&shortcut, values, &index)
        layers[k] = .residual(main: main, shortcut: shortcut)
      default: break
      }
    }
  }

  static func parameters(_ layers: [Layer<T>]) -> [Tensor<T>] {
    layers.flatMap { layer -> [Tensor<T>] in
      switch layer {
      case .linear(let l, _): return [l.weight, l.bias]
      case .conv(let c, _): return [c.weight] + (c.bias.map { [$0] } ?? [])
      case .batchNorm(let b, _): return [b.gamma, b.beta]
      case .residual(let main, let shortcut): return parameters(main) + parameters(shortcut)
      default: return []
      }
    }
  }

  static func setParameters(_ layers: inout [Layer<T>], _ values: [Tensor<T>], _ index: inout Int) {
    func next(_ like: Tensor<T>) -> Tensor<T> {
      precondition(index < values.count && values[index].shape == like.shape, "parameter \(index): expected shape \(like.shape)")
      defer { index += 1 }
      return values[index]
    }
    for k in layers.indices {
      switch layers[k] {
      case .linear(var l, let name):
        l.weight = next(l.weight); l.bias = next(l.bias)
        layers[k] = .linear(l, name: name)
      case .conv(var c, let name):
        c.weight = next(c.weight)
        if let b = c.bias { c.bias = next(b) }
        layers[k] = .conv(c, name: name)
      case .batchNorm(var b, let name):
        b.gamma = next(b.gamma); b.beta = next(b.beta)
        layers[k] = .batchNorm(b, name: name)
      case .residual(var main, var shortcut):
        setParameters(&main, values, &index)
        setParameters(&shortcut, values, &index)
        layers[k] = .residual(main: main, shortcut: shortcut)
      default: break
      }
    }
  }

  /// The same network with every parameter and buffer converted into another format.
  public func converted<U: PrecisionScalar>(to _: U.Type) -> Network<U> {
    func convert(_ layers: [Layer<T>]) -> [Layer<U>] {
      layers.map { layer -> Layer<U> in
        switch layer {
        case .linear(let l, let name):
          return .linear(Linear(weight: l.weight.converted(to: U.self), bias: l.bias.converted(to: U.self)), name: name)
        case .conv(let c, let name):
          return .conv(Conv2d(weight: c.weight.converted(to: U.self), bias: c.bias?.converted(to: U.self), stride: c.stride, padding: c.padding), name: name)
        case .batchNorm(let b, let name):
          var n = BatchNorm<U>(channels: b.channels)
          n.gamma = b.gamma.converted(to: U.self); n.beta = b.beta.converted(to: U.self)
          n.runningMean = b.runningMean.converted(to: U.self); n.runningVariance = b.runningVariance.converted(to: U.self)
          n.epsilon = b.epsilon; n.momentum = b.momentum
          return .batchNorm(n, name: name)
        case .activation(let a): return .activation(a)
        case .maxPool(let p): return .maxPool(p)
        case .avgPool(let p): return .avgPool(p)
        case .flatten: return .flatten
        case .dropout(let d): return .dropout(d)
        case .residual(let main, let shortcut): return .residual(main: convert(main), shortcut: convert(shortcut))
        }
      }
    }
    return Network<U>(layers: convert(layers))
  }

  // MARK: Forward and backward

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

  /// Forward through `layers`; updates batch-norm running statistics in training. Counts activation
  /// inputs at a kink into `kinks`; `counter` numbers the activation and dropout layers.
  static func forward<Acc: PrecisionScalar>(
    _ layers: inout [Layer<T>], _ x: Tensor<T>, _ plan: KernelPlan<Acc>, _ pass: Pass, _ counter: inout Int,
    _ kinks: inout [Int]
  ) -> (Tensor<T>, [Cache]) {
    var h = x
    var caches: [Cache] = []
    for k in layers.indices {
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
        h = Tensor(shape: a.shape, storage: zip(a.storage, b.storage).map { $0 + $1 })
      }
    }
    return (h, caches)
  }

  /// Backward through `layers` from grad_out; appends parameter gradients (reverse order) to `grads`.
  static func backward<Acc: PrecisionScalar>(
    _ layers: [Layer<T>], _ caches: [Cache], _ gradOut: Tensor<T>, _ plan: KernelPlan<Acc>, _ pass: Pass,
    _ counter: inout Int, _ grads: inout [Tensor<T>], needInput: Bool
  ) -> Tensor<T>? {
    var g: Tensor<T>? = gradOut
    for k in layers.indices.reversed() {
      guard let current = g else { break }
      let wantInput = needInput || k > 0
      switch (layers[k], caches[k]) {
      case (.linear(let l, _), .input(let x)):
        let r = l.backward(input: x, gradOut: current, needInput: wantInput, plan)
        grads += [r.bias, r.weight]; g = r.input
      case (.conv(let c, _), .input(let x)):
        let r = c.backward(input: x, gradOut: current, needInput: wantInput, plan)
        if let b = r.bias { grads.append(b) }
        grads.append(r.weight); g = r.input
      case (.batchNorm(let b, _), .batchNorm(let cache)):
        guard let cache else { preconditionFailure("backward needs a training forward pass through batch norm") }
        let r = b.backward(cache, gradOut: current, plan)
        grads += [r.beta, r.gamma]; g = r.input
      case (.activation(let a), .input(let x)):
        counter -= 1
        g = a.backward(x, current, layer: counter, step: pass.step)
      case (.maxPool(let p), .input(let x)):
        g = p.backward(input: x, gradOut: current)
      case (.avgPool(let p), .shape(let shape)):
        g = p.backward(inputShape: shape, gradOut: current)
      case (.flatten, .shape(let shape)):
        g = current.reshaped(shape)
      case (.dropout(let d), _):
        counter -= 1
        if pass.training { g = d.backward(current, layer: counter, step: pass.step) }
      case (.residual(let main, let shortcut), .residual(let mainCaches, let shortcutCaches)):
        // The shortcut ran after the main branch, so it is undone first (parameter order).
        let viaShortcut = shortcut.isEmpty
          ? current : backward(shortcut, shortcutCaches, current, plan, pass, &counter, &grads, needInput: true)!
        let viaMain = backward(main, mainCaches, current, plan, pass, &counter, &grads, needInput: true)!
        g = Tensor(shape: viaMain.shape, storage: zip(viaMain.storage, viaShortcut.storage).map { $0 + $1 })
      default:
        preconditionFailure("cache does not match layer \(k)")
      }
    }
    return needInput ? g : nil
  }

  /// What `forwardPass` keeps for backprop: the logits, every layer's cache, and the number of
  /// activation inputs at a kink per activation layer in forward order.
  public struct ForwardPass: Sendable {
    public var logits: Tensor<T>
    public var caches: [Cache]
    public var kinks: [Int]
  }

  /// Forward, keeping what backprop needs (updates batch-norm running statistics in training).
  public mutating func forwardPass<Acc: PrecisionScalar>(_ x: Tensor<T>, _ plan: KernelPlan<Acc>, _ pass: Pass = Pass()) -> ForwardPass {
    var counter = 0
    var kinks: [Int] = []
    let (logits, caches) = Self.forward(&layers, x, plan, pass, &counter, &kinks)
    return ForwardPass(logits: logits, caches: caches, kinks: kinks)
  }

  /// Every parameter's gradient (in `parameterNames` order) by backprop from `dLogits` through a
  /// forward pass of this network (or of one with the same parameters and other kink derivatives,
  /// see `replacingActivations`).
  public func backward<Acc: PrecisionScalar>(_ forward: ForwardPass, dLogits: Tensor<T>, _ plan: KernelPlan<Acc>, _ pass: Pass = Pass()) -> [Tensor<T>] {
    var counter = forward.kinks.count + Self.dropoutCount(layers)
    var grads: [Tensor<T>] = []
    _ = Self.backward(layers, forward.caches, dLogits, plan, pass, &counter, &grads, needInput: false)
    return grads.reversed()
  }

  static func dropoutCount(_ layers: [Layer<T>]) -> Int {
    layers.reduce(0) { n, layer in
      switch layer {
      case .dropout: return n + 1
      case .residual(let main, let shortcut): return n + dropoutCount(main) + dropoutCount(shortcut)
      default: return n
      }
    }
  }

  /// The same network with every activation replaced (same forward, other kink derivatives).
  public func replacingActivations(with activation: Activation) -> Network {
    func replace(_ layers: [Layer<T>]) -> [Layer<T>] {
      layers.map { layer in
        switch layer {
        case .activation: return .activation(activation)
        case .residual(let main, let shortcut): return .residual(main: replace(main), shortcut: replace(shortcut))
        default: return layer
        }
      }
    }
    return Network(layers: replace(layers))
  }

  /// Forward (updating batch-norm running statistics in training), the mean cross-entropy loss, and
  /// every parameter's gradient in `parameterNames` order. Also the number of activation inputs at a
  /// kink, per activation layer in forward order.
  /// With `lossScale` ≠ 1 the backward pass starts from the loss gradient multiplied by it.
  public mutating func lossAndGradients<Acc: PrecisionScalar>(
    _ x: Tensor<T>, labels: [Int], _ plan: KernelPlan<Acc>, _ pass: Pass = Pass(), lossScale: Double = 1
  ) -> (loss: T, gradients: [Tensor<T>], kinks: [Int]) {
    let forward = forwardPass(x, plan, pass)
    let (loss, unscaled) = SoftmaxCrossEntropy.lossAndGradient(logits: forward.logits, labels: labels)
    let dLogits = SoftmaxCrossEntropy.scaled(unscaled, by: lossScale)
    return (loss, backward(forward, dLogits: dLogits, plan, pass), forward.kinks)
  }

  /// The logits (evaluation mode unless `pass.training`; training mode updates running statistics).
  public mutating func logits<Acc: PrecisionScalar>(_ x: Tensor<T>, _ plan: KernelPlan<Acc>, _ pass: Pass = Pass(training: false)) -> Tensor<T> {
    var counter = 0
    var kinks: [Int] = []
    return Self.forward(&layers, x, plan, pass, &counter, &kinks).0
  }

  /// The mean cross-entropy loss alone.
  public mutating func loss<Acc: PrecisionScalar>(_ x: Tensor<T>, labels: [Int], _ plan: KernelPlan<Acc>, _ pass: Pass = Pass(training: false)) -> T {
    SoftmaxCrossEntropy.lossAndGradient(logits: logits(x, plan, pass), labels: labels).loss
  }
}
