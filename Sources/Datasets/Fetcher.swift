import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Downloads a dataset's files, trying mirrors in order, verifies each decompressed file's SHA-256,
/// and stores it through a temporary file and an atomic rename, so a reader never sees a half-written
/// file and good files already present are never touched.
public struct Fetcher {
  public var dataDirectory: String
  /// Mirrors to try first (each a base URL the file names are appended to).
  public var extraMirrors: [String] = []
  /// Whether to fall back on the dataset's built-in mirrors after `extraMirrors`.
  public var useBuiltInMirrors = true
  /// Whether to keep files of a descriptor that has no checksum for them (custom descriptors only:
  /// every built-in dataset has checksums).
  public var allowUnverified = false
  /// Status lines (standard error in the CLI).
  public var log: (String) -> Void = { _ in }
  /// Download progress: the URL, the bytes received so far and the total when the server said it
  /// (called for every chunk received, and once at the end; the CLI draws a bar from it).
  public var progress: @Sendable (_ url: String, _ received: Int, _ total: Int?) -> Void = { _, _, _ in }
  public var timeout: TimeInterval = 60

  public init(dataDirectory: String) { self.dataDirectory = dataDirectory }

  public struct Outcome: Sendable {
    public var file: String
    public var status: String
    public var sha256: String
  }

  public func fetch(_ dataset: DatasetDescriptor) throws(DataError) -> [Outcome] {
    let directory = dataset.directory(in: dataDirectory)
    do {
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    } catch {
      throw DataError(file: directory, "cannot create the data directory (\(error.localizedDescription))")
    }
    guard FileManager.default.isWritableFile(atPath: directory) else {
      throw DataError(file: directory, "the data directory is not writable")
    }
    if dataset.archive != nil { return try fetchArchive(dataset, into: directory) }
    var outcomes: [Outcome] = []
    for file in dataset.files {
      let path = (directory as NSString).appendingPathComponent(file.name)
      if case .verified(let how, let digest) = Self.checkStored(file, at: path) {
        outcomes.append(Outcome(file: path, status: "present, verified (\(how))", sha256: digest))
        continue
      }
      try requireChecksum(file, dataset)
      var failures: [String] = []
      var stored: Outcome? = nil
      for url in urls(file.name, dataset) {
        do throws(DataError) {
          let bytes = try download(url, limit: file.downloadLimit)
          let contents = Gzip.isCompressed(bytes) ? try Gzip.decompress(bytes, file: url, limit: file.contentLimit ?? Gzip.defaultLimit) : bytes
          let check = file.check(contents)
          let status = try Self.status(check, source: url)
          if let size = file.size, contents.count != size {  // only an unverified file can get here with another size
            throw DataError(file: url, "holds \(contents.count) bytes once decompressed, \(file.name) has \(size)")
          }
          try store(bytes, at: path)
          stored = Outcome(file: path, status: status, sha256: check.sha256)
          break
        } catch {
          failures.append(error.description)
        }
      }
      guard let outcome = stored else {
        throw DataError(file: file.name, "every mirror failed: " + failures.joined(separator: "; "))
      }
      log("\(file.name): \(outcome.status)")
      outcomes.append(outcome)
    }
    return outcomes
  }

  /// What this build's checksums say of a file already in the data directory (nil when absent or
  /// not a readable gzip).
  public static func checkStored(_ file: DatasetDescriptor.File, at path: String) -> DatasetDescriptor.Check? {
    guard let data = FileManager.default.contents(atPath: path) else { return nil }
    let bytes = [UInt8](data)
    guard let contents = try? (Gzip.isCompressed(bytes) ? Gzip.decompress(bytes, file: path, limit: file.contentLimit ?? Gzip.defaultLimit) : bytes) else { return nil }
    return file.check(contents)
  }

  func urls(_ name: String, _ dataset: DatasetDescriptor) -> [String] {
    (extraMirrors + (useBuiltInMirrors ? dataset.mirrors : [])).map { $0.hasSuffix("/") ? $0 + name : $0 + "/" + name }
  }

  func requireChecksum(_ file: DatasetDescriptor.File, _ dataset: DatasetDescriptor) throws(DataError) {
    if !dataset.canVerify(file) && !allowUnverified {
      throw DataError(file: file.name, "this build has no verified SHA-256 for \(dataset.name); set allowUnverified to keep unverified files")
    }
  }

  /// The stored file's status, or the checksum mismatch as an error naming `source`.
  static func status(_ check: DatasetDescriptor.Check, source: String, archiveVerified: Bool = false) throws(DataError) -> String {
    switch check {
    case .mismatch(let what, _): throw DataError(file: source, "checksum mismatch (\(what))")
    case .verified(let how, _): return "downloaded, verified (\(how))"
    case .unverified: return archiveVerified ? "downloaded, verified (archive SHA-256)" : "downloaded, UNVERIFIED"
    }
  }

