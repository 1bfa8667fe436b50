import CMPFR

/// Constants of the MPFR engine for one format (plain data).
///
/// MPFR writes a number as `0.1b₂b₃… × 2^EXP`, one more than IEEE's exponent. An IEEE-style format with
/// subnormals is emulated as MPFR's documentation prescribes: exponent range
/// `[emin − p + 2, emax + 1]`, then `mpfr_check_range` and `mpfr_subnormalize` after each operation.
@frozen public struct MPFRFormatConstants: Sendable, Hashable {
  public let precision: Int
  /// Whether the format's exponent range is enforced (otherwise MPFR's widest range is used).
  public let bounded: Bool
  public let hasSubnormals: Bool
  public let hasInfinities: Bool
  /// IEEE-convention exponents of the format.
  public let emin: Int
  public let emax: Int
  public let deficit: Int
  public let overflow: FloatFormat.OverflowBehavior
  /// The exponent range, in MPFR's convention, in force during an operation of this format.
  public let rangeMin: Int
  public let rangeMax: Int
  /// Whether MPFR's own rounding (with check_range and subnormalize) implements the format for the four
  /// modes MPFR has: true when unbounded, or IEEE-like (subnormals, overflow to infinity, deficit 1).
  public let nativeDirected: Bool

  init(_ f: FloatFormatParameters) {
    precision = f.precision
    bounded = f.bounded
    hasSubnormals = f.hasSubnormals
    hasInfinities = f.hasInfinities
    emin = f.emin
    emax = f.emax
    deficit = f.deficit
    overflow = f.overflow
    if f.bounded {
      rangeMin = f.hasSubnormals ? f.emin - f.precision + 2 : f.emin + 1
      rangeMax = f.emax + 1
    } else {
      rangeMin = Int(mpfr_get_emin_min())
      rangeMax = Int(mpfr_get_emax_max())
    }
    nativeDirected = !f.bounded || (f.hasSubnormals && f.overflow == .infinity && f.deficit == 1)
  }

  /// MPFR's widest exponent range (IEEE convention), used for formats without bounds.
  public static var unboundedEmin: Int { Int(mpfr_get_emin_min()) - 1 }
  public static var unboundedEmax: Int { Int(mpfr_get_emax_max()) - 1 }
}

/// The parameters both engines' constants are derived from.
struct FloatFormatParameters {
  var precision: Int
  var emin: Int
  var emax: Int
  var hasSubnormals: Bool
  var hasInfinities: Bool
  var overflow: FloatFormat.OverflowBehavior
  var deficit: Int
  var bounded: Bool
}
