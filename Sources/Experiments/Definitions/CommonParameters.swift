import Datasets
import Networks
import Scalars
import Tensors

/// The options every experiment spells the same way, and how a trial's values become a model, a way
/// of computing and mini-batches.
enum Common {
  static let model: [Parameter] = [
    .choice("model", ["mlp", "vgg", "resnet"], default: "mlp", help: "Model: mlp, vgg or resnet."),
    Parameter("widths", default: "784,256,256,256,10", separator: ";", help: "MLP layer sizes, input and output included (alternatives separated by ';').") { v in
      guard let w = Parameter.integerList(v), w.count >= 2, w.allSatisfy({ $0 >= 1 }) else {
        return .failure(ParameterError("--widths: '\(v)' is not a list of at least two positive sizes like 784,256,10"))
      }
      return .success(w.map(String.init).joined(separator: ","))
    },
    Parameter("vgg-config", default: "64-M-128-M-256-256-M-512-512-M-512-512-M", help: "VGG channels and M (max pool).") { v in
      VGG.configuration(v) == nil ? .failure(ParameterError("--vgg-config: '\(v)' is not like 64-M-128-M")) : .success(v)
    },
    Parameter("resnet-blocks", default: "2,2,2,2", separator: ";", help: "ResNet BasicBlocks per stage (alternatives separated by ';').") { v in
      guard let b = Parameter.integerList(v), b.allSatisfy({ $0 >= 1 }) else { return .failure(ParameterError("--resnet-blocks: '\(v)' is not like 2,2,2,2")) }
      return .success(b.map(String.init).joined(separator: ","))
    },
    .real("width-multiplier", default: "1", help: "Channel multiplier for vgg and resnet.", valid: { $0 > 0 && $0.isFinite }, rule: "a positive number"),
    .flag("batch-norm", default: false, help: "Batch normalisation before each activation."),
    .real("dropout", default: "0", help: "MLP: dropout probability after each activation.", valid: { $0 >= 0 && $0 < 1 }, rule: "a probability in [0, 1)"),
    .flag("first-relu", default: true, help: "MLP: activation after the first layer (false: the paper's second builder)."),
  ]

  static let compute: [Parameter] = [
    .format(default: "binary32", help: "Storage format (see `precisionlab formats`)."),
    Parameter("accumulate", default: "same", help: "Accumulation format of the kernels: same, fp32 or fp64.") { v in
      switch v {
      case "same": return .success("same")
      case "fp32", "binary32": return .success("binary32")
      case "fp64", "binary64": return .success("binary64")
      default: return .failure(ParameterError("--accumulate: unknown value '\(v)'; valid: same, fp32, fp64"))
      }
    },
    Parameter("rounding", default: "nearest-even", help: "Rounding mode.") { v in
      RoundingMode(name: v).map { .success($0.name) }
        ?? .failure(ParameterError("--rounding: unknown mode '\(v)'; valid: \(RoundingMode.allCases.map(\.name).joined(separator: ", "))"))
    },
    Parameter("summation", default: "sequential", help: "Summation order: sequential, pairwise, blocked:N, or blas (the BLAS library's own order; binary32/64).") { v in
      KernelOptions.SummationOrder(name: v).map { .success($0.description) }
        ?? .failure(ParameterError("--summation: unknown order '\(v)'; valid: sequential, pairwise, blocked:N, blas"))
    },
    .flag("fused", default: false, help: "Fused multiply-add in the kernels."),
  ]

  static func kink(relu0 defaultAlpha: String, pair: Bool) -> [Parameter] {
    [
      Parameter("relu0", default: defaultAlpha, separator: pair ? ";" : ",", help: pair ? "The pair of ReLU'(0) values compared, A,B (alternatives separated by ';')." : "ReLU'(0).") { v in
        let parts = v.split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == (pair ? 2 : 1), parts.allSatisfy({ $0?.isFinite == true }) else {
          return .failure(ParameterError("--relu0: expected \(pair ? "a pair A,B of numbers like 0,1" : "a number"), got '\(v)'"))
        }
        return .success(parts.map { Parameter.shortest($0!) }.joined(separator: ","))
      },
      .choice("kink-rule", ["scale", "paper"], default: "scale", help: "scale: grad_in = alpha·grad_out at 0; paper: grad_in = alpha (the paper's code)."),
    ]
  }

  static func data(batchSize: Int) -> [Parameter] {
    [
      .choice("data", ["mnist", "fashion-mnist", "cifar10", "synthetic"], default: "mnist", help: "Dataset (training set; pixels k/255)."),
      .integer("batch-size", default: batchSize, minimum: 1, help: "Mini-batch size."),
      .integer("max-batches", default: 0, minimum: 0, help: "Batches per pass (0: one whole pass)."),
      .flag("shuffle", default: false, help: "Seeded shuffle of the training set (per epoch) instead of file order."),
      .flag("augment", default: false, help: "Random crop with padding 4 and horizontal flip (images)."),
      .choice("normalize", ["none", "mnist", "cifar10", "cifar10-common"], default: "none", help: "Per-channel normalisation after k/255 (cifar10-common: the widespread wrong std)."),
    ]
  }

