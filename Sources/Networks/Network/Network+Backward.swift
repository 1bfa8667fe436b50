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

  func run(
    _ forward: ForwardPass, _ dLogits: Tensor<T>, alternative: Activation?, _ selection: GradientSelection, _ plan: KernelPlan,
    _ pass: Pass
  ) -> (a: [Tensor<T>], b: [Tensor<T>]) {
    let count = Layer.parameterCount(layers)
    var context = BackwardContext(
      plan: plan, precision: PolicyPosition(plan), pass: pass, alternative: alternative, selection: selection, stream: Self.randomStreams(layers),
      gradients: Array(repeating: nil, count: count), alternativeGradients: Array(repeating: nil, count: count))
    _ = Self.backward(layers, forward.caches, Lanes(a: dLogits), offset: 0, needInput: false, &context)
    let wanted = selection == .all ? 0..<count : 0..<(layers.first { $0.parameterCount > 0 }?.parameterCount ?? 0)
    return (wanted.map { context.gradients[$0]! }, wanted.map { context.alternativeGradients[$0]! })
  }

  /// One layer's backward step, as a visitor: the gradient of its input from that of its output.
  struct BackwardStep: LayerVisitor {
    typealias Scalar = T
    typealias Result = Lanes?
    var cache: Cache
    var gradient: Lanes
    var context: BackwardContext
    /// The layer's index in its list.
    var index = 0

    mutating func visit<L: NetworkLayer<T>>(_ layer: inout L, name _: String) -> Lanes? {
      let position = context.precision
      guard let policy = position.policy, let rule = position.rule(L.operation, index) else { return layer.backward(cache, gradient, &context) }
      // Under a policy: the plan of the forward pass (the same operands rounded), the input gradient in
      // the input's format, a `lower` layer's parameter gradients in the low format.
      context.plan = rule == .lower ? policy.lowerPlan(position.base) : position.base
      let lanes = layer.backward(cache, gradient, &context)
      if rule == .lower && context.wanted {
        for i in context.offset..<(context.offset + layer.parameters.count) {
          context.gradients[i] = context.gradients[i].map { policy.rounding.rounded($0) }
          context.alternativeGradients[i] = context.alternativeGradients[i].map { policy.rounding.rounded($0) }
        }
      }
      guard let format = position.format else { return lanes }
      return lanes?.map { Network.rounded($0, into: format) }
    }
  }

  /// Backward through `layers` (whose first parameter has index `offset`) from the gradient `gradOut` of
  /// their output. A layer passes its input gradient down only when a layer below has parameters or the
  /// caller needs it (`needInput`); parameter gradients are formed per the context's selection. Returns
  /// the gradient of the input when `needInput`.
  static func backward(
    _ layers: [Layer<T>], _ caches: [Cache], _ gradOut: Lanes, offset: Int, needInput: Bool, _ context: inout BackwardContext
  ) -> Lanes? {
    precondition(caches.count == layers.count, "\(caches.count) caches for \(layers.count) layers")
    // Parameter index of each layer's first parameter.
    var offsets = [Int](repeating: offset, count: layers.count)
    for k in layers.indices.dropFirst() { offsets[k] = offsets[k - 1] + layers[k - 1].parameterCount }
    // One step visits every layer and holds the context meanwhile (the caller's copy gives up its
    // gradient lists, so storing into them never copies).
    var step = BackwardStep(cache: .none, gradient: gradOut, context: context)
    (context.gradients, context.alternativeGradients) = ([], [])
    // Under a policy: the format entering each layer, as in the forward pass; the gradient of the
    // list's output in the output's format.
    let entering = step.context.precision.enter(layers)
    defer {
      step.context.precision.leave(restoring: entering)
      context = step.context
    }
    var formats: [FloatFormat?] = []
    if let policy = step.context.precision.policy {
      let position = step.context.precision
      formats = Self.formats(layers, entering: entering, policy, exempt: position.isExempt)
      step.gradient = step.gradient.map { Self.rounded($0, into: formats.last!) }
    }
    let report = LayerProgress.report
    for k in layers.indices.reversed() {
      report?()
      step.index = k
      if !formats.isEmpty { step.context.precision.format = formats[k] }
      step.context.offset = offsets[k]
      // Below layer k lie parameters exactly when its first parameter's index is not 0.
      step.context.passDown = needInput || offsets[k] > 0
      step.context.wanted = step.context.selection == .all || offsets[k] == 0
      step.cache = caches[k]
      guard let next = layers[k].open(&step) else { return nil }
      step.gradient = next
    }
    return needInput ? step.gradient : nil
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
