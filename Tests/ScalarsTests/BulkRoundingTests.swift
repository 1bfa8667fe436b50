import ScalarConformance
import Scalars
import Testing

/// The vectorised bulk conversion equals the scalar one bit for bit, and the presets' literal
/// constants equal the ones derived from their formats.
@Suite struct BulkRoundingTests {
  static let smallPresets = FloatFormat.presets.filter { $0.engine == .double }
    + [try! FloatFormat(name: "p6-nosub", precision: 6, emin: -10, emax: 10, hasSubnormals: false)]

  @Test func bulkEqualsScalar() {
    var g = SplitMix64(seed: 3)
    var values: [Double] = [0, -0.0, .infinity, -.infinity, .nan, 1, -1, 448, 464, 465, 480, 65504, 65520, 0x1p-24, 0x1p-25, 0x1.8p-25]
    for _ in 0..<20_000 {
      let e = Int(g.next() % 320) - 160
      values.append(Double(sign: g.next() & 1 == 0 ? .plus : .minus, exponent: e, significand: 1 + Double(g.next() >> 11) * 0x1p-53))
    }
    values.append(contentsOf: [1.5, 2.5, 3])  // a tail that is not a multiple of four
    for format in Self.smallPresets {
      let c = format.small
      var bulk = [Double](repeating: 0, count: values.count)
      values.withUnsafeBufferPointer { source in
        bulk.withUnsafeMutableBufferPointer { SmallFormatArithmetic.roundNearestEven(source, into: $0, c) }
      }
      let mismatches = zip(values, bulk).filter { x, r in
        let s = SmallFormatArithmetic.roundNearestEven(x, c)
        return !(s.isNaN && r.isNaN) && s.bitPattern != r.bitPattern
      }
      #expect(mismatches.isEmpty, "\(format.name): \(mismatches.prefix(3))")
    }
  }

  @Test func presetLiteralConstantsMatchTheirFormats() {
    func check<S: FormatSpecification>(_: S.Type) {
      #expect(S.smallConstants == S.format.small, "\(S.format.name)")
    }
    check(Binary16Format.self)
    check(BFloat16Format.self)
    check(TF32Format.self)
    check(Binary32Format.self)
    check(E4M3Format.self)
    check(E4M3SaturatingFormat.self)
    check(E5M2Format.self)
    check(E5M2SaturatingFormat.self)
    check(FP6E2M3Format.self)
    check(FP6E3M2Format.self)
    check(FP4E2M1Format.self)
  }
}
