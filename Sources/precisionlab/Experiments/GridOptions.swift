import ArgumentParser
import Experiments
import Foundation

/// What names the trials of a grid besides the experiment's options: runs, seeds, draws, and where the data
/// is. Shared by the experiment commands, `sweep` and `slurm submit`.
struct GridOptions: ParsableArguments {
  @Option(help: "Runs per grid cell: run seeds SEED, SEED+1, … (each cell derives its own θ seed from them unless --paired).")
  var runs: Int?

  @Option(help: ArgumentHelp("Base seed, or several separated by commas.", valueName: "n[,n…]"))
  var seed: String?

  @Flag(
    inversion: .prefixedNo,
    help: "Share θ across grid cells: every cell uses the run seeds themselves (a paired design). By default each cell draws its own θ from a seed derived from the run seed and the cell's options.")
  var paired: Bool?

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
  func grid(_ experiment: Experiment, values: [String: [String]], runs: Int?, seeds: [UInt64]?, paired: Bool? = nil) throws -> Grid {
    do {
      return try Grid(
        experiment, values: values, runs: self.runs ?? runs ?? 1, seeds: seed.flatMap(self.seeds) ?? seeds ?? [0],
        paired: self.paired ?? paired ?? false)
    } catch {
      throw failWithUsage(error.description)
    }
  }
}
