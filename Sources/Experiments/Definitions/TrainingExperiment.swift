import Datasets
import Foundation
import Networks

extension Experiment {
  /// A study's checks, then the optimiser's own (INNAprop needs lr below its beta).
  static func trainingProblem(_ v: [String: String]) -> ParameterError? {
    studyProblem(v) ?? TrainingParameters.problem(v)
  }

  static func runTraining(_ t: Trial, _ context: TrialContext, _ emit: ([String], Bool) -> Void) throws {
    let (feed, test) = try t.feed(context)
    let settings = TrainingParameters.settings(t.values)
    var study = TrainingStudy(
      model: t.model, compute: t.compute(threads: context.threads), activation: t.kinks.layer,
      optimizer: settings.optimizer, learningRate: settings.learningRate, epochs: settings.epochs, train: feed, seed: t.seed)
    if settings.cosineSchedule { study.schedule = .cosine(totalSteps: settings.epochs * feed.batchCount) }
    study.master = settings.master
    study.lossScaling = settings.lossScaling
    study.rootCause = settings.rootCause
    if let every = settings.evaluateEvery {
      study.test = test
      study.evaluateEvery = every
      // The test set is padded and normalised as the training batches, never cropped or flipped.
      let training = DataParameters.preprocessing(t.values, seed: t.seed)
      study.testPreprocessing = Preprocessing(normalization: training.normalization, padding: training.padding)
    }
    if let dir = context.checkpointDirectory {
      try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
      study.checkpoint = dir + "/" + t.key + ".safetensors"
    }
    let epochs = settings.epochs
    _ = try withoutActuallyEscaping(emit) { emit in try study.run { e in
      let seen = e.activationInputs.reduce(0, +)
      let zeros = e.kinksPerLayer.reduce(0, +)
      emit([
        "\(e.epoch)", ResultText.number(e.trainLoss), ResultText.number(e.trainAccuracy), ResultText.number(e.testLoss), ResultText.number(e.testAccuracy),
        ResultText.list(e.kinksPerLayer), "\(zeros)", "\(seen)", seen > 0 ? ResultText.number(Double(zeros) / Double(seen)) : "",
        e.exactZeros.map(String.init) ?? "", e.roundingZeros.map(String.init) ?? "", e.diverged ? "1" : "0", "\(e.skippedSteps)",
        ResultText.number(e.lossScale),
        (e.scaleRuns ?? []).map { "\(ResultText.number($0.scale))x\($0.steps)" }.joined(separator: ";"),
        (e.skippedAt ?? []).map(String.init).joined(separator: ";"),
      ], e.diverged || e.epoch == epochs)
    } }
    if let path = study.checkpoint { try? FileManager.default.removeItem(atPath: path) }  // finished: the CSV holds everything
  }

  static let trainingColumns = [
    "epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "zeros_per_layer", "zeros_total", "activation_inputs",
    "zero_ratio", "zeros_exact", "zeros_rounding", "diverged", "skipped_steps", "loss_scale", "loss_scales", "skipped_at",
  ]

  /// A training experiment: the study's and the optimiser's options (the paper's SGD by default),
  /// one row per epoch.
  static func trainingExperiment(name: String, abstract: String, epochs: Int, rootCause: Bool) -> Experiment {
    Experiment(
      name: name, abstract: abstract,
      parameters: studyParameters(relu0: "0", pair: false, batchSize: 256)
        + TrainingParameters.all(epochs: epochs, rootCause: rootCause, lr: "0.01", momentum: "0.9", weightDecay: "0.0005"),
      resultColumns: trainingColumns, rowColumns: ["epoch"],
      addedResultColumns: ["loss_scales": "", "skipped_at": ""],
      check: trainingProblem, run: runTraining)
  }

  /// `precisionlab train`: one row per epoch.
  public static let training = trainingExperiment(
    name: "train", abstract: "Training with a chosen ReLU'(0): per-epoch loss, accuracy, exact zeros, divergence; checkpointed each epoch.",
    epochs: 5, rootCause: false)

  /// `precisionlab zeros`: the exact-zero census during training (the paper's protocol: SGD 0.01,
  /// momentum 0.9, weight decay 5e-4, batch 256, file order), every zero classified by cause.
  public static let zeros = trainingExperiment(
    name: "zeros", abstract: "Exact-zero census during training: zeros among ReLU inputs per layer and epoch, each classified exactly by cause.",
    epochs: 1, rootCause: true
  ).summarized(as: .training, plotting: "zero_ratio")
}
