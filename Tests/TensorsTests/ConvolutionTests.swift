import CKernels
import Scalars
@testable import Tensors
import Testing

/// The convolution products: their definition against direct loops, and the SIMD paths against the
/// generic path (patch matrices and the generic loop), output by output, on every shape edge, order,
/// thread count and format.
@Suite struct ConvolutionTests {
  /// (input shape, out channels, kernel, stride, padding): stride 1 and 2, padding 0 and 1, 1x1 and 3x3,
  /// channel counts that are not multiples of 8 or 16, batch 1, outputs that are not whole panels, a
  /// non-square image; sums longer than one pass of the sequential kernel (256 steps): 512 positions in
  /// the weight gradient, 288 patch steps in the forward product and 405 in the input gradient; at
  /// stride 1, rows wider than a panel of 8 or 16 lanes and not a multiple of it (37, 21 and 19 wide,
  /// padding 1, 0 and 2), so that panels start and end inside a row and span two images.
  static let shapes: [([Int], Int, Int, Int, Int)] = [
    ([1, 1, 5, 5], 3, 3, 1, 1), ([2, 3, 6, 6], 5, 3, 1, 0), ([2, 3, 7, 7], 17, 3, 2, 1), ([1, 5, 4, 6], 9, 1, 1, 0),
    ([3, 4, 5, 5], 6, 1, 2, 0), ([1, 2, 8, 8], 20, 3, 2, 0), ([2, 7, 3, 3], 4, 3, 1, 1), ([2, 3, 16, 16], 4, 3, 1, 1),
    ([1, 32, 4, 4], 45, 3, 1, 1), ([1, 2, 5, 37], 3, 3, 1, 1), ([2, 2, 4, 21], 3, 3, 1, 0), ([1, 3, 9, 19], 4, 5, 1, 2),
  ]

  static func values<T: PrecisionScalar>(_ count: Int, seed: UInt64, as _: T.Type, offset: Int = 0) -> [T] {
    var random = SplitMix64(seed: seed)
    return (0..<count).map { i in
      if i % 7 == 0 { return T(0) }  // exact zeros, as ReLU makes them
      let u = random.unit()
      let scale = Double(sign: .plus, exponent: Int(random.unit() * 12) - 6 + offset, significand: 1)
      return T((u - 0.5) * scale)
    }
  }

  struct Case<T: PrecisionScalar> {
    let x: Tensor<T>, weight: Tensor<T>, bias: Tensor<T>, gradOut: Tensor<T>, stride: Int, padding: Int
    var geometry: ConvolutionGeometry { ConvolutionGeometry(input: x.shape, weight: weight.shape, stride: stride, padding: padding) }

    init(_ shape: ([Int], Int, Int, Int, Int), seed: UInt64, offset: Int = 0) {
      let (input, outChannels, k, stride, padding) = shape
      let weightShape = [outChannels, input[1], k, k]
      x = Tensor(shape: input, storage: values(input.reduce(1, *), seed: seed, as: T.self, offset: offset))
      weight = Tensor(shape: weightShape, storage: values(weightShape.reduce(1, *), seed: seed + 1, as: T.self, offset: offset))
      bias = Tensor(shape: [outChannels], storage: values(outChannels, seed: seed + 2, as: T.self, offset: offset))
      (self.stride, self.padding) = (stride, padding)
      let out = ConvolutionGeometry(input: input, weight: weightShape, stride: stride, padding: padding).outputShape
      gradOut = Tensor(shape: out, storage: values(out.reduce(1, *), seed: seed + 3, as: T.self, offset: offset))
    }
  }

