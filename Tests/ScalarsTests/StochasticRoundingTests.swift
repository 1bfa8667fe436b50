import BigInt
import Foundation
import Scalars
import Testing

/// Stochastic rounding: only the two neighbours, up with probability equal to the exact fractional
/// distance, unbiased, reproducible from a seed, independent streams.
@Suite struct StochasticRoundingTests {
  /// Rounds `operation()` (exact value `exact`) `n` times; checks every result is a neighbour and that
  /// the share rounded up is within 5 standard deviations of the exact fraction, and the mean within
  /// 5 standard deviations of the exact value.
  static func check<T: PrecisionScalar>(
    _: T.Type, exact: ExactRational, n: Int = 4000, seed: UInt64 = 11, _ operation: () -> T
  ) -> [String] {
    let f = T.format
    let bracket = RoundingOracle.bracket(exact.magnitude, f)
    let down = RoundingOracle.round(exact, f, .stochastic, stochasticUp: false)
    let up = RoundingOracle.round(exact, f, .stochastic, stochasticUp: true)
    var ups = 0
    var failures: [String] = []
    var sum = ExactRational(0)
    RoundingEnvironment.with(.stochastic, seed: seed) {
      for _ in 0..<n {
        let result = OracleResult(hex: operation().hexDescription)
        if case .finite(let value, _) = result { sum = sum + value }
        if result == up && !bracket.fraction.isZero {
          ups += 1
        } else if result != down {
          failures.append("\(f.name): \(result) is neither neighbour \(down) nor \(up)")
          return
        }
      }
    }
    let fraction = Double(bracket.fraction.numerator) / Double(bracket.fraction.denominator)
    let share = Double(ups) / Double(n)
    let sigma = (fraction * (1 - fraction) / Double(n)).squareRoot()
    if abs(share - fraction) > 5 * sigma + 1e-12 {
      failures.append("\(f.name): rounded up \(share) of the time, exact fraction \(fraction)")
    }
    // Unbiasedness: E[round(x)] = x, so the sample mean is within 5σ·gap of the exact value.
    let gap = ExactRational(1, timesTwoTo: bracket.quantumExponent)
    let meanError = (sum / ExactRational(BigInt(n)) - exact).magnitude / gap
    if Double(meanError.numerator) / Double(meanError.denominator) > 5 * sigma + 1e-12 {
      failures.append("\(f.name): mean of \(n) roundings is \(meanError) gaps from the exact value")
    }
    return failures
  }

  @Test func additionInBFloat16() {
    // 1 + 0.3·2^-7: between 1 and 1 + 2^-7 at 30 % of the gap (0.3 is not dyadic: exact value from text).
    let x = BFloat16(1)
    let y = RoundingEnvironment.with(.nearestEven) { BFloat16(0x1.3333p-9) }  // a bfloat16 value
    let exact = ExactRational(hex: "0x1p+0")! + ExactRational(hex: y.hexDescription)!
    #expect(Self.check(BFloat16.self, exact: exact) { x + y } == [])
  }

  @Test func divisionSquareRootAndFMA() {
    let three = Binary16(3), one = Binary16(1), two = Binary16(2)
    #expect(Self.check(Binary16.self, exact: ExactRational(1, 3)) { one / three } == [])
    let a = Binary16(1.25), b = Binary16(1.75), c = Binary16(0x1p-14)
    let fmaExact = ExactRational(hex: a.hexDescription)! * ExactRational(hex: b.hexDescription)!
      + ExactRational(hex: c.hexDescription)!
    #expect(Self.check(Binary16.self, exact: fmaExact) { Binary16.fusedMultiplyAdd(a, b, c) } == [])
    // √2 is irrational: a 60-bit rational approximation has the same neighbours and fraction to 2^-49.
    let sqrt2 = ExactRational(BigInt((BigUInt(2) << 120).squareRoot()), BigInt(1) << 60)
    #expect(Self.check(Binary16.self, exact: sqrt2) { two.squareRoot() } == [])
  }

  @Test func e4m3AndMPFREngine() {
    let x = E4M3(10), y = E4M3(0.75)
    let exact = ExactRational(10) + ExactRational(3, 4)  // 10.75 between 10 and 11
    #expect(Self.check(E4M3.self, exact: exact) { x + y } == [])
    let q = Binary128(1), r = Binary128(3)
    #expect(Self.check(Binary128.self, exact: ExactRational(1, 3), n: 2000) { q / r } == [])
    let failures = MPFRFloat.withFormat(try! FloatFormat.named("mpfr:12")) {
      let one = MPFRFloat(1), seven = MPFRFloat(7)
      return Self.check(MPFRFloat.self, exact: ExactRational(1, 7), n: 2000) { one / seven }
    }
    #expect(failures == [])
  }

  @Test func exactResultsAreNeverPerturbed() {
    RoundingEnvironment.with(.stochastic, seed: 5) {
      for k in 0..<500 {
        #expect((BFloat16(k) + BFloat16(1)).doubleValue == Double(k + 1) || k + 1 > 256)
        #expect((Binary128(k) * Binary128(2)).doubleValue == Double(2 * k))
      }
    }
  }

