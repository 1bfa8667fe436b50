import Foundation
/// The options one command takes, as a table: how command-line words become values (each a list of
/// alternatives: a list is a grid axis), the canonical single values of one computation, the help
/// text and the shell completions. The experiment commands, `sweep`, `slurm submit` and `grad` all
/// parse through it.
public struct ParameterTable: Sendable {
  public let parameters: [Parameter]
  /// Who takes these options, for messages (`bifurcation`, `grad`).
  public let owner: String

  public init(_ parameters: [Parameter], owner: String) {
    self.parameters = parameters
    self.owner = owner
  }

  public subscript(_ name: String) -> Parameter? { parameters.first { $0.name == name } }

  /// Parses `--name value`, `--name=value`, a bare `--flag` and `--no-flag`; each value splits into
  /// alternatives at the option's separator.
  public func parse(_ tokens: [String]) throws(ParameterError) -> [String: [String]] {
    var values: [String: [String]] = [:]
    var i = 0
    while i < tokens.count {
      let token = tokens[i]
      guard token.hasPrefix("--"), token.count > 2 else { throw ParameterError("unexpected argument '\(token)'") }
      var name = String(token.dropFirst(2)), value: String? = nil
      if let eq = name.firstIndex(of: "=") {
        value = String(name[name.index(after: eq)...])
        name = String(name[..<eq])
      }
      // A flag's other spelling of false (`Parameter.negated(by:)`).
      if value == nil, self[name] == nil, let flag = parameters.first(where: { $0.negation == name }) {
        values[flag.name, default: []].append("false")
        i += 1
        continue
      }
      var parameter = self[name]
      if parameter == nil, name.hasPrefix("no-"), let p = self[String(name.dropFirst(3))], p.isFlag {
        guard value == nil else { throw ParameterError("--\(name) takes no value") }
        parameter = p
        value = "false"
      }
      guard let p = parameter else {
        throw ParameterError("unknown option '--\(name)' for \(owner); its options: \(parameters.map { "--" + $0.name }.joined(separator: ", "))")
      }
      if value == nil {
        if p.isFlag && (i + 1 >= tokens.count || tokens[i + 1].hasPrefix("--")) {
          value = "true"
        } else {
          guard i + 1 < tokens.count else { throw ParameterError("missing value for '--\(name)'") }
          i += 1
          value = tokens[i]
        }
      }
      values[p.name, default: []] += value!.split(separator: p.separator, omittingEmptySubsequences: false).map(String.init)
      i += 1
    }
    return values
  }

  /// One canonical value per option (the default where none is given), for a command that computes
  /// one thing (`grad`): a list of alternatives is an error naming the option.
  public func single(_ raw: [String: [String]]) throws(ParameterError) -> [String: String] {
    var values: [String: String] = [:]
    for p in parameters {
      let given = raw[p.name] ?? [p.defaultValue]
      guard given.count == 1 else {
        throw ParameterError("--\(p.name): \(owner) takes one value, not a list (\(given.joined(separator: String(p.separator)))); the experiment commands take lists")
      }
      switch p.canonical(given[0].trimmingCharacters(in: .whitespaces)) {
      case .success(let c): values[p.name] = c
      case .failure(let e): throw e
      }
    }
    return values
  }

  /// The options as help text: each option with its default, then its description wrapped to 78
  /// columns (terminals wrap longer lines without the indentation).
  public var help: String {
    parameters.map { p in
      var lines = ["  --\(p.name) (default \(p.defaultValue))"]
      var line = "     "
      for word in p.help.split(separator: " ") {
        if line.count + 1 + word.count > 78 && line.count > 5 {
          lines.append(line)
          line = "     "
        }
        line += " " + word
      }
      return (lines + [line]).joined(separator: "\n")
    }.joined(separator: "\n")
  }

  /// Shell completions for the word being typed, given the words before it: option names, or after
  /// an option its values.
  public func completions(previous: String?, prefix: String) -> [String] {
    if let previous, previous.hasPrefix("--"), let p = self[String(previous.dropFirst(2))], !p.isFlag {
      return (p.completions ?? []).filter { $0.hasPrefix(prefix) }
    }
    let names = parameters.flatMap { p in p.isFlag ? ["--\(p.name)", "--no-\(p.name)"] : ["--\(p.name)"] }
    return names.filter { $0.hasPrefix(prefix) }
  }
}
