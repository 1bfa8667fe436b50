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

func writeAll(_ bytes: UnsafeBufferPointer<UInt8>, to descriptor: Int32) {
  var offset = 0
  while offset < bytes.count {
    let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
    if written < 0 && errno == EINTR { continue }
    if written <= 0 { return }
    offset += written
  }
}

/// Writes a text file (creating its folder), or fails with a data error naming it.
func writeText(_ text: String, to path: String) throws {
  let folder = (path as NSString).deletingLastPathComponent
  if !folder.isEmpty { try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
  guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else { throw failWithDataError("\(path): cannot be written") }
}

/// `path` made absolute against the current directory, `..` resolved.
func absolutePath(_ path: String) -> String {
  let url = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath + "/"))
  return url.standardizedFileURL.path
}
