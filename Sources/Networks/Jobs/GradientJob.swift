import Foundation
import Scalars
import Tensors

/// One loss and every gradient of a model on one batch, in a format chosen at run time: what
/// `precisionlab grad` runs.
public struct GradientJob: Sendable {
  /// The model; an empty `input` takes the shape of one row of the inputs.
  public var model: ModelSpec
  /// Format, accumulation, rounding (and its seed), summation order, threads.
  public var compute: ComputeSettings
  public var activation: LayerSpec = .relu(0)
  /// Parameters from a safetensors file, else PyTorch's default initialisation from `initSeed`.
  public var parametersPath: String?
  public var initSeed: UInt64 = 0
  /// The loss gradient is multiplied by this before backprop; the gradients written are the scaled ones,
  /// as PyTorch's `.grad` after `GradScaler.scale(loss).backward()` (1: no scaling).
  public var lossScale: Double = 1
  /// Where the batch comes from.
  public enum Inputs: Sendable {
    /// A safetensors file with `inputs` ([N, …] floating point) and `labels` ([N] integers).
    case file(String)
    /// Values already computed in binary64 (rounded once into the run's format here), with a name
    /// for messages: what `--data` gives after the dataset's preprocessing.
    case values(shape: [Int], values: [Double], labels: [Int], name: String)
  }

  public var inputs: Inputs
  /// The inputs' name in messages.
  public var inputsPath: String {
    switch inputs {
    case .file(let path): return path
    case .values(_, _, _, let name): return name
    }
  }
  /// Rows [batchIndex·batchSize, (batchIndex+1)·batchSize) of the inputs (all rows when nil).
  public var batchSize: Int?
  public var batchIndex = 0
  public var outputPath: String?
  public var hexDumpPath: String?
  /// Called as the forward and backward passes move through the layers: steps done, steps in all
  /// (`LayerProgress`); nil for none.
  public var progress: (@Sendable (_ done: Int, _ total: Int) -> Void)?

  public init(model: ModelSpec, format: FloatFormat, inputs: Inputs) {
    self.model = model
    self.compute = ComputeSettings(format: format)
    self.inputs = inputs
  }

  public struct Report: Sendable {
    public var lossHex: String
    public var loss: Double
    public var kinks: [Int]
    public var parameterNames: [String]
    public var batchRows: Int
  }

  /// Runs the job. Errors (`GradientJobError`, `SafetensorsError`) name the file and the problem.
  public func run() throws -> Report {
    try compute.run(Visitor(job: self))
  }

  struct Visitor: ScalarVisitor {
    let job: GradientJob

    func visit<T: PrecisionScalar>(storage _: T.Type) throws -> Report {
      var x: Tensor<T>
      var labels: [Int]
      switch job.inputs {
      case .file(let path):
        let file = try SafetensorsFile.read(from: path)
        x = try file.tensor("inputs", as: T.self)
        labels = try file.labels("labels")
      case .values(let shape, let values, let l, _):
        x = RoundingEnvironment.with(.nearestEven) { Tensor(shape: shape, doubles: values) }
        labels = l
      }
      guard x.rank >= 2, x.shape[0] == labels.count else {
        throw GradientJobError("\(job.inputsPath): 'inputs' \(x.shape) and 'labels' [\(labels.count)] disagree")
      }
      if let size = job.batchSize {
        let (start, overflow) = job.batchIndex.multipliedReportingOverflow(by: size)
        guard size >= 1, !overflow, start >= 0, start <= labels.count - size else {
          throw GradientJobError("\(job.inputsPath): batch \(job.batchIndex) of size \(size) is outside its \(labels.count) rows")
        }
        let width = x.count / x.shape[0]
        x = Tensor(shape: [size] + x.shape.dropFirst(), storage: Array(x.storage[(start * width)..<((start + size) * width)]))
        labels = Array(labels[start..<(start + size)])
      }
      let plan = job.compute.plan
      let parameters: SafetensorsFile? = try job.parametersPath.map { path throws(SafetensorsError) in try SafetensorsFile.read(from: path) }
      var model = job.model
      if model.input.isEmpty { model.input = Array(x.shape.dropFirst()) }
      let sampleShape = model.input
      guard x.count == x.shape[0] * sampleShape.reduce(1, *) else {
        throw GradientJobError("\(job.inputsPath): inputs \(x.shape) do not match the model's input shape \(sampleShape)")
      }
      if let problem = model.problem(sampleShape: sampleShape, dataClasses: model.classes) {
        throw GradientJobError("\(job.inputsPath): \(problem)")
      }
      if let problem = model.memoryProblem(batchSize: labels.count) {
        throw GradientJobError("\(job.inputsPath): \(problem)")
      }
      if let label = labels.first(where: { !(0..<model.classes).contains($0) }) {
        throw GradientJobError("\(job.inputsPath): label \(label) is outside the model's \(model.classes) classes 0..<\(model.classes)")
      }
      var network: Network<T> = model.make(activation: job.activation, seed: job.initSeed)
      if let parameters {
        network.parameters = try parameters.parameters(names: network.parameterNames, shapes: network.parameters.map(\.shape), as: T.self)
      }
      let input = x.reshaped([x.shape[0]] + sampleShape)
      let (loss, gradients, kinks): (T, [Tensor<T>], [Int])
      if let progress = job.progress {
        let steps = LayerProgress.steps(network.layers), counter = StepCounter()
        (loss, gradients, kinks) = LayerProgress.withReport({ progress(counter.next(), steps) }) {
          network.lossAndGradients(input, labels: labels, plan, lossScale: job.lossScale)
        }
      } else {
        (loss, gradients, kinks) = network.lossAndGradients(input, labels: labels, plan, lossScale: job.lossScale)
      }
      let names = network.parameterNames
      if let out = job.outputPath {
        var file = SafetensorsFile()
        for (name, g) in zip(names, gradients) { file.set(name, g) }
        file.metadata["precisionlab.loss"] = loss.hexDescription
        file.metadata["precisionlab.kernel"] = "accumulate \(plan.accumulationFormat(storage: T.self).name), \(job.compute.options)"
        file.metadata["precisionlab.rounding"] = job.compute.rounding.name
        if job.lossScale != 1 { file.metadata["precisionlab.loss_scale"] = "\(job.lossScale)" }
        try file.write(to: out)
      }
      if let path = job.hexDumpPath {
        do {
          try SafetensorsFile.hexDump(Array(zip(names, gradients))).write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
          throw GradientJobError("\(path): cannot write (\(error.localizedDescription))")
        }
      }
      return Report(lossHex: loss.hexDescription, loss: loss.doubleValue, kinks: kinks, parameterNames: names, batchRows: labels.count)
    }
  }
}

/// Inputs that do not fit a gradient job: one line naming the file and the problem.
public struct GradientJobError: Error, CustomStringConvertible {
  public let description: String
  public init(_ description: String) { self.description = description }
}

/// Counts progress calls (one thread calls it; the lock keeps it Sendable).
final class StepCounter: @unchecked Sendable {
  private let lock = NSLock()
  private var n = 0
  func next() -> Int {
    lock.lock()
    defer { lock.unlock() }
    n += 1
    return n
  }
}
