import Foundation
import Scalars
import Tensors

/// One loss and every gradient of a model on one batch, in a format chosen at run time: what
/// `precisionlab grad` runs.
public struct GradientJob: Sendable {
  public enum Model: Sendable {
    case mlp(widths: [Int], activateFirstLayer: Bool, batchNorm: Bool = false, dropout: Double? = nil)
    case vgg(config: [VGG.Item], input: [Int], classes: Int, batchNorm: Bool, widthMultiplier: Double)
    case resnet(blocks: [Int], input: [Int], classes: Int, batchNorm: Bool, widthMultiplier: Double, stemMaxPool: Bool)
  }

  public var model: Model
  /// Format, accumulation, rounding (and its seed), summation order, threads.
  public var compute: ComputeSettings
  public var activation: Activation = .relu(0)
  /// Parameters from a safetensors file, else PyTorch's default initialisation from `initSeed`.
  public var parametersPath: String?
  public var initSeed: UInt64 = 0
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

  public init(model: Model, format: FloatFormat, inputs: Inputs) {
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

  public func run() throws(SafetensorsError) -> Report {
    do {
      return try compute.run(Visitor(job: self))
    } catch let error as SafetensorsError {
      throw error
    } catch {
      throw SafetensorsError("\(error)")
    }
  }

  struct Visitor: ScalarVisitor {
    let job: GradientJob

    func visit<T: PrecisionScalar, A: PrecisionScalar>(storage _: T.Type, accumulate _: A.Type) throws -> Report {
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
        throw SafetensorsError("\(job.inputsPath): 'inputs' \(x.shape) and 'labels' [\(labels.count)] disagree")
      }
      if let size = job.batchSize {
        let start = job.batchIndex * size
        guard size >= 1, start >= 0, start + size <= labels.count else {
          throw SafetensorsError("\(job.inputsPath): batch \(job.batchIndex) of size \(size) is outside its \(labels.count) rows")
        }
        let width = x.count / x.shape[0]
        x = Tensor(shape: [size] + x.shape.dropFirst(), storage: Array(x.storage[(start * width)..<((start + size) * width)]))
        labels = Array(labels[start..<(start + size)])
      }
      let plan = KernelPlan(accumulate: A.self, options: job.compute.options, threads: job.compute.threads)
      let parameters: SafetensorsFile? = try job.parametersPath.map { path throws(SafetensorsError) in try SafetensorsFile.read(from: path) }
      // The plain MLP runs as its own type; every other model as a general network.
      let sampleShape = StudyModel<T>.sampleShape(job.model)
      var mlp: MLP<T>? = nil
      var network: Network<T>? = nil
      switch StudyModel<T>.make(job.model, activation: job.activation, seed: job.initSeed) {
      case .mlp(let m): mlp = m
      case .network(let n): network = n
      }
      guard x.count == x.shape[0] * sampleShape.reduce(1, *) else {
        throw SafetensorsError("\(job.inputsPath): inputs \(x.shape) do not match the model's input shape \(sampleShape)")
      }
      let input = x.reshaped([x.shape[0]] + sampleShape)
      let (loss, gradients, kinks, names): (T, [Tensor<T>], [Int], [String])
      if var net = network {
        if let parameters {
          net.parameters = try parameters.parameters(names: net.parameterNames, shapes: net.parameters.map(\.shape), as: T.self)
        }
        let r = net.lossAndGradients(input, labels: labels, plan)
        (loss, gradients, kinks, names) = (r.loss, r.gradients, r.kinks, net.parameterNames)
      } else {
        var net = mlp!
        if let parameters {
          net.parameters = try parameters.parameters(names: net.parameterNames, shapes: net.parameters.map(\.shape), as: T.self)
        }
        let r = net.lossAndGradients(input, labels: labels, plan)
        (loss, gradients, kinks, names) = (r.loss, r.gradients.all, r.kinks, net.parameterNames)
      }
      if let out = job.outputPath {
        var file = SafetensorsFile()
        for (name, g) in zip(names, gradients) { file.set(name, g) }
        file.metadata["precisionlab.loss"] = loss.hexDescription
        file.metadata["precisionlab.kernel"] = "accumulate \(A.format.name), \(job.compute.options)"
        file.metadata["precisionlab.rounding"] = job.compute.rounding.name
        try file.write(to: out)
      }
      if let path = job.hexDumpPath {
        do {
          try SafetensorsFile.hexDump(Array(zip(names, gradients))).write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
          throw SafetensorsError("\(path): cannot write (\(error.localizedDescription))")
        }
      }
      return Report(lossHex: loss.hexDescription, loss: loss.doubleValue, kinks: kinks, parameterNames: names, batchRows: labels.count)
    }
  }
}
