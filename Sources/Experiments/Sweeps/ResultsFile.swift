import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A results CSV that a sweep appends to, one whole row per write, and resumes from.
///
/// One process writes a results file at a time: opening takes an exclusive `flock` on it, held until
/// the `ResultsFile` is released, and a second writer is refused with the first one's process id and
/// command. Rows are appended with `O_APPEND`, each call's rows in one `write`.
///
/// Opening an existing file checks its header against the experiment's (refusing a file of another
/// experiment or version of the columns), drops a torn last line left by a crash, rows with the wrong
/// number of fields, and the rows of trials that never wrote their final row (they are recomputed;
/// training restores them from its checkpoint). Before such a repair the original is copied whole to
/// `<path>.<date>.bak`; `repairs` says what was dropped and where the original is.
///
/// A file written before an option existed lacks that option's column (`legacyColumns`: column → the
/// value its rows were computed with). Opening it adds the column with that value to every row, after
/// the same backup, so a sweep of a later version resumes it; a file lacking any other column, or
/// holding one the header does not, is refused.
public final class ResultsFile: @unchecked Sendable {
  public let path: String
  public let header: [String]
  public let legacyColumns: [String: String]
  /// Keys of the trials whose final row is in the file.
  public private(set) var finished: Set<String> = []
  /// Rows already in the file (after repairs).
  public private(set) var rowCount = 0
  /// What opening repaired: a torn line, malformed rows, rows of unfinished trials, and the backup.
  public private(set) var repairs: [String] = []
  private var descriptor: Int32
  private let lock = NSLock()
  /// The file's length after the last whole write: a failed write is cut back to it.
  private var length: off_t = 0
  /// The first write that failed; every later append is refused with it.
  public private(set) var failure: ResultsError?

