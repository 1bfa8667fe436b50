import CMPFR
import Scalars
import Testing

/// `Binary64` (hardware binary64 operations and error-free transformations) against the MPFR engine at
/// binary64 (`MPFRFloat` with `FloatFormat.binary64`, GNU MPFR's correct rounding): the same bits for
/// every operation in every rounding mode, on operands over the whole range (subnormals, the edges of
/// the fast path at 2^-960 and 2^1023, ties, cancellations, infinities, NaN), and in stochastic mode the
/// same results from the same seed, so the same draws.
@Suite struct Binary64EngineTests {
  /// Random binary64 encodings: each exponent band the engine treats differently, significands with
  /// few bits (ties and exact results), and the special values.
  struct Operands {
    var generator: SplitMix64
    init(state: UInt64) { generator = SplitMix64(seed: state) }
    mutating func next() -> UInt64 { generator.next() }

    mutating func double() -> Double {
      let sign: UInt64 = next() & 1 << 63
      var fraction = next() & 0x000F_FFFF_FFFF_FFFF
      switch next() % 6 {
      case 0: fraction &= 0x000F_F000_0000_0000  // few significant bits
      case 1: fraction &= 0x000F_FFFF_FF00_0001
      default: break
      }
      let exponent: UInt64
      switch next() % 14 {
      case 0: exponent = 0  // subnormal (or zero)
      case 1: exponent = 1 + next() % 60  // just above the subnormals
      case 2: exponent = 2046 - next() % 4  // the top binades
      case 3: exponent = 1023 + 500 + next() % 24  // products near the top of the range
      case 4: exponent = 1023 - 480 - next() % 40  // products and roots near 2^-960
      case 5: exponent = 1023 - 960 + next() % 8 - 4  // the fast path's lower edge
      case 6:
        switch next() % 4 {
        case 0: return Double(bitPattern: sign | 0x7FF0_0000_0000_0000)  // ±inf
        case 1: return .nan
        case 2: return Double(bitPattern: sign)  // ±0
        default: return Double(bitPattern: sign | 0x7FEF_FFFF_FFFF_FFFF)  // ±largest finite
        }
      default: exponent = 1023 - 30 + next() % 60  // near 1
      }
      return Double(bitPattern: sign | exponent << 52 | fraction)
    }

    /// y near ±x (cancellation, ties at the last place), x itself scaled, or independent.
    mutating func partner(of x: Double) -> Double {
      switch next() % 5 {
      case 0: return Double(bitPattern: x.bitPattern ^ (next() & 0xff) ^ (next() & 1) << 63)
      case 1: return Double(bitPattern: (x.bitPattern ^ 1 << 63) &- (next() % 4) << 52)
      case 2: return x * 0x1p-60  // one operand far below the other: sticky errors
      default: return double()
      }
    }
  }

  static func same(_ a: Double, _ b: Double) -> Bool {
    a.isNaN ? b.isNaN : a.bitPattern == b.bitPattern
  }

  static let names = [
    "add", "sub", "mul", "div", "sqrt", "fma", "mac", "from double", "from int", "sqrt of a square",
    "quotient of a product", "exp", "log",
  ]

