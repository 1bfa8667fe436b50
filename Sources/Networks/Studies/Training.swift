import Datasets
import Foundation
import Scalars
import Tensors

/// Training a model with a chosen ReLU'(0), epoch by epoch (Bertoin et al. 2021, section 4, and the
/// exact-zero census): per epoch the mean training loss and accuracy over the batches seen, the test
/// loss and accuracy (evaluation mode), and the activation inputs exactly at the kink per layer, each
/// optionally classified by exact recomputation (`ZeroCause`).
///
/// Divergence: a NaN or infinite training loss ends the run cleanly with `diverged` set.
/// Mixed precision: `master` keeps binary32 or binary64 master weights updated by the optimiser and
/// rounded into the model's format after each step; `lossScale` multiplies the loss gradient (a
/// dynamic scale halves on overflow and doubles every 2000 good steps).
/// Checkpoints: after each epoch (when `checkpoint` is set and the formats are within binary64, so
/// the file is exact), the parameters, batch-norm buffers, optimiser state and the epoch records go to
/// a safetensors file through a temporary file and a rename; a run finding its checkpoint resumes
/// after the last finished epoch, bit-for-bit as if never interrupted.
public struct TrainingStudy: Sendable {
  public enum MasterWeights: String, Sendable, CaseIterable {
    case same, binary32, binary64
  }

  public var model: GradientJob.Model
  public var compute: ComputeSettings
  public var activation: Activation
  public var optimizer: OptimizerKind
  public var learningRate: Double
  public var schedule: LearningRateSchedule = .constant
  public var epochs: Int
  public var master: MasterWeights = .same
  public var lossScale: Double = 1
  public var dynamicLossScale = false
  public var rootCause = false
  public var train: BatchFeed
  /// Test set (evaluated after each epoch, in batches of `train.batchSize`); nil to skip.
  public var test: LabeledImages?
  public var testPreprocessing = Preprocessing()
  public var seed: UInt64
  public var checkpoint: String?

  public init(model: GradientJob.Model, compute: ComputeSettings, activation: Activation, optimizer: OptimizerKind, learningRate: Double, epochs: Int, train: BatchFeed, seed: UInt64) {
    self.model = model
    self.compute = compute
    self.activation = activation
    self.optimizer = optimizer
    self.learningRate = learningRate
    self.epochs = epochs
    self.train = train
    self.seed = seed
  }

  public struct Epoch: Sendable, Hashable, Codable {
    public var epoch: Int
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var testLoss: Double?
    public var testAccuracy: Double?
    /// Activation inputs exactly at the kink per activation layer, over this epoch's training passes.
    public var kinksPerLayer: [Int]
    /// Activation inputs seen per activation layer (batch × its width, summed over the epoch).
    public var activationInputs: [Int]
    public var exactZeros: Int?
    public var roundingZeros: Int?
    public var diverged: Bool
    public var skippedSteps: Int
    public var lossScale: Double
  }

  /// Runs (or resumes) the training; `report` receives each epoch's record as soon as it is known,
  /// including, on resume, the records restored from the checkpoint.
  public func run(report: @escaping (Epoch) -> Void) throws -> [Epoch] {
    try compute.run(Visitor(study: self, report: report))
  }

  struct Visitor: ScalarVisitor {
    let study: TrainingStudy
    let report: (Epoch) -> Void

    func visit<T: PrecisionScalar, A: PrecisionScalar>(storage _: T.Type, accumulate _: A.Type) throws -> [Epoch] {
      switch study.master {
      case .same: return try train(T.self, A.self, master: T.self)
      case .binary32: return try train(T.self, A.self, master: Float.self)
      case .binary64: return try train(T.self, A.self, master: Double.self)
      }
    }

