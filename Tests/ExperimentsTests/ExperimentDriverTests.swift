import Datasets
import Experiments
import Foundation
import Testing

/// Every experiment end to end through the sweep driver on synthetic data: no error rows, the expected
/// rows, a summary.
@Suite struct ExperimentDriverTests {
  @Test func everyExperimentRunsThroughTheSweepDriver() throws {
    let dir = NSTemporaryDirectory() + "precisionlab-all-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let cache = DataCache(dataDirectory: "/nonexistent")
    cache.announce = { _ in }
    let small: [String: [String]] = ["data": ["synthetic"], "widths": ["784,8,10"], "format": ["bf16"], "batch-size": ["64"], "max-batches": ["2"]]
    for experiment in Experiment.all {
      var values = small
      if ["train", "zeros"].contains(experiment.name) { values["epochs"] = ["2"] }
      if experiment.name == "trajectory" { values["iterations"] = ["3"] }
      let grid = try Grid(experiment, values: values, runs: 2, seeds: [0])
      var runner = SweepRunner(grid: grid, context: TrialContext(data: cache, checkpointDirectory: dir + "/ckpt"), jobs: 2, output: "\(dir)/\(experiment.name).csv")
      runner.quiet = true
      #expect(try runner.run().failed == 0, "\(experiment.name)")
      let (header, rows) = try ResultsFile.read("\(dir)/\(experiment.name).csv")
      let errorIndex = header.firstIndex(of: "error")!
      #expect(rows.allSatisfy { $0[errorIndex].isEmpty }, "\(experiment.name): \(rows.first.map { $0[errorIndex] } ?? "")")
      let expectedRows = ["graddiff": 4, "train": 4, "zeros": 4, "trajectory": 6][experiment.name] ?? 2
      #expect(rows.count == expectedRows, "\(experiment.name)")
      let summary = try Summary.make(header: header, rows: rows, by: nil)
      #expect(summary.rows.count == 1 && summary.columns.contains("runs"))
    }
  }
}
