import Scalars
import Tensors
import Testing

/// The tensor-core accumulation models (`--summation tc:…`) against what GPUs computed (the probe
/// programs of Fasi, Higham, Mikaitis and Pranesh and their hexadecimal outputs on real cards) and
/// against exact rational arithmetic (`scripts/tensor-core-oracle.py`).
@Suite struct TensorCoreTests {
  static func model(_ name: String) -> MultiTermAccumulation {
    guard case .tensorCore(let m)? = KernelOptions.SummationOrder(name: name) else { preconditionFailure("not a tensor-core order: \(name)") }
    return m
  }

  /// One instruction, D = C + Σ a_k b_k, binary16 operands, through the dot-product kernel as a
  /// network computes it (binary16 storage, binary32 accumulation, the bias as C added first).
  static func mma(_ model: MultiTermAccumulation, _ a: [Double], _ b: [Double], _ c: Float) -> Float {
    mma(Float16.self, model, a, b, c)
  }

  /// The same with operands stored in `S` (binary16, or binary32 holding TF32 values).
  static func mma<S: PrecisionScalar>(_: S.Type, _ model: MultiTermAccumulation, _ a: [Double], _ b: [Double], _ c: Float) -> Float {
    let x = a.map { S($0) }, y = b.map { S($0) }
    precondition(
      zip(a, x).allSatisfy { $1.doubleValue == $0 } && zip(b, y).allSatisfy { $1.doubleValue == $0 }, "operands must be \(S.format.name) values")
    let options = KernelOptions(order: .tensorCore(model), biasFirst: true)
    return x.withUnsafeBufferPointer { xp in
      y.withUnsafeBufferPointer { yp in
        DotProduct.sum(xp.baseAddress!, 1, yp.baseAddress!, 1, count: x.count, initial: c, options: options)
      }
    }
  }

  static func p(_ e: Int) -> Double { Double(sign: .plus, exponent: e, significand: 1) }

  @Test func spellings() {
    #expect(Self.model("tc:v100") == MultiTermAccumulation(terms: 4, window: 24))
    #expect(Self.model("tc:a100").description == "tc:8:25:rz")
    #expect(Self.model("tc:8:25:rn").towardZero == false)
    #expect(Self.model("tc:32:13:rz:products-first") == MultiTermAccumulation(terms: 32, window: 13, alignment: .productsFirst))
    for bad in ["tc:", "tc:0:24", "tc:65:24", "tc:8:1", "tc:8:47", "tc:8:24:rd", "tc:8", "tc:8:24:rz:joint:x", "tc:b200"] {
      #expect(KernelOptions.SummationOrder(name: bad) == nil, "\(bad)")
    }
    for (name, model) in MultiTermAccumulation.presets {
      #expect(KernelOptions.SummationOrder(name: model.description) == .tensorCore(model), "\(name)")
    }
  }

