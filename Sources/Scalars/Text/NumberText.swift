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
  /// Rejects empty text and bytes outside printable ASCII (MPFR would skip leading spaces).
  @usableFromInline static func checkPrintable(_ start: UnsafePointer<CChar>, count: Int) throws(NumberTextError) {
    var printable = count > 0
    for i in 0..<count where start[i] <= 32 || start[i] >= 127 { printable = false }
    if !printable { throw error(start, count) }
  }

  /// Rejects text that MPFR's parser did not read to its end (it reads the longest valid prefix).
  @usableFromInline static func checkConsumed(
    _ start: UnsafePointer<CChar>, count: Int, end: UnsafeMutablePointer<CChar>?
  ) throws(NumberTextError) {
    guard let end, start.distance(to: UnsafePointer(end)) == count else { throw error(start, count) }
  }

  static func error(_ start: UnsafePointer<CChar>, _ count: Int) -> NumberTextError {
    NumberTextError(text: String(decoding: UnsafeRawBufferPointer(start: start, count: max(count, 0)), as: UTF8.self))
  }

  /// Calls `body` with `text` as NUL-terminated bytes and their count (without the NUL).
  static func withCString<R>(
    _ text: String, _ body: (UnsafePointer<CChar>, Int) throws(NumberTextError) -> R
  ) throws(NumberTextError) -> R {
    let result: Result<R, NumberTextError> = text.withCString { start in
      Result { () throws(NumberTextError) -> R in try body(start, text.utf8.count) }
    }
    return try result.get()
  }

  /// The text's value rounded to odd at 53 bits, as a binary64 (exponents clamped to ±1000, which no
  /// binary64-engine format can tell apart from larger or smaller ones). Rounding this value to
  /// `p ≤ 51` bits in any mode equals rounding the text's exact value (round-to-odd theorem).
  public static func roundedToOdd53(_ text: String) throws(NumberTextError) -> Double {
    try withCString(text) { start, count throws(NumberTextError) in try roundedToOdd53(start, count: count) }
  }

  /// `roundedToOdd53` for `count` bytes at `start` followed by a NUL byte.
  public static func roundedToOdd53(_ start: UnsafePointer<CChar>, count: Int) throws(NumberTextError) -> Double {
    try checkPrintable(start, count: count)
    MPFRArithmetic.setWidestRange()
    var end: UnsafeMutablePointer<CChar>? = nil
    let value: Double = withTemporaryMPFR(precision: 53) { y in
      let t = mpfr_strtofr(y, start, &end, 0, MPFR_RNDZ)
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
    try checkConsumed(start, count: count, end: end)
    return value
  }
}
