import Networks
import Scalars
import Tensors
import Testing

/// Max pooling against a direct reading of its contract, on inputs full of ties (values from
/// {−1, 0, 1, 2}) with NaNs, for overlapping, padded and non-overlapping windows, every tie rule, in
/// hardware binary32 and the emulated binary16 and bfloat16 (each with its own rounded split shares).
@Suite struct MaxPoolTests {
  static let geometries: [(kernel: Int, stride: Int, padding: Int)] = [(2, 2, 0), (3, 2, 1), (3, 1, 1), (2, 1, 0), (3, 3, 0), (3, 2, 0)]

  /// Input values: mostly ties, with a NaN at every `nanEvery`-th position (none when 0).
  static func input<T: PrecisionScalar>(_ shape: [Int], seed: UInt64, nanEvery: Int) -> Tensor<T> {
    var state = seed
    let values = (0..<shape.reduce(1, *)).map { i -> T in
      state = state &* 6364136223846793005 &+ 1442695040888963407
      if nanEvery > 0 && i % nanEvery == nanEvery - 1 { return T(Double.nan) }
      return T(Double(Int(state >> 62) - 1))
    }
    return Tensor(shape: shape, storage: values)
  }

  /// The window of output (r, s): the input offsets it covers inside the image, in row-major order.
  static func window(_ n: Int, _ h: Int, _ w: Int, _ r: Int, _ s: Int, _ g: (kernel: Int, stride: Int, padding: Int)) -> [Int] {
    var offsets: [Int] = []
    for i in 0..<g.kernel {
      for j in 0..<g.kernel {
        let (y, x) = (r * g.stride + i - g.padding, s * g.stride + j - g.padding)
        if y >= 0 && y < h && x >= 0 && x < w { offsets.append((n * h + y) * w + x) }
      }
    }
    return offsets
  }

  /// The inputs a window's gradient goes to: with a NaN in it, the last NaN alone (a NaN wins, the last
  /// if several); otherwise every input equal to the window's maximum, in window order.
  static func holders<T: PrecisionScalar>(_ x: [T], _ window: [Int]) -> [Int] {
    if let nan = window.last(where: { x[$0].isNaN }) { return [nan] }
    let top = window.map { x[$0] }.reduce(x[window[0]]) { $1 > $0 ? $1 : $0 }
    return window.filter { x[$0] == top }
  }

  @Test(arguments: MaxPoolTieRule.allCases)
  func forwardAndBackwardFollowTheContract(ties: MaxPoolTieRule) {
    check(Float.self, ties: ties)
    check(Binary16.self, ties: ties)
    check(BFloat16.self, ties: ties)
  }

  func check<T: PrecisionScalar>(_: T.Type, ties: MaxPoolTieRule) {
    for (index, g) in Self.geometries.enumerated() {
      for nanEvery in [0, 11] {
        let shape = [2, 3, 7, 6]
        let x: Tensor<T> = Self.input(shape, seed: UInt64(index * 10 + nanEvery), nanEvery: nanEvery)
        let pool = MaxPool2d(kernel: g.kernel, stride: g.stride, padding: g.padding, ties: ties)
        let (oh, ow) = pool.outputSize(7, 6)
        let y = pool.forward(x)
        #expect(y.shape == [2, 3, oh, ow])
        // Output gradients: small integers, so every sum below is exact except the split shares.
        let gradOut = Tensor<T>(shape: y.shape, storage: (0..<y.count).map { T(Double($0 % 7 + 1)) })
        let dx = pool.backward(input: x, gradOut: gradOut)
        var expected = [T](repeating: T(0), count: x.count)
        var touched = [Bool](repeating: false, count: x.count)
        for plane in 0..<6 {
          for r in 0..<oh {
            for s in 0..<ow {
              let window = Self.window(plane, 7, 6, r, s, g)
              let holders = Self.holders(x.storage, window)
              let out = y.storage[(plane * oh + r) * ow + s]
              let top = x.storage[holders[0]]
              #expect(out == top || (out.isNaN && top.isNaN), "\(T.self), geometry \(g), window (\(plane), \(r), \(s))")
              let grad = gradOut.storage[(plane * oh + r) * ow + s]
              let receivers: [Int], share: T
              switch ties {
              case .first: (receivers, share) = ([holders.first!], grad)
              case .last: (receivers, share) = ([holders.last!], grad)
              case .split: (receivers, share) = (holders, holders.count == 1 ? grad : grad / T(Double(holders.count)))
              }
              for t in receivers {
                expected[t] = touched[t] ? expected[t] + share : share
                touched[t] = true
              }
            }
          }
        }
        #expect(dx.storage == expected, "\(T.self), geometry \(g), NaN every \(nanEvery), ties \(ties)")
      }
    }
  }
}
