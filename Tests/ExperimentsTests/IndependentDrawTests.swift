import Experiments
import Foundation
import Testing

/// Each grid cell draws its own θ unless `paired`; draws are reproducible and keys stable.
@Suite struct IndependentDrawTests {
  static let values: [String: [String]] = ["format": ["fp16", "fp32"], "widths": ["784,16,10", "784,16,16,10"]]

  @Test func cellsDrawTheirOwnSeedsReproducibly() throws {
    let grid = try Grid(.bifurcation, values: Self.values, runs: 5, seeds: [0])
    let trials = grid.trials()
    #expect(trials.count == 20 && !grid.paired)
    // Every trial has its own seed: no two cells share a draw for a run seed.
    #expect(Set(trials.map(\.seed)).count == trials.count)
    #expect(trials.map(\.runSeed) == Array(repeating: (0..<5).map(UInt64.init), count: 4).flatMap { $0 })
    // Seeds fit in 53 bits (a double reads them back exactly) and are the documented derivation.
    #expect(trials.allSatisfy { $0.seed < 1 << 53 })
    #expect(trials.allSatisfy { $0.seed == Grid.drawSeed(run: $0.runSeed, values: $0.values) })
    // Rebuilt, the grid gives the same seeds and keys (a resume finds its trials).
    let again = try Grid(.bifurcation, values: Self.values, runs: 5, seeds: [0]).trials()
    #expect(again.map(\.seed) == trials.map(\.seed) && again.map(\.key) == trials.map(\.key))
    // A cell's draws do not depend on which other cells are in the grid.
    let alone = try Grid(.bifurcation, values: ["format": ["fp32"], "widths": ["784,16,16,10"]], runs: 5, seeds: [0]).trials()
    #expect(alone.map(\.key) == trials.filter { $0["format"] == "binary32" && $0["widths"] == "784,16,16,10" }.map(\.key))
  }

  @Test func pairedCellsShareTheRunSeeds() throws {
    let grid = try Grid(.bifurcation, values: Self.values, runs: 3, seeds: [7], paired: true)
    let trials = grid.trials()
    #expect(trials.allSatisfy { $0.seed == $0.runSeed && $0.paired })
    #expect(trials.map(\.seed) == [7, 8, 9, 7, 8, 9, 7, 8, 9, 7, 8, 9])
    // Paired and independent grids are different grids with different trials.
    let independent = try Grid(.bifurcation, values: Self.values, runs: 3, seeds: [7])
    #expect(grid.id != independent.id && Set(trials.map(\.key)).isDisjoint(with: independent.trials().map(\.key)))
  }

  @Test func theDrawIsInTheResultsRow() throws {
    let header = Experiment.bifurcation.header
    #expect(header.contains("seed") && header.contains("run_seed") && header.contains("draws"))
  }

  @Test func sweepFilesSayPairedOrRefuseTheValue() throws {
    let dir = NSTemporaryDirectory() + "precisionlab-draws-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let good = dir + "/good.yaml", bad = dir + "/bad.yaml"
    try "experiment: bifurcation\nruns: 2\npaired: true\ngrid:\n  format: fp32\n".write(toFile: good, atomically: true, encoding: .utf8)
    try "experiment: bifurcation\npaired: maybe\ngrid:\n  format: fp32\n".write(toFile: bad, atomically: true, encoding: .utf8)
    #expect(try SweepFile.load(good).paired == true)
    do {
      _ = try SweepFile.load(bad)
      Issue.record("paired: maybe was accepted")
    } catch {
      #expect(error.description == "\(bad): 'paired' must be true or false")
    }
  }
}

/// Trial keys and drawn seeds must not change between versions, or a resumed sweep would recompute
/// (or worse, mix) its trials: these are the first two binary32 trials of results/headline-paper.csv,
/// computed by version 0.7.0.
@Suite struct StableTrialKeyTests {
  @Test func headlineTrialsKeepTheirKeysAndSeeds() throws {
    let values: [String: [String]] = [
      "protocol": ["paper"], "data": ["mnist"], "format": ["binary32"], "widths": ["784,256,256,256,10"], "batch-size": ["256"],
    ]
    let trials = try Grid(.bifurcation, values: values, runs: 2, seeds: [0]).trials()
    #expect(trials.map(\.key) == ["78ecae30f5dcf884", "488647b09977a22b"])
    #expect(trials.map(\.seed) == [376222995511086, 5157922304868618])
  }
}