  /// The hexadecimal outputs of the "details" probes of lookup1980/tensor-cores-numerical-behavior
  /// (`4090/result-4090-binary16-details.txt`, RTX 4090; the same 13 of them on A10 and RTX 3080 in
  /// `A10/`, `3080/result-A100-binary16-details.txt`): binary16 a and b, binary32 c and the card's r.
  static let adaDetails: [(a: [UInt16], b: [UInt16], c: UInt32, r: UInt32)] = [
    ([0x0002, 0, 0, 0x3c00], [0x3c00, 0, 0, 0x3c00], 0, 0x3f80_0001),  // 2^-23 + 1
    ([0x0001, 0, 0, 0x3c00], [0x3c00, 0, 0, 0x3c00], 0, 0x3f80_0000),  // 2^-24 + 1
    ([0x0c00, 0, 0, 0x3c00], [0x0c00, 0, 0, 0x3c00], 0, 0x3f80_0000),  // 2^-12 · 2^-12 + 1
    ([0x0002, 0xbc00, 0, 0x3c00], [0x3c00, 0x3c00, 0, 0x3c00], 0, 0x3400_0000),  // 2^-23 - 1 + 1
    ([0x0001, 0xbc00, 0, 0x3c00], [0x3c00, 0x3c00, 0, 0x3c00], 0, 0x3380_0000),  // 2^-24 - 1 + 1
    ([0x3c00, 0, 0xbc00, 0x0001], [0x4000, 0, 0x4000, 0x3c00], 0, 0),  // 2 - 2 + 2^-24
    ([0x3c00, 0, 0xbc00, 0x0001], [0x4c00, 0, 0x4c00, 0x3c00], 0, 0),  // 2^4 - 2^4 + 2^-24
    ([0x3c00, 0, 0xbc00, 0x0002], [0x4c00, 0, 0x4c00, 0x3c00], 0, 0),  // 2^4 - 2^4 + 2^-23
    ([0x3c00, 0, 0xbc00, 0x0004], [0x4c00, 0, 0x4c00, 0x3c00], 0, 0),  // 2^4 - 2^4 + 2^-22
    ([0x3c00, 0, 0xbc00, 0x0008], [0x4c00, 0, 0x4c00, 0x3c00], 0, 0),  // 2^4 - 2^4 + 2^-21
    ([0x3c00, 0, 0xbc00, 0x0010], [0x4c00, 0, 0x4c00, 0x3c00], 0, 0x3580_0000),  // 2^4 - 2^4 + 2^-20
    ([0x3c00, 0, 0xbc00, 0x0001], [0x5c00, 0, 0x5c00, 0x3c00], 0, 0),  // 2^8 - 2^8 + 2^-24 (A10, 3080)
    ([0x5c00, 0, 0xdc00, 0x0001], [0x5c00, 0, 0x5c00, 0x3c00], 0, 0),  // 2^16 - 2^16 + 2^-24
    ([0x6c00, 0, 0xec00, 0x0001], [0x6c00, 0, 0x6c00, 0x3c00], 0, 0),  // 2^24 - 2^24 + 2^-24
    ([0x7400, 0, 0xf400, 0x0001], [0x7800, 0, 0x7800, 0x3c00], 0, 0),  // 2^29 - 2^29 + 2^-24
    ([0x3c00, 0xbc00, 0, 0], [0x3c00, 0x3c00, 0, 0], 0x3400_0000, 0x3400_0000),  // 1 - 1, c = 2^-23
    ([0x3c00, 0xbc00, 0, 0], [0x3c00, 0x3c00, 0, 0], 0x3380_0000, 0x3380_0000),  // c = 2^-24
    ([0x3c00, 0xbc00, 0, 0], [0x3c00, 0x3c00, 0, 0], 0x3300_0000, 0),  // c = 2^-25
    ([0x3c00, 0xbc00, 0, 0], [0x3c00, 0x3c00, 0, 0], 0x3280_0000, 0),  // c = 2^-26
    ([0x3c00, 0xbc00, 0, 0], [0x3c00, 0x3c00, 0, 0], 0x2b80_0000, 0),  // c = 2^-40
  ]

  @Test func ampereAndAdaHexOutputs() {
    let a100 = Self.model("tc:a100")
    for (i, t) in Self.adaDetails.enumerated() {
      let a = t.a.map { Double(Float16(bitPattern: $0)) }, b = t.b.map { Double(Float16(bitPattern: $0)) }
      let got = Self.mma(a100, a, b, Float(bitPattern: t.c))
      #expect(got.bitPattern == t.r, "case \(i): \(got) against the card's \(Float(bitPattern: t.r))")
    }
    // The V100 model (no extra alignment bit) differs from the cards exactly where the extra bit shows.
    let v100 = Self.model("tc:v100")
    let minus = Self.mma(v100, [Double(Float16(bitPattern: 0x0001)), -1, 0, 1], [1, 1, 0, 1], 0)
    #expect(minus == 0, "2^-24 - 1 + 1 with 24 bits: \(minus)")
  }

