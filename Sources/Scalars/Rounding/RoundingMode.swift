/// How an exact result that the format cannot hold becomes one of its values.
///
/// Every emulated and MPFR operation (+ − × ÷ √ fma, conversions from Double, Int and decimal or
/// hexadecimal text) is correctly rounded in every mode: the result is the one the mode picks from the
/// two format values that bracket the exact real result. Hardware types (`Float16`, `Float`, `Double`,
/// `Float80`) always round to nearest, ties to even.
public enum RoundingMode: UInt8, CaseIterable, Sendable, CustomStringConvertible {
  /// Nearest; a tie goes to the value with an even last significand bit (IEEE 754 default).
  case nearestEven = 0
  /// Nearest; a tie goes away from zero (IEEE 754 roundTiesToAway).
  case nearestAway = 1
  /// Toward zero (truncation).
  case towardZero = 2
  /// Toward +∞.
  case towardPositive = 3
  /// Toward −∞.
  case towardNegative = 4
  /// Round to odd: an inexact result takes whichever neighbour has an odd last bit (Boldo–Melquiond).
  /// Rounding to odd at p + 2 bits and then to p bits in any mode equals rounding once to p bits.
  /// Overflow gives the largest finite value.
  case odd = 5
  /// Stochastic: round away from zero with probability equal to the exact distance from the lower
  /// neighbour in units of the gap, from this thread's seeded stream (`RoundingEnvironment`).
  /// Exact results are never perturbed, so the rounding is unbiased: E[round(x)] = x.
  case stochastic = 6

  /// Whether a finite result beyond the largest finite value becomes the largest finite value (of the
  /// result's sign) rather than the format's overflow value, IEEE 754 §7.4: rounding toward zero,
  /// toward the infinity of the other sign, and to odd.
  @inlinable public func overflowGivesLargestFinite(negative: Bool) -> Bool {
    switch self {
    case .towardZero, .odd: return true
    case .towardPositive: return negative
    case .towardNegative: return !negative
    case .nearestEven, .nearestAway, .stochastic: return false
    }
  }

  /// The spelling used on the command line and in result files.
  public var name: String {
    switch self {
    case .nearestEven: return "nearest-even"
    case .nearestAway: return "nearest-away"
    case .towardZero: return "toward-zero"
    case .towardPositive: return "toward-positive"
    case .towardNegative: return "toward-negative"
    case .odd: return "odd"
    case .stochastic: return "stochastic"
    }
  }

  public var description: String { name }

  /// Parses a command-line spelling (`nearest-even`, `toward-zero`, ...).
  public init?(name: String) {
    guard let mode = Self.allCases.first(where: { $0.name == name }) else { return nil }
    self = mode
  }
}
