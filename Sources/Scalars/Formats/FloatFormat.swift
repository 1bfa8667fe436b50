/// A binary floating-point format: the set of numbers a scalar type can hold and how the ends of the
/// range behave.
///
/// Finite values are `(-1)^s × M × 2^(e - p + 1)` with an integer significand `M < 2^p`: normal values
/// have `2^(p-1) ≤ M` and `emin ≤ e ≤ emax`; subnormal values (when the format has them) have `e = emin`
/// and `M < 2^(p-1)`. `emin` and `emax` use IEEE 754's convention, so binary32 is `p = 24`,
/// `emin = -126`, `emax = 127`. The largest finite significand is `2^p - largestSignificandDeficit`: 1 for
/// IEEE-like formats, 2 for OCP FP8 E4M3 whose all-ones pattern at the top exponent is NaN (so its
/// largest finite value is 448, not 480).
///
/// A format is pure data: which arithmetic evaluates it is chosen by `engine`.
public struct FloatFormat: Sendable, Hashable, CustomStringConvertible {
  /// How the format encodes NaN.
  public enum NaNEncoding: String, Sendable, Hashable {
    /// IEEE 754: all-ones exponent with a non-zero fraction (many patterns; quiet NaN produced).
    case ieee
    /// One pattern per sign (OCP FP8 E4M3: S.1111.111); the top exponent holds normal numbers otherwise.
    case singlePattern = "single-pattern"
    /// No NaN (OCP MX FP6 and FP4). An invalid operation still yields NaN in the emulation so that it
    /// cannot pass unnoticed, but no encoding exists for it.
    case none
  }

  /// What a finite result too large for the format becomes when the rounding mode rounds it up in
  /// magnitude (round-to-nearest, away, stochastic, and directed rounding toward that infinity).
  /// Rounding toward zero, toward the other infinity, and round-to-odd give the largest finite value
  /// in every case, as IEEE 754 specifies.
  public enum OverflowBehavior: String, Sendable, Hashable, CaseIterable {
    /// Signed infinity (IEEE 754).
    case infinity
    /// The largest finite value of the same sign ("saturating" conversions of OCP FP8 and MX).
    case saturate
    /// NaN (OCP FP8 E4M3 in non-saturating mode: the format has no infinity).
    case nan
  }

  /// The precision limit of MPFR-backed formats in this build (bits).
  public static let maxPrecision = 1 << 20

  public let name: String
  /// Precision p in bits, including the leading (implicit) bit.
  public let precision: Int
  /// Exponent of the smallest normal number, IEEE convention (`2^emin`).
  public let emin: Int
  /// Exponent of the largest binade.
  public let emax: Int
  public let hasSubnormals: Bool
  public let hasInfinities: Bool
  public let nanEncoding: NaNEncoding
  public let overflow: OverflowBehavior
  /// The largest finite significand is `2^p - largestSignificandDeficit` (1 or 2).
  public let largestSignificandDeficit: Int
  /// `false` for plain MPFR numbers, whose exponent range is MPFR's own (about ±2^62) with no
  /// subnormals; `emin` and `emax` then report that range.
  public let isExponentBounded: Bool
  /// Constants of the binary64-based engine (valid when `engine == .double`).
  public let small: SmallFormatConstants
  /// Constants of the MPFR engine (valid for every format).
  public let mpfr: MPFRFormatConstants