  /// The checks of Fasi et al.'s probe programs (`tc_test_numerics-V100.cu` and
  /// `tc_test_numerics-T4-A100-binary16.cu`, north-numerical-computing/tensor-cores-numerical-behavior),
  /// one Boolean each, in the programs' order (sections B to D).
  static func checks(_ m: MultiTermAccumulation, v100Program: Bool, tf32: Bool = false) -> [Bool] {
    let p = Self.p
    func mma(_ a: [Double], _ b: [Double], _ c: Float) -> Float {
      let (a, b) = (a + Array(repeating: 0, count: 16 - a.count), b + Array(repeating: 0, count: 16 - b.count))
      return tf32 ? Self.mma(Float.self, m, a, b, c) : Self.mma(Float16.self, m, a, b, c)
    }
    let below = 1 - p(-11)
    var out: [Bool] = []
    out.append(mma([below], [below], 0) == Float(1 - p(-10) + p(-22)) && mma(Array(repeating: below, count: 4), Array(repeating: below, count: 4), 0) == Float(4 * (1 - p(-10) + p(-22))))
    let half = v100Program ? 1.0 : 0.5
    out.append(mma(Array(repeating: half, count: 4), Array(repeating: p(-24), count: 4), 1) == 1)  // accumulated in binary32
    var start = true
    var a = Array(repeating: half, count: 4), b = Array(repeating: p(-24), count: 4)
    for j in 0..<4 {  // sum starts from the largest element
      if j > 0 { a[j - 1] = half; b[j - 1] = p(-24) }
      if !v100Program { a[j] = 1 }
      b[j] = 1
      start = start && mma(a, b, Float(p(-24))) == 1
    }
    out.append(start)
    out.append(mma([1, 1, 1, 1], [2, p(-23) + p(-24)], 0) == 2)  // round down, positive
    out.append(mma([1, 1, 1, 1], [-2, -p(-23) - p(-24)], 0) == -2)  // round up, negative
    let d1 = mma([1], [1], -(1 - Float(p(-24))))
    out.append(d1 == Float(v100Program ? p(-23) : p(-24)))  // 1) extra alignment bits
    out.append(mma([1, 1, 1, 1], Array(repeating: p(-24), count: 4), Float(1 - p(-24))) == Float(1 + p(-23)))  // 2) normalisation in addition
    // 3) normalisation in subtraction (the programs fold check 2's flag into it)
    out.append(out.last! && mma([1, 1], [1, -p(-24)], Float(-1 + p(-24))) == (v100Program ? Float(p(-23)) : 0))
    // 4) carry-out bits (both programs reset their flag before these three checks, so their first
    // loop does not count)
    var carry = true
    carry = carry && mma([1, 1, 1, 1], [1, 1.5, 1.75, 1.875], 1.875) == 8
    carry = carry && mma([1, 1, 1, 1], [1, 1, 1, 1], Float(1 + p(-22) + p(-23))) == 5
    carry = carry && mma([1, 1, 1, 1], [-1, -1, -1, -1], Float(-1 - p(-22) - p(-23))) == -5
    out.append(carry)
    let ma = v100Program ? [1.0, 1, 1, 1] : [0.5, 0.5, 0.5, 0.5]  // 5) monotonicity
    let mb = v100Program ? Array(repeating: p(-24), count: 4) : [p(-24), p(-24), p(-24), p(-23) + p(-24)]
    out.append(mma(ma, mb, 1) < mma(ma, mb, Float(1 - p(-24))))
    return out
  }

