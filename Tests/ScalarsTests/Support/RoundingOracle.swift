import BigInt
import Scalars

/// What correct rounding must give, computed with exact rationals only.
enum OracleResult: Equatable, CustomStringConvertible {
  case finite(ExactRational, negative: Bool)  // `negative` carries the sign of zero
  case infinity(negative: Bool)
  case nan

  var description: String {
    switch self {
    case .finite(let r, let negative): return "\(negative && r.isZero ? "-" : "")\(r)"
    case .infinity(let negative): return negative ? "-inf" : "inf"
    case .nan: return "nan"
    }
  }

  /// Reads an engine's hex text.
  init(hex: String) {
    if hex == "nan" { self = .nan; return }
    if hex.hasSuffix("inf") { self = .infinity(negative: hex.hasPrefix("-")); return }
    self = .finite(ExactRational(hex: hex)!, negative: hex.hasPrefix("-"))
  }
}

/// The two format values around an exact positive value, per the format's grid.
struct Bracket {
  var down: BigInt  // integer multiple of 2^quantumExponent
  var quantumExponent: Int
  /// Exact value minus down, in units of the gap: in [0, 1).
  var fraction: ExactRational
}

enum RoundingOracle {
  /// Largest finite value of the format.
  static func largestFinite(_ f: FloatFormat) -> ExactRational {
    ExactRational((BigInt(1) << f.precision) - BigInt(f.largestSignificandDeficit), timesTwoTo: f.emax - f.precision + 1)
  }

  /// The grid gap exponent for a positive value with floor(log2) = e.
  static func quantumExponent(_ e: Int, _ f: FloatFormat) -> Int {
    if f.isExponentBounded && !f.hasSubnormals && e < f.emin { return f.emin }
    return (f.isExponentBounded ? max(e, f.emin) : e) - f.precision + 1
  }

  static func bracket(_ a: ExactRational, _ f: FloatFormat) -> Bracket {
    let q = quantumExponent(a.binaryExponent, f)
    let scaled = a * ExactRational(1, timesTwoTo: -q)
    let k = scaled.floor
    return Bracket(down: k, quantumExponent: q, fraction: scaled - ExactRational(k))
  }

  /// Rounds the exact value `x` (whose zero sign is `zeroNegative`) into `f` in `mode`; for
  /// stochastic rounding, `roundUpDraw` decides (the oracle checks the two candidates elsewhere).
  static func round(
    _ x: ExactRational, zeroNegative: Bool = false, _ f: FloatFormat, _ mode: RoundingMode,
    stochasticUp: Bool = false
  ) -> OracleResult {
    if x.isZero { return .finite(x, negative: zeroNegative) }
    let negative = x.isNegative
    let b = bracket(x.magnitude, f)
    let half = ExactRational(1, 2)
    let exact = b.fraction.isZero
    let oddDown = b.down % 2 != 0
    let up: Bool
    switch mode {
    case .nearestEven: up = b.fraction > half || (b.fraction == half && oddDown)
    case .nearestAway: up = b.fraction >= half
    case .towardZero: up = false
    case .towardPositive: up = !exact && !negative
    case .towardNegative: up = !exact && negative
    case .odd: up = !exact && !oddDown
    case .stochastic: up = !exact && stochasticUp
    }
    let magnitude = ExactRational(b.down + (up ? 1 : 0), timesTwoTo: b.quantumExponent)
    if f.isExponentBounded && magnitude > largestFinite(f) { return overflow(negative, f, mode) }
    return .finite(negative ? -magnitude : magnitude, negative: negative)
  }

  static func overflow(_ negative: Bool, _ f: FloatFormat, _ mode: RoundingMode) -> OracleResult {
    let toLargest: Bool
    switch mode {
    case .towardZero, .odd: toLargest = true
    case .towardPositive: toLargest = negative
    case .towardNegative: toLargest = !negative
    default: toLargest = false
    }
    if toLargest || f.overflow == .saturate {
      let m = largestFinite(f)
      return .finite(negative ? -m : m, negative: negative)
    }
    return f.overflow == .infinity ? .infinity(negative: negative) : .nan
  }

  /// Correct rounding of √a for a > 0: the bracket from an integer square root, the midpoint and
  /// exactness decided by comparing squares.
  static func roundSquareRoot(_ a: ExactRational, _ f: FloatFormat, _ mode: RoundingMode) -> OracleResult {
    precondition(a > ExactRational(0))
    // floor(log2 √a) = floor(floor(log2 a) / 2)
    let e = Int((Double(a.binaryExponent) / 2).rounded(.down))
    let q = quantumExponent(e, f)
    // √a / 2^q = √(a · 4^-q); k = floor of it.
    let z = a * ExactRational(1, timesTwoTo: -2 * q)
    let k = BigInt(z.floor.magnitude.squareRoot())
    let kk = ExactRational(k * k)
    let exact = kk == z
    let mid = ExactRational((2 * k + 1) * (2 * k + 1), 4)
    let oddDown = k % 2 != 0
    let up: Bool
    switch mode {
    case .nearestEven: up = z > mid || (z == mid && oddDown)
    case .nearestAway: up = z >= mid
    case .towardZero, .towardNegative: up = false
    case .towardPositive: up = !exact
    case .odd: up = !exact && !oddDown
    case .stochastic: preconditionFailure("not used")
    }
    let magnitude = ExactRational(k + (up ? 1 : 0), timesTwoTo: q)
    if f.isExponentBounded && magnitude > largestFinite(f) { return overflow(false, f, mode) }
    return .finite(magnitude, negative: false)
  }

  /// IEEE 754's sign for an exact zero sum of addends with signs `a`, `b` (true = negative zero or
  /// negative value).
  static func zeroSumNegative(_ aZeroNegative: Bool?, _ bZeroNegative: Bool?, _ mode: RoundingMode) -> Bool {
    if let a = aZeroNegative, let b = bZeroNegative, a == b { return a }
    return mode == .towardNegative
  }
}