  /// The results of the operations on (x, y, z), both engines, in `mode` (seeded for stochastic).
  static func mismatches(mode: RoundingMode, triples: Int, seed: UInt64) -> [String] {
    var operands = Operands(state: seed)
    var failures: [String] = []
    for t in 0..<triples {
      let xd = operands.double(), yd = operands.partner(of: xd), zd = t % 3 == 0 ? -xd * yd : operands.double()
      let n = Int(truncatingIfNeeded: operands.next()) >> (operands.next() % 64)
      let (x, y, z) = (Binary64(exactly: xd), Binary64(exactly: yd), Binary64(exactly: zd))
      let exponentials = t % 8 == 0
      let ours: [Double] = RoundingEnvironment.with(mode, seed: UInt64(t)) {
        var mac = z
        Binary64.multiplyAccumulate(&mac, x, y)
        var results = [x + y, x - y, x * y, x / y, (x < 0 ? -x : x).squareRoot(), Binary64.fusedMultiplyAdd(x, y, z), mac,
                       Binary64(x.doubleValue), Binary64(n), (x * x).squareRoot(), (x * y) / y].map(\.value)
        if exponentials { results += [Binary64.exp(x).value, Binary64.log(x < 0 ? -x : x).value] }
        return results
      }
      let theirs: [Double] = MPFRFloat.withFormat(.binary64) {
        let (mx, my, mz) = (MPFRFloat(xd), MPFRFloat(yd), MPFRFloat(zd))
        return RoundingEnvironment.with(mode, seed: UInt64(t)) {
          var mac = mz
          MPFRFloat.multiplyAccumulate(&mac, mx, my)
          var results = [mx + my, mx - my, mx * my, mx / my, (mx < 0 ? -mx : mx).squareRoot(), MPFRFloat.fusedMultiplyAdd(mx, my, mz), mac,
                         MPFRFloat(mx.doubleValue), MPFRFloat(n), (mx * mx).squareRoot(), (mx * my) / my].map(\.doubleValue)
          if exponentials { results += [MPFRFloat.exp(mx).doubleValue, MPFRFloat.log(mx < 0 ? -mx : mx).doubleValue] }
          return results
        }
      }
      for k in ours.indices where !same(ours[k], theirs[k]) {
        if failures.count < 6 {
          failures.append(
            "\(mode) \(names[k])(\(xd.hexString), \(yd.hexString), \(zd.hexString), \(n)): \(ours[k].hexString), MPFR \(theirs[k].hexString)")
        }
      }
    }
    return failures
  }

  @Test(arguments: RoundingMode.allCases)
  func sameBitsAsMPFR(mode: RoundingMode) {
    #expect(Self.mismatches(mode: mode, triples: 2000, seed: 11 + UInt64(mode.rawValue)) == [])
  }

  /// Worked cases at the edges of each mode, against values written out by hand from IEEE 754.
  @Test func edgeCases() {
    let one = Binary64(exactly: 1), tiny = Binary64(exactly: 0x1p-60), max = Binary64(exactly: .greatestFiniteMagnitude)
    RoundingEnvironment.with(.towardZero) {
      #expect((one - tiny).value == 1.0.nextDown)
      #expect((one + tiny).value == 1)
      #expect((max + max).value == .greatestFiniteMagnitude)  // overflow toward zero: the largest finite
      #expect((one - one).value.sign == .plus)
    }
    RoundingEnvironment.with(.towardNegative) {
      #expect((one - one).value.sign == .minus)  // an exact zero sum toward −∞ is −0
      #expect((-one - tiny).value == -(1.0.nextUp))
      #expect(Binary64(exactly: 2).squareRoot().value == 2.0.squareRoot().nextDown)
    }
    RoundingEnvironment.with(.towardPositive) {
      #expect((one + tiny).value == 1.0.nextUp)
      #expect((max + max).value == .infinity)
      #expect(Binary64(exactly: 2).squareRoot().value == 2.0.squareRoot())  // RN(√2) is above √2
    }
    RoundingEnvironment.with(.nearestAway) {
      // 1 + 2^-53 is the midpoint between 1 and its successor: ties away from zero.
      #expect((one + Binary64(exactly: 0x1p-53)).value == 1.0.nextUp)
      #expect((-one - Binary64(exactly: 0x1p-53)).value == -(1.0.nextUp))
    }
    RoundingEnvironment.with(.odd) {
      #expect((one + tiny).value == 1.0.nextUp)  // 1 is even: the odd neighbour above
      #expect((one - tiny).value == 1.0.nextDown)
    }
  }
}

extension Double {
  fileprivate var hexString: String { HexFloat.format(self) }
}
