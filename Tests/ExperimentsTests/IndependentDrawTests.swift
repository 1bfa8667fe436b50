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
    #expect(trials.allSatisfy { $0.seed == Grid.drawSeed(run: $0.runSeed, values: Experiment.bifurcation.keyed($0.values)) })
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

/// Options added after results were written (`Parameter.legacyValue`, `--conv-init`) leave the trials
/// computed before them where they were, and a results file of that time is upgraded, not refused.
@Suite struct AddedOptionTests {
  static let headline: [String: [String]] = [
    "protocol": ["paper"], "data": ["mnist"], "format": ["binary32"], "widths": ["784,256,256,256,10"], "batch-size": ["256"],
  ]

  @Test func theLegacyValueKeepsKeysAnotherValueChangesThem() throws {
    let explicit = try Grid(.bifurcation, values: Self.headline.merging(["conv-init": ["model"]]) { $1 }, runs: 2, seeds: [0]).trials()
    #expect(explicit.map(\.key) == ["78ecae30f5dcf884", "488647b09977a22b"])
    #expect(explicit.allSatisfy { $0["conv-init"] == "model" })
    let other = try Grid(.bifurcation, values: Self.headline.merging(["conv-init": ["pytorch"]]) { $1 }, runs: 2, seeds: [0]).trials()
    #expect(Set(other.map(\.key)).isDisjoint(with: explicit.map(\.key)) && Set(other.map(\.seed)).isDisjoint(with: explicit.map(\.seed)))
    #expect(Experiment.bifurcation.legacyColumns["conv_init"] == "model")
  }

  /// The report (scripts/studyreport/data.py) reads committed files with its own table of the values a
  /// column had before it existed (`LEGACY`); each entry must be what the Swift table says, for every
  /// experiment that has the column, so that the two can never disagree about an old file.
  @Test func theReportsLegacyValuesAreTheTables() throws {
    let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../scripts/studyreport/data.py").standardized.path
    let text = try String(contentsOfFile: path, encoding: .utf8)
    let start = try #require(text.range(of: "LEGACY = {"))
    let end = try #require(text[start.upperBound...].firstIndex(of: "}"))
    let entries = text[start.upperBound..<end].components(separatedBy: ",").compactMap { item -> (String, String)? in
      let parts = item.split(separator: ":").map { $0.trimmingCharacters(in: .whitespacesAndNewlines).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
      return parts.count == 2 ? (parts[0], parts[1]) : nil
    }
    #expect(entries.count >= 5, "read \(entries.count) entries from \(path)")
    for (column, value) in entries {
      let tables = Experiment.all.compactMap { $0.legacyColumns[column] }
      #expect(!tables.isEmpty, "the report's LEGACY names \(column), which no experiment's table has")
      #expect(tables.allSatisfy { $0 == value }, "\(column): the report says \(value), the tables \(Set(tables))")
    }
  }

  @Test func aFileWithoutTheColumnIsSummarized() throws {
    let old = Experiment.bifurcation.header.filter { Experiment.bifurcation.legacyColumns[$0] == nil }
    let row = { (key: String, inS: String) in
      old.map { $0 == "trial" ? key : $0 == "in_s" ? inS : $0 == "first_difference" ? (inS == "1" ? "3" : "") : $0 == "error" ? "" : $0 == "format" ? "binary32" : $0 == "experiment" ? "bifurcation" : "x" }
    }
    let summary = try Summary.make(header: old, rows: [row("a", "1"), row("b", "0")], by: nil)
    #expect(summary.columns.prefix(4) == ["format", "runs", "in_s", "ratio"] && summary.rows.first?.prefix(4) == ["binary32", "2", "1", "0.5"], "\(summary.csv())")
  }

  @Test func aFileWithoutTheColumnIsUpgradedAfterABackup() throws {
    let dir = NSTemporaryDirectory() + "precisionlab-added-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let header = Experiment.bifurcation.header, path = dir + "/old.csv"
    let old = header.filter { $0 != "conv_init" }
    let row = { (key: String, final: String) in old.map { $0 == "trial" ? key : $0 == "final" ? final : "v_" + $0 } }
    try ([old, row("done", "1"), row("unfinished", "0")].map(CSV.line).joined()).write(toFile: path, atomically: true, encoding: .utf8)
    let file = try ResultsFile(path: path, header: header, legacyColumns: Experiment.bifurcation.legacyColumns)
    file.close()
    #expect(file.finished == ["done"] && file.rowCount == 1)
    #expect(file.repairs.count == 1 && file.repairs[0].hasPrefix("added the column conv_init = model to the rows written before it existed; dropped 1 rows of unfinished trials"))
    let (newHeader, rows) = try ResultsFile.read(path)
    #expect(newHeader == header && rows.count == 1)
    #expect(rows[0][header.firstIndex(of: "conv_init")!] == "model" && rows[0][header.firstIndex(of: "format")!] == "v_format")
    let backups = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".bak") }
    #expect(backups.count == 1)
    // A file lacking a column that has no legacy value is another experiment's: refused.
    let other = dir + "/other.csv"
    try CSV.line(header.filter { $0 != "format" }).write(toFile: other, atomically: true, encoding: .utf8)
    do {
      _ = try ResultsFile(path: other, header: header, legacyColumns: Experiment.bifurcation.legacyColumns)
      Issue.record("a file without the format column was accepted")
    } catch {
      #expect(error.description.contains("is not this experiment's"))
    }
  }
}
