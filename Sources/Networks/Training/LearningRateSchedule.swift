#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Learning rate by step t = 0, 1, …
public enum LearningRateSchedule: Sendable, Hashable {
  case constant
  /// η_min + (η₀ − η_min)·(1 + cos(π·t/T))/2 (PyTorch's CosineAnnealingLR without restarts).
  case cosine(totalSteps: Int, minimum: Double = 0)
  /// η₀·γ^⌊t/every⌋.
  case step(every: Int, gamma: Double)

  public func rate(_ base: Double, step t: Int) -> Double {
    switch self {
    case .constant: return base
    case .cosine(let total, let minimum):
      return minimum + (base - minimum) * (1 + cos(Double.pi * Double(min(t, total)) / Double(max(total, 1)))) / 2
    case .step(let every, let gamma):
      return base * pow(gamma, Double(t / max(every, 1)))
    }
  }
}
