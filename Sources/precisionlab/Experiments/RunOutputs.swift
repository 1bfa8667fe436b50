import ArgumentParser
import Experiments
import Foundation

/// Where a sweep writes its results CSV (with its manifest), summary table and figure.
///
/// - `--out FILE`: there (resuming it), and the table and figure only where `--table` and `--plot` say;
///   `--out -`: the CSV to standard output.
/// - Otherwise the sweep file's `out`, when git does not track it (a user's own file).
/// - Otherwise a new run directory, `runs/<name>-<UTC date and time>/` (`$PRECISIONLAB_RUNS` instead
///   of `runs`), holding `<stem>.csv`, its manifest, `<stem>.md` and `<stem>.svg`. A sweep file whose
///   `out` is a committed reference result therefore computes anew without touching it, and says so.
///
/// A file git tracks is written only when the command line names it and names the results with
/// `--out`: `--table results/x.md` alone would replace a committed table with another run's summary.
struct RunOutputs {
  var csv: String?
  var table: String?
  var plot: String?
  /// The run directory this command made, nil when the outputs were named.
  var runDirectory: String?
  /// Said before the run: where the results go when that is not where the sweep file says.
  var notes: [String] = []

  static func plan(name: String, experiment: Experiment, options: SweepOptions, fileOut: String?) throws -> RunOutputs {
    if options.out == "-" {
      if options.table != nil || options.plot != nil { throw failWithUsage("--table and --plot summarise a results file: give --out FILE.csv, not -") }
      return RunOutputs(csv: nil, table: nil, plot: nil, runDirectory: nil)
    }
    if options.out == nil {
      for (option, path) in [("--table", options.table), ("--plot", options.plot)] {
        if let path, isTrackedByGit(path) {
          throw failWithUsage("\(option) \(path) is tracked by git: a new run's summary would replace it; name the results it summarises with --out")
        }
      }
    }
    if let out = options.out { return RunOutputs(csv: out, table: options.table, plot: options.plot, runDirectory: nil) }
    var notes: [String] = []
    if let fileOut {
      if !isTrackedByGit(fileOut) { return RunOutputs(csv: fileOut, table: options.table, plot: options.plot, runDirectory: nil) }
      notes.append("\(fileOut) is a committed reference result (tracked by git) and is left alone; add to it with --out \(fileOut)")
    }
    let stem = fileOut.map { (($0 as NSString).lastPathComponent as NSString).deletingPathExtension } ?? experiment.name
    let directory = try makeRunDirectory(name)
    return RunOutputs(
      csv: "\(directory)/\(stem).csv", table: options.table ?? "\(directory)/\(stem).md", plot: options.plot ?? "\(directory)/\(stem).svg",
      runDirectory: directory, notes: notes)
  }

  /// A new folder `runs/<name>-<yyyyMMdd-HHmmss>` (UTC; `-2`, `-3`, … when taken).
  static func makeRunDirectory(_ name: String) throws -> String {
    let root = ProcessInfo.processInfo.environment["PRECISIONLAB_RUNS"].flatMap { $0.isEmpty ? nil : $0 } ?? "runs"
    do { try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true) } catch {
      throw failWithDataError("\(root): the run directory's folder cannot be created (\(error.localizedDescription)); give --out FILE.csv")
    }
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.dateFormat = "yyyyMMdd-HHmmss"
    let base = "\(root)/\(name)-\(formatter.string(from: Date()))"
    for attempt in 1...100 {
      let path = attempt == 1 ? base : "\(base)-\(attempt)"
      if mkdir(path, 0o755) == 0 { return path }
      guard errno == EEXIST else { throw failWithDataError("\(path): cannot be created (\(String(cString: strerror(errno)))); give --out FILE.csv") }
    }
    throw failWithDataError("\(base): 100 run directories of this name already exist this second")
  }

  /// Removes the run directory when the run wrote no row into it (it failed before the first trial).
  func removeIfEmpty() {
    guard let runDirectory, let csv else { return }
    let lines = ((try? String(contentsOfFile: csv, encoding: .utf8)) ?? "").split(separator: "\n")
    guard lines.count <= 1 else { return }
    try? FileManager.default.removeItem(atPath: runDirectory)
    rmdir((runDirectory as NSString).deletingLastPathComponent)  // the runs folder too, when this left it empty
  }
}
