import ArgumentParser
import Scalars

/// `precisionlab formats`: every preset with its parameters and extreme values.
struct FormatsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "formats",
    abstract: "List the preset formats: precision, exponent range, extreme values, unit roundoff.")

  @Flag(name: .long, help: "Write CSV (with exact hex columns) instead of a table.")
  var csv = false

  @Option(name: .long, parsing: .upToNextOption, help: "Also list these formats (e.g. mpfr:200 ieee:12:15).")
  var extra: [String] = []

  func validate() throws {
    for name in extra {
      do { _ = try FloatFormat.named(name) } catch { throw ValidationError(error.description) }
    }
  }

  func run() throws {
    let formats = FloatFormat.presets + extra.map { try! FloatFormat.named($0) }
    print(FormatTable.render(formats, csv: csv), terminator: "")
  }
}

/// The `formats` table, also printed by `make run`.
enum FormatTable {
  static func render(_ formats: [FloatFormat], csv: Bool) -> String {
    let constants = FloatFormat.Constant.allCases
    if csv {
      var header = ["name", "precision", "emin", "emax", "subnormals", "infinities", "nan", "overflow", "engine"]
      for c in constants { header += [c.rawValue, c.rawValue + "_hex"] }
      var lines = [header.joined(separator: ",")]
      for f in formats {
        var row = [
          f.name, String(f.precision), String(f.emin), String(f.emax), String(f.hasSubnormals),
          String(f.hasInfinities), f.nanEncoding.rawValue, f.overflow.rawValue, f.engine.rawValue,
        ]
        for c in constants { row += [f.decimal(c, digits: 17), f.hex(c)] }
        lines.append(row.joined(separator: ","))
      }
      return lines.joined(separator: "\n") + "\n"
    }
    let header = ["name", "p", "emin", "emax", "subnormals", "inf", "NaN", "overflow"]
      + ["largest finite", "smallest normal", "smallest subnormal", "unit roundoff"]
    var rows = [header]
    for f in formats {
      rows.append(
        [
          f.name, String(f.precision), f.isExponentBounded ? String(f.emin) : "mpfr", f.isExponentBounded ? String(f.emax) : "mpfr",
          f.hasSubnormals ? "yes" : "no", f.hasInfinities ? "yes" : "no", f.nanEncoding.rawValue,
          f.overflow.rawValue,
        ] + constants.map { f.decimal($0, digits: 6) })
    }
    let widths = (0..<header.count).map { column in rows.map { $0[column].count }.max()! }
    return rows.map { row in
      zip(row, widths).map { $0 + String(repeating: " ", count: $1 - $0.count) }
        .joined(separator: "  ").trimmingTrailingSpaces()
    }.joined(separator: "\n") + "\n"
  }
}

extension String {
  func trimmingTrailingSpaces() -> String {
    var s = self
    while s.last == " " { s.removeLast() }
    return s
  }
}
