@testable import Experiments
import Foundation
import Testing

/// Line plots over an ordered numeric x, log axes, bands, and x values read from configuration columns.
@Suite struct PlotAxesTests {
  static let columns = ["widths", "format", "ratio", "ci_low", "ci_high"]
  static let rows = [
    ["784,256,10", "binary32", "0.05", "0.01", "0.2"], ["784,256,256,10", "binary32", "0.25", "0.1", "0.4"],
    ["784,256,256,256,256,256,10", "binary32", "0.6", "0.4", "0.8"], ["784,256,10", "binary64", "0", "0", "0.1"],
  ]

  @Test func axisValuesReadDepthWidthAndPrecision() {
    #expect(AxisValue.depth.read("784,256,256,256,10") == "3" && AxisValue.width.read("784,512,512,10") == "512")
    #expect(AxisValue.precision.read("binary32") == "24" && AxisValue.precision.read("bf16") == "8")
    #expect(AxisValue.depth.read("binary32") == nil && AxisValue.precision.read("784,10") == nil)
  }

  /// x positions of the markers of one series, in drawing order.
  static func markerX(_ svg: String, series: String) -> [Double] {
    svg.split(separator: "\n").filter { $0.hasPrefix("<circle") && $0.contains("<title>\(series) ") }.map { line in
      let start = line.range(of: "cx=\"")!.upperBound
      return Double(line[start...].prefix { $0 != "\"" })!
    }
  }

  @Test func numericXIsPlacedByValue() throws {
    let depthRows = Self.rows.map { r in [AxisValue.depth.read(r[0])!] + r.dropFirst() }
    var plot = try SVGPlot.from(columns: Self.columns, rows: depthRows, x: "widths", y: "ratio", series: "format", low: "ci_low", high: "ci_high")
    plot.kind = .line
    plot.numericX = true
    plot.bands = true
    #expect(plot.problem == nil)
    let svg = plot.svg()
    let x = Self.markerX(svg, series: "binary32")
    // L = 1, 2, 5: the gap from 2 to 5 is three times the gap from 1 to 2.
    #expect(x.count == 3 && Swift.abs((x[2] - x[1]) - 3 * (x[1] - x[0])) < 0.05)
    #expect(svg.contains("<polygon") && !svg.contains("h8M"))  // bands, not error bars
  }

  @Test func logYLeavesOutZeroAndSaysSo() throws {
    var plot = try SVGPlot.from(columns: Self.columns, rows: Self.rows, x: "widths", y: "ratio", series: "format", low: "ci_low", high: "ci_high")
    plot.kind = .line
    plot.logY = true
    plot.title = "t"
    let svg = plot.svg()
    #expect(svg.contains("(1 point ≤ 0 not shown on the log axis)") && svg.contains(">1e-2<") && Self.markerX(svg, series: "binary64").isEmpty)
    plot.kind = .bar
    #expect(plot.problem == "a log y axis needs --kind line or points")
  }

  /// Runs of a raw training file: every row a marker, no line through them, the two rules side by
  /// side at each ReLU'(0), the runs of one cell at one x.
  @Test func pointsDrawEveryRowAndSetSeriesSideBySide() throws {
    let rows = [["0", "paper", "0.83"], ["0.5", "paper", "0.76"], ["0.5", "paper", "0.1"], ["0.5", "scale", "0.82"], ["1", "scale", "0.1"]]
    var plot = try SVGPlot.from(columns: ["relu0", "kink_rule", "test_accuracy"], rows: rows, x: "relu0", y: "test_accuracy", series: "kink_rule", low: nil, high: nil)
    plot.kind = .points
    plot.numericX = true
    #expect(plot.problem == nil)
    let svg = plot.svg()
    let (paper, scale) = (Self.markerX(svg, series: "paper"), Self.markerX(svg, series: "scale"))
    #expect(paper.count == 3 && scale.count == 2 && !svg.contains("<polyline") && !svg.contains("</rect>"))
    // Both runs at 0.5 under one rule at one x; the other rule 9 px to its right; x by value.
    #expect(paper[1] == paper[2] && Swift.abs(scale[0] - paper[1] - 9) < 0.01)
    #expect(Swift.abs((paper[1] - paper[0]) - (scale[1] - scale[0])) < 0.01)
    plot.kind = .bar
    #expect(plot.problem == "a numeric or log x axis needs --kind line or points")
  }

