import Experiments
import Foundation
import Testing

/// The Slurm pieces that need no cluster: reading the tools' output (recorded from Slurm 22.05 on
/// this machine), checking scheduling options, the frozen grid, and the scripts' shell syntax.
@Suite struct SlurmTests {
  @Test func taskIDsInSlurmNotation() {
    #expect(SlurmClient.taskIDs("3") == [3])
    #expect(SlurmClient.taskIDs("1-4") == [1, 2, 3, 4])
    #expect(SlurmClient.taskIDs("1,3,5-7") == [1, 3, 5, 6, 7])
    #expect(SlurmClient.taskIDs("2-8%2") == [2, 3, 4, 5, 6, 7, 8])
    #expect(SlurmClient.taskIDs("N/A") == [0])
  }

  @Test func queueAccountingAndControlOutput() {
    // squeue -h -r -j 13 -o '%K|%T|%r', a moment after submission.
    let queue = SlurmClient.parseQueue("3|PENDING|None\n4|PENDING|Resources\n1|RUNNING|None\n")
    #expect(queue[1]?.state == "RUNNING" && queue[4]?.detail == "Resources" && queue[2] == nil)
    // scontrol -o show job 13, trimmed to the fields read, after task 2 exited with status 3.
    let control = SlurmClient.parseControl("""
      JobId=13 ArrayJobId=13 ArrayTaskId=4 JobName=j2.sh JobState=COMPLETED Reason=None Dependency=(null) ExitCode=0:0
      JobId=15 ArrayJobId=13 ArrayTaskId=2 JobName=j2.sh JobState=FAILED Reason=NonZeroExitCode Dependency=(null) ExitCode=3:0
      JobId=17 ArrayJobId=13 ArrayTaskId=5-8%2 JobName=j2.sh JobState=PENDING Reason=JobArrayTaskLimit Dependency=(null) ExitCode=0:0
      """)
    #expect(control[2] == SlurmClient.TaskState(state: "FAILED", detail: "exit 3:0"))
    #expect(control[4]?.state == "COMPLETED" && control[7] == SlurmClient.TaskState(state: "PENDING", detail: "JobArrayTaskLimit"))
    // sacct -n -P -X -j 13 -o JobID,State,ExitCode (the format sacct documents; accounting is off here).
    let accounting = SlurmClient.parseAccounting("13_1|COMPLETED|0:0\n13_2|TIMEOUT|0:15\n13_3|CANCELLED by 0|0:0\n13_[4-6]|PENDING|0:0\n")
    #expect(accounting[2] == SlurmClient.TaskState(state: "TIMEOUT", detail: "exit 0:15"))
    #expect(accounting[3]?.state == "CANCELLED" && accounting[6]?.state == "PENDING" && accounting[1]?.state == "COMPLETED")
  }

  @Test func schedulingOptionsAreCheckedBeforeSubmitting() {
    for good in ["90", "30:00", "1:30:00", "2-00", "2-12:00", "2-12:00:00", "UNLIMITED"] {
      #expect(SlurmJobSettings(time: good).problem() == nil, "\(good)")
    }
    for bad in ["1h", "1:60", "", "-5", "1:2:3:4"] {
      #expect(SlurmJobSettings(time: bad).problem()?.description.contains("not a Slurm time limit") == true, "\(bad)")
    }
    #expect(SlurmJobSettings(cpusPerTask: 0).problem() != nil)
    #expect(SlurmJobSettings(memory: "4G").problem() == nil && SlurmJobSettings(memory: "4 GB").problem() != nil)
    #expect(SlurmJobSettings(partition: "my queue").problem() != nil)
    #expect(SlurmJobSettings(extraOptions: ["qos=long"]).problem() != nil)
    #expect(SlurmJobSettings(partition: "cpu", time: "10", cpusPerTask: 2, memory: "2G", account: "lab", extraOptions: ["--qos=long"]).sbatchOptions
      == ["--cpus-per-task=2", "--partition=cpu", "--time=10", "--mem=2G", "--account=lab", "--qos=long"])
  }

  @Test func theFrozenGridIsTheSubmittedGrid() throws {
    let grid = try Grid(.bifurcation, values: ["format": ["fp16", "binary32"], "widths": ["784,32,10", "784,16,16,10"], "relu0": ["0,1"]], runs: 3, seeds: [5, 100])
    let dir = SweepTests.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let array = try SlurmArray(grid: grid, shards: 5, precisionlab: "/usr/bin/true", dataDirectory: "/data")
    try array.create(in: dir, grid: grid, settings: SlurmJobSettings(time: "10", prologue: ["module load gcc"]))
    let loaded = try SlurmArray.load(dir)
    #expect(loaded == array)
    let reloaded = try loaded.loadGrid(dir)
    #expect(reloaded.id == grid.id)
    #expect(reloaded.trials().map(\.key) == grid.trials().map(\.key))
    // Paired draws survive the freezing too (their seeds and keys differ from independent ones).
    let paired = try Grid(.bifurcation, values: ["format": ["fp16", "binary32"]], runs: 2, seeds: [5], paired: true)
    let pairedDir = dir + "/paired"
    try SlurmArray(grid: paired, shards: 2, precisionlab: "/usr/bin/true", dataDirectory: "/data").create(in: pairedDir, grid: paired, settings: SlurmJobSettings())
    let thawed = try SlurmArray.load(pairedDir).loadGrid(pairedDir)
    #expect(thawed.paired && thawed.id == paired.id && thawed.trials().map(\.seed) == [5, 6, 5, 6])
    // A second submit into the same folder is refused, naming what to do instead.
    #expect(throws: ClusterError.self) { try array.create(in: dir, grid: grid, settings: SlurmJobSettings()) }
    // More shards than trials is refused.
    #expect(throws: ParameterError.self) { _ = try SlurmArray(grid: grid, shards: grid.count + 1, precisionlab: "/x", dataDirectory: "/d") }
    // Both scripts are valid bash (bash -n parses without running).
    for script in [SlurmArray.arrayScriptPath(dir), SlurmArray.mergeScriptPath(dir)] {
      let process = Process()
      process.executableURL = URL(fileURLWithPath: "/bin/bash")
      process.arguments = ["-n", script]
      try process.run()
      process.waitUntilExit()
      #expect(process.terminationStatus == 0, "\(script)")
    }
    let text = try String(contentsOfFile: SlurmArray.arrayScriptPath(dir), encoding: .utf8)
    #expect(text.contains("#SBATCH --array=1-5\n") && text.contains("#SBATCH --time=10\n") && text.contains("module load gcc"))
    #expect(text.contains("--shard \"$k/5\""))
  }
}
