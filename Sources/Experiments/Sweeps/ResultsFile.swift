import Foundation

/// A results CSV that a sweep appends to, one whole row per write, and resumes from.
///
/// Opening an existing file checks its header against the experiment's (refusing a file of another
/// experiment or version of the columns), drops a torn last line left by a crash, and drops the rows of
/// trials that never wrote their final row (they are recomputed; training restores them from its
/// checkpoint). Both repairs rewrite the file through a temporary file and an atomic rename, so the
/// file is never left half-written.
public final class ResultsFile: @unchecked Sendable {
  public let path: String
  public let header: [String]
  /// Keys of the trials whose final row is in the file.
  public private(set) var finished: Set<String> = []
  /// Rows already in the file (after repairs).
  public private(set) var rowCount = 0
  /// What opening repaired, for the log: a torn line, rows of unfinished trials.
  public private(set) var repairs: [String] = []
  private let handle: FileHandle
  private let lock = NSLock()

  public init(path: String, header: [String]) throws(ResultsError) {
    self.path = path
    self.header = header
    let manager = FileManager.default
    if manager.fileExists(atPath: path) {
      guard let data = manager.contents(atPath: path) else { throw ResultsError("\(path): cannot be read") }
      let text = String(decoding: data, as: UTF8.self)
      let (records, torn, goodLength) = CSV.parse(text)
      if records.isEmpty && !torn {
        // An empty file: write the header below.
      } else {
        guard let first = records.first, first == header else {
          let found = records.first.map { $0.prefix(4).joined(separator: ",") } ?? "a torn line"
          throw ResultsError("\(path): its header (\(found), …) is not this experiment's (\(header.prefix(4).joined(separator: ",")), …); choose another --out file")
        }
        let keyIndex = header.firstIndex(of: "trial")!, finalIndex = header.firstIndex(of: "final")!
        var good: [[String]] = []
        var dropped = 0
        for r in records.dropFirst() {
          if r.count == header.count { good.append(r) } else { dropped += 1 }
        }
        let done = Set(good.filter { $0[finalIndex] == "1" }.map { $0[keyIndex] })
        let kept = good.filter { done.contains($0[keyIndex]) }
        if torn { repairs.append("dropped a torn last line (\(data.count - goodLength) bytes)") }
        if dropped > 0 { repairs.append("dropped \(dropped) malformed rows") }
        if kept.count < good.count { repairs.append("dropped \(good.count - kept.count) rows of unfinished trials") }
        if torn || dropped > 0 || kept.count < good.count {
          let temporary = path + ".repair"
          let body = ([header] + kept).map(CSV.line).joined()
          guard manager.createFile(atPath: temporary, contents: Data(body.utf8)), rename(temporary, path) == 0 else {
            throw ResultsError("\(path): cannot rewrite it to drop unfinished rows (is its folder writable?)")
          }
        }
        finished = done
        rowCount = kept.count
      }
      if records.isEmpty && !torn {
        guard let h = FileHandle(forWritingAtPath: path) else { throw ResultsError("\(path): cannot be opened for writing") }
        h.write(Data(CSV.line(header).utf8))
        handle = h
      } else {
        guard let h = FileHandle(forWritingAtPath: path) else { throw ResultsError("\(path): cannot be opened for writing") }
        handle = h
      }
      handle.seekToEndOfFile()
    } else {
      let folder = (path as NSString).deletingLastPathComponent
      if !folder.isEmpty { try? manager.createDirectory(atPath: folder, withIntermediateDirectories: true) }
      guard manager.createFile(atPath: path, contents: Data(CSV.line(header).utf8)), let h = FileHandle(forWritingAtPath: path) else {
        throw ResultsError("\(path): cannot be created (is its folder writable?)")
      }
      handle = h
      handle.seekToEndOfFile()
    }
  }

  deinit { try? handle.close() }

  /// Appends whole rows in one write (they reach the operating system before this returns).
  public func append(_ rows: [[String]]) {
    let text = rows.map(CSV.line).joined()
    lock.lock()
    defer { lock.unlock() }
    handle.write(Data(text.utf8))
    rowCount += rows.count
  }

  /// Reads a results file whole: header and rows (a torn last line is ignored).
  public static func read(_ path: String) throws(ResultsError) -> (header: [String], rows: [[String]]) {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw ResultsError("\(path): \(FileManager.default.fileExists(atPath: path) ? "cannot be read" : "does not exist")")
    }
    let (records, _, _) = CSV.parse(String(decoding: data, as: UTF8.self))
    guard let header = records.first else { throw ResultsError("\(path): empty, no CSV header") }
    let rows = records.dropFirst().filter { $0.count == header.count }
    return (header, Array(rows))
  }
}
