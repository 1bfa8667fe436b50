import Scalars

/// Reproducible random operands for a format: magnitudes spread over the whole exponent range (from
/// below the smallest subnormal to beyond the largest finite value), zeros, small integers, exact
/// cancellations, and nearby pairs.
public struct OperandSampler<T: PrecisionScalar> {
  public var generator: SplitMix64
  public let format = T.format

  public init(seed: UInt64) { generator = SplitMix64(seed: seed) }

  /// A binary64 near the format's range (rounded into the format by `value()`).
  public mutating func double() -> Double {
    let lowExponent = max(format.isExponentBounded ? format.emin - format.precision - 2 : -200, -1070)
    let highExponent = min(format.isExponentBounded ? format.emax + 1 : 200, 1020)
    let exponent = lowExponent + Int(generator.next() % UInt64(highExponent - lowExponent + 1))
    let significand = 1 + Double(generator.next() >> 11) * 0x1p-53
    let sign: Double = generator.next() & 1 == 0 ? 1 : -1
    switch generator.next() % 16 {
    case 0: return 0
    case 1: return Double(Int(generator.next() % 64)) - 32  // small integers
    default: return sign * Double(sign: .plus, exponent: exponent, significand: significand)
    }
  }

  /// A value of the format, using more than binary64's 53 bits when the format has them.
  public mutating func value() -> T {
    var x = RoundingEnvironment.with(.nearestEven) { T(double()) }
    if format.precision > 53 && x.isFinite && !x.isZero && generator.next() & 1 == 0 {
      let tail = RoundingEnvironment.with(.nearestEven) { T(x.doubleValue * 0x1p-60 * (1 + Double(generator.next() >> 11) * 0x1p-53)) }
      x = RoundingEnvironment.with(.nearestEven) { x + tail }
    }
    return x
  }

  /// A pair (x, y): independent, or y ≈ ±x to provoke cancellation and ties.
  public mutating func pair() -> (T, T) {
    let x = value()
    switch generator.next() % 4 {
    case 0: return (x, RoundingEnvironment.with(.nearestEven) { -x + value() * T(0.0009765625) })
    case 1: return (x, -x)
    default: return (x, value())
    }
  }
}

