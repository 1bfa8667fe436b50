import Scalars
import Tensors

/// Multilayer perceptrons: Linear → [BatchNorm1d] → activation → [Dropout] → … → Linear, as a
/// `Network`.
///
/// `widths` lists the layer sizes with input and output included (784, 256, 256, 10). The activation
/// follows every Linear except the last, and (for the flagship paper's second builder) optionally not
/// the first. Parameter names follow the equivalent `torch.nn.Sequential`, where every layer takes an
/// index: `0.weight`, `0.bias`, `2.weight`, … (Linear 0, ReLU 1, Linear 2, …; with batch norm
/// Linear 0, BatchNorm1d 1, ReLU 2, …). Initialisation: PyTorch's default (see `Initializer`).
public enum MLP {
  /// The architecture.
  public static func layout(
    widths: [Int], activation: LayerSpec = .relu(0), activateFirstLayer: Bool = true, batchNorm: Bool = false,
    dropout: Double? = nil, dropoutSeed: UInt64 = 0
  ) -> [LayerSpec] {
    precondition(widths.count >= 2 && widths.allSatisfy { $0 >= 1 }, "widths \(widths): need input and output sizes ≥ 1")
    var specs: [LayerSpec] = []
    for l in 0..<(widths.count - 1) {
      specs.append(.linear(inputs: widths[l], outputs: widths[l + 1], name: "\(specs.count)"))
      guard l < widths.count - 2 && (l > 0 || activateFirstLayer) else { continue }
      if batchNorm { specs.append(.batchNorm(channels: widths[l + 1], name: "\(specs.count)")) }
      specs.append(activation)
      if let p = dropout { specs.append(.dropout(Dropout(probability: p, seed: dropoutSeed))) }
    }
    return specs
  }

  /// The network, initialised from `seed` (drawn in `initFormat`, binary32 as PyTorch draws).
  public static func make<T: PrecisionScalar>(
    widths: [Int], activation: LayerSpec = .relu(0), activateFirstLayer: Bool = true, batchNorm: Bool = false,
    dropout: Double? = nil, dropoutSeed: UInt64 = 0, seed: UInt64, initFormat: FloatFormat = .binary32, as _: T.Type = T.self
  ) -> Network<T> {
    var initializer = Initializer(seed: seed, format: initFormat)
    let specs = layout(
      widths: widths, activation: activation, activateFirstLayer: activateFirstLayer, batchNorm: batchNorm, dropout: dropout,
      dropoutSeed: dropoutSeed)
    return Network(layers: LayerSpec.materialize(specs, &initializer, as: T.self))
  }
}
