import Foundation
import Testing
import TestSupport

/// `precisionlab slurm` on a real Slurm cluster started on this machine (munged, slurmctld, slurmd
/// from Debian's packages, by scripts/slurm-local-cluster.sh): a 4-task array where one task fails,
/// status and merge refuse to pretend otherwise, the failed task is resubmitted alone, and the merged
/// CSV equals the same sweep run on one machine. Skipped, saying why, where Slurm cannot run (no root,
/// packages missing); every daemon started is stopped by pid, whatever happens.
@Suite(.serialized) struct SlurmClusterTests {
  static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("scripts/slurm-local-cluster.sh").path

  /// Why Slurm cannot run here, or nil.
  static let unavailable: String? = {
    if getuid() != 0 { return "not root: a local Slurm cluster (munged, slurmd) needs root" }
    for tool in ["munged", "slurmctld", "slurmd"] where !FileManager.default.isExecutableFile(atPath: "/usr/sbin/\(tool)") {
      return "/usr/sbin/\(tool) is missing: install Debian's slurm-wlm and munge (make test does, as root)"
    }
    for tool in ["sbatch", "squeue", "sinfo"] where !FileManager.default.isExecutableFile(atPath: "/usr/bin/\(tool)") {
      return "/usr/bin/\(tool) is missing: install Debian's slurm-wlm"
    }
    return nil
  }()

  /// Runs a bash script to its end with posix_spawn and waitpid, its output in a file. (Foundation's
  /// Process was seen to wait forever here for a script whose children become daemons.)
  static func shell(_ arguments: [String]) throws -> (status: Int32, output: String) {
    let log = NSTemporaryDirectory() + "precisionlab-shell-\(UUID().uuidString).log"
    defer { try? FileManager.default.removeItem(atPath: log) }
    let argv = ["/bin/bash"] + arguments
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    var cArguments = argv.map { strdup($0) } + [nil]
    defer { cArguments.forEach { free($0) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, "/bin/bash", &actions, nil, &cArguments, environ)
    guard spawned == 0 else { return (127, "posix_spawn failed: \(spawned)") }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
    return ((status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f), output)
  }

  @Test(.enabled(if: Integration.runs(unavailable == nil), Comment(rawValue: unavailable ?? "")))
  func arrayOnALocalClusterEqualsTheSingleMachineRun() throws {
    try #require(Self.unavailable == nil, Comment(rawValue: Self.unavailable ?? ""))
    let dir = SweepCommandTests.directory()
    let cluster = "\(dir)/cluster", folder = "\(dir)/results"
    let started = try Self.shell([Self.script, "start", cluster])
    defer {
      _ = try? Self.shell([Self.script, "stop", cluster])
      try? FileManager.default.removeItem(atPath: dir)
    }
    try #require(started.status == 0, "the local cluster did not start: \(started.output)")
    let env = ["SLURM_CONF": "\(cluster)/slurm.conf"]
    let sweep = SlurmCommandTests.sweep + ["--runs", "4"]  // 8 trials, 2 per task

    // Task 3 fails until the file 'allow' exists (a node problem, say).
    let submit = try CommandLineTests.run(
      ["slurm", "submit", "bifurcation", "--array", "4", "--results", folder, "--time", "10", "--cpus-per-task", "1",
       "--prologue", "[ \"$SLURM_ARRAY_TASK_ID\" != 3 ] || [ -e \(folder)/allow ] || exit 3"] + sweep, environment: env)
    try #require(submit.status == 0, "\(submit.error)")
    let job = submit.output.trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(!job.isEmpty && job.allSatisfy(\.isNumber), "sbatch's job id: '\(job)'")

    let first = try CommandLineTests.run(["slurm", "status", job, "--wait", "--interval", "0.5", "--timeout", "300"], environment: env)
    #expect(first.status == 1, "\(first.output)\(first.error)")
    #expect(first.output.contains("3 done, 1 failed"), "\(first.output)")
    #expect(first.output.split(separator: "\n").contains { $0.hasPrefix("3/4") && $0.contains("FAILED") }, "\(first.output)")
    #expect(first.output.contains("CANCELLED"), "the merge job is cancelled once the array failed: \(first.output)")
    let refused = try CommandLineTests.run(["slurm", "merge", folder], environment: env)
    #expect(refused.status == 65 && refused.error.contains("shard 3/4 has no results file"), "\(refused.error)")

    // Resubmit only what failed, with a new time limit; it and a new merge job run.
    _ = FileManager.default.createFile(atPath: "\(folder)/allow", contents: nil)
    let again = try CommandLineTests.run(["slurm", "resubmit", folder, "--time", "5"], environment: env)
    #expect(again.status == 0, "\(again.error)")
    #expect(again.error.contains("resubmitted shards 3 of 4"), "\(again.error)")
    let second = try CommandLineTests.run(["slurm", "status", folder, "--wait", "--interval", "0.5", "--timeout", "300"], environment: env)
    #expect(second.status == 0, "\(second.output)\(second.error)")
    #expect(second.output.contains("4 done; 8 of 8 trials finished") && second.output.contains("merged:"), "\(second.output)")
    let log = (try? String(contentsOfFile: "\(folder)/logs/shard-3.out", encoding: .utf8)) ?? ""
    #expect(log.components(separatedBy: "ended with status 0").count == 2, "the rerun's log is appended to: \(log)")

    // The merged CSV equals the single-machine run of the same grid, line for line but the wall time.
    let local = try CommandLineTests.run(["bifurcation"] + sweep + ["--jobs", "2", "--out", "\(dir)/local.csv"])
    #expect(local.status == 0)
    _ = try CommandLineTests.run(["merge", "\(dir)/local.csv", "-o", "\(dir)/local-ordered.csv"])
    #expect(try SlurmCommandTests.lines("\(folder)/merged.csv") == SlurmCommandTests.lines("\(dir)/local-ordered.csv"))
  }
}
