import Foundation

/// A self-contained SVG chart (no scripts, no external fonts): y against x per series, as grouped
/// bars, lines with markers, or points (one translucent marker per row, series set side by side at
/// each x, so that runs of a raw results file stay apart and coinciding ones show darker), with axes,
/// ticks, a legend, and intervals from two interval columns (error bars, or shaded bands around lines).
///
/// x is categorical (in the order of first appearance, numeric labels sorted) unless it is numeric
/// and `numericX` is set: lines and points are then placed at their value, on a linear or a log scale. The
/// y axis is linear from 0 (or over the values' span, `zoomY`), or logarithmic (`logY`: positive values only; zero and negative values
/// and interval ends are left out and said in the title).
public struct SVGPlot: Sendable {
  public enum Kind: String, Sendable, CaseIterable { case bar, line, points }

  public var kind: Kind = .bar
  /// Place x by its numeric value (line and point plots; every x must be a finite number).
  public var numericX = false
  public var logX = false
  public var logY = false
  /// A linear y axis spanning the values (interval ends included, with a margin) instead of reaching 0: for
  /// differences small beside the values (accuracies of 0.78 and 0.79).
  public var zoomY = false
  /// Draw intervals as shaded bands along each line instead of error bars.
  public var bands = false
  /// Per series, an x value to mark with a dashed vertical line and the label drawn beside it (the
  /// first exact zero of a trajectory, say).
  public var marks: [(series: String, x: String, label: String)] = []
  /// Lines of more points than this are drawn without their markers.
  static let markerLimit = 60
  public var title = ""
  public var xLabel = ""
  public var yLabel = ""
  /// The legend's title (the series column), empty for none.
  public var seriesLabel = ""
  /// Points: x category, series name, y, and an optional interval (low, high).
  public var points: [(x: String, series: String, y: Double, low: Double?, high: Double?)] = []

  public init() {}

  /// Points from a table: `x`, `y` and `series` columns, error bars from `low`/`high` when given.
  public static func from(columns: [String], rows: [[String]], x: String, y: String, series: String?, low: String?, high: String?) throws(ResultsError) -> SVGPlot {
    func index(_ c: String) throws(ResultsError) -> Int {
      guard let i = columns.firstIndex(of: c) else { throw ResultsError("no column '\(c)'; columns: \(columns.joined(separator: ", "))") }
      return i
    }
    let (xi, yi) = (try index(x), try index(y))
    let si = try series.map { c throws(ResultsError) in try index(c) }
    let li = try low.map { c throws(ResultsError) in try index(c) }, hi = try high.map { c throws(ResultsError) in try index(c) }
    var plot = SVGPlot()
    plot.xLabel = x
    plot.yLabel = y
    plot.seriesLabel = series ?? ""
    // Non-numeric or infinite cells are left out (an infinite interval end draws no error bar).
    func finite(_ text: String) -> Double? { Double(text).flatMap { $0.isFinite ? $0 : nil } }
    for r in rows where r.count == columns.count {
      guard let v = finite(r[yi]) else { continue }
      var (lo, hi) = (li.flatMap { finite(r[$0]) }, hi.flatMap { finite(r[$0]) })
      if lo == nil || hi == nil { (lo, hi) = (nil, nil) }
      plot.points.append((r[xi], si.map { r[$0] } ?? y, v, lo, hi))
    }
    guard !plot.points.isEmpty else { throw ResultsError("column '\(y)' has no numeric values to plot") }
    let (low, high) = plot.range
    guard (high - low).isFinite else { throw ResultsError("column '\(y)' spans more than the largest double (\(low) to \(high)); it cannot be drawn to scale") }
    return plot
  }

  static func unique(_ values: [String]) -> [String] {
    var seen = Set<String>(), out: [String] = []
    for v in values where seen.insert(v).inserted { out.append(v) }
    if out.allSatisfy({ Double($0) != nil }) { out.sort { Double($0)! < Double($1)! } }
    return out
  }

  /// The y axis: from min(0, smallest value) to max(0, largest value), interval ends included, and
  /// never empty (all values 0 give 0 to 1).
  var range: (low: Double, high: Double) {
    let values = points.flatMap { [$0.y] + [$0.low, $0.high].compactMap { $0 } }
    if zoomY, let lo = values.min(), let hi = values.max() {
      let margin = hi > lo ? (hi - lo) / 10 : max(abs(lo) / 10, 1e-3)
      // Start at a tick, so that the lowest tick label sits on the axis.
      let low = Self.ticks(lo - margin, hi + margin).first ?? lo - margin
      return (min(low, lo - margin), hi + margin)
    }
    let low = min(0, values.min() ?? 0), high = max(0, values.max() ?? 0)
    return (low, high > low ? high : low + 1)
  }

