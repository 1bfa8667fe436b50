#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Scalars
import Tensors

/// Update rules, applied tensor by tensor and element by element in the parameters' format `M`, each
/// operation rounded in `M` in the order written (hyper-parameters are rounded into `M` once).
///
/// - SGD (PyTorch's): g ← grad + wd·θ; with momentum μ: b ← g on the first step, then b ← μ·b + g;
///   g ← g + μ·b with Nesterov, else g ← b; θ ← θ − lr·g.
/// - Adam (PyTorch's): g ← grad + wd·θ; m ← β₁·m + (1 − β₁)·g; v ← β₂·v + (1 − β₂)·g·g;
///   θ ← θ − (lr / (1 − β₁ᵗ))·m / (√v / √(1 − β₂ᵗ) + ε).
/// - AdamW: θ ← θ·(1 − lr·wd) first, then Adam without the wd term.
/// - INNAprop (`../shared/reference/innaprop.md`): with γ = lr, θ ← θ·(1 − γ·wd);
///   v ← σ·v + (1 − σ)·g·g; d ← √v / √(1 − σᵗ) + ε; ψ ← (1 − γ/β)·ψ + γ·(1/β − α)·θ;
///   θ ← (1 + γ·(1 − β·α)/(β − γ))·θ − (γ/(β − γ))·ψ − γ·β·g/d, with ψ₀ = (1 − α·β)·θ₀. Needs γ < β.
public enum OptimizerKind: Sendable, Hashable {
  case sgd(momentum: Double = 0, weightDecay: Double = 0, nesterov: Bool = false)
  case adam(beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0)
  case adamW(beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0.01)
  case innaprop(alpha: Double = 0.1, beta: Double = 0.9, sigma: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0.01)

  /// Why this rule cannot run with `learningRate`, or nil: INNAprop divides by β − γ, so it needs
  /// γ < β; every rule needs a finite rate ≥ 0.
  public func problem(learningRate: Double) -> String? {
    guard learningRate.isFinite, learningRate >= 0 else { return "the learning rate must be finite and ≥ 0, got \(learningRate)" }
    if case .innaprop(_, let beta, _, _, _) = self, !(learningRate < beta) {
      return "INNAprop needs a learning rate below its beta \(beta), got \(learningRate)"
    }
    return nil
  }
}

/// A training whose options cannot run (an optimiser's hyper-parameters out of range).
public struct OptimizerError: Error, CustomStringConvertible, Equatable {
  public let description: String
  public init(_ description: String) { self.description = description }
}

/// An optimiser's state for a list of parameter tensors in format `M`.
///
/// `step` is `@inlinable`: a caller in another module gets it specialised for its `M` (a generic
/// element loop costs a retain, a release and a value-witness copy per element).
public struct Optimizer<M: PrecisionScalar>: Sendable {
  public let kind: OptimizerKind
  public var learningRate: Double
  public var schedule: LearningRateSchedule
  /// Completed steps.
  public var steps: Int { completed }
  @usableFromInline var completed = 0
  @usableFromInline var first: [[M]] = []  // momentum buffer, Adam's m, INNAprop's ψ
  @usableFromInline var second: [[M]] = []  // Adam's and INNAprop's v

  public init(_ kind: OptimizerKind, learningRate: Double, schedule: LearningRateSchedule = .constant) {
    // Callers that take the rate from input check `kind.problem(learningRate:)` first (TrainingStudy does).
    precondition(kind.problem(learningRate: learningRate) == nil, kind.problem(learningRate: learningRate) ?? "")
    self.kind = kind
    self.learningRate = learningRate
    self.schedule = schedule
  }

  /// The state to checkpoint: completed steps and the two per-element buffers (empty before the first
  /// step). Setting it restores an optimiser exactly.
  public var state: (steps: Int, first: [[M]], second: [[M]]) {
    get { (completed, first, second) }
    set { (completed, first, second) = newValue }
  }

