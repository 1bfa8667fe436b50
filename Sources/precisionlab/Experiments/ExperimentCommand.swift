import ArgumentParser
import Experiments

/// One subcommand per experiment, all alike: the experiment's options (any of which takes a list:
/// the run is the grid of every combination) plus the shared sweep options.
protocol ExperimentCommand: ParsableCommand {
  static var experiment: Experiment { get }
  var options: SweepOptions { get }
  var settings: [String] { get }
}

extension ExperimentCommand {
  static func makeConfiguration() -> CommandConfiguration {
    return CommandConfiguration(
      commandName: experiment.name, abstract: experiment.abstract,
      discussion: "Experiment options (each takes a list of alternatives; the run is their grid):\n" + experiment.table.help)
  }

  func run() throws {
    let values = try parseOptions(settings, Self.experiment.table)
    try runSweep(Self.experiment, values: values, options: options, runs: nil, seeds: nil, jobs: nil, out: nil)
  }
}

struct BifurcationCommand: ExperimentCommand {
  static let experiment = Experiment.bifurcation
  static let configuration = makeConfiguration()
  @OptionGroup var options: SweepOptions
  @Argument(parsing: .allUnrecognized, help: "Experiment options (see below).", completion: completion(Self.experiment.table)) var settings: [String] = []
}

struct GradientDifferenceCommand: ExperimentCommand {
  static let experiment = Experiment.gradientDifference
  static let configuration = makeConfiguration()
  @OptionGroup var options: SweepOptions
  @Argument(parsing: .allUnrecognized, help: "Experiment options (see below).", completion: completion(Self.experiment.table)) var settings: [String] = []
}

struct CensusCommand: ExperimentCommand {
  static let experiment = Experiment.census
  static let configuration = makeConfiguration()
  @OptionGroup var options: SweepOptions
  @Argument(parsing: .allUnrecognized, help: "Experiment options (see below).", completion: completion(Self.experiment.table)) var settings: [String] = []
}

struct ZerosCommand: ExperimentCommand {
  static let experiment = Experiment.zeros
  static let configuration = makeConfiguration()
  @OptionGroup var options: SweepOptions
  @Argument(parsing: .allUnrecognized, help: "Experiment options (see below).", completion: completion(Self.experiment.table)) var settings: [String] = []
}

struct TrainCommand: ExperimentCommand {
  static let experiment = Experiment.training
  static let configuration = makeConfiguration()
  @OptionGroup var options: SweepOptions
  @Argument(parsing: .allUnrecognized, help: "Experiment options (see below).", completion: completion(Self.experiment.table)) var settings: [String] = []
}

struct TrajectoryCommand: ExperimentCommand {
  static let experiment = Experiment.trajectory
  static let configuration = makeConfiguration()
  @OptionGroup var options: SweepOptions
  @Argument(parsing: .allUnrecognized, help: "Experiment options (see below).", completion: completion(Self.experiment.table)) var settings: [String] = []
}

/// Parses option words with a table; a bad word or value is a usage error (64).
func parseOptions(_ words: [String], _ table: ParameterTable) throws -> [String: [String]] {
  do { return try table.parse(words) } catch { throw failWithUsage(error.description) }
}

/// Shell completion of a table's options and their values.
func completion(_ table: ParameterTable) -> CompletionKind {
  .custom { words, index, prefix in table.completions(previous: index > 0 && index <= words.count ? words[index - 1] : nil, prefix: prefix) }
}
