import ArgumentParser
import Networks
import Scalars
import Tensors

/// How a network computes: format, accumulation, rounding, summation order, threads.
struct PrecisionOptions: ParsableArguments {
  @Option(help: ArgumentHelp("Storage format of the network (see `precisionlab formats`).", valueName: "format"))
  var format: String = "fp32"

  @Option(help: ArgumentHelp("Accumulation format of the kernels: same, fp32 or fp64.", valueName: "format"))
  var accumulate: String = "same"

  @Option(help: ArgumentHelp("Rounding mode: \(RoundingMode.allCases.map(\.name).joined(separator: ", ")).", valueName: "mode"))
  var rounding: String = RoundingMode.nearestEven.name

  @Option(name: .customLong("rounding-seed"), help: "Seed of the stochastic-rounding stream.")
  var roundingSeed: UInt64 = 0

  @Option(help: ArgumentHelp("Summation order of dot products: sequential, pairwise, blocked:N, or blas (the BLAS library's own order; binary32/64 only).", valueName: "order"))
  var summation: String = "sequential"

  @Flag(help: "Fused multiply-add in the kernels (one rounding per term).")
  var fused = false

  @Option(help: "Threads for the kernels (never changes a result).")
  var threads = 1

  var floatFormat: FloatFormat { try! FloatFormat.named(format) }
  var roundingMode: RoundingMode { RoundingMode(name: rounding)! }
  var accumulation: AccumulationChoice { AccumulationChoice(name: accumulate, storage: floatFormat)! }
  var kernelOptions: KernelOptions { KernelOptions(order: KernelOptions.SummationOrder(name: summation)!, fused: fused) }

  func validate() throws {
    let format: FloatFormat
    do { format = try FloatFormat.named(self.format) } catch { throw ValidationError(error.description) }
    guard RoundingMode(name: rounding) != nil else {
      throw ValidationError("unknown rounding mode '\(rounding)'; valid: \(RoundingMode.allCases.map(\.name).joined(separator: ", "))")
    }
    guard let choice = AccumulationChoice(name: accumulate, storage: format) else {
      throw ValidationError("unknown accumulation format '\(accumulate)'; valid: same, fp32, fp64")
    }
    guard ScalarDispatch.supports(format: format, accumulate: choice) else {
      throw ValidationError("--accumulate \(accumulate) needs a storage format within binary64; \(format.name) accumulates in itself (--accumulate same)")
    }
    guard KernelOptions.SummationOrder(name: summation) != nil else {
      throw ValidationError("unknown summation order '\(summation)'; valid: sequential, pairwise, blocked:N (N ≥ 1), blas")
    }
    if summation == "blas" {
      if let problem = BLAS.problem(storage: format, accumulate: choice.format(storage: format), mode: RoundingMode(name: rounding)!, fused: fused) {
        throw ValidationError("--summation blas: \(problem)")
      }
    }
    guard threads >= 1 else { throw ValidationError("--threads must be at least 1, got \(threads)") }
  }
}

/// Which model, its shape and its activation.
struct ModelOptions: ParsableArguments {
  @Option(help: "Model: mlp, vgg or resnet.")
  var model: String = "mlp"

  @Option(help: ArgumentHelp("MLP layer sizes, input and output included.", valueName: "n,n,…"))
  var widths: String = "784,256,256,256,10"

  @Option(name: .customLong("vgg-config"), help: "VGG configuration, e.g. 64-M-128-M (default VGG11).")
  var vggConfig: String = "64-M-128-M-256-256-M-512-512-M-512-512-M"

  @Option(name: .customLong("resnet-blocks"), help: "BasicBlocks per stage (default ResNet18).")
  var resnetBlocks: String = "2,2,2,2"

  @Option(name: .customLong("input-shape"), help: ArgumentHelp("Image shape for vgg and resnet.", valueName: "c,h,w"))
  var inputShape: String = "3,32,32"

  @Option(help: "Classes (vgg, resnet).")
  var classes = 10

  @Flag(name: .customLong("batch-norm"), inversion: .prefixedNo, help: "Batch normalisation (mlp and vgg default off, resnet default on).")
  var batchNorm: Bool?

  @Option(help: "MLP: dropout probability after each activation.")
  var dropout: Double?

  @Option(name: .customLong("width-multiplier"), help: "Channel multiplier for vgg and resnet.")
  var widthMultiplier = 1.0

  @Flag(name: .customLong("stem-max-pool"), help: "ResNet: max pool after the stem.")
  var stemMaxPool = false

  @Flag(name: .customLong("no-first-relu"), help: "MLP: no activation after the first layer (the paper's second builder).")
  var noFirstReLU = false

  @Option(name: .customLong("relu0"), help: "ReLU'(0), the derivative used at 0.")
  var relu0 = 0.0

  @Option(name: .customLong("kink-rule"), help: "scale (grad_in = alpha·grad_out) or paper (grad_in = alpha, the paper's code).")
  var kinkRule: String = KinkRule.scale.rawValue

  static func integers(_ text: String) -> [Int]? {
    let parts = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
    return parts.isEmpty || parts.contains(nil) ? nil : parts.map { $0! }
  }

  func validate() throws {
    guard ["mlp", "vgg", "resnet"].contains(model) else { throw ValidationError("unknown model '\(model)'; valid: mlp, vgg, resnet") }
    guard let w = Self.integers(widths), w.count >= 2, w.allSatisfy({ $0 >= 1 }) else {
      throw ValidationError("--widths '\(widths)': expected at least two positive sizes like 784,256,10")
    }
    guard VGG.configuration(vggConfig) != nil else { throw ValidationError("--vgg-config '\(vggConfig)': expected sizes and M, like 64-M-128-M") }
    guard let b = Self.integers(resnetBlocks), b.allSatisfy({ $0 >= 1 }) else { throw ValidationError("--resnet-blocks '\(resnetBlocks)': expected positive counts like 2,2,2,2") }
    guard let s = Self.integers(inputShape), s.count == 3, s.allSatisfy({ $0 >= 1 }) else { throw ValidationError("--input-shape '\(inputShape)': expected c,h,w like 3,32,32") }
    guard classes >= 1 else { throw ValidationError("--classes must be at least 1") }
    guard widthMultiplier > 0 else { throw ValidationError("--width-multiplier must be positive") }
    guard KinkRule(rawValue: kinkRule) != nil else { throw ValidationError("unknown kink rule '\(kinkRule)'; valid: scale, paper") }
    guard relu0.isFinite else { throw ValidationError("--relu0 must be a finite number") }
    if let dropout, !(dropout >= 0 && dropout < 1) { throw ValidationError("--dropout must be in [0, 1), got \(dropout)") }
  }

  var activation: Activation { .relu(relu0, rule: KinkRule(rawValue: kinkRule)!) }

  var job: GradientJob.Model {
    let shape = Self.integers(inputShape)!
    switch model {
    case "vgg":
      return .vgg(config: VGG.configuration(vggConfig)!, input: shape, classes: classes, batchNorm: batchNorm ?? false, widthMultiplier: widthMultiplier)
    case "resnet":
      return .resnet(blocks: Self.integers(resnetBlocks)!, input: shape, classes: classes, batchNorm: batchNorm ?? true, widthMultiplier: widthMultiplier, stemMaxPool: stemMaxPool)
    default:
      return .mlp(widths: Self.integers(widths)!, activateFirstLayer: !noFirstReLU, batchNorm: batchNorm ?? false, dropout: dropout)
    }
  }
}

#if canImport(Foundation)
import Foundation
#endif
