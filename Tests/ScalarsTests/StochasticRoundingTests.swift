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
