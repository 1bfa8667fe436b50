import BigInt
import Datasets
@testable import Networks
import Scalars
import Tensors
import Testing

/// The bifurcation study's shortcuts (screening batches without kink inputs, sharing the backward
/// part above the highest kink) against the plain two-network protocol.
@Suite struct BifurcationTests {
  static let data = Synthetic.images(count: 96, classes: 10, shape: [1, 8, 8], seed: 5)

  func study(_ format: FloatFormat, accumulate: AccumulationChoice = .same, rounding: RoundingMode = .nearestEven, seed: UInt64, widths: [Int] = [64, 12, 12, 10]) -> BifurcationStudy {
    var compute = ComputeSettings(format: format, accumulate: accumulate, rounding: rounding)
    compute.roundingSeed = 7
    let feed = BatchFeed(data: Self.data, batchSize: 16)
    return BifurcationStudy(model: .mlp(widths: widths), compute: compute, feed: feed, seed: seed)
  }

  @Test(arguments: [
    (FloatFormat.binary16, AccumulationChoice.same, RoundingMode.nearestEven), (.bfloat16, .same, .nearestEven),
    (.e4m3, .same, .nearestEven), (.bfloat16, .binary32, .nearestEven), (.binary32, .same, .nearestEven),
    (.bfloat16, .same, .towardZero), (.e5m2, .same, .stochastic),
  ])
  func screeningEqualsTwoNetworks(format: FloatFormat, accumulate: AccumulationChoice, rounding: RoundingMode) throws {
    var differing = 0
    // Four combinations of the options, each on six seeds (debug-build time stays in seconds).
    let combinations: [(BifurcationStudy.Comparison, Bool, Bool)] = [
      (.firstLayer, false, false), (.all, true, false), (.firstLayer, true, true), (.all, false, true),
    ]
    for seed in UInt64(0)..<6 {
      for (comparison, all, accumulateGradients) in combinations {
        var fast = study(format, accumulate: accumulate, rounding: rounding, seed: seed)
        fast.comparison = comparison
        fast.untilFirstDifference = !all
        fast.accumulateGradients = accumulateGradients
        var naive = fast
        naive.screening = false
        let a = try fast.run(), b = try naive.run()
        #expect(a.firstDifference == b.firstDifference, "\(format.name) seed \(seed) \(comparison) all=\(all)")
        #expect(a.batchesDiffering == b.batchesDiffering)
        #expect(a.kinksPerLayer == b.kinksPerLayer)
        #expect(a.batchesExamined == b.batchesExamined)
        #expect(a.difference == b.difference && a.gradient == b.gradient)
        #expect(a.backwardPasses <= b.backwardPasses)
        if a.firstDifference != nil { differing += 1 }
      }
    }
    // The comparison must have had differences to agree on (low formats), or none (binary32).
    if format.precision < 12 && accumulate == .same { #expect(differing > 0, "\(format.name): no run differed; the test would prove nothing") }
  }

  /// With a loss scale the screening still equals the two-network protocol, also where the scaled
  /// gradients overflow on batches without a kink input (binary16 at 2^24, e4m3 at 2^20).
  @Test(arguments: [(FloatFormat.binary16, 16777216.0), (.e4m3, 1048576.0), (.e4m3, 64.0), (.bfloat16, 256.0)])
  func screeningEqualsTwoNetworksWithALossScale(format: FloatFormat, scale: Double) throws {
    var nonFinite = 0
    for seed in UInt64(0)..<4 {
      for accumulateGradients in [false, true] {
        var fast = study(format, seed: seed)
        fast.lossScale = scale
        fast.accumulateGradients = accumulateGradients
        fast.untilFirstDifference = false
        var naive = fast
        naive.screening = false
        let a = try fast.run(), b = try naive.run()
        #expect(a.firstDifference == b.firstDifference && a.firstNonFinite == b.firstNonFinite, "\(format.name) \(scale) seed \(seed)")
        #expect(a.batchesDiffering == b.batchesDiffering && a.kinksPerLayer == b.kinksPerLayer)
        // Norms of overflowed gradients are NaN: equal here when both are.
        func same(_ x: Norms?, _ y: Norms?) -> Bool {
          guard let x, let y else { return x == nil && y == nil }
          return (x.l1 == y.l1 || (x.l1.isNaN && y.l1.isNaN)) && (x.l2 == y.l2 || (x.l2.isNaN && y.l2.isNaN))
        }
        #expect(same(a.difference, b.difference) && same(a.gradient, b.gradient))
        if a.firstNonFinite != nil { nonFinite += 1 }
      }
    }
    if scale > 1e6 { #expect(nonFinite > 0, "\(format.name) at \(scale): no scaled gradient overflowed; the case is not exercised") }
  }

  /// A loss scale that is a power of two changes no binary64 gradient but its exponent: the recorded
  /// norms, divided by the scale, equal the unscaled run's, and the same draws differ at the same batch.
  @Test func aPowerOfTwoLossScaleIsExactInBinary64() throws {
    for seed in UInt64(0)..<3 {
      var plain = study(.binary64, seed: seed)
      plain.untilFirstDifference = false
      plain.recordBatches = true
      var scaled = plain
      scaled.lossScale = 1024
      let a = try plain.run(), b = try scaled.run()
      #expect(a.firstDifference == b.firstDifference && a.kinksPerLayer == b.kinksPerLayer)
      #expect(a.batches.count == 6 && a.batches == b.batches, "every batch's norms, unscaled, equal")
      #expect(a.batches.allSatisfy { $0.gradientA.l2 > 0 })
    }
  }

  /// Summed gradients (the paper's protocol) are formed only at the first batch with a kink input, by
  /// replaying the batches before it: the record equals the two-network protocol's, which sums on
  /// every batch, on runs whose first kink input comes after the first batch.
  @Test(arguments: [(FloatFormat.e5m2, AccumulationChoice.binary32), (.e4m3, .binary32), (.bfloat16, .same), (.binary16, .same)])
  func summedGradientsReplayedAtTheFirstKink(format: FloatFormat, accumulate: AccumulationChoice) throws {
    var replayed = 0
    for seed in UInt64(0)..<12 {
      var fast = study(format, accumulate: accumulate, seed: seed)
      fast.accumulateGradients = true
      fast.untilFirstDifference = false
      var first = fast
      first.feed = BatchFeed(data: Self.data, batchSize: 16, maxBatches: 1)
      let firstBatch = try first.run()
      let a = try fast.run()
      guard firstBatch.batchesWithKinks == 0, a.batchesWithKinks > 0 else { continue }
      replayed += 1
      var naive = fast
      naive.screening = false
      let b = try naive.run()
      #expect(a.firstDifference == b.firstDifference && a.batchesDiffering == b.batchesDiffering, "seed \(seed)")
      #expect(a.difference == b.difference && a.gradient == b.gradient)
    }
    #expect(replayed > 0, "\(format.name): no run met its first kink input after the first batch; the replay was not tested")
  }

  /// Convolutional networks (VGG without and ResNet with batch norm) screen exactly too: the paired
  /// backward through pooling, batch norm and residual blocks equals two networks' own passes.
  @Test(arguments: [
    ModelSpec.vgg([.conv(4), .pool, .conv(6), .pool], input: [1, 8, 8], classes: 10),
    ModelSpec.resnet(blocks: [1, 1], input: [1, 8, 8], classes: 10, batchNorm: true, widthMultiplier: 1.0 / 16),
  ])
  func networkModelsScreenExactly(model: ModelSpec) throws {
    var differing = 0
    for seed in UInt64(0)..<4 {
      for comparison in [BifurcationStudy.Comparison.firstLayer, .all] {
        var fast = study(.bfloat16, seed: seed)
        fast.model = model
        fast.comparison = comparison
        fast.untilFirstDifference = false
        var naive = fast
        naive.screening = false
        let a = try fast.run(), b = try naive.run()
        #expect(a.firstDifference == b.firstDifference && a.batchesDiffering == b.batchesDiffering && a.kinksPerLayer == b.kinksPerLayer)
        #expect(a.difference == b.difference && a.gradient == b.gradient)
        differing += a.batchesDiffering
      }
    }
    #expect(differing > 0, "no batch differed: the comparison would prove nothing")
  }

  /// The conv study as issue 16 runs it (the paper's protocol: constant kink rule, summed gradients;
  /// shuffled and augmented batches, padded images) equals two networks' own passes, record for
  /// record, in several formats (tf32 accumulated in itself takes the binary64-engine kernel), and the
  /// same draw reproduces itself.
  @Test(arguments: [
    (ModelSpec.vgg([.conv(4), .pool, .conv(6), .pool], input: [1, 10, 10], classes: 10), FloatFormat.binary16, AccumulationChoice.same),
    (ModelSpec.vgg([.conv(4), .pool, .conv(6), .pool], input: [1, 10, 10], classes: 10, batchNorm: true), .binary32, .same),
    (ModelSpec.resnet(blocks: [1, 1], input: [1, 10, 10], classes: 10, widthMultiplier: 1.0 / 16), .tf32, .same),
    (ModelSpec.resnet(blocks: [1, 1], input: [1, 10, 10], classes: 10, batchNorm: true, widthMultiplier: 1.0 / 16), .bfloat16, .binary32),
  ])
  func convStudyUnderThePaperProtocolEqualsTwoNetworks(model: ModelSpec, format: FloatFormat, accumulate: AccumulationChoice) throws {
    var differing = 0
    for seed in UInt64(0)..<3 {
      var fast = study(format, accumulate: accumulate, seed: seed)
      fast.model = model
      fast.kinkRule = .paper
      fast.accumulateGradients = true
      fast.untilFirstDifference = false
      fast.feed = BatchFeed(
        data: Self.data, preprocessing: Preprocessing(padding: 1, randomCrop: (10, 2), horizontalFlip: true, seed: seed), batchSize: 16,
        shuffleSeed: seed, maxBatches: 4)
      var naive = fast
      naive.screening = false
      let a = try fast.run(), b = try naive.run(), again = try fast.run()
      #expect(a.firstDifference == b.firstDifference && a.batchesDiffering == b.batchesDiffering && a.kinksPerLayer == b.kinksPerLayer, "\(format.name) seed \(seed)")
      #expect(a.difference == b.difference && a.gradient == b.gradient && a.firstNonFinite == b.firstNonFinite)
      #expect(again.firstDifference == a.firstDifference && again.difference == a.difference && again.kinksPerLayer == a.kinksPerLayer)
      differing += a.batchesDiffering
    }
    if format != .binary32 { #expect(differing > 0, "\(format.name): no batch differed, the comparison proves little") }
  }

  @Test func binary64NeverDiffersOnSynthetic() throws {
    let r = try study(.binary64, seed: 3).run()
    #expect(r.batchesExamined == 6)
    #expect(r.backwardPasses == 0)
  }

  @Test func zeroCausesAgreeWithExactIntegers() throws {
    // Every kink input of the differing batches classified, and checked against a BigInt sum.
    var checked = 0
    for seed in UInt64(0)..<6 {
      var s = study(.e4m3, seed: seed)
      s.rootCause = true
      s.untilFirstDifference = false
      let r = try s.run()
      let causes = try #require(r.causes)
      if r.batchesDiffering > 0 { #expect(causes.total > 0) }
      checked += causes.total
    }
    #expect(checked > 0)
  }

  @Test func convolutionZeroCausesAgreeWithDirectExactSums() throws {
    // Zeros of conv outputs classified through patches, against sums formed directly from the image.
    var checked = 0
    for seed in UInt64(0)..<3 {
      var initializer = Initializer(seed: seed)
      let specs = VGG.layout([.conv(6), .pool], input: [1, 8, 8], classes: 10)
      var net = Network(layers: LayerSpec.materialize(specs, &initializer, as: E4M3.self))
      let (x, _) = Preprocessing().batch(Self.data, indices: Array(0..<16), as: E4M3.self)
      let forward = net.forwardPass(x, KernelPlan())
      guard case .conv(let conv, _) = net.layers[0], case .input(let z) = forward.caches[1] else { Issue.record("layout"); return }
      var exact = 0, zeros = 0
      for b in 0..<16 {
        for o in 0..<6 {
          for r in 0..<8 {
            for c in 0..<8 where z[b, o, r, c].isZero {
              zeros += 1
              var xs: [Double] = [], ws: [Double] = []
              for i in 0..<3 {
                for j in 0..<3 where (0..<8).contains(r + i - 1) && (0..<8).contains(c + j - 1) {
                  xs.append(x[b, 0, r + i - 1, c + j - 1].doubleValue)
                  ws.append(conv.weight[o, 0, i, j].doubleValue)
                }
              }
              if Self.bigSum(xs, ws, conv.bias![o].doubleValue) == 0 { exact += 1 }
            }
          }
        }
      }
      let causes = try #require(net.zeroCauses(forward))
      #expect(causes.total == zeros && causes.exact == exact, "seed \(seed)")
      checked += zeros
    }
    #expect(checked > 0)
  }

  @Test func residualSumZeroCausesAgreeWithDirectExactSums() throws {
    // Zeros after a residual sum (identity shortcut in stage 1, 1x1 stride-2 convolution in stage 2),
    // classified as one sum, against BigInt sums of the main branch's last convolution and the shortcut
    // formed directly from their inputs.
    var checked = 0, residualBlocks = 0
    for seed in UInt64(0)..<3 {
      var initializer = Initializer(seed: seed)
      let specs = ResNet.layout(blocks: [1, 1], input: [1, 8, 8], classes: 10, batchNorm: false, widthMultiplier: 1.0 / 16)
      var net = Network(layers: LayerSpec.materialize(specs, &initializer, as: E4M3.self))
      let (x, _) = Preprocessing().batch(Self.data, indices: Array(0..<16), as: E4M3.self)
      let forward = net.forwardPass(x, KernelPlan())
      for k in net.layers.indices {
        guard case .residual(let main, let shortcut) = net.layers[k], case .residual(let mc, let sc) = forward.caches[k],
          case .input(let z) = forward.caches[k + 1], case .conv(let conv2, _)? = main.last, case .input(let x2)? = mc.last,
          case .input(let blockInput)? = mc.first
        else { continue }
        residualBlocks += 1
        let (channels, outChannels, height, width) = (x2.shape[1], z.shape[1], z.shape[2], z.shape[3])
        var exact = 0, zeros = 0
        for b in 0..<16 {
          for o in 0..<outChannels {
            for r in 0..<height {
              for c in 0..<width where z[b, o, r, c].isZero {
                zeros += 1
                var xs: [Double] = [], ws: [Double] = []
                for ch in 0..<channels {
                  for i in 0..<3 {
                    for j in 0..<3 where (0..<height).contains(r + i - 1) && (0..<width).contains(c + j - 1) {
                      xs.append(x2[b, ch, r + i - 1, c + j - 1].doubleValue)
                      ws.append(conv2.weight[o, ch, i, j].doubleValue)
                    }
                  }
                }
                if case .conv(let projection, _)? = shortcut.first, case .input(let xs2)? = sc.first {
                  for ch in 0..<xs2.shape[1] {
                    xs.append(xs2[b, ch, r * projection.stride, c * projection.stride].doubleValue)
                    ws.append(projection.weight[o, ch, 0, 0].doubleValue)
                  }
                } else {
                  xs.append(blockInput[b, o, r, c].doubleValue)
                  ws.append(1)
                }
                if Self.bigSum(xs, ws, 0) == 0 { exact += 1 }
              }
            }
          }
        }
        let causes = try #require(Residual(main: main, shortcut: shortcut).zeroCauses(.residual(main: mc, shortcut: sc), output: z))
        #expect(causes.total == zeros && causes.exact == exact, "seed \(seed), layer \(k)")
        checked += zeros
      }
    }
    #expect(residualBlocks == 6)
    #expect(checked > 0)
  }

  @Test func residualSumZeroCausesOfKnownSums() throws {
    // main(x) = -relu(x) through 1x1 convolutions, identity shortcut: z = x - x. Exactly zero by
    // cancellation where x > 0, structurally where x = 0; a sum of one nonzero term where x < 0 is not
    // zero at all. A further channel with weight -(1 + 2^-20) makes z = x - x·(1 + 2^-20) round to zero
    // for x = 2^-130 (binary32 subnormals: the product rounds to x): a rounding zero.
    func conv(_ w: [Float]) -> Layer<Float> {
      .conv(Conv2d(weight: Tensor(shape: [2, 2, 1, 1], storage: w), bias: nil), name: "c")
    }
    let main = [conv([1, 0, 0, 1]), .activation(.relu(0)), conv([-1, 0, 0, -(1 + 0x1p-20)])]
    var net = Network<Float>(layers: [.residual(main: main, shortcut: []), .activation(.relu(0))])
    // [batch 1, 2 channels, 1 x 4]: channel 0 holds 3, 0, 5, -2; channel 1 holds 2^-130 and zeros.
    let x = Tensor<Float>(shape: [1, 2, 1, 4], storage: [3, 0, 5, -2, 0x1p-130, 0, 0, 0])
    let forward = net.forwardPass(x, KernelPlan())
    guard case .residual(let m, let s) = net.layers[0], case .residual(let mc, let sc) = forward.caches[0],
      case .input(let z) = forward.caches[1]
    else { Issue.record("layout"); return }
    #expect(z.storage == [0, 0, 0, -2, 0, 0, 0, 0])
    let causes = try #require(Residual(main: m, shortcut: s).zeroCauses(.residual(main: mc, shortcut: sc), output: z))
    #expect(causes == ZeroCauses(structural: 4, cancellation: 2, rounding: 1))
  }

  @Test func zeroCauseClassifiesKnownSums() {
    // x·w + b exactly zero by cancellation, zero only by rounding, and structurally zero.
    let x = Tensor<Float>(shape: [3, 2], storage: [1, 0x1p-30, 1, -1, 0, 0])
    let w = Tensor<Float>(shape: [1, 2], storage: [1, 1])
    let b = Tensor<Float>(shape: [1], storage: [-1])
    // Row 0: 1 + 2^-30 - 1 = 2^-30 exactly, computed as 0 in binary32 (absorption): rounding.
    // Row 1: 1 - 1 - 1 = -1 (not zero, ignored). Row 2: 0 + 0 - 1 ≠ 0. Use a zero bias for row 2.
    let z = Tensor<Float>(shape: [3, 1], storage: [0, -1, -1])
    #expect(ZeroCause.classify(input: x, weight: w, bias: b, output: z) == ZeroCauses(rounding: 1))
    let zeroBias = Tensor<Float>(shape: [1], storage: [0])
    let z2 = Tensor<Float>(shape: [3, 1], storage: [1, 0, 0])
    #expect(ZeroCause.classify(input: x, weight: w, bias: zeroBias, output: z2) == ZeroCauses(structural: 1, cancellation: 1))
  }

  @Test func exactSumAgreesWithBigIntegers() {
    // Random binary64 operands with wide exponent spread and planted cancellations.
    var rng = Initializer(seed: 11)
    for trial in 0..<300 {
      let n = 1 + trial % 9
      var xs = (0..<n).map { _ in (rng.uniformUnit() - 0.5) * Double(sign: .plus, exponent: Int(rng.uniformUnit() * 200) - 100, significand: 1) }
      let ws = (0..<n).map { _ in rng.uniformUnit() < 0.2 ? 0 : (rng.uniformUnit() - 0.5) * Double(sign: .plus, exponent: Int(rng.uniformUnit() * 200) - 100, significand: 1) }
      if trial % 3 == 0 && n >= 2 { xs[n - 1] = ws[n - 1] == 0 ? 0 : -(xs[0] * ws[0]) / ws[n - 1] }  // often exact cancellation
      let bias = trial % 5 == 0 ? 0 : -(xs[0] * ws[0])
      let expected = Self.bigSum(xs, ws, bias) == 0
      let x = Tensor<Double>(shape: [1, n], storage: xs), w = Tensor<Double>(shape: [1, n], storage: ws)
      let got = ZeroCause.classify(input: x, weight: w, bias: Tensor(shape: [1], storage: [bias]), output: Tensor(shape: [1, 1], storage: [0]))
      #expect((got.exact == 1) == expected, "trial \(trial)")
    }
  }

  /// Σ xᵢwᵢ + b as an integer multiple of 2^-2200 (exact for binary64 operands in the tested range).
  static func bigSum(_ xs: [Double], _ ws: [Double], _ b: Double) -> BigInt {
    func scaled(_ v: Double, _ shift: Int) -> BigInt {
      guard v != 0 else { return 0 }
      let m = BigInt(v.significandBitPattern | (1 << 52)) * (v < 0 ? -1 : 1)
      let e = Int(v.exponent) - 52 + shift
      return e >= 0 ? m << e : m >> -e
    }
    var total = scaled(b, 2200)
    for (x, w) in zip(xs, ws) where x != 0 && w != 0 {
      total += scaled(x, 1100) * scaled(w, 1100)
    }
    return total
  }
}
