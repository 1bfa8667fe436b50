import Foundation

/// A sweep submitted as a Slurm job array: one results folder holding everything the jobs and the
/// user need, so that any later command (`status`, `resubmit`, `merge`) works from the folder alone.
///
///     FOLDER/sweep.json          the grid, frozen (a sweep file: `precisionlab sweep` runs it too)
///     FOLDER/slurm.json          this manifest: grid id, trials, shards, the jobs submitted
///     FOLDER/array.sbatch        the array script: task K runs shard K/N of the grid
///     FOLDER/merge.sbatch        the follow-up job: checks and merges the shards
///     FOLDER/shards/shard-K-of-N.csv   each task's results (a task resumes from its file)
///     FOLDER/logs/shard-K.out    each task's output, appended across attempts
///     FOLDER/status/shard-K.exit each task's exit status, written when it ends
///     FOLDER/merged.csv, summary.md, summary.svg   after the merge
///
/// Shard K of N holds trials K−1, K−1+N, … of the grid (`--shard K/N`), so shards differ in size by
/// at most one trial and every grid cell is spread over the shards.
public struct SlurmArray: Codable, Sendable, Equatable {
  /// A job submitted for this folder: the array (or a resubmission of some of its shards) or a merge.
  public struct Job: Codable, Sendable, Equatable {
    public var id: String
    public var kind: String  // "array" or "merge"
    public var shards: [Int]
    public var submitted: String
    public init(id: String, kind: String, shards: [Int], submitted: String) {
      self.id = id
      self.kind = kind
      self.shards = shards
      self.submitted = submitted
    }
  }

  public var experiment: String
  public var grid: String
  public var trials: Int
  public var shards: Int
  /// The executable the tasks run.
  public var precisionlab: String
  public var dataDirectory: String
  public var version: String
  public var commit: String
  public var created: String
  public var jobs: [Job]

  public static let manifestName = "slurm.json"

  public init(grid: Grid, shards: Int, precisionlab: String, dataDirectory: String) throws(ParameterError) {
    guard shards >= 1 else { throw ParameterError("--array must be at least 1, got \(shards)") }
    guard shards <= grid.count else {
      throw ParameterError("--array \(shards): the grid has only \(grid.count) trial\(grid.count == 1 ? "" : "s"), so some tasks would have nothing to do; use --array \(grid.count) or fewer")
    }
    self.experiment = grid.experiment.name
    self.grid = grid.id
    self.trials = grid.count
    self.shards = shards
    self.precisionlab = precisionlab
    self.dataDirectory = dataDirectory
    self.version = Provenance.version
    self.commit = Provenance.commit
    self.created = Self.timestamp()
    self.jobs = []
  }

  // MARK: The folder

  public static func sweepPath(_ folder: String) -> String { folder + "/sweep.json" }
  public static func manifestPath(_ folder: String) -> String { folder + "/" + manifestName }
  public static func arrayScriptPath(_ folder: String) -> String { folder + "/array.sbatch" }
  public static func mergeScriptPath(_ folder: String) -> String { folder + "/merge.sbatch" }
  public func shardPath(_ folder: String, _ k: Int) -> String { folder + "/shards/shard-\(k)-of-\(shards).csv" }
  public static func logPath(_ folder: String, _ k: Int) -> String { folder + "/logs/shard-\(k).out" }
  public static func exitPath(_ folder: String, _ k: Int) -> String { folder + "/status/shard-\(k).exit" }
  public static func mergedPath(_ folder: String) -> String { folder + "/merged.csv" }
  public static func tablePath(_ folder: String) -> String { folder + "/summary.md" }
  public static func plotPath(_ folder: String) -> String { folder + "/summary.svg" }

