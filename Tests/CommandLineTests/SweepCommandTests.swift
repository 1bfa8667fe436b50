import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// Experiments as users run them: a sweep killed with SIGKILL resumes to exactly the uninterrupted
/// result; bad input is one line and a non-zero exit, with no file damaged.
@Suite struct SweepCommandTests {
  static let small = [
    "bifurcation", "--data", "synthetic", "--widths", "784,8,8,10", "--format", "bf16,fp32", "--batch-size", "32",
    "--max-batches", "4", "--runs", "12", "--quiet",
  ]

  static func directory() -> String {
    let dir = NSTemporaryDirectory() + "precisionlab-cli-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
  }

  /// The file's rows without wall time, sorted, and the number of rows.
  static func rows(_ path: String) throws -> [String] {
    let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    let header = lines[0].split(separator: ",", omittingEmptySubsequences: false)
    let wall = header.firstIndex(of: "wall_seconds")!
    // wall_seconds is after every quoted field's commas are balanced: drop it by a full CSV-aware split.
    return lines.dropFirst().map { line -> String in
      var fields: [String] = [], field = "", quoted = false
      for c in line {
        if c == "\"" { quoted.toggle() } else if c == "," && !quoted { fields.append(field); field = "" } else { field.append(c) }
      }
      fields.append(field)
      fields.remove(at: wall + (fields.count - header.count))
      return fields.joined(separator: "|")
    }.sorted()
  }

