import ArgumentParser
import Datasets
import Experiments
import Foundation

/// Runs a grid into the outputs `RunOutputs` plans, then prints the summary, where the files are and,
/// when the sweep file gives them, the published numbers beside ours.
func runSweep(
  _ experiment: Experiment, values: [String: [String]], options: SweepOptions, runs: Int?, seeds: [UInt64]?, paired: Bool? = nil, jobs: Int?,
  out: String?, sweepFile: String? = nil, reference: SweepFile.Reference? = nil
) throws {
  let grid = try options.grid.grid(experiment, values: values, runs: runs, seeds: seeds, paired: paired)
  do {
    try checkDistinct([("the sweep file", sweepFile), ("--out", options.out ?? out), ("--table", options.table), ("--plot", options.plot)])
  } catch { throw failWithUsage(error.description) }
  let name = sweepFile.map { (($0 as NSString).lastPathComponent as NSString).deletingPathExtension } ?? experiment.name
  let outputs = try RunOutputs.plan(name: name, experiment: experiment, options: options, fileOut: out)
  for note in outputs.notes where !options.quiet { writeAll("precisionlab: \(note)\n", to: 2) }
  let checkpoints = outputs.csv.map { $0 + ".checkpoints" }
  let context = TrialContext(data: DataCache(dataDirectory: resolveDataDirectory(options.grid.dataDir)), checkpointDirectory: checkpoints, threads: options.threads)
  var runner = SweepRunner(grid: grid, context: context, jobs: options.jobs ?? jobs ?? availableCores(), output: outputs.csv)
  runner.quiet = options.quiet
  runner.shard = try options.shard.map { try Grid.shard($0) }
  // A full disk or an I/O error: one line and exit at once (the file was cut back to whole rows), not
  // after the trials in flight; a scheduler then sees the task fail.
  runner.onWriteFailure = { error in
    writeAll("precisionlab: \(error)\n", to: 2)
    exit(74)  // EX_IOERR, as failWithIOError
  }
  let outcome: SweepRunner.Outcome
  do { outcome = try runner.run() } catch {
    outputs.removeIfEmpty()
    if let failed = error as? ResultsError, failed.isWriteFailure { throw failWithIOError(failed.description) }
    throw failWithDataError("\(error)")
  }
  if let checkpoints { try? FileManager.default.removeItem(atPath: checkpoints) }  // empty once every trial finished
  if !options.quiet {
    writeAll("precisionlab: \(outcome.trials - outcome.skipped) trials in \(String(format: "%.1f", outcome.seconds)) s, \(outcome.skipped) skipped (already done), \(outcome.failed) failed\n", to: 2)
  }
  guard let output = outputs.csv else { return }
  let summary: Summary
  do {
    summary = try writeSummary(of: output, experiment: experiment, table: outputs.table, plot: outputs.plot, reference: reference)
  } catch let error as ResultsError {
    throw failWithDataError(error.description)
  }
  print(summary.markdown(), terminator: "")
  let written = [output, RunManifest.path(for: output), outputs.table, outputs.plot].compactMap { $0 }
  if let directory = outputs.runDirectory {
    print("Files: \(directory)/ (\(written.map { ($0 as NSString).lastPathComponent }.joined(separator: ", "))); rerun with --out \(output) to resume or extend it.")
  } else {
    print("Files: \(written.joined(separator: ", ")).")
  }
  if let reference, summary.columns.contains("published") { print("published: \(reference.source)") }
}

/// The summary with the reference's published number beside each row ("published" column), when the
/// summary is grouped by the reference's column.
func withReference(_ summary: Summary, _ reference: SweepFile.Reference?) -> Summary {
  guard let reference, let key = summary.columns.firstIndex(of: reference.column) else { return summary }
  var result = summary
  result.columns.append("published")
  result.rows = summary.rows.map { $0 + [reference.values[$0[key]] ?? "-"] }
  return result
}

/// The summary of a results CSV, also written to `table` (markdown) and drawn to `plot` when given:
/// the bifurcation and graddiff ratio with its interval, or each experiment's headline column; with the
/// sweep file's published numbers in a last column when it has them.
func writeSummary(of results: String, experiment: Experiment, table: String?, plot: String?, reference: SweepFile.Reference? = nil) throws -> Summary {
  let (header, rows) = try ResultsFile.read(results)
  let summary = try Summary.make(header: header, rows: rows, by: nil)
  if let table { try writeText(withReference(summary, reference).markdown(), to: table) }
  if let path = plot {
    let y = experiment.plotColumn
    let by = Array(summary.columns.prefix { $0 != "runs" })
    let withInterval = summary.columns.contains("ci_low")
    var figure = try SVGPlot.from(columns: summary.columns, rows: summary.rows, x: by[0], y: y, series: by.count > 1 ? by[1] : nil, low: withInterval ? "ci_low" : nil, high: withInterval ? "ci_high" : nil)
    figure.title = "\(experiment.name): \(y) (\(results))"
    try writeText(figure.svg(), to: path)
  }
  return withReference(summary, reference)
}
