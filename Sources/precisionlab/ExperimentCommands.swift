import ArgumentParser
import Datasets
import Experiments
import Foundation

/// What names the trials of a grid besides the experiment's options: runs, seeds, and where the data
/// is. Shared by the experiment commands, `sweep` and `slurm submit`.
struct GridOptions: ParsableArguments {
  @Option(help: "Runs (seeds) per grid cell: seeds SEED, SEED+1, ….")
  var runs: Int?

  @Option(help: ArgumentHelp("Base seed, or several separated by commas.", valueName: "n[,n…]"))
  var seed: String?

  @Option(name: .customLong("data-dir"), help: ArgumentHelp("Data directory (default: $PRECISIONLAB_DATA, else ./data).", valueName: "dir"))
  var dataDir: String?

  func validate() throws {
    if let runs, runs < 1 { throw ValidationError("--runs must be at least 1, got \(runs): the grid would be empty") }
    if let seed, seeds(seed) == nil { throw ValidationError("--seed '\(seed)': expected non-negative integers separated by commas") }
  }

  func seeds(_ text: String) -> [UInt64]? {
    let parts = text.split(separator: ",").map { UInt64($0.trimmingCharacters(in: .whitespaces)) }
    return parts.isEmpty || parts.contains(nil) ? nil : parts.map { $0! }
  }

  /// The grid of `values`, with these options' runs and seeds winning over a sweep file's.
  func grid(_ experiment: Experiment, values: [String: [String]], runs: Int?, seeds: [UInt64]?) throws -> Grid {
    do {
      return try Grid(experiment, values: values, runs: self.runs ?? runs ?? 1, seeds: seed.flatMap(self.seeds) ?? seeds ?? [0])
    } catch {
      throw failWithUsage(error.description)
    }
  }
}

/// What every experiment command and `sweep` share: the grid's seeds and data, output, parallelism,
/// shards, summary files.
struct SweepOptions: ParsableArguments {
  @OptionGroup var grid: GridOptions

  @Option(help: ArgumentHelp("Append results to this CSV (resumes: finished trials are skipped). Default: standard output.", valueName: "file.csv"))
  var out: String?

  @Option(help: "Trials run in parallel (default: the number of cores; results do not depend on it).")
  var jobs: Int?

  @Option(help: ArgumentHelp("Run only part K of N of the grid (cluster job arrays).", valueName: "K/N"))
  var shard: String?

  @Option(help: ArgumentHelp("Also write the summary table (markdown) here.", valueName: "file.md"))
  var table: String?

  @Option(help: ArgumentHelp("Also write a bar chart of the summary here.", valueName: "file.svg"))
  var plot: String?

  @Flag(help: "No progress output.")
  var quiet = false

  func validate() throws {
    if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1, got \(jobs)") }
    if let shard { do { _ = try Grid.shard(shard) } catch { throw ValidationError(error.description) } }
  }
}

/// Parses `--name value`, `--name=value`, bare `--flag` and `--no-flag` against an experiment's
/// parameters; each value splits into alternatives at the parameter's separator.
func parseSettings(_ tokens: [String], for experiment: Experiment) throws -> [String: [String]] {
  var values: [String: [String]] = [:]
  var i = 0
  while i < tokens.count {
    let token = tokens[i]
    guard token.hasPrefix("--") else { throw ValidationError("unexpected argument '\(token)'") }
    var name = String(token.dropFirst(2)), value: String? = nil
    if let eq = name.firstIndex(of: "=") {
      value = String(name[name.index(after: eq)...])
      name = String(name[..<eq])
    }
    // The issue's spelling of the default: stop at the first difference.
    if name == "until-first-difference", value == nil, experiment.parameter("all-batches") != nil {
      values["all-batches", default: []].append("false")
      i += 1
      continue
    }
    var parameter = experiment.parameter(name)
    if parameter == nil, name.hasPrefix("no-"), let p = experiment.parameter(String(name.dropFirst(3))), ["true", "false"].contains(p.defaultValue) {
      parameter = p
      value = "false"
    }
    guard let p = parameter else {
      throw ValidationError("unknown option '--\(name)' for \(experiment.name); its options: \(experiment.parameters.map { "--" + $0.name }.joined(separator: ", "))")
    }
    if value == nil {
      let isFlag = ["true", "false"].contains(p.defaultValue)
      if isFlag && (i + 1 >= tokens.count || tokens[i + 1].hasPrefix("--")) {
        value = "true"
      } else {
        guard i + 1 < tokens.count else { throw ValidationError("missing value for '--\(name)'") }
        i += 1
        value = tokens[i]
      }
    }
    values[p.name, default: []] += value!.split(separator: p.separator, omittingEmptySubsequences: false).map(String.init)
    i += 1
  }
  return values
}

