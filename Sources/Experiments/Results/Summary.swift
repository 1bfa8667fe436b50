import Foundation

/// Summaries of a results CSV, grouped by configuration columns.
///
/// - bifurcation: `runs`, `in_s`, `ratio` = in_s/runs, `ci_low`, `ci_high` (Wilson score interval at
///   95%), then `median_first_difference` (over runs in S), `nonfinite` (runs in S through a NaN or
///   infinity in a gradient rather than a finite difference) and `errors`.
/// - graddiff: runs and the share affected (Wilson interval), batches and the share affected, the
///   median, 90th percentile and maximum of ‖g_A − g_B‖₂/‖g_A‖₂ over affected batches.
/// - census: runs, `lambda` (the mean exact zeros per draw over the batches examined: λ per pass when
///   the pass is whole) with a 95% normal interval `lambda_low`/`lambda_high`, `with_zero` (draws with at
///   least one) and its share `p_zero` with the Wilson interval, and the mean per layer (`lambda_layers`).
/// - train, zeros: runs, diverged, mean ± sd of the last epoch's test accuracy, zeros among activation
///   inputs and their ratio, and the exact/rounding split when classified.
/// - trajectory: runs, iterations, the mean final L1 distance across alphas, the largest distance
///   between same-alpha copies, the median first iteration where the copies separated.
///
/// Views of bifurcation results: `volume` (the above) or `first-difference`, the time to the first
/// difference as the paper's CIFAR tables report it, with k = first_difference + 1 the 1-based index of
/// the first differing batch: `runs`, `differed` (within the examined batches), `p_k1`, `p_k10`,
/// `p_k50` (shares of all runs with k ≤ 1, 10, 50, each with its Wilson interval `_low`/`_high`),
/// `mean_k` and `max_k` (over the runs that differed).
public struct Summary: Sendable {
  public enum View: String, Sendable, CaseIterable {
    case volume
    case firstDifference = "first-difference"
  }

  public var columns: [String]
  public var rows: [[String]]

