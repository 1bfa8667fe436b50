import Foundation

/// Readers that take a path get the fuzzer's bytes through one scratch file per process, in
/// /dev/shm when there is one (memory, not disk).
public enum InputFile {
  public static let folder: String = {
    let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    let folder = base + "/precisionlab-fuzz-\(getpid())"
    try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    return folder
  }()

  /// Writes `bytes` to `name` in this process's scratch folder and returns its path.
  public static func write(_ bytes: UnsafeRawBufferPointer, name: String = "input") -> String {
    let path = folder + "/" + name
    FileManager.default.createFile(atPath: path, contents: Data(bytes))
    return path
  }
}