/// Runs a grid, then prints the summary (and writes the table and plot when asked).
func runSweep(_ experiment: Experiment, values: [String: [String]], options: SweepOptions, runs: Int?, seeds: [UInt64]?, jobs: Int?, out: String?) throws {
  let grid = try options.grid.grid(experiment, values: values, runs: runs, seeds: seeds)
  let output = options.out ?? out
  if (options.table != nil || options.plot != nil) && output == nil { throw failWithUsage("--table and --plot need --out FILE.csv") }
  let checkpoints = output.map { $0 + ".checkpoints" }
  let cores = ProcessInfo.processInfo.activeProcessorCount
  var runner = SweepRunner(grid: grid, context: TrialContext(data: DataCache(dataDirectory: resolveDataDirectory(options.grid.dataDir)), checkpointDirectory: checkpoints), jobs: options.jobs ?? jobs ?? cores, output: output)
  runner.quiet = options.quiet
  runner.shard = try options.shard.map { try Grid.shard($0) }
  let outcome: SweepRunner.Outcome
  do { outcome = try runner.run() } catch { throw failWithDataError("\(error)") }
  if let checkpoints { try? FileManager.default.removeItem(atPath: checkpoints) }  // empty once every trial finished
  if !options.quiet {
    writeAll("precisionlab: \(outcome.trials - outcome.skipped) trials in \(String(format: "%.1f", outcome.seconds)) s, \(outcome.skipped) skipped (already done), \(outcome.failed) failed\n", to: 2)
  }
  guard let output else { return }
  print(try writeSummary(of: output, experiment: experiment, table: options.table, plot: options.plot), terminator: "")
}

/// The summary of a results CSV as markdown, also written to `table` and drawn to `plot` when given:
/// the bifurcation and graddiff ratio with its interval, or each experiment's headline column.
func writeSummary(of results: String, experiment: Experiment, table: String?, plot: String?) throws -> String {
  let (header, rows) = try ResultsFile.read(results)
  let summary = try Summary.make(header: header, rows: rows, by: nil)
  if let table { try writeText(summary.markdown(), to: table) }
  if let path = plot {
    let y = ["bifurcation", "graddiff"].contains(experiment.name) ? "ratio" : experiment.name == "trajectory" ? "l1_across_alphas_mean" : experiment.name == "zeros" ? "zero_ratio" : "test_accuracy_mean"
    let by = Array(summary.columns.prefix { $0 != "runs" })
    let withInterval = summary.columns.contains("ci_low")
    var figure = try SVGPlot.from(columns: summary.columns, rows: summary.rows, x: by[0], y: y, series: by.count > 1 ? by[1] : nil, low: withInterval ? "ci_low" : nil, high: withInterval ? "ci_high" : nil)
    figure.title = "\(experiment.name): \(y) (\(results))"
    try writeText(figure.svg(), to: path)
  }
  return summary.markdown()
}

