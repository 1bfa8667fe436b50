import ScalarsSupport

/// SplitMix64 (Steele, Lea and Flood, 2014): PrecisionLab's one generator of seeded random numbers.
///
/// The state advances by the golden gamma 0x9E3779B97F4A7C15 and each output is the state through
/// Stafford's Mix13 finaliser. The step is `pl_splitmix64` in ScalarsSupport, the same function C code
/// uses to expand a seed into the stochastic-rounding streams (`RoundingEnvironment.seed`), so there
/// is one implementation. A seed means the initial state: the same seed gives the same sequence on
/// every machine and thread.
///
/// Where draws must not depend on call order or thread count (data augmentation, dropout masks, the
/// random kink derivative) use `CounterRandom`, which keys one step of this generator by a counter.
public struct SplitMix64: Sendable {
  public var state: UInt64

  @inlinable public init(seed: UInt64) { state = seed }

  /// The next 64 random bits.
  @inlinable public mutating func next() -> UInt64 { pl_splitmix64(&state) }

  /// A uniform draw from [0, 1) with 53 random bits.
  @inlinable public mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }
}

/// Counter-based random numbers: the draw for a key (seed, a, b, c) is one SplitMix64 step from the
/// state seed + a·0x9E3779B97F4A7C15 ⊕ b·0xBF58476D1CE4E5B9 ⊕ c·0x94D049BB133111EB, a fixed function
/// of the key, so draws do not depend on call order or thread count. Users name their counters:
/// (sample, pixel, purpose) for augmentation, (layer, step, element) for dropout and the kink
/// derivative.
public enum CounterRandom {
  @inlinable public static func bits(_ seed: UInt64, _ a: Int, _ b: Int, _ c: Int = 0) -> UInt64 {
    var state = seed &+ UInt64(truncatingIfNeeded: a) &* 0x9E37_79B9_7F4A_7C15
    state ^= UInt64(truncatingIfNeeded: b) &* 0xBF58_476D_1CE4_E5B9
    state ^= UInt64(truncatingIfNeeded: c) &* 0x94D0_49BB_1331_11EB
    return pl_splitmix64(&state)
  }

  /// A uniform draw from [0, 1) with 53 random bits.
  @inlinable public static func unit(_ seed: UInt64, _ a: Int, _ b: Int, _ c: Int = 0) -> Double {
    Double(bits(seed, a, b, c) >> 11) * 0x1p-53
  }
}