    func train<T: PrecisionScalar, A: PrecisionScalar, M: PrecisionScalar>(_: T.Type, _: A.Type, master _: M.Type) throws -> [Epoch] {
      let s = study
      let plan = KernelPlan(accumulate: A.self, options: s.compute.options, threads: s.compute.threads)
      var model = StudyModel<T>.make(s.model, activation: s.activation, seed: s.seed, dropoutSeed: s.seed)
      let shape = StudyModel<T>.sampleShape(s.model)
      let stepsPerEpoch = s.train.batchCount
      var trainer = MixedPrecisionTrainer<M>(
        parameters: model.parameters, optimizer: Optimizer(s.optimizer, learningRate: s.learningRate, schedule: s.schedule),
        lossScale: s.lossScale, dynamicScaling: s.dynamicLossScale)
      var history: [Epoch] = []
      let canCheckpoint = ScalarConversion.isExactInBinary64(T.self) && ScalarConversion.isExactInBinary64(M.self)
      if let path = s.checkpoint, canCheckpoint, FileManager.default.fileExists(atPath: path) {
        history = try Checkpoint.restore(from: path, model: &model, trainer: &trainer)
        for e in history { report(e) }
      }
      var step = history.count * stepsPerEpoch
      for epoch in history.count..<s.epochs {
        if history.last?.diverged == true { break }
        let order = s.train.order(epoch: epoch)
        var lossSum = 0.0, correct = 0, seen = 0
        var kinks: [Int] = [], inputs: [Int] = []
        var causes: ZeroCauses? = (s.rootCause && ZeroCause.isSupported(T.format)) ? ZeroCauses() : nil
        var diverged = false
        for b in 0..<stepsPerEpoch {
          s.compute.reseed(step: step, phase: 0)
          let (x0, labels) = s.train.batch(b, of: order, step: step, as: T.self)
          let x = x0.reshaped([labels.count] + shape)
          let loss: T, gradients: [Tensor<T>], logits: Tensor<T>, batchKinks: [Int], sizes: [Int]
          switch model {
          case .mlp(let net):
            let pass = net.forward(x, plan)
            s.compute.reseed(step: step, phase: 1)
            let (l, dUnscaled) = SoftmaxCrossEntropy.lossAndGradient(logits: pass.logits, labels: labels)
            s.compute.reseed(step: step, phase: 2)
            let g = net.backward(pass, dLogits: SoftmaxCrossEntropy.scaled(dUnscaled, by: trainer.lossScale), plan, step: step)
            (loss, gradients, logits, batchKinks) = (l, g.all, pass.logits, net.kinkCounts(pass))
            sizes = net.layers.indices.filter { net.activates(after: $0) }.map { pass.preActivations[$0].count }
            if causes != nil {
              for l in net.layers.indices where net.activates(after: l) && net.activation.kinkCount(pass.preActivations[l]) > 0 {
                causes! = causes! + ZeroCause.classify(input: pass.inputs[l], weight: net.layers[l].weight, bias: net.layers[l].bias, output: pass.preActivations[l])
              }
            }
          case .network(var net):
            let pass = Network<T>.Pass(training: true, step: step)
            let forward = net.forwardPass(x, plan, pass)
            s.compute.reseed(step: step, phase: 1)
            let (l, dUnscaled) = SoftmaxCrossEntropy.lossAndGradient(logits: forward.logits, labels: labels)
            s.compute.reseed(step: step, phase: 2)
            let g = net.backward(forward, dLogits: SoftmaxCrossEntropy.scaled(dUnscaled, by: trainer.lossScale), plan, pass)
            (loss, gradients, logits, batchKinks) = (l, g, forward.logits, forward.kinks)
            sizes = net.activationInputCounts(forward)
            if causes != nil, forward.kinks.contains(where: { $0 > 0 }), let c = net.zeroCauses(forward) { causes! = causes! + c }
            model = .network(net)
          }
          step += 1
          if kinks.isEmpty { kinks = Array(repeating: 0, count: batchKinks.count); inputs = kinks }
          for (i, n) in batchKinks.enumerated() { kinks[i] += n }
          for (i, n) in sizes.enumerated() { inputs[i] += n }
          lossSum += loss.doubleValue * Double(labels.count)
          correct += Self.correct(logits, labels)
          seen += labels.count
          if !loss.isFinite {
            diverged = true
            break
          }
          s.compute.reseed(step: step - 1, phase: 3)
          if let updated = trainer.step(scaledGradients: gradients, as: T.self) { model.parameters = updated }
        }
        var record = Epoch(
          epoch: epoch + 1, trainLoss: lossSum / Double(max(seen, 1)), trainAccuracy: Double(correct) / Double(max(seen, 1)),
          testLoss: nil, testAccuracy: nil, kinksPerLayer: kinks, activationInputs: inputs,
          exactZeros: causes?.exact, roundingZeros: causes?.rounding, diverged: diverged,
          skippedSteps: trainer.skippedSteps, lossScale: trainer.lossScale)
        if !diverged, let test = s.test {
          (record.testLoss, record.testAccuracy) = Self.evaluate(&model, test, s, plan, shape)
        }
        history.append(record)
        report(record)
        if let path = s.checkpoint, canCheckpoint {
          try Checkpoint.save(to: path, model: model, trainer: trainer, history: history)
        }
        if diverged { break }
      }
      return history
    }

    static func correct<T: PrecisionScalar>(_ logits: Tensor<T>, _ labels: [Int]) -> Int {
      let classes = logits.shape[1]
      var n = 0
      for (b, label) in labels.enumerated() {
        var best = 0
        for j in 1..<classes where logits.storage[b * classes + j] > logits.storage[b * classes + best] { best = j }
        if best == label { n += 1 }
      }
      return n
    }

