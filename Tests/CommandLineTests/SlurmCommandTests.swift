import Foundation
import Testing

/// `precisionlab slurm` without a cluster: the array script, run by bash as Slurm would run each task,
/// gives shards whose merge equals a single-machine run; a failed or stopped shard is reported and
/// blocks the merge with a message naming it; bad input is one line and a non-zero exit.
@Suite struct SlurmCommandTests {
  static let sweep = [
    "--data", "synthetic", "--widths", "784,8,10", "--format", "bf16,fp32", "--batch-size", "32", "--max-batches", "3", "--runs", "3",
  ]

  /// Runs task `k` of the folder's array script as sbatch would: bash, with the array variables set.
  static func runTask(_ folder: String, _ k: Int, extra: [String: String] = [:]) throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/bash")
    process.arguments = ["\(folder)/array.sbatch"]
    process.environment = ProcessInfo.processInfo.environment.merging(["SLURM_ARRAY_TASK_ID": "\(k)", "SLURM_CPUS_PER_TASK": "1"].merging(extra) { $1 }) { $1 }
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    return process.terminationStatus
  }

  /// A results CSV's lines without the wall time, in file order (quoted fields such as widths hold
  /// commas: split as CSV).
  static func lines(_ path: String) throws -> [String] {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    let rows = text.split(separator: "\n").map { line -> [String] in
      var fields: [String] = [], field = "", quoted = false
      for c in line {
        if c == "\"" { quoted.toggle(); field.append(c) } else if c == "," && !quoted { fields.append(field); field = "" } else { field.append(c) }
      }
      return fields + [field]
    }
    let wall = rows[0].firstIndex(of: "wall_seconds")!
    return rows.map { r in r.enumerated().filter { $0.offset != wall }.map(\.element).joined(separator: ",") }
  }

  @Test func shardsRunByTheScriptMergeToTheSingleMachineResult() throws {
    let dir = SweepCommandTests.directory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let folder = "\(dir)/results"
    let dry = try CommandLineTests.run(["slurm", "submit", "bifurcation", "--array", "4", "--results", folder, "--time", "1:00:00", "--partition", "short", "--prologue", "export PL_PROLOGUE=1", "--dry-run"] + Self.sweep)
    #expect(dry.status == 0, "\(dry.error)")
    #expect(dry.output.contains("#SBATCH --array=1-4\n") && dry.output.contains("#SBATCH --time=1:00:00\n") && dry.output.contains("#SBATCH --partition=short\n"))
    #expect(dry.output.contains("export PL_PROLOGUE=1") && dry.output.contains("slurm merge"))
    #expect(!FileManager.default.fileExists(atPath: folder), "a dry run writes nothing")

    // Write the folder as submit does (sbatch is not needed for that part: a missing sbatch fails after it).
    let submitted = try CommandLineTests.run(["slurm", "submit", "bifurcation", "--array", "4", "--results", folder] + Self.sweep, environment: ["PATH": "/nonexistent"])
    #expect(submitted.status == 69, "\(submitted.error)")
    #expect(submitted.error.contains("sbatch not found"))
    for k in 1...4 { #expect(try Self.runTask(folder, k) == 0) }

    // Status from the files alone (no squeue here): every shard done.
    let status = try CommandLineTests.run(["slurm", "status", folder], environment: ["PATH": "/nonexistent"])
    #expect(status.status == 0)
    #expect(status.output.contains("4 done; 6 of 6 trials finished"), "\(status.output)")

    let merged = try CommandLineTests.run(["slurm", "merge", folder])
    #expect(merged.status == 0, "\(merged.error)")
    #expect(merged.output.contains("| bfloat16 | binary32   | 3    |"), "\(merged.output)")
    // Run from a folder in no git repository: every column but the wall time still matches the tasks'
    // rows, the commit included (it is the build's, wherever the command runs).
    let local = try CommandLineTests.run(["bifurcation"] + Self.sweep + ["--jobs", "2", "--out", "\(dir)/local.csv"], directory: dir)
    #expect(local.status == 0)
    // The single-machine file in grid order, as merge writes it, equals the merged shards line for line.
    let ordered = try CommandLineTests.run(["merge", "\(dir)/local.csv", "-o", "\(dir)/local-ordered.csv"])
    #expect(ordered.status == 0)
    #expect(try Self.lines("\(folder)/merged.csv") == Self.lines("\(dir)/local-ordered.csv"))
    #expect(try FirstRunTests.isTheBuildsCommit(FirstRunTests.column("commit", of: "\(folder)/merged.csv")))
    #expect(FileManager.default.fileExists(atPath: "\(folder)/summary.md") && FileManager.default.fileExists(atPath: "\(folder)/summary.svg"))
    // The merged manifest holds the four tasks' sessions.
    let manifest = try String(contentsOfFile: "\(folder)/merged.csv.json", encoding: .utf8)
    #expect(manifest.components(separatedBy: "\"shard\" : \"").count == 5, "\(manifest)")
  }

  @Test func failedAndStoppedShardsAreReportedAndBlockTheMerge() throws {
    let dir = SweepCommandTests.directory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let folder = "\(dir)/results"
    _ = try CommandLineTests.run(["slurm", "submit", "bifurcation", "--array", "3", "--results", folder, "--prologue", "[ \"$SLURM_ARRAY_TASK_ID\" != 2 ] || exit 7"] + Self.sweep, environment: ["PATH": "/nonexistent"])
    #expect(try Self.runTask(folder, 1) == 0)
    #expect(try Self.runTask(folder, 2) == 7)  // the prologue fails: the task fails before running anything
    #expect(try Self.runTask(folder, 3) == 0)
    // Shard 3 stopped halfway (preempted): keep its header and first row only.
    let path = "\(folder)/shards/shard-3-of-3.csv"
    let kept = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").prefix(2).joined(separator: "\n") + "\n"
    try kept.write(toFile: path, atomically: true, encoding: .utf8)
    try FileManager.default.removeItem(atPath: "\(folder)/status/shard-3.exit")

    let status = try CommandLineTests.run(["slurm", "status", folder], environment: ["PATH": "/nonexistent"])
    let lines = status.output.split(separator: "\n").map(String.init)
    #expect(lines.contains { $0.hasPrefix("1/3") && $0.contains("done") })
    #expect(lines.contains { $0.hasPrefix("2/3") && $0.contains("failed") && $0.contains("exit status 7") }, "\(status.output)")
    #expect(lines.contains { $0.hasPrefix("3/3") && $0.contains("1/2") && $0.contains("incomplete") }, "\(status.output)")
    #expect(status.output.contains("resubmit \(folder) --shards 2,3"))

    let refused = try CommandLineTests.run(["slurm", "merge", folder])
    #expect(refused.status == 65)
    #expect(refused.error.split(separator: "\n").count == 1)
    #expect(refused.error.contains("2 of 3 shards incomplete") && refused.error.contains("shard 2/3 has no results file") && refused.error.contains("shard 3/3 has 1 of 2 trials"), "\(refused.error)")
    #expect(!FileManager.default.fileExists(atPath: "\(folder)/merged.csv"))

    // Rerun by hand as resubmit would: shard 3 resumes from its row, shard 2 runs once the cause is gone.
    #expect(try Self.runTask(folder, 3) == 0)
    let array = try String(contentsOfFile: "\(folder)/array.sbatch", encoding: .utf8)
    try array.replacingOccurrences(of: "|| exit 7", with: "|| true").write(toFile: "\(folder)/array.sbatch", atomically: true, encoding: .utf8)
    #expect(try Self.runTask(folder, 2) == 0)
    let merged = try CommandLineTests.run(["slurm", "merge", folder])
    #expect(merged.status == 0, "\(merged.error)")
    let local = try CommandLineTests.run(["bifurcation"] + Self.sweep + ["--jobs", "2", "--out", "\(dir)/local.csv"])
    #expect(local.status == 0)
    _ = try CommandLineTests.run(["merge", "\(dir)/local.csv", "-o", "\(dir)/local-ordered.csv"])
    #expect(try Self.lines("\(folder)/merged.csv") == Self.lines("\(dir)/local-ordered.csv"))

    // Another grid's file in a shard's place is refused, not merged.
    let other = try CommandLineTests.run(["bifurcation", "--data", "synthetic", "--widths", "784,8,10", "--format", "fp32", "--max-batches", "1", "--out", "\(dir)/other.csv"])
    #expect(other.status == 0)
    try FileManager.default.removeItem(atPath: "\(folder)/shards/shard-1-of-3.csv")
    try FileManager.default.copyItem(atPath: "\(dir)/other.csv", toPath: "\(folder)/shards/shard-1-of-3.csv")
    let mismatched = try CommandLineTests.run(["slurm", "merge", folder])
    #expect(mismatched.status == 65 && mismatched.error.contains("rows of another grid"), "\(mismatched.error)")
  }

  @Test func badInputIsOneLineAndNonZero() throws {
    let dir = SweepCommandTests.directory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let cases: [([String], Int32, String)] = [
      (["slurm", "submit", "bifurcation", "--array", "0", "--dry-run"], 64, "--array must be at least 1"),
      (["slurm", "submit", "bifurcation", "--array", "5", "--runs", "2", "--dry-run", "--data", "synthetic"], 64, "the grid has only 2 trials"),
      (["slurm", "submit", "bifurcation", "--array", "2", "--time", "1h", "--dry-run"], 64, "--time '1h': not a Slurm time limit"),
      (["slurm", "submit", "bifurcation", "--array", "2", "--mem", "lots", "--dry-run"], 64, "--mem 'lots'"),
      (["slurm", "submit", "nonsense", "--array", "2", "--dry-run"], 64, "neither an experiment"),
      (["slurm", "submit", "bifurcation", "--array", "2", "--format", "fp7", "--dry-run"], 64, "--format"),
      (["slurm", "submit", "bifurcation", "--array", "2", "--runs", "2", "--results", "\(dir)/with space", "--dry-run"], 64, "cannot contain spaces"),
      (["slurm", "status", dir], 65, "not a PrecisionLab Slurm results folder"),
      (["slurm", "merge", "\(dir)/missing"], 65, "not a PrecisionLab Slurm results folder"),
    ]
    for (arguments, status, message) in cases {
      let r = try CommandLineTests.run(arguments, environment: ["PATH": "/nonexistent"])
      #expect(r.status == status, "\(arguments): \(r.status) \(r.error)")
      #expect(r.error.contains(message), "\(arguments): \(r.error)")
      #expect(r.error.split(separator: "\n").count == 1, "\(arguments): \(r.error)")
    }
  }
}
