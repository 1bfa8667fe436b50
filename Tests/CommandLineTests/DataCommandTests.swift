import Datasets
import Foundation
import Testing

/// `precisionlab data fetch` end to end against an HTTP server on 127.0.0.1 started by the test
/// (Python's http.server, plus a route that closes the connection early). Only --only-mirror local
/// URLs are ever contacted.
@Suite(.serialized) struct DataCommandTests {
  static let mnist: String? = {
    let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/data/mnist").path
    return FileManager.default.fileExists(atPath: path + "/t10k-labels-idx1-ubyte.gz") ? path : nil
  }()

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

  @Test func fetchesVerifiesAndLoadsMNIST() throws {
    guard let mnist = Self.mnist else { print("skipped: ../shared/data/mnist is absent"); return }
    let (url, server) = try Self.startServer(root: mnist)
    defer { kill(server.processIdentifier, SIGKILL) }
    let data = Self.directory()
    let r = try CommandLineTests.run(["data", "fetch", "mnist", "--data-dir", data, "--mirror", url, "--only-mirror"])
    #expect(r.status == 0, "\(r.error)")
    #expect(r.output.components(separatedBy: "downloaded, verified").count == 5)
    #expect(r.error.contains("100% of"))
    let (train, test) = try DatasetDescriptor.mnist.load(from: data)
    #expect(train.labelCounts == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949] && test.count == 10000)
    let list = try CommandLineTests.run(["data", "list", "--data-dir", data])
    #expect(list.output.components(separatedBy: "present, verified").count == 5)
    let again = try CommandLineTests.run(["data", "fetch", "mnist", "--data-dir", data, "--mirror", url, "--only-mirror"])
    #expect(again.output.components(separatedBy: "present, verified").count == 5)
    let files = try FileManager.default.contentsOfDirectory(atPath: data + "/mnist")
    #expect(!files.contains { $0.contains("partial") })
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
    // A file with the right name and the wrong content: checksum mismatch; a good file already present
    // stays byte for byte.
    if let mnist = Self.mnist {
      try FileManager.default.createDirectory(atPath: data + "/mnist", withIntermediateDirectories: true)
      try FileManager.default.copyItem(atPath: mnist + "/train-images-idx3-ubyte.gz", toPath: data + "/mnist/train-images-idx3-ubyte.gz")
      try FileManager.default.copyItem(atPath: mnist + "/t10k-labels-idx1-ubyte.gz", toPath: root + "/train-labels-idx1-ubyte.gz")
      let before = try Data(contentsOf: URL(fileURLWithPath: data + "/mnist/train-images-idx3-ubyte.gz"))
      let mismatch = try CommandLineTests.run(["data", "fetch", "mnist", "--data-dir", data, "--mirror", url, "--only-mirror"])
      #expect(mismatch.status == 65 && mismatch.error.contains("checksum mismatch (SHA-256 of the decompressed file is ff7bcfd4"), "\(mismatch.error)")
      #expect(try Data(contentsOf: URL(fileURLWithPath: data + "/mnist/train-images-idx3-ubyte.gz")) == before)
      #expect(!FileManager.default.fileExists(atPath: data + "/mnist/train-labels-idx1-ubyte.gz"))
    }
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

/// CIFAR-10 is served as one gzipped tar archive: members verified (or, without checksums in this
/// build, kept only with --allow-unverified) and stored; the batches load as CIFAR.
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

  @Test func fetchesAndLoadsAnArchive() throws {
    let root = DataCommandTests.directory()
    var members: [(String, [UInt8])] = []
    for (k, name) in ["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch"].enumerated() {
      let records = (0..<(k + 2)).flatMap { r -> [UInt8] in [UInt8(r % 10)] + [UInt8](repeating: UInt8(k), count: 3072) }
      members.append(("cifar-10-batches-bin/\(name).bin", records))
    }
    #expect(FileManager.default.createFile(atPath: root + "/cifar-10-binary.tar.gz", contents: Data(gzippedForTests(Self.tar(members)))))
    let (url, server) = try DataCommandTests.startServer(root: root)
    defer { kill(server.processIdentifier, SIGKILL) }
    let data = DataCommandTests.directory()
    let refused = try CommandLineTests.run(["data", "fetch", "cifar10", "--data-dir", data, "--mirror", url, "--only-mirror"])
    #expect(refused.status == 65 && refused.error.contains("no verified SHA-256 for cifar10"), "\(refused.error)")
    let r = try CommandLineTests.run(["data", "fetch", "cifar10", "--data-dir", data, "--mirror", url, "--only-mirror", "--allow-unverified"])
    #expect(r.status == 0, "\(r.error)")
    #expect(r.output.components(separatedBy: "downloaded, UNVERIFIED").count == 7)
    let (train, test) = try DatasetDescriptor.cifar10.load(from: data)
    #expect(train.count == 2 + 3 + 4 + 5 + 6 && test.count == 7 && train.sampleShape == [3, 32, 32])
  }
}

extension String {
  func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
