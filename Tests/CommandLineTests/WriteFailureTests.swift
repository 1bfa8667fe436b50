import Foundation
import Testing
import TestSupport

/// Faults while writing results: a file that cannot grow (a size limit, a full filesystem) stops the
/// sweep at once with one line and exit status 74, the file keeps only whole rows, and the same command
/// resumes it to the uninterrupted result once there is room; an output that is not a regular file is
/// refused; a results file saved by a spreadsheet (byte-order mark, CRLF) is read.
@Suite(.serialized) struct WriteFailureTests {
  static let sweep = ["bifurcation", "--data", "synthetic", "--widths", "784,8,10", "--max-batches", "2", "--runs", "300", "--quiet"]

  /// Whether every line of a results file is whole: it ends with a newline and every row has the
  /// header's number of fields (no quoted fields in these sweeps' rows but widths).
  static func isWhole(_ path: String) throws -> Bool {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    guard text.hasSuffix("\n") else { return false }
    let lines = try SweepCommandTests.rows(path)
    let header = text.split(separator: "\n")[0].split(separator: ",").count
    return lines.allSatisfy { $0.split(separator: "|", omittingEmptySubsequences: false).count == header - 1 }
  }

  /// Checks a sweep stopped by a failed write: exit 74, one line saying `reason` (the synthetic-data
  /// banner aside), the file whole with part of the 300 rows. Returns how many rows it kept.
  static func stoppedWhole(_ status: Int32, _ error: String, _ path: String, reason: String) throws -> Int {
    #expect(status == 74, "\(error)")
    let lines = error.split(separator: "\n").filter { !$0.contains("SYNTHETIC") }
    #expect(lines.count == 1 && lines[0].contains(reason), "\(error)")
    #expect(try isWhole(path))
    let rows = try SweepCommandTests.rows(path).count
    #expect(rows > 10 && rows < 300, "\(rows) rows")
    return rows
  }

  /// Runs the executable under a file-size limit (`ulimit -f`, 512-byte blocks, SIGXFSZ ignored so a
  /// write past it fails with EFBIG as a quota would), its output and error output returned.
  static func runLimited(_ arguments: [String], blocks: Int) throws -> (status: Int32, output: String) {
    try FirstRunTests.shell(
      ["/bin/sh", "-c", "ulimit -f \(blocks) && trap '' XFSZ && exec \"$0\" \"$@\"", CommandLineTests.executable.path] + arguments,
      in: NSTemporaryDirectory())
  }

  @Test func aFileThatCannotGrowStopsTheSweepAndResumesWhole() throws {
    let dir = SweepCommandTests.directory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let reference = try CommandLineTests.run(Self.sweep + ["--out", "\(dir)/reference.csv"])
    #expect(reference.status == 0, "\(reference.error)")
    // 48 KiB: about a third of the 300 rows.
    let limited = try Self.runLimited(Self.sweep + ["--out", "\(dir)/r.csv"], blocks: 96)
    let partial = try Self.stoppedWhole(limited.status, limited.output, "\(dir)/r.csv", reason: "r.csv: a write failed (File too large)")
    let resumed = try CommandLineTests.run(Array(Self.sweep.dropLast()) + ["--out", "\(dir)/r.csv"])
    #expect(resumed.status == 0, "\(resumed.error)")
    #expect(resumed.error.contains("\(partial) already done") && !resumed.error.contains("torn"), "\(resumed.error)")
    #expect(try SweepCommandTests.rows("\(dir)/r.csv") == SweepCommandTests.rows("\(dir)/reference.csv"))
  }

  /// Why a small tmpfs cannot be mounted here, or nil.
  static let noMount: String? = {
    if getuid() != 0 { return "not root: mounting a small tmpfs needs root" }
    if !FileManager.default.isExecutableFile(atPath: "/bin/mount") && !FileManager.default.isExecutableFile(atPath: "/usr/bin/mount") { return "mount is missing" }
    return nil
  }()

