import Foundation

/// Combines the results files of the shards of one grid into one, in grid order.
///
/// Refuses files whose headers differ (other experiments or versions) or whose rows come from
/// different grids, and, unless `allowIncomplete`, a set of files that does not hold a finished row
/// for every trial of the grid (the message says how many are missing and which). Duplicate rows of a
/// trial (the same trial in two files) are kept once.
///
/// The inputs' manifests (`RunManifest`) are checked against their rows and combined into the output's,
/// so the merged file still names every build and machine that computed it; `notes` says what did
/// not match, which inputs had no manifest, and rows computed by more than one build.
public enum Merge {
  public static func merge(_ paths: [String], into output: String, allowIncomplete: Bool = false) throws(ResultsError) -> (trials: Int, rows: Int, notes: [String]) {
    guard !paths.isEmpty else { throw ResultsError("merge: no input files") }
    var header: [String]? = nil
    var rows: [[String]] = []
    var gridOf: [String: String] = [:]
    var combined: RunManifest? = nil
    var notes: [String] = []
    var withoutManifest: [String] = []
    for path in paths {
      let (h, r) = try ResultsFile.read(path)
      if let manifest = try RunManifest.load(for: path) {
        notes += manifest.mismatches(header: h, rows: r).map { "\(path): \($0)" }
        if combined == nil { combined = RunManifest(experiment: manifest.experiment, grids: [], sessions: []) }
        for g in manifest.grids where !combined!.grids.contains(g) { combined!.grids.append(g) }
        for session in manifest.sessions where !combined!.sessions.contains(session) { combined!.sessions.append(session) }
      } else {
        withoutManifest.append(path)
      }
      if let header, header != h { throw ResultsError("\(path): its columns differ from \(paths[0])'s (another experiment or version)") }
      header = h
      guard let gi = h.firstIndex(of: "grid") else { throw ResultsError("\(path): not a PrecisionLab results file (no 'grid' column)") }
      for g in Set(r.map { $0[gi] }) { gridOf[g] = gridOf[g] ?? path }
      rows += r
    }
    guard let h = header else { throw ResultsError("merge: no input files") }
    func column(_ c: String) throws(ResultsError) -> Int {
      guard let i = h.firstIndex(of: c) else { throw ResultsError("\(paths[0]): not a complete results file (no '\(c)' column)") }
      return i
    }
    let (ti, ki, fi, si, ei) = (try column("trial_index"), try column("trial"), try column("final"), try column("grid_size"), try column("experiment"))
    if gridOf.count > 1 {
      let list = gridOf.sorted { $0.key < $1.key }.map { "\($0.key) (\($0.value))" }.joined(separator: ", ")
      throw ResultsError("the files come from different grids: \(list); merge only the shards of one sweep")
    }
    let sizes = Set(rows.map { $0[si] })
    guard sizes.count <= 1 else { throw ResultsError("the rows disagree on grid_size (\(sizes.sorted().prefix(3).joined(separator: ", "))); the files were edited or come from different sweeps") }
    let size: Int
    if let text = sizes.first {
      guard let n = Int(text), n >= 0 else { throw ResultsError("grid_size '\(text)' is not a count of trials") }
      size = n
    } else {
      size = 0
    }
    let rowKeys = Experiment.named(rows.first?[ei] ?? "")?.rowColumns.compactMap { h.firstIndex(of: $0) } ?? []
    // Keep each (trial, row key) once, only for trials with a final row.
    let finished = Set(rows.filter { $0[fi] == "1" }.map { $0[ki] })
    var seen = Set<[String]>()
    var merged: [[String]] = []
    for r in rows where finished.contains(r[ki]) {
      let id = [r[ki]] + rowKeys.map { r[$0] }
      if seen.insert(id).inserted { merged.append(r) }
    }
    let present = Set(merged.compactMap { Int($0[ti]) }.filter { $0 >= 0 && $0 < size })
    if present.count < size && !allowIncomplete {
      // The first few missing indices: at most present.count + 10 steps, whatever grid_size claims.
      var shown: [Int] = [], i = 0
      while shown.count < 10 && i < size { if !present.contains(i) { shown.append(i) }; i += 1 }
      let missing = size - present.count
      throw ResultsError("incomplete: \(missing) of \(size) trials have no finished row (trial_index \(shown.map(String.init).joined(separator: ", "))\(missing > 10 ? ", …" : "")); rerun their shards, or pass --allow-incomplete")
    }
    merged.sort { a, b in
      let (x, y) = (Int(a[ti]) ?? 0, Int(b[ti]) ?? 0)
      if x != y { return x < y }
      for k in rowKeys where a[k] != b[k] { return (Double(a[k]) ?? 0) < (Double(b[k]) ?? 0) }
      return false
    }
    let text = ([h] + merged).map(CSV.line).joined()
    let temporary = output + ".partial"
    guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8)), rename(temporary, output) == 0 else {
      try? FileManager.default.removeItem(atPath: temporary)
      throw ResultsError("\(output): cannot be written")
    }
    if let combined {
      if !withoutManifest.isEmpty { notes.append("no manifest beside \(withoutManifest.joined(separator: ", ")): the merged manifest lists only the other files' builds") }
      try combined.save(for: output)
    } else {
      try? FileManager.default.removeItem(atPath: RunManifest.path(for: output))  // none of the inputs had one: no stale one beside the output
    }
    if let c = h.firstIndex(of: "commit") {
      let commits = Set(merged.map { $0[c] })
      if commits.count > 1 { notes.append("the rows were computed by \(commits.count) builds (\(commits.sorted().joined(separator: ", ")))") }
    }
    return (present.count, merged.count, notes)
  }
}
