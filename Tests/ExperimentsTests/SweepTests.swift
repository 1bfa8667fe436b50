import Datasets
import Experiments
import Foundation
import Networks
import Testing

/// Grids, resumable results files, parallel jobs, shards and merging.
@Suite struct SweepTests {
  static func temporaryDirectory() -> String {
    let dir = NSTemporaryDirectory() + "precisionlab-sweep-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
  }

  static func context() -> TrialContext {
    let cache = DataCache(dataDirectory: "/nonexistent")
    cache.announce = { _ in }
    return TrialContext(data: cache, checkpointDirectory: nil)
  }

  /// A small bifurcation grid on synthetic data that finishes in about a second in debug builds.
  static func grid(formats: [String] = ["bf16", "fp32"], runs: Int = 3) throws -> Grid {
    // Per-operation rounding (`same`): with binary32 sums bfloat16 rarely differs on so small a network.
    try Grid(
      .bifurcation, values: ["data": ["synthetic"], "widths": ["784,8,8,10"], "format": formats, "accumulate": ["same"], "batch-size": ["32"], "max-batches": ["3"]],
      runs: runs, seeds: [10])
  }

  /// Rows without the columns that legitimately differ between runs (wall time), sorted.
  static func comparable(_ path: String) throws -> [[String]] {
    let (header, rows) = try ResultsFile.read(path)
    let wall = header.firstIndex(of: "wall_seconds")!
    return rows.map { r in r.enumerated().filter { $0.offset != wall }.map(\.element) }.sorted { $0.lexicographicallyPrecedes($1) }
  }

  @Test func gridIsTheCartesianProductWithSeeds() throws {
    let g = try Grid(.bifurcation, values: ["format": ["fp16", "binary16", "fp32"], "batch-size": ["16", "64"]], runs: 3, seeds: [0, 100])
    #expect(g.count == 2 * 2 * 6)  // fp16 and binary16 are one value
    let trials = g.trials()
    #expect(Set(trials.map(\.key)).count == trials.count)
    #expect(trials[0]["format"] == "binary16" && trials[0]["batch-size"] == "16" && trials[0].runSeed == 0)
    #expect(trials[5].runSeed == 102 && trials[6]["batch-size"] == "64")
    // Shards are disjoint and cover the grid.
    let shards = (1...3).map { g.trials(shard: ($0, 3)).map(\.key) }
    #expect(Set(shards.flatMap { $0 }) == Set(trials.map(\.key)) && shards.map(\.count).reduce(0, +) == trials.count)
    // A key depends on the values and the seed only.
    let again = try Grid(.bifurcation, values: ["batch-size": ["64"], "format": ["fp32"]], runs: 1, seeds: [101])
    let same = trials.first { $0["format"] == "binary32" && $0["batch-size"] == "64" && $0.runSeed == 101 }
    #expect(same != nil && again.trials()[0].key == same?.key)
  }

  @Test func badGridsAreOneLineErrors() {
    func message(_ body: () throws -> Void) -> String {
      do { try body(); return "" } catch { return "\(error)" }
    }
    #expect(message { _ = try Grid(.bifurcation, values: ["formt": ["fp32"]], runs: 1, seeds: [0]) }.contains("no option 'formt'"))
    #expect(message { _ = try Grid(.bifurcation, values: ["format": []], runs: 1, seeds: [0]) }.contains("empty"))
    #expect(message { _ = try Grid(.bifurcation, values: [:], runs: 0, seeds: [0]) }.contains("empty"))
    #expect(message { _ = try Grid(.bifurcation, values: ["rounding": ["up"]], runs: 1, seeds: [0]) }.contains("valid: nearest-even"))
    #expect(message { _ = try Grid(.bifurcation, values: ["relu0": ["0"]], runs: 1, seeds: [0]) }.contains("pair"))
    #expect(message { _ = try Grid(.bifurcation, values: ["widths": ["784,10", "100,10"]], runs: 1, seeds: [0]) }.contains("does not match"))
    #expect(message { _ = try Grid(.bifurcation, values: ["format": ["mpfr:100"], "accumulate": ["fp32"]], runs: 1, seeds: [0]) }.contains("within binary64"))
    #expect(message { _ = try Grid.shard("3/2") }.contains("K/N"))
    #expect(message { _ = try Grid.shard("0/2") }.contains("K/N"))
  }