  public static func make(header: [String], rows: [[String]], by requested: [String]?, view: View = .volume) throws(ResultsError) -> Summary {
    guard let experimentIndex = header.firstIndex(of: "experiment"), let first = rows.first else {
      throw ResultsError(rows.isEmpty ? "no rows to summarize" : "not a PrecisionLab results file (no 'experiment' column)")
    }
    let name = first[experimentIndex]
    guard let experiment = Experiment.named(name) else { throw ResultsError("unknown experiment '\(name)' in the results") }
    guard rows.allSatisfy({ $0[experimentIndex] == name }) else { throw ResultsError("the file mixes experiments; summarize one at a time") }
    // Files written before an option existed lack its column: their rows had its legacy value.
    var (header, rows) = (header, rows)
    let added = experiment.legacyColumns.keys.sorted().filter { !header.contains($0) }
    if !added.isEmpty, let upgrade = ResultsFile.upgrade(from: header, to: header + added, experiment.legacyColumns) {
      rows = rows.map(upgrade)
      header += added
    }
    let column = { (c: String) -> Int? in header.firstIndex(of: c) }
    let configuration = experiment.parameters.map(\.column)
    let table = Table(header: header)
    let metrics: (columns: [String], needs: [String], compute: ([[String]]) throws(ResultsError) -> [String])
    guard view == .volume || experiment.summary == .volume else { throw ResultsError("the \(view.rawValue) view is for bifurcation results, not \(name)") }
    switch experiment.summary {
    case .volume where view == .firstDifference:
      metrics = (
        ["runs", "differed", "p_k1", "p_k1_low", "p_k1_high", "p_k10", "p_k10_low", "p_k10_high", "p_k50", "p_k50_low", "p_k50_high", "mean_k", "max_k", "errors"],
        ["in_s", "first_difference"], table.firstDifference)
    case .volume:
      metrics = (
        ["runs", "in_s", "ratio", "ci_low", "ci_high", "median_first_difference", "nonfinite", "errors"], ["in_s", "first_difference"],
        table.bifurcation)
    case .gradientGaps:
      metrics = (["runs", "runs_affected", "ratio", "ci_low", "ci_high", "batches", "batches_affected", "batch_share", "rel_diff_median", "rel_diff_p90", "rel_diff_max", "errors"],
                 ["differs", "rel_diff"], table.gradientDifference)
    case .census:
      metrics = (["runs", "lambda", "lambda_low", "lambda_high", "lambda_layers", "with_zero", "p_zero", "p_zero_low", "p_zero_high", "errors"],
                 ["zeros_total", "zeros_per_layer"], table.census)
    case .trajectory:
      metrics = (["runs", "iterations", "l1_across_alphas_mean", "l1_same_alpha_max", "median_first_separation", "errors"],
                 ["iteration", "l1_across_alphas", "l1_same_alpha"], table.trajectory)
    case .training:
      metrics = (["runs", "diverged", "test_accuracy_mean", "test_accuracy_sd", "zeros", "activation_inputs", "zero_ratio", "zeros_exact", "zeros_rounding", "errors"],
                 ["epoch", "diverged", "test_accuracy", "zeros_total", "activation_inputs"], table.training)
    }
    // Every column the summary reads must be there: a file cut or edited by hand is named, not trapped on.
    let missing = (["trial", "error"] + metrics.needs + (requested == nil ? configuration : [])).filter { column($0) == nil }
    guard missing.isEmpty else {
      let shown = missing.prefix(5).map { "'\($0)'" }.joined(separator: ", ")
      throw ResultsError("not a complete \(name) results file: no column\(missing.count > 1 ? "s" : "") \(shown)\(missing.count > 5 ? " and \(missing.count - 5) more" : "")")
    }
    let by: [String]
    if let requested {
      for c in requested where column(c) == nil {
        throw ResultsError("--by: no column '\(c)'; configuration columns: \(configuration.joined(separator: ", "))")
      }
      by = requested
    } else {
      let varying = configuration.filter { c in Set(rows.map { $0[column(c)!] }).count > 1 }
      by = varying.isEmpty ? ["format"] : varying
    }
    let byIndex = by.map { column($0)! }
    var groups: [[String]: [[String]]] = [:]
    var order: [[String]] = []
    for r in rows {
      let key = byIndex.map { r[$0] }
      if groups[key] == nil { order.append(key) }
      groups[key, default: []].append(r)
    }
    // Groups in grid order (the smallest trial index in each), whatever order the trials finished in.
    if let ti = column("trial_index") {
      let first = Dictionary(uniqueKeysWithValues: order.map { key in (key, groups[key]!.compactMap { Int($0[ti]) }.min() ?? 0) })
      order.sort { first[$0]! < first[$1]! }
    }
    var summaryRows: [[String]] = []
    for key in order { summaryRows.append(key + (try metrics.compute(groups[key]!))) }
    return Summary(columns: by + metrics.columns, rows: summaryRows)
  }

  // MARK: Output

  public func markdown() -> String {
    let widths = columns.indices.map { c in max(columns[c].count, rows.map { $0[c].count }.max() ?? 0) }
    func line(_ cells: [String]) -> String { "| " + cells.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: " | ") + " |" }
    return ([line(columns), "|" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "|") + "|"] + rows.map(line)).joined(separator: "\n") + "\n"
  }

  public func latex() -> String {
    func escape(_ s: String) -> String { s.replacingOccurrences(of: "_", with: "\\_").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "&", with: "\\&") }
    var out = "\\begin{tabular}{" + String(repeating: "l", count: columns.count) + "}\n\\hline\n"
    out += columns.map(escape).joined(separator: " & ") + " \\\\\n\\hline\n"
    for r in rows { out += r.map(escape).joined(separator: " & ") + " \\\\\n" }
    return out + "\\hline\n\\end{tabular}\n"
  }

  public func csv() -> String { ([columns] + rows).map(CSV.line).joined() }
}

