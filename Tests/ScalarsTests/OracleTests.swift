import BigInt
import Scalars
import ScalarConformance
import Testing

/// Every operation of every emulated and MPFR type, in every deterministic rounding mode, against
/// exact rational arithmetic (BigInt): no floating point and no MPFR in the reference.
@Suite struct OracleTests {
  static let deterministicModes: [RoundingMode] = [
    .nearestEven, .nearestAway, .towardZero, .towardPositive, .towardNegative, .odd,
  ]

  enum Op: CaseIterable { case add, sub, mul, div, sqrt, fma, mac }

  /// Checks `samples` operand triples per mode; returns the mismatches (at most 5 described).
  static func mismatches<T: PrecisionScalar>(
    _: T.Type, modes: [RoundingMode] = deterministicModes, samples: Int, seed: UInt64 = 1
  ) -> [String] {
    var sampler = OperandSampler<T>(seed: seed)
    let f = T.format
    var failures: [String] = []
    for mode in modes {
      for _ in 0..<samples {
        let (x, y) = sampler.pair()
        let z = sampler.value()
        for op in Op.allCases {
          let (got, expected, what) = RoundingEnvironment.with(mode) { () -> (String, OracleResult?, String) in
            switch op {
            case .add: return ((x + y).hexDescription, expectedSum(x, y, negateSecond: false, f, mode), "add")
            case .sub: return ((x - y).hexDescription, expectedSum(x, y, negateSecond: true, f, mode), "sub")
            case .mul: return ((x * y).hexDescription, expectedProduct(x, y, f, mode), "mul")
            case .div: return ((x / y).hexDescription, expectedQuotient(x, y, f, mode), "div")
            case .sqrt:
              let a = x.isZero ? x : (x < T(0) ? -x : x)
              return (a.squareRoot().hexDescription, expectedSquareRoot(a, f, mode), "sqrt")
            case .fma:
              return (T.fusedMultiplyAdd(x, y, z).hexDescription, expectedFMA(x, y, z, f, mode), "fma")
            case .mac:
              var acc = z
              T.multiplyAccumulate(&acc, x, y)
              return (acc.hexDescription, expectedMAC(x, y, z, f, mode), "mac")
            }
          }
          guard let expected else { continue }
          if OracleResult(hex: got) != expected {
            if failures.count < 5 {
              failures.append("\(f.name) \(mode) \(what)(\(x.hexDescription), \(y.hexDescription), \(z.hexDescription)) = \(got), exact rounding \(expected)")
            } else if failures.count == 5 {
              failures.append("...")
            }
          }
        }
      }
    }
    return failures
  }

  static func exact<T: PrecisionScalar>(_ x: T) -> (ExactRational, zeroNegative: Bool)? {
    let hex = x.hexDescription
    guard let r = ExactRational(hex: hex) else { return nil }
    return (r, hex.hasPrefix("-"))
  }

  static func expectedSum<T: PrecisionScalar>(_ x: T, _ y: T, negateSecond: Bool, _ f: FloatFormat, _ mode: RoundingMode) -> OracleResult? {
    guard let (a, an) = exact(x), let (b0, bn0) = exact(y) else { return nil }
    let b = negateSecond ? -b0 : b0
    let bn = negateSecond ? !bn0 : bn0
    let s = a + b
    let zeroNegative = RoundingOracle.zeroSumNegative(a.isZero ? an : nil, b.isZero ? bn : nil, mode)
    return RoundingOracle.round(s, zeroNegative: zeroNegative, f, mode)
  }

  static func expectedProduct<T: PrecisionScalar>(_ x: T, _ y: T, _ f: FloatFormat, _ mode: RoundingMode) -> OracleResult? {
    guard let (a, an) = exact(x), let (b, bn) = exact(y) else { return nil }
    return RoundingOracle.round(a * b, zeroNegative: an != bn, f, mode)
  }

  static func expectedQuotient<T: PrecisionScalar>(_ x: T, _ y: T, _ f: FloatFormat, _ mode: RoundingMode) -> OracleResult? {
    guard let (a, an) = exact(x), let (b, bn) = exact(y), !b.isZero else { return nil }
    return RoundingOracle.round(a / b, zeroNegative: an != bn, f, mode)
  }

  static func expectedSquareRoot<T: PrecisionScalar>(_ x: T, _ f: FloatFormat, _ mode: RoundingMode) -> OracleResult? {
    guard let (a, an) = exact(x) else { return nil }
    if a.isZero { return .finite(a, negative: an) }
    return RoundingOracle.roundSquareRoot(a, f, mode)
  }

  static func expectedFMA<T: PrecisionScalar>(_ x: T, _ y: T, _ z: T, _ f: FloatFormat, _ mode: RoundingMode) -> OracleResult? {
    guard let (a, an) = exact(x), let (b, bn) = exact(y), let (c, cn) = exact(z) else { return nil }
    let p = a * b
    let zeroNegative = RoundingOracle.zeroSumNegative(p.isZero ? (an != bn) : nil, c.isZero ? cn : nil, mode)
    return RoundingOracle.round(p + c, zeroNegative: zeroNegative, f, mode)
  }

