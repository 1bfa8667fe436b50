import Scalars
import ScalarConformance
import Testing

/// Emulated binary16/32/64 and MPFR at p = 53 against the hardware's own correctly rounded operations,
/// bit for bit (NaNs compared as NaN).
@Suite struct HardwareAgreementTests {
  /// Special and boundary binary64 values: zeros, subnormals, normals at the edges, halfway cases,
  /// overflow thresholds, infinities, NaN.
  static func specials<H: BinaryFloatingPoint>(_: H.Type) -> [Double] {
    let m = Double(H.greatestFiniteMagnitude)
    let n = Double(H.leastNormalMagnitude)
    let s = Double(H.leastNonzeroMagnitude)
    let e = Double(H.ulpOfOne)
    let base: [Double] = [
      0, 1, 2, 3, 0.5, 1 + e, 1 - e / 2, 1 + e / 2, 1 + 1.5 * e, m, m * (1 + e / 4), m * (1 + e / 2),
      n, n - s, n / 2, s, s / 2, s * 1.5, s * 2.5, 3 * s, .infinity, .nan, 0.1, 1e-3, 65504, 65520,
    ]
    return base + base.map { -$0 }
  }

  /// Random binary64 bit patterns whose values lie around the hardware format's range.
  static func randomValues<H: BinaryFloatingPoint>(_: H.Type, count: Int, seed: UInt64) -> [Double] {
    var g = SplitMix64(seed: seed)
    let span = H.greatestFiniteMagnitude.exponent - H.leastNonzeroMagnitude.exponent + 4
    return (0..<count).map { _ in
      let exponent = Int(H.leastNonzeroMagnitude.exponent) - 2 + Int(g.next() % UInt64(span))
      let sign: Double = g.next() & 1 == 0 ? 1 : -1
      return Double(H(sign * Double(sign: .plus, exponent: exponent, significand: 1 + Double(g.next() >> 11) * 0x1p-53)))
    }
  }

  static func same(_ a: Double, _ b: Double) -> Bool {
    (a.isNaN && b.isNaN) || a.bitPattern == b.bitPattern
  }

  /// Compares every binary operation of emulated `E` with hardware `H` on all pairs of `values`.
  static func mismatches<E: PrecisionScalar, H: BinaryFloatingPoint & PrecisionScalar>(
    _: E.Type, _: H.Type, values: [Double], pairs: Int
  ) -> [String] {
    var failures: [String] = []
    var g = SplitMix64(seed: 99)
    func check(_ what: String, _ got: Double, _ want: Double) {
      if !same(got, want) && failures.count < 8 { failures.append("\(what): \(got) != \(want)") }
    }
    for v in values {
      check("round(\(v))", E(v).doubleValue, Double(H(v)))
      let x = H(v)
      check("sqrt(\(x))", E(Double(x)).squareRoot().doubleValue, Double(x.squareRoot()))
    }
    for _ in 0..<pairs {
      let a = H(values[Int(g.next() % UInt64(values.count))])
      let b = H(values[Int(g.next() % UInt64(values.count))])
      let c = H(values[Int(g.next() % UInt64(values.count))])
      let ea = E(Double(a)), eb = E(Double(b)), ec = E(Double(c))
      check("\(a) + \(b)", (ea + eb).doubleValue, Double(a + b))
      check("\(a) - \(b)", (ea - eb).doubleValue, Double(a - b))
      check("\(a) * \(b)", (ea * eb).doubleValue, Double(a * b))
      check("\(a) / \(b)", (ea / eb).doubleValue, Double(a / b))
      check("fma(\(a), \(b), \(c))", E.fusedMultiplyAdd(ea, eb, ec).doubleValue, Double(H.fusedMultiplyAdd(a, b, c)))
      var acc = ec
      E.multiplyAccumulate(&acc, ea, eb)
      var hacc = c
      H.multiplyAccumulate(&hacc, a, b)
      check("mac(\(c), \(a), \(b))", acc.doubleValue, Double(hacc))
    }
    return failures
  }