    /// Mean loss and accuracy on a labelled set in evaluation mode (file order).
    static func evaluate<T: PrecisionScalar, A: PrecisionScalar>(
      _ model: inout StudyModel<T>, _ data: LabeledImages, _ s: TrainingStudy, _ plan: KernelPlan<A>, _ shape: [Int]
    ) -> (Double, Double) {
      let order = BatchOrder(count: data.count, batchSize: s.train.batchSize)
      var lossSum = 0.0, correct = 0
      for b in 0..<order.batchCount {
        let (x0, labels) = s.testPreprocessing.batch(data, indices: order.indices(ofBatch: b), as: T.self)
        let x = x0.reshaped([labels.count] + shape)
        let logits: Tensor<T>
        switch model {
        case .mlp(let net): logits = net.forward(x, plan).logits
        case .network(var net): logits = net.logits(x, plan); model = .network(net)
        }
        lossSum += SoftmaxCrossEntropy.lossAndGradient(logits: logits, labels: labels).loss.doubleValue * Double(labels.count)
        correct += Self.correct(logits, labels)
      }
      return (lossSum / Double(data.count), Double(correct) / Double(data.count))
    }
  }
}

/// A training checkpoint in safetensors: parameters (`param.N`), batch-norm buffers (`buffer.N`),
/// master weights (`master.N`), optimiser buffers (`opt1.N`, `opt2.N`, shaped like the parameters),
/// and metadata (optimiser steps, loss scale, good and skipped steps, the epoch records as JSON).
/// Every value is stored exactly (formats within binary64 only).
enum Checkpoint {
  static func save<T: PrecisionScalar, M: PrecisionScalar>(to path: String, model: StudyModel<T>, trainer: MixedPrecisionTrainer<M>, history: [TrainingStudy.Epoch]) throws {
    var file = SafetensorsFile()
    let parameters = model.parameters
    for (i, p) in parameters.enumerated() { file.set("param.\(i)", p) }
    if case .network(let net) = model { for (i, b) in net.buffers.enumerated() { file.set("buffer.\(i)", b) } }
    for (i, p) in trainer.master.enumerated() { file.set("master.\(i)", p) }
    let state = trainer.optimizer.state
    for (i, v) in state.first.enumerated() { file.set("opt1.\(i)", Tensor(shape: [v.count], storage: v)) }
    for (i, v) in state.second.enumerated() { file.set("opt2.\(i)", Tensor(shape: [v.count], storage: v)) }
    file.metadata["steps"] = "\(state.steps)"
    file.metadata["loss_scale"] = "\(trainer.lossScale)"
    file.metadata["good_steps"] = "\(trainer.goodSteps)"
    file.metadata["skipped_steps"] = "\(trainer.skippedSteps)"
    let json = try JSONEncoder().encode(history)
    file.metadata["history"] = String(decoding: json, as: UTF8.self)
    let temporary = path + ".partial"
    do {
      try file.write(to: temporary)
      guard rename(temporary, path) == 0 else { throw SafetensorsError("rename failed (errno \(errno))") }
    } catch {
      throw SafetensorsError("\(path): cannot write checkpoint (\(error))")
    }
  }

  static func restore<T: PrecisionScalar, M: PrecisionScalar>(from path: String, model: inout StudyModel<T>, trainer: inout MixedPrecisionTrainer<M>) throws -> [TrainingStudy.Epoch] {
    let file = try SafetensorsFile.read(from: path)
    let shapes = model.parameters.map(\.shape)
    model.parameters = try shapes.indices.map { try file.tensor("param.\($0)", as: T.self).reshaped(shapes[$0]) }
    if case .network(var net) = model, !net.buffers.isEmpty {
      let bshapes = net.buffers.map(\.shape)
      net.buffers = try bshapes.indices.map { try file.tensor("buffer.\($0)", as: T.self).reshaped(bshapes[$0]) }
      model = .network(net)
    }
    trainer.master = try shapes.indices.map { try file.tensor("master.\($0)", as: M.self).reshaped(shapes[$0]) }
    guard let steps = Int(file.metadata["steps"] ?? ""), let scale = Double(file.metadata["loss_scale"] ?? ""),
      let good = Int(file.metadata["good_steps"] ?? ""), let skipped = Int(file.metadata["skipped_steps"] ?? ""),
      let json = file.metadata["history"]
    else { throw SafetensorsError("\(path): not a PrecisionLab training checkpoint") }
    var first: [[M]] = [], second: [[M]] = []
    if steps > 0 {
      first = try shapes.indices.map { try file.tensor("opt1.\($0)", as: M.self).storage }
      second = try shapes.indices.map { try file.tensor("opt2.\($0)", as: M.self).storage }
    }
    trainer.optimizer.state = (steps, first, second)
    trainer.lossScale = scale
    trainer.goodSteps = good
    trainer.skippedSteps = skipped
    do {
      return try JSONDecoder().decode([TrainingStudy.Epoch].self, from: Data(json.utf8))
    } catch {
      throw SafetensorsError("\(path): checkpoint history unreadable (\(error))")
    }
  }
}
