import Scalars
@testable import Tensors
import Testing

/// Product operands rounded to TF32 (binary32 storage, as a GPU in TF32 mode): checked against an
/// independent oracle, the binary32 bit pattern with its 13 low significand bits rounded by integer
/// arithmetic, then the hardware's own binary32 products and sums.
@Suite struct OperandRoundingTests {
  /// `x` rounded to TF32's 10 fraction bits on its binary32 encoding (normal and subnormal alike: the
  /// encoding is linear in the magnitude within a binade and across the subnormal range).
  static func tf32(_ x: Float, _ mode: RoundingMode) -> Float {
    let bits = x.bitPattern
    let dropped: UInt32 = 0x1FFF
    switch mode {
    case .nearestEven: return Float(bitPattern: (bits &+ 0x0FFF &+ ((bits >> 13) & 1)) & ~dropped)
    case .nearestAway: return Float(bitPattern: (bits &+ 0x1000) & ~dropped)
    case .towardZero: return Float(bitPattern: bits & ~dropped)
    default: fatalError("not an operand rounding")
    }
  }

  /// Values with every dropped-bit pattern that matters: exact ties (odd and even kept bit), just
  /// below and above them, zeros, subnormals and random values over 24 binades.
  static func operands(_ count: Int, seed: UInt64) -> [Float] {
    var random = SplitMix64(seed: seed)
    return (0..<count).map { i in
      let base = Float(sign: random.unit() < 0.5 ? .minus : .plus, exponent: Int(random.unit() * 24) - 12, significand: 1 + Float(random.unit()))
      let kept = base.bitPattern & ~0x1FFF
      switch i % 6 {
      case 0: return Float(bitPattern: kept | 0x1000)  // a tie
      case 1: return Float(bitPattern: kept | 0x0FFF)
      case 2: return Float(bitPattern: kept | 0x1001)
      case 3: return i % 12 == 3 ? 0 : Float(bitPattern: UInt32(random.unit() * 0x7F_FFFF))  // subnormal
      default: return base
      }
    }
  }

  @Test(arguments: [RoundingMode.nearestEven, .nearestAway, .towardZero])
  func roundingMatchesTheBitOracle(mode: RoundingMode) {
    let values = Self.operands(600, seed: 1)
    let rounded = OperandRounding(format: .tf32, mode: mode).rounded(Tensor(shape: [600], storage: values))
    #expect(rounded.storage.map(\.bitPattern) == values.map { Self.tf32($0, mode).bitPattern })
  }

  /// A Linear layer's three products, each with binary32 sums in k order: equal to the hardware's
  /// binary32 loop over the oracle's rounded operands (each product exact: 11 + 11 ≤ 24 bits), the bias
  /// added unrounded.
  @Test(arguments: [RoundingMode.nearestEven, .nearestAway, .towardZero])
  func matrixProductMultipliesRoundedOperands(mode: RoundingMode) {
    let (m, k, n) = (5, 300, 7)
    let a = Self.operands(m * k, seed: 2), b = Self.operands(n * k, seed: 3), bias = Self.operands(n, seed: 4)
    let plan = KernelPlan(operands: OperandRounding(format: .tf32, mode: mode))
    let c = MatrixMultiply.timesTransposed(Tensor(shape: [m, k], storage: a), Tensor(shape: [n, k], storage: b), bias: Tensor(shape: [n], storage: bias), plan: plan)
    var expected: [Float] = []
    for i in 0..<m {
      for j in 0..<n {
        var acc: Float = 0
        for t in 0..<k { acc = acc + Self.tf32(a[i * k + t], mode) * Self.tf32(b[j * k + t], mode) }
        expected.append(acc + bias[j])
      }
    }
    #expect(c.storage.map(\.bitPattern) == expected.map(\.bitPattern))
    // Not the plain product: the rounding did something.
    #expect(MatrixMultiply.timesTransposed(Tensor(shape: [m, k], storage: a), Tensor(shape: [n, k], storage: b), plan: KernelPlan()).storage
      != MatrixMultiply.timesTransposed(Tensor(shape: [m, k], storage: a), Tensor(shape: [n, k], storage: b), plan: plan).storage)
  }

  /// The three convolution products take rounded operands (the convolution of the oracle's rounded
  /// tensors); the bias gradient sums the output gradient as stored.
  @Test func convolutionProductsMultiplyRoundedOperands() {
    let plan = KernelPlan(accumulate: .same, operands: OperandRounding(format: .tf32, mode: .nearestAway))
    let x = Tensor(shape: [2, 3, 6, 6], storage: Self.operands(216, seed: 5)), w = Tensor(shape: [4, 3, 3, 3], storage: Self.operands(108, seed: 6))
    let dy = Tensor(shape: [2, 4, 6, 6], storage: Self.operands(288, seed: 7))
    func r(_ t: Tensor<Float>) -> Tensor<Float> { Tensor(shape: t.shape, storage: t.storage.map { Self.tf32($0, .nearestAway) }) }
    let plain = KernelPlan(accumulate: .same)
    #expect(Convolution.forward(x, weight: w, bias: nil, stride: 1, padding: 1, plan: plan).storage
      == Convolution.forward(r(x), weight: r(w), bias: nil, stride: 1, padding: 1, plan: plain).storage)
    #expect(Convolution.inputGradient(gradOut: dy, weight: w, inputShape: x.shape, stride: 1, padding: 1, plan: plan).storage
      == Convolution.inputGradient(gradOut: r(dy), weight: r(w), inputShape: x.shape, stride: 1, padding: 1, plan: plain).storage)
    let rounded = Convolution.parameterGradients(input: x, gradOut: dy, weightShape: w.shape, withBias: true, stride: 1, padding: 1, plan: plan)
    let oracle = Convolution.parameterGradients(input: r(x), gradOut: r(dy), weightShape: w.shape, withBias: false, stride: 1, padding: 1, plan: plain)
    let unrounded = Convolution.parameterGradients(input: x, gradOut: dy, weightShape: w.shape, withBias: true, stride: 1, padding: 1, plan: plain)
    #expect(rounded.weight.storage == oracle.weight.storage)
    #expect(rounded.bias!.storage == unrounded.bias!.storage)
    #expect(rounded.weight.storage != unrounded.weight.storage)
  }

  @Test func refusesRoundingThatIsNotNarrowerOrInRange() {
    #expect(OperandRounding(format: .tf32).problem(storage: .binary32) == nil)
    #expect(OperandRounding(format: .bfloat16).problem(storage: .binary32) == nil)
    #expect(OperandRounding(format: .binary32).problem(storage: .binary32)?.contains("is not narrower") == true)
    #expect(OperandRounding(format: .tf32).problem(storage: .binary16)?.contains("is not narrower") == true)
    #expect(OperandRounding(format: .bfloat16).problem(storage: .binary16)?.contains("range") == true)
    #expect(OperandRounding(format: .tf32, mode: .stochastic).problem(storage: .binary32)?.contains("deterministically") == true)
  }
}
