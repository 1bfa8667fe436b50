import Foundation
import Yams

/// A sweep described in a file (YAML or JSON):
///
///     experiment: bifurcation
///     description: ...            # optional, free text
///     expected-runtime: 2 min     # optional, free text
///     runs: 20
///     seed: 0                     # or a list of base seeds
///     paired: false               # optional: true shares the draws across cells (Grid)
///     jobs: 2                     # optional
///     out: results/volume.csv     # optional (the command line's --out wins; a file git tracks is
///                                 # left alone and the run goes to a new run directory)
///     reference:                  # optional: published numbers printed beside the summary
///       source: Bertoin et al. 2021, Table 1
///       column: format            # the grid option whose values they are keyed by
///       values: {binary16: "1", binary32: ".463, .478, .488"}
///     grid:
///       format: [binary16, bfloat16, binary32, binary64]
///       widths: "784,256,256,256,10"
///
/// Every key under `grid` is an option of the experiment; a value is one value or a list of values.
/// An unknown key anywhere is an error naming the valid keys.
public struct SweepFile: Sendable {
  public var experiment: Experiment
  public var values: [String: [String]]
  public var runs: Int
  public var seeds: [UInt64]
  /// Shared draws across cells (`Grid.paired`); nil: not said (independent unless the command line says).
  public var paired: Bool?
  public var jobs: Int?
  public var out: String?
  public var reference: Reference?

  /// Published numbers to print beside a sweep's summary: by the value of one grid option.
  public struct Reference: Sendable, Equatable {
    public var source: String
    /// The grid option (its canonical name) whose values key `values`.
    public var column: String
    public var values: [String: String]
  }

  static let topKeys = ["experiment", "description", "expected-runtime", "runs", "seed", "paired", "jobs", "out", "reference", "grid"]

  public static func load(_ path: String) throws(ParameterError) -> SweepFile {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw ParameterError("\(path): \(FileManager.default.fileExists(atPath: path) ? "cannot be read" : "does not exist")")
    }
    let text = String(decoding: data, as: UTF8.self)
    let parsed: Any?
    do {
      // Yams constructs a mapping by force-unwrapping each key as text: a key that is itself a list or
      // a mapping (`{[a]: b}`) would trap. The document is composed first and such keys refused.
      if let node = try Yams.compose(yaml: text), let problem = Self.nonTextKey(node) {
        throw ParameterError("\(path): \(problem)")
      }
      parsed = try Yams.load(yaml: text)
    } catch let error as ParameterError {
      throw error
    } catch {
      throw ParameterError("\(path): not valid YAML or JSON (\(Self.oneLine(error)))")
    }
    guard let top = parsed as? [String: Any] else { throw ParameterError("\(path): expected a mapping with experiment and grid keys") }
    for key in top.keys where !topKeys.contains(key) {
      throw ParameterError("\(path): unknown key '\(key)'; valid: \(topKeys.joined(separator: ", "))")
    }
    guard let name = top["experiment"] as? String else { throw ParameterError("\(path): missing 'experiment' (one of \(Experiment.all.map(\.name).joined(separator: ", ")))") }
    guard let experiment = Experiment.named(name) else {
      throw ParameterError("\(path): unknown experiment '\(name)'; valid: \(Experiment.all.map(\.name).joined(separator: ", "))")
    }
    let gridValue = top["grid"] ?? [String: Any]()
    guard let grid = gridValue as? [String: Any] else { throw ParameterError("\(path): 'grid' must be a mapping of option names to values") }
    var values: [String: [String]] = [:]
    for (key, value) in grid {
      guard experiment.parameter(key) != nil else {
        throw ParameterError("\(path): unknown key '\(key)' in grid; \(experiment.name) options: \(experiment.parameters.map(\.name).joined(separator: ", "))")
      }
      let list = (value as? [Any]) ?? [value]
      values[key] = list.map(Self.scalar)
    }
    func integer(_ key: String) throws(ParameterError) -> Int? {
      guard let v = top[key] else { return nil }
      guard let n = Int(Self.scalar(v)) else { throw ParameterError("\(path): '\(key)' must be an integer") }
      return n
    }
    let seedValues = (top["seed"] as? [Any]) ?? top["seed"].map { [$0] } ?? [0]
    var seeds: [UInt64] = []
    for s in seedValues {
      guard let n = UInt64(Self.scalar(s)) else { throw ParameterError("\(path): 'seed' must be a non-negative integer or a list of them") }
      seeds.append(n)
    }
    var paired: Bool? = nil
    if let v = top["paired"] {
      switch Self.scalar(v).lowercased() {
      case "true", "yes", "on": paired = true
      case "false", "no", "off": paired = false
      default: throw ParameterError("\(path): 'paired' must be true or false")
      }
    }
    return SweepFile(
      experiment: experiment, values: values, runs: try integer("runs") ?? 1, seeds: seeds, paired: paired, jobs: try integer("jobs"),
      out: top["out"].map(Self.scalar), reference: try top["reference"].map { v throws(ParameterError) in try Self.reference(v, experiment, path) })
  }

  static func reference(_ value: Any, _ experiment: Experiment, _ path: String) throws(ParameterError) -> Reference {
    let keys = ["source", "column", "values"]
    guard let map = value as? [String: Any], let source = map["source"].map(scalar), let column = map["column"].map(scalar),
      let values = map["values"] as? [String: Any]
    else { throw ParameterError("\(path): 'reference' must be a mapping with \(keys.joined(separator: ", ")) (values: a mapping)") }
    if let key = map.keys.sorted().first(where: { !keys.contains($0) }) {
      throw ParameterError("\(path): unknown key '\(key)' in reference; valid: \(keys.joined(separator: ", "))")
    }
    guard let parameter = experiment.parameter(column) else {
      throw ParameterError("\(path): reference column '\(column)' is not a \(experiment.name) option")
    }
    var canonical: [String: String] = [:]
    for (k, v) in values {
      let spelled = (try? parameter.canonical(k).get()) ?? k
      canonical[spelled] = scalar(v)
    }
    return Reference(source: source, column: parameter.column, values: canonical)
  }

  /// The first mapping key that is not plain text (a list or a mapping used as a key), described.
  static func nonTextKey(_ node: Node) -> String? {
    var pending = [node]
    while let next = pending.popLast() {
      switch next {
      case .mapping(let mapping):
        for (key, value) in mapping {
          guard case .scalar = key else { return "a key must be plain text, not a list or a mapping (line \(key.mark?.line ?? 0))" }
          pending.append(value)
        }
      case .sequence(let sequence): pending.append(contentsOf: sequence)
      default: break
      }
    }
    return nil
  }

  static func scalar(_ v: Any) -> String {
    if let b = v as? Bool { return b ? "true" : "false" }
    if let i = v as? Int { return String(i) }
    if let d = v as? Double { return Parameter.shortest(d) }
    return "\(v)"
  }

  static func oneLine(_ error: Error) -> String {
    "\(error)".split(separator: "\n").first.map(String.init) ?? "\(error)"
  }
}