  /// The definition, by six nested loops in binary64 (padding and misaligned terms skipped: under
  /// round-to-nearest an exact zero term changes no sum that starts from +0).
  @Test func doubleEqualsDirectLoops() {
    for (n, shape) in Self.shapes.enumerated() {
      let c = Case<Double>(shape, seed: UInt64(n))
      let g = c.geometry
      let (x, w, dy) = (c.x.storage, c.weight.storage, c.gradOut.storage)
      func xAt(_ b: Int, _ ch: Int, _ y: Int, _ xx: Int) -> Double? {
        y >= 0 && y < g.height && xx >= 0 && xx < g.width ? x[((b * g.channels + ch) * g.height + y) * g.width + xx] : nil
      }
      func wAt(_ o: Int, _ ch: Int, _ i: Int, _ j: Int) -> Double { w[((o * g.channels + ch) * g.kernelHeight + i) * g.kernelWidth + j] }
      func dyAt(_ b: Int, _ o: Int, _ oy: Int, _ ox: Int) -> Double { dy[((b * g.outChannels + o) * g.outHeight + oy) * g.outWidth + ox] }
      var forward: [Double] = [], weightGradient: [Double] = [], biasGradient: [Double] = [], inputGradient: [Double] = []
      for b in 0..<g.batch {
        for o in 0..<g.outChannels {
          for oy in 0..<g.outHeight {
            for ox in 0..<g.outWidth {
              var acc = 0.0
              for ch in 0..<g.channels {
                for i in 0..<g.kernelHeight {
                  for j in 0..<g.kernelWidth {
                    if let v = xAt(b, ch, oy * g.stride + i - g.padding, ox * g.stride + j - g.padding) { acc = acc + v * wAt(o, ch, i, j) }
                  }
                }
              }
              forward.append(acc + c.bias.storage[o])
            }
          }
        }
      }
      for o in 0..<g.outChannels {
        for ch in 0..<g.channels {
          for i in 0..<g.kernelHeight {
            for j in 0..<g.kernelWidth {
              var acc = 0.0
              for b in 0..<g.batch {
                for oy in 0..<g.outHeight {
                  for ox in 0..<g.outWidth {
                    if let v = xAt(b, ch, oy * g.stride + i - g.padding, ox * g.stride + j - g.padding) { acc = acc + dyAt(b, o, oy, ox) * v }
                  }
                }
              }
              weightGradient.append(acc)
            }
          }
        }
        var acc = 0.0
        for b in 0..<g.batch { for oy in 0..<g.outHeight { for ox in 0..<g.outWidth { acc = acc + dyAt(b, o, oy, ox) } } }
        biasGradient.append(acc)
      }
      for b in 0..<g.batch {
        for ch in 0..<g.channels {
          for y in 0..<g.height {
            for xx in 0..<g.width {
              var acc = 0.0
              for o in 0..<g.outChannels {
                for i in 0..<g.kernelHeight {
                  for j in 0..<g.kernelWidth {
                    let (ry, rx) = (y + g.padding - i, xx + g.padding - j)
                    guard ry >= 0, rx >= 0, ry % g.stride == 0, rx % g.stride == 0, ry / g.stride < g.outHeight, rx / g.stride < g.outWidth else { continue }
                    acc = acc + dyAt(b, o, ry / g.stride, rx / g.stride) * wAt(o, ch, i, j)
                  }
                }
              }
              inputGradient.append(acc)
            }
          }
        }
      }
      for threads in [1, 2] {
        let plan = KernelPlan(threads: threads)
        let y = Convolution.forward(c.x, weight: c.weight, bias: c.bias, stride: c.stride, padding: c.padding, plan: plan)
        let (dW, dB) = Convolution.parameterGradients(
          input: c.x, gradOut: c.gradOut, weightShape: c.weight.shape, withBias: true, stride: c.stride, padding: c.padding, plan: plan)
        let dX = Convolution.inputGradient(gradOut: c.gradOut, weight: c.weight, inputShape: c.x.shape, stride: c.stride, padding: c.padding, plan: plan)
        #expect(y.storage == forward && y.shape == g.outputShape, "forward \(shape)")
        #expect(dW.storage == weightGradient && dW.shape == c.weight.shape, "weight gradient \(shape)")
        #expect(dB?.storage == biasGradient, "bias gradient \(shape)")
        #expect(dX.storage == inputGradient && dX.shape == c.x.shape, "input gradient \(shape)")
      }
    }
  }

