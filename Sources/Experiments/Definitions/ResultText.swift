/// How measured values are written in results CSVs.
enum ResultText {
  /// A number as Swift prints a binary64 (shortest round trip), `nan`, `inf`, `-inf`, or empty for none.
  static func number(_ x: Double?) -> String {
    guard let x else { return "" }
    return x.isNaN ? "nan" : x.isInfinite ? (x > 0 ? "inf" : "-inf") : "\(x)"
  }

  /// Per-layer counts as `a;b;c`.
  static func list(_ values: [Int]) -> String { values.map(String.init).joined(separator: ";") }
}
