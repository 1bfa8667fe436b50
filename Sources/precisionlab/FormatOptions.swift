import ArgumentParser
import Scalars

/// Options every arithmetic command shares: the format, the rounding mode and the stochastic seed.
struct FormatOptions: ParsableArguments {
  @Option(
    name: .long,
    help: ArgumentHelp(
      "Format: a preset (see `precisionlab formats`), mpfr:P, mpfr:P:EMAX or ieee:P:EMAX.",
      valueName: "format"))
  var format: String

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Rounding mode: \(RoundingMode.allCases.map(\.name).joined(separator: ", ")).", valueName: "mode"))
  var rounding: String = RoundingMode.nearestEven.name

  @Option(name: .long, help: "Seed of the stochastic-rounding stream.")
  var seed: UInt64 = 0

  /// The parsed format (valid after `validate()`).
  var floatFormat: FloatFormat { try! FloatFormat.named(format) }

  /// The parsed rounding mode (valid after `validate()`).
  var roundingMode: RoundingMode { RoundingMode(name: rounding)! }

  func validate() throws {
    do {
      _ = try FloatFormat.named(format)
    } catch {
      throw ValidationError(error.description)
    }
    guard RoundingMode(name: rounding) != nil else {
      throw ValidationError(
        "unknown rounding mode '\(rounding)'; valid: \(RoundingMode.allCases.map(\.name).joined(separator: ", "))")
    }
  }

  /// Applies the rounding mode and seed to this thread.
  func installEnvironment() {
    RoundingEnvironment.mode = roundingMode
    RoundingEnvironment.seed(seed)
  }
}

/// A data error: one line on standard error, exit status 65 (EX_DATAERR).
struct DataError: Error, CustomStringConvertible {
  let description: String
}

func failWithDataError(_ message: String) -> ExitCode {
  var standardError = StandardError()
  print("precisionlab: \(message)", to: &standardError)
  return ExitCode(65)
}

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

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
