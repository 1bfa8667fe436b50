import Datasets
import Foundation
import Testing
import TestSupport

/// `precisionlab data fetch` end to end against an HTTP server on 127.0.0.1 started by the test
/// (Python's http.server, plus a route that closes the connection early). Only --only-mirror local
/// URLs are ever contacted.
@Suite(.serialized) struct DataCommandTests {
  static let mnist = Integration.sharedMNIST

  static let serverScript = """
    import http.server, os, socketserver, sys
    root = sys.argv[1]
    class H(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k): super().__init__(*a, directory=root, **k)
        def log_message(self, *a): pass
        def do_GET(self):
            if self.path.startswith("/early/"):
                self.send_response(200); self.send_header("Content-Length", "100000"); self.end_headers()
                self.wfile.write(b"\\x1f\\x8b" + b"0" * 998); self.wfile.flush(); self.connection.close(); return
            super().do_GET()
    s = socketserver.TCPServer(("127.0.0.1", 0), H)
    with open(sys.argv[2] + ".tmp", "w") as f: f.write(str(s.server_address[1]))
    os.rename(sys.argv[2] + ".tmp", sys.argv[2])
    s.serve_forever()
    """

  /// Starts the server on `root`; returns its base URL and the process (terminated by the caller).
  /// The server's standard streams go to /dev/null, so it never holds a pipe of the test runner open;
  /// it writes its port to a file.
  static func startServer(root: String) throws -> (String, Process) {
    let portFile = FileManager.default.temporaryDirectory.appendingPathComponent("precisionlab-port-\(UUID().uuidString)").path
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", "-c", serverScript, root, portFile]
    p.standardInput = FileHandle.nullDevice
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    try p.run()
    for _ in 0..<500 where !FileManager.default.fileExists(atPath: portFile) { usleep(10_000) }
    let port = (try? String(contentsOfFile: portFile, encoding: .utf8)) ?? "0"
    try? FileManager.default.removeItem(atPath: portFile)
    return ("http://127.0.0.1:\(port)/", p)
  }

  static func directory() -> String {
    let d = FileManager.default.temporaryDirectory.appendingPathComponent("precisionlab-data-\(UUID().uuidString)").path
    try! FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
  }

  /// `data fetch NAME` from the mirror at `url` alone into a new data directory: its four IDX files
  /// downloaded (progress to 100 %) and verified by their SHA-256. Returns the data directory.
  static func fetchIDX(_ name: String, from url: String) throws -> String {
    let data = directory()
    let r = try CommandLineTests.run(["data", "fetch", name, "--data-dir", data, "--mirror", url, "--only-mirror"])
    #expect(r.status == 0, "\(r.error)")
    #expect(r.output.components(separatedBy: "downloaded, verified (SHA-256)").count == 5)
    // Each file's progress ends with a line at its full size ("NAME 9.9 MB/9.9 MB  …/s  ETA 0s").
    let finished = r.error.split(separator: "\n").filter { line in
      let counted = String(line).components(separatedBy: ".gz ").last?.components(separatedBy: "  ").first ?? ""
      let sizes = counted.split(separator: "/")
      return line.hasSuffix("ETA 0s") && sizes.count == 2 && sizes[0] == sizes[1]
    }
    #expect(finished.count >= 4, "\(r.error)")
    return data
  }

  @Test(.enabled(if: Integration.runs(Integration.sharedMNIST != nil), Comment(rawValue: Integration.noMNIST)))
  func fetchesVerifiesAndLoadsMNIST() throws {
    let mnist = try #require(Self.mnist, Comment(rawValue: Integration.noMNIST))
    let (url, server) = try Self.startServer(root: mnist)
    defer { kill(server.processIdentifier, SIGKILL) }
    let data = try Self.fetchIDX("mnist", from: url)
    let (train, test) = try DatasetDescriptor.mnist.load(from: data)
    #expect(train.labelCounts == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949] && test.count == 10000)
    let list = try CommandLineTests.run(["data", "list", "--data-dir", data])
    #expect(list.output.components(separatedBy: "present, verified").count == 5)
    let again = try CommandLineTests.run(["data", "fetch", "mnist", "--data-dir", data, "--mirror", url, "--only-mirror"])
    #expect(again.output.components(separatedBy: "present, verified").count == 5)
    let files = try FileManager.default.contentsOfDirectory(atPath: data + "/mnist")
    #expect(!files.contains { $0.contains("partial") })
  }

