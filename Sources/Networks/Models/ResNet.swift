import Scalars
import Tensors

/// ResNet-like networks for small images: the CIFAR ResNet18 (3×3 stride-1 stem without bias,
/// optional stem max pool 3×3/2 padding 1, BasicBlocks [2, 2, 2, 2] with 64-128-256-512 channels, global
/// average pooling, Linear), with a configurable depth list and width multiplier.
///
/// Names follow the common PyTorch CIFAR implementation: `conv1.weight`, `bn1.weight`,
/// `layer1.0.conv1.weight`, `layer1.0.bn1.weight`, …, `layer2.0.shortcut.0.weight` (1×1 projection),
/// `layer2.0.shortcut.1.weight` (its batch norm), `linear.weight`, `linear.bias`. Without batch norm
/// the batch-norm layers are absent (identities). Convolutions: no bias, kaiming_normal (fan_out, ReLU)
/// as torchvision initialises them, or PyTorch's default `reset_parameters` (`convInit`); Linear:
/// PyTorch's default; batch norm γ = 1, β = 0.
public enum ResNet {
  /// The architecture.
  public static func layout(
    blocks: [Int] = [2, 2, 2, 2], input: [Int], classes: Int, batchNorm: Bool = true,
    widthMultiplier: Double = 1, stemMaxPool: Bool = false, activation: LayerSpec = .relu(0), convInit: LayerSpec.ConvInit = .kaimingNormalFanOut
  ) -> [LayerSpec] {
    precondition(input.count == 3 && input.allSatisfy { $0 >= 1 }, "ResNet input must be [channels, height, width], got \(input)")
    precondition(!blocks.isEmpty && blocks.allSatisfy { $0 >= 1 }, "ResNet blocks \(blocks)")
    func width(_ c: Int) -> Int { max(1, Int((Double(c) * widthMultiplier).rounded())) }
    func conv(_ i: Int, _ o: Int, _ k: Int, _ stride: Int, _ padding: Int, _ name: String) -> LayerSpec {
      .conv(inputs: i, outputs: o, kernel: k, stride: stride, padding: padding, bias: false, initialization: convInit, name: name)
    }
    var layers: [LayerSpec] = []
    var channels = width(64)
    layers.append(conv(input[0], channels, 3, 1, 1, "conv1"))
    if batchNorm { layers.append(.batchNorm(channels: channels, name: "bn1")) }
    layers.append(activation)
    if stemMaxPool { layers.append(.maxPool(MaxPool2d(kernel: 3, stride: 2, padding: 1))) }
    for (stage, count) in blocks.enumerated() {
      let out = width(64 << min(stage, 3))
      for b in 0..<count {
        let stride = (stage > 0 && b == 0) ? 2 : 1
        let prefix = "layer\(stage + 1).\(b)"
        var main: [LayerSpec] = [conv(channels, out, 3, stride, 1, "\(prefix).conv1")]
        if batchNorm { main.append(.batchNorm(channels: out, name: "\(prefix).bn1")) }
        main.append(activation)
        main.append(conv(out, out, 3, 1, 1, "\(prefix).conv2"))
        if batchNorm { main.append(.batchNorm(channels: out, name: "\(prefix).bn2")) }
        var shortcut: [LayerSpec] = []
        if stride != 1 || channels != out {
          shortcut.append(conv(channels, out, 1, stride, 0, "\(prefix).shortcut.0"))
          if batchNorm { shortcut.append(.batchNorm(channels: out, name: "\(prefix).shortcut.1")) }
        }
        layers.append(.residual(main: main, shortcut: shortcut))
        layers.append(activation)
        channels = out
      }
    }
    return layers + [.avgPool(.global), .linear(inputs: channels, outputs: classes, name: "linear")]
  }
}