/// Column access and the per-experiment statistics. `Summary.make` has checked that the columns each
/// statistic needs are in the header; a column a statistic can do without (`zeros_exact`) reads as empty.
struct Table {
  private let indices: [String: Int]
  init(header: [String]) { indices = Dictionary(header.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first }) }
  func cell(_ r: [String], _ c: String) -> String { indices[c].flatMap { $0 < r.count ? r[$0] : nil } ?? "" }
  func ok(_ rows: [[String]]) -> [[String]] { rows.filter { cell($0, "error").isEmpty } }
  func errors(_ rows: [[String]]) -> String { "\(Set(rows.filter { !cell($0, "error").isEmpty }.map { cell($0, "trial") }).count)" }
  func trials(_ rows: [[String]]) -> [String: [[String]]] { Dictionary(grouping: rows) { cell($0, "trial") } }

  func bifurcation(_ rows: [[String]]) -> [String] {
    let good = ok(rows)
    let n = good.count, k = good.filter { cell($0, "in_s") == "1" }.count
    let (low, high) = Statistics.wilson(successes: k, trials: n)
    let firsts = good.compactMap { Double(cell($0, "first_difference")) }
    // Files written before version 0.7.0 have no such column: the count is left blank, not 0.
    let nonFinite = indices["first_nonfinite"] == nil ? "" : "\(good.filter { !cell($0, "first_nonfinite").isEmpty }.count)"
    return ["\(n)", "\(k)", Statistics.format(n == 0 ? nil : Double(k) / Double(n)), Statistics.format(low), Statistics.format(high),
            Statistics.format(Statistics.quantile(firsts, 0.5)), nonFinite, errors(rows)]
  }

  func firstDifference(_ rows: [[String]]) -> [String] {
    let good = ok(rows)
    let ks = good.compactMap { Int(cell($0, "first_difference")).map { $0 + 1 } }
    var out = ["\(good.count)", "\(ks.count)"]
    for limit in [1, 10, 50] {
      let k = ks.filter { $0 <= limit }.count
      let (low, high) = Statistics.wilson(successes: k, trials: good.count)
      out += [Statistics.format(good.isEmpty ? nil : Double(k) / Double(good.count)), Statistics.format(low), Statistics.format(high)]
    }
    let mean = ks.isEmpty ? nil : Double(ks.reduce(0, +)) / Double(ks.count)
    return out + [Statistics.format(mean), ks.max().map(String.init) ?? "", errors(rows)]
  }

  func census(_ rows: [[String]]) -> [String] {
    let good = ok(rows)
    let totals = good.compactMap { Double(cell($0, "zeros_total")) }
    let layers = good.map { cell($0, "zeros_per_layer").split(separator: ";").compactMap { Double($0) } }
    let n = Double(totals.count)
    let mean = totals.isEmpty ? nil : totals.reduce(0, +) / n
    let sd = totals.count < 2 ? nil : (totals.map { ($0 - mean!) * ($0 - mean!) }.reduce(0, +) / (n - 1)).squareRoot()
    let half = sd.map { 1.959963984540054 * $0 / n.squareRoot() }
    let width = layers.map(\.count).max() ?? 0
    let perLayer = (0..<width).map { l in Statistics.format(layers.map { l < $0.count ? $0[l] : 0 }.reduce(0, +) / max(n, 1)) }
    let k = totals.filter { $0 > 0 }.count
    let (low, high) = Statistics.wilson(successes: k, trials: totals.count)
    return ["\(totals.count)", Statistics.format(mean), Statistics.format(half.map { max(mean! - $0, 0) }), Statistics.format(half.map { mean! + $0 }),
            perLayer.joined(separator: ";"), "\(k)", Statistics.format(totals.isEmpty ? nil : Double(k) / n), Statistics.format(low), Statistics.format(high),
            errors(rows)]
  }

  func gradientDifference(_ rows: [[String]]) -> [String] {
    let good = ok(rows)
    let byTrial = trials(good)
    let affected = byTrial.values.filter { $0.contains { cell($0, "differs") == "1" } }.count
    let (low, high) = Statistics.wilson(successes: affected, trials: byTrial.count)
    let differing = good.filter { cell($0, "differs") == "1" }
    let rel = differing.compactMap { Double(cell($0, "rel_diff")) }
    return ["\(byTrial.count)", "\(affected)", Statistics.format(byTrial.isEmpty ? nil : Double(affected) / Double(byTrial.count)),
            Statistics.format(low), Statistics.format(high), "\(good.count)", "\(differing.count)",
            Statistics.format(good.isEmpty ? nil : Double(differing.count) / Double(good.count)),
            Statistics.format(Statistics.quantile(rel, 0.5)), Statistics.format(Statistics.quantile(rel, 0.9)), Statistics.format(rel.max()), errors(rows)]
  }

  /// The sum of a count column over rows (cells that are not integers are skipped); a sum past
  /// Int.max is an error, not a wrapped or trapped value.
  func total(_ rows: [[String]], _ c: String) throws(ResultsError) -> Int {
    var sum = 0
    for r in rows {
      guard let v = Int(cell(r, c)) else { continue }
      let (s, overflow) = sum.addingReportingOverflow(v)
      guard !overflow else { throw ResultsError("column '\(c)': the counts add up past \(Int.max)") }
      sum = s
    }
    return sum
  }

  func training(_ rows: [[String]]) throws(ResultsError) -> [String] {
    let byTrial = trials(ok(rows))
    var accuracies: [Double] = []
    var diverged = 0
    for (_, trial) in byTrial {
      let last = trial.max { (Int(cell($0, "epoch")) ?? 0) < (Int(cell($1, "epoch")) ?? 0) }!
      if trial.contains(where: { cell($0, "diverged") == "1" }) { diverged += 1 } else if let a = Double(cell(last, "test_accuracy")) { accuracies.append(a) }
    }
    let all = ok(rows)
    let zeros = try total(all, "zeros_total"), inputs = try total(all, "activation_inputs")
    let exact = all.compactMap { Int(cell($0, "zeros_exact")) }, rounding = all.compactMap { Int(cell($0, "zeros_rounding")) }
    return ["\(byTrial.count)", "\(diverged)", Statistics.format(Statistics.mean(accuracies)), Statistics.format(Statistics.sd(accuracies)),
            "\(zeros)", "\(inputs)", Statistics.format(inputs > 0 ? Double(zeros) / Double(inputs) : nil),
            exact.isEmpty ? "" : "\(try total(all, "zeros_exact"))", rounding.isEmpty ? "" : "\(try total(all, "zeros_rounding"))", errors(rows)]
  }

  func trajectory(_ rows: [[String]]) -> [String] {
    let byTrial = trials(ok(rows))
    var finals: [Double] = [], same = 0.0, separations: [Double] = [], iterations = 0
    for (_, trial) in byTrial {
      let sorted = trial.sorted { (Int(cell($0, "iteration")) ?? 0) < (Int(cell($1, "iteration")) ?? 0) }
      iterations = max(iterations, sorted.count)
      if let last = sorted.last, let d = Double(cell(last, "l1_across_alphas")) { finals.append(d) }
      same = max(same, trial.compactMap { Double(cell($0, "l1_same_alpha")) }.max() ?? 0)
      if let s = sorted.first(where: { (Double(cell($0, "l1_across_alphas")) ?? 0) > 0 }) { separations.append(Double(cell(s, "iteration")) ?? 0) }
    }
    return ["\(byTrial.count)", "\(iterations)", Statistics.format(Statistics.mean(finals)), Statistics.format(same),
            Statistics.format(Statistics.quantile(separations, 0.5)), errors(rows)]
  }
}

