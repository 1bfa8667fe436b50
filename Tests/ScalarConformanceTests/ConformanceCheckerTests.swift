import ScalarConformance
import Scalars
import Testing

/// Every scalar type through the conformance checker, and proof that the checker catches a type that
/// does not round as its format says.
@Suite struct ConformanceCheckerTests {
  static let allModes = RoundingMode.allCases

  @Test func hardwareTypes() {
    let reports = [
      ConformanceChecker.check(Float16.self, correctlyRoundedElementary: false),
      ConformanceChecker.check(Float.self, correctlyRoundedElementary: false),
      ConformanceChecker.check(Double.self, correctlyRoundedElementary: false),
      ConformanceChecker.check(Float80.self, samples: 200, correctlyRoundedElementary: false),
    ]
    for report in reports { #expect(report.passed, "\(report)") }
  }

  @Test func emulatedTypesInEveryMode() {
    let reports = [
      ConformanceChecker.check(Binary16.self, modes: Self.allModes, samples: 100),
      ConformanceChecker.check(BFloat16.self, modes: Self.allModes, samples: 100),
      ConformanceChecker.check(TF32.self, modes: Self.allModes, samples: 60),
      ConformanceChecker.check(Binary32.self, modes: Self.allModes, samples: 60),
      ConformanceChecker.check(E4M3.self, modes: Self.allModes, samples: 100),
      ConformanceChecker.check(E5M2Saturating.self, modes: Self.allModes, samples: 60),
      ConformanceChecker.check(FP4E2M1.self, modes: Self.allModes, samples: 60),
      ConformanceChecker.check(Binary128.self, modes: Self.allModes, samples: 30),
      ConformanceChecker.check(Binary64MPFR.self, modes: Self.allModes, samples: 30),
      ConformanceChecker.check(Binary64.self, modes: Self.allModes, samples: 60),
    ]
    for report in reports { #expect(report.passed, "\(report)") }
  }

  @Test func mpfrType() throws {
    let report = MPFRFloat.withFormat(try FloatFormat.named("mpfr:300")) {
      ConformanceChecker.check(MPFRFloat.self, modes: Self.allModes, samples: 30)
    }
    #expect(report.passed, "\(report)")
  }

  @Test func catchesATypeThatDoesNotRoundToItsFormat() {
    let report = ConformanceChecker.check(SloppyHalf.self, samples: 100)
    #expect(!report.passed)
    #expect(report.failures.contains { $0.contains("T(") })
    #expect(report.failures.contains { $0.contains("mul(") || $0.contains("add(") })
  }
}

/// Claims to be binary16 but computes in binary32 and never rounds to half: what the checker exists to
/// catch.
struct SloppyHalf: PrecisionScalar {
  var v: Float
  init(_ v: Float) { self.v = v }
  static var format: FloatFormat { .binary16 }
  init(_ value: Double) { v = Float(value) }
  init(_ value: Int) { v = Float(value) }
  var doubleValue: Double { Double(v) }
  var hexDescription: String { HexFloat.format(Double(v)) }
  var isZero: Bool { v == 0 }
  var isNaN: Bool { v.isNaN }
  var isFinite: Bool { v.isFinite }
  static func < (a: Self, b: Self) -> Bool { a.v < b.v }
  static func == (a: Self, b: Self) -> Bool { a.v == b.v }
  static func + (a: Self, b: Self) -> Self { Self(a.v + b.v) }
  static func - (a: Self, b: Self) -> Self { Self(a.v - b.v) }
  static func * (a: Self, b: Self) -> Self { Self(a.v * b.v) }
  static func / (a: Self, b: Self) -> Self { Self(a.v / b.v) }
  static prefix func - (x: Self) -> Self { Self(-x.v) }
  func squareRoot() -> Self { Self(v.squareRoot()) }
  static func exp(_ x: Self) -> Self { Self(Float.exp(x.v)) }
  static func log(_ x: Self) -> Self { Self(Float.log(x.v)) }
  static func fusedMultiplyAccumulate(_ acc: inout Self, _ a: Self, _ b: Self) { acc.v.addProduct(a.v, b.v) }
}