  /// The sample shape of a dataset (synthetic: what the model takes).
  static func sampleShape(_ v: [String: String]) -> [Int] {
    switch v["data"]! {
    case "mnist", "fashion-mnist": return [1, 28, 28]
    case "cifar10": return [3, 32, 32]
    default:
      if v["model"] != "mlp" { return [3, 32, 32] }
      let first = Parameter.integerList(v["widths"]!)![0]
      return first == 784 ? [1, 28, 28] : first == 3072 ? [3, 32, 32] : [first]
    }
  }

  /// Checks that hold for every experiment.
  static func check(_ v: [String: String]) -> ParameterError? {
    let format = try! FloatFormat.named(v["format"]!)
    let accumulate = AccumulationChoice(rawValue: v["accumulate"]!)!
    if !ScalarDispatch.supports(format: format, accumulate: accumulate) {
      return ParameterError("--accumulate \(v["accumulate"]!) needs a storage format within binary64, not \(format.name)")
    }
    if v["summation"] == "blas",
      let problem = BLAS.problem(storage: format, accumulate: accumulate.format(storage: format), mode: RoundingMode(name: v["rounding"]!)!, fused: v["fused"] == "true")
    {
      return ParameterError("--summation blas: \(problem)")
    }
    let shape = sampleShape(v)
    if v["model"] == "mlp" {
      let widths = Parameter.integerList(v["widths"]!)!
      if widths[0] != shape.reduce(1, *) {
        return ParameterError("--widths \(v["widths"]!): the input size \(widths[0]) does not match \(v["data"]!) samples of shape \(shape) (\(shape.reduce(1, *)) values)")
      }
      if widths.last! != 10 { return ParameterError("--widths \(v["widths"]!): the output size must be 10 (the datasets have 10 classes)") }
    } else if shape.count != 3 {
      return ParameterError("--model \(v["model"]!) needs image data, not samples of shape \(shape)")
    }
    if v["augment"] == "true" && shape.count != 3 { return ParameterError("--augment needs image data") }
    if let n = v["normalize"], n != "none" {
      let channels = n == "mnist" ? 1 : 3
      if shape.count != 3 || shape[0] != channels { return ParameterError("--normalize \(n) is for \(channels)-channel images, not samples of shape \(shape)") }
    }
    return nil
  }

  static func modelSpec(_ t: Trial) -> GradientJob.Model {
    let shape = sampleShape(t.values)
    let batchNorm = t.flag("batch-norm")
    switch t["model"] {
    case "vgg":
      return .vgg(config: VGG.configuration(t["vgg-config"])!, input: shape, classes: 10, batchNorm: batchNorm, widthMultiplier: t.double("width-multiplier"))
    case "resnet":
      return .resnet(blocks: Parameter.integerList(t["resnet-blocks"])!, input: shape, classes: 10, batchNorm: batchNorm, widthMultiplier: t.double("width-multiplier"), stemMaxPool: true)
    default:
      let dropout = t.double("dropout")
      return .mlp(widths: Parameter.integerList(t["widths"])!, activateFirstLayer: t.flag("first-relu"), batchNorm: batchNorm, dropout: dropout > 0 ? dropout : nil)
    }
  }

  static func computeSettings(_ t: Trial) -> ComputeSettings {
    var c = ComputeSettings(format: try! FloatFormat.named(t["format"]), accumulate: AccumulationChoice(rawValue: t["accumulate"])!, rounding: RoundingMode(name: t["rounding"])!)
    c.roundingSeed = t.seed
    c.options = KernelOptions(order: KernelOptions.SummationOrder(name: t["summation"])!, fused: t.flag("fused"))
    return c
  }

  static func preprocessing(_ t: Trial) -> Preprocessing {
    let normalization: Preprocessing.Normalization?
    switch t["normalize"] {
    case "mnist": normalization = .mnist
    case "cifar10": normalization = .cifar10
    case "cifar10-common": normalization = .cifar10Common
    default: normalization = nil
    }
    let augment = t.flag("augment")
    let size = sampleShape(t.values).last!
    return Preprocessing(normalization: normalization, randomCrop: augment ? (size, 4) : nil, horizontalFlip: augment, seed: t.seed)
  }

  static func feed(_ t: Trial, _ context: TrialContext) throws -> (BatchFeed, LabeledImages) {
    let sets = try context.data.load(t["data"], syntheticShape: sampleShape(t.values))
    let maxBatches = t.int("max-batches")
    let feed = BatchFeed(
      data: sets.train, preprocessing: preprocessing(t), batchSize: t.int("batch-size"),
      shuffleSeed: t.flag("shuffle") ? t.seed : nil, maxBatches: maxBatches > 0 ? maxBatches : nil)
    return (feed, sets.test)
  }

  static func alphas(_ t: Trial) -> (Double, Double) {
    let parts = t["relu0"].split(separator: ",").map { Double($0)! }
    return (parts[0], parts[1])
  }

  static func number(_ x: Double?) -> String {
    guard let x else { return "" }
    return x.isNaN ? "nan" : x.isInfinite ? (x > 0 ? "inf" : "-inf") : "\(x)"
  }

  static func list(_ values: [Int]) -> String { values.map(String.init).joined(separator: ";") }
}