  /// A dataset served as one gzipped tar archive: download it once, check its SHA-256, then check and
  /// store each member; nothing is stored unless the archive and every member are present and pass.
  func fetchArchive(_ dataset: DatasetDescriptor, into directory: String) throws(DataError) -> [Outcome] {
    let present = dataset.files.map { Self.checkStored($0, at: (directory as NSString).appendingPathComponent($0.name)) }
    if present.allSatisfy({ if case .verified = $0 { true } else { false } }) {
      return zip(dataset.files, present).map { file, check in
        guard case .verified(let how, let digest) = check else { preconditionFailure() }
        return Outcome(file: (directory as NSString).appendingPathComponent(file.name), status: "present, verified (\(how))", sha256: digest)
      }
    }
    for file in dataset.files { try requireChecksum(file, dataset) }
    var failures: [String] = []
    for url in urls(dataset.archive!, dataset) {
      do {
        let compressed = try download(url, limit: dataset.archiveSize)
        if let expected = dataset.archiveSHA256 {
          let digest = SHA256.hex(compressed)
          guard digest == expected else {
            throw DataError(file: url, "checksum mismatch (SHA-256 of the archive is \(digest), expected \(expected))")
          }
        }
        let entries = try Tar.entries(try Gzip.decompress(compressed, file: url, limit: dataset.archiveExpandedLimit ?? Gzip.defaultLimit), file: url)
        var members: [(DatasetDescriptor.File, [UInt8], String, String)] = []
        for file in dataset.files {
          guard let entry = entries.first(where: { $0.path == dataset.memberPrefix + file.name }) else {
            throw DataError(file: url, "the archive has no member \(dataset.memberPrefix + file.name)")
          }
          let check = file.check(entry.contents)
          let status = try Self.status(check, source: url + "#" + file.name, archiveVerified: dataset.archiveSHA256 != nil)
          members.append((file, entry.contents, check.sha256, status))
        }
        var outcomes: [Outcome] = []
        for (file, contents, digest, status) in members {
          let path = (directory as NSString).appendingPathComponent(file.name)
          try store(contents, at: path)
          log("\(file.name): \(status)")
          outcomes.append(Outcome(file: path, status: status, sha256: digest))
        }
        return outcomes
      } catch {
        failures.append("\(error)")
      }
    }
    throw DataError(file: dataset.archive!, "every mirror failed: " + failures.joined(separator: "; "))
  }

  /// Writes `bytes` next to `path` under a temporary name, then renames it into place.
  func store(_ bytes: [UInt8], at path: String) throws(DataError) {
    let temporary = path + ".partial-\(ProcessInfo.processInfo.processIdentifier)"
    guard FileManager.default.createFile(atPath: temporary, contents: Data(bytes)) else {
      throw DataError(file: temporary, "cannot write")
    }
    if rename(temporary, path) != 0 {
      try? FileManager.default.removeItem(atPath: temporary)
      throw DataError(file: path, "cannot move the downloaded file into place")
    }
  }

  /// The body of a successful (200) response; one clear error otherwise. A body longer than `limit`
  /// bytes is cut off and refused as soon as it passes the limit (or announces a longer length).
  /// A mirror may also be a local folder (`file:///path/` or `/path/`), read directly.
  func download(_ url: String, limit: Int? = nil) throws(DataError) -> [UInt8] {
    let limit = limit ?? Gzip.defaultLimit
    if url.hasPrefix("/") || url.hasPrefix("file://") {
      let path = url.hasPrefix("file://") ? String(url.dropFirst("file://".count)) : url
      if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size > limit {
        throw DataError(file: url, "is \(size) bytes, more than the \(limit) this file may take")
      }
      guard let data = FileManager.default.contents(atPath: path) else {
        throw DataError(file: url, FileManager.default.fileExists(atPath: path) ? "cannot read the file" : "no such file")
      }
      log("\(url): read \(data.count) bytes")
      return [UInt8](data)
    }
    guard let u = URL(string: url) else { throw DataError(file: url, "not a valid URL") }
    let progress = ProgressDelegate(url: url, report: self.progress, limit: limit)
    let session = URLSession(configuration: .ephemeral, delegate: progress, delegateQueue: nil)
    defer { session.invalidateAndCancel() }
    var request = URLRequest(url: u)
    request.timeoutInterval = timeout
    session.dataTask(with: request).resume()
    progress.done.wait()
    if progress.overLimit {
      throw DataError(file: url, "the mirror sent more than \(limit) bytes, the most this file may take; refused")
    }
    if let error = progress.error {
      throw DataError(file: url, "download failed after \(progress.data.count) bytes (\(error.localizedDescription))")
    }
    guard let status = progress.status else { throw DataError(file: url, "no HTTP response") }
    guard status == 200 else { throw DataError(file: url, "the mirror answered HTTP \(status)") }
    if let expected = progress.expectedLength, expected >= 0, progress.data.count != Int(expected) {
      throw DataError(file: url, "the connection closed early after \(progress.data.count) of \(expected) bytes")
    }
    return [UInt8](progress.data)
  }
}

/// Collects a response and reports the bytes received.
final class ProgressDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
  let url: String
  let report: @Sendable (String, Int, Int?) -> Void
  let done = DispatchSemaphore(value: 0)
  var data = Data()
  var status: Int?
  var expectedLength: Int64?
  var error: Error?
  /// The most bytes accepted; past it the transfer is cancelled and `overLimit` set.
  let limit: Int
  var overLimit = false

  init(url: String, report: @escaping @Sendable (String, Int, Int?) -> Void, limit: Int) {
    self.url = url
    self.report = report
    self.limit = limit
  }

  func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse, completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
    status = (response as? HTTPURLResponse)?.statusCode
    expectedLength = response.expectedContentLength
    if response.expectedContentLength > Int64(limit) {
      overLimit = true
      completionHandler(.cancel)
      return
    }
    completionHandler(.allow)
  }

  func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive chunk: Data) {
    guard !overLimit else { return }
    if data.count + chunk.count > limit {
      overLimit = true
      dataTask.cancel()
      return
    }
    data.append(chunk)
    if status == 200 { report(url, data.count, expectedLength.flatMap { $0 > 0 ? Int($0) : nil }) }
  }

  func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
    self.error = error
    done.signal()
  }
}
