import Foundation

/// The sidecar `<results>.json` written beside every results CSV a sweep writes: which build, on which
/// machine, with which command, computed its rows. One session per run that wrote to the file (a resumed
/// sweep adds one), so a file computed by several builds says so.
///
/// `summarize` and `merge` check it against the CSV: the rows' `commit` values must be among the
/// sessions' and the CSV's grids among the manifest's; what does not match is said on standard error.
public struct RunManifest: Codable, Sendable, Equatable {
  /// One run of a sweep that wrote to the file.
  public struct Session: Codable, Sendable, Equatable {
    public var started: String
    public var ended: String?
    /// "running" while it runs (a session killed with its process stays so), "finished", or
    /// "stopped: " and why.
    public var outcome: String
    public var version: String
    /// As the rows record it (`Provenance.commit`).
    public var commit: String
    public var fullCommit: String
    public var dirty: Bool?
    public var build: String
    public var instructionSet: String
    public var cpu: String
    public var mpfr: String
    public var host: String
    public var jobs: Int
    public var threads: Int
    public var trialsComputed: Int?
    public var shard: String?
    public var command: [String]
    public var directory: String

    /// This process, about to run a sweep.
    public static func current(jobs: Int, threads: Int, shard: String?) -> Session {
      Session(
        started: SlurmArray.timestamp(), ended: nil, outcome: "running", version: Provenance.version, commit: Provenance.commit,
        fullCommit: Provenance.fullCommit, dirty: Provenance.dirty, build: Provenance.build, instructionSet: Provenance.instructionSet,
        cpu: Provenance.cpu, mpfr: Provenance.mpfr, host: ProcessInfo.processInfo.hostName, jobs: jobs, threads: threads,
        trialsComputed: nil, shard: shard, command: CommandLine.arguments, directory: FileManager.default.currentDirectoryPath)
    }
  }

  public static let formatName = "precisionlab-results-manifest/1"
  public var format = RunManifest.formatName
  public var experiment: String
  /// The grids whose rows the file holds.
  public var grids: [String]
  public var sessions: [Session]

  public init(experiment: String, grids: [String], sessions: [Session]) {
    self.experiment = experiment
    self.grids = grids
    self.sessions = sessions
  }

  /// Where the manifest of a results file is: `<results>.json`.
  public static func path(for results: String) -> String { results + ".json" }

  /// The manifest beside `results`, or nil when there is none (files written before manifests existed).
  public static func load(for results: String) throws(ResultsError) -> RunManifest? {
    let path = path(for: results)
    guard let data = FileManager.default.contents(atPath: path) else {
      if FileManager.default.fileExists(atPath: path) { throw ResultsError("\(path): cannot be read") }
      return nil
    }
    do {
      let manifest = try JSONDecoder().decode(RunManifest.self, from: data)
      guard manifest.format == formatName else { throw ResultsError("\(path): not a \(formatName) file (format '\(manifest.format)')") }
      return manifest
    } catch let error as ResultsError {
      throw error
    } catch {
      throw ResultsError("\(path): not a PrecisionLab results manifest (\(error.localizedDescription))")
    }
  }

  /// Writes the manifest beside `results`, whole or not at all (a temporary file renamed over it).
  public func save(for results: String) throws(ResultsError) {
    let path = Self.path(for: results)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    guard let data = try? encoder.encode(self) else { throw ResultsError("\(path): cannot be encoded") }
    let temporary = path + ".partial"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw ResultsError("\(path): cannot be written (\(String(cString: strerror(errno))))", writeFailure: true) }
    let ok = data.withUnsafeBytes { ResultsFile.writeAll(fd, $0) }
    let reason = String(cString: strerror(errno))
    close(fd)
    guard ok, rename(temporary, path) == 0 else {
      unlink(temporary)
      throw ResultsError("\(path): cannot be written (\(ok ? String(cString: strerror(errno)) : reason))", writeFailure: true)
    }
  }

  /// What in `rows` the manifest does not account for, one sentence each: rows whose commit no session
  /// has (written by an older version, or edited), rows of a grid it does not list.
  public func mismatches(header: [String], rows: [[String]]) -> [String] {
    var said: [String] = []
    if let c = header.firstIndex(of: "commit") {
      let known = Set(sessions.map(\.commit))
      var counts: [String: Int] = [:]
      for r in rows where !known.contains(r[c]) { counts[r[c], default: 0] += 1 }
      for (commit, n) in counts.sorted(by: { $0.key < $1.key }) {
        said.append("\(n) row\(n == 1 ? "" : "s") computed at commit '\(commit)', which no session of the manifest ran")
      }
    }
    if let g = header.firstIndex(of: "grid") {
      let unknown = Set(rows.map { $0[g] }).subtracting(grids).sorted()
      if !unknown.isEmpty { said.append("rows of grid\(unknown.count == 1 ? "" : "s") \(unknown.joined(separator: ", ")), which the manifest does not list") }
    }
    return said
  }

  /// The builds that computed the file, for one line: "e200423cefb0 (release, avx2+fma, MPFR 4.2.0)".
  public var builds: [String] {
    var seen: [String] = []
    for s in sessions {
      let line = "precisionlab \(s.version) at \(s.commit) (\(s.build), \(s.instructionSet), MPFR \(s.mpfr))"
      if !seen.contains(line) { seen.append(line) }
    }
    return seen
  }
}
