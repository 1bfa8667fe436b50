import ArgumentParser
import Datasets
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
  var inputs: String?

  @Option(help: ArgumentHelp("A dataset instead of --inputs: mnist, fashion-mnist, cifar10 (training set, pixels k/255) or synthetic.", valueName: "name"))
  var data: String?

  @Option(name: .customLong("data-dir"), help: ArgumentHelp("Data directory (default: $PRECISIONLAB_DATA, else ./data).", valueName: "dir"))
  var dataDir: String?

  @Option(name: .customLong("batch-size"), help: "Rows per batch (default: all rows).")
  var batchSize: Int?

  @Option(name: .customLong("batch-index"), help: "Which batch.")
  var batchIndex = 0

  @Option(help: ArgumentHelp("Write the gradients here as safetensors.", valueName: "file"))
  var out: String?

  @Option(name: .customLong("hex-dump"), help: ArgumentHelp("Also write every gradient element as exact hex text.", valueName: "file"))
  var hexDump: String?

  func validate() throws {
    guard (inputs == nil) != (data == nil) else { throw ValidationError("give exactly one of --inputs FILE and --data NAME") }
    if let data, data != "synthetic" && DatasetDescriptor.named(data) == nil {
      throw ValidationError("unknown dataset '\(data)'; valid: \((DatasetDescriptor.all.map(\.name) + ["synthetic"]).joined(separator: ", "))")
    }
    if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be at least 1, got \(batchSize)") }
    guard batchIndex >= 0 else { throw ValidationError("--batch-index must not be negative") }
  }

  /// The batch from --inputs, or cut from --data (in file order) and preprocessed in binary64.
  func batchInputs() throws -> GradientJob.Inputs {
    if let inputs { return .file(inputs) }
    let set: LabeledImages
    if data == "synthetic" {
      let shape = modelOptions.model == "mlp" ? [1, 28, 28] : ModelOptions.integers(modelOptions.inputShape)!
      set = Synthetic.images(count: 1024, classes: modelOptions.model == "mlp" ? 10 : modelOptions.classes, shape: shape, seed: seed)
      writeAll("precisionlab: using synthetic data (1024 MNIST-like images from seed \(seed)), not a real dataset\n", to: 2)
    } else {
      do {
        set = try DatasetDescriptor.named(data!)!.load(from: resolveDataDirectory(dataDir)).train
      } catch {
        throw failWithDataError("\(error.description) (fetch it with: precisionlab data fetch \(data!))")
      }
    }
    let order = BatchOrder(count: set.count, batchSize: batchSize ?? set.count)
    guard batchIndex < order.batchCount else {
      throw failWithDataError("\(data!): batch \(batchIndex) of size \(order.batchSize) is outside its \(set.count) samples")
    }
    let (x, labels) = Preprocessing().batch(set, indices: order.indices(ofBatch: batchIndex), as: Double.self)
    return .values(shape: x.shape, values: x.storage, labels: labels, name: data!)
  }

  func run() throws {
    var job = GradientJob(model: modelOptions.job, format: precision.floatFormat, inputs: try batchInputs())
    job.compute.accumulate = precision.accumulation
    job.compute.rounding = precision.roundingMode
    job.compute.roundingSeed = precision.roundingSeed
    job.compute.options = precision.kernelOptions
    job.compute.threads = precision.threads
    job.activation = modelOptions.activation
    job.parametersPath = params
    job.initSeed = seed
    job.batchSize = data == nil ? batchSize : nil  // --data already cut the batch
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
