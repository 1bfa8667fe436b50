import Foundation

/// How far each shard of a Slurm array has got, read from the folder's files alone: the trials each
/// shard must run (from the frozen grid), the trials its CSV holds a final row for, and the exit
/// status its task wrote when it last ended.
public struct ShardProgress: Sendable, Equatable {
  public var shard: Int
  public var expected: Int
  /// Trials of this shard with a final row in its CSV.
  public var finished: Int
  /// Final rows that carry an error (the trial ran and failed; it is not rerun).
  public var errors: Int
  public var fileExists: Bool
  /// The exit status the task wrote when it last ended, if it did.
  public var exitStatus: Int32?
  /// Why the shard's file cannot be used, if it cannot (another grid's rows, another header).
  public var problem: String?

  public var complete: Bool { problem == nil && finished == expected }

  /// Reads every shard's file of the folder.
  public static func read(_ folder: String, _ array: SlurmArray, _ grid: Grid) -> [ShardProgress] {
    (1...array.shards).map { k in
      let keys = Set(grid.trials(shard: (k, array.shards)).map(\.key))
      let path = array.shardPath(folder, k)
      var progress = ShardProgress(shard: k, expected: keys.count, finished: 0, errors: 0, fileExists: FileManager.default.fileExists(atPath: path))
      if let text = try? String(contentsOfFile: SlurmArray.exitPath(folder, k), encoding: .utf8) {
        progress.exitStatus = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
      }
      guard progress.fileExists else { return progress }
      do {
        let (header, rows) = try ResultsFile.read(path)
        guard header == grid.experiment.header else {
          progress.problem = "\(path): its columns are not this grid's experiment's"
          return progress
        }
        let (ki, fi, gi, ei) = (header.firstIndex(of: "trial")!, header.firstIndex(of: "final")!, header.firstIndex(of: "grid")!, header.firstIndex(of: "error")!)
        if let other = rows.first(where: { $0[gi] != array.grid }) {
          progress.problem = "\(path): holds rows of another grid (\(other[gi]))"
          return progress
        }
        let finals = rows.filter { $0[fi] == "1" && keys.contains($0[ki]) }
        progress.finished = Set(finals.map { $0[ki] }).count
        progress.errors = Set(finals.filter { !$0[ei].isEmpty }.map { $0[ki] }).count
      } catch {
        progress.problem = "\(error)"
      }
      return progress
    }
  }

  /// Merges the folder's shards into `merged.csv` (or `output`), refusing an incomplete or mismatched
  /// set with a message that names every shard short of its trials and how to rerun them. The merged
  /// file is in grid order, as `precisionlab merge` writes it, so it equals a single-machine run of
  /// the same grid apart from the wall times.
  public static func merge(_ folder: String, into output: String? = nil) throws(ClusterError) -> (trials: Int, rows: Int, path: String) {
    let array = try SlurmArray.load(folder)
    let grid = try array.loadGrid(folder)
    let progress = read(folder, array, grid)
    let short = progress.filter { !$0.complete }
    if !short.isEmpty {
      let list = short.map { p in
        p.problem ?? (p.fileExists ? "shard \(p.shard)/\(array.shards) has \(p.finished) of \(p.expected) trials" : "shard \(p.shard)/\(array.shards) has no results file")
      }
      let shards = short.map { String($0.shard) }.joined(separator: ",")
      throw ClusterError("cannot merge \(folder): \(short.count) of \(array.shards) shards incomplete: \(list.joined(separator: "; ")); rerun them with 'precisionlab slurm resubmit \(folder) --shards \(shards)'")
    }
    let path = output ?? SlurmArray.mergedPath(folder)
    let (trials, rows): (Int, Int)
    let notes: [String]
    do { (trials, rows, notes) = try Merge.merge((1...array.shards).map { array.shardPath(folder, $0) }, into: path) } catch { throw ClusterError(error.description) }
    for note in notes { FileHandle.standardError.write(Data("precisionlab: \(note)\n".utf8)) }
    guard trials == array.trials else {
      throw ClusterError("\(path): merged \(trials) trials, but the grid has \(array.trials)")
    }
    return (trials, rows, path)
  }
}