public enum Statistics {
  /// The Wilson score interval for k successes in n trials at 95% (z = 1.959963984540054); (nil, nil)
  /// when n = 0.
  public static func wilson(successes k: Int, trials n: Int, z: Double = 1.959963984540054) -> (Double?, Double?) {
    guard n > 0 else { return (nil, nil) }
    let nn = Double(n), p = Double(k) / nn, z2 = z * z
    let center = (p + z2 / (2 * nn)) / (1 + z2 / nn)
    let half = z / (1 + z2 / nn) * (p * (1 - p) / nn + z2 / (4 * nn * nn)).squareRoot()
    // At k = 0 (k = n) the lower (upper) end is exactly 0 (1): the formula's rounding left 2e-19 at 0/1000.
    return (k == 0 ? 0 : max(0, center - half), k == n ? 1 : min(1, center + half))
  }

  static func mean(_ v: [Double]) -> Double? { v.isEmpty ? nil : v.reduce(0, +) / Double(v.count) }

  /// Sample standard deviation (n − 1); nil for fewer than two values.
  static func sd(_ v: [Double]) -> Double? {
    guard v.count > 1, let m = mean(v) else { return nil }
    return (v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count - 1)).squareRoot()
  }

  /// Linear-interpolation quantile (type 7, R's and numpy's default).
  static func quantile(_ v: [Double], _ q: Double) -> Double? {
    guard !v.isEmpty else { return nil }
    let s = v.sorted()
    let h = Double(s.count - 1) * q
    let lo = Int(h.rounded(.down)), hi = min(lo + 1, s.count - 1)
    return s[lo] + (h - Double(lo)) * (s[hi] - s[lo])
  }

  /// Four significant digits (what a table shows; the CSV keeps full precision).
  static func format(_ x: Double?) -> String {
    guard let x else { return "" }
    if x.isNaN { return "nan" }
    if x == x.rounded() && Swift.abs(x) < 1e9 { return String(Int(x)) }
    return String(format: "%.4g", x)
  }
}
