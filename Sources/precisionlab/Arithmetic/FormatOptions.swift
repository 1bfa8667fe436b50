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

  @Option(name: .customLong("rounding-seed"), help: "Seed of the stochastic-rounding stream (as the network commands spell it).")
  var roundingSeed: UInt64?

  @Option(name: .long, help: .hidden)
  var seed: UInt64?

  /// The stochastic seed: `--rounding-seed`, or the deprecated `--seed` (said so on standard error).
  var streamSeed: UInt64 {
    if roundingSeed == nil, seed != nil { writeAll("precisionlab: calc --seed is deprecated and will go in the next release; use --rounding-seed\n", to: 2) }
    return roundingSeed ?? seed ?? 0
  }

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
    if roundingSeed != nil && seed != nil { throw ValidationError("give --rounding-seed only (--seed is its deprecated spelling)") }
  }

  /// Applies the rounding mode and seed to this thread.
  func installEnvironment() {
    RoundingEnvironment.mode = roundingMode
    RoundingEnvironment.seed(streamSeed)
  }
}
