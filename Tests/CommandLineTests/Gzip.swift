import Foundation

/// gzip-compresses bytes with the system's gzip-compatible Python zlib (test files only).
func gzippedForTests(_ bytes: [UInt8]) -> [UInt8] {
  let input = FileManager.default.temporaryDirectory.appendingPathComponent("precisionlab-raw-\(UUID().uuidString)").path
  FileManager.default.createFile(atPath: input, contents: Data(bytes))
  defer { try? FileManager.default.removeItem(atPath: input) }
  let p = Process()
  p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  p.arguments = ["python3", "-c", "import gzip,sys; sys.stdout.buffer.write(gzip.compress(open(sys.argv[1],'rb').read()))", input]
  let out = Pipe()
  p.standardOutput = out
  try! p.run()
  let data = out.fileHandleForReading.readDataToEndOfFile()
  p.waitUntilExit()
  return [UInt8](data)
}