  static func draw(seed: UInt64, stream: UInt64, count: Int = 64) -> [Double] {
    RoundingEnvironment.with(.stochastic, seed: seed, stream: stream) {
      (0..<count).map { _ in (BFloat16(1) / BFloat16(3)).doubleValue }
    }
  }

  /// The unfused run of products in C (`SmallFloat.accumulateProducts`, stochastic, p ≤ 26) gives the bits
  /// of the term-by-term loop from the same seed, so the same draws: near 1 (usual roundings), and
  /// operands whose products and sums reach the subnormals, exact zeros and the overflow threshold (the
  /// terms C leaves to Swift), in formats with and without infinities and subnormals.
  @Test func runOfProductsEqualsTermByTerm() {
    func compare<T: PrecisionScalar>(_: T.Type, exponents: ClosedRange<Int>, seed: UInt64) -> [String] {
      var g = SplitMix64(seed: seed)
      let n = 300
      func operand() -> T {
        if g.next() % 17 == 0 { return T(0) }
        let e = exponents.lowerBound + Int(g.next() % UInt64(exponents.count))
        return T(Double(sign: g.next() & 1 == 0 ? .plus : .minus, exponent: e, significand: 1 + g.unit()))
      }
      let x = (0..<(2 * n)).map { _ in operand() }, y = (0..<n).map { _ in operand() }
      var failures: [String] = []
      for start in [T(0), x[0]] {
        // The result, and the next draw (the same only when both drew the same number of values).
        let looped: (T, UInt64) = RoundingEnvironment.with(.stochastic, seed: seed) {
          var acc = start
          for k in 0..<n { T.multiplyAccumulate(&acc, x[2 * k], y[k]) }
          return (acc, RoundingEnvironment.randomBits())
        }
        let run: (T, UInt64) = RoundingEnvironment.with(.stochastic, seed: seed) {
          var acc = start
          x.withUnsafeBufferPointer { xp in
            y.withUnsafeBufferPointer { yp in T.accumulateProducts(&acc, xp.baseAddress!, 2, yp.baseAddress!, 1, count: n, fused: false) }
          }
          return (acc, RoundingEnvironment.randomBits())
        }
        if looped.0.hexDescription != run.0.hexDescription || looped.1 != run.1 {
          failures.append("\(T.format.name) 2^\(exponents): \(run.0.hexDescription) against \(looped.0.hexDescription), next draws \(run.1 == looped.1 ? "equal" : "differ")")
        }
      }
      return failures
    }
    var failures: [String] = []
    for seed in UInt64(1)...4 {
      failures += compare(BFloat16.self, exponents: -4...4, seed: seed)
      failures += compare(BFloat16.self, exponents: -70 ... -60, seed: seed)  // products below 2^-126
      failures += compare(BFloat16.self, exponents: 60...64, seed: seed)  // past the largest finite value
      failures += compare(Binary16.self, exponents: -4...4, seed: seed)
      failures += compare(Binary16.self, exponents: -13 ... -6, seed: seed)
      failures += compare(Binary16.self, exponents: 6...9, seed: seed)
      failures += compare(TF32.self, exponents: -3...3, seed: seed)
      failures += compare(E4M3.self, exponents: -5...5, seed: seed)  // overflow to NaN, no infinities
      failures += compare(FP4E2M1.self, exponents: -1...2, seed: seed)  // saturating
    }
    #expect(failures == [])
  }

  @Test func reproducibleAndIndependentStreams() {
    #expect(Self.draw(seed: 1, stream: 0) == Self.draw(seed: 1, stream: 0))
    #expect(Self.draw(seed: 1, stream: 0) != Self.draw(seed: 1, stream: 1))
    #expect(Self.draw(seed: 1, stream: 0) != Self.draw(seed: 2, stream: 0))
  }

  @Test func threadsHaveTheirOwnStreams() {
    let expected = (0..<4).map { Self.draw(seed: 9, stream: UInt64($0)) }
    let results = Locked<[[Double]]>(Array(repeating: [], count: 4))
    DispatchQueue.concurrentPerform(iterations: 4) { i in
      let r = Self.draw(seed: 9, stream: UInt64(i))
      results.update { $0[i] = r }
    }
    #expect(results.value == expected)
  }

  /// The environment is restored exactly after `with`.
  @Test func environmentIsScoped() {
    let before = RoundingEnvironment.mode
    RoundingEnvironment.with(.towardZero) {
      #expect(RoundingEnvironment.mode == .towardZero)
      RoundingEnvironment.with(.odd) { #expect(RoundingEnvironment.mode == .odd) }
      #expect(RoundingEnvironment.mode == .towardZero)
    }
    #expect(RoundingEnvironment.mode == before)
  }
}

/// A value shared between threads under a lock.
final class Locked<Value>: @unchecked Sendable {
  private var stored: Value
  private let lock = NSLock()
  init(_ value: Value) { stored = value }
  var value: Value { lock.withLock { stored } }
  func update(_ body: (inout Value) -> Void) { lock.withLock { body(&stored) } }
}
