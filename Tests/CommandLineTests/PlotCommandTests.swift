import Foundation
import Testing

/// `plot --cumulative`: the share of runs that differed by batch k, from a real bifurcation run.
@Suite struct PlotCommandTests {
  @Test func cumulativeShareOfABifurcationRun() throws {
    let dir = SweepCommandTests.directory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let csv = dir + "/r.csv", svg = dir + "/c.svg"
    let run = try CommandLineTests.run([
      "bifurcation", "--data", "synthetic", "--widths", "784,8,8,10", "--format", "bf16,fp64", "--accumulate", "same", "--batch-size", "32",
      "--max-batches", "4", "--runs", "4", "--out", csv, "--quiet",
    ])
    #expect(run.status == 0, "\(run.error)")
    let plot = try CommandLineTests.run(["plot", csv, "--cumulative", "--series", "format", "--kind", "line", "-o", svg])
    #expect(plot.status == 0, "\(plot.error)")
    let text = try String(contentsOfFile: svg, encoding: .utf8)
    // Both series drawn as lines to the last examined batch (k = 4), with the axis titled by k.
    #expect(text.contains(">bfloat16</text>") && text.contains(">binary64</text>") && text.components(separatedBy: "<polyline").count == 3)
    #expect(text.contains("k (first differing batch, from 1)") && text.contains("<title>binary64 4: 0.0</title>"))
    // Several columns make one series per combination (the paper's figure: model, BN, format).
    let both = try CommandLineTests.run(["plot", csv, "--cumulative", "--series", "format,accumulate", "-o", svg])
    #expect(both.status == 0, "\(both.error)")
    let named = try String(contentsOfFile: svg, encoding: .utf8)
    #expect(named.contains(">format bfloat16, accumulate same</text>") && named.contains(">format binary64, accumulate same</text>"))
    let bad = try CommandLineTests.run(["plot", csv, "--cumulative", "--series", "format,colour", "-o", svg])
    #expect(bad.status == 65 && bad.error.contains("no column 'colour'"), "\(bad.error)")
  }

  /// The cumulative share is a staircase: at each k where runs first differed, the share before it
  /// and the share after it (k = 1, 3, 3, 6 of 4 runs).
  @Test func cumulativeShareIsAStaircase() throws {
    let dir = SweepCommandTests.directory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let csv = dir + "/k.csv", svg = dir + "/k.svg"
    try "format,first_difference,error,batches_examined\nx,0,,1\nx,2,,3\nx,2,,3\nx,5,,6\n".write(toFile: csv, atomically: true, encoding: .utf8)
    let plot = try CommandLineTests.run(["plot", csv, "--cumulative", "--series", "format", "-o", svg])
    #expect(plot.status == 0, "\(plot.error)")
    let text = try String(contentsOfFile: svg, encoding: .utf8)
    let titles = text.components(separatedBy: "<title>").dropFirst().map { $0.components(separatedBy: "</title>")[0] }
    #expect(titles == ["x 1: 0.25", "x 3: 0.25", "x 3: 0.75", "x 6: 0.75", "x 6: 1.0"], "\(titles)")
  }
}
