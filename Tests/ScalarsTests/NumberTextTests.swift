import Scalars
import Testing

/// Decimal and hexadecimal text is read exactly and rounded once, in every mode.
@Suite struct NumberTextTests {
  static func read(_ format: String, _ text: String, _ mode: RoundingMode = .nearestEven) throws -> String {
    let calculator = FormatCalculator(format: try FloatFormat.named(format))
    return try RoundingEnvironment.with(mode) { calculator.hex(try calculator.read(text)) }
  }

  @Test func halfwayDecimalsRoundCorrectly() throws {
    // 1 + 2^-11 is the binary16 midpoint between 1 and 1 + 2^-10.
    #expect(try Self.read("fp16", "1.00048828125") == "0x1p+0")
    #expect(try Self.read("fp16", "1.00048828125", .nearestAway) == "0x1.004p+0")
    #expect(try Self.read("fp16", "1.000488281250000000000000000000001") == "0x1.004p+0")
    #expect(try Self.read("fp16", "1.000488281249999999999999999999999") == "0x1p+0")
    #expect(try Self.read("fp16", "1.0000000000000000000000000000001", .towardPositive) == "0x1.004p+0")
    #expect(try Self.read("fp16", "-1.0000000000000000000000000000001", .towardPositive) == "-0x1p+0")
    #expect(try Self.read("fp16", "1.0000000000000000000000000000001", .odd) == "0x1.004p+0")
    // binary64 midpoint 1 + 2^-53 written out exactly, and one digit beyond it.
    #expect(try Self.read("binary64", "1.00000000000000011102230246251565404236316680908203125") == "0x1p+0")
    #expect(try Self.read("binary64", "1.000000000000000111022302462515654042363166809082031251") == "0x1.0000000000001p+0")
  }

  @Test func knownConstants() throws {
    #expect(try Self.read("bf16", "0.1") == "0x1.9ap-4")
    #expect(try Self.read("fp32", "0.1") == "0x1.99999ap-4")
    #expect(try Self.read("binary128", "0.1") == "0x1.999999999999999999999999999ap-4")
    #expect(try Self.read("binary128", "0.1", .towardZero) == "0x1.9999999999999999999999999999p-4")
    #expect(try Self.read("fp16", "0x1.ffcp15") == "0x1.ffcp+15")
    #expect(try Self.read("fp16", "-0x1p-25") == "-0x0p+0")
    #expect(try Self.read("fp16", "-0x1p-25", .towardNegative) == "-0x1p-24")
  }

  @Test func valuesBeyondBinary64Range() throws {
    #expect(try Self.read("binary128", "1e-5000") == "0x0p+0")
    #expect(try Self.read("binary128", "1e-5000", .towardPositive) == "0x1p-16494")
    #expect(try Self.read("bf16", "1e400") == "inf")
    #expect(try Self.read("bf16", "1e400", .towardZero) == "0x1.fep+127")
    #expect(try Self.read("bf16", "1e-400", .towardPositive) == "0x1p-133")
    #expect(try Self.read("binary128", "1e4000").hasPrefix("0x1."))
    #expect(try Self.read("mpfr:64", "1e100000000").hasSuffix("p+332192809"))
  }

  @Test func specials() throws {
    #expect(try Self.read("fp16", "inf") == "inf")
    #expect(try Self.read("fp16", "-Infinity") == "-inf")
    #expect(try Self.read("e4m3", "inf") == "nan")
    #expect(try Self.read("binary128", "nan") == "nan")
    #expect(try Self.read("fp32", "-0") == "-0x0p+0")
  }

  @Test func malformedTextIsRejected() {
    for text in ["", "abc", "1.2.3", "0x", "1e", " 1", "1 ", "--1", "1,5", "0x1p", "١"] {
      #expect(throws: NumberTextError.self, "\(text)") { try Self.read("fp16", text) }
      #expect(throws: NumberTextError.self, "\(text)") { try Self.read("binary128", text) }
    }
  }

  @Test func shortestRoundTripDecimal() throws {
    func shortest(_ format: String, _ text: String) throws -> String {
      let c = FormatCalculator(format: try FloatFormat.named(format))
      return c.shortestDecimal(try c.read(text))
    }
    #expect(try shortest("fp32", "0.1") == "1e-1")
    #expect(try shortest("fp16", "0.1") == "1e-1")
    #expect(try shortest("fp64", "0.3") == "3e-1")
    #expect(try shortest("fp64", "0x1.5555555555555p-2") == "3.333333333333333e-1")
    #expect(try shortest("bf16", "3.14159") == "3.14e+0")
    #expect(try shortest("e4m3", "448") == "4.5e+2")
    #expect(try shortest("fp16", "-0") == "-0")
    #expect(try shortest("mpfr:100", "0.1") == "1e-1")
  }
}
