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
    for k in layers.indices {
      if case .residual(let main, let shortcut) = layers[k], case .residual(let mc, let sc) = caches[k] {
        causes = causes + zeroCauses(main, mc) + zeroCauses(shortcut, sc)
        if k + 1 < layers.count, case .activation(let a) = layers[k + 1], case .input(let z) = caches[k + 1], a.kinkCount(z) > 0,
          let sum = residualSumCauses(main, mc, shortcut, sc, output: z)
        {
          causes = causes + sum
        }
        continue
      }
      guard k + 1 < layers.count, case .activation(let a) = layers[k + 1], case .input(let z) = caches[k + 1], a.kinkCount(z) > 0,
        case .input(let x) = caches[k]
      else { continue }
      switch layers[k] {
      case .linear(let l, _):
        causes = causes + ZeroCause.classify(input: x, weight: l.weight, bias: l.bias, output: z)
      case .conv(let c, _):
        let g = c.geometry(x)
        let flat = c.weight.reshaped([c.outChannels, g.patchSize])
        let rows = Layout.swapLeadingAxes(z.storage, outer: g.batch, middle: g.outChannels, inner: g.outHeight * g.outWidth)
        causes = causes + ZeroCause.classify(
          input: Tensor(shape: [g.positions, g.patchSize], storage: g.patches(x.storage)), weight: flat,
          bias: c.bias ?? Tensor(zeros: [c.outChannels]),
          output: Tensor(shape: [g.outChannels, g.positions], storage: rows).transposed())
      case .batchNorm, .activation, .maxPool, .avgPool, .flatten, .dropout, .residual: break
      }
    }
    return causes
  }

  /// The causes of the zeros of `z = main + shortcut` (`[batch, channels, h, w]`) as one sum per output:
  /// the last convolution of `main` over its patch, then the shortcut's convolution over its patch (or,
  /// for an identity shortcut, the block's input value at that channel and position, weight 1), then each
  /// convolution's bias as a term of input 1. Nil when a branch does not end in a convolution (batch
  /// norm after it, say) or is neither a convolution nor the identity.
  static func residualSumCauses(_ main: [Layer<T>], _ mc: [Cache], _ shortcut: [Layer<T>], _ sc: [Cache], output z: Tensor<T>) -> ZeroCauses? {
    guard case .conv(let c2, _)? = main.last, case .input(let x2)? = mc.last, case .input(let blockInput)? = mc.first else { return nil }
    let g = c2.geometry(x2)
    let (positions, outChannels) = (g.positions, g.outChannels)
    var blocks: [(patches: [T], weight: Tensor<T>, width: Int)] = [
      (g.patches(x2.storage), c2.weight.reshaped([outChannels, g.patchSize]), g.patchSize)
    ]
    var biases = [c2.bias]
    switch (shortcut.first, sc.first, shortcut.count) {
    case (nil, _, 0):
      // Identity: the term of output (position, channel o) is the input at that channel and position.
      let rows = Layout.swapLeadingAxes(blockInput.storage, outer: g.batch, middle: outChannels, inner: g.outHeight * g.outWidth)
      let values = Tensor(shape: [outChannels, positions], storage: rows).transposed().storage
      var identity = [T](repeating: T(0), count: outChannels * outChannels)
      for o in 0..<outChannels { identity[o * outChannels + o] = T(1) }
      blocks.append((values, Tensor(shape: [outChannels, outChannels], storage: identity), outChannels))
    case (.conv(let cs, _)?, .input(let xs)?, 1):
      let gs = cs.geometry(xs)
      guard gs.positions == positions, gs.outChannels == outChannels else { return nil }
      blocks.append((gs.patches(xs.storage), cs.weight.reshaped([outChannels, gs.patchSize]), gs.patchSize))
      biases.append(cs.bias)
    default:
      return nil
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
}
