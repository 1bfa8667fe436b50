import Foundation
import BigInt

/// Exact rational numbers on BigInt: the independent oracle the engines are checked against (no MPFR,
/// no floating point).
struct ExactRational: Comparable, CustomStringConvertible {
  var numerator: BigInt
  /// Always positive.
  var denominator: BigInt

  init(_ numerator: BigInt, _ denominator: BigInt = 1) {
    precondition(denominator != 0)
    let sign: BigInt = denominator < 0 ? -1 : 1
    let g = BigInt(numerator.magnitude.greatestCommonDivisor(with: denominator.magnitude))
    self.numerator = sign * numerator / max(g, 1)
    self.denominator = sign * denominator / max(g, 1)
  }

  /// `m × 2^e`.
  init(_ m: BigInt, timesTwoTo e: Int) {
    if e >= 0 { self.init(m << e) } else { self.init(m, BigInt(1) << -e) }
  }

  /// Parses exact C99 hex text `[-]0x<hex>[.<hex>]p<exp>` (what `hexDescription` writes); nil for
  /// inf and nan. The sign of zero is reported separately by `isNegativeText`.
  init?(hex text: String) {
    var s = Substring(text)
    var negative = false
    if s.first == "-" { negative = true; s = s.dropFirst() }
    guard s.hasPrefix("0x"), let pIndex = s.firstIndex(of: "p") else { return nil }
    let mantissa = s[s.index(s.startIndex, offsetBy: 2)..<pIndex]
    guard let exponent = Int(s[s.index(after: pIndex)...].replacingOccurrences(of: "+", with: "")) else { return nil }
    let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
    let digits = parts.joined()
    let fractionDigits = parts.count == 2 ? parts[1].count : 0
    guard let m = BigInt(String(digits), radix: 16) else { return nil }
    self.init(negative ? -m : m, timesTwoTo: exponent - 4 * fractionDigits)
  }

  static func isNegativeText(_ text: String) -> Bool { text.hasPrefix("-") }

  var isZero: Bool { numerator == 0 }
  var isNegative: Bool { numerator < 0 }
  var magnitude: ExactRational { ExactRational(BigInt(numerator.magnitude), denominator) }

  static func + (a: Self, b: Self) -> Self {
    Self(a.numerator * b.denominator + b.numerator * a.denominator, a.denominator * b.denominator)
  }
  static prefix func - (a: Self) -> Self { Self(-a.numerator, a.denominator) }
  static func - (a: Self, b: Self) -> Self { a + (-b) }
  static func * (a: Self, b: Self) -> Self { Self(a.numerator * b.numerator, a.denominator * b.denominator) }
  static func / (a: Self, b: Self) -> Self { Self(a.numerator * b.denominator, a.denominator * b.numerator) }
  static func < (a: Self, b: Self) -> Bool { a.numerator * b.denominator < b.numerator * a.denominator }
  static func == (a: Self, b: Self) -> Bool { a.numerator == b.numerator && a.denominator == b.denominator }

  /// floor(log2(self)) for self > 0.
  var binaryExponent: Int {
    var e = numerator.magnitude.bitWidth - denominator.magnitude.bitWidth
    while ExactRational(1, timesTwoTo: e) > self { e -= 1 }
    while ExactRational(1, timesTwoTo: e + 1) <= self { e += 1 }
    return e
  }

  /// floor(self) for self ≥ 0.
  var floor: BigInt { numerator / denominator }

  var description: String { "\(numerator)/\(denominator)" }
}
