import Scalars
import Testing

/// The README's Swift example, compiled and run, so that it stays true.
@Suite struct ReadmeExampleTests {
  static func dot<T: PrecisionScalar>(_ x: [T], _ y: [T]) -> T {
    var acc: T = 0
    for i in x.indices { T.multiplyAccumulate(&acc, x[i], y[i]) }  // round(acc + round(x·y))
    return acc
  }

  static func tenths<T: PrecisionScalar>(_: T.Type) -> [T] { (1...8).map { T($0) / T(10) } }

  @Test func example() throws {
    let half = Self.dot(Self.tenths(Float16.self), Self.tenths(Float16.self))
    let bf16 = Self.dot(Self.tenths(BFloat16.self), Self.tenths(BFloat16.self))
    let sr = RoundingEnvironment.with(.stochastic, seed: 42) {
      Self.dot(Self.tenths(BFloat16.self), Self.tenths(BFloat16.self))
    }
    let wide = MPFRFloat.withFormat(try FloatFormat.named("mpfr:500")) {
      Self.dot(Self.tenths(MPFRFloat.self), Self.tenths(MPFRFloat.self))
    }
    // Exact value: (1² + … + 8²)/100 = 2.04.
    #expect(abs(half.doubleValue - 2.04) < 0.01)
    #expect(abs(bf16.doubleValue - 2.04) < 0.05)
    #expect(abs(sr.doubleValue - 2.04) < 0.05)
    #expect(wide.precision == 500)
    let exact = try MPFRFloat(text: "2.04", format: try FloatFormat.named("mpfr:500"))
    #expect(abs((wide - exact).doubleValue) < 1e-140)
  }
}
