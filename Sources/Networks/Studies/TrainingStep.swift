import Foundation
import Scalars
import Tensors

/// What the training loop needs of a mixed-precision trainer, whatever its master format: the loop is
/// compiled once per storage format `Model`, the trainer once per (storage, master) pair behind this
/// protocol (one call per optimisation step).
protocol TrainingStep<Model> {
  associatedtype Model: PrecisionScalar
  /// One optimiser step from gradients of the loss times `lossScale`; the new working parameters, or
  /// nil when the step was skipped (a scaled gradient overflowed).
  mutating func step(_ scaledGradients: [Tensor<Model>]) -> [Tensor<Model>]?
  var lossScale: Double { get }
  var skippedSteps: Int { get }
  /// Whether the master weights and optimiser state are exact in a checkpoint (formats within binary64).
  var canCheckpoint: Bool { get }
  /// The master weights, optimiser buffers and counters, into a checkpoint file.
  func write(into file: inout SafetensorsFile)
  /// The same, back from a checkpoint file, for parameters of `shapes`.
  mutating func read(from file: SafetensorsFile, shapes: [[Int]], path: String) throws
}

/// A `MixedPrecisionTrainer` with master weights in `M` for a model stored in `T`.
///
/// Called through `any TrainingStep<T>`, its methods are the generic ones (a witness table built at
/// run time), which would run the optimiser's element loop unspecialised. So the step is a closure
/// formed where `T` and `M` are concrete (`TrainingStudy`'s visitor): that closure is specialised.
struct MasterTrainingStep<T: PrecisionScalar, M: PrecisionScalar>: TrainingStep {
  var trainer: MixedPrecisionTrainer<M>
  let update: (inout MixedPrecisionTrainer<M>, [Tensor<T>]) -> [Tensor<T>]?

  /// `update` is `{ $0.step(scaledGradients: $1, as: T.self) }`, written by a caller that knows `T` and `M`.
  init(trainer: MixedPrecisionTrainer<M>, update: @escaping (inout MixedPrecisionTrainer<M>, [Tensor<T>]) -> [Tensor<T>]?) {
    self.trainer = trainer
    self.update = update
  }

  mutating func step(_ scaledGradients: [Tensor<T>]) -> [Tensor<T>]? { update(&trainer, scaledGradients) }
  var lossScale: Double { trainer.lossScale }
  var skippedSteps: Int { trainer.skippedSteps }
  var canCheckpoint: Bool { ScalarConversion.isExactInBinary64(T.self) && ScalarConversion.isExactInBinary64(M.self) }

  func write(into file: inout SafetensorsFile) {
    for (i, p) in trainer.master.enumerated() { file.set("master.\(i)", p) }
    let state = trainer.optimizer.state
    for (i, v) in state.first.enumerated() { file.set("opt1.\(i)", Tensor(shape: [v.count], storage: v)) }
    for (i, v) in state.second.enumerated() { file.set("opt2.\(i)", Tensor(shape: [v.count], storage: v)) }
    file.metadata["steps"] = "\(state.steps)"
    file.metadata["loss_scale"] = "\(trainer.lossScale)"
    file.metadata["good_steps"] = "\(trainer.scaling.growthTracker)"
    file.metadata["skipped_steps"] = "\(trainer.skippedSteps)"
  }

  mutating func read(from file: SafetensorsFile, shapes: [[Int]], path: String) throws {
    trainer.master = try file.parameters(names: shapes.indices.map { "master.\($0)" }, shapes: shapes, as: M.self)
    guard let steps = Int(file.metadata["steps"] ?? ""), let scale = Double(file.metadata["loss_scale"] ?? ""),
      let good = Int(file.metadata["good_steps"] ?? ""), let skipped = Int(file.metadata["skipped_steps"] ?? "")
    else { throw SafetensorsError("\(path): not a PrecisionLab training checkpoint") }
    var first: [[M]] = [], second: [[M]] = []
    if steps > 0 {
      let flat = shapes.map { [$0.reduce(1, *)] }
      first = try file.parameters(names: shapes.indices.map { "opt1.\($0)" }, shapes: flat, as: M.self).map(\.storage)
      second = try file.parameters(names: shapes.indices.map { "opt2.\($0)" }, shapes: flat, as: M.self).map(\.storage)
    }
    trainer.optimizer.state = (steps, first, second)
    trainer.scaling.restore(scale: scale, growthTracker: good % trainer.scaling.growthInterval)
    trainer.skippedSteps = skipped
  }
}
