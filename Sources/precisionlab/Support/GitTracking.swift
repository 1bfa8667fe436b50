import Foundation

/// Whether git tracks the file at `path` (in whatever repository holds it): a committed file that a
/// command must not change unless the user names it. False when the file or its folder does not
/// exist, the folder is in no repository, or git is missing.
func isTrackedByGit(_ path: String) -> Bool {
  let url = URL(fileURLWithPath: absolutePath(path))
  let folder = url.deletingLastPathComponent().path
  var isDirectory: ObjCBool = false
  guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else { return false }
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  process.arguments = ["git", "-C", folder, "ls-files", "--error-unmatch", "--", url.lastPathComponent]
  process.standardOutput = FileHandle.nullDevice
  process.standardError = FileHandle.nullDevice
  process.standardInput = FileHandle.nullDevice
  do { try process.run() } catch { return false }
  process.waitUntilExit()
  return process.terminationReason == .exit && process.terminationStatus == 0
}