  @Test func resultsDoNotDependOnJobs() throws {
    let dir = Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let g = try Self.grid()
    for jobs in [1, 2] {
      var runner = SweepRunner(grid: g, context: Self.context(), jobs: jobs, output: "\(dir)/jobs\(jobs).csv")
      runner.quiet = true
      let outcome = try runner.run()
      #expect(outcome.trials == 6 && outcome.failed == 0)
    }
    #expect(try Self.comparable("\(dir)/jobs1.csv") == Self.comparable("\(dir)/jobs2.csv"))
    // bfloat16 differs on every seed here, binary32 on none: the comparison is not vacuous.
    let summary = try Summary.make(header: try ResultsFile.read("\(dir)/jobs1.csv").header, rows: try ResultsFile.read("\(dir)/jobs1.csv").rows, by: ["format"])
    #expect(summary.rows.map { $0[2] } != ["0", "0"])
  }

  @Test func resumeSkipsFinishedTrialsAndRepairsTornAndUnfinishedRows() throws {
    let dir = Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let g = try Self.grid()
    var reference = SweepRunner(grid: g, context: Self.context(), jobs: 2, output: "\(dir)/reference.csv")
    reference.quiet = true
    _ = try reference.run()
    // A crashed run: two finished trials, a row of an unfinished trial, and a torn line.
    let text = try String(contentsOfFile: "\(dir)/reference.csv", encoding: .utf8)
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let finalIndex = g.experiment.header.firstIndex(of: "final")!
    var unfinished = CSV.parse(lines[3] + "\n").records[0]
    unfinished[finalIndex] = "0"
    lines = Array(lines[0..<3]) + [CSV.line(unfinished).dropLast() + "", String(lines[4].prefix(40))]
    try lines.joined(separator: "\n").write(toFile: "\(dir)/crashed.csv", atomically: true, encoding: .utf8)
    var resumed = SweepRunner(grid: g, context: Self.context(), jobs: 1, output: "\(dir)/crashed.csv")
    resumed.quiet = true
    let outcome = try resumed.run()
    #expect(outcome.skipped == 2)
    #expect(try Self.comparable("\(dir)/crashed.csv") == Self.comparable("\(dir)/reference.csv"))
    // Rerunning a finished sweep computes nothing.
    #expect(try resumed.run().skipped == 6)
  }

  @Test func anotherExperimentsFileIsRefused() throws {
    let dir = Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try "experiment,trial,grid\nx,y,z\n".write(toFile: "\(dir)/other.csv", atomically: true, encoding: .utf8)
    let before = try String(contentsOfFile: "\(dir)/other.csv", encoding: .utf8)
    #expect(throws: ResultsError.self) { try ResultsFile(path: "\(dir)/other.csv", header: Experiment.bifurcation.header) }
    #expect(try String(contentsOfFile: "\(dir)/other.csv", encoding: .utf8) == before)
  }

  @Test func shardsMergeToTheSingleRun() throws {
    let dir = Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let g = try Self.grid()
    var single = SweepRunner(grid: g, context: Self.context(), jobs: 2, output: "\(dir)/single.csv")
    single.quiet = true
    _ = try single.run()
    var paths: [String] = []
    for k in 1...3 {
      var shard = SweepRunner(grid: g, context: Self.context(), jobs: 1, output: "\(dir)/shard\(k).csv")
      shard.shard = (k, 3)
      shard.quiet = true
      _ = try shard.run()
      paths.append("\(dir)/shard\(k).csv")
    }
    // Missing a shard: refused, with what is missing.
    #expect { _ = try Merge.merge(Array(paths.dropLast()), into: "\(dir)/merged.csv") } throws: { "\($0)".contains("incomplete: 2 of 6") }
    _ = try Merge.merge(paths, into: "\(dir)/merged.csv")
    #expect(try Self.comparable("\(dir)/merged.csv") == Self.comparable("\(dir)/single.csv"))
    // A file of another grid: refused.
    var other = SweepRunner(grid: try Self.grid(formats: ["e4m3"], runs: 1), context: Self.context(), jobs: 1, output: "\(dir)/other.csv")
    other.quiet = true
    _ = try other.run()
    #expect { _ = try Merge.merge(paths + ["\(dir)/other.csv"], into: "\(dir)/bad.csv") } throws: { "\($0)".contains("different grids") }
  }

