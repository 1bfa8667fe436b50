import Dispatch
import Scalars
import Tensors

/// Timing of forward + backward passes, specialised inside this module for every format (the
/// benchmark executable calls it).
public enum NetworkBenchmark {
  /// Best wall-clock seconds of `repeats` forward + backward passes of an MLP with `widths` on a batch
  /// of `batch` rows (cross-entropy loss), synthetic inputs in [0, 1) with about 20% exact zeros.
  public static func mlpForwardBackward(
    widths: [Int], batch: Int, format: FloatFormat, accumulate: AccumulationChoice = .same, rounding: RoundingMode = .nearestEven,
    options: KernelOptions = KernelOptions(), threads: Int = 1, repeats: Int = 3
  ) throws -> Double {
    try RoundingEnvironment.with(rounding, seed: 1) {
      try ScalarDispatch.visit(format: format, rounding: rounding,
        MLPTiming(widths: widths, batch: batch, plan: KernelPlan(accumulate: accumulate, options: options, threads: threads), repeats: repeats))
    }
  }

  struct MLPTiming: ScalarVisitor {
    let widths: [Int]
    let batch: Int
    let plan: KernelPlan
    let repeats: Int

    func visit<T: PrecisionScalar>(storage _: T.Type) throws -> Double {
      var net: Network<T> = ModelSpec.mlp(widths: widths).make(seed: 1)
      var initializer = Initializer(seed: 2)
      let pixels = (0..<(batch * widths[0])).map { _ -> Double in
        let u = initializer.uniformUnit()
        return u < 0.2 ? 0 : u
      }
      let x = Tensor<T>(shape: [batch, widths[0]], doubles: pixels)
      let labels = (0..<batch).map { $0 % widths.last! }
      var best = Double.infinity
      for _ in 0..<repeats {
        let start = DispatchTime.now().uptimeNanoseconds
        let r = net.lossAndGradients(x, labels: labels, plan)
        withExtendedLifetime(r) {}
        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
      }
      return best
    }
  }
}