  /// Every product on the SIMD path equals the generic path bit for bit (hex, so that signed zeros and
  /// NaN payloads count).
  func check<S: PrecisionScalar, A: PrecisionScalar>(
    _: S.Type, accumulate _: A.Type, orders: [KernelOptions.SummationOrder] = [.sequential, .pairwise, .blocked(5), .split(2)], offset: Int = 0,
    fused: [Bool] = [false, true], rounding: RoundingMode = .nearestEven
  ) {
    // Each computation from the same stream (stochastic rounding), so both paths may draw the same bits.
    func fresh<R>(_ body: () -> R) -> R { RoundingEnvironment.with(rounding, seed: 3, body) }
    for (n, shape) in Self.shapes.enumerated() {
      let c = Case<S>(shape, seed: UInt64(10 * n + 1), offset: offset)
      let g = c.geometry
      for order in orders {
        for isFused in fused where !(isFused && order == .pairwise) {
          for threads in [1, 2] {
            let plan = KernelPlan(options: KernelOptions(order: order, fused: isFused), threads: threads)
            let label = "\(S.format.name) in \(A.format.name) \(plan.options) \(shape) threads \(threads)"
            func hex(_ t: Tensor<S>) -> [String] { t.storage.map(\.hexDescription) }
            let fast = fresh { Convolution.forward(c.x, c.weight, c.bias, g, A.self, plan) }
            let generic = fresh { Convolution.forward(c.x, c.weight, c.bias, g, A.self, plan, generic: true) }
            #expect(hex(fast) == hex(generic), "forward \(label)")
            var biasFirst = plan
            biasFirst.options.biasFirst = true  // the bias where the sum starts (per output row on the SIMD path)
            let fastFirst = fresh { Convolution.forward(c.x, c.weight, c.bias, g, A.self, biasFirst) }
            let genericFirst = fresh { Convolution.forward(c.x, c.weight, c.bias, g, A.self, biasFirst, generic: true) }
            #expect(hex(fastFirst) == hex(genericFirst), "forward, bias first \(label)")
            let fastGradients = fresh { Convolution.parameterGradients(c.x, c.gradOut, g, true, A.self, plan) }
            let genericGradients = fresh { Convolution.parameterGradients(c.x, c.gradOut, g, true, A.self, plan, generic: true) }
            #expect(hex(fastGradients.weight) == hex(genericGradients.weight), "weight gradient \(label)")
            #expect(hex(fastGradients.bias!) == hex(genericGradients.bias!), "bias gradient \(label)")
            let fastInput = fresh { Convolution.inputGradient(c.gradOut, c.weight, g, A.self, plan) }
            let genericInput = fresh { Convolution.inputGradient(c.gradOut, c.weight, g, A.self, plan, generic: true) }
            #expect(hex(fastInput) == hex(genericInput), "input gradient \(label)")
          }
        }
      }
    }
  }