  @Test func longLegendEntriesAreNotClipped() throws {
    let long = "binary16 accumulating in binary32, paper protocol"
    var plot = try SVGPlot.from(columns: ["x", "s", "y"], rows: [["1", long, "0.5"]], x: "x", y: "y", series: "s", low: nil, high: nil)
    plot.kind = .line
    let svg = plot.svg()
    let width = Double(svg.split(separator: "\"")[3])!  // <svg xmlns="…" width="W"
    let legendX = svg.split(separator: "\n").first { $0.contains(">\(long)</text>") }.flatMap { line in
      Double(line.split(separator: "\"")[1])
    }
    #expect(legendX != nil && legendX! + 7.0 * Double(long.count) <= width)
  }

  @Test func longLinesDropMarkersAndMarksAreDrawn() throws {
    let rows = (1...100).map { ["\($0)", "binary32", "\(Double($0) * 1e-5)"] }
    var plot = try SVGPlot.from(columns: ["iteration", "format", "l1"], rows: rows, x: "iteration", y: "l1", series: "format", low: nil, high: nil)
    plot.kind = .line
    plot.numericX = true
    plot.logY = true
    plot.marks = [("binary32", "40", "first zero: iteration 40")]
    let svg = plot.svg()
    #expect(!svg.contains("<circle") && svg.contains("<polyline") && svg.contains(">first zero: iteration 40<"))
    #expect(svg.contains("stroke-dasharray"))
    // Round ticks on a numeric axis, not one per point.
    #expect(svg.components(separatedBy: "text-anchor=\"middle\">").count < 20)
  }

  /// `zoomY`: accuracies of 0.78 and 0.88 span most of the plot's height instead of its top eighth; without
  /// it the axis starts at 0.
  @Test func zoomedYSpansTheValues() throws {
    let rows = [["0", "a", "0.78"], ["1", "a", "0.79"], ["0", "b", "0.88"]]
    var plot = try SVGPlot.from(columns: ["relu0", "bn", "acc"], rows: rows, x: "relu0", y: "acc", series: "bn", low: nil, high: nil)
    plot.kind = .points
    #expect(plot.range.low == 0 && plot.range.high == 0.88)
    plot.zoomY = true
    let (low, high) = plot.range
    #expect(low >= 0.75 && low < 0.78 && high > 0.88 && high < 0.9, "\(low) \(high)")
    #expect(Swift.abs(SVGPlot.ticks(low, high).first! - low) < 1e-12, "the lowest tick is the axis start")
    let ticks = SVGPlot.ticks(low, high)
    #expect(ticks.count >= 3 && ticks.allSatisfy { $0 > 0.7 }, "\(ticks)")
  }

  /// A band reaching above the highest tick of the values' span: the axis goes on to the next tick, so
  /// the band ends inside the frame (the batch figure's 0.573 band once touched an axis that ended there).
  @Test func axisEndsOnATickAboveEveryIntervalEnd() throws {
    let rows = [["16", "a", "0.517", "0.46", "0.573"], ["64", "a", "0.38", "0.327", "0.436"]]
    let plot = try SVGPlot.from(columns: ["B", "s", "ratio", "lo", "hi"], rows: rows, x: "B", y: "ratio", series: "s", low: "lo", high: "hi")
    let (low, high) = plot.range
    let ticks = SVGPlot.axisTicks(low, high)
    #expect(ticks.last! >= 0.573 && Swift.abs(ticks.last! - 0.6) < 1e-9, "\(ticks)")
    #expect(SVGPlot.ticks(low, high).last! < 0.573, "without the extra tick the axis would end at the band's top")
    #expect(plot.svg().contains(">0.6<"))
  }

  /// Line markers drawn over each other become rings: the first of two coinciding series is drawn 2 px
  /// larger, so neither hides the other; markers elsewhere keep their size.
  @Test func coincidingMarkersShowAsRings() throws {
    let rows = [["1", "a", "1"], ["1", "b", "1"], ["2", "b", "0.5"]]
    var plot = try SVGPlot.from(columns: ["k", "s", "share"], rows: rows, x: "k", y: "share", series: "s", low: nil, high: nil)
    plot.kind = .line
    plot.numericX = true
    let circles = plot.svg().split(separator: "\n").filter { $0.hasPrefix("<circle") }
    func radius(_ title: String) -> String? {
      circles.first { $0.contains("<title>\(title)</title>") }.map { line in
        String(line[line.range(of: "r=\"")!.upperBound...].prefix { $0 != "\"" })
      }
    }
    #expect(radius("a 1: 1.0") == "5.50" && radius("b 1: 1.0") == "3.5" && radius("b 2: 0.5") == "3.5", "\(circles)")
  }
}
