import CMPFR

/// Text that is not a number PrecisionLab can read.
public struct NumberTextError: Error, Equatable, CustomStringConvertible {
  public let text: String
  public var description: String {
    "'\(text)' is not a number (expected decimal like -1.25e-3, C99 hex like 0x1.4p-2, inf or nan)"
  }
}

/// Reading decimal and hexadecimal text exactly, then rounding once.
///
/// Accepted: an optional sign, then decimal digits with optional point and `e` exponent, or `0x` hex
/// digits with optional point and `p` binary exponent, or `inf`/`infinity`/`nan` (any case).
/// The value denoted by the text is rounded once, correctly, into the target format in the current mode.
public enum NumberText {
  /// Checks the syntax; MPFR's parser reads the longest valid prefix, so the whole text must be used.
  public static func validate(_ text: String) throws(NumberTextError) {
    let trimmed = text
    guard !trimmed.isEmpty, trimmed.utf8.allSatisfy({ $0 > 32 && $0 < 127 }) else {
      throw NumberTextError(text: text)
    }
    let consumed: Int = withTemporaryMPFR(precision: 2) { t in
      trimmed.withCString { start in
        var end: UnsafeMutablePointer<CChar>? = nil
        _ = mpfr_strtofr(t, start, &end, 0, MPFR_RNDN)
        guard let end else { return 0 }
        return start.distance(to: end)
      }
    }
    guard consumed == trimmed.utf8.count else { throw NumberTextError(text: text) }
  }

  /// The text's value rounded to odd at 53 bits, as a binary64 (exponents clamped to ±1000, which no
  /// binary64-engine format can tell apart from larger or smaller ones). Rounding this value to
  /// `p ≤ 51` bits in any mode equals rounding the text's exact value (round-to-odd theorem).
  public static func roundedToOdd53(_ text: String) throws(NumberTextError) -> Double {
    try validate(text)
    MPFRArithmetic.setWidestRange()
    return withTemporaryMPFR(precision: 53) { y in
      let t = text.withCString { mpfr_strtofr(y, $0, nil, 0, MPFR_RNDZ) }
      if t != 0 && mpfr_regular_p(y) != 0 && mpfr_min_prec(y) < 53 {
        if mpfr_sgn(y) > 0 { mpfr_nextabove(y) } else { mpfr_nextbelow(y) }
      }
      if mpfr_regular_p(y) != 0 {
        let e = Int(mpfr_get_exp(y))
        if e > 1000 { return mpfr_signbit(y) != 0 ? -0x1p1000 : 0x1p1000 }
        if e < -1000 { return mpfr_signbit(y) != 0 ? -0x1p-1000 : 0x1p-1000 }
      }
      return mpfr_get_d(y, MPFR_RNDN)  // exact: 53 bits within binary64's range
    }
  }
}
