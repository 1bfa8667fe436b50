import Foundation
import Scalars

/// One configuration option of PrecisionLab's computations: its name (the command line's `--name`, a
/// sweep file's key, and with `_` for `-` a results CSV column), its default, and how a value is checked
/// and written canonically (so `fp16` and `binary16` are the same trial). Every command that computes
/// (`grad`, the experiments, `sweep`, `slurm submit`) reads its options from these tables
/// (`ModelParameters`, `ComputeParameters`, `KinkParameters`, `DataParameters`), so a spelling, a
/// default or a check exists once.
public struct Parameter: Sendable {
  public let name: String
  public let defaultValue: String
  public let help: String
  /// Separates alternatives on the command line: `,` for most, `;` where a single value holds commas
  /// (`--widths 784,16,10;784,64,10`, `--relu0 0,1;0,0.5`).
  public let separator: Character
  /// The values shell completion offers (nil: free text).
  public let completions: [String]?
  /// The canonical spelling of a valid value, or an error message naming the valid choices.
  public let canonical: @Sendable (String) -> Result<String, ParameterError>
  /// A true/false option: `--name` alone means true, `--no-name` false.
  public let isFlag: Bool
  /// For an option added after results were written: the value those results were computed with.
  /// Their rows lack the option's column (a resumed file gains it, holding this value), and trial
  /// keys and draw seeds leave the option out when it has this value, so the trials computed before
  /// it existed are found again and new cells draw what they drew then.
  public let legacyValue: String?
  /// A flag's other spelling that clears it (`--until-first-difference` for `--no-all-batches`), or nil.
  public private(set) var negation: String?

  public init(
    _ name: String, default defaultValue: String, separator: Character = ",", help: String, completions: [String]? = nil,
    isFlag: Bool = false, legacyValue: String? = nil, canonical: @escaping @Sendable (String) -> Result<String, ParameterError>
  ) {
    self.name = name
    self.defaultValue = defaultValue
    self.separator = separator
    self.help = help
    self.completions = completions
    self.isFlag = isFlag
    self.legacyValue = legacyValue
    self.canonical = canonical
  }

  public var column: String { name.replacingOccurrences(of: "-", with: "_") }

  /// The same option with another default (an experiment's own, for example).
  public func withDefault(_ value: String) -> Parameter {
    var p = Parameter(name, default: value, separator: separator, help: help, completions: completions, isFlag: isFlag, legacyValue: legacyValue, canonical: canonical)
    p.negation = negation
    return p
  }

  /// The same option marked as added after results were written with `value` (see `legacyValue`).
  public func added(withLegacyValue value: String) -> Parameter {
    var p = Parameter(name, default: defaultValue, separator: separator, help: help, completions: completions, isFlag: isFlag, legacyValue: value, canonical: canonical)
    p.negation = negation
    return p
  }

  /// The same flag, also cleared by `--alias` (a spelling of its false value).
  public func negated(by alias: String) -> Parameter {
    precondition(isFlag, "only a flag has a negation")
    var p = self
    p.negation = alias
    return p
  }
}

/// A bad option value, combination of values or sweep file: one line naming the problem (and the
/// valid choices).
public struct ParameterError: Error, CustomStringConvertible, Equatable {
  public let description: String
  public init(_ description: String) { self.description = description }
}

extension Parameter {
  static func choice(_ name: String, _ choices: [String], default d: String, help: String) -> Parameter {
    Parameter(name, default: d, help: help, completions: choices) { v in
      choices.contains(v) ? .success(v) : .failure(ParameterError("--\(name): unknown value '\(v)'; valid: \(choices.joined(separator: ", "))"))
    }
  }

  static func flag(_ name: String, default d: Bool, help: String) -> Parameter {
    Parameter(name, default: d ? "true" : "false", help: help, completions: ["true", "false"], isFlag: true) { v in
      switch v.lowercased() {
      case "true", "yes", "on", "1": return .success("true")
      case "false", "no", "off", "0": return .success("false")
      default: return .failure(ParameterError("--\(name): expected true or false, got '\(v)'"))
      }
    }
  }

  /// A value a preset fills in (`--protocol`, the format's hardware accumulation): the parameter
  /// accepts `word` besides its own values, and it is its default.
  func presettable(_ word: String, help extra: String) -> Parameter {
    let own = canonical
    return Parameter(
      name, default: word, separator: separator, help: help + " " + extra, completions: completions.map { [word] + $0 }, isFlag: isFlag,
      legacyValue: legacyValue
    ) { v in v == word ? .success(word) : own(v) }
  }

  static func integer(_ name: String, default d: Int, minimum: Int, maximum: Int = Int.max, help: String) -> Parameter {
    Parameter(name, default: "\(d)", help: help) { v in
      guard let n = Int(v), n >= minimum, n <= maximum else {
        let range = maximum == Int.max ? "≥ \(minimum)" : "from \(minimum) to \(maximum)"
        return .failure(ParameterError("--\(name): expected an integer \(range), got '\(v)'"))
      }
      return .success("\(n)")
    }
  }

  static func real(
    _ name: String, default d: String, help: String, valid: @escaping @Sendable (Double) -> Bool = { $0.isFinite }, rule: String = "a finite number"
  ) -> Parameter {
    Parameter(name, default: d, help: help) { v in
      guard let x = Double(v), valid(x) else { return .failure(ParameterError("--\(name): expected \(rule), got '\(v)'")) }
      return .success(Self.shortest(x))
    }
  }

  static func format(_ name: String = "format", default d: String, help: String) -> Parameter {
    Parameter(name, default: d, help: help, completions: FloatFormat.presetNames) { v in
      do { return .success(try FloatFormat.named(v).name) } catch { return .failure(ParameterError("--\(name): \(error)")) }
    }
  }

  /// Shortest decimal that reads back as the same binary64 value.
  static func shortest(_ x: Double) -> String {
    x == x.rounded() && Swift.abs(x) < 1e15 ? String(Int(x)) : "\(x)"
  }

  /// `a,b,c` as integers, or nil.
  static func integerList(_ text: String) -> [Int]? {
    let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
    return parts.isEmpty || parts.contains(nil) ? nil : parts.map { $0! }
  }
}
