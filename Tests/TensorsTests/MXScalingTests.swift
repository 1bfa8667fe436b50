import Scalars
@testable import Tensors
import Testing

/// OCP MX block scaling: worked examples done by hand, an independent oracle (the element grid written
/// from each format's p, emin and largest value, rounding by integer arithmetic on exactly scaled
/// values), the special cases (NaN, infinity, zero blocks, the E8M0 clamp, block edges, the axis), and
/// that a dense product takes its operands MX-quantized along its reduction dimension.
@Suite struct MXScalingTests {
  /// (p, emin, largest) of each element format, written from the OCP specs (not from FloatFormat).
  static let grids: [MXScaling.Element: (p: Int, emin: Int, largest: Double)] = [
    .e4m3: (4, -6, 448), .e5m2: (3, -14, 57344), .e2m3: (4, 0, 7.5), .e3m2: (3, -2, 28), .e2m1: (2, 0, 6),
  ]

  /// The oracle: a block's MX values.
  static func oracle(_ block: [Double], _ element: MXScaling.Element, tiesAway: Bool = false) -> [Double] {
    if block.contains(where: { !$0.isFinite }) { return block.map { _ in .nan } }
    let amax = block.map(Swift.abs).max() ?? 0
    guard amax > 0 else { return block }
    // ⌊log₂ amax⌋ by exact doubling and halving.
    var e = 0, m = amax
    while m >= 2 { m /= 2; e += 1 }
    while m < 1 { m *= 2; e -= 1 }
    let emax = [MXScaling.Element.e4m3: 8, .e5m2: 15, .e2m3: 2, .e3m2: 4, .e2m1: 2, .int8: 0][element]!
    let x = min(max(e - emax, -127), 127)
    let scale = Double(sign: .plus, exponent: x, significand: 1)
    func round(_ v: Double) -> Double { tiesAway ? v.rounded(.toNearestOrAwayFromZero) : v.rounded(.toNearestOrEven) }
    return block.map { v in
      let w = v / scale  // exact: a power of two
      if element == .int8 { return min(max(round(w * 64), -127), 127) / 64 * scale }
      let (p, emin, largest) = grids[element]!
      guard w != 0 else { return 0 }
      var ew = 0, mw = Swift.abs(w)
      while mw >= 2 { mw /= 2; ew += 1 }
      while mw < 1 { mw *= 2; ew -= 1 }
      let spacing = Double(sign: .plus, exponent: max(ew, emin) - p + 1, significand: 1)
      let q = round(w / spacing) * spacing
      return min(max(q, -largest), largest) * scale
    }
  }

  /// One block (at most `blockSize` values) as `MXScaling.quantized` gives it, as one row.
  static func quantized(_ block: [Double], _ mx: MXScaling) -> [Double] {
    mx.quantized(Tensor<Double>(shape: [1, block.count], storage: block), along: 1).storage
  }

  @Test func workedExamples() {
    // E4M3, amax 1000: ⌊log₂ 1000⌋ = 9, X = 2^(9 − 8) = 2. 0.05 → 13·2⁻⁸; 500 → 512, saturated to 448;
    // −1.65 → −13·2⁻³; 0 stays.
    #expect(Self.quantized([0.1, 1000, -3.3, 0], MXScaling(.e4m3)) == [0.1015625, 896, -3.25, 0])
    // FP4 E2M1, amax 6, X = 1: 0.25 is halfway between 0 and 0.5 (spacing 0.5 below 2).
    #expect(Self.quantized([0.25, 6], MXScaling(.e2m1)) == [0, 6])
    #expect(Self.quantized([0.25, 6], MXScaling(.e2m1, rounding: .nearestAway)) == [0.5, 6])
    // INT8, amax 1.99, X = 1: 0.3·64 = 19.2 → 19/64; 1.99·64 = 127.36 → 127/64.
    #expect(Self.quantized([0.3, 1.99], MXScaling(.int8)) == [0.296875, 1.984375])
    // A NaN or an infinity makes the whole block NaN; an all-zero block stays zero.
    #expect(Self.quantized([1, .nan, 2], MXScaling(.e5m2)).allSatisfy { $0.isNaN })
    #expect(Self.quantized([1, -.infinity], MXScaling(.e4m3)).allSatisfy { $0.isNaN })
    #expect(Self.quantized([0, -0.0, 0], MXScaling(.e2m3)) == [0, 0, 0])
    // The scale is clamped at 2⁻¹²⁷: values far below it flush to zero (2⁻¹⁴⁰/2⁻¹²⁷ = 2⁻¹³ < half of 2⁻⁹).
    #expect(Self.quantized([0x1p-140, 0x1p-141], MXScaling(.e4m3)) == [0, 0])
  }

  @Test(arguments: MXScaling.Element.allCases)
  func everyElementAgainstTheOracle(element: MXScaling.Element) {
    var random = SplitMix64(seed: 31 + UInt64(element.emax))
    for tiesAway in [false, true] {
      let mx = MXScaling(element, rounding: tiesAway ? .nearestAway : .nearestEven)
      for b in 0..<400 {
        // Blocks over a few binades around 1, with exact ties planted (multiples of the finest spacing).
        let spread = Double(b % 12)
        let block = (0..<32).map { i -> Double in
          let v = Double(sign: random.unit() < 0.5 ? .minus : .plus, exponent: Int(random.unit() * spread) - 6, significand: 1 + random.unit())
          return i % 5 == 0 ? (v * 64).rounded() / 64 : v
        }
        let got = Self.quantized(block, mx), want = Self.oracle(block, element, tiesAway: tiesAway)
        #expect(got == want, "\(mx) block \(b)")
      }
    }
  }

