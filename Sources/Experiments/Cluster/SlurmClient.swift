import Foundation

/// Slurm's command-line tools, run as child processes: `sbatch` to submit, `squeue` for what waits
/// or runs, `sacct` (where accounting is on) or else `scontrol` for how tasks ended, `scancel`.
/// The tools find the cluster as they always do (`SLURM_CONF`, the default configuration).
public struct SlurmClient: Sendable {
  public init() {}

  /// A task's state as the scheduler reports it.
  public struct TaskState: Sendable, Equatable {
    public var state: String      // PENDING, RUNNING, COMPLETED, FAILED, TIMEOUT, …
    public var detail: String     // squeue's reason, or the exit code a:b
    public init(state: String, detail: String) {
      self.state = state
      self.detail = detail
    }
  }

  /// The full path of `tool` in PATH, or nil.
  public static func find(_ tool: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    for dir in path.split(separator: ":") {
      let candidate = "\(dir)/\(tool)"
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
  }

  /// Runs a tool to its end; nil when it is not installed.
  static func run(_ tool: String, _ arguments: [String]) -> (status: Int32, output: String, error: String)? {
    guard let executable = find(tool) else { return nil }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    do { try process.run() } catch { return (127, "", "\(error)") }
    // Read standard error on another thread so neither pipe can fill and stall the tool.
    let errorData = ErrorBuffer()
    let reader = Thread { errorData.data = err.fileHandleForReading.readDataToEndOfFile(); errorData.done.signal() }
    reader.start()
    let output = out.fileHandleForReading.readDataToEndOfFile()
    errorData.done.wait()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: errorData.data, as: UTF8.self))
  }

  private final class ErrorBuffer: @unchecked Sendable {
    var data = Data()
    let done = DispatchSemaphore(value: 0)
  }

  /// Submits a script; returns the job id. Errors carry sbatch's own message.
  public func submit(_ script: String, options: [String]) throws(ClusterError) -> String {
    guard let result = Self.run("sbatch", ["--parsable"] + options + [script]) else {
      throw ClusterError("sbatch not found in PATH: is this a Slurm login node? ('--dry-run' prints the scripts without submitting)")
    }
    let id = result.output.split(separator: "\n").last.map { String($0.split(separator: ";")[0]) }?.trimmingCharacters(in: .whitespaces) ?? ""
    guard result.status == 0, !id.isEmpty, id.allSatisfy(\.isNumber) else {
      let message = result.error.split(separator: "\n").map(String.init).joined(separator: " ").trimmingCharacters(in: .whitespaces)
      throw ClusterError("sbatch refused the job: \(message.isEmpty ? "status \(result.status), output '\(result.output)'" : message)")
    }
    return id
  }

  /// Cancels a job; returns whether scancel accepted.
  @discardableResult
  public func cancel(_ job: String) -> Bool { Self.run("scancel", [job])?.status == 0 }

  /// The tasks of a job that wait or run, by array task id (a plain job is task 0); nil when squeue
  /// is missing or fails.
  public func queue(_ job: String) -> [Int: TaskState]? {
    guard let result = Self.run("squeue", ["-h", "-r", "-j", job, "-o", "%K|%T|%r"]) else { return nil }
    // squeue says "Invalid job id" for a job the controller has forgotten: nothing of it waits or runs.
    guard result.status == 0 else { return result.error.contains("Invalid job id") ? [:] : nil }
    return Self.parseQueue(result.output)
  }

  /// How the tasks of a job ended (or stand): from sacct where accounting is on, else from scontrol
  /// while the controller still remembers the job; nil when neither knows.
  public func accounting(_ job: String) -> [Int: TaskState]? {
    if let result = Self.run("sacct", ["-n", "-P", "-X", "-j", job, "-o", "JobID,State,ExitCode"]), result.status == 0,
       !result.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
      return Self.parseAccounting(result.output)
    }
    if let result = Self.run("scontrol", ["-o", "show", "job", job]), result.status == 0 {
      return Self.parseControl(result.output)
    }
    return nil
  }

  /// The working directory of a job (the results folder: the scripts set `--chdir` to it).
  public func workingDirectory(_ job: String) -> String? {
    if let result = Self.run("scontrol", ["-o", "show", "job", job]), result.status == 0,
       let dir = Self.field("WorkDir", in: result.output.split(separator: "\n").first.map(String.init) ?? "") {
      return dir
    }
    if let result = Self.run("sacct", ["-n", "-P", "-X", "-j", job, "-o", "WorkDir"]), result.status == 0,
       let line = result.output.split(separator: "\n").first {
      return String(line).trimmingCharacters(in: .whitespaces)
    }
    return nil
  }

  // MARK: Parsing (pure, tested on recorded output)

  /// squeue `-r -o '%K|%T|%r'`: one line per task; `%K` is `N/A` for a job that is not an array.
  public static func parseQueue(_ text: String) -> [Int: TaskState] {
    var result: [Int: TaskState] = [:]
    for line in text.split(separator: "\n") {
      let f = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
      guard f.count >= 3 else { continue }
      for k in taskIDs(f[0]) { result[k] = TaskState(state: f[1], detail: f[2]) }
    }
    return result
  }

  /// sacct `-n -P -X -o JobID,State,ExitCode`: JobIDs like `12_3`, `12_[4-6%2]` (still pending) or `12`.
  public static func parseAccounting(_ text: String) -> [Int: TaskState] {
    var result: [Int: TaskState] = [:]
    for line in text.split(separator: "\n") {
      let f = line.split(separator: "|", omittingEmptySubsequences: false).map { String($0) }
      guard f.count >= 3 else { continue }
      let task = f[0].split(separator: "_", maxSplits: 1).dropFirst().first.map(String.init) ?? "N/A"
      let state = f[1].split(separator: " ").first.map(String.init) ?? f[1]  // "CANCELLED by 0"
      for k in taskIDs(task.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))) { result[k] = TaskState(state: state, detail: "exit \(f[2])") }
    }
    return result
  }

  /// scontrol `-o show job`: one line per task with ArrayTaskId, JobState and ExitCode fields.
  public static func parseControl(_ text: String) -> [Int: TaskState] {
    var result: [Int: TaskState] = [:]
    for line in text.split(separator: "\n").map(String.init) {
      guard let state = field("JobState", in: line) else { continue }
      let reason = field("Reason", in: line) ?? ""
      let exit = field("ExitCode", in: line) ?? "?"
      let detail = state == "PENDING" ? reason : "exit \(exit)"
      for k in taskIDs(field("ArrayTaskId", in: line) ?? "N/A") { result[k] = TaskState(state: state, detail: detail) }
    }
    return result
  }

  /// The value of `Name=value` in an scontrol line.
  static func field(_ name: String, in line: String) -> String? {
    for part in line.split(separator: " ") where part.hasPrefix(name + "=") {
      return String(part.dropFirst(name.count + 1))
    }
    return nil
  }

  /// Task ids in Slurm's notation: `3`, `1-4`, `1,3,5-7`, `2-8%2`, `N/A` (not an array: task 0).
  public static func taskIDs(_ text: String) -> [Int] {
    let body = text.split(separator: "%").first.map(String.init) ?? text
    if body == "N/A" || body.isEmpty { return [0] }
    var ids: [Int] = []
    for part in body.split(separator: ",") {
      let bounds = part.split(separator: "-").compactMap { Int($0) }
      if bounds.count == 2, bounds[0] <= bounds[1] { ids += Array(bounds[0]...bounds[1]) } else if bounds.count == 1 { ids.append(bounds[0]) }
    }
    return ids
  }
}
