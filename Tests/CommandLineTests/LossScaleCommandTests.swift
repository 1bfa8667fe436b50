import Experiments
import Foundation
import Testing

/// `--loss-scale` as users run it: training records the scale of every step and the steps skipped, and
/// the record follows GradScaler's rule; a fixed scale reaches bifurcation runs.
@Suite struct LossScaleCommandTests {
  /// binary16 rounded after every operation, a dynamic scale from 2^24 that backs off and grows every 2
  /// good steps: per epoch the runs of scales cover its 6 steps, the skipped steps are listed, and
  /// replaying the rule (halve after a skip, double after 2 good steps) from the recorded skips gives
  /// the recorded scales.
  @Test func trainingRecordsTheScaleOfEveryStep() throws {
    let dir = SweepCommandTests.directory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let csv = dir + "/t.csv"
    let run = try CommandLineTests.run([
      "train", "--data", "synthetic", "--widths", "784,16,10", "--format", "binary16", "--accumulate", "same", "--batch-size", "32",
      "--max-batches", "6", "--epochs", "3", "--evaluate", "false", "--loss-scale", "dynamic:16777216:2:0.5:2", "--runs", "1",
      "--out", csv, "--quiet",
    ])
    #expect(run.status == 0, "\(run.error)")
    let (columns, rows) = try ResultsFile.read(csv)
    func column(_ name: String) throws -> Int { try #require(columns.firstIndex(of: name), "no column \(name)") }
    // Two columns are named loss_scale: the option (first) and the scale after the epoch (the result, last).
    let (runsAt, skippedAt, skippedSteps) = (try column("loss_scales"), try column("skipped_at"), try column("skipped_steps"))
    let finalScale = try #require(columns.lastIndex(of: "loss_scale"))
    #expect(rows.count == 3)
    var scale = 16777216.0, good = 0, step = 0, skippedBefore = 0
    for row in rows {
      let runs = row[runsAt].split(separator: ";").map { part -> (Double, Int) in
        let pair = part.split(separator: "x")
        return (Double(pair[0])!, Int(pair[1])!)
      }
      let skips = Set(row[skippedAt].split(separator: ";").compactMap { Int($0) })
      #expect(runs.map(\.1).reduce(0, +) == 6, "every step of the epoch has a scale: \(row[runsAt])")
      #expect(Int(row[skippedSteps])! - skippedBefore == skips.count)
      skippedBefore = Int(row[skippedSteps])!
      // The recorded scales, step by step, against the rule replayed from the recorded skips.
      for (recorded, count) in runs {
        for _ in 0..<count {
          #expect(recorded == scale, "step \(step)")
          if skips.contains(step) { scale /= 2; good = 0 } else { good += 1; if good == 2 { scale *= 2; good = 0 } }
          step += 1
        }
      }
      #expect(Double(row[finalScale]) == scale)
    }
    #expect(skippedBefore > 0, "2^24 must overflow binary16 at least once, or the backoff is not exercised")
  }

  /// A fixed scale is accepted by bifurcation runs and recorded; the compared gradients are scaled, the
  /// reported norms are not: on binary64, where a scale of 1024 is exact, the row equals the unscaled one
  /// but for the option itself.
  @Test func bifurcationTakesAFixedScale() throws {
    let dir = SweepCommandTests.directory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let base = ["bifurcation", "--data", "synthetic", "--widths", "784,8,8,10", "--format", "binary64", "--batch-size", "32",
                "--max-batches", "3", "--runs", "2", "--paired", "--all-batches", "--quiet"]
    #expect(try CommandLineTests.run(base + ["--out", dir + "/a.csv"]).status == 0)
    let scaled = try CommandLineTests.run(base + ["--loss-scale", "1024", "--out", dir + "/b.csv"])
    #expect(scaled.status == 0, "\(scaled.error)")
    let (ca, ra) = try ResultsFile.read(dir + "/a.csv"), (cb, rb) = try ResultsFile.read(dir + "/b.csv")
    #expect(ca == cb)
    let skip: Set<String> = ["trial", "grid", "loss_scale", "wall_seconds", "backward_passes"]
    let scaleAt = try #require(cb.firstIndex(of: "loss_scale"))
    #expect(rb.allSatisfy { $0[scaleAt] == "1024" } && ra.allSatisfy { $0[scaleAt] == "1" })
    // Rows are written as trials finish (two at a time): pair them by run.
    let index = try #require(ca.firstIndex(of: "trial_index"))
    for (x, y) in zip(ra.sorted { $0[index] < $1[index] }, rb.sorted { $0[index] < $1[index] }) {
      for (i, name) in ca.enumerated() where !skip.contains(name) { #expect(x[i] == y[i], "\(name): \(x[i]) against \(y[i])") }
    }
  }
}
