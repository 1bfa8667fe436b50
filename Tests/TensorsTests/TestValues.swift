/// A seeded SplitMix64 stream of uniform draws in [0, 1) with 53 random bits, for test operands.
struct TestValues {
  var state: UInt64

  init(seed: UInt64) { state = seed }

  mutating func unit() -> Double {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return Double((z ^ (z >> 31)) >> 11) * 0x1p-53
  }
}