func writeText(_ text: String, to path: String) throws {
  let folder = (path as NSString).deletingLastPathComponent
  if !folder.isEmpty { try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
  guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else { throw failWithDataError("\(path): cannot be written") }
}

func failWithUsage(_ message: String) -> ExitCode {
  writeAll("precisionlab: \(message)\n", to: 2)
  return ExitCode(64)
}

/// One subcommand per experiment, all alike: the experiment's options (any of which takes a list:
/// the run is the grid of every combination) plus the shared sweep options.
protocol ExperimentCommand: ParsableCommand {
  static var experiment: Experiment { get }
  var options: SweepOptions { get }
  var settings: [String] { get }
}

extension ExperimentCommand {
  static func makeConfiguration() -> CommandConfiguration {
    let lines = experiment.parameters.map { p in "  --\(p.name) (default \(p.defaultValue)): \(p.help)" }
    return CommandConfiguration(
      commandName: experiment.name, abstract: experiment.abstract,
      discussion: "Experiment options (each takes a list of alternatives; the run is their grid):\n" + lines.joined(separator: "\n"))
  }

  func run() throws {
    let values = try parseSettings(settings, for: Self.experiment)
    try runSweep(Self.experiment, values: values, options: options, runs: nil, seeds: nil, jobs: nil, out: nil)
  }
}

struct BifurcationCommand: ExperimentCommand {
  static let experiment = Experiment.bifurcation
  static let configuration = makeConfiguration()
  @OptionGroup var options: SweepOptions
  @Argument(parsing: .allUnrecognized, help: "Experiment options (see below).") var settings: [String] = []
}

struct GradientDifferenceCommand: ExperimentCommand {
  static let experiment = Experiment.gradientDifference
  static let configuration = makeConfiguration()
  @OptionGroup var options: SweepOptions
  @Argument(parsing: .allUnrecognized, help: "Experiment options (see below).") var settings: [String] = []
}

struct ZerosCommand: ExperimentCommand {
  static let experiment = Experiment.zeros
  static let configuration = makeConfiguration()
  @OptionGroup var options: SweepOptions
  @Argument(parsing: .allUnrecognized, help: "Experiment options (see below).") var settings: [String] = []
}

struct TrainCommand: ExperimentCommand {
  static let experiment = Experiment.training
  static let configuration = makeConfiguration()
  @OptionGroup var options: SweepOptions
  @Argument(parsing: .allUnrecognized, help: "Experiment options (see below).") var settings: [String] = []
}

struct TrajectoryCommand: ExperimentCommand {
  static let experiment = Experiment.trajectory
  static let configuration = makeConfiguration()
  @OptionGroup var options: SweepOptions
  @Argument(parsing: .allUnrecognized, help: "Experiment options (see below).") var settings: [String] = []
}

/// `precisionlab sweep FILE`: the grid from a YAML or JSON file.
struct SweepCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sweep", abstract: "Run the grid of trials a YAML or JSON file describes (see experiments/).")
  @Argument(help: "The sweep file.") var file: String
  @OptionGroup var options: SweepOptions
  @Argument(parsing: .allUnrecognized, help: "Experiment options that replace the file's values (for example --data synthetic).") var settings: [String] = []

  func run() throws {
    let sweep = try loadSweep(file, settings: settings)
    try runSweep(sweep.experiment, values: sweep.values, options: options, runs: sweep.runs, seeds: sweep.seeds, jobs: sweep.jobs, out: sweep.out)
  }
}

/// A sweep file with the experiment options given on the command line replacing its values.
func loadSweep(_ path: String, settings: [String]) throws -> SweepFile {
  var sweep: SweepFile
  do { sweep = try SweepFile.load(path) } catch { throw failWithUsage(error.description) }
  sweep.values.merge(try parseSettings(settings, for: sweep.experiment)) { $1 }
  return sweep
}

/// An experiment named on the command line with its options, or a sweep file with the options that
/// replace its values: the experiment, the value lists, and the file's runs and seeds.
func experimentOrSweep(_ target: String, settings: [String]) throws -> (Experiment, [String: [String]], runs: Int?, seeds: [UInt64]?) {
  if let experiment = Experiment.named(target) {
    return (experiment, try parseSettings(settings, for: experiment), nil, nil)
  }
  guard FileManager.default.fileExists(atPath: target) else {
    throw failWithUsage("'\(target)' is neither an experiment (\(Experiment.all.map(\.name).joined(separator: ", "))) nor a sweep file")
  }
  let sweep = try loadSweep(target, settings: settings)
  return (sweep.experiment, sweep.values, sweep.runs, sweep.seeds)
}

