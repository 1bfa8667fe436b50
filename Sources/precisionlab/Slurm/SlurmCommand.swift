import ArgumentParser
import Experiments
import Foundation

/// `precisionlab slurm submit | status | resubmit | merge`: sweeps as Slurm job arrays.
struct SlurmCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "slurm",
    abstract: "Run a sweep on a Slurm cluster as a job array, follow it, rerun failed shards, merge the shards.",
    discussion: """
      Each task K of an N-task array runs shard K/N of the grid into its own CSV in a results folder; \
      a follow-up job merges the shards into one CSV and the summary once every task succeeded. A task \
      that fails or is preempted is rerun alone with 'resubmit' and resumes from its CSV. See \
      docs/CLUSTER.md.
      """,
    subcommands: [SlurmSubmitCommand.self, SlurmStatusCommand.self, SlurmResubmitCommand.self, SlurmMergeCommand.self])
}

/// Where and how the tasks run: the scheduling options `submit` writes into the scripts and
/// `resubmit` passes to sbatch (where they override the scripts' values).
struct SlurmJobOptions: ParsableArguments {
  @Option(help: "Partition (queue) to run in.")
  var partition: String?

  @Option(help: ArgumentHelp("Time limit per task, in Slurm's syntax (90, 1:30:00, 2-00:00:00).", valueName: "limit"))
  var time: String?

  @Option(name: .customLong("cpus-per-task"), help: "CPUs per task; the task runs that many trials at once (default 1).")
  var cpusPerTask: Int?

  @Option(help: ArgumentHelp("Memory per task (4G, 500M).", valueName: "size"))
  var mem: String?

  @Option(help: "Account to charge.")
  var account: String?

  @Option(name: .customLong("max-parallel"), help: "At most this many tasks at once (--array=1-N%M).")
  var maxParallel: Int?

  @Option(name: .customLong("sbatch-option"), help: ArgumentHelp("Another sbatch option, passed as is (repeatable): --sbatch-option=--qos=long.", valueName: "--opt=value"))
  var sbatchOptions: [String] = []

  var settings: SlurmJobSettings {
    SlurmJobSettings(partition: partition, time: time, cpusPerTask: cpusPerTask ?? 1, memory: mem, account: account, maxParallel: maxParallel, extraOptions: sbatchOptions)
  }

  /// The options given, as sbatch arguments (for `resubmit`: only what the user changed).
  var overrides: [String] {
    var options: [String] = []
    if let cpusPerTask { options.append("--cpus-per-task=\(cpusPerTask)") }
    if let partition { options.append("--partition=\(partition)") }
    if let time { options.append("--time=\(time)") }
    if let mem { options.append("--mem=\(mem)") }
    if let account { options.append("--account=\(account)") }
    return options + sbatchOptions
  }

  func validate() throws {
    if let problem = settings.problem() { throw ValidationError(problem.description) }
  }
}

/// A results folder named by its path or by one of its jobs' ids.
func slurmFolder(_ target: String) throws -> String {
  if FileManager.default.fileExists(atPath: target) || !target.allSatisfy({ $0.isNumber || $0 == "_" }) {
    return absolutePath(target)
  }
  let job = String(target.split(separator: "_").first ?? "")
  guard let folder = SlurmClient().workingDirectory(job) else {
    throw failWithDataError("job \(job): Slurm (scontrol, sacct) does not know it any more; pass its results folder instead")
  }
  guard let array = try? SlurmArray.load(folder), array.jobs.contains(where: { $0.id == job }) else {
    throw failWithDataError("job \(job) was not submitted by 'precisionlab slurm submit' (its folder \(folder) holds no manifest that lists it)")
  }
  return folder
}

/// Submits the merge job of a folder, to start once `after` succeeds (and `alsoAfter` ended).
func submitMerge(_ folder: String, array: inout SlurmArray, after job: String, alsoAfter others: [String], overrides: [String]) throws -> String {
  let dependency = "--dependency=" + (["afterok:\(job)"] + others.map { "afterany:\($0)" }).joined(separator: ",")
  do {
    let id = try SlurmClient().submit(SlurmArray.mergeScriptPath(folder), options: overrides.filter { !$0.hasPrefix("--cpus-per-task") } + [dependency, "--kill-on-invalid-dep=yes"])
    array.record(id, kind: "merge", shards: [])
    return id
  } catch {
    throw failWithUnavailable("the array is submitted (job \(job)), but its merge job is not: \(error.description); merge later with 'precisionlab slurm merge \(folder)'")
  }
}

