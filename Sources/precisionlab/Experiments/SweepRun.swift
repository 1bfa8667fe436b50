import ArgumentParser
import Datasets
import Experiments
import Foundation

/// Runs a grid, then prints the summary (and writes the table and plot when asked).
func runSweep(
  _ experiment: Experiment, values: [String: [String]], options: SweepOptions, runs: Int?, seeds: [UInt64]?, paired: Bool? = nil, jobs: Int?,
  out: String?, sweepFile: String? = nil
) throws {
  let grid = try options.grid.grid(experiment, values: values, runs: runs, seeds: seeds, paired: paired)
  let output = options.out ?? out
  if (options.table != nil || options.plot != nil) && output == nil { throw failWithUsage("--table and --plot need --out FILE.csv") }
  do { try checkDistinct([("the sweep file", sweepFile), ("--out", output), ("--table", options.table), ("--plot", options.plot)]) } catch { throw failWithUsage(error.description) }
  let checkpoints = output.map { $0 + ".checkpoints" }
  let cores = ProcessInfo.processInfo.activeProcessorCount
  let context = TrialContext(data: DataCache(dataDirectory: resolveDataDirectory(options.grid.dataDir)), checkpointDirectory: checkpoints, threads: options.threads)
  var runner = SweepRunner(grid: grid, context: context, jobs: options.jobs ?? jobs ?? cores, output: output)
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
