import ArgumentParser
import Experiments

/// `precisionlab merge SHARD.csv … -o ALL.csv`.
struct MergeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "merge", abstract: "Combine the shard CSVs of one grid into one CSV, in grid order.")
  @Argument(help: "Shard CSVs.") var files: [String]
  @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("The merged CSV.", valueName: "all.csv")) var output: String
  @Flag(name: .customLong("allow-incomplete"), help: "Merge even when some trials of the grid have no finished row.") var allowIncomplete = false

  func validate() throws {
    if let input = files.first(where: { samePath($0, output) }) { throw ValidationError("--output names the input \(input); the merge would overwrite it") }
  }

  func run() throws {
    do {
      let (trials, rows, notes) = try Merge.merge(files, into: output, allowIncomplete: allowIncomplete)
      for note in notes { writeAll("precisionlab: \(note)\n", to: 2) }
      writeAll("precisionlab: merged \(files.count) files: \(trials) trials, \(rows) rows -> \(output)\n", to: 2)
    } catch {
      throw failWithDataError(error.description)
    }
  }
}