  /// Debian's `dataset-fashion-mnist` package (installed by `make test` when root): the real files,
  /// gzip-compressed differently from Zalando's, so only their decompressed checksums can match.
  @Test(.enabled(if: Integration.runs(Integration.debianFashionMNIST != nil), Comment(rawValue: Integration.noFashionMNIST)))
  func fetchesVerifiesAndLoadsFashionMNIST() throws {
    let root = try #require(Integration.debianFashionMNIST, Comment(rawValue: Integration.noFashionMNIST))
    let (url, server) = try Self.startServer(root: root)
    defer { kill(server.processIdentifier, SIGKILL) }
    let data = try Self.fetchIDX("fashion-mnist", from: url)
    let (train, test) = try DatasetDescriptor.fashionMNIST.load(from: data)
    // Published facts about Fashion-MNIST: 6,000 training and 1,000 test images per class, the first
    // training image an ankle boot (9), pixel mean 0.2860 and deviation 0.3530 (the constants of the
    // usual Normalize).
    #expect(train.labelCounts == Array(repeating: 6000, count: 10) && test.labelCounts == Array(repeating: 1000, count: 10))
    #expect(train.labels.first == 9 && train.sampleShape == [1, 28, 28])
    guard case .bytes(let pixels) = train.samples else { Issue.record("IDX images are bytes"); return }
    var sum = 0.0, squares = 0.0
    for k in pixels { let x = Double(k) / 255; sum += x; squares += x * x }
    let mean = sum / Double(pixels.count)
    #expect((mean * 10_000).rounded() == 2860 && ((squares / Double(pixels.count) - mean * mean).squareRoot() * 10_000).rounded() == 3530)
    // A local folder is a mirror too (what the built-in file:///usr/share/datasets/... mirror uses).
    let local = Self.directory()
    let copied = try CommandLineTests.run(["data", "fetch", "fashion-mnist", "--data-dir", local, "--mirror", root, "--only-mirror"])
    #expect(copied.status == 0 && copied.output.components(separatedBy: "verified (SHA-256)").count == 5, "\(copied.error)")
    let missing = try CommandLineTests.run(["data", "fetch", "fashion-mnist", "--data-dir", Self.directory(), "--mirror", Self.directory(), "--only-mirror"])
    #expect(missing.status == 65 && missing.error.contains("train-images-idx3-ubyte.gz: no such file"), "\(missing.error)")
  }

  /// A file with the right name and the wrong content: checksum mismatch; a good file already present
  /// stays byte for byte.
  @Test(.enabled(if: Integration.runs(Integration.sharedMNIST != nil), Comment(rawValue: Integration.noMNIST)))
  func aMismatchLeavesGoodFilesAlone() throws {
    let mnist = try #require(Self.mnist, Comment(rawValue: Integration.noMNIST))
    let root = Self.directory()
    let (url, server) = try Self.startServer(root: root)
    defer { kill(server.processIdentifier, SIGKILL) }
    let data = Self.directory()
    try FileManager.default.createDirectory(atPath: data + "/mnist", withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: mnist + "/train-images-idx3-ubyte.gz", toPath: data + "/mnist/train-images-idx3-ubyte.gz")
    try FileManager.default.copyItem(atPath: mnist + "/t10k-labels-idx1-ubyte.gz", toPath: root + "/train-labels-idx1-ubyte.gz")
    let before = try Data(contentsOf: URL(fileURLWithPath: data + "/mnist/train-images-idx3-ubyte.gz"))
    let mismatch = try CommandLineTests.run(["data", "fetch", "mnist", "--data-dir", data, "--mirror", url, "--only-mirror"])
    #expect(mismatch.status == 65 && mismatch.error.contains("checksum mismatch (SHA-256 of the decompressed file is ff7bcfd4"), "\(mismatch.error)")
    #expect(try Data(contentsOf: URL(fileURLWithPath: data + "/mnist/train-images-idx3-ubyte.gz")) == before)
    #expect(!FileManager.default.fileExists(atPath: data + "/mnist/train-labels-idx1-ubyte.gz"))
  }

