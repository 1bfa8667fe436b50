import CMPFR
import Scalars
import ScalarsSupport
import Testing

/// The integer binary128 engine (`Binary128`) against the MPFR engine (`Binary128MPFR`, GNU MPFR's
/// correct rounding): the same bits for every operation in every rounding mode, on operands over the
/// whole range (subnormals, the overflow threshold, ties, cancellations, infinities, NaN), and in
/// stochastic mode the same results from the same seed, so the same draws.
@Suite struct Binary128EngineTests {
  /// Random operand encodings: each exponent band the rounding treats differently, significands with
  /// few bits (ties and exact results), and the special values.
  struct Operands {
    var generator: SplitMix64
    init(state: UInt64) { generator = SplitMix64(seed: state) }
    mutating func next() -> UInt64 { generator.next() }

    mutating func bits() -> pl_f128 {
      let sign: UInt64 = next() & 1 << 63
      var hi = next() & 0xffff_ffff_ffff, lo = next()
      switch next() % 8 {
      case 0: lo = 0; hi &= 0xffff_0000_0000  // few significant bits
      case 1: lo &= 0xff00_0000_0000_0000 | 1
      default: break
      }
      let exponent: UInt64
      switch next() % 12 {
      case 0: exponent = 0  // subnormal (or zero)
      case 1: exponent = 1 + next() % 120  // just above the subnormals
      case 2: exponent = 0x7ffe - next() % 120  // near the largest finite value
      case 3: exponent = 0x3fff / 2 + next() % 0x3fff  // products near the top of the range
      case 4: exponent = 0x3fff / 2 - next() % 150  // products near the subnormals
      case 5:
        switch next() % 4 {
        case 0: return pl_f128(lo: 0, hi: sign | 0x7fff_0000_0000_0000)  // ±inf
        case 1: return pl_f128(lo: 0, hi: 0x7fff_8000_0000_0000)  // NaN
        case 2: return pl_f128(lo: 0, hi: sign)  // ±0
        default: return pl_f128(lo: ~0, hi: sign | 0x7ffe_ffff_ffff_ffff)  // ±largest finite
        }
      default: exponent = 0x3fff - 40 + next() % 80  // near 1
      }
      return pl_f128(lo: lo, hi: sign | exponent << 48 | hi)
    }

    /// y near ±x (cancellation, ties at the last place) or independent.
    mutating func partner(of x: pl_f128) -> pl_f128 {
      switch next() % 4 {
      case 0: return pl_f128(lo: x.lo ^ (next() & 0xff), hi: x.hi ^ (next() & 1) << 63)
      case 1: return pl_f128(lo: x.lo, hi: (x.hi ^ 1 << 63) &- (next() % 4) << 48)
      default: return bits()
      }
    }
  }

  static func mpfr(_ bits: pl_f128) -> Binary128MPFR {
    Binary128MPFR(number: MPFRNumber(FloatFormat.binary128.mpfr, .nearestEven) { d, _ in
      pl_f128_to_mpfr(d, bits)
      return 0
    })
  }

  static func same(_ a: Binary128, _ b: Binary128MPFR) -> Bool {
    if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
    let reference = pl_f128_from_mpfr(b.number.pointer)
    return a.bits.hi == reference.hi && a.bits.lo == reference.lo
  }

  static func hex(_ b: pl_f128) -> String { Binary128(bits: b).hexDescription }

  /// The results of the seven operations on (x, y, z), both engines, in `mode` (seeded for stochastic).
  static func mismatches(mode: RoundingMode, triples: Int, seed: UInt64) -> [String] {
    var operands = Operands(state: seed)
    var failures: [String] = []
    for t in 0..<triples {
      let xb = operands.bits(), yb = operands.partner(of: xb), zb = operands.bits()
      let (x, y, z) = (Binary128(bits: xb), Binary128(bits: yb), Binary128(bits: zb))
      let (mx, my, mz) = (mpfr(xb), mpfr(yb), mpfr(zb))
      let ours: [Binary128] = RoundingEnvironment.with(mode, seed: UInt64(t)) {
        var mac = z
        Binary128.multiplyAccumulate(&mac, x, y)
        return [x + y, x - y, x * y, x / y, (x < 0 ? -x : x).squareRoot(), Binary128.fusedMultiplyAdd(x, y, z), mac,
                Binary128(x.doubleValue), Binary128(Int(truncatingIfNeeded: xb.lo)), (x * x).squareRoot(), (x * y) / y]
      }
      let theirs: [Binary128MPFR] = RoundingEnvironment.with(mode, seed: UInt64(t)) {
        var mac = mz
        Binary128MPFR.multiplyAccumulate(&mac, mx, my)
        return [mx + my, mx - my, mx * my, mx / my, (mx < 0 ? -mx : mx).squareRoot(), Binary128MPFR.fusedMultiplyAdd(mx, my, mz), mac,
                Binary128MPFR(mx.doubleValue), Binary128MPFR(Int(truncatingIfNeeded: xb.lo)), (mx * mx).squareRoot(), (mx * my) / my]
      }
      for (k, name) in ["add", "sub", "mul", "div", "sqrt", "fma", "mac", "from double", "from int", "sqrt of a square", "quotient of a product"].enumerated()
      where !same(ours[k], theirs[k]) {
        if failures.count < 6 {
          failures.append("\(mode) \(name)(\(hex(xb)), \(hex(yb)), \(hex(zb))): \(ours[k].hexDescription), MPFR \(theirs[k].hexDescription)")
        }
      }
    }
    return failures
  }

  @Test(arguments: RoundingMode.allCases)
  func sameBitsAsMPFR(mode: RoundingMode) {
    #expect(Self.mismatches(mode: mode, triples: 3000, seed: 7 + UInt64(mode.rawValue)) == [])
  }

  @Test func conversionsAndComparisons() throws {
    var operands = Operands(state: 99)
    for _ in 0..<2000 {
      let a = operands.bits(), b = operands.partner(of: a)
      let (x, y, mx, my) = (Binary128(bits: a), Binary128(bits: b), Self.mpfr(a), Self.mpfr(b))
      #expect(x.doubleValue.bitPattern == mx.doubleValue.bitPattern || (x.isNaN && mx.isNaN))
      #expect((x < y) == (mx < my) && (x == y) == (mx == my))
      #expect(x.hexDescription == mx.hexDescription)
      #expect(x.isZero == mx.isZero && x.isNaN == mx.isNaN && x.isFinite == mx.isFinite)
      if x.isFinite { #expect(try Binary128(text: x.hexDescription).bits.hi == a.hi) }
    }
  }

  @Test func accumulatedProductsEqualTermByTerm() {
    var operands = Operands(state: 5)
    let x = (0..<64).map { _ in Binary128(bits: operands.bits()) }, y = (0..<64).map { _ in Binary128(bits: operands.bits()) }
    for fused in [false, true] {
      for mode in RoundingMode.allCases {
        let looped: Binary128 = RoundingEnvironment.with(mode, seed: 3) {
          var acc = Binary128(1)
          for k in 0..<32 {
            if fused { Binary128.fusedMultiplyAccumulate(&acc, x[2 * k], y[k]) } else { Binary128.multiplyAccumulate(&acc, x[2 * k], y[k]) }
          }
          return acc
        }
        let inC: Binary128 = RoundingEnvironment.with(mode, seed: 3) {
          var acc = Binary128(1)
          Binary128.accumulateProducts(&acc, x, 2, y, 1, count: 32, fused: fused)
          return acc
        }
        #expect(looped.hexDescription == inC.hexDescription, "\(mode) fused \(fused)")
      }
    }
  }
}
