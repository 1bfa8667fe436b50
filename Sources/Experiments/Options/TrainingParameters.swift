import Networks

/// The options of the training experiments (`train`, `zeros`): the optimiser and its settings, epochs,
/// master weights, loss scaling, evaluation; and the update rule they name.
public enum TrainingParameters {
  public static func all(epochs: Int, rootCause: Bool, lr: String, momentum: String, weightDecay: String) -> [Parameter] {
    [
      .choice("optimizer", ["sgd", "adam", "adamw", "innaprop"], default: "sgd", help: "Optimiser."),
      .real("lr", default: lr, help: "Learning rate.", valid: { $0 > 0 && $0.isFinite }, rule: "a positive number"),
      .real("momentum", default: momentum, help: "SGD momentum.", valid: { $0 >= 0 && $0 < 1 }, rule: "a number in [0, 1)"),
      .real("weight-decay", default: weightDecay, help: "Weight decay.", valid: { $0 >= 0 && $0.isFinite }, rule: "a number ≥ 0"),
      .choice("schedule", ["constant", "cosine"], default: "constant", help: "Learning-rate schedule (cosine: annealed to 0 over the run)."),
      .integer("epochs", default: epochs, minimum: 1, help: "Epochs."),
      .choice("master", ["same", "binary32", "binary64"], default: "same", help: "Master weights' format (mixed precision)."),
      ComputeParameters.lossScale(dynamic: true),
      .flag("root-cause", default: rootCause, help: "Classify every exact zero by exact recomputation (MLP)."),
      .flag("evaluate", default: true, help: "Test loss and accuracy after each epoch."),
      .integer(
        "evaluate-every", default: 1, minimum: 1,
        help: "With --evaluate, the test set after every N-th epoch and the last only (its cost is a forward pass over the test set)."
      ).added(withLegacyValue: "1"),
    ]
  }

  /// The update rule the options name, with their weight decay and momentum.
  public static func optimizer(_ v: [String: String]) -> OptimizerKind {
    let wd = Double(v["weight-decay"] ?? "") ?? 0
    switch v["optimizer"] {
    case "adam": return .adam(weightDecay: wd)
    case "adamw": return .adamW(weightDecay: wd)
    case "innaprop": return .innaprop(weightDecay: wd)
    default: return .sgd(momentum: Double(v["momentum"] ?? "") ?? 0, weightDecay: wd)
    }
  }

  /// The optimiser's own check of the learning rate (INNAprop needs lr below its beta).
  static func problem(_ v: [String: String]) -> ParameterError? {
    let lr = v["lr"] ?? ""
    guard let problem = optimizer(v).problem(learningRate: Double(lr) ?? .nan) else { return nil }
    return ParameterError("--optimizer \(v["optimizer"] ?? "sgd") with --lr \(lr): \(problem)")
  }

  /// The training options, decoded once.
  public static func settings(_ v: [String: String]) -> TrainingSettings {
    TrainingSettings(
      optimizer: optimizer(v), learningRate: Double(v["lr"]!)!, epochs: Int(v["epochs"]!)!, cosineSchedule: v["schedule"] == "cosine",
      master: TrainingStudy.MasterWeights(rawValue: v["master"]!)!, lossScaling: ComputeParameters.lossScaling(v),
      rootCause: v["root-cause"] == "true", evaluateEvery: v["evaluate"] == "true" ? Int(v["evaluate-every"] ?? "1")! : nil)
  }
}

/// A training trial's settings as values (`TrainingParameters.settings`).
public struct TrainingSettings: Sendable {
  public var optimizer: OptimizerKind
  public var learningRate: Double
  public var epochs: Int
  /// Cosine annealing to 0 over the run, else a constant rate.
  public var cosineSchedule: Bool
  public var master: TrainingStudy.MasterWeights
  public var lossScaling: LossScaling
  /// Classify every exact zero at a kink (`--root-cause`).
  public var rootCause: Bool
  /// Evaluate on the test set after every this many epochs and the last; nil: never (`--no-evaluate`).
  public var evaluateEvery: Int?
}
