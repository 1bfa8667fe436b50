import Foundation
import Testing
import TestSupport

/// A new user's first contact: README's main job on a fresh clone computes (nothing is "already
/// done"), leaves `git status` clean, and records the commit of the code that computed; every row
/// names the build that computed it wherever the command runs; committed results are left alone.
@Suite struct FirstRunTests {
  static let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

  /// Runs a program to its end in `directory`, its output and error joined.
  static func shell(_ arguments: [String], in directory: String, environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
  }

  static func git(_ arguments: [String], in directory: String) throws -> String {
    let r = try shell(["git", "-c", "user.name=test", "-c", "user.email=test@example.org"] + arguments, in: directory)
    #expect(r.status == 0, "git \(arguments.joined(separator: " ")): \(r.output)")
    return r.output.trimmingCharacters(in: .whitespacesAndNewlines)
  }

  /// The commit the executable under test may record, from git itself: the package's HEAD (12 hex
  /// digits), with "-dirty" when its compiled sources differed at build time (which git cannot say
  /// now, after the build; in CI the tree is clean throughout).
  static func expectedCommits() throws -> Set<String> {
    let head = String(try git(["rev-parse", "HEAD"], in: package).prefix(12))
    return [head, head + "-dirty"]
  }

  /// Whether every value is one commit the executable may record.
  static func isTheBuildsCommit(_ values: [String]) throws -> Bool {
    let allowed = try expectedCommits()
    return Set(values).count == 1 && allowed.contains(values[0])
  }

  /// The values of `column` in a results CSV (fields split as CSV: widths hold commas).
  static func column(_ name: String, of path: String) throws -> [String] {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    let rows = text.split(separator: "\n").map { line -> [String] in
      var fields: [String] = [], field = "", quoted = false
      for c in line {
        if c == "\"" { quoted.toggle() } else if c == "," && !quoted { fields.append(field); field = "" } else { field.append(c) }
      }
      return fields + [field]
    }
    let i = try #require(rows.first?.firstIndex(of: name), "no column \(name) in \(path)")
    return rows.dropFirst().map { $0[i] }
  }

  static let small = ["bifurcation", "--data", "synthetic", "--widths", "784,8,10", "--max-batches", "2", "--runs", "2", "--quiet"]

  @Test(.enabled(if: Integration.runs(Integration.sharedMNIST != nil), Comment(rawValue: Integration.noMNIST)))
  func mainJobOnAFreshCloneComputesAndLeavesTheCloneClean() throws {
    let mnist = try #require(Integration.sharedMNIST, Comment(rawValue: Integration.noMNIST))
    let dir = SweepCommandTests.directory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    _ = try Self.git(["clone", "-q", Self.package, "\(dir)/clone"], in: dir)
    let clone = "\(dir)/clone"
    let head = try Self.git(["rev-parse", "HEAD"], in: clone)
    // README's main job, `make study`, with this build's executable (-o release: not rebuilt) and one
    // draw per format over its first two batches (a debug build is slow).
    let r = try Self.shell(
      ["make", "-o", "release", "study", "PRECISIONLAB=\(CommandLineTests.executable.path)",
       "STUDY_DATA_DIR=\((mnist as NSString).deletingLastPathComponent)", "STUDY_OPTIONS=--runs 1 --max-batches 2"], in: clone)
    #expect(r.status == 0, "\(r.output)")
    #expect(r.output.contains("4 trials, 0 already done"), "the main job computed nothing: \(r.output)")
    #expect(r.output.contains("| binary32 ") && r.output.contains(".463, .478, .488"), "no table with the paper beside it: \(r.output)")
    let runs = try FileManager.default.contentsOfDirectory(atPath: "\(clone)/runs").filter { $0.hasPrefix("default-study-") }
    try #require(runs.count == 1, "\(runs)")
    let csv = "\(clone)/runs/\(runs[0])/bifurcation.csv"
    #expect(try Self.column("final", of: csv) == ["1", "1", "1", "1"])
    #expect(FileManager.default.fileExists(atPath: csv + ".json") && FileManager.default.fileExists(atPath: "\(clone)/runs/\(runs[0])/bifurcation.md"))
    #expect(try Self.git(["status", "--porcelain"], in: clone) == "", "the main job changed the clone")
    // The rows name the commit of the code that computed them: the build's (this checkout's HEAD, which
    // the clone's equals).
    let recorded = try Self.column("commit", of: csv)
    #expect(try Self.isTheBuildsCommit(recorded), "\(recorded)")
    #expect(recorded.first?.hasPrefix(String(head.prefix(12))) == true)
  }

