import ArgumentParser
import Foundation
import Datasets
import Experiments
import Networks
import Scalars

/// `precisionlab grad`: one loss and all gradients of a model on one batch.
struct GradCommand: ParsableCommand {
  /// The model, computation, kink and data options: the experiments' table (one value each here).
  static let table = ParameterTable(
    ModelParameters.all + ComputeParameters.all + [KinkParameters.relu0(default: "0", pair: false), KinkParameters.rule, KinkParameters.activationKind]
      + [DataParameters.data, DataParameters.batchSizeOrAll, DataParameters.normalize, DataParameters.inputShape]
      + [ComputeParameters.lossScale(dynamic: false)],
    owner: "grad")

  static let configuration = CommandConfiguration(
    commandName: "grad",
    abstract: "Compute one loss and every parameter gradient; write them as safetensors.",
    discussion: """
      Inputs come from a safetensors file holding 'inputs' ([N, features] or [N, c, h, w]) and \
      'labels' ([N] integers), or from --data (the training set in file order). Parameters come from \
      --params (PyTorch state_dict names, e.g. 0.weight) or PyTorch's default initialisation from \
      --seed. Prints the loss (exact hex and decimal) and the number of exact zeros at each ReLU input.

      Model, computation and data options (as the experiment commands spell them, one value each):
      """ + "\n" + table.help)

  @Option(help: ArgumentHelp("Parameters as safetensors (PyTorch names).", valueName: "file"))
  var params: String?

  @Option(help: "Seed of the default initialisation (when no --params) and, unless --rounding-seed says, of stochastic rounding.")
  var seed: UInt64 = 0

  @Option(help: ArgumentHelp("Safetensors file with 'inputs' and 'labels' (instead of --data).", valueName: "file"))
  var inputs: String?

  @Option(name: .customLong("data-dir"), help: ArgumentHelp("Data directory (default: $PRECISIONLAB_DATA, else ./data).", valueName: "dir"))
  var dataDir: String?

  @Option(name: .customLong("batch-index"), help: "Which batch.")
  var batchIndex = 0

  @Option(help: "Threads for the kernels (never changes a result).")
  var threads = 1

  @Option(help: ArgumentHelp("Write the gradients here as safetensors.", valueName: "file"))
  var out: String?

  @Option(name: .customLong("hex-dump"), help: ArgumentHelp("Also write every gradient element as exact hex text.", valueName: "file"))
  var hexDump: String?

  @Flag(help: "No progress output (shown for a run that takes long: a bar on a terminal, a line every five seconds otherwise).")
  var quiet = false

  @Argument(parsing: .allUnrecognized, help: "Model, computation and data options (see below).", completion: completion(table))
  var settings: [String] = []

  func validate() throws {
    guard batchIndex >= 0 else { throw ValidationError("--batch-index must not be negative") }
    guard threads >= 1 else { throw ValidationError("--threads must be at least 1, got \(threads)") }
  }

  /// The options' values, checked: one each, defaults filled in.
  func values() throws -> [String: String] {
    let raw = try parseOptions(settings, Self.table)
    guard (inputs == nil) != (raw["data"] == nil) else { throw failWithUsage("give exactly one of --inputs FILE and --data NAME") }
    do {
      let values = try Self.table.single(raw)
      if let problem = ComputeParameters.problem(values) ?? (inputs == nil ? DataParameters.problem(values) : nil) { throw problem }
      return values
    } catch let error as ParameterError {
      throw failWithUsage(error.description)
    }
  }

  /// The model: samples of the dataset's shape (or `--input-shape`), or with `--inputs` and no
  /// `--input-shape` whatever shape the file's rows have.
  func model(_ v: [String: String]) throws -> ModelSpec {
    if inputs != nil && DataParameters.inputShapeIsAuto(v) { return ModelParameters.spec(v, sampleShape: []) }
    let shape = DataParameters.sampleShape(v)
    let spec = ModelParameters.spec(v, sampleShape: shape)
    let classes = DataParameters.name(v) == "synthetic" || inputs != nil ? spec.classes : DataParameters.classes
    if let problem = spec.problem(sampleShape: shape, dataClasses: classes) { throw failWithUsage("--model \(spec.kind.rawValue): \(problem)") }
    return spec
  }

  /// The batch from --inputs, or cut from --data (in file order) and preprocessed in binary64.
  func batchInputs(_ v: [String: String], model: ModelSpec) throws -> GradientJob.Inputs {
    if let inputs { return .file(inputs) }
    let name = DataParameters.name(v)
    let set: LabeledImages
    if name == "synthetic" {
      let shape = DataParameters.sampleShape(v)
      set = Synthetic.images(count: 1024, classes: model.classes, shape: shape, seed: seed)
      writeAll("precisionlab: using synthetic data (1024 images of shape \(shape) from seed \(seed)), not a real dataset\n", to: 2)
    } else {
      do {
        set = try DatasetDescriptor.named(name)!.load(from: resolveDataDirectory(dataDir)).train
      } catch {
        throw failWithDataError("\(error.description) (fetch it with: precisionlab data fetch \(name))")
      }
    }
    let size = DataParameters.batchSize(v) ?? set.count
    let order = BatchOrder(count: set.count, batchSize: size)
    guard batchIndex < order.batchCount else {
      throw failWithDataError("\(name): batch \(batchIndex) of size \(order.batchSize) is outside its \(set.count) samples")
    }
    let (x, labels) = DataParameters.preprocessing(v, seed: seed).batch(set, indices: order.indices(ofBatch: batchIndex), as: Double.self)
    return .values(shape: x.shape, values: x.storage, labels: labels, name: name)
  }

  func run() throws {
    let v = try values()
    let model = try model(v)
    var job = GradientJob(model: model, format: ComputeParameters.format(v), inputs: try batchInputs(v, model: model))
    job.compute = ComputeParameters.settings(v, seed: seed, threads: threads)
    job.activation = KinkParameters.setting(v).layer
    job.lossScale = ComputeParameters.lossScaling(v).scale
    job.parametersPath = params
    job.initSeed = seed
    job.batchSize = inputs != nil ? DataParameters.batchSize(v) : nil  // --data already cut the batch
    job.batchIndex = batchIndex
    job.outputPath = out
    job.hexDumpPath = hexDump
    let meter = GradProgress(quiet: quiet)
    job.progress = { done, total in meter.update(done, total) }
    do {
      defer { meter.finish() }
      let report = try job.run()
      print("loss \(report.lossHex) \(report.loss)")
      print("kinks \(report.kinks.map(String.init).joined(separator: " "))")
      if let out { print("wrote \(report.parameterNames.count) gradients to \(out)") }
    } catch {
      throw failWithDataError("\(error)")
    }
  }
}

/// The layer-by-layer progress of one long `grad` run (nothing for a quick one).
final class GradProgress: @unchecked Sendable {
  private let lock = NSLock()
  private let quiet: Bool
  private var meter: ProgressMeter?

  init(quiet: Bool) { self.quiet = quiet }

  func update(_ done: Int, _ total: Int) {
    lock.lock()
    defer { lock.unlock() }
    if meter == nil { meter = ProgressMeter(total: total, unit: .items("layer steps"), label: "grad", quiet: quiet, onlyWhenSlow: true) }
    meter?.update(done)
  }

  func finish() {
    lock.lock()
    defer { lock.unlock() }
    meter?.finish()
  }
}