  /// Decades spanning the positive values (log axes): exponents of 10 from below the smallest to
  /// above the largest.
  static func decades(_ values: [Double]) -> (low: Int, high: Int) {
    let positive = values.filter { $0 > 0 && $0.isFinite }
    guard let lo = positive.min(), let hi = positive.max() else { return (0, 1) }
    let a = Int(log10(lo).rounded(.down)), b = Int(log10(hi).rounded(.up))
    return (a, b > a ? b : a + 1)
  }

  /// Why the plot cannot be drawn with its axes, or nil.
  public var problem: String? {
    if numericX || logX {
      guard kind != .bar else { return "a numeric or log x axis needs --kind line or points" }
      if let bad = points.first(where: { Double($0.x).map { !$0.isFinite } ?? true }) { return "x value '\(bad.x)' is not a number" }
      if logX, let bad = points.first(where: { Double($0.x)! <= 0 }) { return "x value '\(bad.x)' cannot be placed on a log axis" }
    }
    if logY && kind == .bar { return "a log y axis needs --kind line or points" }
    if logY && !points.contains(where: { $0.y > 0 }) { return "no positive y value to place on a log axis" }
    return nil
  }

  /// Ticks at a round step (1, 2, 2.5 or 5 times a power of ten) from low up to high: at most 12 of
  /// them, computed from an integer count so that no step is too small to move the value.
  static func ticks(_ low: Double, _ high: Double) -> [Double] {
    let span = high - low
    guard span.isFinite, span > 0 else { return [low] }
    let raw = span / 5
    let magnitude = pow(10, log10(raw).rounded(.down))
    let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
    let first = (low / step).rounded(.down), last = (high / step + 1e-9).rounded(.down)
    guard step.isFinite, step > 0, first.isFinite, last.isFinite, last - first >= 0, last - first <= 12 else { return [low, high] }
    return (0...Int(last - first)).map { (first + Double($0)) * step }
  }

  /// The y axis's ticks: `ticks(low, high)` and, where the highest value lies above the last of them,
  /// the next tick, so that the axis ends on a labelled tick and no band or bar touches the frame.
  static func axisTicks(_ low: Double, _ high: Double) -> [Double] {
    var ticks = ticks(low, high)
    if ticks.count >= 2, let last = ticks.last, last < high {
      let next = last + (ticks[1] - ticks[0])
      if next.isFinite { ticks.append(next) }
    }
    return ticks
  }

  /// Okabe and Ito's colour-blind-safe palette (blue, vermillion, bluish green, orange, reddish purple,
  /// sky blue, black, yellow), then two greys for more series.
  static let palette = ["#0072B2", "#D55E00", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#000000", "#F0E442", "#7f7f7f", "#bdbdbd"]

  public func svg(width: Double = 720, height: Double = 420) -> String {
    let frame = self.frame(width: width, height: height)
    var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(frame.width))\" height=\"\(Int(frame.height))\" viewBox=\"0 0 \(Int(frame.width)) \(Int(frame.height))\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n"
    out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    out += axes(frame)
    out += data(frame)
    return out + "</svg>\n"
  }

  /// Where everything goes: the canvas, the plot area, the points shown, and the two axes' mappings.
  struct Frame {
    var width, height, left, top, plotW, plotH: Double
    /// The points a log y axis can show, and how many it cannot.
    var shown: [(x: String, series: String, y: Double, low: Double?, high: Double?)]
    var dropped: Int
    var xs, series: [String]
    var numeric, slanted: Bool
    var yTicks: [Double]
    var yMin: Double
    var Y: (Double) -> Double
    /// The width of one category.
    var band: Double
    var xValues: [Double]
    var xLow, xHigh: Double

    func X(_ label: String) -> Double {
      if numeric {
        let v = xLogScale ? log10(Double(label)!) : Double(label)!
        return left + plotW * (0.04 + 0.92 * (v - xLow) / (xHigh - xLow))
      }
      return left + band * (Double(xs.firstIndex(of: label)!) + 0.5)
    }
    var xLogScale: Bool
  }