  @Test func killedSweepResumesToTheUninterruptedResult() throws {
    let dir = Self.directory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let reference = try CommandLineTests.run(Self.small + ["--jobs", "2", "--out", "\(dir)/reference.csv"])
    #expect(reference.status == 0, "\(reference.error)")
    // Start the same sweep with one job, kill it once some rows are written.
    let process = Process()
    process.executableURL = CommandLineTests.executable
    process.arguments = Self.small + ["--jobs", "1", "--out", "\(dir)/killed.csv"]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    var waited = 0
    while waited < 600 {
      let text = (try? String(contentsOfFile: "\(dir)/killed.csv", encoding: .utf8)) ?? ""
      if text.split(separator: "\n").count >= 6 { break }
      usleep(50_000)
      waited += 1
    }
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    #expect(process.terminationReason == .uncaughtSignal, "the sweep ended before the kill")
    let partial = try Self.rows("\(dir)/killed.csv")
    #expect(partial.count >= 5 && partial.count < 24, "killed after \(partial.count) rows")
    // A crash mid-write leaves a torn line: add one.
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: "\(dir)/killed.csv"))
    handle.seekToEndOfFile()
    handle.write(Data("bifurcation,deadbeef,".utf8))
    try handle.close()
    let resumed = try CommandLineTests.run(Array(Self.small.dropLast()) + ["--jobs", "2", "--out", "\(dir)/killed.csv"])
    #expect(resumed.status == 0, "\(resumed.error)")
    #expect(resumed.error.contains("torn last line"))
    #expect(resumed.error.contains("\(partial.count) already done"))
    #expect(try Self.rows("\(dir)/killed.csv") == Self.rows("\(dir)/reference.csv"))
    // The summary table is printed.
    #expect(resumed.output.contains("| runs") || resumed.output.contains("| format"))
  }

  /// SIGTERM (Slurm's, kill's) stops a sweep at once with status 143, its manifest session closed as
  /// stopped; the same command then finishes the file.
  @Test func terminatedSweepClosesItsSessionAndResumes() throws {
    let dir = Self.directory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let process = Process()
    process.executableURL = CommandLineTests.executable
    process.arguments = Self.small + ["--jobs", "1", "--out", "\(dir)/stopped.csv"]
    process.standardOutput = FileHandle.nullDevice
    let errors = Pipe()
    process.standardError = errors
    try process.run()
    var waited = 0
    while waited < 600 {
      let text = (try? String(contentsOfFile: "\(dir)/stopped.csv", encoding: .utf8)) ?? ""
      if text.split(separator: "\n").count >= 4 { break }
      usleep(50_000)
      waited += 1
    }
    kill(process.processIdentifier, SIGTERM)
    process.waitUntilExit()
    let said = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    #expect(process.terminationReason == .exit && process.terminationStatus == 143, "\(process.terminationReason) \(process.terminationStatus): \(said)")
    #expect(said.contains("stopped by SIGTERM"), "\(said)")
    let manifest = try String(contentsOfFile: "\(dir)/stopped.csv.json", encoding: .utf8)
    #expect(manifest.contains("stopped: SIGTERM") && !manifest.contains("\"running\""), "\(manifest)")
    let resumed = try CommandLineTests.run(Self.small + ["--jobs", "2", "--out", "\(dir)/stopped.csv"])
    #expect(resumed.status == 0, "\(resumed.error)")
    #expect(try Self.rows("\(dir)/stopped.csv").count == 24)
  }

  @Test func badInputIsOneLineAndNoFileIsDamaged() throws {
    let dir = Self.directory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try "keep me\n".write(toFile: "\(dir)/other.csv", atomically: true, encoding: .utf8)
    try "experiment: bifurcation\ngrid:\n  formatt: fp16\n".write(toFile: "\(dir)/typo.yaml", atomically: true, encoding: .utf8)
    let cases: [([String], String)] = [
      (["bifurcation", "--format", "fp99"], "unknown format 'fp99'"),
      (["bifurcation", "--compare", "some"], "valid: first-layer, all"),
      (["bifurcation", "--runs", "0"], "empty"),
      (["bifurcation", "--shard", "3/2"], "K/N"),
      (["bifurcation", "--widht", "3"], "unknown option '--widht'"),
      (["sweep", "\(dir)/typo.yaml"], "unknown key 'formatt'"),
      (["bifurcation", "--data", "synthetic", "--widths", "784,8,10", "--max-batches", "1", "--out", "\(dir)/other.csv"], "not this experiment's"),
      (["summarize", "\(dir)/missing.csv"], "does not exist"),
      (["bifurcation", "--data-dir", "\(dir)/nodata", "--max-batches", "1", "--out", "\(dir)/nodata.csv"], "precisionlab data fetch mnist"),
      (["merge", "\(dir)/missing.csv", "-o", "\(dir)/m.csv"], "does not exist"),
    ]
    for (arguments, message) in cases {
      let r = try CommandLineTests.run(arguments)
      let lines = r.error.split(separator: "\n").filter { !$0.contains("SYNTHETIC") && !$0.contains(" trials,") }
      #expect(r.status != 0, "\(arguments)")
      #expect(lines.count == 1 && lines[0].contains(message), "\(arguments): \(r.error)")
    }
    #expect(try String(contentsOfFile: "\(dir)/other.csv", encoding: .utf8) == "keep me\n")
  }

  @Test func summarizeAndPlotAResultsFile() throws {
    let dir = Self.directory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let r = try CommandLineTests.run(Array(Self.small.prefix(11)) + ["--runs", "3", "--quiet", "--out", "\(dir)/r.csv"])
    #expect(r.status == 0, "\(r.error)")
    let csv = try CommandLineTests.run(["summarize", "\(dir)/r.csv", "--by", "format", "--format", "csv"])
    #expect(csv.output.hasPrefix("format,runs,in_s,ratio,ci_low,ci_high"))
    let latex = try CommandLineTests.run(["summarize", "\(dir)/r.csv", "--format", "latex"])
    #expect(latex.output.contains("\\begin{tabular}"))
    let plot = try CommandLineTests.run(["plot", "\(dir)/r.csv", "--x", "format", "--y", "ratio", "-o", "\(dir)/f.svg"])
    #expect(plot.status == 0, "\(plot.error)")
    let svg = try String(contentsOfFile: "\(dir)/f.svg", encoding: .utf8)
    #expect(svg.hasPrefix("<svg") && svg.contains("binary32") && svg.contains("</svg>"))
    // The SVG is well-formed XML.
    #expect((try? XMLDocument(xmlString: svg)) != nil)
  }
}

