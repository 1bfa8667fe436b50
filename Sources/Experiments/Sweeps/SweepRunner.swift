import Datasets
import Dispatch
import Foundation

/// Runs the trials of a grid (or one shard of it) on `jobs` threads, each trial on one thread from
/// start to end, appending its rows to a results file (or standard output) as they come.
///
/// A trial's results do not depend on the thread it runs on or on `jobs`: every trial sets its own
/// rounding environment and seeds. Rows appear in completion order; `summarize` sorts. A trial that
/// throws gets one row with the error in the `error` column and does not stop the sweep.
///
/// A results file gets its manifest beside it (`RunManifest`, `<output>.json`): one session per run,
/// naming the build and machine. A write that fails (disk full, quota, I/O error) stops the sweep: the
/// file keeps only whole rows, no further trial starts, and `run` throws (or `onWriteFailure`, when
/// set, is called at once with the message, for a command that exits rather than wait for the trials
/// in flight). SIGTERM and SIGINT close the manifest's session as stopped and exit with 128 + the
/// signal (`StopSignals`): every finished trial is already in the file.
public struct SweepRunner {
  public var grid: Grid
  public var shard: (k: Int, n: Int)?
  public var jobs: Int
  public var output: String?
  public var quiet = false
  public var context: TrialContext
  public var onWriteFailure: (@Sendable (ResultsError) -> Void)?

  public init(grid: Grid, context: TrialContext, jobs: Int, output: String?) {
    self.grid = grid
    self.context = context
    self.jobs = jobs
    self.output = output
  }

  public struct Outcome: Sendable {
    public var trials: Int
    public var skipped: Int
    public var failed: Int
    public var seconds: Double
  }

  /// Errors: `ResultsError` (the results file), `DataError` (a dataset), before any trial runs.
  public func run() throws -> Outcome {
    let experiment = grid.experiment
    let all = grid.trials(shard: shard)
    let file = try output.map { path throws(ResultsError) in try ResultsFile(path: path, header: experiment.header, legacyColumns: experiment.legacyColumns) }
    defer { file?.close() }  // the lock ends with the run, not when the last worker lets go of the file
    let pending = all.filter { !(file?.finished.contains($0.key) ?? false) }
    try Self.loadData(for: pending, context)
    let log = ProgressMeter(total: pending.count, unit: .items("trials"), quiet: quiet)
    // A repair drops rows: said even under --quiet (the original is in a backup file it names).
    if let file {
      for repair in file.repairs { FileHandle.standardError.write(Data("precisionlab: \(file.path): \(repair)\n".utf8)) }
    }
    let workers = max(1, min(jobs, pending.count))
    var manifest: RunManifest? = nil
    if let output {
      var m = try RunManifest.load(for: output) ?? RunManifest(experiment: experiment.name, grids: [], sessions: [])
      if !m.grids.contains(grid.id) { m.grids.append(grid.id) }
      m.sessions.append(.current(jobs: workers, threads: context.threads, shard: shard.map { "\($0.k)/\($0.n)" }))
      try m.save(for: output)
      manifest = m
    }
    log.say("\(experiment.name): \(all.count) trials\(shard.map { " (shard \($0.k)/\($0.n) of \(grid.count))" } ?? ""), \(all.count - pending.count) already done, \(workers) job\(workers == 1 ? "" : "s")\(output.map { " -> \($0)" } ?? "")")
    let queue = WorkQueue(count: pending.count)
    let stop = WriteFailure()
    let onWriteFailure = onWriteFailure
    let fail: @Sendable (ResultsError) -> Void = { error in
      guard stop.set(error) else { return }
      queue.cancel()
      onWriteFailure?(error)
    }
    if file == nil, !StandardOutput.write(CSV.line(experiment.header)) {
      throw ResultsError("standard output: a write failed (\(String(cString: strerror(errno))))", writeFailure: true)
    }
    let writer: @Sendable ([[String]]) -> Void = { rows in
      if stop.error != nil { return }
      if let file {
        do throws(ResultsError) { try file.append(rows) } catch { fail(error) }
      } else if !StandardOutput.write(rows.map(CSV.line).joined()) {
        fail(ResultsError("standard output: a write failed (\(String(cString: strerror(errno))))", writeFailure: true))
      }
    }
    let start = DispatchTime.now().uptimeNanoseconds
    let failures = Counter()
    let computed = Counter()
    let session = manifest
    let signals = StopSignals { sig in
      guard let output, var m = session else { return }
      m.sessions[m.sessions.count - 1].ended = SlurmArray.timestamp()
      m.sessions[m.sessions.count - 1].trialsComputed = computed.value
      m.sessions[m.sessions.count - 1].outcome = "stopped: \(sig == SIGTERM ? "SIGTERM" : "SIGINT") (the trials in flight are recomputed on resume)"
      try? m.save(for: output)
      FileHandle.standardError.write(Data(
        "precisionlab: stopped by \(sig == SIGTERM ? "SIGTERM" : "SIGINT") after \(computed.value) trials of this session; \(output) holds every finished trial: the same command resumes\n".utf8))
    }
    defer { signals.cancel() }
    let gridID = grid.id, gridSize = grid.count, context = context
    let threads = (0..<workers).map { _ in
      Thread {
        while let i = queue.next() {
          let failed = Self.runTrial(pending[i], experiment, gridID, gridSize, context, writer)
          if stop.error != nil { break }
          if failed { failures.add() }
          computed.add()
          log.completed()
        }
        queue.done()
      }
    }
    for t in threads {
      t.stackSize = 64 << 20
      t.start()
    }
    queue.waitForWorkers(workers)
    signals.cancel()
    log.finish()
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    if let output, var m = manifest {
      m.sessions[m.sessions.count - 1].ended = SlurmArray.timestamp()
      m.sessions[m.sessions.count - 1].trialsComputed = computed.value
      m.sessions[m.sessions.count - 1].outcome = stop.error.map { "stopped: \($0)" } ?? "finished"
      do { try m.save(for: output) } catch { if stop.error == nil { throw error } }
    }
    if let error = stop.error { throw error }
    return Outcome(trials: all.count, skipped: all.count - pending.count, failed: failures.value, seconds: seconds)
  }