  @Test func failuresAreOneLineAndLeaveGoodFilesAlone() throws {
    let root = Self.directory()
    let (url, server) = try Self.startServer(root: root)
    defer { kill(server.processIdentifier, SIGKILL) }
    let data = Self.directory()
    // A mirror that answers 404 (empty root).
    let notFound = try CommandLineTests.run(["data", "fetch", "mnist", "--data-dir", data, "--mirror", url, "--only-mirror"])
    #expect(notFound.status == 65 && notFound.error.contains("the mirror answered HTTP 404"), "\(notFound.error)")
    #expect(notFound.error.split(separator: "\n").last!.hasPrefix("precisionlab: train-images-idx3-ubyte.gz: every mirror failed"))
    // A mirror that closes the connection early.
    let early = try CommandLineTests.run(["data", "fetch", "mnist", "--data-dir", Self.directory(), "--mirror", url + "early/", "--only-mirror"])
    #expect(early.status == 65 && (early.error.contains("closed early") || early.error.contains("download failed")), "\(early.error)")
    // A data directory that cannot be created (a regular file is in the way).
    let blocked = FileManager.default.temporaryDirectory.appendingPathComponent("precisionlab-file-\(UUID().uuidString)").path
    #expect(FileManager.default.createFile(atPath: blocked, contents: Data("x".utf8)))
    let unwritable = try CommandLineTests.run(["data", "fetch", "mnist", "--data-dir", blocked, "--mirror", url, "--only-mirror"])
    #expect(unwritable.status == 65 && unwritable.error.contains("cannot create the data directory"), "\(unwritable.error)")
    // Unknown dataset: usage error.
    let unknown = try CommandLineTests.run(["data", "fetch", "imagenet"])
    #expect(unknown.status == 64 && unknown.error.contains("unknown dataset 'imagenet'; valid: mnist, fashion-mnist"))
  }
}

/// CIFAR-10 is served as one gzipped tar archive: the archive's SHA-256 and each member's MD5 are
/// checked, then the members stored; the batches load as CIFAR.
@Suite struct CIFARFetchTests {
  /// A ustar archive of regular files.
  static func tar(_ files: [(String, [UInt8])]) -> [UInt8] {
    var out: [UInt8] = []
    for (name, contents) in files {
      var header = [UInt8](repeating: 0, count: 512)
      func put(_ text: String, at offset: Int) { for (i, b) in text.utf8.enumerated() { header[offset + i] = b } }
      put(name, at: 0)
      put("0000644", at: 100); put("0000000", at: 108); put("0000000", at: 116)
      put(String(contents.count, radix: 8).leftPadded(11), at: 124)
      put("00000000000", at: 136)
      put("        ", at: 148)
      header[156] = 0x30
      put("ustar", at: 257); put("00", at: 263)
      let checksum = header.reduce(0) { $0 + Int($1) }
      put(String(checksum, radix: 8).leftPadded(6), at: 148)
      header[154] = 0
      out += header + contents + [UInt8](repeating: 0, count: (512 - contents.count % 512) % 512)
    }
    return out + [UInt8](repeating: 0, count: 1024)
  }

  /// Six small batches (k + 2 records of batch k), the archive the mirrors would serve.
  static func archive() -> (bytes: [UInt8], members: [(String, [UInt8])]) {
    var members: [(String, [UInt8])] = []
    for (k, name) in ["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch"].enumerated() {
      let records = (0..<(k + 2)).flatMap { r -> [UInt8] in [UInt8(r % 10)] + [UInt8](repeating: UInt8(k), count: 3072) }
      members.append(("cifar-10-batches-bin/\(name).bin", records))
    }
    return (gzippedForTests(tar(members)), members)
  }

  /// A hash computed by Python's hashlib (the oracle for this build's SHA-256 and MD5).
  static func pythonHash(_ algorithm: String, _ bytes: [UInt8]) throws -> String {
    let input = DataCommandTests.directory() + "/bytes"
    #expect(FileManager.default.createFile(atPath: input, contents: Data(bytes)))
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", "-c", "import hashlib,sys; print(hashlib.new(sys.argv[1], open(sys.argv[2],'rb').read()).hexdigest())", algorithm, input]
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    return text.trimmingCharacters(in: .whitespacesAndNewlines)
  }