  /// The build stamp names the commit and the dirty state, follows edits and commits, and is rewritten
  /// only when it changes (so an unchanged tree recompiles nothing).
  @Test func buildStampNamesTheCommit() throws {
    let dir = SweepCommandTests.directory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let pkg = "\(dir)/pkg", out = "\(dir)/generated/BuildStamp.swift"
    try FileManager.default.createDirectory(atPath: "\(pkg)/Sources", withIntermediateDirectories: true)
    try "// swift-tools-version:6.0\n".write(toFile: "\(pkg)/Package.swift", atomically: true, encoding: .utf8)
    try "let x = 1\n".write(toFile: "\(pkg)/Sources/x.swift", atomically: true, encoding: .utf8)
    _ = try Self.git(["init", "-q"], in: pkg)
    _ = try Self.git(["add", "."], in: pkg)
    _ = try Self.git(["commit", "-q", "-m", "one"], in: pkg)
    let script = "\(Self.package)/scripts/build-stamp.sh"
    func stamp() throws -> (commit: Bool, dirty: String, modified: Date) {
      let r = try Self.shell(["/bin/sh", script, pkg, out], in: dir)
      #expect(r.status == 0, "\(r.output)")
      let text = try String(contentsOfFile: out, encoding: .utf8)
      let head = try Self.git(["rev-parse", "HEAD"], in: pkg)
      let dirty = text.contains("static let dirty = \"true\"") ? "true" : text.contains("static let dirty = \"false\"") ? "false" : "?"
      let modified = try FileManager.default.attributesOfItem(atPath: out)[.modificationDate] as! Date
      return (text.contains("static let commit = \"\(head)\""), dirty, modified)
    }
    let first = try stamp()
    #expect(first.commit && first.dirty == "false")
    Thread.sleep(forTimeInterval: 0.01)
    #expect(try stamp().modified == first.modified, "an unchanged stamp was rewritten")
    try "let x = 2\n".write(toFile: "\(pkg)/Sources/x.swift", atomically: true, encoding: .utf8)
    let edited = try stamp()
    #expect(edited.commit && edited.dirty == "true")
    _ = try Self.git(["commit", "-q", "-am", "two"], in: pkg)
    let second = try stamp()
    #expect(second.commit && second.dirty == "false")
  }

  @Test func rowsNameTheBuildWhereverTheCommandRuns() throws {
    let dir = SweepCommandTests.directory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    // Inside an unrelated repository with a commit of its own.
    let other = "\(dir)/other"
    try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
    _ = try Self.git(["init", "-q"], in: other)
    try "x\n".write(toFile: "\(other)/file", atomically: true, encoding: .utf8)
    _ = try Self.git(["add", "file"], in: other)
    _ = try Self.git(["commit", "-q", "-m", "scratch"], in: other)
    let scratch = try Self.git(["rev-parse", "HEAD"], in: other)
    let inside = try CommandLineTests.run(Self.small + ["--out", "r.csv"], directory: other)
    #expect(inside.status == 0, "\(inside.error)")
    let recorded = try Self.column("commit", of: "\(other)/r.csv")
    #expect(try Self.isTheBuildsCommit(recorded), "\(recorded)")
    #expect(recorded.first?.hasPrefix(String(scratch.prefix(12))) == false)
    let expected = recorded.first ?? ""
    // Outside any repository.
    let outside = "\(dir)/plain"
    try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
    let plain = try CommandLineTests.run(Self.small + ["--out", "r.csv"], directory: outside)
    #expect(plain.status == 0, "\(plain.error)")
    #expect(try Self.column("commit", of: "\(outside)/r.csv") == [expected, expected])
    // The manifest beside the CSV names the same build, and summarize says which.
    let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(outside)/r.csv.json"))) as? [String: Any])
    let sessions = try #require(manifest["sessions"] as? [[String: Any]])
    #expect(sessions.count == 1 && sessions[0]["commit"] as? String == expected && sessions[0]["outcome"] as? String == "finished")
    #expect((sessions[0]["instructionSet"] as? String).map { ["avx512f", "avx2+fma", "portable C"].contains($0) } == true)
    let summary = try CommandLineTests.run(["summarize", "\(outside)/r.csv"])
    #expect(summary.status == 0 && summary.error.contains("computed by precisionlab") && summary.error.contains(expected), "\(summary.error)")
  }

