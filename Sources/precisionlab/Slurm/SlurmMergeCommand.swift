import ArgumentParser
import Experiments
import Foundation

/// `precisionlab slurm merge FOLDER`: what the merge job runs; also by hand.
struct SlurmMergeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "merge",
    abstract: "Check that every shard of a results folder is complete, merge them into merged.csv, write summary.md and summary.svg.",
    discussion: "Refuses an incomplete or mismatched shard set, naming each shard short of its trials and the command that reruns them.")

  @Argument(help: ArgumentHelp("The results folder (or a job id of it).", valueName: "folder|job"))
  var target: String

  @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("The merged CSV (default FOLDER/merged.csv).", valueName: "all.csv"))
  var output: String?

  func run() throws {
    let folder = try slurmFolder(target)
    do {
      let array = try SlurmArray.load(folder)
      let (trials, rows, path) = try ShardProgress.merge(folder, into: output)
      writeAll("precisionlab: merged \(array.shards) shards: \(trials) trials, \(rows) rows -> \(path)\n", to: 2)
      let experiment = Experiment.named(array.experiment)!
      print(try writeSummary(of: path, experiment: experiment, table: SlurmArray.tablePath(folder), plot: SlurmArray.plotPath(folder)).markdown(), terminator: "")
    } catch let code as ExitCode {
      throw code
    } catch {
      throw failWithDataError("\(error)")
    }
  }
}
