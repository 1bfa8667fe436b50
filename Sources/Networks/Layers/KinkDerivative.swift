import Scalars
/// What a nonsmooth activation's backward pass uses at a kink (x = 0 for ReLU).
public enum KinkDerivative: Sendable, Hashable, CustomStringConvertible {
  /// One value for every element (ReLU'(0) = alpha), rounded into the run's format.
  case constant(Double)
  /// A fresh uniform draw in [0, 1) per element and backward pass: `CounterRandom`'s draw for
  /// (seed, layer, step, element), fixed whatever the thread count or call order.
  case uniformRandom(seed: UInt64)

  public var description: String {
    switch self {
    case .constant(let a): return "\(a)"
    case .uniformRandom(let seed): return "uniform(seed \(seed))"
    }
  }

  @inlinable func value(layer: Int, step: Int, element: Int) -> Double {
    switch self {
    case .constant(let a): return a
    case .uniformRandom(let seed): return CounterRandom.unit(seed, layer, step, element)
    }
  }
}

/// How the derivative at a kink enters backprop.
public enum KinkRule: String, Sendable, Hashable, CaseIterable {
  /// grad_in = alpha × grad_out (the chain rule with ReLU'(0) = alpha). The default.
  case scale
  /// grad_in = alpha whatever grad_out is: the rule of the flagship paper's code (Bertoin et al.,
  /// 2021), offered only to reproduce their results faithfully.
  case paper
}
