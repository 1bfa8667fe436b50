import Scalars
import Tensors

extension Network {
  /// Causes of the kink inputs of a forward pass, for every activation that directly follows a dense
  /// or convolution layer (a convolution output is a dot product over its input patch, classified the
  /// same way). Zeros at other activations (after batch norm, after a residual sum) are not
  /// classified: they are not a single dot product. Nil when the format is wider than binary64.
  public func zeroCauses(_ forward: ForwardPass) -> ZeroCauses? {
    guard ZeroCause.isSupported(T.format) else { return nil }
    return Self.zeroCauses(layers, forward.caches)
  }

  static func zeroCauses(_ layers: [Layer<T>], _ caches: [Cache]) -> ZeroCauses {
    var causes = ZeroCauses()
    for k in layers.indices {
      if case .residual(let main, let shortcut) = layers[k], case .residual(let mc, let sc) = caches[k] {
        causes = causes + zeroCauses(main, mc) + zeroCauses(shortcut, sc)
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
      default: break
      }
    }
    return causes
  }
}