  /// One update of `parameters` with `gradients` (same shapes, same order every call).
  @inlinable
  public mutating func step(_ parameters: inout [Tensor<M>], _ gradients: [Tensor<M>]) {
    precondition(parameters.count == gradients.count, "\(parameters.count) parameters, \(gradients.count) gradients")
    if first.isEmpty {
      first = parameters.map { [M](repeating: M(0), count: $0.count) }
      second = first
      if case .innaprop(let alpha, let beta, _, _, _) = kind {
        let c = M(1 - alpha * beta)
        first = parameters.map { $0.storage.map { c * $0 } }
      }
    }
    let lr = schedule.rate(learningRate, step: completed)
    completed += 1
    let (t, kind, firstStep) = (Double(completed), kind, completed == 1)
    // The buffers move out of self for the loop (no copy), so each tensor's four arrays are open at once.
    var (first, second) = (self.first, self.second)
    (self.first, self.second) = ([], [])
    defer { (self.first, self.second) = (first, second) }
    for p in parameters.indices {
      precondition(parameters[p].shape == gradients[p].shape, "parameter \(p): shape \(parameters[p].shape), gradient \(gradients[p].shape)")
      gradients[p].storage.withUnsafeBufferPointer { g in
        parameters[p].storage.withUnsafeMutableBufferPointer { theta in
          first[p].withUnsafeMutableBufferPointer { m in
            second[p].withUnsafeMutableBufferPointer { v in
              Self.update(kind, lr: lr, t: t, firstStep: firstStep, g, theta, m, v)
            }
          }
        }
      }
    }
  }

  /// One tensor's update: `theta` from its gradient `g`, with the first and second buffers `m` and `v`,
  /// every operation rounded in `M` in the order the type's documentation writes it.
  @inlinable
  static func update(
    _ kind: OptimizerKind, lr: Double, t: Double, firstStep: Bool, _ g: UnsafeBufferPointer<M>,
    _ theta: UnsafeMutableBufferPointer<M>, _ m: UnsafeMutableBufferPointer<M>, _ v: UnsafeMutableBufferPointer<M>
  ) {
    switch kind {
    case .sgd(let momentum, let wd, let nesterov):
      let (mu, decay, rate) = (M(momentum), M(wd), M(lr))
      for i in 0..<g.count {
        var d = wd == 0 ? g[i] : g[i] + decay * theta[i]
        if momentum != 0 {
          m[i] = firstStep ? d : mu * m[i] + d
          d = nesterov ? d + mu * m[i] : m[i]
        }
        theta[i] -= rate * d
      }
    case .adam(let b1, let b2, let eps, let wd), .adamW(let b1, let b2, let eps, let wd):
      let decoupled: Bool
      if case .adamW = kind { decoupled = true } else { decoupled = false }
      let (beta1, beta2, oneMinus1, oneMinus2) = (M(b1), M(b2), M(1 - b1), M(1 - b2))
      let stepSize = M(lr / (1 - pow(b1, t)))
      let correction2 = M((1 - pow(b2, t)).squareRoot())
      let (epsilon, decay, shrink) = (M(eps), M(wd), M(1 - lr * wd))
      for i in 0..<g.count {
        if decoupled && wd != 0 { theta[i] = theta[i] * shrink }
        let d = (!decoupled && wd != 0) ? g[i] + decay * theta[i] : g[i]
        m[i] = beta1 * m[i] + oneMinus1 * d
        v[i] = beta2 * v[i] + oneMinus2 * d * d
        let denominator = v[i].squareRoot() / correction2 + epsilon
        theta[i] -= stepSize * m[i] / denominator
      }
    case .innaprop(let alpha, let beta, let sigma, let eps, let wd):
      let gamma = lr
      let shrink = M(1 - gamma * wd)
      let (s, oneMinusS, correction, epsilon) = (M(sigma), M(1 - sigma), M((1 - pow(sigma, t)).squareRoot()), M(eps))
      let psiKeep = M(1 - gamma / beta), psiTheta = M(gamma * (1 / beta - alpha))
      let thetaKeep = M(1 + gamma * (1 - beta * alpha) / (beta - gamma))
      let psiWeight = M(gamma / (beta - gamma)), gradientWeight = M(gamma * beta)
      for i in 0..<g.count {
        let x = theta[i] * shrink
        v[i] = s * v[i] + oneMinusS * g[i] * g[i]
        let denominator = v[i].squareRoot() / correction + epsilon
        m[i] = psiKeep * m[i] + psiTheta * x
        theta[i] = thetaKeep * x - psiWeight * m[i] - gradientWeight * g[i] / denominator
      }
    }
  }
}
