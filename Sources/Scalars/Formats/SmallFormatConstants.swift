/// Precomputed constants of the binary64-based engine for one format (plain data, no references, so
/// that hot loops read them without reference counting).
///
/// The engine holds every value of a format exactly in a `Double`. That is possible when the format's
/// values are binary64 values with room to spare: `p ≤ 51` (so that every midpoint between two values is
/// a binary64 number, with a bit to spare for the fused multiply-add's three-term sum) and an exponent
/// range inside ±300 (so that no exact intermediate result, such as a product's fma error term, under- or
/// overflows). Up to `p = 26` a product of two values is itself exact in binary64.
@frozen public struct SmallFormatConstants: Sendable, Hashable {
  /// Whether the binary64 engine can evaluate this format exactly.
  public let isUsable: Bool
  public let precision: Int
  public let emin: Int
  public let hasSubnormals: Bool
  public let hasInfinities: Bool
  public let overflow: FloatFormat.OverflowBehavior
  /// `2^emin`.
  public let minNormal: Double
  /// The largest finite value.
  public let maxFinite: Double
  /// `1.5 × 2^(emin - p + 1 + 52)`: adding and subtracting it rounds a value below `2^emin` to the
  /// subnormal grid in binary64's round-to-nearest-even.
  public let subnormalAdder: Double
  /// Number of binary64 significand bits dropped when rounding to `p` bits: `53 - p`.
  public let shift: UInt64
  /// `2^(shift-1) - 1`: with the kept bit's parity, the round-to-nearest-even increment.
  public let halfMinusOne: UInt64
  /// Clears the dropped bits.
  public let keepMask: UInt64
  /// `p ≤ 25`: then binary64 results of + - × ÷ √ rounded once more to nearest are correctly rounded
  /// (binary64's 53 bits ≥ 2p + 2; Figueroa, "When is double rounding innocuous?", 1995).
  public let fastNearest: Bool

  init(_ f: FloatFormatParameters) {
    self.init(
      precision: f.precision, emin: f.emin, emax: f.emax, hasSubnormals: f.hasSubnormals,
      hasInfinities: f.hasInfinities, overflow: f.overflow, largestSignificandDeficit: f.deficit,
      isExponentBounded: f.bounded)
  }

  /// The constants of a format, computed with integer and bit arithmetic only, so that a call with
  /// literal arguments in specialised code folds to constants (see `FormatSpecification.smallConstants`).
  @inlinable
  public init(
    precision p: Int, emin: Int, emax: Int, hasSubnormals: Bool = true, hasInfinities: Bool = true,
    overflow: FloatFormat.OverflowBehavior = .infinity, largestSignificandDeficit deficit: Int = 1,
    isExponentBounded: Bool = true
  ) {
    @inline(__always) func power(_ e: Int) -> Double { Double(bitPattern: UInt64(1023 + e) << 52) }
    self.isUsable = isExponentBounded && p >= 2 && p <= 51 && emin >= -300 && emax <= 300 && emin < emax
    self.precision = p
    self.emin = emin
    self.hasSubnormals = hasSubnormals
    self.hasInfinities = hasInfinities
    self.overflow = overflow
    if isUsable {
      minNormal = power(emin)
      maxFinite = Double((1 << p) - deficit) * power(emax - p + 1)
      subnormalAdder = Double(bitPattern: UInt64(1023 + emin - p + 1 + 52) << 52 | 1 << 51)
      shift = UInt64(53 - p)
      halfMinusOne = (1 << (shift - 1)) - 1
      keepMask = ~((1 << shift) - 1)
      fastNearest = p <= 25
    } else {
      minNormal = 0; maxFinite = 0; subnormalAdder = 0; shift = 0; halfMinusOne = 0; keepMask = 0
      fastNearest = false
    }
  }
}