  /// Loads every dataset the trials need, so that a missing or damaged dataset is one clear error
  /// before anything runs (not one failed row per trial, or one failed task per shard).
  public static func loadData(for trials: [Trial], _ context: TrialContext) throws(DataError) {
    var needed: [String: [Int]] = [:]
    for t in trials { needed[t["data"]] = DataParameters.sampleShape(t.values) }
    for (name, shape) in needed.sorted(by: { $0.key < $1.key }) {
      _ = try context.data.load(name, syntheticShape: shape)
    }
  }

  /// Runs one trial, writing its rows; returns whether it failed.
  static func runTrial(_ trial: Trial, _ experiment: Experiment, _ gridID: String, _ gridSize: Int, _ context: TrialContext, _ write: ([[String]]) -> Void) -> Bool {
    let start = DispatchTime.now().uptimeNanoseconds
    let configuration = [experiment.name, trial.key, gridID, "\(gridSize)", "\(trial.index)"] + experiment.parameters.map { trial[$0.name] }
      + ["\(trial.seed)", "\(trial.runSeed)", trial.paired ? "paired" : "independent"]
    func row(_ results: [String], final: Bool, error: String = "") -> [String] {
      let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
      return configuration + results + [final ? "1" : "0", error, String(format: "%.3f", seconds), Provenance.version, Provenance.commit]
    }
    do {
      var sawFinal = false
      try experiment.run(trial, context) { results, final in
        precondition(results.count == experiment.resultColumns.count, "\(experiment.name): \(results.count) results for \(experiment.resultColumns.count) columns")
        sawFinal = sawFinal || final
        write([row(results, final: final)])
      }
      if !sawFinal { write([row(Array(repeating: "", count: experiment.resultColumns.count), final: true, error: "no result")]) }
      return false
    } catch {
      let message = "\(error)".replacingOccurrences(of: "\n", with: " ")
      write([row(Array(repeating: "", count: experiment.resultColumns.count), final: true, error: message)])
      return true
    }
  }
}

/// The first write failure of a sweep.
final class WriteFailure: @unchecked Sendable {
  private let lock = NSLock()
  private var first: ResultsError?
  var error: ResultsError? { lock.lock(); defer { lock.unlock() }; return first }
  /// Records `error` if it is the first; returns whether it was.
  func set(_ error: ResultsError) -> Bool {
    lock.lock()
    defer { lock.unlock() }
    guard first == nil else { return false }
    first = error
    return true
  }
}

/// Whole writes to standard output from several threads, reporting failure (a full disk behind a
/// redirection, a closed pipe) instead of trapping.
enum StandardOutput {
  private static let lock = NSLock()
  static func write(_ text: String) -> Bool {
    let bytes = Array(text.utf8)
    lock.lock()
    defer { lock.unlock() }
    return bytes.withUnsafeBytes { ResultsFile.writeAll(1, $0) }
  }
}
