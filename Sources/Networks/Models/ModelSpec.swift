import Foundation
import Scalars
import Tensors

/// A model described without its parameters: which architecture, the shape of one sample, the number
/// of classes and whether it has batch norm. What a study, `precisionlab grad` or a sweep file names;
/// `make` draws a fresh initialisation of it in any format.
public struct ModelSpec: Sendable, Hashable {
  public enum Architecture: Sendable, Hashable {
    /// `MLP`; `widths` include the input and output sizes.
    case mlp(widths: [Int], activateFirstLayer: Bool, dropout: Double?)
    /// `VGG` with its configuration (`VGG.vgg11`: 64-M-128-M-…).
    case vgg(config: [VGG.Item], widthMultiplier: Double)
    /// `ResNet` with BasicBlocks per stage (`[2, 2, 2, 2]`: ResNet18).
    case resnet(blocks: [Int], widthMultiplier: Double, stemMaxPool: Bool)
  }

  /// The architectures by name, as the command line spells them.
  public enum Kind: String, Sendable, CaseIterable {
    case mlp, vgg, resnet
  }

  public var architecture: Architecture
  /// The shape of one sample the network takes: `[features]` for the MLP, `[channels, height, width]`.
  public var input: [Int]
  public var classes: Int
  public var batchNorm: Bool
  /// How the convolutions are initialised: nil for the architecture's own (VGG: PyTorch's default
  /// `reset_parameters`; ResNet: kaiming_normal fan_out, as torchvision), or one rule for all of them
  /// (VGG takes only PyTorch's default: its convolutions have biases).
  public var convInit: LayerSpec.ConvInit?
  /// Which generator draws θ from a seed (`Initializer.Draws`): PrecisionLab's own, or PyTorch's, bit
  /// for bit, as `torch.manual_seed(seed)` followed by the layers' constructors in model order.
  public var draws: Initializer.Draws = .precisionlab

  public init(
    architecture: Architecture, input: [Int], classes: Int, batchNorm: Bool, convInit: LayerSpec.ConvInit? = nil,
    draws: Initializer.Draws = .precisionlab
  ) {
    self.architecture = architecture
    self.input = input
    self.classes = classes
    self.batchNorm = batchNorm
    self.convInit = convInit
    self.draws = draws
  }

  /// An MLP: it takes `widths.first` features and has `widths.last` classes.
  public static func mlp(widths: [Int], activateFirstLayer: Bool = true, batchNorm: Bool = false, dropout: Double? = nil) -> ModelSpec {
    ModelSpec(
      architecture: .mlp(widths: widths, activateFirstLayer: activateFirstLayer, dropout: dropout), input: [widths.first ?? 0],
      classes: widths.last ?? 0, batchNorm: batchNorm)
  }

  public static func vgg(_ config: [VGG.Item] = VGG.vgg11, input: [Int], classes: Int, batchNorm: Bool = false, widthMultiplier: Double = 1) -> ModelSpec {
    ModelSpec(architecture: .vgg(config: config, widthMultiplier: widthMultiplier), input: input, classes: classes, batchNorm: batchNorm)
  }

  public static func resnet(
    blocks: [Int] = [2, 2, 2, 2], input: [Int], classes: Int, batchNorm: Bool = false, widthMultiplier: Double = 1, stemMaxPool: Bool = true
  ) -> ModelSpec {
    ModelSpec(
      architecture: .resnet(blocks: blocks, widthMultiplier: widthMultiplier, stemMaxPool: stemMaxPool), input: input, classes: classes,
      batchNorm: batchNorm)
  }

  /// A model from every option of every kind, the ones of other kinds ignored: the command line's way.
  public init(
    kind: Kind, input: [Int], classes: Int, batchNorm: Bool, widths: [Int], activateFirstLayer: Bool, dropout: Double?,
    vggConfig: [VGG.Item], resnetBlocks: [Int], widthMultiplier: Double, stemMaxPool: Bool, convInit: LayerSpec.ConvInit? = nil,
    draws: Initializer.Draws = .precisionlab
  ) {
    switch kind {
    case .mlp: self = .mlp(widths: widths, activateFirstLayer: activateFirstLayer, batchNorm: batchNorm, dropout: dropout)
    case .vgg: self = .vgg(vggConfig, input: input, classes: classes, batchNorm: batchNorm, widthMultiplier: widthMultiplier)
    case .resnet:
      self = .resnet(blocks: resnetBlocks, input: input, classes: classes, batchNorm: batchNorm, widthMultiplier: widthMultiplier, stemMaxPool: stemMaxPool)
    }
    self.convInit = convInit
    self.draws = draws
  }

  public var kind: Kind {
    switch architecture {
    case .mlp: return .mlp
    case .vgg: return .vgg
    case .resnet: return .resnet
    }
  }

