import Networks

extension ComputeParameters {
  /// `--loss-scale`: a fixed scale for every study; with `dynamic` (training, where steps are taken) also
  /// PyTorch GradScaler's dynamic rule, `dynamic` for its defaults or `dynamic:INITIAL:GROWTH:BACKOFF:INTERVAL`.
  /// The canonical value is a number's shortest spelling or `LossScaling`'s (so `dynamic:65536:2:0.5:2000` is
  /// `dynamic`).
  public static func lossScale(dynamic: Bool) -> Parameter {
    let help = dynamic
      ? "Loss scale: the loss gradient is multiplied by it before backprop and the gradients divided by it before the step (a step whose gradients overflow is skipped). A number, dynamic (PyTorch GradScaler's rule and defaults: 65536, ×2 after 2000 good steps, ×0.5 and the step skipped on inf/NaN), or dynamic:INITIAL:GROWTH:BACKOFF:INTERVAL."
      : "Loss scale: the loss gradient is multiplied by this number before backprop (what mixed-precision training does so that small gradients survive a narrow format); gradients are compared as computed, norms reported divided by it."
    return Parameter("loss-scale", default: "1", help: help, completions: dynamic ? ["1", "1024", "65536", "dynamic"] : ["1", "1024", "65536"]) { v in
      switch LossScaling.parse(v) {
      case .failure(let error): return .failure(ParameterError("--loss-scale: \(error.description)"))
      case .success(let scaling):
        if scaling.dynamic && !dynamic {
          return .failure(ParameterError("--loss-scale \(v): a dynamic scale changes between optimiser steps, and this experiment takes none; give a number"))
        }
        return .success(scaling.dynamic ? scaling.description : Parameter.shortest(scaling.scale))
      }
    }
  }

  /// The loss scaling a trial's values name.
  public static func lossScaling(_ values: [String: String]) -> LossScaling {
    (try? LossScaling.parse(values["loss-scale"] ?? "1").get()) ?? .none
  }
}
