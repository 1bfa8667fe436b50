import Scalars
import Testing

/// OCP FP8 and MX edge cases: largest finite values, ties at the top and bottom of the range, overflow
/// in saturating and non-saturating modes, NaN and infinity handling.
@Suite struct FormatEdgeCaseTests {
  static func hex<T: PrecisionScalar>(_: T.Type, _ x: Double, _ mode: RoundingMode = .nearestEven) -> String {
    RoundingEnvironment.with(mode) { T(x).hexDescription }
  }

  @Test func e4m3() {
    #expect(FloatFormat.e4m3.hex(.largestFinite) == "0x1.cp+8")  // 448
    #expect(FloatFormat.e4m3.hex(.smallestSubnormal) == "0x1p-9")
    #expect(Self.hex(E4M3.self, 448) == "0x1.cp+8")
    #expect(Self.hex(E4M3.self, 464) == "0x1.cp+8")  // tie between 448 and (NaN-coded) 480: even
    #expect(Self.hex(E4M3.self, 464.5) == "nan")  // non-saturating overflow: NaN (no infinity)
    #expect(Self.hex(E4M3.self, 480) == "nan")
    #expect(Self.hex(E4M3.self, -1e6) == "nan")
    #expect(Self.hex(E4M3.self, .infinity) == "nan")
    #expect(Self.hex(E4M3.self, .nan) == "nan")
    #expect(Self.hex(E4M3.self, 1e6, .towardZero) == "0x1.cp+8")  // IEEE 754 §7.4 in every format
    #expect(Self.hex(E4M3.self, -1e6, .towardPositive) == "-0x1.cp+8")
    #expect(Self.hex(E4M3.self, 1e6, .towardPositive) == "nan")
    #expect(Self.hex(E4M3Saturating.self, 464.5) == "0x1.cp+8")
    #expect(Self.hex(E4M3Saturating.self, -1e6) == "-0x1.cp+8")
    #expect(Self.hex(E4M3Saturating.self, .infinity) == "0x1.cp+8")
    #expect(Self.hex(E4M3Saturating.self, .nan) == "nan")
    #expect(Self.hex(E4M3.self, 0x1p-10) == "0x0p+0")  // tie between 0 and the smallest subnormal
    #expect(Self.hex(E4M3.self, -0x1p-10) == "-0x0p+0")
    #expect(Self.hex(E4M3.self, 0x1.01p-10) == "0x1p-9")
    #expect(Self.hex(E4M3.self, 0x1.7p-7) == "0x1.8p-7")  // subnormal grid 2^-9
    #expect((E4M3(256) + E4M3(256)).hexDescription == "nan")  // 512 overflows
    #expect((E4M3Saturating(256) + E4M3Saturating(256)).hexDescription == "0x1.cp+8")
  }

  @Test func e5m2() {
    #expect(FloatFormat.e5m2.hex(.largestFinite) == "0x1.cp+15")  // 57344
    #expect(Self.hex(E5M2.self, 61439) == "0x1.cp+15")
    #expect(Self.hex(E5M2.self, 61440) == "inf")  // tie: 57344 is odd, 65536 even → overflow
    #expect(Self.hex(E5M2.self, -61440) == "-inf")
    #expect(Self.hex(E5M2.self, .infinity) == "inf")
    #expect(Self.hex(E5M2Saturating.self, 1e9) == "0x1.cp+15")
    #expect(Self.hex(E5M2Saturating.self, .infinity) == "inf")  // has infinities: kept
    #expect(Self.hex(E5M2.self, 1e9, .towardNegative) == "0x1.cp+15")
    #expect(Self.hex(E5M2.self, 0x1p-17) == "0x0p+0")  // half the smallest subnormal 2^-16
    #expect(Self.hex(E5M2.self, 0x1p-17, .nearestAway) == "0x1p-16")
  }

  @Test func mxFormats() {
    // FP4 E2M1 holds ±{0, 0.5, 1, 1.5, 2, 3, 4, 6}.
    let expected: [(Double, String)] = [
      (5, "0x1p+2"), (5.0001, "0x1.8p+2"), (7, "0x1.8p+2"), (100, "0x1.8p+2"), (0.25, "0x0p+0"),
      (0.2501, "0x1p-1"), (2.5, "0x1p+1"), (3.5, "0x1p+2"), (-1e30, "-0x1.8p+2"), (.nan, "nan"),
    ]
    for (x, want) in expected { #expect(Self.hex(FP4E2M1.self, x) == want, "fp4 \(x)") }
    #expect(FloatFormat.fp6e2m3.hex(.largestFinite) == "0x1.ep+2")  // 7.5
    #expect(FloatFormat.fp6e3m2.hex(.largestFinite) == "0x1.cp+4")  // 28
    #expect(Self.hex(FP6E2M3.self, 1e9) == "0x1.ep+2")
    #expect(Self.hex(FP6E3M2.self, -1e9) == "-0x1.cp+4")
    #expect(Self.hex(FP6E2M3.self, .infinity) == "0x1.ep+2")
  }

  @Test func signedZerosAndSpecials() {
    #expect((Binary16(1) - Binary16(1)).hexDescription == "0x0p+0")
    RoundingEnvironment.with(.towardNegative) {
      #expect((Binary16(1) - Binary16(1)).hexDescription == "-0x0p+0")
      #expect((Binary128(1) - Binary128(1)).hexDescription == "-0x0p+0")
      #expect((BFloat16(-0.0) + BFloat16(0.0)).hexDescription == "-0x0p+0")
    }
    RoundingEnvironment.with(.odd) {
      #expect((Binary128(2) - Binary128(2)).hexDescription == "0x0p+0")
      #expect((Binary16(-0.0) + Binary16(-0.0)).hexDescription == "-0x0p+0")
    }
    #expect(Binary16(-0.0).squareRoot().hexDescription == "-0x0p+0")
    #expect(Binary16(-1).squareRoot().isNaN)
    #expect((BFloat16(1) / BFloat16(0)).hexDescription == "inf")
    #expect((BFloat16(-1) / BFloat16(0)).hexDescription == "-inf")
    #expect((BFloat16(0) / BFloat16(0)).isNaN)
    #expect((Binary128(1) / Binary128(-0.0)).hexDescription == "-inf")
    #expect(Binary16(-0.0).isZero && Binary128(-0.0).isZero && !Binary16(0x1p-24).isZero)
    #expect(Binary16(65520).hexDescription == "inf")
    #expect(Binary16(65519.99).hexDescription == "0x1.ffcp+15")
  }
}
