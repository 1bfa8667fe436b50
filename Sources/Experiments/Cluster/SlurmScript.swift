import Foundation

/// The two batch scripts of a Slurm array: the array itself (task K runs shard K/N of the frozen grid
/// into its own CSV, resuming from what an earlier attempt left there) and the follow-up merge.
///
/// Scheduling options are `#SBATCH` lines, so options given on sbatch's command line (as `resubmit`
/// does with a longer `--time`) override them. Tasks are requeueable: a preempted task starts again
/// and resumes from its CSV, and its log is appended to, not replaced.
public struct SlurmScript: Sendable {
  public let array: SlurmArray
  public let folder: String
  public let settings: SlurmJobSettings
  /// Shell text run before each task: the `--prologue` lines, then the `--prologue-file`'s text.
  public let prologue: String

  public init(array: SlurmArray, folder: String, settings: SlurmJobSettings, prologue: String = "") {
    self.array = array
    self.folder = folder
    self.settings = settings
    self.prologue = (settings.prologue + (prologue.isEmpty ? [] : [prologue])).joined(separator: "\n")
  }

  /// A folder path the scripts can use: absolute, and free of what `#SBATCH` lines and sbatch's
  /// filename patterns (`%a`) would misread.
  public static func checkFolder(_ path: String) -> ParameterError? {
    guard path.hasPrefix("/") else { return ParameterError("\(path): the results folder must be an absolute path") }
    if path.contains(where: { $0.isWhitespace || "%'\"\\$`".contains($0) }) {
      return ParameterError("--results '\(path)': a results folder for Slurm cannot contain spaces, quotes, '%', '$' or backslashes (they break #SBATCH lines); choose another")
    }
    return nil
  }

  /// Single-quotes a word for the shell.
  public static func quote(_ word: String) -> String {
    word.allSatisfy { $0.isLetter || $0.isNumber || "/._-+=:,@".contains($0) } && !word.isEmpty
      ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
  }

  var header: String {
    """
    #!/bin/bash
    # PrecisionLab \(array.version) (commit \(array.commit)): grid \(array.grid), \(array.experiment), \(array.trials) trials in \(array.shards) shard\(array.shards == 1 ? "" : "s").
    # Written by 'precisionlab slurm submit' on \(array.created). Rerun shards with
    # 'precisionlab slurm resubmit \(folder)' (it records the jobs that status and merge follow).
    """
  }

  var prologueLines: String {
    prologue.isEmpty ? "" : "\n# Prologue (--prologue, --prologue-file): a failing command fails the task.\nset -e\n\(prologue)\nset +e\n"
  }

  /// The job array: `#SBATCH --array=1-N`, each task one shard.
  public func arrayScript() -> String {
    let n = array.shards
    let range = "1-\(n)" + (settings.maxParallel.map { "%\($0)" } ?? "")
    let directives = ["--job-name=pl-\(array.experiment)-\(array.grid)", "--array=\(range)"] + settings.sbatchOptions
      + ["--output=\(folder)/logs/shard-%a.out", "--open-mode=append", "--requeue", "--chdir=\(folder)"]
    let q = Self.quote
    // The exit status is recorded by an EXIT trap set before the prologue, so a failing prologue
    // leaves a trace too; a task killed outright (preempted, out of time) leaves none and shows as
    // stopped, or as the scheduler's state where sacct or scontrol still know it.
    return header + "\n" + directives.map { "#SBATCH \($0)" }.joined(separator: "\n") + "\n" + """

      k=${SLURM_ARRAY_TASK_ID:?'submit this script with sbatch: it is a job array'}
      exit_file=\(q(folder))/status/shard-$k.exit
      rm -f "$exit_file"
      trap 'status=$?; echo "$status" > "$exit_file"; echo "precisionlab: shard $k/\(n) ended with status $status at $(date -u +%Y-%m-%dT%H:%M:%SZ)"' EXIT
      trap 'exit 143' TERM; trap 'exit 129' HUP; trap 'exit 130' INT  # cancelled, preempted or out of time: not a success
      echo "precisionlab: shard $k/\(n) of grid \(array.grid) on $(hostname), job ${SLURM_JOB_ID:-?} (array ${SLURM_ARRAY_JOB_ID:-?}), started $(date -u +%Y-%m-%dT%H:%M:%SZ)"

      """ + prologueLines + """

      \(q(array.precisionlab)) sweep \(q(SlurmArray.sweepPath(folder))) --shard "$k/\(n)" \\
        --out \(q(folder))/shards/shard-$k-of-\(n).csv --jobs "${SLURM_CPUS_PER_TASK:-\(settings.cpusPerTask)}" \\
        --data-dir \(q(array.dataDirectory))\(settings.quiet ? " --quiet" : "")

      """
  }

  /// The merge job, submitted with `--dependency=afterok:<array job>`: checks that every shard is
  /// complete, merges them into `merged.csv` and writes the summary table and figure.
  public func mergeScript() -> String {
    var options = settings
    options.cpusPerTask = 1
    let directives = ["--job-name=pl-merge-\(array.grid)"] + options.sbatchOptions
      + ["--output=\(folder)/logs/merge.out", "--open-mode=append", "--chdir=\(folder)"]
    return header + "\n" + directives.map { "#SBATCH \($0)" }.joined(separator: "\n") + "\n" + prologueLines + """

      exec \(Self.quote(array.precisionlab)) slurm merge \(Self.quote(folder))

      """
  }
}
