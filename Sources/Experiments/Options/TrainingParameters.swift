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
}
