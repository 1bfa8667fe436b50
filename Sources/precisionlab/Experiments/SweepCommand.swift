import ArgumentParser
import Experiments
import Foundation

/// `precisionlab sweep FILE`: the grid from a YAML or JSON file.
struct SweepCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sweep", abstract: "Run the grid of trials a YAML or JSON file describes (see experiments/).")
  @Argument(help: "The sweep file.") var file: String
  @OptionGroup var options: SweepOptions
  @Argument(parsing: .allUnrecognized, help: "Experiment options that replace the file's values (for example --data synthetic).") var settings: [String] = []

  func run() throws {
    let sweep = try loadSweep(file, settings: settings)
    try runSweep(
      sweep.experiment, values: sweep.values, options: options, runs: sweep.runs, seeds: sweep.seeds, paired: sweep.paired, jobs: sweep.jobs,
      out: sweep.out, sweepFile: file, reference: sweep.reference)
  }
}

/// A sweep file with the experiment options given on the command line replacing its values.
func loadSweep(_ path: String, settings: [String]) throws -> SweepFile {
  var sweep: SweepFile
  do { sweep = try SweepFile.load(path) } catch { throw failWithUsage(error.description) }
  sweep.values.merge(try parseOptions(settings, sweep.experiment.table)) { $1 }
  return sweep
}

/// An experiment named on the command line with its options, or a sweep file with the options that
/// replace its values: the experiment, the value lists, and the file's runs, seeds and draws.
func experimentOrSweep(_ target: String, settings: [String]) throws -> (
  Experiment, [String: [String]], runs: Int?, seeds: [UInt64]?, paired: Bool?
) {
  if let experiment = Experiment.named(target) {
    return (experiment, try parseOptions(settings, experiment.table), nil, nil, nil)
  }
  guard FileManager.default.fileExists(atPath: target) else {
    throw failWithUsage("'\(target)' is neither an experiment (\(Experiment.all.map(\.name).joined(separator: ", "))) nor a sweep file")
  }
  let sweep = try loadSweep(target, settings: settings)
  return (sweep.experiment, sweep.values, sweep.runs, sweep.seeds, sweep.paired)
}
