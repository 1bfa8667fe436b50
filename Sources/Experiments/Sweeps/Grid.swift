import Datasets

/// A grid of trials: for each parameter a list of values (the defaults where none is given), the
/// Cartesian product in parameter order (the first parameter varies slowest), and for each combination
/// the run seeds `seed, seed+1, …, seed+runs−1` for each given base seed.
///
/// Each combination is resolved first (`Experiment.resolve`: `--accumulate auto`, the options
/// `--protocol` sets), and combinations that resolve to the same values are one cell.
///
/// Draws: by default every cell draws its own θ, data order and rounding streams: a trial's seed is
/// derived from its run seed and every value of its cell (`drawSeed`), so cells are independent
/// samples, as the paper draws θ afresh for each. `paired` uses the run seed itself in every cell
/// (the same θ across cells for one run seed: a paired design). Either way a trial's seed is in its
/// results row; `--paired --seed S --runs 1` reruns that θ in any cell.
public struct Grid: Sendable {
  public let experiment: Experiment
  /// Canonical values per parameter, in the experiment's parameter order.
  public let values: [(name: String, values: [String])]
  /// Run seeds, in order.
  public let seeds: [UInt64]
  /// Every cell uses the run seeds themselves (shared draws) instead of seeds derived per cell.
  public let paired: Bool
  /// Identifies the grid (experiment, every value list, the seeds, the draws): shard files of one
  /// grid share it.
  public let id: String
  /// The resolved combinations in grid order, each once (enumerated and resolved once, in `init`).
  let cells: [[String: String]]

  /// Builds a grid from raw values per parameter name (each a list), checking every value and every
  /// combination. Errors name the option and the valid choices.
  public init(
    _ experiment: Experiment, values raw: [String: [String]], runs: Int, seeds baseSeeds: [UInt64], paired: Bool = false
  ) throws(ParameterError) {
    for name in raw.keys where experiment.parameter(name) == nil {
      let valid = experiment.parameters.map(\.name).joined(separator: ", ")
      throw ParameterError("\(experiment.name) has no option '\(name)'; valid: \(valid), runs, seed")
    }
    guard runs >= 1 else { throw ParameterError("--runs must be at least 1, got \(runs): the grid would be empty") }
    guard !baseSeeds.isEmpty else { throw ParameterError("--seed: no seed given: the grid would be empty") }
    var lists: [(String, [String])] = []
    for p in experiment.parameters {
      let given = raw[p.name] ?? [p.defaultValue]
      guard !given.isEmpty else { throw ParameterError("--\(p.name): no value given: the grid would be empty") }
      var canonical: [String] = []
      for v in given {
        switch p.canonical(v.trimmingCharacters(in: .whitespaces)) {
        case .success(let c): if !canonical.contains(c) { canonical.append(c) }
        case .failure(let e): throw e
        }
      }
      lists.append((p.name, canonical))
    }
    // A grid is enumerated whole (and each cell checked) before anything runs: its size is bounded
    // first, with every product checked, so a typo such as runs: 1e12 is an error, not a hang.
    var total = 1
    for (_, list) in lists {
      let (p, overflow) = total.multipliedReportingOverflow(by: list.count)
      guard !overflow, p <= Self.maximumTrials else { throw ParameterError("the grid's value lists make more than \(Self.maximumTrials) combinations; split the sweep") }
      total = p
    }
    let perSeed = total.multipliedReportingOverflow(by: runs)
    let trials = perSeed.partialValue.multipliedReportingOverflow(by: baseSeeds.count)
    guard !perSeed.overflow, !trials.overflow, trials.partialValue <= Self.maximumTrials else {
      throw ParameterError("--runs \(runs) with \(baseSeeds.count) seed\(baseSeeds.count == 1 ? "" : "s") and \(total) combination\(total == 1 ? "" : "s") makes more than \(Self.maximumTrials) trials; split the sweep")
    }
    var seeds: [UInt64] = []
    var seen = Set<UInt64>()
    for s in baseSeeds {
      for r in 0..<runs where seen.insert(s &+ UInt64(r)).inserted { seeds.append(s &+ UInt64(r)) }
    }
    self.experiment = experiment
    self.values = lists
    self.seeds = seeds
    self.paired = paired
    let text = experiment.name + "\n" + lists.map { "\($0.0)=\($0.1.joined(separator: "|"))" }.joined(separator: "\n")
      + "\nseeds=" + seeds.map(String.init).joined(separator: ",") + (paired ? "\npaired" : "")
    self.id = String(SHA256.hex(Array(text.utf8)).prefix(12))
    self.cells = Self.combinations(experiment, lists)
    // Every combination must make sense before anything runs.
    for combination in cells {
      if let problem = experiment.check(combination) {
        let varying = lists.filter { $0.1.count > 1 }.map { "\($0.0)=\(combination[$0.0]!)" }
        throw ParameterError(varying.isEmpty ? problem.description : "\(problem.description) (in the grid cell \(varying.joined(separator: ", ")))")
      }
    }
  }