  /// Writes the frozen grid, the manifest and the two scripts into a new folder (or one holding
  /// nothing of another grid). A folder that already holds this grid's array is refused too: its
  /// jobs are followed with `status` and mended with `resubmit`.
  public func create(in folder: String, grid: Grid, settings: SlurmJobSettings, prologue: String = "") throws(ClusterError) {
    let manager = FileManager.default
    if manager.fileExists(atPath: Self.manifestPath(folder)) {
      let existing = try? Self.load(folder)
      if let existing, existing.grid == self.grid {
        throw ClusterError("\(folder) already holds this grid's array (jobs \(existing.jobs.map(\.id).joined(separator: ", "))); follow it with 'precisionlab slurm status \(folder)', rerun shards with 'precisionlab slurm resubmit \(folder)'")
      }
      throw ClusterError("\(folder) already holds another sweep's array (grid \(existing?.grid ?? "unreadable")); choose another --results folder")
    }
    for sub in ["shards", "logs", "status"] {
      do { try manager.createDirectory(atPath: folder + "/" + sub, withIntermediateDirectories: true) } catch {
        throw ClusterError("\(folder): cannot create it (\(error.localizedDescription))")
      }
    }
    try Self.write(Self.sweepText(grid), to: Self.sweepPath(folder))
    let script = SlurmScript(array: self, folder: folder, settings: settings, prologue: prologue)
    try Self.write(script.arrayScript(), to: Self.arrayScriptPath(folder))
    try Self.write(script.mergeScript(), to: Self.mergeScriptPath(folder))
    try save(folder)
  }

  /// The grid of the folder, rebuilt from its sweep file; refuses a sweep file that no longer matches
  /// the manifest (edited by hand, or another version of the experiment's options).
  public func loadGrid(_ folder: String) throws(ClusterError) -> Grid {
    let grid: Grid
    do {
      let sweep = try SweepFile.load(Self.sweepPath(folder))
      grid = try Grid(sweep.experiment, values: sweep.values, runs: sweep.runs, seeds: sweep.seeds, paired: sweep.paired ?? false)
    } catch {
      throw ClusterError(error.description)
    }
    guard grid.id == self.grid, grid.count == trials else {
      throw ClusterError("\(Self.sweepPath(folder)): its grid (\(grid.id), \(grid.count) trials) is not the one submitted (\(self.grid), \(trials) trials); was it edited?")
    }
    return grid
  }

  public static func load(_ folder: String) throws(ClusterError) -> SlurmArray {
    let path = manifestPath(folder)
    guard let data = FileManager.default.contents(atPath: path) else {
      throw ClusterError("\(folder): not a PrecisionLab Slurm results folder (no \(manifestName); 'precisionlab slurm submit' writes one)")
    }
    let array: SlurmArray
    do { array = try JSONDecoder().decode(SlurmArray.self, from: data) } catch {
      throw ClusterError("\(path): not a PrecisionLab Slurm manifest (\(error.localizedDescription))")
    }
    // A manifest edited by hand: the counts every command loops over must make sense.
    guard array.trials >= 1, array.shards >= 1, array.shards <= array.trials else {
      throw ClusterError("\(path): shards \(array.shards) for \(array.trials) trials; a manifest needs 1 ≤ shards ≤ trials (was it edited?)")
    }
    if let job = array.jobs.first(where: { $0.shards.contains { !(1...array.shards).contains($0) } }) {
      throw ClusterError("\(path): job \(job.id) lists shards outside 1...\(array.shards) (was it edited?)")
    }
    return array
  }

  /// Rewrites the manifest through a temporary file and a rename.
  public func save(_ folder: String) throws(ClusterError) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    guard let data = try? encoder.encode(self) else { throw ClusterError("cannot encode the Slurm manifest") }
    try Self.write(String(decoding: data, as: UTF8.self) + "\n", to: Self.manifestPath(folder))
  }

  /// The grid as a sweep file: every value list and every seed written out, so loading it gives the
  /// same grid id and the same trial keys as the command that submitted it.
  public static func sweepText(_ grid: Grid) -> String {
    var top: [String: Any] = ["experiment": grid.experiment.name, "runs": 1, "seed": grid.seeds.map { NSNumber(value: $0) }, "paired": grid.paired]
    var values: [String: Any] = [:]
    for (name, list) in grid.values { values[name] = list }
    top["grid"] = values
    let data = try! JSONSerialization.data(withJSONObject: top, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    return String(decoding: data, as: UTF8.self) + "\n"
  }

  static func write(_ text: String, to path: String) throws(ClusterError) {
    let temporary = path + ".partial"
    guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8)), rename(temporary, path) == 0 else {
      throw ClusterError("\(path): cannot be written (is its folder writable?)")
    }
  }

  static func timestamp() -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    return formatter.string(from: Date())
  }

  /// Records a submitted job in the manifest.
  public mutating func record(_ id: String, kind: String, shards: [Int]) {
    jobs.append(Job(id: id, kind: kind, shards: shards, submitted: Self.timestamp()))
  }
}