/// `precisionlab summarize FILE.csv --by COLS`.
struct SummarizeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "summarize", abstract: "Summary table of a results CSV, grouped by configuration columns.")
  @Argument(help: "A results CSV.") var file: String
  @Option(help: ArgumentHelp("Grouping columns (default: the configuration columns that vary).", valueName: "col,col…")) var by: String?
  @Option(help: "markdown, latex or csv.") var format = "markdown"

  func validate() throws {
    guard ["markdown", "latex", "csv"].contains(format) else { throw ValidationError("--format: unknown value '\(format)'; valid: markdown, latex, csv") }
  }

  func run() throws {
    do {
      let (header, rows) = try ResultsFile.read(file)
      let summary = try Summary.make(header: header, rows: rows, by: by.map { $0.split(separator: ",").map(String.init) })
      print(format == "latex" ? summary.latex() : format == "csv" ? summary.csv() : summary.markdown(), terminator: "")
    } catch {
      throw failWithDataError("\(file): \(error)")
    }
  }
}

/// `precisionlab plot FILE.csv --x COL --y COL --series COL -o FIG.svg`.
struct PlotCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "plot", abstract: "A self-contained SVG chart of a results or summary CSV.",
    discussion: "A raw results CSV is summarized first, grouped by --x and --series; error bars come from ci_low and ci_high when present.")
  @Argument(help: "A results or summary CSV.") var file: String
  @Option(help: "Column on the x axis.") var x: String
  @Option(help: "Column on the y axis (for example ratio).") var y: String
  @Option(help: "Column naming the series (one colour each).") var series: String?
  @Option(help: "bar or line.") var kind = "bar"
  @Option(help: "Title.") var title: String?
  @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("The SVG file.", valueName: "fig.svg")) var output: String

  func validate() throws {
    guard SVGPlot.Kind(rawValue: kind) != nil else { throw ValidationError("--kind: unknown value '\(kind)'; valid: bar, line") }
  }

  func run() throws {
    do {
      var (columns, rows) = try ResultsFile.read(file)
      if columns.contains("experiment") {
        let summary = try Summary.make(header: columns, rows: rows, by: [x] + (series.map { [$0] } ?? []))
        (columns, rows) = (summary.columns, summary.rows)
      }
      let interval = columns.contains("ci_low") && (y == "ratio")
      var plot = try SVGPlot.from(columns: columns, rows: rows, x: x, y: y, series: series, low: interval ? "ci_low" : nil, high: interval ? "ci_high" : nil)
      plot.kind = SVGPlot.Kind(rawValue: kind)!
      plot.title = title ?? "\(y) by \(x)"
      try writeText(plot.svg(), to: output)
    } catch let code as ExitCode {
      throw code
    } catch {
      throw failWithDataError("\(file): \(error)")
    }
  }
}

/// `precisionlab merge SHARD.csv … -o ALL.csv`.
struct MergeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "merge", abstract: "Combine the shard CSVs of one grid into one CSV, in grid order.")
  @Argument(help: "Shard CSVs.") var files: [String]
  @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("The merged CSV.", valueName: "all.csv")) var output: String
  @Flag(name: .customLong("allow-incomplete"), help: "Merge even when some trials of the grid have no finished row.") var allowIncomplete = false

  func run() throws {
    do {
      let (trials, rows) = try Merge.merge(files, into: output, allowIncomplete: allowIncomplete)
      writeAll("precisionlab: merged \(files.count) files: \(trials) trials, \(rows) rows -> \(output)\n", to: 2)
    } catch {
      throw failWithDataError(error.description)
    }
  }
}
