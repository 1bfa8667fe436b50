import Foundation

/// What a cluster needs to know about the jobs of an array: where they run, for how long, with how
/// much, and what to run first. Every field is optional except the CPUs per task; an unset field is
/// left to the cluster's defaults. Values are checked here so a mistake is one clear line at submit
/// time, not a rejected job later.
public struct SlurmJobSettings: Sendable, Equatable {
  public var partition: String?
  /// Slurm's time syntax: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS.
  public var time: String?
  public var cpusPerTask: Int
  /// Memory per node, in Slurm's syntax (`4G`, `500M`).
  public var memory: String?
  public var account: String?
  /// At most this many tasks of the array at once (`--array=1-N%M`).
  public var maxParallel: Int?
  /// Shell lines run before each task (for example `module load mpfr`); a failing line fails the task.
  public var prologue: [String]
  /// Further sbatch options, passed as they are (for example `--qos=long`).
  public var extraOptions: [String]
  /// Tasks run their shard with `--quiet` (no progress lines in the logs).
  public var quiet = false

  public init(partition: String? = nil, time: String? = nil, cpusPerTask: Int = 1, memory: String? = nil, account: String? = nil,
              maxParallel: Int? = nil, prologue: [String] = [], extraOptions: [String] = []) {
    self.partition = partition
    self.time = time
    self.cpusPerTask = cpusPerTask
    self.memory = memory
    self.account = account
    self.maxParallel = maxParallel
    self.prologue = prologue
    self.extraOptions = extraOptions
  }

  /// The first problem with these settings, or nil.
  public func problem() -> ParameterError? {
    if cpusPerTask < 1 { return ParameterError("--cpus-per-task must be at least 1, got \(cpusPerTask)") }
    if let maxParallel, maxParallel < 1 { return ParameterError("--max-parallel must be at least 1, got \(maxParallel)") }
    if let time, !Self.isTime(time) {
      return ParameterError("--time '\(time)': not a Slurm time limit; use minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS (like 90 or 1:30:00)")
    }
    if let memory, memory.range(of: #"^[0-9]+[KMGT]?$"#, options: .regularExpression) == nil {
      return ParameterError("--mem '\(memory)': expected a size like 4G, 500M or 2000 (megabytes)")
    }
    for (name, value) in [("partition", partition), ("account", account)] {
      if let value, value.isEmpty || value.contains(where: { $0.isWhitespace || $0 == "'" || $0 == "\"" }) {
        return ParameterError("--\(name) '\(value)': must be a non-empty name without spaces or quotes")
      }
    }
    for option in extraOptions where !option.hasPrefix("--") || option.contains("\n") {
      return ParameterError("--sbatch-option '\(option)': expected one long sbatch option like --qos=long")
    }
    for line in prologue where line.contains("\n") {
      return ParameterError("--prologue: one shell line per option; use --prologue-file for a script")
    }
    return nil
  }

  /// The sbatch options these settings stand for (without the array range), in a fixed order.
  public var sbatchOptions: [String] {
    var options = ["--cpus-per-task=\(cpusPerTask)"]
    if let partition { options.append("--partition=\(partition)") }
    if let time { options.append("--time=\(time)") }
    if let memory { options.append("--mem=\(memory)") }
    if let account { options.append("--account=\(account)") }
    return options + extraOptions
  }

  static func isTime(_ text: String) -> Bool {
    let patterns = [#"^[0-9]+$"#, #"^[0-9]+:[0-5]?[0-9]$"#, #"^[0-9]+:[0-5]?[0-9]:[0-5]?[0-9]$"#,
                    #"^[0-9]+-[0-9]+$"#, #"^[0-9]+-[0-9]+:[0-5]?[0-9]$"#, #"^[0-9]+-[0-9]+:[0-5]?[0-9]:[0-5]?[0-9]$"#, "^UNLIMITED$", "^INFINITE$"]
    return patterns.contains { text.range(of: $0, options: .regularExpression) != nil }
  }
}
