import Scalars
import Tensors

extension Network {
  /// Which parameter gradients a backward pass forms.
  public enum GradientSelection: Sendable, Hashable {
    /// Every parameter's, in `parameterNames` order.
    case all
    /// Only the first parameterised layer's (its weight, then its bias if any): the layers above pass
    /// their input gradient down and form nothing else, the flagship paper's comparison.
    case firstLayer
  }

  /// Every parameter's gradient (in `parameterNames` order) by backprop from `dLogits` through a
  /// forward pass of this network (or of one with the same parameters and other kink derivatives,
  /// see `replacingActivations`).
  public func backward(_ forward: ForwardPass, dLogits: Tensor<T>, _ plan: KernelPlan, _ pass: Pass = Pass()) -> [Tensor<T>] {
    run(forward, dLogits, alternative: nil, .all, plan, pass).a
  }

  /// Two backward passes from one forward pass: with this network's activations and with every one
  /// replaced by `alternative` (same forward, another derivative at the kinks: what the ReLU'(0)
  /// studies compare). Both are the same computation until the gradient reaches an activation with an
  /// input exactly at a kink; that part is done once, so the result equals two separate `backward`
  /// calls, at the cost of one where no kink is met. (With stochastic rounding every operation draws
  /// from the stream, so there run two separate passes from one reseeded stream instead.)
  public func pairedBackward(
    _ forward: ForwardPass, dLogits: Tensor<T>, alternative: Activation, selection: GradientSelection, _ plan: KernelPlan,
    _ pass: Pass = Pass()
  ) -> (a: [Tensor<T>], b: [Tensor<T>]) {
    let r = run(forward, dLogits, alternative: alternative, selection, plan, pass)
    return (r.a, r.b)
  }

  /// The gradient flowing down, for this network's activations (`a`) and for the alternative (`b`,
  /// nil while it is the same as `a`).
  struct Lanes {
    var a: Tensor<T>
    var b: Tensor<T>?
  }

  /// Gradients by parameter index, for both lanes.
  struct Collected {
    var a: [Tensor<T>?]
    var b: [Tensor<T>?]

    mutating func store(_ index: Int, _ gradient: Tensor<T>, _ other: Tensor<T>?) {
      a[index] = gradient
      b[index] = other ?? gradient
    }
  }

  func run(
    _ forward: ForwardPass, _ dLogits: Tensor<T>, alternative: Activation?, _ selection: GradientSelection, _ plan: KernelPlan,
    _ pass: Pass
  ) -> (a: [Tensor<T>], b: [Tensor<T>]) {
    let count = Layer.parameterCount(layers)
    var collected = Collected(a: Array(repeating: nil, count: count), b: Array(repeating: nil, count: count))
    var counter = forward.kinks.count + Self.dropoutCount(layers)
    let context = Context(plan: plan, pass: pass, alternative: alternative, selection: selection)
    _ = Self.backward(layers, forward.caches, Lanes(a: dLogits), offset: 0, needInput: false, context, &counter, &collected)
    let wanted = selection == .all ? 0..<count : 0..<(layers.first { $0.parameterCount > 0 }?.parameterCount ?? 0)
    return (wanted.map { collected.a[$0]! }, wanted.map { collected.b[$0]! })
  }

  struct Context {
    let plan: KernelPlan
    let pass: Pass
    let alternative: Activation?
    let selection: GradientSelection
  }

