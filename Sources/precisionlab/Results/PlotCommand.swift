import ArgumentParser
import Experiments

/// `precisionlab plot FILE.csv --x COL --y COL --series COL -o FIG.svg`.
struct PlotCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "plot", abstract: "A self-contained SVG chart of a results or summary CSV.",
    discussion: """
      A raw results CSV is summarized first, grouped by --x and --series; intervals come from ci_low and ci_high when \
      present (error bars, or shaded bands with --bands). --x-as reads a number from the x column (depth or width from \
      widths, precision from format) and places lines at their values; --log-x and --log-y use log scales.
      """)
  @Argument(help: "A results or summary CSV.") var file: String
  @Option(help: "Column on the x axis.") var x: String?
  @Option(help: "Column on the y axis (for example ratio).") var y: String?
  @Flag(help: "Bifurcation results: the cumulative share of runs whose first difference came by batch k (k from 1), per series, as the paper's CIFAR figure; no --x or --y.") var cumulative = false
  @Option(help: "Column naming the series (one colour each); with --cumulative, several columns separated by commas (model,batch_norm,format: one line per combination).") var series: String?
  @Option(help: "bar, line or points (one marker per row, series side by side: the runs of a --raw file).") var kind = "bar"
  @Option(name: .customLong("x-as"), help: "What the x axis shows of the x column: value, depth, width or precision.") var xAs = "value"
  @Option(name: .customLong("x-label"), help: "Title of the x axis (default: what --x-as reads, or the column).") var xLabel: String?
  @Option(name: .customLong("y-label"), help: "Title of the y axis (default: the column).") var yLabel: String?
  @Flag(name: .customLong("log-x"), help: "Log scale on x (line or point plots of a numeric x).") var logX = false
  @Flag(name: .customLong("log-y"), help: "Log scale on y (line or point plots; values ≤ 0 are left out and said).") var logY = false
  @Flag(name: .customLong("zoom-y"), help: "A linear y axis over the values' span (with a margin) instead of from 0: small differences between large values.") var zoomY = false
  @Flag(help: "Intervals as shaded bands along the lines instead of error bars.") var bands = false
  @Flag(help: "Plot a results CSV's rows as they are (one point per row: iterations, epochs), not its summary.") var raw = false
  @Option(name: .customLong("where"), help: ArgumentHelp("Keep only the rows whose COLUMN holds VALUE, before anything else (repeatable: all must hold); --raw --where final=1 plots each run's last epoch.", valueName: "COLUMN=VALUE")) var filters: [String] = []
  @Option(name: .customLong("mark-first"), help: "Mark, per series, the first x where this column is above 0 (a dashed line).") var markFirst: String?
  @Option(help: "Title.") var title: String?
  @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("The SVG file.", valueName: "fig.svg")) var output: String

  func validate() throws {
    if cumulative {
      if x != nil || y != nil { throw ValidationError("--cumulative draws the share against k itself: no --x or --y") }
    } else if x == nil || y == nil {
      throw ValidationError("--x and --y are needed (or --cumulative for bifurcation results)")
    }
    guard let kind = SVGPlot.Kind(rawValue: kind) else { throw ValidationError("--kind: unknown value '\(self.kind)'; valid: \(SVGPlot.Kind.allCases.map(\.rawValue).joined(separator: ", "))") }
    guard AxisValue(rawValue: xAs) != nil else {
      throw ValidationError("--x-as: unknown value '\(xAs)'; valid: \(AxisValue.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    if raw && markFirst == nil && bands { throw ValidationError("--bands draws a summary's ci_low and ci_high; a --raw file has none") }
    if !cumulative && (logX || logY) && kind == .bar { throw ValidationError("--log-x and --log-y need --kind line or points") }
    if bands && kind != .line { throw ValidationError("--bands needs --kind line") }
    if zoomY && logY { throw ValidationError("--zoom-y is for a linear y axis; --log-y already spans the values") }
    for f in filters where !f.contains("=") || f.hasPrefix("=") {
      throw ValidationError("--where: '\(f)' is not COLUMN=VALUE")
    }
    do { try checkDistinct([("the input", file), ("--output", output)]) } catch { throw ValidationError(error.description) }
  }

  func run() throws {
    if cumulative { return try runCumulative() }
    let (x, y) = (self.x!, self.y!)
    try draw {
      var (columns, rows) = try ResultsFile.read(file)
      rows = try kept(rows, columns)
      if columns.contains("experiment") && !raw {
        let summary = try Summary.make(header: columns, rows: rows, by: [x] + (series.map { [$0] } ?? []))
        (columns, rows) = (summary.columns, summary.rows)
      }
      let axis = AxisValue(rawValue: xAs)!
      if axis != .value, let xi = columns.firstIndex(of: x) {
        for r in rows.indices where xi < rows[r].count {
          guard let v = axis.read(rows[r][xi]) else { throw ResultsError("--x-as \(xAs): cannot read it from \(x) value '\(rows[r][xi])'") }
          rows[r][xi] = v
        }
      }
      let interval = columns.contains("ci_low") && (y == "ratio")
      var plot = try SVGPlot.from(columns: columns, rows: rows, x: x, y: y, series: series, low: interval ? "ci_low" : nil, high: interval ? "ci_high" : nil)
      plot.kind = SVGPlot.Kind(rawValue: kind)!
      // A line or points over numbers are placed at their values (categories otherwise).
      plot.numericX = plot.kind != .bar && plot.points.allSatisfy { Double($0.x)?.isFinite == true }
      plot.logX = logX
      plot.logY = logY
      plot.zoomY = zoomY
      plot.bands = bands
      plot.xLabel = xLabel ?? axis.label(column: x)
      plot.yLabel = yLabel ?? y
      if let markFirst {
        guard let mi = columns.firstIndex(of: markFirst), let xi = columns.firstIndex(of: x) else { throw ResultsError("--mark-first: no column '\(markFirst)'") }
        let si = series.flatMap { columns.firstIndex(of: $0) }
        var marked = Set<String>()
        let ordered = plot.numericX ? rows.sorted { (Double($0[xi]) ?? 0) < (Double($1[xi]) ?? 0) } : rows
        for r in ordered where r.count == columns.count && (Double(r[mi]) ?? 0) > 0 {
          let name = si.map { r[$0] } ?? y
          if marked.insert(name).inserted { plot.marks.append((name, r[xi], "first \(markFirst) > 0: \(plot.xLabel) \(r[xi])")) }
        }
      }
      if let problem = plot.problem { throw ResultsError(problem) }
      plot.title = title ?? "\(plot.yLabel) by \(plot.xLabel)"
      return plot
    }
  }

  /// The cumulative share of runs that differed by batch k, one line per series.
  func runCumulative() throws {
    try draw {
      var (columns, rows) = try ResultsFile.read(file)
      rows = try kept(rows, columns)
      guard let fi = columns.firstIndex(of: "first_difference"), let ei = columns.firstIndex(of: "error") else {
        throw ResultsError("--cumulative needs bifurcation results (columns first_difference and error)")
      }
      let si = try (series?.split(separator: ",").map(String.init) ?? []).map { c throws(ResultsError) -> Int in
        guard let i = columns.firstIndex(of: c) else { throw ResultsError("no column '\(c)'; columns: \(columns.joined(separator: ", "))") }
        return i
      }
      let examined = columns.firstIndex(of: "batches_examined")
      // Per series: runs, their first differing batches k, the last batch any run examined (the line runs to it).
      var groups: [String: (runs: Int, ks: [Int], last: Int)] = [:]
      var order: [String] = []
      for r in rows where r.count == columns.count && r[ei].isEmpty {
        // One column: its values name the series under the column's title; several: each value with its column.
        let name = si.isEmpty ? "runs" : si.count == 1 ? r[si[0]]
          : si.map { "\(columns[$0].replacingOccurrences(of: "_", with: " ")) \(r[$0])" }.joined(separator: ", ")
        if groups[name] == nil { order.append(name) }
        groups[name, default: (0, [], 0)].runs += 1
        if let k = Int(r[fi]) { groups[name]!.ks.append(k + 1) }
        if let e = examined.flatMap({ Int(r[$0]) }) { groups[name]!.last = max(groups[name]!.last, e) }
      }
      guard !groups.isEmpty else { throw ResultsError("no finished runs to plot") }
      var plot = SVGPlot()
      for name in order {
        let (runs, ks, last) = groups[name]!
        let sorted = ks.sorted()
        // A staircase from k = 1: at each k where runs first differed, the share before it, then after.
        var points: [(Int, Int)] = [(1, sorted.filter { $0 <= 1 }.count)]
        for (i, k) in sorted.enumerated() where k > 1 && (i + 1 == sorted.count || sorted[i + 1] != k) {
          points.append((k, points.last!.1))
          points.append((k, i + 1))
        }
        if last > points.last!.0 { points.append((last, sorted.count)) }
        for (k, count) in points { plot.points.append(("\(k)", name, Double(count) / Double(runs), nil, nil)) }
      }
      plot.kind = .line
      plot.numericX = true
      plot.logX = logX
      plot.xLabel = xLabel ?? "k (first differing batch, from 1)"
      plot.yLabel = yLabel ?? "share of runs differed by batch k"
      plot.seriesLabel = si.count == 1 ? columns[si[0]] : ""
      plot.zoomY = zoomY
      plot.title = title ?? "Cumulative share of runs whose gradients differed by batch k"
      return plot
    }
  }

  /// The rows every `--where COLUMN=VALUE` holds for; a column the file lacks is an error.
  func kept(_ rows: [[String]], _ columns: [String]) throws(ResultsError) -> [[String]] {
    var rows = rows
    for f in filters {
      let (column, value) = (String(f.prefix { $0 != "=" }), String(f.drop { $0 != "=" }.dropFirst()))
      guard let i = columns.firstIndex(of: column) else { throw ResultsError("--where: no column '\(column)'; columns: \(columns.joined(separator: ", "))") }
      rows = rows.filter { i < $0.count && $0[i] == value }
    }
    if rows.isEmpty && !filters.isEmpty { throw ResultsError("--where \(filters.joined(separator: " ")): no row left to plot") }
    return rows
  }

  /// Builds the plot and writes it: a file or column that does not fit is one line and exit 65.
  func draw(_ build: () throws -> SVGPlot) throws {
    do {
      try writeText(try build().svg(), to: output)
    } catch let code as ExitCode {
      throw code
    } catch {
      throw failWithDataError("\(file): \(error)")
    }
  }
}
