/// Comma-separated values as RFC 4180 writes them: fields with a comma, a quote or a line break are
/// quoted, quotes doubled; lines end with "\n".
public enum CSV {
  public static func line(_ fields: [String]) -> String {
    fields.map(field).joined(separator: ",") + "\n"
  }

  static func field(_ f: String) -> String {
    guard f.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return f }
    return "\"" + f.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }

  /// Parses CSV text into records. A last line without its final "\n" is returned separately as
  /// `torn` (`goodLength` is the byte length of the whole records before it): it is what a crash mid-write leaves.
  /// What spreadsheets add when they save is read too: a UTF-8 byte-order mark and "\r\n" line ends.
  public static func parse(_ text: String) -> (records: [[String]], torn: Bool, goodLength: Int) {
    var records: [[String]] = []
    var field = "", record: [String] = []
    var inQuotes = false, afterQuote = false
    var goodLength = 0, position = 0
    var scalars = Substring(text).unicodeScalars
    if scalars.first == "\u{FEFF}" {
      scalars = scalars.dropFirst()
      position = 3
    }
    for scalar in scalars {
      position += UTF8.width(scalar)
      let c = Character(scalar)
      if inQuotes {
        if c == "\"" { inQuotes = false; afterQuote = true } else { field.unicodeScalars.append(scalar) }
        continue
      }
      switch c {
      case "\"":
        if afterQuote { field.append("\""); afterQuote = false }
        inQuotes = true
      case ",":
        record.append(field); field = ""; afterQuote = false
      case "\n":
        record.append(field); field = ""; afterQuote = false
        records.append(record); record = []
        goodLength = position
      case "\r":
        afterQuote = false
      default:
        afterQuote = false
        field.unicodeScalars.append(scalar)
      }
    }
    let torn = !record.isEmpty || !field.isEmpty || inQuotes
    return (records, torn, goodLength)
  }
}

import Foundation
