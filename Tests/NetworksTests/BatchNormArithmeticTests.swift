import Networks
import Scalars
import Tensors
import Testing

/// Batch norm on binary16 data accumulating in binary32: computed in binary32 and rounded once, checked
/// against a hand-written binary32 computation with the compiler's own Float → Float16 conversion.
@Suite struct BatchNormArithmeticTests {
  static let shape = [3, 2, 2, 2]  // batch 3, 2 channels, 2x2

  static func values(_ count: Int, seed: UInt64) -> [Float16] {
    var state = seed
    return (0..<count).map { _ in
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Float16(Float(Int(state >> 40) % 2000 - 1000) / 257)
    }
  }

  /// The oracle: every operation in binary32 in the kernels' sequential order, one conversion per result.
  static func oracle(_ x: [Float16], _ dy: [Float16], gamma: [Float16], beta: [Float16])
    -> (y: [Float16], dx: [Float16], dGamma: [Float16], dBeta: [Float16], runningMean: [Float16], runningVariance: [Float16])
  {
    let (n, c, spatial) = (shape[0], shape[1], shape[2] * shape[3])
    let m = n * spatial
    var y = x, dx = dy, dGamma = gamma, dBeta = beta, runningMean = gamma, runningVariance = gamma
    for ch in 0..<c {
      let indices = (0..<n).flatMap { b in (0..<spatial).map { (b * c + ch) * spatial + $0 } }
      var sum: Float = 0
      for i in indices { sum = sum + Float(x[i]) }
      let mean = sum / Float(m)
      var squares: Float = 0
      for i in indices { squares = squares + (Float(x[i]) - mean) * (Float(x[i]) - mean) }
      let variance = squares / Float(m)
      runningMean[ch] = Float16((1 - Float(0.1)) * 0 + Float(0.1) * mean)
      runningVariance[ch] = Float16((1 - Float(0.1)) * 1 + Float(0.1) * (variance * Float(m) / Float(m - 1)))
      let inv = 1 / (variance + Float(1e-5)).squareRoot()
      var xhat: [Int: Float] = [:]
      for i in indices {
        xhat[i] = (Float(x[i]) - mean) * inv
        y[i] = Float16(Float(gamma[ch]) * xhat[i]! + Float(beta[ch]))
      }
      var sumDy: Float = 0, sumDyXhat: Float = 0
      for i in indices { sumDy = sumDy + Float(dy[i]) }
      for i in indices { sumDyXhat = sumDyXhat + Float(dy[i]) * xhat[i]! }
      dGamma[ch] = Float16(sumDyXhat)
      dBeta[ch] = Float16(sumDy)
      let scale = Float(gamma[ch]) * inv
      for i in indices { dx[i] = Float16(scale * (Float(dy[i]) - sumDy / Float(m) - xhat[i]! * (sumDyXhat / Float(m)))) }
    }
    return (y, dx, dGamma, dBeta, runningMean, runningVariance)
  }

  @Test func binary16WithBinary32AccumulationComputesInBinary32() {
    let count = Self.shape.reduce(1, *)
    let x = Self.values(count, seed: 1), dy = Self.values(count, seed: 2)
    var bn = BatchNorm<Float16>(channels: 2)
    bn.gamma = Tensor(shape: [2], storage: [Float16(1.5), Float16(-0.75)])
    bn.beta = Tensor(shape: [2], storage: [Float16(0.25), Float16(2)])
    let plan = KernelPlan(accumulate: .binary32)
    let (y, cache) = bn.forward(Tensor(shape: Self.shape, storage: x), training: true, plan)
    let (dx, dGamma, dBeta) = bn.backward(cache!, gradOut: Tensor(shape: Self.shape, storage: dy), plan)
    let expected = Self.oracle(x, dy, gamma: [1.5, -0.75], beta: [0.25, 2])
    #expect(y.storage.map(\.bitPattern) == expected.y.map(\.bitPattern))
    #expect(dx.storage.map(\.bitPattern) == expected.dx.map(\.bitPattern))
    #expect(dGamma.storage.map(\.bitPattern) == expected.dGamma.map(\.bitPattern))
    #expect(dBeta.storage.map(\.bitPattern) == expected.dBeta.map(\.bitPattern))
    #expect(bn.runningMean.storage.map(\.bitPattern) == expected.runningMean.map(\.bitPattern))
    #expect(bn.runningVariance.storage.map(\.bitPattern) == expected.runningVariance.map(\.bitPattern))
    // Channels on two threads: the same bits.
    var twoThreads = BatchNorm<Float16>(channels: 2)
    (twoThreads.gamma, twoThreads.beta) = (bn.gamma, bn.beta)
    let plan2 = KernelPlan(accumulate: .binary32, threads: 2)
    let (y2, cache2) = twoThreads.forward(Tensor(shape: Self.shape, storage: x), training: true, plan2)
    #expect(y2.storage.map(\.bitPattern) == y.storage.map(\.bitPattern))
    #expect(twoThreads.backward(cache2!, gradOut: Tensor(shape: Self.shape, storage: dy), plan2).input.storage.map(\.bitPattern)
      == dx.storage.map(\.bitPattern))
  }

  /// A value equal to its channel's mean rounded to binary16 (but not to the binary32 mean) becomes an
  /// exact zero when every operation is rounded into storage, and does not in binary32.
  @Test func storageArithmeticMakesZerosThatBinary32DoesNot() {
    let one = Float16(1), above = Float16(1).nextUp  // mean 1 + 2^-10 / 3 rounds to 1 in binary16
    let x = Tensor(shape: [3, 1], storage: [one, one, above])
    var wide = BatchNorm<Float16>(channels: 1), narrow = wide
    var storagePlan = KernelPlan(accumulate: .binary32)
    storagePlan.normalizeInStorage = true
    let inStorage = narrow.forward(x, training: true, storagePlan).0.storage
    let inBinary32 = wide.forward(x, training: true, KernelPlan(accumulate: .binary32)).0.storage
    #expect(inStorage[0] == 0 && inStorage[1] == 0)
    #expect(!inBinary32.contains(0))
    // Accumulating in the storage format itself leaves nothing wider to compute in: the storage path.
    var same = BatchNorm<Float16>(channels: 1)
    #expect(same.forward(x, training: true, KernelPlan(accumulate: .same)).0.storage.map(\.bitPattern) == inStorage.map(\.bitPattern))
  }
}