  /// Blocks run along the reduction axis and restart every `blockSize` values; the axis-0 blocks of a
  /// matrix are the axis-1 blocks of its transpose.
  @Test func blockEdgesAndAxes() {
    let mx = MXScaling(.e4m3)
    // One row of 40: a large value in the second block (32..<40) leaves the first block's scale alone.
    var row = (0..<40).map { Double($0 % 7) * 0.01 + 0.003 }
    row[35] = 1e4
    let t = Tensor<Float>(shape: [1, 40], storage: row.map(Float.init))
    let q = mx.quantized(t, along: 1).storage.map(Double.init)
    let expected = Self.oracle(Array(row[0..<32]).map { Double(Float($0)) }, .e4m3) + Self.oracle(Array(row[32..<40]).map { Double(Float($0)) }, .e4m3)
    #expect(q == expected)
    var random = SplitMix64(seed: 5)
    let m = Tensor<Float>(shape: [37, 9], storage: (0..<(37 * 9)).map { _ in Float(random.unit() * 4 - 2) })
    #expect(mx.quantized(m, along: 0).storage == mx.quantized(m.transposed(), along: 1).transposed().storage)
  }

  @Test func spellings() {
    #expect(MXScaling(name: "mxfp8-e4m3")?.description == "mxfp8-e4m3")
    #expect(MXScaling(name: "mxfp4:16:ties-away") == MXScaling(.e2m1, blockSize: 16, rounding: .nearestAway))
    #expect(MXScaling(name: "mxint8:32")?.description == "mxint8")
    for bad in ["mxfp8", "fp8-e4m3", "mxfp4:0", "mxfp4:2000", "mxfp4:ties", "mxfp4:16:ties-away:x"] { #expect(MXScaling(name: bad) == nil, "\(bad)") }
  }

  /// A dense product with MX operands equals the plain product of operands quantized by the oracle along
  /// the reduction dimension: forward X·Wᵀ (rows of X and of W), and dW = dYᵀ·X (rows of dYᵀ, columns of X).
  @Test func productsTakeMXOperandsAlongTheReduction() {
    var random = SplitMix64(seed: 9)
    func matrix(_ r: Int, _ c: Int) -> Tensor<Float> { Tensor(shape: [r, c], storage: (0..<(r * c)).map { _ in Float(random.unit() * 2 - 1) * Float(1 + Int(random.unit() * 3)) }) }
    let (x, w, dY) = (matrix(6, 70), matrix(5, 70), matrix(6, 5))
    func oracleRows(_ t: Tensor<Float>) -> Tensor<Float> {
      var out = t
      for r in 0..<t.shape[0] {
        let row = (0..<t.shape[1]).map { Double(t.storage[r * t.shape[1] + $0]) }
        var q: [Double] = []
        for start in stride(from: 0, to: row.count, by: 32) { q += Self.oracle(Array(row[start..<min(start + 32, row.count)]), .e5m2) }
        for c in 0..<t.shape[1] { out.storage[r * t.shape[1] + c] = Float(q[c]) }
      }
      return out
    }
    var plan = KernelPlan(accumulate: .binary32)
    let plain = plan
    plan.mx = MXScaling(.e5m2)
    #expect(MatrixMultiply.timesTransposed(x, w, plan: plan).storage == MatrixMultiply.timesTransposed(oracleRows(x), oracleRows(w), plan: plain).storage)
    let dYt = dY.transposed()
    #expect(MatrixMultiply.times(dYt, x, plan: plan).storage
      == MatrixMultiply.times(oracleRows(dYt), oracleRows(x.transposed()).transposed(), plan: plain).storage)
    #expect(MatrixMultiply.timesTransposed(x, w, plan: plan).storage != MatrixMultiply.timesTransposed(x, w, plan: plain).storage, "MX changed nothing")
  }
}

/// MXScaling against microsoft/microxcaling itself (`_quantize_mx`, scripts/mx-microxcaling-cases.py): rows
/// of two blocks for every element format, ties to even and microxcaling's `nearest` (ties away), bit for bit.
@Suite struct MXMicroxcalingTests {
  @Test func equalsMicroxcaling() {
    #expect(MXMicroxcalingCases.cases.count == 96)
    for (i, c) in MXMicroxcalingCases.cases.enumerated() {
      let element = MXScaling.Element(rawValue: c.element)!
      let mx = MXScaling(element, rounding: c.rounding == "even" ? .nearestEven : .nearestAway)
      let t = Tensor<Float>(shape: [1, c.inputs.count], storage: c.inputs.map { Float(bitPattern: $0) })
      let got = mx.quantized(t, along: 1).storage.map(\.bitPattern)
      // microxcaling keeps the sign of a zero result; compare zeros by value.
      let same = zip(got, c.outputs).allSatisfy { a, b in a == b || (Float(bitPattern: a) == 0 && Float(bitPattern: b) == 0) }
      #expect(same, "case \(i): \(c.element) \(c.rounding)")
    }
  }
}