  @Test func wilsonIntervalMatchesPublishedValues() {
    // Newcombe (1998), Table I, method 3 (score interval without continuity correction).
    func rounded(_ v: (Double?, Double?)) -> [Double] { [v.0!, v.1!].map { ($0 * 10000).rounded() / 10000 } }
    #expect(rounded(Statistics.wilson(successes: 81, trials: 263)) == [0.2553, 0.3662])
    #expect(rounded(Statistics.wilson(successes: 15, trials: 148)) == [0.0624, 0.1605])
    #expect(rounded(Statistics.wilson(successes: 0, trials: 20)) == [0, 0.1611])
    #expect(rounded(Statistics.wilson(successes: 1, trials: 29)) == [0.0061, 0.1718])
    // The ends at 0 and n are exact, not a rounding residue of the formula.
    for n in [20, 1000, 12345] {
      #expect(Statistics.wilson(successes: 0, trials: n).0 == 0 && Statistics.wilson(successes: n, trials: n).1 == 1)
    }
  }

  @Test func sweepFilesNameTheirMistakes() throws {
    let dir = Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try "experiment: bifurcation\nruns: 2\ngrid:\n  formt: [fp16]\n".write(toFile: "\(dir)/typo.yaml", atomically: true, encoding: .utf8)
    #expect { _ = try SweepFile.load("\(dir)/typo.yaml") } throws: { "\($0)".contains("unknown key 'formt'") }
    try "{\"experiment\": \"bifurcation\", \"runs\": 2, \"seed\": [0, 50], \"grid\": {\"format\": [\"fp16\", \"fp32\"], \"relu0\": \"0,1\"}}".write(toFile: "\(dir)/good.json", atomically: true, encoding: .utf8)
    let sweep = try SweepFile.load("\(dir)/good.json")
    #expect(sweep.values["format"] == ["fp16", "fp32"] && sweep.runs == 2 && sweep.seeds == [0, 50])
    #expect(try Grid(sweep.experiment, values: sweep.values, runs: sweep.runs, seeds: sweep.seeds).count == 8)
    // A reference: its column an option of the experiment, its values keyed by the canonical spelling.
    try "experiment: bifurcation\nreference:\n  source: paper\n  column: fromat\n  values: {fp16: \"1\"}\n".write(toFile: "\(dir)/ref.yaml", atomically: true, encoding: .utf8)
    #expect { _ = try SweepFile.load("\(dir)/ref.yaml") } throws: { "\($0)".contains("reference column 'fromat' is not a bifurcation option") }
    try "experiment: bifurcation\nreference:\n  source: paper\n  column: format\n  value: {fp16: \"1\"}\n".write(toFile: "\(dir)/ref2.yaml", atomically: true, encoding: .utf8)
    #expect { _ = try SweepFile.load("\(dir)/ref2.yaml") } throws: { "\($0)".contains("'reference' must be a mapping with source, column, values") }
    try "experiment: bifurcation\nreference:\n  source: paper\n  column: format\n  values: {fp16: \"1\"}\n".write(toFile: "\(dir)/ref3.yaml", atomically: true, encoding: .utf8)
    let reference = try #require(try SweepFile.load("\(dir)/ref3.yaml").reference)
    #expect(reference.source == "paper" && reference.column == "format" && reference.values == ["binary16": "1"])
  }
}

/// Every sweep file shipped in experiments/ loads and forms a valid grid.
@Suite struct ShippedSweepFiles {
  @Test func everyFileInExperimentsIsValid() throws {
    let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("experiments")
    let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".json") }
    #expect(files.count >= 8)
    for name in files {
      let sweep = try SweepFile.load(folder.appendingPathComponent(name).path)
      let grid = try Grid(sweep.experiment, values: sweep.values, runs: sweep.runs, seeds: sweep.seeds)
      #expect(grid.count >= 1, "\(name)")
      #expect(sweep.out?.hasPrefix("results/") == true, "\(name)")
    }
  }
}
