/// Counter-based random numbers: the value for a key is fixed (SplitMix64 finaliser of the mixed key),
/// so draws do not depend on call order or thread count.
@usableFromInline enum CounterRandom {
  @inlinable static func bits(_ seed: UInt64, _ a: Int, _ b: Int, _ c: Int = 0) -> UInt64 {
    var z = seed &+ UInt64(truncatingIfNeeded: a) &* 0x9E37_79B9_7F4A_7C15
    z ^= UInt64(truncatingIfNeeded: b) &* 0xBF58_476D_1CE4_E5B9
    z ^= UInt64(truncatingIfNeeded: c) &* 0x94D0_49BB_1331_11EB
    z &+= 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  @inlinable static func unit(_ seed: UInt64, _ a: Int, _ b: Int, _ c: Int = 0) -> Double {
    Double(bits(seed, a, b, c) >> 11) * 0x1p-53
  }
}
