import Scalars
import Tensors

/// Timing of forward + backward passes, specialised inside this module for every format (the
/// benchmark executable calls it).
public enum NetworkBenchmark {
  /// Best wall-clock seconds of `repeats` forward + backward passes (training mode, mean cross-entropy,
  /// every parameter's gradient) of `model` on a batch of `batch` samples: synthetic inputs in [0, 1)
  /// with about 20% exact zeros, drawn once; the network initialised once from seed 1.
  public static func forwardBackward(
    _ model: ModelSpec, batch: Int, format: FloatFormat, accumulate: AccumulationChoice = .same, rounding: RoundingMode = .nearestEven,
    options: KernelOptions = KernelOptions(), threads: Int = 1, policy: PrecisionPolicy? = nil, repeats: Int = 3
  ) throws -> Double {
    var plan = KernelPlan(accumulate: accumulate, options: options, threads: threads)
    plan.policy = policy
    return try RoundingEnvironment.with(rounding, seed: 1) {
      try ScalarDispatch.visit(format: format, rounding: rounding, Timing(model: model, batch: batch, plan: plan, repeats: repeats))
    }
  }

  /// The same for an MLP with `widths` (input and output sizes included).
  public static func mlpForwardBackward(
    widths: [Int], batch: Int, format: FloatFormat, accumulate: AccumulationChoice = .same, rounding: RoundingMode = .nearestEven,
    options: KernelOptions = KernelOptions(), threads: Int = 1, policy: PrecisionPolicy? = nil, repeats: Int = 3
  ) throws -> Double {
    try forwardBackward(
      .mlp(widths: widths), batch: batch, format: format, accumulate: accumulate, rounding: rounding, options: options, threads: threads,
      policy: policy, repeats: repeats)
  }

  struct Timing: ScalarVisitor {
    let model: ModelSpec
    let batch: Int
    let plan: KernelPlan
    let repeats: Int

    func visit<T: PrecisionScalar>(storage _: T.Type) throws -> Double {
      var net: Network<T> = model.make(seed: 1)
      var initializer = Initializer(seed: 2)
      let features = model.input.reduce(1, *)
      let pixels = (0..<(batch * features)).map { _ -> Double in
        let u = initializer.uniformUnit()
        return u < 0.2 ? 0 : u
      }
      let x = Tensor<T>(shape: [batch] + model.input, doubles: pixels)
      let labels = (0..<batch).map { $0 % model.classes }
      return Stopwatch.best(repeats: repeats) { withExtendedLifetime(net.lossAndGradients(x, labels: labels, plan)) {} }
    }
  }
}
