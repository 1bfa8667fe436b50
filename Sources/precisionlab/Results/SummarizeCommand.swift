import ArgumentParser
import Experiments
import Foundation

/// `precisionlab summarize FILE.csv --by COLS`.
struct SummarizeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "summarize", abstract: "Summary table of a results CSV, grouped by configuration columns.")
  @Argument(help: "A results CSV.") var file: String
  @Option(help: ArgumentHelp("Grouping columns (default: the configuration columns that vary).", valueName: "col,col…")) var by: String?
  @Option(help: "markdown, latex or csv.") var format = "markdown"
  @Option(help: "Bifurcation results: volume (share in S) or first-difference (P(k ≤ 1, 10, 50), mean and max k).") var view = "volume"

  func validate() throws {
    guard ["markdown", "latex", "csv"].contains(format) else { throw ValidationError("--format: unknown value '\(format)'; valid: markdown, latex, csv") }
    guard Summary.View(rawValue: view) != nil else {
      throw ValidationError("--view: unknown value '\(view)'; valid: \(Summary.View.allCases.map(\.rawValue).joined(separator: ", "))")
    }
  }

  func run() throws {
    do {
      let (header, rows) = try ResultsFile.read(file)
      if let manifest = try RunManifest.load(for: file) {
        for problem in manifest.mismatches(header: header, rows: rows) { writeAll("precisionlab: \(file): \(problem)\n", to: 2) }
        writeAll("precisionlab: \(file): computed by \(manifest.builds.joined(separator: "; ")) (\(RunManifest.path(for: file)))\n", to: 2)
      }
      let summary = try Summary.make(header: header, rows: rows, by: by.map { $0.split(separator: ",").map(String.init) }, view: Summary.View(rawValue: view)!)
      print(format == "latex" ? summary.latex() : format == "csv" ? summary.csv() : summary.markdown(), terminator: "")
    } catch {
      throw failWithDataError("\(file): \(error)")
    }
  }
}
