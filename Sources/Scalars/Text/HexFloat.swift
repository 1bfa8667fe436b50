import CMPFR

/// Exact C99 hexadecimal floating-point text (`-0x1.8p+3`), the unambiguous way to report a value.
///
/// Every finite non-zero value is written normalised, `0x1.<hex fraction>p<exponent>`, with trailing
/// zero digits dropped; subnormals too (`0x1p-149`, not glibc's `0x0.000002p-126`: both are valid C99
/// and `strtod` reads either). Zeros are `0x0p+0` and `-0x0p+0`; specials `inf`, `-inf`, `nan`.
public enum HexFloat {
  /// `(-1)^negative × 1.fraction × 2^exponent` with `fractionBits` bits of fraction.
  public static func format(negative: Bool, fraction: UInt64, fractionBits: Int, exponent: Int) -> String {
    var digits = ""
    if fractionBits > 0 {
      let padded = (fractionBits + 3) / 4 * 4
      var f = fraction << UInt64(padded - fractionBits)
      var nibbles: [Character] = []
      for _ in 0..<(padded / 4) {
        nibbles.append(hexDigit(Int(f & 0xF)))
        f >>= 4
      }
      while nibbles.first == "0" { nibbles.removeFirst() }
      digits = String(nibbles.reversed())
    }
    return assemble(negative: negative, digits: digits, exponent: exponent)
  }

  /// Text for a binary64.
  public static func format(_ x: Double) -> String {
    if let special = special(x.isNaN, x.isInfinite, x.isZero, x.sign == .minus) { return special }
    return format(
      negative: x.sign == .minus, fraction: x.significand.significandBitPattern, fractionBits: 52,
      exponent: Int(x.exponent))
  }

  /// Text for an MPFR value (all of its bits, any precision).
  public static func format(mpfr x: UnsafePointer<__mpfr_struct>) -> String {
    let negative = mpfr_signbit(x) != 0
    if let special = special(mpfr_nan_p(x) != 0, mpfr_inf_p(x) != 0, mpfr_zero_p(x) != 0, negative) {
      return special
    }
    var exp: mpfr_exp_t = 0
    guard let raw = mpfr_get_str(nil, &exp, 2, 0, x, MPFR_RNDN) else { return "nan" }
    defer { mpfr_free_str(raw) }
    // raw = [-]1bbbb… meaning 0.1bbbb… × 2^exp = 1.bbbb… × 2^(exp-1)
    var bits = Array(String(cString: raw).utf8.filter { $0 == 0x30 || $0 == 0x31 }.dropFirst())
    while bits.last == 0x30 { bits.removeLast() }
    while bits.count % 4 != 0 { bits.append(0x30) }
    var digits = ""
    digits.reserveCapacity(bits.count / 4)
    var i = 0
    while i < bits.count {
      var v = 0
      for j in 0..<4 { v = v << 1 | Int(bits[i + j] - 0x30) }
      digits.append(hexDigit(v))
      i += 4
    }
    return assemble(negative: negative, digits: digits, exponent: Int(exp) - 1)
  }

  static func special(_ isNaN: Bool, _ isInfinite: Bool, _ isZero: Bool, _ negative: Bool) -> String? {
    if isNaN { return "nan" }
    if isInfinite { return negative ? "-inf" : "inf" }
    if isZero { return negative ? "-0x0p+0" : "0x0p+0" }
    return nil
  }

  static func assemble(negative: Bool, digits: String, exponent: Int) -> String {
    (negative ? "-" : "") + "0x1" + (digits.isEmpty ? "" : "." + digits) + "p"
      + (exponent >= 0 ? "+" : "") + String(exponent)
  }

  static func hexDigit(_ v: Int) -> Character {
    Character(Unicode.Scalar(UInt8(v < 10 ? 48 + v : 87 + v)))
  }
}
