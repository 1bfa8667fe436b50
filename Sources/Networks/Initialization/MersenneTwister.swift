/// MT19937, the 32-bit Mersenne Twister (Matsumoto and Nishimura 1998), seeded as PyTorch's CPU
/// generator seeds it (`torch.manual_seed(s)`: the low 32 bits of s, through the reference
/// `init_genrand`), so that its outputs are PyTorch's draw for draw.
public struct MersenneTwister: Sendable {
  private var state = [UInt32](repeating: 0, count: 624)
  private var index = 624

  /// The generator `torch.manual_seed(seed)` leaves behind (PyTorch keeps only the low 32 bits).
  public init(seed: UInt64) {
    state[0] = UInt32(truncatingIfNeeded: seed)
    for j in 1..<624 {
      let previous = state[j - 1]
      state[j] = 1_812_433_253 &* (previous ^ (previous >> 30)) &+ UInt32(j)
    }
  }

  /// The next 32-bit output (PyTorch's `random()`).
  public mutating func next() -> UInt32 {
    if index >= 624 { twist() }
    var y = state[index]
    index += 1
    y ^= y >> 11
    y ^= (y << 7) & 0x9D2C_5680
    y ^= (y << 15) & 0xEFC6_0000
    y ^= y >> 18
    return y
  }

  private mutating func twist() {
    for k in 0..<624 {
      let y = (state[k] & 0x8000_0000) | (state[(k + 1) % 624] & 0x7FFF_FFFF)
      state[k] = state[(k + 397) % 624] ^ (y >> 1) ^ ((y & 1) == 0 ? 0 : 0x9908_B0DF)
    }
    index = 0
  }
}
