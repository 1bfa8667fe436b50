import Networks

/// The model options every computing command spells the same way, and the `ModelSpec` they name.
public enum ModelParameters {
  public static let all: [Parameter] = [
    .choice("model", ModelSpec.Kind.allCases.map(\.rawValue), default: "mlp", help: "Model: mlp, vgg or resnet."),
    Parameter("widths", default: "784,256,256,256,10", separator: ";", help: "MLP layer sizes, input and output included (alternatives separated by ';').") { v in
      guard let w = Parameter.integerList(v), w.count >= 2, w.allSatisfy({ $0 >= 1 && $0 <= 1 << 24 }) else {
        return .failure(ParameterError("--widths: '\(v)' is not a list of at least two sizes from 1 to 16777216 like 784,256,10"))
      }
      return .success(w.map(String.init).joined(separator: ","))
    },
    Parameter("vgg-config", default: "64-M-128-M-256-256-M-512-512-M-512-512-M", help: "VGG channels and M (max pool); the default is VGG11.") { v in
      guard let items = VGG.configuration(v), items.allSatisfy({ if case .conv(let c) = $0 { return c <= 1 << 16 } else { return true } }) else {
        return .failure(ParameterError("--vgg-config: '\(v)' is not like 64-M-128-M (channel counts up to 65536)"))
      }
      return .success(v)
    },
    Parameter("resnet-blocks", default: "2,2,2,2", separator: ";", help: "ResNet BasicBlocks per stage; the default is ResNet18 (alternatives separated by ';').") { v in
      guard let b = Parameter.integerList(v), b.allSatisfy({ $0 >= 1 && $0 <= 64 }) else {
        return .failure(ParameterError("--resnet-blocks: '\(v)' is not like 2,2,2,2 (1 to 64 blocks per stage)"))
      }
      return .success(b.map(String.init).joined(separator: ","))
    },
    .real(
      "width-multiplier", default: "1", help: "Channel multiplier for vgg and resnet.",
      valid: { $0 > 0 && $0 <= ModelSpec.maxWidthMultiplier }, rule: "a number in (0, \(Int(ModelSpec.maxWidthMultiplier))]"),
    .flag("batch-norm", default: false, help: "Batch normalisation before each activation (every model)."),
    .real("dropout", default: "0", help: "MLP: dropout probability after each activation.", valid: { $0 >= 0 && $0 < 1 }, rule: "a probability in [0, 1)"),
    .flag("first-relu", default: true, help: "MLP: activation after the first layer (--no-first-relu: the paper's second builder)."),
    .flag("stem-max-pool", default: true, help: "ResNet: 3x3 stride-2 max pool after the stem (kept in the paper's code)."),
    .integer("classes", default: 10, minimum: 1, maximum: 1 << 20, help: "Classes (outputs) of vgg and resnet; the MLP's are its last width."),
    Parameter.choice(
      "conv-init", ["model", "pytorch"], default: "model",
      help: "Convolution initialisation: model (each model's own: VGG PyTorch's default, ResNet kaiming_normal fan_out as torchvision) or pytorch (PyTorch's default reset_parameters for every convolution, as the paper's volume runs)."
    ).added(withLegacyValue: "model"),
    Parameter.choice(
      "init", Initializer.Draws.allCases.map(\.rawValue), default: "precisionlab",
      help: "Who draws θ from the seed: precisionlab (SplitMix64, 53-bit uniforms rounded once to binary32) or torch (PyTorch's own θ bit for bit: torch.manual_seed(seed), then each layer's default initialisation in model order; uniform initialisations only, so ResNet needs --conv-init pytorch)."
    ).added(withLegacyValue: "precisionlab"),
  ]

  /// `--model`: which architecture.
  public static func kind(_ v: [String: String]) -> ModelSpec.Kind { ModelSpec.Kind(rawValue: v["model"]!)! }

  /// The model the values name, taking samples of `sampleShape`.
  public static func spec(_ v: [String: String], sampleShape: [Int]) -> ModelSpec {
    let dropout = Double(v["dropout"]!)!
    return ModelSpec(
      kind: ModelSpec.Kind(rawValue: v["model"]!)!, input: sampleShape, classes: Int(v["classes"]!)!, batchNorm: v["batch-norm"] == "true",
      widths: Parameter.integerList(v["widths"]!)!, activateFirstLayer: v["first-relu"] == "true", dropout: dropout > 0 ? dropout : nil,
      vggConfig: VGG.configuration(v["vgg-config"]!)!, resnetBlocks: Parameter.integerList(v["resnet-blocks"]!)!,
      widthMultiplier: Double(v["width-multiplier"]!)!, stemMaxPool: v["stem-max-pool"] == "true",
      convInit: v["conv-init"] == "pytorch" ? .pytorchDefault : nil, draws: Initializer.Draws(rawValue: v["init"]!)!)
  }

  /// The sample shape synthetic data takes for this model when `--input-shape` does not say.
  static func syntheticShape(_ v: [String: String]) -> [Int] { spec(v, sampleShape: [3, 32, 32]).syntheticSampleShape }
}