  public init(path: String, header: [String], legacyColumns: [String: String] = [:]) throws(ResultsError) {
    self.path = path
    self.header = header
    self.legacyColumns = legacyColumns
    let folder = (path as NSString).deletingLastPathComponent
    if !folder.isEmpty { try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
    let fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw ResultsError("\(path): cannot be opened for writing (\(String(cString: strerror(errno))))") }
    guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
      let holder = Self.lockHolder(fd)
      Glibc.close(fd)
      throw ResultsError("\(path): another process is writing it (\(holder)); wait for it to finish, or choose another --out file")
    }
    var info = stat()
    guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
      Glibc.close(fd)
      throw ResultsError("\(path): not a regular file; results go to a file (a new path, or a results CSV to resume)")
    }
    descriptor = fd
    do throws(ResultsError) {
      try resume()
    } catch {
      Glibc.close(fd)
      descriptor = -1
      throw error
    }
  }

  deinit { close() }

  /// Releases the lock and closes the file (also done when the `ResultsFile` is released; a sweep
  /// calls it when it ends, since worker threads may hold their last reference a little longer).
  /// Appending afterwards is an error said on standard error.
  public func close() {
    lock.lock()
    defer { lock.unlock() }
    if descriptor >= 0 { Glibc.close(descriptor) }
    descriptor = -1
  }

  /// Reads what is there, repairs it (after a backup), writes the header of a new file.
  private func resume() throws(ResultsError) {
    let data = try Self.contents(descriptor, path)
    length = off_t(data.count)
    let (parsed, torn, goodLength) = CSV.parse(String(decoding: data, as: UTF8.self))
    var records = parsed
    if records.isEmpty && !torn {
      try write(CSV.line(header))
      return
    }
    var added: [String] = []
    if let first = records.first, first != header, let upgrade = Self.upgrade(from: first, to: header, legacyColumns) {
      added = header.filter { !first.contains($0) }
      records = [header] + records.dropFirst().map { $0.count == first.count ? upgrade($0) : $0 }
    }
    guard let first = records.first, first == header else {
      let found = records.first.map { $0.prefix(4).joined(separator: ",") } ?? "a torn line"
      throw ResultsError("\(path): its header (\(found), …) is not this experiment's (\(header.prefix(4).joined(separator: ",")), …); choose another --out file")
    }
    guard let keyIndex = header.firstIndex(of: "trial"), let finalIndex = header.firstIndex(of: "final") else {
      throw ResultsError("\(path): the experiment's header has no 'trial' and 'final' columns")
    }
    var good: [[String]] = []
    var malformed = 0
    for r in records.dropFirst() {
      if r.count == header.count { good.append(r) } else { malformed += 1 }
    }
    let done = Set(good.filter { $0[finalIndex] == "1" }.map { $0[keyIndex] })
    let kept = good.filter { done.contains($0[keyIndex]) }
    var dropped: [String] = []
    if torn { dropped.append("a torn last line (\(data.count - goodLength) bytes)") }
    if malformed > 0 { dropped.append("\(malformed) rows with the wrong number of fields") }
    if kept.count < good.count { dropped.append("\(good.count - kept.count) rows of unfinished trials (they are recomputed)") }
    if !dropped.isEmpty || !added.isEmpty {
      let backup = try backUp(data)
      let body = ([header] + kept).map(CSV.line).joined()
      guard ftruncate(descriptor, 0) == 0 else { throw ResultsError("\(path): cannot be rewritten (\(String(cString: strerror(errno)))); the original is in \(backup)") }
      length = 0
      try write(body)
      var said: [String] = []
      if !added.isEmpty {
        let columns = added.map { "\($0) = \(legacyColumns[$0]!)" }.joined(separator: ", ")
        said.append("added the column\(added.count == 1 ? "" : "s") \(columns) to the rows written before \(added.count == 1 ? "it" : "they") existed")
      }
      if !dropped.isEmpty { said.append("dropped \(dropped.joined(separator: ", "))") }
      repairs.append("\(said.joined(separator: "; ")); the original is kept in \(backup)")
    }
    finished = done
    rowCount = kept.count
  }

  /// How a row under `old` becomes one under `new` when `new` only adds columns of `legacyColumns`
  /// (each filled with its value), or nil when the files differ otherwise.
  static func upgrade(from old: [String], to new: [String], _ legacyColumns: [String: String]) -> (([String]) -> [String])? {
    guard Set(old).isSubset(of: new), Set(old).count == old.count else { return nil }
    var sources: [FieldSource] = []
    for column in new {
      if let i = old.firstIndex(of: column) { sources.append(.field(i)) } else if let v = legacyColumns[column] { sources.append(.value(v)) } else { return nil }
    }
    return { row in sources.map { source in
      switch source {
      case .field(let i): return row[i]
      case .value(let v): return v
      }
    } }
  }
  /// Where an upgraded row's field comes from: the old row's field, or a legacy value.
  enum FieldSource { case field(Int), value(String) }

  /// Copies the file's bytes to `<path>.<UTC date and time>.bak` (a new name, never overwriting), flushed to disk.
  private func backUp(_ data: Data) throws(ResultsError) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.dateFormat = "yyyyMMdd'T'HHmmss"
    let stamp = formatter.string(from: Date())
    for attempt in 0..<100 {
      let name = "\(path).\(stamp)\(attempt == 0 ? "" : "-\(attempt)").bak"
      let fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
      if fd < 0 && errno == EEXIST { continue }
      guard fd >= 0 else { throw ResultsError("\(path): needs repair but no backup can be written beside it (\(String(cString: strerror(errno))))") }
      defer { Glibc.close(fd) }
      let ok = data.withUnsafeBytes { Self.writeAll(fd, $0) } && fsync(fd) == 0
      guard ok else { throw ResultsError("\(name): the backup could not be written whole; nothing was repaired") }
      return name
    }
    throw ResultsError("\(path): needs repair but 100 backups of it already exist this second")
  }

  /// Appends whole rows in one write (they reach the operating system before this returns). A write
  /// that fails (disk full, quota, I/O error) is cut back, so the file keeps only whole rows and a
  /// rerun resumes it; that error and every later append throw.
  public func append(_ rows: [[String]]) throws(ResultsError) {
    let text = rows.map(CSV.line).joined()
    lock.lock()
    defer { lock.unlock() }
    if let failure { throw failure }
    guard descriptor >= 0 else { throw ResultsError("\(path): appended to after it was closed") }
    do {
      try write(text)
    } catch {
      failure = error
      throw error
    }
    rowCount += rows.count
  }

  /// Writes all of `text` at the end, or cuts the file back to its length before and throws.
  private func write(_ text: String) throws(ResultsError) {
    let bytes = Array(text.utf8)
    guard bytes.withUnsafeBytes({ Self.writeAll(descriptor, $0) }) else {
      let reason = String(cString: strerror(errno))
      let cut = ftruncate(descriptor, length) == 0
      throw ResultsError(
        "\(path): a write failed (\(reason)); \(cut ? "the file keeps its \(rowCount) whole rows and resumes with the same command once the problem is fixed" : "the last row may be torn: the next run repairs it")",
        writeFailure: true)
    }
    length += off_t(bytes.count)
  }

  /// Writes all of `buffer` to `fd` (retrying interrupted and partial writes); false on an error,
  /// with `errno` saying which. Shared by the results file, its manifest and standard output.
  static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) -> Bool {
    var offset = 0
    while offset < buffer.count {
      let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else { return false }
      offset += n
    }
    return true
  }

  private static func contents(_ fd: Int32, _ path: String) throws(ResultsError) -> Data {
    var data = Data()
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    var offset: off_t = 0
    while true {
      let n = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, offset) }
      if n < 0 && errno == EINTR { continue }
      guard n >= 0 else { throw ResultsError("\(path): cannot be read (\(String(cString: strerror(errno))))") }
      if n == 0 { return data }
      data.append(contentsOf: chunk[0..<n])
      offset += off_t(n)
    }
  }

  /// Who holds the lock on `fd`'s file, from /proc/locks (Linux): "pid N: command", else "another process".
  static func lockHolder(_ fd: Int32) -> String {
    var info = stat()
    guard fstat(fd, &info) == 0, let locks = try? String(contentsOfFile: "/proc/locks", encoding: .utf8) else { return "another process" }
    let inode = ":\(info.st_ino)"
    for line in locks.split(separator: "\n") {
      let fields = line.split(separator: " ", omittingEmptySubsequences: true)
      // "1: FLOCK  ADVISORY  WRITE 12345 08:01:123456 0 EOF"
      guard fields.count >= 6, fields[1] == "FLOCK", fields[5].hasSuffix(inode), let pid = Int32(fields[4]), pid != getpid() else { continue }
      let command = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8))?
        .split(separator: "\0").prefix(4).joined(separator: " ") ?? ""
      return "pid \(pid)\(command.isEmpty ? "" : ": \(command)")"
    }
    return "another process"
  }

  /// Reads a results file whole: header and rows. A torn last line (a writer mid-row) is ignored; a row
  /// with another number of fields than the header is an error naming it.
  public static func read(_ path: String) throws(ResultsError) -> (header: [String], rows: [[String]]) {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw ResultsError("\(path): \(FileManager.default.fileExists(atPath: path) ? "cannot be read" : "does not exist")")
    }
    let (records, _, _) = CSV.parse(String(decoding: data, as: UTF8.self))
    guard let header = records.first else { throw ResultsError("\(path): empty, no CSV header") }
    if let bad = records.indices.dropFirst().first(where: { records[$0].count != header.count }) {
      throw ResultsError("\(path): row \(bad) has \(records[bad].count) fields, the header \(header.count)")
    }
    return (header, Array(records.dropFirst()))
  }
}
