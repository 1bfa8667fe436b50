import ArgumentParser
import Experiments

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
    do { try checkDistinct([("the input", file), ("--output", output)]) } catch { throw ValidationError(error.description) }
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
