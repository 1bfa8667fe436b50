import Scalars
import Tensors

/// A residual block, y = main(x) + shortcut(x) (an empty shortcut is the identity): each branch a list of
/// layers, the sum one rounded addition per element. Its parameters are the main branch's, then the
/// shortcut's (PyTorch's state_dict order); the shortcut runs after the main branch and is undone first.
struct Residual<T: PrecisionScalar>: NetworkLayer {
  static var operation: OperationClass { .block }

  var main: [Layer<T>]
  var shortcut: [Layer<T>]

  func parameterNames(prefix _: String) -> [String] { Network.names(main) + Network.names(shortcut) }

  var parameters: [Tensor<T>] {
    get { Network.parameters(main) + Network.parameters(shortcut) }
    set {
      let split = Layer.parameterCount(main)
      precondition(newValue.count == split + Layer.parameterCount(shortcut), "Residual: \(newValue.count) parameters")
      Network.setParameters(&main, Array(newValue[..<split]))
      Network.setParameters(&shortcut, Array(newValue[split...]))
    }
  }

  var buffers: [Tensor<T>] {
    get { Network.buffers(main) + Network.buffers(shortcut) }
    set {
      let split = Network.buffers(main).count
      Network.setBuffers(&main, Array(newValue[..<split]))
      Network.setBuffers(&shortcut, Array(newValue[split...]))
    }
  }

  var randomStreams: Int { Network.randomStreams(main) + Network.randomStreams(shortcut) }

  mutating func forward(_ x: Tensor<T>, _ context: inout Network<T>.ForwardContext) -> (Tensor<T>, Network<T>.Cache) {
    let (a, mainCaches) = Network.forward(&main, x, &context)
    let (b, shortcutCaches) = Network.forward(&shortcut, x, &context)
    precondition(a.shape == b.shape, "residual branches disagree: \(a.shape) and \(b.shape)")
    return (a.adding(b), .residual(main: mainCaches, shortcut: shortcutCaches))
  }

  func backward(_ cache: Network<T>.Cache, _ g: Network<T>.Lanes, _ context: inout Network<T>.BackwardContext) -> Network<T>.Lanes? {
    guard case .residual(let mainCaches, let shortcutCaches) = cache else { preconditionFailure("Residual: the forward pass kept no branches") }
    let (offset, passDown) = (context.offset, context.passDown)
    let viaShortcut = shortcut.isEmpty
      ? g
      : Network.backward(shortcut, shortcutCaches, g, offset: offset + Layer.parameterCount(main), needInput: passDown, &context)
    let viaMain = Network.backward(main, mainCaches, g, offset: offset, needInput: passDown, &context)
    guard passDown, let m = viaMain, let s = viaShortcut else { return nil }
    let b: Tensor<T>? = m.b == nil && s.b == nil ? nil : (m.b ?? m.a).adding(s.b ?? s.a)
    return Network<T>.Lanes(a: m.a.adding(s.a), b: b)
  }

  func activationInputs(_ cache: Network<T>.Cache) -> [Tensor<T>] {
    guard case .residual(let mc, let sc) = cache else { preconditionFailure("Residual: the forward pass kept no branches") }
    return Network.activationInputs(main, mc) + Network.activationInputs(shortcut, sc)
  }

  func innerZeroCauses(_ cache: Network<T>.Cache) -> ZeroCauses {
    guard case .residual(let mc, let sc) = cache else { preconditionFailure("Residual: the forward pass kept no branches") }
    return Network.zeroCauses(main, mc) + Network.zeroCauses(shortcut, sc)
  }

  /// The causes of the zeros of `z = main + shortcut` (`[batch, channels, h, w]`) as one sum per output:
  /// the last convolution of `main` over its patch, then the shortcut's convolution over its patch (or,
  /// for an identity shortcut, the block's input value at that channel and position, weight 1), then each
  /// convolution's bias as a term of input 1. Nil when a branch does not end in a convolution (batch
  /// norm after it, say) or is neither a convolution nor the identity.
  func zeroCauses(_ cache: Network<T>.Cache, output z: Tensor<T>) -> ZeroCauses? {
    guard case .residual(let mc, let sc) = cache else { preconditionFailure("Residual: the forward pass kept no branches") }
    guard case .conv(let c2, _)? = main.last, case .input(let x2)? = mc.last, case .input(let blockInput)? = mc.first else { return nil }
    let g = c2.geometry(x2)
    let (positions, outChannels) = (g.positions, g.outChannels)
    var blocks: [(patches: [T], weight: Tensor<T>, width: Int)] = [
      (g.patches(x2.storage), c2.weight.reshaped([outChannels, g.patchSize]), g.patchSize)
    ]
    var biases = [c2.bias]
    if shortcut.isEmpty {
      // Identity: the term of output (position, channel o) is the input at that channel and position.
      let rows = Layout.swapLeadingAxes(blockInput.storage, outer: g.batch, middle: outChannels, inner: g.outHeight * g.outWidth)
      let values = Tensor(shape: [outChannels, positions], storage: rows).transposed().storage
      var identity = [T](repeating: T(0), count: outChannels * outChannels)
      for o in 0..<outChannels { identity[o * outChannels + o] = T(1) }
      blocks.append((values, Tensor(shape: [outChannels, outChannels], storage: identity), outChannels))
    } else if shortcut.count == 1, case .conv(let cs, _) = shortcut[0], case .input(let xs) = sc[0] {
      let gs = cs.geometry(xs)
      guard gs.positions == positions, gs.outChannels == outChannels else { return nil }
      blocks.append((gs.patches(xs.storage), cs.weight.reshaped([outChannels, gs.patchSize]), gs.patchSize))
      biases.append(cs.bias)
    } else {
      return nil  // a shortcut that is neither the identity nor one convolution
    }
    let present = biases.compactMap { $0 }
    let width = blocks.reduce(0) { $0 + $1.width } + present.count
    var input = [T](repeating: T(0), count: positions * width), weight = [T](repeating: T(0), count: outChannels * width)
    var column = 0
    for block in blocks {
      for p in 0..<positions { for i in 0..<block.width { input[p * width + column + i] = block.patches[p * block.width + i] } }
      for o in 0..<outChannels { for i in 0..<block.width { weight[o * width + column + i] = block.weight.storage[o * block.width + i] } }
      column += block.width
    }
    for bias in present {
      for p in 0..<positions { input[p * width + column] = T(1) }
      for o in 0..<outChannels { weight[o * width + column] = bias.storage[o] }
      column += 1
    }
    let rows = Layout.swapLeadingAxes(z.storage, outer: g.batch, middle: outChannels, inner: g.outHeight * g.outWidth)
    return ZeroCause.classify(
      input: Tensor(shape: [positions, width], storage: input), weight: Tensor(shape: [outChannels, width], storage: weight),
      bias: Tensor(zeros: [outChannels]), output: Tensor(shape: [outChannels, positions], storage: rows).transposed())
  }

  func converted<U: PrecisionScalar>(to _: U.Type, name _: String) -> Layer<U> {
    .residual(main: Network.converted(main, to: U.self), shortcut: Network.converted(shortcut, to: U.self))
  }

  func replacingActivations(with activation: Activation) -> Residual {
    Residual(main: Network.replacingActivations(main, activation), shortcut: Network.replacingActivations(shortcut, activation))
  }
}
