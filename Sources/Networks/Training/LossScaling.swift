/// Loss scaling: the loss gradient multiplied by a scale before backprop, so that small gradients stay
/// above a narrow format's underflow, and the gradients divided by it before the optimiser step.
///
/// Static (`dynamic == false`): the scale never changes and an overflowing step is skipped. Dynamic: the
/// rule of PyTorch's `GradScaler` (`torch.amp`, `_amp_update_scale_`), with the scale kept in binary32 as
/// PyTorch keeps it: after a step whose unscaled gradients hold an infinity or a NaN, the step is skipped,
/// the scale is multiplied by `backoffFactor` and the growth tracker reset; after any other step the
/// tracker counts up, and when it reaches `growthInterval` the scale is multiplied by `growthFactor`
/// (kept only if finite) and the tracker reset. Each product is formed in binary64 from the binary32
/// scale and rounded once to binary32, as PyTorch's CPU kernel does (a float times a double, stored in
/// a float), so a trace of scales equals PyTorch's bit for bit (LossScalingTests, against a trace
/// PyTorch wrote).
public struct LossScaling: Sendable, Hashable, CustomStringConvertible {
  /// The scale the next backward pass uses.
  public private(set) var scale: Double
  public let dynamic: Bool
  public let growthFactor: Double
  public let backoffFactor: Double
  public let growthInterval: Int
  /// Good steps since the scale last changed (dynamic scaling).
  public var growthTracker = 0

  /// PyTorch's `GradScaler()` defaults: scale 65536, growth 2, backoff 0.5, interval 2000.
  public static let gradScaler = LossScaling(dynamic: 65536, growthFactor: 2, backoffFactor: 0.5, growthInterval: 2000)

  /// No scaling.
  public static let none = LossScaling(static: 1)

  /// A fixed scale (any positive finite number).
  public init(static scale: Double) {
    precondition(scale > 0 && scale.isFinite, "a loss scale is a positive finite number")
    self.scale = scale
    dynamic = false
    growthFactor = 1
    backoffFactor = 1
    growthInterval = 1
  }

  /// Dynamic scaling from `initial`; every value must be a positive finite binary32 number (the scale is
  /// a binary32 value, as in PyTorch), `growthFactor` > 1, `backoffFactor` < 1, `growthInterval` ≥ 1.
  public init(dynamic initial: Double, growthFactor: Double, backoffFactor: Double, growthInterval: Int) {
    precondition(Self.problem(initial: initial, growthFactor: growthFactor, backoffFactor: backoffFactor, growthInterval: growthInterval) == nil)
    scale = Double(Float(initial))
    dynamic = true
    self.growthFactor = growthFactor
    self.backoffFactor = backoffFactor
    self.growthInterval = growthInterval
  }

  /// Why these dynamic settings are refused, or nil.
  public static func problem(initial: Double, growthFactor: Double, backoffFactor: Double, growthInterval: Int) -> String? {
    for (name, v) in [("initial scale", initial), ("growth factor", growthFactor), ("backoff factor", backoffFactor)]
    where !(v > 0) || !Float(v).isFinite || Float(v) == 0 {
      return "the \(name) must be a positive number within binary32's range, got \(v)"
    }
    if growthFactor <= 1 { return "the growth factor must be above 1, got \(growthFactor)" }
    if backoffFactor >= 1 { return "the backoff factor must be below 1, got \(backoffFactor)" }
    if growthInterval < 1 { return "the growth interval must be at least 1, got \(growthInterval)" }
    return nil
  }

  /// Reads `1`, `256`, `dynamic` (PyTorch's defaults) or `dynamic:INITIAL:GROWTH:BACKOFF:INTERVAL`.
  public static func parse(_ text: String) -> Result<LossScaling, LossScalingError> {
    if text == "dynamic" { return .success(.gradScaler) }
    if text.hasPrefix("dynamic:") {
      let parts = text.split(separator: ":", omittingEmptySubsequences: false).dropFirst().map(String.init)
      guard parts.count == 4, let initial = Double(parts[0]), let growth = Double(parts[1]), let backoff = Double(parts[2]),
        let interval = Int(parts[3])
      else { return .failure(LossScalingError("expected dynamic:INITIAL:GROWTH:BACKOFF:INTERVAL (dynamic:65536:2:0.5:2000), got '\(text)'")) }
      if let problem = problem(initial: initial, growthFactor: growth, backoffFactor: backoff, growthInterval: interval) {
        return .failure(LossScalingError("\(text): \(problem)"))
      }
      return .success(LossScaling(dynamic: initial, growthFactor: growth, backoffFactor: backoff, growthInterval: interval))
    }
    guard let scale = Double(text), scale > 0, scale.isFinite else {
      return .failure(LossScalingError("expected a positive number, dynamic, or dynamic:INITIAL:GROWTH:BACKOFF:INTERVAL, got '\(text)'"))
    }
    return .success(LossScaling(static: scale))
  }

  /// The canonical spelling: the scale, `dynamic` for PyTorch's defaults, or the full dynamic form.
  public var description: String {
    guard dynamic else { return Self.shortest(scale) }
    let d = Self.gradScaler
    if scale == d.scale && growthFactor == d.growthFactor && backoffFactor == d.backoffFactor && growthInterval == d.growthInterval {
      return "dynamic"
    }
    return "dynamic:\(Self.shortest(scale)):\(Self.shortest(growthFactor)):\(Self.shortest(backoffFactor)):\(growthInterval)"
  }

  static func shortest(_ x: Double) -> String {
    x == x.rounded() && Swift.abs(x) < 1e15 ? String(Int64(x)) : "\(x)"
  }

  /// The scaler after a step whose unscaled gradients were (`finite`) or were not all finite; returns
  /// whether the optimiser step is taken.
  @discardableResult
  public mutating func update(finite: Bool) -> Bool {
    guard dynamic else { return finite }
    if !finite {
      scale = Double(Float(scale * backoffFactor))
      growthTracker = 0
      return false
    }
    growthTracker += 1
    if growthTracker == growthInterval {
      let grown = Float(scale * growthFactor)
      if grown.isFinite { scale = Double(grown) }
      growthTracker = 0
    }
    return true
  }

  /// Restores a checkpointed state.
  public mutating func restore(scale: Double, growthTracker: Int) {
    self.scale = scale
    self.growthTracker = growthTracker
  }
}

/// A loss-scaling setting that cannot be read.
public struct LossScalingError: Error, CustomStringConvertible, Sendable {
  public let description: String
  public init(_ description: String) { self.description = description }
}
