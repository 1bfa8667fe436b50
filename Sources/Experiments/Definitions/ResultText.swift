import Networks

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

extension ResultText {
  /// Zeros with their last operations as `batch/layer/sample/unit/kind/left/right/bias/tz`, `;` between
  /// zeros; numbers as Swift prints a binary64 (they read back exactly).
  static func zeroOperations(_ zeros: [ZeroOperation]) -> String {
    zeros.map { z in
      [
        "\(z.batch)", "\(z.layer)", "\(z.sample)", "\(z.unit)", z.step.kind.rawValue, number(z.step.left), number(z.step.right), number(z.bias),
        "\(z.biasTrailingZeros)",
      ].joined(separator: "/")
    }.joined(separator: ";")
  }
}
