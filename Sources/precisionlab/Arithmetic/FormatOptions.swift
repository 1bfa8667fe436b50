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