  /// Backward through `layers` (whose first parameter has index `offset`) from the gradient `g` of their
  /// output. A layer passes its input gradient down only when a layer below has parameters or the caller
  /// needs it (`needInput`); parameter gradients are formed per `selection`. Returns the gradient of the
  /// input when `needInput`.
  static func backward(
    _ layers: [Layer<T>], _ caches: [Cache], _ gradOut: Lanes, offset: Int, needInput: Bool, _ context: Context,
    _ counter: inout Int, _ collected: inout Collected
  ) -> Lanes? {
    let plan = context.plan
    // Parameter index of each layer's first parameter.
    var offsets = [Int](repeating: offset, count: layers.count)
    for k in layers.indices.dropFirst() { offsets[k] = offsets[k - 1] + layers[k - 1].parameterCount }
    var g = gradOut
    let report = LayerProgress.report
    for k in layers.indices.reversed() {
      report?()
      // Below layer k lie parameters exactly when its first parameter's index is not 0.
      let passDown = needInput || offsets[k] > 0
      let wanted = context.selection == .all || offsets[k] == 0
      switch (layers[k], caches[k]) {
      case (.linear(let l, _), .input(let x)):
        if wanted {
          let ra = l.backward(input: x, gradOut: g.a, needInput: passDown, plan)
          let rb = g.b.map { l.backward(input: x, gradOut: $0, needInput: passDown, plan) }
          collected.store(offsets[k], ra.weight, rb?.weight)
          collected.store(offsets[k] + 1, ra.bias, rb?.bias)
          guard passDown else { return nil }
          g = Lanes(a: ra.input!, b: rb?.input)
        } else {
          g = Lanes(a: l.inputGradient(gradOut: g.a, plan), b: g.b.map { l.inputGradient(gradOut: $0, plan) })
        }
      case (.conv(let c, _), .input(let x)):
        if wanted {
          let ra = c.backward(input: x, gradOut: g.a, needInput: passDown, plan)
          let rb = g.b.map { c.backward(input: x, gradOut: $0, needInput: passDown, plan) }
          collected.store(offsets[k], ra.weight, rb?.weight)
          if let bias = ra.bias { collected.store(offsets[k] + 1, bias, rb?.bias) }
          guard passDown else { return nil }
          g = Lanes(a: ra.input!, b: rb?.input)
        } else {
          g = Lanes(a: c.inputGradient(inputShape: x.shape, gradOut: g.a, plan), b: g.b.map { c.inputGradient(inputShape: x.shape, gradOut: $0, plan) })
        }
      case (.batchNorm(let b, _), .batchNorm(let cache)):
        guard let cache else { preconditionFailure("backward needs a training forward pass through batch norm") }
        let ra = b.backward(cache, gradOut: g.a, plan)
        let rb = g.b.map { b.backward(cache, gradOut: $0, plan) }
        if wanted {
          collected.store(offsets[k], ra.gamma, rb?.gamma)
          collected.store(offsets[k] + 1, ra.beta, rb?.beta)
        }
        guard passDown else { return nil }
        g = Lanes(a: ra.input, b: rb?.input)
      case (.activation(let activation), .input(let x)):
        counter -= 1
        guard passDown else { return nil }
        let layer = counter, step = context.pass.step
        if let b = g.b, let other = context.alternative {
          g = Lanes(a: activation.backward(x, g.a, layer: layer, step: step), b: other.backward(x, b, layer: layer, step: step))
        } else if let other = context.alternative, activation.kinkCount(x) > 0 {
          g = Lanes(a: activation.backward(x, g.a, layer: layer, step: step), b: other.backward(x, g.a, layer: layer, step: step))
        } else {
          g.a = activation.backward(x, g.a, layer: layer, step: step)
        }
      case (.maxPool(let p), .input(let x)):
        guard passDown else { return nil }
        g = Lanes(a: p.backward(input: x, gradOut: g.a), b: g.b.map { p.backward(input: x, gradOut: $0) })
      case (.avgPool(let p), .shape(let shape)):
        guard passDown else { return nil }
        g = Lanes(a: p.backward(inputShape: shape, gradOut: g.a), b: g.b.map { p.backward(inputShape: shape, gradOut: $0) })
      case (.flatten, .shape(let shape)):
        guard passDown else { return nil }
        g = Lanes(a: g.a.reshaped(shape), b: g.b?.reshaped(shape))
      case (.dropout(let d), _):
        counter -= 1
        guard passDown else { return nil }
        if context.pass.training {
          let (layer, step) = (counter, context.pass.step)
          g = Lanes(a: d.backward(g.a, layer: layer, step: step), b: g.b.map { d.backward($0, layer: layer, step: step) })
        }
      case (.residual(let main, let shortcut), .residual(let mainCaches, let shortcutCaches)):
        // The shortcut ran after the main branch, so it is undone first (parameter order).
        let shortcutOffset = offsets[k] + Layer.parameterCount(main)
        let viaShortcut = shortcut.isEmpty
          ? g : backward(shortcut, shortcutCaches, g, offset: shortcutOffset, needInput: passDown, context, &counter, &collected)
        let viaMain = backward(main, mainCaches, g, offset: offsets[k], needInput: passDown, context, &counter, &collected)
        guard passDown, let m = viaMain, let s = viaShortcut else { return nil }
        let b: Tensor<T>? = m.b == nil && s.b == nil ? nil : (m.b ?? m.a).adding(s.b ?? s.a)
        g = Lanes(a: m.a.adding(s.a), b: b)
      default:
        preconditionFailure("cache does not match layer \(k)")
      }
    }
    return needInput ? g : nil
  }

  static func dropoutCount(_ layers: [Layer<T>]) -> Int {
    layers.reduce(0) { n, layer in
      switch layer {
      case .dropout: return n + 1
      case .residual(let main, let shortcut): return n + dropoutCount(main) + dropoutCount(shortcut)
      case .linear, .conv, .batchNorm, .activation, .maxPool, .avgPool, .flatten: return n
      }
    }
  }

  /// Forward (updating batch-norm running statistics in training), the mean cross-entropy loss, and
  /// every parameter's gradient in `parameterNames` order. Also the number of activation inputs at a
  /// kink, per activation layer in forward order.
  /// With `lossScale` ≠ 1 the backward pass starts from the loss gradient multiplied by it.
  public mutating func lossAndGradients(
    _ x: Tensor<T>, labels: [Int], _ plan: KernelPlan, _ pass: Pass = Pass(), lossScale: Double = 1
  ) -> (loss: T, gradients: [Tensor<T>], kinks: [Int]) {
    let forward = forwardPass(x, plan, pass)
    let (loss, unscaled) = SoftmaxCrossEntropy.lossAndGradient(logits: forward.logits, labels: labels)
    let dLogits = SoftmaxCrossEntropy.scaled(unscaled, by: lossScale)
    return (loss, backward(forward, dLogits: dLogits, plan, pass), forward.kinks)
  }
}
