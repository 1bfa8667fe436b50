import Dispatch

/// Wall-clock timing for the benchmarks: the best of several runs, in seconds.
public enum Stopwatch {
  /// The shortest of `repeats` wall-clock timings of `body`, in seconds (monotonic clock).
  public static func best(repeats: Int, _ body: () throws -> Void) rethrows -> Double {
    var best = Double.infinity
    for _ in 0..<repeats {
      let start = DispatchTime.now().uptimeNanoseconds
      try body()
      best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    return best
  }
}
