import Foundation
import Networks

/// One trial of a grid: a value for every parameter (canonical spelling) and a seed.
public struct Trial: Sendable, Hashable {
  /// Position in the full grid (before sharding), from 0.
  public let index: Int
  public let values: [String: String]
  public let seed: UInt64
  /// Stable key: a hash of the experiment, every parameter value and the seed.
  public let key: String

  public subscript(_ name: String) -> String {
    guard let v = values[name] else { preconditionFailure("trial has no parameter '\(name)'") }
    return v
  }
  func flag(_ name: String) -> Bool { self[name] == "true" }
  func int(_ name: String) -> Int { Int(self[name])! }
  func double(_ name: String) -> Double { Double(self[name])! }
}

/// What a trial may use besides its values.
public struct TrialContext: Sendable {
  public let data: DataCache
  /// A folder for per-trial checkpoints (training), or nil for none.
  public let checkpointDirectory: String?

  public init(data: DataCache, checkpointDirectory: String?) {
    self.data = data
    self.checkpointDirectory = checkpointDirectory
  }
}

/// An experiment: its parameters (the configuration columns), its measured columns, a check of each
/// combination of values, and the code that runs one trial. `run` emits result rows through its last
/// argument, the trial's last row with `final` set; rows of a trial that never emitted a final row are
/// discarded when a sweep resumes (except that training resumes from its checkpoint).
public struct Experiment: Sendable {
  public let name: String
  public let abstract: String
  public let parameters: [Parameter]
  public let resultColumns: [String]
  /// Columns that identify a row within its trial (epoch, batch, iteration), if several rows.
  public let rowColumns: [String]
  let check: @Sendable (_ values: [String: String]) -> ParameterError?
  let run: @Sendable (_ trial: Trial, _ context: TrialContext, _ emit: (_ row: [String], _ final: Bool) -> Void) throws -> Void

  public func parameter(_ name: String) -> Parameter? { parameters.first { $0.name == name } }

  public static let all: [Experiment] = [.bifurcation, .gradientDifference, .zeros, .training, .trajectory]

  public static func named(_ name: String) -> Experiment? { all.first { $0.name == name } }

  /// The CSV header of this experiment's results.
  public var header: [String] {
    ["experiment", "trial", "grid", "grid_size", "trial_index"] + parameters.map(\.column) + ["seed"] + resultColumns
      + ["final", "error", "wall_seconds", "version", "commit"]
  }
}

/// The toolkit's version and, when known, the git commit it was built from (read from the checkout
/// the executable lives in, else the current directory's).
public enum Provenance {
  public static let version = "0.5.0"

  public static let commit: String = {
    var candidates = [FileManager.default.currentDirectoryPath]
    let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath()
    candidates.insert(executable.deletingLastPathComponent().path, at: 0)
    for start in candidates {
      var dir = URL(fileURLWithPath: start)
      for _ in 0..<8 {
        let git = dir.appendingPathComponent(".git")
        if let head = try? String(contentsOf: git.appendingPathComponent("HEAD"), encoding: .utf8) {
          let line = head.trimmingCharacters(in: .whitespacesAndNewlines)
          guard line.hasPrefix("ref: ") else { return String(line.prefix(12)) }
          let ref = String(line.dropFirst(5))
          if let hash = try? String(contentsOf: git.appendingPathComponent(ref), encoding: .utf8) {
            return String(hash.trimmingCharacters(in: .whitespacesAndNewlines).prefix(12))
          }
          if let packed = try? String(contentsOf: git.appendingPathComponent("packed-refs"), encoding: .utf8),
            let entry = packed.split(separator: "\n").first(where: { $0.hasSuffix(" " + ref) })
          {
            return String(entry.prefix(12))
          }
          return ""
        }
        dir.deleteLastPathComponent()
      }
    }
    return ""
  }()
}
