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
/// rounded into the model's format after each step; `lossScaling` multiplies the loss gradient by its
/// scale (fixed, or PyTorch GradScaler's dynamic rule, `LossScaling`), and each epoch records the scale
/// of every step and the steps skipped.
/// Checkpoints: after each epoch (when `checkpoint` is set and the formats are within binary64, so
/// the file is exact), the parameters, batch-norm buffers, optimiser state and the epoch records go to
/// a safetensors file through a temporary file and a rename; a run finding its checkpoint resumes
/// after the last finished epoch, bit-for-bit as if never interrupted.
public struct TrainingStudy: Sendable {
  public enum MasterWeights: String, Sendable, CaseIterable {
    case same, binary32, binary64
  }

  public var model: ModelSpec
  public var compute: ComputeSettings
  public var activation: LayerSpec
  public var optimizer: OptimizerKind
  public var learningRate: Double
  public var schedule: LearningRateSchedule = .constant
  public var epochs: Int
  public var master: MasterWeights = .same
  public var lossScaling = LossScaling.none
  public var rootCause = false
  public var train: BatchFeed
  /// Test set (evaluated after each epoch, in batches of `train.batchSize`); nil to skip.
  public var test: LabeledImages?
  /// Evaluate the test set after every `evaluateEvery`-th epoch and after the last (1: every epoch);
  /// the other epochs' records have no test loss or accuracy.
  public var evaluateEvery = 1
  public var testPreprocessing = Preprocessing()
  public var seed: UInt64
  public var checkpoint: String?

  public init(model: ModelSpec, compute: ComputeSettings, activation: LayerSpec, optimizer: OptimizerKind, learningRate: Double, epochs: Int, train: BatchFeed, seed: UInt64) {
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
    /// The scale of each of the epoch's steps, run-length encoded (nil in checkpoints written before it existed).
    public var scaleRuns: [ScaleRun]? = nil
    /// The steps skipped this epoch (overflowing scaled gradients), counted from the run's first step.
    public var skippedAt: [Int]? = nil
  }

  /// `steps` consecutive steps at one loss scale.
  public struct ScaleRun: Sendable, Hashable, Codable {
    public var scale: Double
    public var steps: Int
  }

  /// Runs (or resumes) the training; `report` receives each epoch's record as soon as it is known,
  /// including, on resume, the records restored from the checkpoint.
  public func run(report: @escaping (Epoch) -> Void) throws -> [Epoch] {
    if let problem = optimizer.problem(learningRate: learningRate) { throw OptimizerError(problem) }
    return try compute.run(Visitor(study: self, report: report))
  }

  struct Visitor: ScalarVisitor {
    let study: TrainingStudy
    let report: (Epoch) -> Void

    /// The trainer with master weights in `M`.
    func trainer<T: PrecisionScalar, M: PrecisionScalar>(_ parameters: [Tensor<T>], master _: M.Type) -> any TrainingStep<T> {
      let s = study
      let trainer = MixedPrecisionTrainer<M>(
        parameters: parameters, optimizer: Optimizer(s.optimizer, learningRate: s.learningRate, schedule: s.schedule),
        scaling: s.lossScaling)
      // Here T and M are concrete (this function is specialised per pair), so the closure is too.
      return MasterTrainingStep<T, M>(trainer: trainer) { $0.step(scaledGradients: $1, as: T.self) }
    }

    func visit<T: PrecisionScalar>(storage _: T.Type) throws -> [Epoch] {
      let s = study
      let plan = s.compute.plan
      var model: Network<T> = s.model.make(activation: s.activation, seed: s.seed, dropoutSeed: s.seed)
      let shape = s.model.input
      let stepsPerEpoch = s.train.batchCount
      var trainer: any TrainingStep<T>
      switch s.master {
      case .same: trainer = self.trainer(model.parameters, master: T.self)
      case .binary32: trainer = self.trainer(model.parameters, master: Float.self)
      case .binary64: trainer = self.trainer(model.parameters, master: Double.self)
      }
      var history: [Epoch] = []
      let canCheckpoint = trainer.canCheckpoint
      if let path = s.checkpoint, canCheckpoint, FileManager.default.fileExists(atPath: path) {
        history = try TrainingCheckpoint.restore(from: path, model: &model, trainer: &trainer)
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
        var scaleRuns: [ScaleRun] = [], skippedAt: [Int] = []
        for b in 0..<stepsPerEpoch {
          s.compute.reseed(step: step, phase: 0)
          let (x0, labels) = s.train.batch(b, of: order, step: step, as: T.self)
          let x = x0.reshaped([labels.count] + shape)
          let pass = Network<T>.Pass(training: true, step: step)
          let forward = model.forwardPass(x, plan, pass)
          s.compute.reseed(step: step, phase: 1)
          let (loss, dUnscaled) = SoftmaxCrossEntropy.lossAndGradient(logits: forward.logits, labels: labels)
          s.compute.reseed(step: step, phase: 2)
          let scale = trainer.lossScale
          if scaleRuns.last?.scale == scale { scaleRuns[scaleRuns.count - 1].steps += 1 } else { scaleRuns.append(ScaleRun(scale: scale, steps: 1)) }
          let gradients = model.backward(forward, dLogits: SoftmaxCrossEntropy.scaled(dUnscaled, by: scale), plan, pass)
          let (logits, batchKinks) = (forward.logits, forward.kinks)
          let sizes = model.activationInputs(forward).map(\.count)
          if causes != nil, forward.kinks.contains(where: { $0 > 0 }), let c = model.zeroCauses(forward) { causes! = causes! + c }
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
          if let updated = trainer.step(gradients) { model.parameters = updated } else { skippedAt.append(step - 1) }
        }
        var record = Epoch(
          epoch: epoch + 1, trainLoss: lossSum / Double(max(seen, 1)), trainAccuracy: Double(correct) / Double(max(seen, 1)),
          testLoss: nil, testAccuracy: nil, kinksPerLayer: kinks, activationInputs: inputs,
          exactZeros: causes?.exact, roundingZeros: causes?.rounding, diverged: diverged,
          skippedSteps: trainer.skippedSteps, lossScale: trainer.lossScale, scaleRuns: scaleRuns, skippedAt: skippedAt)
        if !diverged, let test = s.test, (epoch + 1) % max(s.evaluateEvery, 1) == 0 || epoch + 1 == s.epochs {
          (record.testLoss, record.testAccuracy) = Self.evaluate(&model, test, s, plan, shape)
        }
        history.append(record)
        report(record)
        if let path = s.checkpoint, canCheckpoint {
          try TrainingCheckpoint.save(to: path, model: model, trainer: trainer, history: history)
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
    static func evaluate<T: PrecisionScalar>(
      _ model: inout Network<T>, _ data: LabeledImages, _ s: TrainingStudy, _ plan: KernelPlan, _ shape: [Int]
    ) -> (Double, Double) {
      let order = BatchOrder(count: data.count, batchSize: s.train.batchSize)
      var lossSum = 0.0, correct = 0
      for b in 0..<order.batchCount {
        let (x0, labels) = s.testPreprocessing.batch(data, indices: order.indices(ofBatch: b), as: T.self)
        let x = x0.reshaped([labels.count] + shape)
        let logits = model.logits(x, plan)
        lossSum += SoftmaxCrossEntropy.lossAndGradient(logits: logits, labels: labels).loss.doubleValue * Double(labels.count)
        correct += Self.correct(logits, labels)
      }
      return (lossSum / Double(data.count), Double(correct) / Double(data.count))
    }
  }
}