  @Test func fasiProbePrograms() {
    // The V100 program's checks describe the V100 of the paper: all hold for the V100 model.
    #expect(Self.checks(Self.model("tc:v100"), v100Program: true) == Array(repeating: true, count: 10))
    // The T4/A100 program's checks (one extra alignment bit): all hold for the A100 model, and all
    // passed on an A10 (lookup1980/tensor-cores-numerical-behavior, A10/result-T4.txt).
    #expect(Self.checks(Self.model("tc:a100"), v100Program: false) == Array(repeating: true, count: 10))
    // The V100 program on an A10 and an RTX 3080 (A10/result-V100.txt, 3080/result-V100.txt):
    // products exact PASS, accumulated in binary32 FAIL, largest first FAIL, rounding PASS PASS,
    // extra bits FAIL, normalisation in addition PASS, in subtraction FAIL, carry PASS, monotone FAIL.
    #expect(
      Self.checks(Self.model("tc:a100"), v100Program: true) == [true, false, false, true, true, false, true, false, true, false])
    // The TF32 program (tc_test_numerics-A100-tf32.cu) makes the T4/A100 checks with TF32 operands in
    // binary32; all passed on an A10 (A10/result-A100-tf32.txt).
    #expect(Self.checks(Self.model("tc:a100-tf32"), v100Program: false, tf32: true) == Array(repeating: true, count: 10))
  }

  /// RTX 5090 FP8 m16n8k32 (lookup1980/tensor-cores-numerical-behavior,
  /// 5090/lowp-reduction-width-report.md): C = 2^shift plus 32 products of 1 changes C up to shift
  /// 25 (33,554,464 there) and not at 26; chains of 2, 4, 8 and 16 instructions at shift 25 give
  /// 33,554,496, 33,554,560, 33,554,688 and 33,554,944.
  @Test func rtx5090ReductionWidth() {
    let m = Self.model("tc:rtx5090-fp8")
    let ones = Array(repeating: 1.0, count: 32)
    func run(_ c: Float) -> Float {
      ones.withUnsafeBufferPointer { m.add($0, to: c) }
    }
    #expect(run(Float(Self.p(25))) == 33_554_464)
    #expect(run(Float(Self.p(26))) == Float(Self.p(26)))
    for (repeats, expected) in [(2, 33_554_496), (4, 33_554_560), (8, 33_554_688), (16, 33_554_944)] {
      var c = Float(Self.p(25))
      for _ in 0..<repeats { c = run(c) }
      #expect(c == Float(expected), "\(repeats) instructions")
    }
    // Joint alignment would truncate every product of 1 away at shift 25: the FP8 path is not that.
    let joint = MultiTermAccumulation(terms: 32, window: 21)
    #expect(ones.withUnsafeBufferPointer { joint.add($0, to: Float(Self.p(25))) } == Float(Self.p(25)))
  }

  static func decode(_ format: String, _ bits: UInt16) -> Double {
    switch format {
    case "binary16": return Double(Float16(bitPattern: bits))
    case "bfloat16": return Double(Float(bitPattern: UInt32(bits) << 16))
    default: return Double(Float16(bitPattern: bits << 8))  // E5M2 is binary16's top byte
    }
  }

  @Test func exactRationalOracle() {
    for (i, t) in Self.oracleCases.enumerated() {
      let m = MultiTermAccumulation(terms: t.1, window: t.2, towardZero: t.3, alignment: t.4 ? .productsFirst : .joint)
      var acc = Float(bitPattern: t.7)
      let products = zip(t.5, t.6).map { Self.decode(t.0, $0) * Self.decode(t.0, $1) }
      var k = 0
      while k < products.count {
        let group = Array(products[k..<min(k + m.terms, products.count)])
        acc = group.withUnsafeBufferPointer { m.add($0, to: acc) }
        k += m.terms
      }
      #expect(acc.bitPattern == t.8, "case \(i) (\(t.0), \(m)): \(acc) against \(Float(bitPattern: t.8))")
    }
  }

  /// Infinities and NaN pass through as IEEE arithmetic has them; an all-zero group leaves C alone.
  @Test func specialValues() {
    let m = Self.model("tc:a100")
    #expect(Self.mma(m, [65504, 65504], [65504, 65504], 0) == Float(2 * 65504.0 * 65504.0))
    #expect(Self.mma(m, [0, 0], [0, 0], -3.5) == -3.5)
    #expect(Self.mma(m, [1], [1], .infinity) == .infinity)
    #expect(Self.mma(m, [1], [1], .nan).isNaN)
    let rz = MultiTermAccumulation(terms: 2, window: 24)
    #expect([Double.greatestFiniteMagnitude].withUnsafeBufferPointer { rz.add($0, to: 0) } == .greatestFiniteMagnitude)
  }
}
