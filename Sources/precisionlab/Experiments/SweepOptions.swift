import ArgumentParser
import Experiments

/// What every experiment command and `sweep` share: the grid's seeds and data, output, parallelism,
/// shards, summary files.
struct SweepOptions: ParsableArguments {
  @OptionGroup var grid: GridOptions

  @Option(help: ArgumentHelp("Append results to this CSV (resumes: finished trials are skipped); - for standard output. Default: a new run directory, runs/NAME-DATE-TIME/, with the CSV, its manifest, the table and the figure.", valueName: "file.csv"))
  var out: String?

  @Option(help: "Trials run in parallel (default: the cores this process may use, SLURM_CPUS_PER_TASK in a Slurm task; results do not depend on it).")
  var jobs: Int?

  @Option(help: ArgumentHelp("Run only part K of N of the grid (cluster job arrays).", valueName: "K/N"))
  var shard: String?

  @Option(help: ArgumentHelp("Also write the summary table (markdown) here (default: in the run directory).", valueName: "file.md"))
  var table: String?

  @Option(help: ArgumentHelp("Also write a bar chart of the summary here (default: in the run directory).", valueName: "file.svg"))
  var plot: String?

  @Option(help: "Threads inside each trial's kernels (default 1; never changes a result): for few big trials, such as convolutional networks.")
  var threads = 1

  @OptionGroup var progress: ProgressOptions

  var quiet: Bool { progress.quiet }

  func validate() throws {
    if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1, got \(jobs)") }
    if threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    if let shard { do { _ = try Grid.shard(shard) } catch { throw ValidationError(error.description) } }
    do { try checkDistinct([("--out", out), ("--table", table), ("--plot", plot)]) } catch { throw ValidationError(error.description) }
  }
}

/// Progress reporting, shared by the commands that run sweeps (and passed on to Slurm tasks).
struct ProgressOptions: ParsableArguments {
  @Flag(help: "No progress output.")
  var quiet = false
}