  /// Why this model cannot take samples of `sampleShape` from data with `dataClasses` classes (or
  /// cannot be built at all), or nil when it can: what the command line checks before anything runs.
  public func problem(sampleShape: [Int], dataClasses: Int) -> String? {
    let count = sampleShape.reduce(1, *)
    switch architecture {
    case .mlp(let widths, _, let dropout):
      guard widths.count >= 2, widths.allSatisfy({ $0 >= 1 }) else { return "widths \(widths): need at least two positive sizes" }
      if widths[0] != count { return "the MLP's input size \(widths[0]) does not match samples of shape \(sampleShape) (\(count) values)" }
      if let dropout, !(dropout >= 0 && dropout < 1) { return "dropout probability \(dropout) is outside [0, 1)" }
    case .vgg(let config, let width):
      if config.isEmpty { return "an empty VGG configuration" }
      if convInit == .kaimingNormalFanOut { return "VGG's convolutions have biases, which kaiming_normal initialisation does not draw here" }
      if let problem = Self.imageProblem(kind, sampleShape, width) { return problem }
    case .resnet(let blocks, let width, _):
      if blocks.isEmpty || !blocks.allSatisfy({ $0 >= 1 }) { return "ResNet blocks \(blocks): need at least one stage of at least one block" }
      if draws == .torch && convInit != .pytorchDefault {
        return "--init torch reproduces PyTorch's uniform initialisations, not ResNet's kaiming_normal convolutions: add --conv-init pytorch"
      }
      if let problem = Self.imageProblem(kind, sampleShape, width) { return problem }
    }
    guard classes >= 1 else { return "\(classes) classes: need at least 1" }
    if classes != dataClasses { return "the model has \(classes) outputs but the data has \(dataClasses) classes" }
    return nil
  }

  static func imageProblem(_ kind: Kind, _ sampleShape: [Int], _ width: Double) -> String? {
    guard sampleShape.count == 3, sampleShape.allSatisfy({ $0 >= 1 }) else {
      return "\(kind.rawValue) needs images [channels, height, width], not samples of shape \(sampleShape)"
    }
    guard width > 0, width <= maxWidthMultiplier else { return "width multiplier \(width) is outside (0, \(Int(maxWidthMultiplier))]" }
    return nil
  }

  /// The largest channel multiplier accepted for VGG and ResNet (64 × 512 channels).
  public static let maxWidthMultiplier = 64.0

  /// The sample shape synthetic data takes for this model when nothing else says: 28×28 images for a
  /// 784-input MLP, 3×32×32 for a 3072-input one and for the convolutional networks, else the MLP's
  /// input size as plain features.
  public var syntheticSampleShape: [Int] {
    switch architecture {
    case .mlp(let widths, _, _): return widths.first == 784 ? [1, 28, 28] : widths.first == 3072 ? [3, 32, 32] : [widths.first ?? 1]
    case .vgg, .resnet: return [3, 32, 32]
    }
  }

  /// The layers, with `activation` everywhere and dropout masks drawn from `dropoutSeed`.
  public func layout(activation: LayerSpec = .relu(0), dropoutSeed: UInt64 = 0) -> [LayerSpec] {
    switch architecture {
    case .mlp(let widths, let first, let dropout):
      return MLP.layout(widths: widths, activation: activation, activateFirstLayer: first, batchNorm: batchNorm, dropout: dropout, dropoutSeed: dropoutSeed)
    case .vgg(let config, let width):
      return VGG.layout(config, input: input, classes: classes, batchNorm: batchNorm, widthMultiplier: width, activation: activation)
    case .resnet(let blocks, let width, let stem):
      return ResNet.layout(
        blocks: blocks, input: input, classes: classes, batchNorm: batchNorm, widthMultiplier: width, stemMaxPool: stem, activation: activation,
        convInit: convInit ?? .kaimingNormalFanOut)
    }
  }

  /// A fresh PyTorch-default initialisation from `seed`, drawn in `initFormat` (binary32, as PyTorch
  /// draws; always binary32 with `torch` draws) and rounded to nearest into `T`.
  public func make<T: PrecisionScalar>(
    activation: LayerSpec = .relu(0), seed: UInt64, dropoutSeed: UInt64 = 0, initFormat: FloatFormat = .binary32, as _: T.Type = T.self
  ) -> Network<T> {
    var initializer = Initializer(seed: seed, format: draws == .torch ? .binary32 : initFormat, draws: draws)
    return Network(layers: LayerSpec.materialize(layout(activation: activation, dropoutSeed: dropoutSeed), &initializer, as: T.self))
  }

  /// Why a forward and backward pass of `batchSize` samples cannot fit in this machine's memory, or
  /// nil. The estimate: 16 bytes (the widest fixed-size format) for each parameter three times (value,
  /// gradient, optimiser state) and each activation of each sample three times (value, gradient, the
  /// backward's scratch). Catches sizes that would otherwise end in an allocation failure.
  public func memoryProblem(batchSize: Int, physicalMemory: UInt64 = ProcessInfo.processInfo.physicalMemory) -> String? {
    let gib = { (bytes: Double) in String(format: "%.1f GiB", bytes / 1_073_741_824) }
    guard let (parameters, activations) = LayerSpec.footprint(layout(), input: input) else {
      return "the model's size overflows a 64-bit count; it cannot be built"
    }
    let bytes = 48 * (Double(parameters) + Double(batchSize) * Double(activations))
    guard bytes <= Double(physicalMemory) else {
      return "\(parameters) parameters and \(activations) activations per sample need about \(gib(bytes)) for a batch of \(batchSize); this machine has \(gib(Double(physicalMemory)))"
    }
    return nil
  }

  /// Shapes of the trainable parameters, in `Network.parameterNames` order.
  public var parameterShapes: [[Int]] { LayerSpec.parameterShapes(layout()) }
}