  /// The real CIFAR-10 entry refuses an archive that is not the published one, storing nothing.
  @Test func refusesAnArchiveThatIsNotThePublishedOne() throws {
    let root = DataCommandTests.directory()
    let (bytes, _) = Self.archive()
    #expect(FileManager.default.createFile(atPath: root + "/cifar-10-binary.tar.gz", contents: Data(bytes)))
    let (url, server) = try DataCommandTests.startServer(root: root)
    defer { kill(server.processIdentifier, SIGKILL) }
    let data = DataCommandTests.directory()
    let refused = try CommandLineTests.run(["data", "fetch", "cifar10", "--data-dir", data, "--mirror", url, "--only-mirror"])
    #expect(refused.status == 65, "\(refused.error)")
    #expect(refused.error.contains("checksum mismatch (SHA-256 of the archive is \(try Self.pythonHash("sha256", bytes)), expected c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd)"), "\(refused.error)")
    #expect((try? FileManager.default.contentsOfDirectory(atPath: data + "/cifar10")) == [])
  }

  /// An archive entry like CIFAR-10's, with this archive's checksums (archive SHA-256, each member's
  /// SHA-256 and MD5): verified, stored and loaded; a member whose MD5 differs stops everything
  /// before any member is stored; a descriptor with no checksums is refused unless allowed.
  @Test func fetchesChecksAndLoadsAnArchive() throws {
    let root = DataCommandTests.directory()
    let (bytes, members) = Self.archive()
    #expect(FileManager.default.createFile(atPath: root + "/cifar-10-binary.tar.gz", contents: Data(bytes)))
    let (url, server) = try DataCommandTests.startServer(root: root)
    defer { kill(server.processIdentifier, SIGKILL) }
    let reference = DatasetDescriptor.cifar10
    func entry(wrongMD5At bad: Int?) throws -> DatasetDescriptor {
      let files = try zip(reference.files, members).enumerated().map { k, pair in
        DatasetDescriptor.File(name: pair.0.name, sha256: try Self.pythonHash("sha256", pair.1.1),
                               md5: k == bad ? String(repeating: "0", count: 32) : try Self.pythonHash("md5", pair.1.1))
      }
      return DatasetDescriptor(name: "cifar10", files: files, mirrors: [], classes: 10, layout: .cifar, archive: reference.archive,
                               archiveSHA256: try Self.pythonHash("sha256", bytes), memberPrefix: reference.memberPrefix)
    }
    let data = DataCommandTests.directory()
    var fetcher = Fetcher(dataDirectory: data)
    fetcher.extraMirrors = [url]
    fetcher.useBuiltInMirrors = false
    #expect {
      _ = try fetcher.fetch(try entry(wrongMD5At: 4))
    } throws: { error in
      "\(error)".contains("#data_batch_5.bin: checksum mismatch (MD5 of the decompressed file is \(try! Self.pythonHash("md5", members[4].1)), expected 000")
    }
    #expect((try? FileManager.default.contentsOfDirectory(atPath: data + "/cifar10")) == [])
    let outcomes = try fetcher.fetch(try entry(wrongMD5At: nil))
    #expect(outcomes.map(\.status) == Array(repeating: "downloaded, verified (SHA-256 and MD5)", count: 6))
    #expect(try outcomes.map(\.sha256) == members.map { try Self.pythonHash("sha256", $0.1) })
    let (train, test) = try reference.load(from: data)
    #expect(train.count == 2 + 3 + 4 + 5 + 6 && test.count == 7 && train.sampleShape == [3, 32, 32])
    // A descriptor without checksums is refused unless unverified files are allowed.
    let bare = DatasetDescriptor(name: "bare", files: reference.files.map { .init(name: $0.name) }, mirrors: [], classes: 10,
                                 layout: .cifar, archive: reference.archive, memberPrefix: reference.memberPrefix)
    #expect { _ = try fetcher.fetch(bare) } throws: { "\($0)".contains("this build has no verified SHA-256 for bare") }
    var lenient = fetcher
    lenient.allowUnverified = true
    #expect(try lenient.fetch(bare).map(\.status) == Array(repeating: "downloaded, UNVERIFIED", count: 6))
    // Present and intact: nothing downloaded again.
    #expect(try fetcher.fetch(try entry(wrongMD5At: nil)).map(\.status) == Array(repeating: "present, verified (SHA-256 and MD5)", count: 6))
  }
}

extension String {
  func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