  @Test func binary32() { check(Float.self, accumulate: Float.self) }
  @Test func binary64() { check(Double.self, accumulate: Double.self) }
  /// The tensor-core order in all three products of a convolution (im2col sums of G at a time).
  @Test func tensorCore() {
    let orders: [KernelOptions.SummationOrder] = [.tensorCore(.init(terms: 8, window: 25)), .tensorCore(.init(terms: 4, window: 24, towardZero: false))]
    check(Float.self, accumulate: Float.self, orders: orders, fused: [false])
    check(BFloat16.self, accumulate: Float.self, orders: orders, fused: [false])
  }
  /// The lanes and compensated kernels in all three products of a convolution (the bias per output row).
  @Test func lanesAndCompensated() {
    check(Float.self, accumulate: Float.self, orders: [.lanes(4), .lanes(16)])
    check(Double.self, accumulate: Double.self, orders: [.lanes(8)], fused: [false])
    check(Float.self, accumulate: Float.self, orders: [.kahan, .neumaier], fused: [false])
    check(Double.self, accumulate: Double.self, orders: [.neumaier], fused: [false])
  }
  @Test func bfloat16StorageBinary32Accumulation() { check(BFloat16.self, accumulate: Float.self) }
  @Test func binary16StorageBinary64Accumulation() { check(Binary16.self, accumulate: Double.self, orders: [.sequential, .blocked(3)]) }
  @Test func binary16AndBFloat16RoundedAfterEveryOperation() {
    check(Binary16.self, accumulate: Binary16.self, fused: [false])
    check(BFloat16.self, accumulate: BFloat16.self, fused: [false])
  }
  @Test func binary16AndBFloat16NearUnderflowAndOverflow() {
    check(Binary16.self, accumulate: Binary16.self, orders: [.sequential, .pairwise], offset: -12, fused: [false])
    check(Binary16.self, accumulate: Binary16.self, orders: [.sequential], offset: 12, fused: [false])
    check(BFloat16.self, accumulate: BFloat16.self, orders: [.sequential, .blocked(4)], offset: -120, fused: [false])
    check(BFloat16.self, accumulate: BFloat16.self, orders: [.sequential], offset: 120, fused: [false])
  }
  /// Binary64-engine formats accumulated in themselves take the `Double` rounded kernel in all three
  /// products.
  @Test func binary64EngineFormatsRoundedAfterEveryOperation() {
    for format in [FloatFormat.tf32, .e4m3, .fp6e2m3] {
      EmulatedFloat.withFormat(format) {
        check(EmulatedFloat.self, accumulate: EmulatedFloat.self, orders: [.sequential, .pairwise], fused: [false])
      }
    }
  }
  /// The directed modes in all three products: binary16 and bfloat16 rounded after every operation (one
  /// loop instance per format and mode), binary32 and binary64 themselves (EmulatedFloat, MPFRFloat) on
  /// the `Float`/`Double` kernels with the rounding control set.
  @Test(arguments: [RoundingMode.towardZero, .towardPositive, .towardNegative])
  func directedModes(_ mode: RoundingMode) {
    check(Binary16.self, accumulate: Binary16.self, orders: [.sequential, .pairwise], fused: [false], rounding: mode)
    check(BFloat16.self, accumulate: BFloat16.self, orders: [.sequential, .blocked(5)], fused: [false], rounding: mode)
    EmulatedFloat.withFormat(.binary32) {
      check(EmulatedFloat.self, accumulate: EmulatedFloat.self, orders: [.sequential, .lanes(4)], rounding: mode)
    }
    MPFRFloat.withFormat(.binary64) {
      check(MPFRFloat.self, accumulate: MPFRFloat.self, orders: [.blocked(5)], rounding: mode)
    }
  }
  /// Rounding to odd in all three products (the odd kernel), near 1 and near underflow.
  @Test func roundingToOdd() {
    check(Binary16.self, accumulate: Binary16.self, orders: [.sequential, .pairwise], fused: [false], rounding: .odd)
    check(BFloat16.self, accumulate: BFloat16.self, orders: [.sequential, .blocked(5)], fused: [false], rounding: .odd)
    check(BFloat16.self, accumulate: BFloat16.self, orders: [.sequential], offset: -120, fused: [false], rounding: .odd)
  }
  /// With stochastic rounding the SIMD paths round each output on the stream the generic path uses.
  @Test func stochasticRoundingIntoTheStorageFormat() {
    check(BFloat16.self, accumulate: Float.self, orders: [.sequential], fused: [false], rounding: .stochastic)
    check(Binary16.self, accumulate: Double.self, orders: [.pairwise], fused: [false], rounding: .stochastic)
  }
}

/// The packers fill any range of steps exactly as the slice of the whole range (a caller may pack a
/// panel in pieces).
@Suite struct ConvolutionPackerTests {
  @Test func rangesOfStepsAreSlicesOfTheWhole() {
    for (n, shape) in ConvolutionTests.shapes.enumerated() {
      let c = ConvolutionTests.Case<Float>(shape, seed: UInt64(n))
      var g = c.geometry.c
      let x = c.x.storage, dy = c.gradOut.storage
      typealias Packer = (UnsafePointer<pl_conv>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int, Int, Int, Int) -> Void
      let packers: [(String, Packer, [Float], Int, Int)] = [
        ("patches", pl_pack_conv_patches_f32, x, c.geometry.positions, c.geometry.patchSize),
        ("patches transposed", pl_pack_conv_patches_t_f32, x, c.geometry.patchSize, c.geometry.positions),
        ("gradient", pl_pack_conv_gradient_f32, dy, c.geometry.inputPositions, c.geometry.gradientSize),
      ]
      for (name, pack, source, outputs, steps) in packers {
        let panels = (outputs + 15) / 16
        for q in [0, panels - 1] {
          var whole = [Float](repeating: .nan, count: 16 * steps)
          whole.withUnsafeMutableBufferPointer { pack(&g, source, $0.baseAddress!, q, q + 1, 0, steps) }
          for (begin, end) in [(0, steps / 2), (steps / 3, steps), (1, max(1, steps - 1))] where begin < end {
            var part = [Float](repeating: .nan, count: 16 * (end - begin))
            part.withUnsafeMutableBufferPointer { pack(&g, source, $0.baseAddress!, q, q + 1, begin, end) }
            #expect(part == Array(whole[(16 * begin)..<(16 * end)]), "\(name) \(shape) panel \(q) steps \(begin)..<\(end)")
          }
        }
      }
    }
  }
}