  static func esc(_ s: String) -> String { s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;") }
  static func f(_ v: Double) -> String { String(format: "%.2f", v) }

  /// The canvas and the axes' mappings for a chart of `width` × `height` (more for slanted labels and a
  /// wide legend).
  func frame(width: Double, height: Double) -> Frame {
    // On a log y axis only positive values (and positive interval ends) can be placed.
    let shown = logY ? points.filter { $0.y > 0 } : points
    let xs = Self.unique(shown.map(\.x)), series = Self.unique(shown.map(\.series))
    let numeric = numericX || logX
    // Long category labels are drawn slanted, with room below the axis for them.
    let labelWidth = numeric ? 0 : 6.6 * Double(xs.map(\.count).max() ?? 0)
    let slanted = labelWidth > 0.95 * (width - 240) / Double(max(xs.count, 1))
    let extra = slanted ? labelWidth * 0.5 : 0
    let height = height + extra
    // The legend's column is as wide as its longest entry: never clipped.
    let legendWidth = 7.0 * Double(max(seriesLabel.count, series.map(\.count).max() ?? 0)) + 44
    let width = max(width, 420 + legendWidth)
    let (left, right, top, bottom) = (70.0, max(170.0, legendWidth), 40.0, 60.0 + extra)
    let plotW = width - left - right, plotH = height - top - bottom
    // The y axis.
    let yTicks: [Double], yMin: Double, yMax: Double
    let Y: (Double) -> Double
    if logY {
      let (a, b) = Self.decades(shown.flatMap { [$0.y] + [$0.low, $0.high].compactMap { $0 } })
      yTicks = (a...b).map { pow(10, Double($0)) }
      (yMin, yMax) = (Double(a), Double(b))
      Y = { v in top + plotH * (1 - (log10(v) - Double(a)) / Double(b - a)) }
    } else {
      let (low, high0) = range
      yTicks = Self.axisTicks(low, high0)
      (yMin, yMax) = (low, max(yTicks.last ?? high0, high0))
      Y = { v in top + plotH * (1 - (v - low) / (yMax - low)) }
    }
    // The x axis: categories in bands, or values on a linear or log scale.
    let band = plotW / Double(max(xs.count, 1))
    // A numeric x spans every point, also those a log y axis cannot show.
    let xValues = numeric ? points.compactMap { Double($0.x) } : []
    let (xLow, xHigh): (Double, Double) = {
      guard numeric, let lo = xValues.min(), let hi = xValues.max() else { return (0, 1) }
      let (a, b) = logX ? (log10(lo), log10(hi)) : (lo, hi)
      return b > a ? (a, b) : (a - 0.5, a + 0.5)
    }()
    return Frame(
      width: width, height: height, left: left, top: top, plotW: plotW, plotH: plotH, shown: shown, dropped: points.count - shown.count,
      xs: xs, series: series, numeric: numeric, slanted: slanted, yTicks: yTicks, yMin: yMin, Y: Y, band: band, xValues: xValues,
      xLow: xLow, xHigh: xHigh, xLogScale: logX)
  }

  /// The title, the grid, both axes with their ticks and titles, and the legend's title.
  func axes(_ fr: Frame) -> String {
    let (esc, f, Y) = (Self.esc, Self.f, fr.Y)
    let (width, height, left, top, plotW, plotH) = (fr.width, fr.height, fr.left, fr.top, fr.plotW, fr.plotH)
    var out = ""
    let heading = title + (fr.dropped > 0 ? " (\(fr.dropped) point\(fr.dropped == 1 ? "" : "s") ≤ 0 not shown on the log axis)" : "")
    // A long title is set smaller rather than cut at the edges.
    let titleSize = min(15, max(9, (width - 20) / (0.55 * Double(max(heading.count, 1)))))
    if !heading.isEmpty { out += "<text x=\"\(f(width / 2))\" y=\"22\" text-anchor=\"middle\" font-size=\"\(f(titleSize))\">\(esc(heading))</text>\n" }
    for t in fr.yTicks {
      out += "<line x1=\"\(f(left))\" x2=\"\(f(left + plotW))\" y1=\"\(f(Y(t)))\" y2=\"\(f(Y(t)))\" stroke=\"#e0e0e0\"/>\n"
      let text = logY ? "1e\(Int(log10(t).rounded()))" : Statistics.format(t)
      out += "<text x=\"\(f(left - 6))\" y=\"\(f(Y(t) + 4))\" text-anchor=\"end\">\(text)</text>\n"
    }
    let axisY = logY ? top + plotH : Y(max(fr.yMin, 0))
    out += "<line x1=\"\(f(left))\" x2=\"\(f(left))\" y1=\"\(f(top))\" y2=\"\(f(top + plotH))\" stroke=\"black\"/>\n"
    out += "<line x1=\"\(f(left))\" x2=\"\(f(left + plotW))\" y1=\"\(f(axisY))\" y2=\"\(f(axisY))\" stroke=\"black\"/>\n"
    for x in xTicks(fr) {
      let cx = fr.X(x)
      out += "<line x1=\"\(f(cx))\" x2=\"\(f(cx))\" y1=\"\(f(top + plotH))\" y2=\"\(f(top + plotH + 5))\" stroke=\"black\"/>\n"
      if fr.slanted {
        out += "<text transform=\"translate(\(f(cx + 4)) \(f(top + plotH + 14))) rotate(-30)\" text-anchor=\"end\">\(esc(x))</text>\n"
      } else {
        out += "<text x=\"\(f(cx))\" y=\"\(f(top + plotH + 18))\" text-anchor=\"middle\">\(esc(x))</text>\n"
      }
    }
    let xTitle = xLabel + (logX ? " (log scale)" : "")
    out += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(height - 18))\" text-anchor=\"middle\">\(esc(xTitle))</text>\n"
    out += "<text transform=\"translate(18 \(f(top + plotH / 2))) rotate(-90)\" text-anchor=\"middle\">\(esc(yLabel + (logY ? " (log scale)" : "")))</text>\n"
    if !seriesLabel.isEmpty { out += "<text x=\"\(f(left + plotW + 16))\" y=\"\(f(top - 8))\" font-weight=\"bold\">\(esc(seriesLabel))</text>\n" }
    return out
  }