  /// The most trials one grid may hold (shard larger studies over several sweeps).
  public static let maximumTrials = 1_000_000

  /// Cells (distinct resolved combinations).
  public var combinationCount: Int { cells.count }
  public var count: Int { combinationCount * seeds.count }

  /// The resolved combinations of the value lists in grid order, each once.
  static func combinations(_ experiment: Experiment, _ values: [(name: String, values: [String])]) -> [[String: String]] {
    var result: [[String: String]] = [[:]]
    for (name, list) in values {
      result = result.flatMap { partial in list.map { v in partial.merging([name: v]) { $1 } } }
    }
    var seen = Set<[String: String]>()
    return result.map(experiment.resolved).filter { seen.insert($0).inserted }
  }

  /// The seed of run seed `run` in the cell `values` when draws are independent: 53 bits of a hash
  /// of both (53 so that the seed column reads back exactly in tools that parse numbers as doubles).
  /// `values` as `Experiment.keyed` gives them.
  public static func drawSeed(run: UInt64, values: [String: String]) -> UInt64 {
    let text = "draw\nrun_seed=\(run)\n" + values.keys.sorted().map { "\($0)=\(values[$0]!)" }.joined(separator: "\n")
    let digest = SHA256.digest(Array(text.utf8))
    return digest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) } >> 11
  }

  /// Every trial, in grid order: combinations in order, and for each the seeds in order.
  public func trials() -> [Trial] {
    var trials: [Trial] = []
    trials.reserveCapacity(count)
    for combination in cells {
      for run in seeds {
        let keyed = experiment.keyed(combination)
        let seed = paired ? run : Self.drawSeed(run: run, values: keyed)
        trials.append(Trial(index: trials.count, values: combination, seed: seed, runSeed: run, paired: paired, key: Self.key(experiment, keyed, seed)))
      }
    }
    return trials
  }

  /// The trials of shard `k` of `n` (1-based): every n-th trial, starting at the k-th.
  public func trials(shard: (k: Int, n: Int)?) -> [Trial] {
    guard let (k, n) = shard else { return trials() }
    return trials().filter { $0.index % n == k - 1 }
  }

  static func key(_ experiment: Experiment, _ values: [String: String], _ seed: UInt64) -> String {
    let text = experiment.name + "\n" + values.keys.sorted().map { "\($0)=\(values[$0]!)" }.joined(separator: "\n") + "\nseed=\(seed)"
    return String(SHA256.hex(Array(text.utf8)).prefix(16))
  }

  /// Parses `K/N` with 1 ≤ K ≤ N.
  public static func shard(_ text: String) throws(ParameterError) -> (k: Int, n: Int) {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, k >= 1, k <= n else {
      throw ParameterError("--shard '\(text)': expected K/N with 1 ≤ K ≤ N, like 2/4")
    }
    return (k, n)
  }
}