  static func expectedMAC<T: PrecisionScalar>(_ x: T, _ y: T, _ z: T, _ f: FloatFormat, _ mode: RoundingMode) -> OracleResult? {
    guard let product = expectedProduct(x, y, f, mode) else { return nil }
    guard case .finite(let p, let pn) = product, let (c, cn) = exact(z) else { return nil }
    let zeroNegative = RoundingOracle.zeroSumNegative(p.isZero ? pn : nil, c.isZero ? cn : nil, mode)
    return RoundingOracle.round(p + c, zeroNegative: zeroNegative, f, mode)
  }

  @Test func binary16() { #expect(Self.mismatches(Binary16.self, samples: 80) == []) }
  @Test func bfloat16() { #expect(Self.mismatches(BFloat16.self, samples: 80) == []) }
  @Test func tf32() { #expect(Self.mismatches(TF32.self, samples: 80) == []) }
  @Test func binary32() { #expect(Self.mismatches(Binary32.self, samples: 80) == []) }
  @Test func e4m3() { #expect(Self.mismatches(E4M3.self, samples: 80) == []) }
  @Test func e4m3Saturating() { #expect(Self.mismatches(E4M3Saturating.self, samples: 80) == []) }
  @Test func e5m2() { #expect(Self.mismatches(E5M2.self, samples: 80) == []) }
  @Test func fp6AndFP4() {
    #expect(Self.mismatches(FP6E2M3.self, samples: 80) == [])
    #expect(Self.mismatches(FP6E3M2.self, samples: 80) == [])
    #expect(Self.mismatches(FP4E2M1.self, samples: 80) == [])
  }
  @Test func binary64OnMPFR() { #expect(Self.mismatches(Binary64MPFR.self, samples: 30) == []) }
  @Test func binary64() { #expect(Self.mismatches(Binary64.self, samples: 120) == []) }
  @Test func binary128() { #expect(Self.mismatches(Binary128.self, samples: 30) == []) }
  @Test func x87Extended() { #expect(Self.mismatches(X87Extended.self, samples: 25) == []) }

  @Test func customFormats() {
    // p = 26 takes the binary64 engine without its nearest-even shortcut; no-subnormal formats.
    #expect(Self.mismatches(SmallFloat<Custom26>.self, samples: 60) == [])
    #expect(Self.mismatches(SmallFloat<NoSubnormals>.self, samples: 80) == [])
    #expect(Self.mismatches(WideFloat<WideNoSubnormalsSaturating>.self, samples: 30) == [])
  }

  /// `EmulatedFloat`, the one type the networks use for every binary64-engine format other than
  /// binary16 and bfloat16, with each preset and custom formats set at run time.
  @Test(arguments: [
    FloatFormat.tf32, .binary32, .e4m3, .e4m3.saturating(), .e5m2, .e5m2.saturating(), .fp6e2m3, .fp6e3m2, .fp4e2m1,
    try! FloatFormat.named("ieee:10:15"), try! FloatFormat.named("ieee:26:100"), try! FloatFormat.named("ieee:5:3"),
    try! FloatFormat.named("ieee:27:127"), try! FloatFormat.named("ieee:40:300"), try! FloatFormat.named("ieee:51:127"),
  ])
  func emulatedFloatWithARuntimeFormat(format: FloatFormat) {
    let failures = EmulatedFloat.withFormat(format) { Self.mismatches(EmulatedFloat.self, samples: 40) }
    #expect(failures == [], "\(format.name)")
    #expect(EmulatedFloat.withFormat(format) { EmulatedFloat.format } == format)
  }

  /// The MPFR-engine presets as `MPFRFloat` with the format set at run time (what the networks use
  /// for them), keeping their names.
  @Test func mpfrFloatWithPresetFormats() {
    for format in [FloatFormat.binary64, .x87Extended, .binary128] {
      let failures = MPFRFloat.withFormat(format) { Self.mismatches(MPFRFloat.self, samples: 20) }
      #expect(failures == [], "\(format.name)")
      #expect(MPFRFloat.withFormat(format) { MPFRFloat.format } == format)
    }
  }

  @Test func mpfrAtRuntimePrecisions() {
    for name in ["mpfr:2", "mpfr:7", "mpfr:200", "mpfr:40:100"] {
      let format = try! FloatFormat.named(name)
      let failures = MPFRFloat.withFormat(format) { Self.mismatches(MPFRFloat.self, samples: 20) }
      #expect(failures == [], "\(name)")
    }
  }
}

enum Custom26: FormatSpecification {
  static let format = try! FloatFormat.ieee("ieee:26:100", precision: 26, emax: 100)
}
enum NoSubnormals: FormatSpecification {
  static let format = try! FloatFormat(name: "p6-nosub", precision: 6, emin: -10, emax: 10, hasSubnormals: false)
}
enum WideNoSubnormalsSaturating: FormatSpecification {
  static let format = try! FloatFormat(
    name: "p40-nosub-sat", precision: 40, emin: -60, emax: 60, hasSubnormals: false, overflow: .saturate)
}
