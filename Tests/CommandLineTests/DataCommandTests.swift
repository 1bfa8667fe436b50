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
    FileManager.default.createFile(atPath: blocked, contents: Data("x".utf8))
    let unwritable = try CommandLineTests.run(["data", "fetch", "mnist", "--data-dir", blocked, "--mirror", url, "--only-mirror"])
    #expect(unwritable.status == 65 && unwritable.error.contains("cannot create the data directory"), "\(unwritable.error)")
    // Unknown dataset: usage error.
    let unknown = try CommandLineTests.run(["data", "fetch", "imagenet"])
    #expect(unknown.status == 64 && unknown.error.contains("unknown dataset 'imagenet'; valid: mnist, fashion-mnist"))
  }
}