  /// Creates a format after checking that it is one this toolkit can evaluate exactly.
  public init(
    name: String, precision: Int, emin: Int, emax: Int, hasSubnormals: Bool = true,
    hasInfinities: Bool = true, nanEncoding: NaNEncoding = .ieee, overflow: OverflowBehavior? = nil,
    largestSignificandDeficit: Int = 1, isExponentBounded: Bool = true
  ) throws(FormatError) {
    guard precision >= 2 else { throw .invalid("precision \(precision) is below the minimum of 2 bits") }
    guard precision <= Self.maxPrecision else {
      throw .invalid("precision \(precision) is above the limit of \(Self.maxPrecision) bits")
    }
    guard emin < emax else { throw .invalid("emin \(emin) must be below emax \(emax)") }
    guard largestSignificandDeficit == 1 || largestSignificandDeficit == 2 else {
      throw .invalid("largestSignificandDeficit must be 1 or 2")
    }
    if isExponentBounded {
      let limit = 1 << 40
      guard emax < limit, emin > -limit else { throw .invalid("exponent range beyond ±2^40") }
    }
    let overflowBehavior = overflow ?? (hasInfinities ? .infinity : (nanEncoding == .none ? .saturate : .nan))
    if overflowBehavior == .infinity && !hasInfinities {
      throw .invalid("format \(name) has no infinities, so overflow cannot give infinity")
    }
    if overflowBehavior == .nan && nanEncoding == .none {
      throw .invalid("format \(name) has no NaN, so overflow cannot give NaN")
    }
    self.name = name
    self.precision = precision
    self.emin = emin
    self.emax = emax
    self.hasSubnormals = hasSubnormals
    self.hasInfinities = hasInfinities
    self.nanEncoding = nanEncoding
    self.overflow = overflowBehavior
    self.largestSignificandDeficit = largestSignificandDeficit
    self.isExponentBounded = isExponentBounded
    let parameters = FloatFormatParameters(
      precision: precision, emin: emin, emax: emax, hasSubnormals: hasSubnormals,
      hasInfinities: hasInfinities, overflow: overflowBehavior, deficit: largestSignificandDeficit,
      bounded: isExponentBounded)
    self.small = SmallFormatConstants(parameters)
    self.mpfr = MPFRFormatConstants(parameters)
  }

  /// An IEEE 754-style format in one line: `emin = 1 - emax`, subnormals, infinities, NaN.
  public static func ieee(_ name: String, precision: Int, emax: Int) throws(FormatError) -> FloatFormat {
    try FloatFormat(name: name, precision: precision, emin: 1 - emax, emax: emax)
  }

  /// Which arithmetic evaluates a format exactly.
  public enum Engine: String, Sendable {
    /// Values held exactly in a binary64; every operation is computed exactly (or with an exact error
    /// term) in binary64 and rounded once. Needs `p ≤ 51` and an exponent range within ±300.
    case double
    /// GNU MPFR at the format's precision, with the exponent range and subnormals enforced.
    case mpfr
  }

  public var engine: Engine { small.isUsable ? .double : .mpfr }

  /// Whether every value of the format is a binary64 value.
  @inlinable public var valuesAreBinary64: Bool {
    isExponentBounded && precision <= 53 && emax <= 1023 && smallestSubnormalExponent >= -1074
  }

  /// Whether the format has `other`'s values and arithmetic (precision, exponent range, subnormals,
  /// infinities, NaN encoding, overflow), whatever its name: `fp32` and `binary32` do.
  public func hasArithmetic(of other: FloatFormat) -> Bool {
    precision == other.precision && emin == other.emin && emax == other.emax && hasSubnormals == other.hasSubnormals
      && hasInfinities == other.hasInfinities && nanEncoding == other.nanEncoding && overflow == other.overflow
      && largestSignificandDeficit == other.largestSignificandDeficit && isExponentBounded == other.isExponentBounded
  }

  /// The same format with saturating overflow (OCP FP8 "saturating" conversions).
  public func saturating() -> FloatFormat {
    // The checks passed for `self`; saturation is valid for every format.
    try! FloatFormat(
      name: name + "-sat", precision: precision, emin: emin, emax: emax, hasSubnormals: hasSubnormals,
      hasInfinities: hasInfinities, nanEncoding: nanEncoding, overflow: .saturate,
      largestSignificandDeficit: largestSignificandDeficit, isExponentBounded: isExponentBounded)
  }

  /// Exponent of the smallest positive value: `emin - p + 1` with subnormals, else `emin`.
  public var smallestSubnormalExponent: Int { hasSubnormals ? emin - precision + 1 : emin }

  /// Unit roundoff `u = 2^-p`: the largest relative error of round-to-nearest on normal numbers.
  /// Directed, odd and stochastic rounding have relative error below `2u`.
  public var unitRoundoffExponent: Int { -precision }

  public var description: String { name }
}

/// A format or format name that PrecisionLab cannot use.
public enum FormatError: Error, Equatable, CustomStringConvertible {
  case invalid(String)
  case unknownName(String)

  public var description: String {
    switch self {
    case .invalid(let message): return message
    case .unknownName(let name):
      return "unknown format '\(name)'; valid: \(FloatFormat.presetNames.joined(separator: ", ")), "
        + "mpfr:P, mpfr:P:EMAX (IEEE-style range with subnormals), ieee:P:EMAX"
    }
  }
}
