import ArgumentParser
import Experiments
import Foundation

/// `precisionlab slurm resubmit FOLDER [--shards K,…]`.
struct SlurmResubmitCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "resubmit",
    abstract: "Rerun shards of a Slurm array (by default every failed, stopped or never started one); each resumes from its CSV.",
    discussion: """
      Submits the folder's array script again for those shards only (--array=K,…), with any scheduling \
      option given here overriding the script's (a longer --time after a TIMEOUT, another --partition), \
      and a new merge job after it; a merge job still waiting on the old array is cancelled.
      """)

  @Argument(help: ArgumentHelp("The results folder (or a job id of it).", valueName: "folder|job"))
  var target: String

  @Option(help: ArgumentHelp("Shards to rerun, like 2,5 (default: every one that failed, stopped or never started).", valueName: "k,k…"))
  var shards: String?

  @OptionGroup var job: SlurmJobOptions

  @Flag(name: .customLong("no-merge"), help: "Do not submit a merge job.")
  var noMerge = false

  func run() throws {
    let folder = try slurmFolder(target)
    let status: SlurmStatus
    do { status = try SlurmStatus(folder: folder) } catch { throw failWithDataError(error.description) }
    var manifest = status.array
    let n = manifest.shards
    var chosen = status.needRerun
    if let shards {
      let parsed = shards.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
      guard !parsed.isEmpty, parsed.allSatisfy({ $0 != nil && (1...n).contains($0!) }) else {
        throw failWithUsage("--shards '\(shards)': expected shard numbers from 1 to \(n) separated by commas")
      }
      chosen = Array(Set(parsed.map { $0! })).sorted()
      for k in chosen {
        let shard = status.shards[k - 1]
        if shard.state == .running || shard.state == .pending {
          throw failWithUsage("shard \(k) is \(shard.state.rawValue) in job \(shard.job ?? "?"); let it end or cancel it first (scancel \(shard.job ?? ""))")
        }
        if shard.state == .done { throw failWithUsage("shard \(k) is done (\(shard.progress.finished) of \(shard.progress.expected) trials); nothing to rerun") }
      }
    }
    guard !chosen.isEmpty else {
      print(status.report(), terminator: "")
      writeAll("precisionlab: nothing to resubmit: no shard failed, stopped or is unstarted\n", to: 2)
      return
    }
    // A merge job still waiting on the old array would never start (or start too early): replace it.
    if let merge = status.merge, ["PENDING"].contains(merge.state?.state ?? "") { SlurmClient().cancel(merge.job) }
    let range = chosen.map(String.init).joined(separator: ",") + (job.maxParallel.map { "%\($0)" } ?? "")
    let id: String
    do { id = try SlurmClient().submit(SlurmArray.arrayScriptPath(folder), options: ["--array=\(range)"] + job.overrides) } catch {
      throw failWithUnavailable(error.description)
    }
    manifest.record(id, kind: "array", shards: chosen)
    do { try manifest.save(folder) } catch { throw failWithDataError(error.description) }
    var mergeNote = ""
    if !noMerge {
      let active = Set(status.shards.filter { $0.state == .running || $0.state == .pending }.compactMap { $0.job?.split(separator: "_").first.map(String.init) })
      let mergeID = try submitMerge(folder, array: &manifest, after: id, alsoAfter: active.sorted(), overrides: job.overrides)
      mergeNote = ", merge job \(mergeID)"
      do { try manifest.save(folder) } catch { throw failWithDataError(error.description) }
    }
    print(id)
    writeAll("precisionlab: resubmitted shards \(chosen.map(String.init).joined(separator: ",")) of \(n) as job \(id)\(mergeNote)\n", to: 2)
  }
}
