import Datasets
import Experiments
import Foundation
import Testing

/// Every experiment end to end through the sweep driver on synthetic data: no error rows, the expected
/// rows, a summary.
@Suite struct ExperimentDriverTests {
  /// A new temporary directory (the caller removes it) and a data cache that only makes synthetic data.
  static func scratch(_ name: String) throws -> (String, DataCache) {
    let dir = NSTemporaryDirectory() + "precisionlab-\(name)-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let cache = DataCache(dataDirectory: "/nonexistent")
    cache.announce = { _ in }
    return (dir, cache)
  }

  @Test func everyExperimentRunsThroughTheSweepDriver() throws {
    let (dir, cache) = try Self.scratch("all")
    defer { try? FileManager.default.removeItem(atPath: dir) }
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

  /// `census` counts, per layer, the very zeros the bifurcation study meets with every batch examined
  /// (the same θ by --paired, the same batches and rounding), and its summary's λ is their mean.
  @Test func censusCountsTheZerosTheBifurcationStudyMeets() throws {
    let (dir, cache) = try Self.scratch("census")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let values: [String: [String]] = [
      "data": ["synthetic"], "widths": ["784,16,16,10"], "format": ["fp16"], "accumulate": ["same"], "batch-size": ["32"], "max-batches": ["3"],
    ]
    var files: [String: (header: [String], rows: [[String]])] = [:]
    for (experiment, extra) in [(Experiment.census, [:]), (.bifurcation, ["all-batches": ["true"]])] {
      let grid = try Grid(experiment, values: values.merging(extra) { $1 }, runs: 4, seeds: [0], paired: true)
      var runner = SweepRunner(grid: grid, context: TrialContext(data: cache, checkpointDirectory: nil), jobs: 1, output: "\(dir)/\(experiment.name).csv")
      runner.quiet = true
      #expect(try runner.run().failed == 0)
      files[experiment.name] = try ResultsFile.read("\(dir)/\(experiment.name).csv")
    }
    func bySeed(_ name: String, _ column: String) throws -> [String: String] {
      let file = try #require(files[name])
      let (seed, c) = (file.header.firstIndex(of: "seed")!, try #require(file.header.firstIndex(of: column)))
      return Dictionary(uniqueKeysWithValues: file.rows.map { ($0[seed], $0[c]) })
    }
    for column in ["zeros_per_layer", "batches_with_zeros", "batches_examined"] {
      #expect(try bySeed("census", column) == bySeed("bifurcation", column), "\(column)")
    }
    let totals = try bySeed("census", "zeros_total").values.map { Double($0)! }
    #expect(totals.count == 4 && totals.contains { $0 > 0 }, "binary16 sums should meet exact zeros: \(totals)")
    let census = try #require(files["census"])
    let summary = try Summary.make(header: census.header, rows: census.rows, by: nil)
    let lambda = try #require(summary.columns.firstIndex(of: "lambda"))
    let mean = totals.reduce(0, +) / 4
    #expect(abs(Double(summary.rows[0][lambda])! - mean) <= mean * 1e-3, "λ \(summary.rows[0][lambda]) against the mean \(mean)")
  }

  /// `--activation`: every experiment runs leaky ReLU and ReLU6 without error rows, the column holds the
  /// canonical spelling, the activation reaches the network (training losses differ from ReLU's), and
  /// the zero classifiers refuse ReLU6 (a kink at 6) with one line.
  @Test func activationsRunThroughEveryExperiment() throws {
    let (dir, cache) = try Self.scratch("activation")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var losses: [String: String] = [:]
    for experiment in Experiment.all {
      var values: [String: [String]] = [
        "data": ["synthetic"], "widths": ["784,8,10"], "format": ["bf16"], "batch-size": ["64"], "max-batches": ["2"],
        "activation": ["relu", "leaky-relu:0.5", "relu6"],
      ]
      if ["train", "zeros"].contains(experiment.name) { values["epochs"] = ["1"] }
      if experiment.name == "trajectory" { values["iterations"] = ["2"] }
      if experiment.parameter("root-cause") != nil { values["root-cause"] = ["false"] }  // refused with relu6 (below)
      let grid = try Grid(experiment, values: values, runs: 1, seeds: [0])
      var runner = SweepRunner(grid: grid, context: TrialContext(data: cache, checkpointDirectory: dir + "/ckpt"), jobs: 1, output: "\(dir)/\(experiment.name).csv")
      runner.quiet = true
      #expect(try runner.run().failed == 0, "\(experiment.name)")
      let (header, rows) = try ResultsFile.read("\(dir)/\(experiment.name).csv")
      let (error, activation) = (header.firstIndex(of: "error")!, header.firstIndex(of: "activation")!)
      #expect(rows.allSatisfy { $0[error].isEmpty }, "\(experiment.name): \(rows.first.map { $0[error] } ?? "")")
      #expect(Set(rows.map { $0[activation] }) == ["relu", "leaky-relu:0.5", "relu6"], "\(experiment.name)")
      if experiment.name == "train", let loss = header.firstIndex(of: "train_loss") {
        for row in rows { losses[row[activation]] = row[loss] }
      }
    }
    #expect(Set(losses.values).count == 3, "training losses per activation: \(losses)")
    do {
      _ = try Grid(.bifurcation, values: ["activation": ["swish"]], runs: 1, seeds: [0])
      Issue.record("--activation swish was accepted")
    } catch {
      #expect(error.description == "--activation: expected relu, relu6, gelu, leaky-relu or leaky-relu:SLOPE (a finite number), got 'swish'", "\(error)")
    }
    // GELU has no kink: the experiments that compare two derivatives at the kinks, or classify the zeros
    // there, refuse it with one line; training takes it.
    for experiment in Experiment.all {
      var values: [String: [String]] = ["data": ["synthetic"], "widths": ["784,8,10"], "activation": ["gelu"], "max-batches": ["2"]]
      if ["train", "zeros"].contains(experiment.name) { values["epochs"] = ["1"] }
      do {
        let grid = try Grid(experiment, values: values, runs: 1, seeds: [0])
        _ = try grid.trials()
        #expect(experiment.name == "train", "\(experiment.name) accepted --activation gelu")
        var runner = SweepRunner(grid: grid, context: TrialContext(data: cache, checkpointDirectory: dir + "/ckpt"), jobs: 1, output: "\(dir)/gelu.csv")
        runner.quiet = true
        #expect(try runner.run().failed == 0)
        let (header, rows) = try ResultsFile.read("\(dir)/gelu.csv")
        let loss = try #require(header.firstIndex(of: "train_loss"))
        #expect(rows.allSatisfy { $0[loss] != losses["relu"] && Double($0[loss])!.isFinite }, "GELU's training loss \(rows.map { $0[loss] })")
      } catch {
        #expect(experiment.name != "train", "training refused GELU: \(error)")
        let text = "\(error)"
        #expect(text.contains("gelu") && (text.contains("has no kink") || text.contains("has none")), "\(experiment.name): \(text)")
      }
    }
    do {
      _ = try Grid(.bifurcation, values: ["activation": ["relu6"], "root-cause": ["true"]], runs: 1, seeds: [0]).trials()
      Issue.record("relu6 with --root-cause was accepted")
    } catch {
      #expect(error.description.contains("--root-cause classifies exact zeros, and relu6 also has a kink at 6"), "\(error)")
    }
  }
}
