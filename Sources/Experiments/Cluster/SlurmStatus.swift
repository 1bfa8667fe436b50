import Foundation

/// The state of every shard of a Slurm array, from its files and, where the tools answer, from the
/// scheduler: a shard is done when its CSV holds every one of its trials; otherwise it runs or waits
/// if the latest job that includes it does, and else it failed (with the scheduler's state or the
/// task's exit status) or has not started.
public struct SlurmStatus: Sendable {
  public enum State: String, Sendable {
    case done, running, pending, failed, incomplete
    case notStarted = "not started"
  }

  public struct Shard: Sendable {
    public var progress: ShardProgress
    public var state: State
    /// The job (and task) the state comes from, and what the scheduler or the files say about it.
    public var job: String?
    public var detail: String
  }

  public let folder: String
  public let array: SlurmArray
  public let shards: [Shard]
  /// The latest merge job's state, when the scheduler knows it.
  public let merge: (job: String, state: SlurmClient.TaskState?)?
  /// Whether squeue answered (else the states come from the files alone).
  public let schedulerAnswered: Bool
  public let merged: Bool

  /// Shards that neither are done nor wait nor run: what `resubmit` submits by default.
  public var needRerun: [Int] { shards.filter { [.failed, .incomplete, .notStarted].contains($0.state) }.map(\.progress.shard) }

  public init(folder: String, client: SlurmClient? = SlurmClient()) throws(ClusterError) {
    let array = try SlurmArray.load(folder)
    let grid = try array.loadGrid(folder)
    let progress = ShardProgress.read(folder, array, grid)
    var latest: [Int: String] = [:]  // shard → the latest array job that includes it
    for job in array.jobs where job.kind == "array" {
      for k in job.shards { latest[k] = job.id }
    }
    var queues: [String: [Int: SlurmClient.TaskState]] = [:]
    var ended: [String: [Int: SlurmClient.TaskState]] = [:]
    var answered = client != nil
    if let client {
      for id in Set(latest.values) {
        if let q = client.queue(id) { queues[id] = q } else { answered = false }
        ended[id] = client.accounting(id) ?? [:]
      }
    }
    shards = progress.map { p in
      let job = latest[p.shard]
      let queued = job.flatMap { queues[$0]?[p.shard] }
      let final = job.flatMap { ended[$0]?[p.shard] }
      let task = job.map { "\($0)_\(p.shard)" }
      if let problem = p.problem { return Shard(progress: p, state: .failed, job: task, detail: problem) }
      if p.complete {
        return Shard(progress: p, state: .done, job: task, detail: p.errors > 0 ? "\(p.errors) trials ended with an error (see the error column)" : "")
      }
      if let queued, ["RUNNING", "COMPLETING", "CONFIGURING"].contains(queued.state) {
        return Shard(progress: p, state: .running, job: task, detail: "")
      }
      if let queued, ["PENDING", "REQUEUED", "SUSPENDED", "RESIZING"].contains(queued.state) {
        return Shard(progress: p, state: .pending, job: task, detail: queued.detail)
      }
      if let final, !["PENDING", "RUNNING", "COMPLETED"].contains(final.state) {
        return Shard(progress: p, state: .failed, job: task, detail: "\(final.state), \(final.detail); log \(SlurmArray.logPath(folder, p.shard))")
      }
      if let status = p.exitStatus, status != 0 {
        return Shard(progress: p, state: .failed, job: task, detail: "exit status \(status); log \(SlurmArray.logPath(folder, p.shard))")
      }
      if p.fileExists || p.exitStatus != nil {
        return Shard(progress: p, state: .incomplete, job: task, detail: "stopped before its last trial (preempted, out of time or killed?); log \(SlurmArray.logPath(folder, p.shard))")
      }
      return Shard(progress: p, state: .notStarted, job: task, detail: job == nil ? "never submitted" : answered ? "not in the queue" : "")
    }
    if let mergeJob = array.jobs.last(where: { $0.kind == "merge" }) {
      let state = client.flatMap { c in c.queue(mergeJob.id)?[0] ?? c.accounting(mergeJob.id)?[0] }
      merge = (mergeJob.id, state)
    } else {
      merge = nil
    }
    self.folder = folder
    self.array = array
    self.schedulerAnswered = answered
    self.merged = FileManager.default.fileExists(atPath: SlurmArray.mergedPath(folder))
  }

  /// The report `precisionlab slurm status` prints.
  public func report() -> String {
    var lines = ["grid \(array.grid): \(array.experiment), \(array.trials) trials in \(array.shards) shards, folder \(folder)"]
    let jobs = array.jobs.map { "\($0.id) (\($0.kind)\($0.kind == "array" && $0.shards.count < array.shards ? " of shards \($0.shards.map(String.init).joined(separator: ","))" : ""))" }
    lines.append("jobs: " + (jobs.isEmpty ? "none submitted" : jobs.joined(separator: ", ")))
    if !schedulerAnswered { lines.append("(squeue did not answer: states come from the shard files alone)") }
    let rows = shards.map { s in
      ["\(s.progress.shard)/\(array.shards)", "\(s.progress.finished)/\(s.progress.expected)", s.state.rawValue, s.job ?? "-", s.detail]
    }
    let table = [["shard", "trials", "state", "job", "detail"]] + rows
    let widths = (0..<4).map { c in table.map { $0[c].count }.max()! }
    for row in table {
      lines.append((0..<4).map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ") + "  " + row[4])
    }
    let counts = [State.done, .running, .pending, .failed, .incomplete, .notStarted].compactMap { state -> String? in
      let n = shards.filter { $0.state == state }.count
      return n == 0 ? nil : "\(n) \(state.rawValue)"
    }
    let finished = shards.map(\.progress.finished).reduce(0, +)
    lines.append("\(counts.joined(separator: ", ")); \(finished) of \(array.trials) trials finished")
    if let merge { lines.append("merge job \(merge.job): \(merge.state.map { "\($0.state)\($0.detail.isEmpty ? "" : " (\($0.detail))")" } ?? "unknown to the scheduler")") }
    if merged { lines.append("merged: \(SlurmArray.mergedPath(folder)), summary \(SlurmArray.tablePath(folder))") }
    if !needRerun.isEmpty {
      lines.append("rerun: precisionlab slurm resubmit \(folder) --shards \(needRerun.map(String.init).joined(separator: ","))")
    } else if !merged && shards.allSatisfy({ $0.state == .done }) {
      lines.append("every shard is done: precisionlab slurm merge \(folder)")
    }
    return lines.joined(separator: "\n") + "\n"
  }
}