  @Test(.enabled(if: Integration.runs(noMount == nil), Comment(rawValue: noMount ?? "")))
  func aFullDiskStopsTheSweepAndResumesOnceThereIsRoom() throws {
    try #require(Self.noMount == nil, Comment(rawValue: Self.noMount ?? ""))
    let dir = SweepCommandTests.directory()
    let mount = "\(dir)/small"
    try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
    let mounted = try FirstRunTests.shell(["mount", "-t", "tmpfs", "-o", "size=48k", "tmpfs", mount], in: dir)
    try #require(mounted.status == 0, "mount: \(mounted.output)")
    defer {
      _ = try? FirstRunTests.shell(["umount", mount], in: dir)
      try? FileManager.default.removeItem(atPath: dir)
    }
    let full = try CommandLineTests.run(Self.sweep + ["--out", "\(mount)/r.csv"])
    _ = try Self.stoppedWhole(full.status, full.error, "\(mount)/r.csv", reason: "r.csv: a write failed (No space left on device)")
    // Room again: the same command finishes the sweep.
    let grown = try FirstRunTests.shell(["mount", "-o", "remount,size=2m", mount], in: dir)
    try #require(grown.status == 0, "remount: \(grown.output)")
    let resumed = try CommandLineTests.run(Self.sweep + ["--out", "\(mount)/r.csv"])
    #expect(resumed.status == 0, "\(resumed.error)")
    let rows = try SweepCommandTests.rows("\(mount)/r.csv")
    #expect(rows.count == 300 && Set(rows).count == 300)
    let manifest = try String(contentsOfFile: "\(mount)/r.csv.json", encoding: .utf8)
    #expect(manifest.components(separatedBy: "\"outcome\"").count == 3, "two sessions: \(manifest)")
  }

  @Test func outputsThatAreNotFilesAreRefusedAndAFullStandardOutputFails() throws {
    let start = Date()
    let device = try CommandLineTests.run(Self.sweep + ["--out", "/dev/full"])
    #expect(device.status == 65 && device.error.contains("/dev/full: not a regular file"), "\(device.error)")
    let folder = try CommandLineTests.run(Self.sweep + ["--out", NSTemporaryDirectory()])
    #expect(folder.status != 0 && folder.error.split(separator: "\n").count == 1, "\(folder.error)")
    #expect(Date().timeIntervalSince(start) < 60, "refusing took too long")
    // Standard output on a full device: exit 74, not a crash and not success.
    let process = Process()
    process.executableURL = CommandLineTests.executable
    process.arguments = Self.sweep + ["--out", "-"]
    process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: "/dev/full"))
    let pipe = Pipe()
    process.standardError = pipe
    try process.run()
    let error = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 74 && error.contains("standard output: a write failed (No space left on device)"), "\(error)")
  }

  /// `calc --batch` on a full device: exit 74 with one line, not success with the results lost.
  @Test func calcBatchOnAFullDevice() throws {
    let process = Process()
    process.executableURL = CommandLineTests.executable
    process.arguments = ["calc", "--batch", "--format", "bf16"]
    process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: "/dev/full"))
    let input = Pipe(), errors = Pipe()
    process.standardInput = input
    process.standardError = errors
    try process.run()
    input.fileHandleForWriting.write(Data("add 1 2\nmul 3 4\n".utf8))
    try input.fileHandleForWriting.close()
    let error = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 74 && error.contains("standard output: a write failed (No space left on device)"), "\(error)")
    #expect(error.split(separator: "\n").count == 1, "\(error)")
  }

  @Test func aResultsFileSavedByASpreadsheetIsRead() throws {
    let dir = SweepCommandTests.directory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let small = ["bifurcation", "--data", "synthetic", "--widths", "784,8,10", "--max-batches", "2", "--runs", "4", "--quiet"]
    let r = try CommandLineTests.run(small + ["--out", "\(dir)/r.csv"])
    #expect(r.status == 0, "\(r.error)")
    let text = try String(contentsOfFile: "\(dir)/r.csv", encoding: .utf8)
    let saved = "\u{FEFF}" + text.replacingOccurrences(of: "\n", with: "\r\n")
    try saved.write(toFile: "\(dir)/saved.csv", atomically: true, encoding: .utf8)
    let summary = try CommandLineTests.run(["summarize", "\(dir)/saved.csv"])
    #expect(summary.status == 0 && summary.output.contains("| binary32 | 4    |"), "\(summary.output)\(summary.error)")
    let merged = try CommandLineTests.run(["merge", "\(dir)/saved.csv", "-o", "\(dir)/merged.csv"])
    #expect(merged.status == 0, "\(merged.error)")
    #expect(try SweepCommandTests.rows("\(dir)/merged.csv") == SweepCommandTests.rows("\(dir)/r.csv"))
    // A sweep resumes it: every trial is found done.
    let resumed = try CommandLineTests.run(Array(small.dropLast()) + ["--out", "\(dir)/saved.csv"])
    #expect(resumed.status == 0 && resumed.error.contains("4 already done"), "\(resumed.error)")
  }
}