/// Training sweeps resume from their per-epoch checkpoints after SIGKILL.
@Suite struct TrainSweepResumeTests {
  @Test func killedTrainingSweepResumesToTheUninterruptedResult() throws {
    let dir = SweepCommandTests.directory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let arguments = [
      "train", "--data", "synthetic", "--widths", "784,16,10", "--format", "fp32", "--batch-size", "32", "--max-batches", "6",
      "--epochs", "4", "--evaluate", "false", "--relu0", "0,1", "--runs", "2", "--quiet",
    ]
    let reference = try CommandLineTests.run(arguments + ["--jobs", "2", "--out", "\(dir)/reference.csv"])
    #expect(reference.status == 0, "\(reference.error)")
    let process = Process()
    process.executableURL = CommandLineTests.executable
    process.arguments = arguments + ["--jobs", "1", "--out", "\(dir)/killed.csv"]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    // Kill once the first trial has written two epochs (its checkpoint then holds them).
    for _ in 0..<1200 {
      let text = (try? String(contentsOfFile: "\(dir)/killed.csv", encoding: .utf8)) ?? ""
      if text.split(separator: "\n").count >= 3 { break }
      usleep(25_000)
    }
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    // The kill landed mid-run: the process died of it, with some epochs written and not all.
    #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL, "the run ended before the kill")
    let partial = try SweepCommandTests.rows("\(dir)/killed.csv")
    let complete = try SweepCommandTests.rows("\(dir)/reference.csv")
    #expect(partial.count >= 2 && partial.count < complete.count, "killed after \(partial.count) of \(complete.count) rows")
    #expect(FileManager.default.fileExists(atPath: "\(dir)/killed.csv.checkpoints"))
    let resumed = try CommandLineTests.run(arguments + ["--jobs", "2", "--out", "\(dir)/killed.csv"])
    #expect(resumed.status == 0, "\(resumed.error)")
    // Dropping the unfinished trial's rows is said even under --quiet, and the original is kept.
    #expect(resumed.error.contains("rows of unfinished trials") && resumed.error.contains(".bak"), "\(resumed.error)")
    let backups = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("killed.csv.") && $0.hasSuffix(".bak") }
    #expect(backups.count == 1)
    if let backup = backups.first { #expect(try SweepCommandTests.rows("\(dir)/\(backup)") == partial) }
    #expect(try SweepCommandTests.rows("\(dir)/killed.csv") == SweepCommandTests.rows("\(dir)/reference.csv"))
    #expect(!FileManager.default.fileExists(atPath: "\(dir)/killed.csv.checkpoints"))
  }
}

/// `--train-size N` trains on the first N images only: the same fixed subset for every run.
@Suite struct TrainSizeTests {
  static func column(_ csv: String, _ name: String) -> [String] {
    func fields(_ line: Substring) -> [String] {
      var fields: [String] = [], field = "", quoted = false
      for c in line {
        if c == "\"" { quoted.toggle() } else if c == "," && !quoted { fields.append(field); field = "" } else { field.append(c) }
      }
      return fields + [field]
    }
    let lines = csv.split(separator: "\n").map(fields)
    guard let i = lines.first?.firstIndex(of: name) else { return [] }
    return lines.dropFirst().map { $0.count == lines[0].count ? $0[i] : "?" }
  }

  @Test func aSubsetLimitsThePassAndTooLargeASubsetIsNamed() throws {
    let common = ["bifurcation", "--data", "synthetic", "--widths", "784,8,10", "--format", "fp64", "--batch-size", "32", "--runs", "1", "--quiet", "--out", "-"]
    let small = try CommandLineTests.run(common + ["--train-size", "100"])
    #expect(small.status == 0, "\(small.error)")
    #expect(Self.column(small.output, "batches_examined") == ["4"] && Self.column(small.output, "train_size") == ["100"])
    let large = try CommandLineTests.run(common + ["--train-size", "20000"])
    #expect(Self.column(large.output, "error") == ["--train-size 20000: synthetic's training set has only 10000 images"], "\(large.output)")
  }
}