  @Test func defaultOutputIsANewRunDirectoryAndCommittedResultsAreLeftAlone() throws {
    let dir = SweepCommandTests.directory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    // A project whose sweep file names a committed results file.
    let project = "\(dir)/project"
    try FileManager.default.createDirectory(atPath: "\(project)/results", withIntermediateDirectories: true)
    _ = try Self.git(["init", "-q"], in: project)
    let reference = try CommandLineTests.run(Self.small + ["--out", "\(project)/results/ref.csv"])
    #expect(reference.status == 0, "\(reference.error)")
    try "results/*.json\n".write(toFile: "\(project)/.gitignore", atomically: true, encoding: .utf8)
    try "experiment: bifurcation\nruns: 2\nout: results/ref.csv\ngrid:\n  data: synthetic\n  widths: \"784,8,10\"\n  max-batches: 2\n"
      .write(toFile: "\(project)/sweep.yaml", atomically: true, encoding: .utf8)
    _ = try Self.git(["add", "."], in: project)
    _ = try Self.git(["commit", "-q", "-m", "reference"], in: project)
    let committed = try Data(contentsOf: URL(fileURLWithPath: "\(project)/results/ref.csv"))
    let run = try CommandLineTests.run(["sweep", "sweep.yaml"], directory: project)
    #expect(run.status == 0, "\(run.error)")
    #expect(run.error.contains("results/ref.csv is a committed reference result"), "\(run.error)")
    #expect(run.error.contains("2 trials, 0 already done"), "\(run.error)")
    #expect(try Data(contentsOf: URL(fileURLWithPath: "\(project)/results/ref.csv")) == committed)
    #expect(try Self.git(["status", "--porcelain"], in: project) == "?? runs/")
    let made = try FileManager.default.contentsOfDirectory(atPath: "\(project)/runs")
    #expect(made.count == 1 && made[0].hasPrefix("sweep-"), "\(made)")
    #expect(run.output.contains("Files: runs/\(made[0])/ (ref.csv, ref.csv.json, ref.md, ref.svg)"), "\(run.output)")
    // Naming the committed file extends it (here: nothing left to do); a table that would replace a
    // committed one is refused unless the results are named.
    let extend = try CommandLineTests.run(["sweep", "sweep.yaml", "--out", "results/ref.csv"], directory: project)
    #expect(extend.status == 0 && extend.error.contains("2 already done"), "\(extend.error)")
    try "| table |\n".write(toFile: "\(project)/results/ref.md", atomically: true, encoding: .utf8)
    _ = try Self.git(["add", "results/ref.md"], in: project)
    let table = try CommandLineTests.run(["sweep", "sweep.yaml", "--table", "results/ref.md"], directory: project)
    #expect(table.status == 64 && table.error.contains("--table results/ref.md is tracked by git"), "\(table.error)")
    // An experiment command without --out also gets a run directory; --out - is standard output.
    let plain = try CommandLineTests.run(Self.small, directory: project)
    #expect(plain.status == 0 && plain.output.contains("Files: runs/bifurcation-"), "\(plain.output)")
    let piped = try CommandLineTests.run(Self.small + ["--out", "-"], directory: project)
    #expect(piped.status == 0 && piped.output.hasPrefix("experiment,trial,grid,") && piped.output.split(separator: "\n").count == 3, "\(piped.output)")
  }

  @Test func jobsDefaultToTheCoresAllowed() throws {
    let arguments = ["bifurcation", "--data", "synthetic", "--widths", "784,8,10", "--max-batches", "2", "--out", "-"]
    let slurm = try CommandLineTests.run(arguments + ["--runs", "5"], environment: ["SLURM_CPUS_PER_TASK": "3"])
    #expect(slurm.error.contains("5 trials, 0 already done, 3 jobs\n"), "\(slurm.error)")
    let one = try CommandLineTests.run(arguments + ["--runs", "2"], environment: ["SLURM_CPUS_PER_TASK": "1"])
    #expect(one.error.contains("2 trials, 0 already done, 1 job\n"), "\(one.error)")
  }
}
