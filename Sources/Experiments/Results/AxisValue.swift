import Scalars

/// What a plot's x axis shows of a configuration column: the text itself, or the number a reader
/// expects on the axis (the depth L or width n a `widths` list describes, the significand bits p of a
/// `format`).
public enum AxisValue: String, Sendable, CaseIterable {
  /// The column's text.
  case value
  /// ReLU (hidden) layers L of a `widths` list: its length minus 2.
  case depth
  /// First hidden width n of a `widths` list.
  case width
  /// Significand bits p of a `format` name (implicit bit included: binary32 is 24).
  case precision

  /// The axis value of one cell, or nil when the text is not what this reads.
  public func read(_ text: String) -> String? {
    switch self {
    case .value: return text
    case .depth, .width:
      let parts = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
      guard parts.count >= 3, !parts.contains(nil) else { return nil }
      return self == .depth ? "\(parts.count - 2)" : "\(parts[1]!)"
    case .precision:
      return (try? FloatFormat.named(text)).map { "\($0.precision)" }
    }
  }

  /// The axis title for it, given the column's name.
  public func label(column: String) -> String {
    switch self {
    case .value: return column
    case .depth: return "ReLU layers L"
    case .width: return "width n"
    case .precision: return "significand bits p"
    }
  }
}
