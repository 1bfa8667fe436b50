import Scalars
import Testing

/// The binary64 engine above p = 26, where a product of two values no longer fits in binary64: × and
/// the fused multiply-add then need an fma error term, and a wrong one shows only near the format's
/// midpoints. These operands put the exact product or fma result on a midpoint, or a hair beside one
/// beyond binary64's 53 bits, and compare every deterministic mode with exact rational arithmetic
/// (`OracleTests`' BigInt oracle; no floating point in the reference). Random operands
/// (`OracleTests.emulatedFloatWithARuntimeFormat`) almost never land there.
@Suite struct WideSmallFormatTests {
  /// x = 1 + a·2^-k and y = 1 + b·2^-k + j·u (u the format's ulp at 1): with k near p/2 the exact
  /// product 1 + (a+b)·2^-k + ab·2^-2k + j·u·(1 + a·2^-k) (here b = 1) sits on, just off, or far off
  /// a midpoint of the p-bit grid, with bits below binary64's reach. Addends cancel the product's
  /// leading part or a rounded copy of it.
  static func operands(precision p: Int) -> [(Double, Double, Double)] {
    let u = Double(sign: .plus, exponent: 1 - p, significand: 1)
    var triples: [(Double, Double, Double)] = []
    for k in [p / 2, p / 2 + 1] {
      let step = Double(sign: .plus, exponent: -k, significand: 1)
      for a in [1.0, 3.0] {
        for j in [-1.0, 0.0, 1.0] {
          let x = 1 + a * step, y = 1 + step + j * u
          let product = x * y  // binary64's rounding (the addend is rounded into the format before use)
          for z in [0, -1, -product, -(1 + (a + 1) * step), -3 * u / 4, 0x1p-140] {
            triples.append((x, y, z))
            triples.append((-x, y, -z))
          }
        }
      }
    }
    return triples
  }

  @Test(arguments: [27, 40, 51])
  func productsAndFusedMultiplyAddsNearMidpoints(precision: Int) throws {
    let format = try FloatFormat.named("ieee:\(precision):127")
    #expect(format.engine == .double)
    var failures: [String] = []
    var checked = 0
    EmulatedFloat.withFormat(format) {
      for (xd, yd, zd) in Self.operands(precision: precision) {
        for mode in OracleTests.deterministicModes {
          RoundingEnvironment.with(mode) {
            let (x, y) = (EmulatedFloat(xd), EmulatedFloat(yd))
            let z = RoundingEnvironment.with(.nearestEven) { EmulatedFloat(zd) }
            // x and y are values of the format (at most p significant bits), so nothing rounded them.
            guard x.doubleValue == xd, y.doubleValue == yd else {
              failures.append("operand not exact: \(xd) \(yd)")
              return
            }
            if let expected = OracleTests.expectedProduct(x, y, format, mode) {
              checked += 1
              let got = (x * y).hexDescription
              if OracleResult(hex: got) != expected { failures.append("\(mode) \(x.hexDescription) × \(y.hexDescription) = \(got), exact rounding \(expected)") }
            }
            if let expected = OracleTests.expectedFMA(x, y, z, format, mode) {
              checked += 1
              let got = EmulatedFloat.fusedMultiplyAdd(x, y, z).hexDescription
              if OracleResult(hex: got) != expected {
                failures.append("\(mode) fma(\(x.hexDescription), \(y.hexDescription), \(z.hexDescription)) = \(got), exact rounding \(expected)")
              }
            }
          }
        }
      }
    }
    #expect(checked > 1500)
    #expect(failures.prefix(5) == [], "\(failures.count) mismatches")
  }

  /// Above 51 bits the engine cannot hold the format; `ieee:52:127` and binary64's range go to MPFR.
  @Test func engineBoundary() throws {
    #expect(try FloatFormat.named("ieee:51:300").engine == .double)
    #expect(try FloatFormat.named("ieee:52:127").engine == .mpfr)
    #expect(try FloatFormat.named("ieee:40:1023").engine == .mpfr)
  }
}