  @Test func binary16MatchesFloat16() {
    let values = Self.specials(Float16.self) + Self.randomValues(Float16.self, count: 3000, seed: 1)
    #expect(Self.mismatches(Binary16.self, Float16.self, values: values, pairs: 20000) == [])
  }

  @Test func binary32MatchesFloat() {
    let values = Self.specials(Float.self) + Self.randomValues(Float.self, count: 3000, seed: 2)
    #expect(Self.mismatches(Binary32.self, Float.self, values: values, pairs: 20000) == [])
  }

  @Test func binary64OnMPFRMatchesDouble() {
    let values = Self.specials(Double.self) + Self.randomValues(Double.self, count: 2000, seed: 3)
    #expect(Self.mismatches(Binary64MPFR.self, Double.self, values: values, pairs: 5000) == [])
  }

  @Test func binary64MatchesDouble() {
    let values = Self.specials(Double.self) + Self.randomValues(Double.self, count: 3000, seed: 6)
    #expect(Self.mismatches(Binary64.self, Double.self, values: values, pairs: 20000) == [])
  }

  @Test func mpfrAt53BitsWithBinary64RangeMatchesDouble() throws {
    let values = Self.specials(Double.self) + Self.randomValues(Double.self, count: 2000, seed: 4)
    let failures = try MPFRFloat.withFormat(FloatFormat.named("mpfr:53:1023")) {
      Self.mismatches(MPFRFloat.self, Double.self, values: values, pairs: 5000)
    }
    #expect(failures == [])
  }

  /// Conversions from every Int magnitude, including those binary64 cannot hold.
  @Test func integersConvertLikeHardware() {
    var g = SplitMix64(seed: 5)
    var failures: [String] = []
    for _ in 0..<5000 {
      let n = Int(bitPattern: UInt(g.next())) >> Int(g.next() % 64)
      if !Self.same(Binary16(n).doubleValue, Double(Float16(n))) { failures.append("binary16 \(n)") }
      if !Self.same(Binary32(n).doubleValue, Double(Float(n))) { failures.append("binary32 \(n)") }
      if !Self.same(Binary64(n).doubleValue, Double(n)) { failures.append("binary64 \(n)") }
      if !Self.same(Binary64MPFR(n).doubleValue, Double(n)) { failures.append("binary64 on MPFR \(n)") }
    }
    for n in [Int.max, Int.min, Int.max - 1, 1 << 53 + 1, -(1 << 60) - 1] {
      if !Self.same(Binary32(n).doubleValue, Double(Float(n))) { failures.append("binary32 \(n)") }
      if !Self.same(Binary64(n).doubleValue, Double(n)) { failures.append("binary64 \(n)") }
      if !Self.same(Binary64MPFR(n).doubleValue, Double(n)) { failures.append("binary64 on MPFR \(n)") }
    }
    #expect(failures == [])
  }

  /// The fused multiply-add of hardware Float16 is correctly rounded (the standard library's
  /// `addingProduct` may round twice on x86_64 Linux): it must agree with emulated binary16's.
  @Test func float16FusedMultiplyAccumulateIsCorrectlyRounded() {
    let values = Self.randomValues(Float16.self, count: 500, seed: 6)
    var g = SplitMix64(seed: 7)
    var failures: [String] = []
    for _ in 0..<20000 {
      let a = Float16(values[Int(g.next() % 500)]), b = Float16(values[Int(g.next() % 500)])
      let c = Float16(values[Int(g.next() % 500)])
      let got = Float16.fusedMultiplyAdd(a, b, c)
      let want = Binary16.fusedMultiplyAdd(Binary16(Double(a)), Binary16(Double(b)), Binary16(Double(c)))
      if !Self.same(Double(got), want.doubleValue) { failures.append("fma(\(a), \(b), \(c))") }
    }
    #expect(failures == [])
  }
}
