import CMPFR

/// Exact C99 hexadecimal floating-point text (`-0x1.8p+3`), the unambiguous way to report a value.
///
/// Every finite non-zero value is written normalised, `0x1.<hex fraction>p<exponent>`, with trailing
/// zero digits dropped; subnormals too (`0x1p-149`, not glibc's `0x0.000002p-126`: both are valid C99
/// and `strtod` reads either). Zeros are `0x0p+0` and `-0x0p+0`; specials `inf`, `-inf`, `nan`.
public enum HexFloat {
  /// `(-1)^negative × 1.fraction × 2^exponent` with `fractionBits` bits of fraction.
  public static func format(negative: Bool, fraction: UInt64, fractionBits: Int, exponent: Int) -> String {
    // At most "-0x1." + 16 digits + "p-16494": build the bytes on the stack.
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 48) { out in
      var n = 0
      func put(_ byte: UInt8) { out[n] = byte; n += 1 }
      if negative { put(0x2D) }
      put(0x30); put(0x78); put(0x31)  // "0x1"
      if fractionBits > 0 && fraction != 0 {
        let padded = (fractionBits + 3) / 4 * 4
        var f = fraction << UInt64(padded - fractionBits)
        var digits = padded / 4
        while f & 0xF == 0 { f >>= 4; digits -= 1 }
        put(0x2E)  // "."
        for k in stride(from: digits - 1, through: 0, by: -1) {
          let v = UInt8(truncatingIfNeeded: (f >> UInt64(4 * k)) & 0xF)
          put(v < 10 ? 48 + v : 87 + v)
        }
      }
      put(0x70)  // "p"
      if exponent >= 0 { put(0x2B) } else { put(0x2D) }
      var e = exponent.magnitude
      var reversed: [UInt8] = []
      reversed.reserveCapacity(8)
      repeat { reversed.append(UInt8(48 + e % 10)); e /= 10 } while e > 0
      for byte in reversed.reversed() { put(byte) }
      return String(decoding: UnsafeBufferPointer(rebasing: out[0..<n]), as: UTF8.self)
    }
  }

  /// Text for a binary64.
  public static func format(_ x: Double) -> String {
    if let special = special(x.isNaN, x.isInfinite, x.isZero, x.sign == .minus) { return special }
    return format(
      negative: x.sign == .minus, fraction: x.significand.significandBitPattern, fractionBits: 52,
      exponent: Int(x.exponent))
  }

  /// Text for an MPFR value (all of its bits, any precision), read from its significand limbs
  /// (MPFR's documented custom interface: most significant limb last, leading bit set).
  public static func format(mpfr x: UnsafePointer<__mpfr_struct>) -> String {
    let negative = mpfr_signbit(x) != 0
    if let special = special(mpfr_nan_p(x) != 0, mpfr_inf_p(x) != 0, mpfr_zero_p(x) != 0, negative) {
      return special
    }
    let precision = Int(mpfr_get_prec(x))
    let limbBits = MemoryLayout<mp_limb_t>.size * 8
    let limbCount = (precision + limbBits - 1) / limbBits
    let limbs = mpfr_custom_get_significand(x)!.assumingMemoryBound(to: mp_limb_t.self)
    let top = limbCount * limbBits - 1  // the leading 1
    func bit(_ i: Int) -> UInt8 { UInt8(truncatingIfNeeded: (limbs[i / limbBits] >> (i % limbBits)) & 1) }
    var digits: [UInt8] = []
    digits.reserveCapacity((precision + 2) / 4)
    var position = top - 1
    let lowest = top - precision + 1  // lowest significant bit
    while position >= lowest {
      var v: UInt8 = 0
      for k in 0..<4 { v = v << 1 | (position - k >= lowest ? bit(position - k) : 0) }
      digits.append(v < 10 ? 48 + v : 87 + v)
      position -= 4
    }
    while digits.last == 48 { digits.removeLast() }
    return assemble(negative: negative, digits: String(decoding: digits, as: UTF8.self), exponent: Int(mpfr_get_exp(x)) - 1)
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

}
