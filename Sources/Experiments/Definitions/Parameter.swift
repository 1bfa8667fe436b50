import Networks
import Scalars
import Tensors

/// One configuration option of an experiment: its name (the CLI's `--name`, the sweep file's key, and
/// with `_` for `-` the CSV column), its default, and how a value is checked and written canonically
/// (so `fp16` and `binary16` are the same trial).
public struct Parameter: Sendable {
  public let name: String
  public let defaultValue: String
  public let help: String
  /// Separates alternatives on the command line: `,` for most, `;` where a single value holds commas
  /// (`--widths 784,16,10;784,64,10`, `--relu0 0,1;0,0.5`).
  public let separator: Character
  /// The canonical spelling of a valid value, or an error message naming the valid choices.
  public let canonical: @Sendable (String) -> Result<String, ParameterError>

  public init(
    _ name: String, default defaultValue: String, separator: Character = ",", help: String,
    canonical: @escaping @Sendable (String) -> Result<String, ParameterError>
  ) {
    self.name = name
    self.defaultValue = defaultValue
    self.separator = separator
    self.help = help
    self.canonical = canonical
  }

  public var column: String { name.replacingOccurrences(of: "-", with: "_") }
}

/// A bad option value, sweep file or results file: one line naming the problem.
public struct ParameterError: Error, CustomStringConvertible, Equatable {
  public let description: String
  public init(_ description: String) { self.description = description }
}

extension Parameter {
  static func choice(_ name: String, _ choices: [String], default d: String, help: String) -> Parameter {
    Parameter(name, default: d, help: help) { v in
      choices.contains(v) ? .success(v) : .failure(ParameterError("--\(name): unknown value '\(v)'; valid: \(choices.joined(separator: ", "))"))
    }
  }

  static func flag(_ name: String, default d: Bool, help: String) -> Parameter {
    Parameter(name, default: d ? "true" : "false", help: help) { v in
      switch v.lowercased() {
      case "true", "yes", "on", "1": return .success("true")
      case "false", "no", "off", "0": return .success("false")
      default: return .failure(ParameterError("--\(name): expected true or false, got '\(v)'"))
      }
    }
  }

  static func integer(_ name: String, default d: Int, minimum: Int, help: String) -> Parameter {
    Parameter(name, default: "\(d)", help: help) { v in
      guard let n = Int(v), n >= minimum else { return .failure(ParameterError("--\(name): expected an integer ≥ \(minimum), got '\(v)'")) }
      return .success("\(n)")
    }
  }

  static func real(_ name: String, default d: String, help: String, valid: @escaping @Sendable (Double) -> Bool = { $0.isFinite }, rule: String = "a finite number") -> Parameter {
    Parameter(name, default: d, help: help) { v in
      guard let x = Double(v), valid(x) else { return .failure(ParameterError("--\(name): expected \(rule), got '\(v)'")) }
      return .success(Self.shortest(x))
    }
  }

  /// Shortest decimal that reads back as the same binary64 value.
  static func shortest(_ x: Double) -> String {
    x == x.rounded() && Swift.abs(x) < 1e15 ? String(Int(x)) : "\(x)"
  }

  static func integerList(_ text: String) -> [Int]? {
    let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
    return parts.isEmpty || parts.contains(nil) ? nil : parts.map { $0! }
  }

  static func format(_ name: String = "format", default d: String, help: String) -> Parameter {
    Parameter(name, default: d, help: help) { v in
      do { return .success(try FloatFormat.named(v).name) } catch { return .failure(ParameterError("--\(name): \(error)")) }
    }
  }
}

import Foundation
