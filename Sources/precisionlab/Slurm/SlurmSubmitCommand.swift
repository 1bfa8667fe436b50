import ArgumentParser
import Datasets
import Experiments
import Foundation

/// `precisionlab slurm submit EXPERIMENT|FILE --array N …`.
struct SlurmSubmitCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "submit",
    abstract: "Submit a sweep as a Slurm job array of N tasks, each one shard of the grid, and a job that merges them.",
    discussion: """
      Writes the results folder (the frozen grid, the two batch scripts, a manifest), submits the array \
      with sbatch and, unless --no-merge, a merge job with --dependency=afterok on it; prints the array's \
      job id on standard output. Experiment options (or a sweep file's overrides) follow as for the \
      experiment commands, for example:
        precisionlab slurm submit bifurcation --format fp16,fp32 --runs 1000 --array 50 --time 2:00:00
        precisionlab slurm submit experiments/volume-layers.yaml --array 100 --partition cpu
      """)

  @Argument(help: ArgumentHelp("An experiment (bifurcation, graddiff, census, zeros, train, trajectory) or a sweep file (YAML or JSON).", valueName: "experiment|file"))
  var target: String

  @Option(help: "Tasks in the array: the grid is cut into this many shards.")
  var array: Int

  @OptionGroup var grid: GridOptions
  @OptionGroup var job: SlurmJobOptions
  @OptionGroup var progress: ProgressOptions

  @Option(help: ArgumentHelp("Shell line run before each task, for example 'module load gcc' (repeatable).", valueName: "line"))
  var prologue: [String] = []

  @Option(name: .customLong("prologue-file"), help: ArgumentHelp("A shell script whose text runs before each task.", valueName: "file"))
  var prologueFile: String?

  @Option(help: ArgumentHelp("Results folder (default results/slurm/EXPERIMENT-GRID).", valueName: "dir"))
  var results: String?

  @Option(help: ArgumentHelp("The precisionlab executable the tasks run (default: this one).", valueName: "path"))
  var precisionlab: String?

  @Flag(name: .customLong("no-merge"), help: "Do not submit the merge job (merge later with 'precisionlab slurm merge').")
  var noMerge = false

  @Flag(name: .customLong("dry-run"), help: "Print the scripts; write and submit nothing.")
  var dryRun = false

  @Argument(parsing: .allUnrecognized, help: "Experiment options (see 'precisionlab EXPERIMENT --help').")
  var settings: [String] = []

  func validate() throws {
    if array < 1 { throw ValidationError("--array must be at least 1, got \(array)") }
    if prologue.contains(where: { $0.contains("\n") }) { throw ValidationError("--prologue: one shell line per option; use --prologue-file for a script") }
  }

  func run() throws {
    let (experiment, values, runs, seeds, paired) = try experimentOrSweep(target, settings: settings)
    let grid = try self.grid.grid(experiment, values: values, runs: runs, seeds: seeds, paired: paired)
    let folder = absolutePath(results ?? "results/slurm/\(experiment.name)-\(grid.id)")
    if let problem = SlurmScript.checkFolder(folder) { throw failWithUsage(problem.description) }
    let executable = absolutePath(precisionlab ?? Self.thisExecutable())
    guard FileManager.default.isExecutableFile(atPath: executable) else { throw failWithUsage("--precisionlab \(executable): not an executable file") }
    var prologueText = ""
    if let prologueFile {
      guard let text = try? String(contentsOfFile: prologueFile, encoding: .utf8) else { throw failWithUsage("--prologue-file \(prologueFile): cannot be read") }
      prologueText = text.trimmingCharacters(in: .newlines)
    }
    var settings = job.settings
    settings.prologue = prologue
    settings.quiet = progress.quiet
    let dataDirectory = absolutePath(resolveDataDirectory(self.grid.dataDir))
    var manifest: SlurmArray
    do { manifest = try SlurmArray(grid: grid, shards: array, precisionlab: executable, dataDirectory: dataDirectory) } catch { throw failWithUsage(error.description) }
    let script = SlurmScript(array: manifest, folder: folder, settings: settings, prologue: prologueText)
    if dryRun {
      print("# \(SlurmArray.arrayScriptPath(folder))\n" + script.arrayScript())
      if !noMerge { print("# \(SlurmArray.mergeScriptPath(folder)) (submitted with --dependency=afterok:<array job> --kill-on-invalid-dep=yes)\n" + script.mergeScript()) }
      if !progress.quiet { writeAll("precisionlab: dry run: \(grid.count) trials in \(array) shards; nothing written or submitted\n", to: 2) }
      return
    }
    // A dataset that is missing or damaged fails here once, not in every task.
    do {
      let context = TrialContext(data: DataCache(dataDirectory: dataDirectory), checkpointDirectory: nil)
      try SweepRunner.loadData(for: grid.trials(), context)
    } catch { throw failWithDataError(error.description) }
    do { try manifest.create(in: folder, grid: grid, settings: settings, prologue: prologueText) } catch { throw failWithDataError(error.description) }
    let client = SlurmClient()
    let id: String
    do { id = try client.submit(SlurmArray.arrayScriptPath(folder), options: []) } catch {
      throw failWithUnavailable("\(error.description) (the scripts are in \(folder))")
    }
    manifest.record(id, kind: "array", shards: Array(1...array))
    do { try manifest.save(folder) } catch {
      throw failWithDataError("the array is submitted (job \(id)), but \(error.description); status and resubmit will not know the job")
    }
    var mergeNote = ""
    if !noMerge {
      let mergeID = try submitMerge(folder, array: &manifest, after: id, alsoAfter: [], overrides: [])
      mergeNote = ", merge job \(mergeID) once every task succeeded"
      do { try manifest.save(folder) } catch { throw failWithDataError(error.description) }
    }
    print(id)
    if progress.quiet { return }
    writeAll("precisionlab: grid \(grid.id): \(grid.count) trials in \(array) shards -> \(folder); array job \(id)\(mergeNote); follow it with 'precisionlab slurm status \(id)'\n", to: 2)
  }

  /// The absolute path of the running executable.
  static func thisExecutable() -> String {
    if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
    return Bundle.main.executablePath ?? CommandLine.arguments[0]
  }
}
