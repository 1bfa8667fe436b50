#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import Foundation

/// A problem reported as one line on standard error, `precisionlab: MESSAGE`, with the exit status
/// of its kind (sysexits.h): 64 bad usage (an unknown option, a bad value), 65 bad data (a file that is
/// not what it should be), 69 unavailable (a tool or service the command needs), 74 an I/O error (a
/// results file or standard output that could not be written: disk full, quota).
func fail(_ message: String, status: Int32) -> ExitCode {
  writeAll("precisionlab: \(message)\n", to: 2)
  return ExitCode(status)
}

/// Exit status 64 (EX_USAGE).
func failWithUsage(_ message: String) -> ExitCode { fail(message, status: 64) }

/// Exit status 65 (EX_DATAERR).
func failWithDataError(_ message: String) -> ExitCode { fail(message, status: 65) }

/// Exit status 69 (EX_UNAVAILABLE): the cluster's tools are missing or refused.
func failWithUnavailable(_ message: String) -> ExitCode { fail(message, status: 69) }

/// Exit status 74 (EX_IOERR): a write failed.
func failWithIOError(_ message: String) -> ExitCode { fail(message, status: 74) }

struct StandardError: TextOutputStream {
  mutating func write(_ string: String) { writeAll(string, to: 2) }
}

/// Writes all of `text` to a file descriptor (1 = standard output, 2 = standard error).
func writeAll(_ text: String, to descriptor: Int32) {
  var text = text
  text.withUTF8 { writeAll($0, to: descriptor) }
}

/// Writes all of `bytes` to a file descriptor; false when a write fails (`errno` says why).
@discardableResult func writeAll(_ bytes: UnsafeBufferPointer<UInt8>, to descriptor: Int32) -> Bool {
  var offset = 0
  while offset < bytes.count {
    let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
    if written < 0 && errno == EINTR { continue }
    if written <= 0 { return false }
    offset += written
  }
  return true
}

/// Writes a text file whole (creating its folder; a temporary file renamed over it, so a full disk
/// leaves the old file or none, never a cut one), or fails with exit status 74 naming it. A path that
/// exists and is not a regular file (`/dev/stdout`, a pipe) is written directly.
func writeText(_ text: String, to path: String) throws {
  var info = stat()
  if stat(path, &info) == 0 && (info.st_mode & S_IFMT) != S_IFREG {
    let fd = open(path, O_WRONLY | O_CLOEXEC)
    guard fd >= 0 else { throw failWithIOError("\(path): cannot be written (\(String(cString: strerror(errno))))") }
    defer { close(fd) }
    var text = text
    guard text.withUTF8({ writeAll($0, to: fd) }) else { throw failWithIOError("\(path): cannot be written (\(String(cString: strerror(errno))))") }
    return
  }
  let folder = (path as NSString).deletingLastPathComponent
  if !folder.isEmpty { try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
  let temporary = path + ".partial"
  do {
    try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
  } catch {
    try? FileManager.default.removeItem(atPath: temporary)
    throw failWithIOError("\(path): cannot be written (\((error as NSError).localizedFailureReason ?? error.localizedDescription))")
  }
  guard rename(temporary, path) == 0 else {
    let reason = String(cString: strerror(errno))
    try? FileManager.default.removeItem(atPath: temporary)
    throw failWithIOError("\(path): cannot be written (\(reason))")
  }
}

/// `path` made absolute against the current directory, `..` resolved.
func absolutePath(_ path: String) -> String {
  let url = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath + "/"))
  return url.standardizedFileURL.path
}
