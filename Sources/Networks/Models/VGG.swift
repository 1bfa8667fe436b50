import Scalars
import Tensors

/// VGG-like networks for small images (the CIFAR variant the flagship study used): conv3×3 with
/// padding 1 and bias, optional batch norm, the activation, 2×2 max pooling at each `M`, then one
/// Linear classifier on the flattened features.
///
/// Names follow the PyTorch model `features = nn.Sequential(...)`, `classifier = nn.Linear(...)`:
/// `features.0.weight`, `features.0.bias`, `features.1.weight` (batch norm γ), …, `classifier.weight`.
/// A pool is skipped when the feature map is already 1 pixel high or wide, so any input shape works
/// (28×28 MNIST reaches 1×1 after four pools). Initialisation: PyTorch's defaults.
public enum VGG {
  public enum Item: Sendable, Hashable {
    case conv(Int)
    case pool
  }

  /// VGG11: 64-M-128-M-256-256-M-512-512-M-512-512-M.
  public static let vgg11: [Item] = [.conv(64), .pool, .conv(128), .pool, .conv(256), .conv(256), .pool, .conv(512), .conv(512), .pool, .conv(512), .conv(512), .pool]

  /// Parses `64-M-128-M-…`.
  public static func configuration(_ text: String) -> [Item]? {
    let items = text.split(separator: "-").map { part -> Item? in
      part == "M" ? .pool : Int(part).flatMap { $0 >= 1 ? .conv($0) : nil }
    }
    return items.contains { $0 == nil } || items.isEmpty ? nil : items.map { $0! }
  }

  /// The architecture. - Parameters:
  ///   - input: `[channels, height, width]`.
  ///   - widthMultiplier: channel counts are `max(1, round(c × multiplier))`.
  public static func layout(
    _ config: [Item] = vgg11, input: [Int], classes: Int, batchNorm: Bool = false,
    widthMultiplier: Double = 1, activation: LayerSpec = .relu(0), poolTies: MaxPoolTieRule = .first
  ) -> [LayerSpec] {
    precondition(input.count == 3 && input.allSatisfy { $0 >= 1 }, "VGG input must be [channels, height, width], got \(input)")
    var features: [LayerSpec] = []
    var (channels, h, w) = (input[0], input[1], input[2])
    for item in config {
      switch item {
      case .conv(let c):
        let out = max(1, Int((Double(c) * widthMultiplier).rounded()))
        features.append(.conv(inputs: channels, outputs: out, kernel: 3, stride: 1, padding: 1, bias: true, initialization: .pytorchDefault, name: "features.\(features.count)"))
        if batchNorm { features.append(.batchNorm(channels: out, name: "features.\(features.count)")) }
        features.append(activation)
        channels = out
      case .pool:
        guard h >= 2 && w >= 2 else { continue }
        features.append(.maxPool(MaxPool2d(kernel: 2, ties: poolTies)))
        (h, w) = (h / 2, w / 2)
      }
    }
    return features + [.flatten, .linear(inputs: channels * h * w, outputs: classes, name: "classifier")]
  }
}
