import ArgumentParser
import Networks
import Scalars

/// `precisionlab grad`: one loss and all gradients of a model on one batch.
struct GradCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "grad",
    abstract: "Compute one loss and every parameter gradient; write them as safetensors.",
    discussion: """
      Inputs come from a safetensors file holding 'inputs' ([N, features] or [N, c, h, w]) and \\
      'labels' ([N] integers). Parameters come from --params (PyTorch state_dict names, e.g. 0.weight) \\
      or PyTorch's default initialisation from --seed. Prints the loss (exact hex and decimal) and the \\
      number of exact zeros at each ReLU input.
      """)

  @OptionGroup var precision: PrecisionOptions
  @OptionGroup var modelOptions: ModelOptions

  @Option(help: ArgumentHelp("Parameters as safetensors (PyTorch names).", valueName: "file"))
  var params: String?

  @Option(help: "Seed of the default initialisation (when no --params).")
  var seed: UInt64 = 0

  @Option(help: ArgumentHelp("Safetensors file with 'inputs' and 'labels'.", valueName: "file"))
  var inputs: String

  @Option(name: .customLong("batch-size"), help: "Rows per batch (default: all rows).")
  var batchSize: Int?

  @Option(name: .customLong("batch-index"), help: "Which batch.")
  var batchIndex = 0

  @Option(help: ArgumentHelp("Write the gradients here as safetensors.", valueName: "file"))
  var out: String?

  @Option(name: .customLong("hex-dump"), help: ArgumentHelp("Also write every gradient element as exact hex text.", valueName: "file"))
  var hexDump: String?

  func validate() throws {
    if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be at least 1, got \(batchSize)") }
    guard batchIndex >= 0 else { throw ValidationError("--batch-index must not be negative") }
  }

  func run() throws {
    var job = GradientJob(model: modelOptions.job, format: precision.floatFormat, inputsPath: inputs)
    job.accumulate = precision.accumulation
    job.rounding = precision.roundingMode
    job.roundingSeed = precision.roundingSeed
    job.options = precision.kernelOptions
    job.threads = precision.threads
    job.activation = modelOptions.activation
    job.parametersPath = params
    job.initSeed = seed
    job.batchSize = batchSize
    job.batchIndex = batchIndex
    job.outputPath = out
    job.hexDumpPath = hexDump
    do {
      let report = try job.run()
      print("loss \(report.lossHex) \(report.loss)")
      print("kinks \(report.kinks.map(String.init).joined(separator: " "))")
      if let out { print("wrote \(report.parameterNames.count) gradients to \(out)") }
    } catch {
      throw failWithDataError(error.description)
    }
  }
}
