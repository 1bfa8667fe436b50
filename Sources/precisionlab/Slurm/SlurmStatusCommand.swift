import ArgumentParser
import Experiments
import Foundation

/// `precisionlab slurm status JOB|FOLDER [--wait]`.
struct SlurmStatusCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "status",
    abstract: "How many shards of a Slurm array are done, running, waiting or failed, from the shard files and squeue/sacct.",
    discussion: """
      With --wait, polls until nothing of the array waits or runs any more, then exits 0 when every \
      shard is done (and merged, if a merge job was submitted), 1 when a shard or the merge failed, \
      124 when --timeout passed first.
      """)

  @Argument(help: ArgumentHelp("The array's job id or its results folder.", valueName: "job|folder"))
  var target: String

  @Flag(help: "Wait until nothing waits or runs any more.")
  var wait = false

  @Option(help: ArgumentHelp("With --wait: give up after this many seconds.", valueName: "seconds"))
  var timeout: Double?

  @Option(help: ArgumentHelp("With --wait: seconds between looks.", valueName: "seconds"))
  var interval: Double = 5

  func validate() throws {
    if let timeout, timeout <= 0 { throw ValidationError("--timeout must be positive, got \(timeout)") }
    if interval <= 0 { throw ValidationError("--interval must be positive, got \(interval)") }
  }

  func run() throws {
    let folder = try slurmFolder(target)
    let start = Date()
    while true {
      let status: SlurmStatus
      do { status = try SlurmStatus(folder: folder) } catch { throw failWithDataError(error.description) }
      let active = status.shards.contains { $0.state == .running || $0.state == .pending }
      let mergeActive = status.merge.map { ["PENDING", "RUNNING", "COMPLETING", "CONFIGURING"].contains($0.state?.state ?? "") } ?? false
      if !wait || (!active && !mergeActive) {
        print(status.report(), terminator: "")
        guard wait else { return }
        let allDone = status.shards.allSatisfy { $0.state == .done }
        throw ExitCode(allDone && (status.merge == nil || status.merged) ? 0 : 1)
      }
      if let timeout, Date().timeIntervalSince(start) > timeout {
        print(status.report(), terminator: "")
        writeAll("precisionlab: still running after \(Int(timeout)) s\n", to: 2)
        throw ExitCode(124)
      }
      Thread.sleep(forTimeInterval: interval)
    }
  }
}
