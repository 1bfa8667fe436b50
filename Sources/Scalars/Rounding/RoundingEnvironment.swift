import ScalarsSupport

/// The calling thread's rounding mode and stochastic-rounding stream.
///
/// Like a processor's floating-point control register, the environment belongs to a thread: two threads
/// can round differently at the same time, and each thread has its own random stream, so a computation
/// that sets its seed is bit-reproducible whatever else runs. A thread that never sets a seed gets a
/// stream of its own, numbered by a process-wide counter, from `setDefaultSeed` (reproducible only when
/// threads start in a fixed order).
///
/// Swift tasks may resume on another thread after `await`: set the environment with `with(_:seed:_:)`
/// around synchronous code, never across a suspension point.
public enum RoundingEnvironment {
  /// The rounding mode of emulated and MPFR operations on this thread (initially `.nearestEven`).
  @inlinable public static var mode: RoundingMode {
    get { RoundingMode(rawValue: UInt8(truncatingIfNeeded: pl_rounding_get())) ?? .nearestEven }
    set { pl_rounding_set(Int32(newValue.rawValue)) }
  }

  /// Whether this thread rounds to nearest even (the fast paths' test: one thread-local byte compare).
  @inlinable public static var isNearestEven: Bool { pl_rounding_get() == 0 }

  /// Seeds this thread's stochastic-rounding stream. Different `stream` numbers with one seed give
  /// independent sequences (xoshiro256** state expanded by SplitMix64).
  public static func seed(_ seed: UInt64, stream: UInt64 = 0) {
    pl_seed_thread(seed, stream)
  }

  /// Sets the seed from which threads that never call `seed` draw their streams.
  public static func setDefaultSeed(_ seed: UInt64) { pl_set_default_seed(seed) }

  /// Runs `body` with `mode` (and, if given, a freshly seeded stream) on this thread, then restores the
  /// previous mode and stream exactly.
  public static func with<R>(
    _ mode: RoundingMode, seed: UInt64? = nil, stream: UInt64 = 0, _ body: () throws -> R
  ) rethrows -> R {
    let saved = pl_environment_get()
    defer {
      var restored = pl_environment_get()
      restored.rounding = saved.rounding
      restored.rng_seeded = saved.rng_seeded
      restored.rng = saved.rng
      pl_environment_set(restored)
    }
    self.mode = mode
    if let seed { self.seed(seed, stream: stream) }
    return try body()
  }

  /// The next 64 bits of this thread's stream.
  @inlinable public static func randomBits() -> UInt64 { pl_random_u64() }

  /// A uniform draw from [0, 1) with 53 random bits.
  @inlinable public static func randomUnit() -> Double {
    Double(pl_random_u64() >> 11) * 0x1p-53
  }
}