  /// The x ticks: on a numeric axis round values (on a log axis the values swept when there are at most
  /// 12 of them, else decades), on categories one each.
  func xTicks(_ fr: Frame) -> [String] {
    guard fr.numeric else { return fr.xs }
    let (xValues, xLow, xHigh) = (fr.xValues, fr.xLow, fr.xHigh)
    if logX, Set(xValues).count <= 12 {
      return Set(xValues).sorted().map { Statistics.format($0) }
    }
    if logX {
      let (a, b) = Self.decades(xValues)
      return (a...b).map { pow(10, Double($0)) }.filter { log10($0) >= xLow - 1e-9 && log10($0) <= xHigh + 1e-9 }.map { Statistics.format($0) }
    }
    return Self.ticks(xLow, xHigh).filter { $0 >= xLow - 1e-9 && $0 <= xHigh + 1e-9 }.map { Statistics.format($0) }
  }

  /// Each series: its bars, markers or line, its intervals, its marks and its legend entry.
  func data(_ fr: Frame) -> String {
    let (esc, f, Y, X) = (Self.esc, Self.f, fr.Y, fr.X)
    let (left, top, plotW, plotH, band, xs, series, shown, numeric) = (fr.left, fr.top, fr.plotW, fr.plotH, fr.band, fr.xs, fr.series, fr.shown, fr.numeric)
    var out = ""
    let barW = band * 0.8 / Double(max(series.count, 1))
    // Points on a numeric axis: the series side by side, 9 px apart, centred on the value.
    let dodge = 9.0
    func placeable(_ v: Double?) -> Double? { v.flatMap { logY && $0 <= 0 ? nil : $0 } }
    let covering = coveringMarkers(fr)
    for (s, name) in series.enumerated() {
      let color = Self.palette[s % Self.palette.count]
      var mine = shown.filter { $0.series == name }
      // By value; points at the same x keep their order (a step: the value before, then after).
      if numeric { mine = mine.enumerated().sorted { (Double($0.element.x)!, $0.offset) < (Double($1.element.x)!, $1.offset) }.map(\.element) }
      var line: [(Double, Double)] = []
      var upper: [(Double, Double)] = [], lower: [(Double, Double)] = []
      for p in mine {
        let i = Double(xs.firstIndex(of: p.x)!)
        let cx = kind == .bar || (kind == .points && !numeric) ? left + band * (i + 0.1) + barW * (Double(s) + 0.5)
          : X(p.x) + (kind == .points ? dodge * (Double(s) - Double(series.count - 1) / 2) : 0)
        if kind == .points {
          out += "<circle cx=\"\(f(cx))\" cy=\"\(f(Y(p.y)))\" r=\"4\" fill=\"\(color)\" fill-opacity=\"0.45\" stroke=\"\(color)\"><title>\(esc(name)) \(esc(p.x)): \(p.y)</title></circle>\n"
        } else if kind == .bar {
          let (y0, y1) = (Y(max(fr.yMin, 0)), Y(p.y))
          out += "<rect x=\"\(f(cx - barW / 2))\" y=\"\(f(min(y0, y1)))\" width=\"\(f(barW * 0.92))\" height=\"\(f(Swift.abs(y0 - y1)))\" fill=\"\(color)\"><title>\(esc(name)) \(esc(p.x)): \(p.y)</title></rect>\n"
        } else {
          line.append((cx, Y(p.y)))
          if mine.count > Self.markerLimit { continue }
          let radius = 3.5 + 2 * Double(covering[s][Self.markerKey(cx, Y(p.y))] ?? 0)
          out += "<circle cx=\"\(f(cx))\" cy=\"\(f(Y(p.y)))\" r=\"\(radius == 3.5 ? "3.5" : f(radius))\" fill=\"\(color)\"><title>\(esc(name)) \(esc(p.x)): \(p.y)</title></circle>\n"
        }
        guard let lo = placeable(p.low), let hi = placeable(p.high) else { continue }
        if bands && kind == .line {
          lower.append((cx, Y(lo)))
          upper.append((cx, Y(hi)))
        } else {
          out += "<path d=\"M\(f(cx)) \(f(Y(lo)))V\(f(Y(hi)))M\(f(cx - 4)) \(f(Y(lo)))h8M\(f(cx - 4)) \(f(Y(hi)))h8\" stroke=\"black\" fill=\"none\"/>\n"
        }
      }
      if upper.count > 1 {
        let outline = (upper + lower.reversed()).map { "\(f($0.0)),\(f($0.1))" }.joined(separator: " ")
        out += "<polygon points=\"\(outline)\" fill=\"\(color)\" fill-opacity=\"0.18\" stroke=\"none\"/>\n"
      }
      if kind == .line && line.count > 1 {
        out += "<polyline points=\"\(line.map { "\(f($0.0)),\(f($0.1))" }.joined(separator: " "))\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"/>\n"
      }
      for (k, mark) in marks.enumerated() where mark.series == name && (numeric ? Double(mark.x) != nil : xs.contains(mark.x)) {
        let mx = X(mark.x)
        out += "<line x1=\"\(f(mx))\" x2=\"\(f(mx))\" y1=\"\(f(top))\" y2=\"\(f(top + plotH))\" stroke=\"\(color)\" stroke-dasharray=\"5 4\"/>\n"
        // The label on the side of the line with more room, inside the plot.
        let (lx, anchor) = mx > left + plotW / 2 ? (mx - 4, "end") : (mx + 4, "start")
        out += "<text x=\"\(f(lx))\" y=\"\(f(top + 14 + 16 * Double(k)))\" text-anchor=\"\(anchor)\" fill=\"\(color)\">\(esc(mark.label))</text>\n"
      }
      let ly = top + 10 + Double(s) * 20
      out += "<rect x=\"\(f(left + plotW + 16))\" y=\"\(f(ly - 9))\" width=\"12\" height=\"12\" fill=\"\(color)\"/>\n"
      out += "<text x=\"\(f(left + plotW + 34))\" y=\"\(f(ly + 1))\">\(esc(name))</text>\n"
    }
    return out
  }

  /// A marker's position, rounded to the pixel.
  static func markerKey(_ x: Double, _ y: Double) -> String { "\(Int(x.rounded())) \(Int(y.rounded()))" }

  /// Per series of a line plot, how many later series put a marker on each of its markers' positions:
  /// those markers grow by 2 px for each, so that points drawn over each other show as rings (every
  /// series at k = 1 of a cumulative plot, say).
  func coveringMarkers(_ fr: Frame) -> [[String: Int]] {
    var later: [String: Int] = [:]
    var covering: [[String: Int]] = Array(repeating: [:], count: fr.series.count)
    guard kind == .line else { return covering }
    for (s, name) in fr.series.enumerated().reversed() {
      covering[s] = later
      var mine = Set<String>()
      for p in fr.shown where p.series == name { mine.insert(Self.markerKey(fr.X(p.x), fr.Y(p.y))) }
      for k in mine { later[k, default: 0] += 1 }
    }
    return covering
  }
}
