/// What a nonsmooth activation's backward pass uses at a kink (x = 0 for ReLU).
public enum KinkDerivative: Sendable, Hashable, CustomStringConvertible {
  /// One value for every element (ReLU'(0) = alpha), rounded into the run's format.
  case constant(Double)
  /// A fresh uniform draw in [0, 1) per element and backward pass, from a counter-based generator:
  /// the draw for (seed, layer, step, element) is fixed, whatever the thread count or call order.
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
    case .uniformRandom(let seed):
      var state = seed ^ (UInt64(truncatingIfNeeded: layer) &* 0x9E37_79B9_7F4A_7C15)
      state ^= UInt64(truncatingIfNeeded: step) &* 0xBF58_476D_1CE4_E5B9
      state ^= UInt64(truncatingIfNeeded: element) &* 0x94D0_49BB_1331_11EB
      state &+= 0x9E37_79B9_7F4A_7C15
      var z = state
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      z ^= z >> 31
      return Double(z >> 11) * 0x1p-53
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
