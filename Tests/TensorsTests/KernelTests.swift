import Scalars
import Tensors
import Testing

/// The dot-product kernel's summation orders, accumulation formats and fusion, against simulations
/// built from hardware arithmetic only.
@Suite struct KernelTests {
  /// Independent binary32 → bfloat16 round to nearest even on the bit pattern.
  static func bf16(_ f: Float) -> Float {
    if f.isNaN { return f }
    let bits = f.bitPattern
    return Float(bitPattern: ((bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16) << 16)
  }

  static func values(_ n: Int, seed: UInt64) -> [Double] {
    var generator = SplitMix64(seed: seed)
    return (0..<n).map { _ in (generator.unit() - 0.5) * 8 }
  }

  /// bfloat16 products and sums simulated in binary32 (products exact; each sum rounded once, which
  /// binary32's 24 ≥ 2·8 + 2 bits make exact).
  static func simulatedBF16(_ x: [Float], _ y: [Float], _ order: KernelOptions.SummationOrder) -> Float {
    func add(_ a: Float, _ b: Float) -> Float { bf16(a + b) }
    func product(_ k: Int) -> Float { bf16(x[k] * y[k]) }
    func sequential(_ r: Range<Int>) -> Float { r.reduce(Float(0)) { add($0, product($1)) } }
    func pairwise(_ r: Range<Int>) -> Float {
      if r.count == 1 { return product(r.lowerBound) }
      let m = r.lowerBound + r.count / 2
      return add(pairwise(r.lowerBound..<m), pairwise(m..<r.upperBound))
    }
    switch order {
    case .sequential, .blas: return sequential(0..<x.count)  // DotProduct sums sequentially under blas (BLAS is for matrix products)
    case .pairwise: return pairwise(0..<x.count)
    case .blocked(let size):
      return stride(from: 0, to: x.count, by: size).reduce(Float(0)) { add($0, sequential($1..<min($1 + size, x.count))) }
    case .split(let slices):
      // ⌈n/S⌉ products per slice, each slice from zero, the slice sums in slice order.
      let size = max((x.count + slices - 1) / slices, 1)
      var total: Float = 0
      var start = 0
      while start < x.count {
        total = add(total, sequential(start..<min(start + size, x.count)))
        start += size
      }
      return total
    case .lanes(let count):
      // Lane l: products l, l + count, …; then lane l + w added into lane l, w = count/2, …, 1.
      var lane = (0..<count).map { l in stride(from: l, to: x.count, by: count).reduce(Float(0)) { add($0, product($1)) } }
      var w = count / 2
      while w >= 1 {
        for l in 0..<w { lane[l] = add(lane[l], lane[l + w]) }
        w /= 2
      }
      return lane[0]
    case .kahan:
      var (sum, compensation): (Float, Float) = (0, 0)
      for k in 0..<x.count {
        let adjusted = bf16(product(k) - compensation)
        let t = add(sum, adjusted)
        compensation = bf16(bf16(t - sum) - adjusted)
        sum = t
      }
      return sum
    case .neumaier:
      var (sum, compensation): (Float, Float) = (0, 0)
      for k in 0..<x.count {
        let p = product(k)
        let t = add(sum, p)
        compensation = add(compensation, abs(sum) >= abs(p) ? add(bf16(sum - t), p) : add(bf16(p - t), sum))
        sum = t
      }
      return add(sum, compensation)
    case .tensorCore: preconditionFailure("tensor-core models are checked in TensorCoreTests")
    }
  }

  /// Compensated sums of binary32 products land within 2 ulps of the same rounded products summed in
  /// binary64 (far more accurate than any binary32 order here), where a sequential sum of these
  /// cancelling terms is off by many.
  @Test func compensatedSumsAreAccurate() {
    var worstSequential = 0.0
    for n in [100, 1000, 4096] {
      let x = Self.values(n, seed: UInt64(n) + 5).map { Float($0 * 1e3) }
      let y = Self.values(n, seed: UInt64(n) + 6).map(Float.init)
      let reference = zip(x, y).reduce(0.0) { $0 + Double($1.0 * $1.1) }
      let ulp = Double(Float(reference).ulp)
      for order in [KernelOptions.SummationOrder.kahan, .neumaier, .sequential] {
        let got: Float = x.withUnsafeBufferPointer { xp in
          y.withUnsafeBufferPointer { yp in
            DotProduct.sum(xp.baseAddress!, 1, yp.baseAddress!, 1, count: n, initial: nil, options: KernelOptions(order: order))
          }
        }
        let error = abs(Double(got) - reference) / ulp
        if order == .sequential { worstSequential = max(worstSequential, error) } else { #expect(error <= 2, "\(order) n \(n): \(error) ulps") }
      }
    }
    #expect(worstSequential > 8, "the test's sums do not challenge a sequential sum (\(worstSequential) ulps)")
  }

  @Test func bfloat16InEveryOrder() {
    for n in [1, 2, 7, 64, 257] {
      let x = Self.values(n, seed: UInt64(n)).map { BFloat16($0) }
      let y = Self.values(n, seed: UInt64(n) + 99).map { BFloat16($0) }
      let xf = x.map { Float($0.doubleValue) }, yf = y.map { Float($0.doubleValue) }
      for order in [KernelOptions.SummationOrder.sequential, .pairwise, .blocked(3), .blocked(16), .blas, .lanes(2), .lanes(4), .lanes(8), .split(1), .split(3), .split(4), .kahan, .neumaier] {
        let got: BFloat16 = x.withUnsafeBufferPointer { xp in
          y.withUnsafeBufferPointer { yp in
            DotProduct.sum(xp.baseAddress!, 1, yp.baseAddress!, 1, count: n, initial: nil, options: KernelOptions(order: order))
          }
        }
        #expect(Float(got.doubleValue) == Self.simulatedBF16(xf, yf, order), "n \(n) \(order)")
      }
    }
  }

  /// binary16 storage accumulated in binary32 (as GPU matrix units do), fused and unfused: products
  /// of halves are exact in binary32, so unfused = fused here, and both equal hardware Float sums.
  @Test func halfStorageSingleAccumulation() {
    let n = 300
    let a = Tensor<Float16>(shape: [2, n], doubles: Self.values(2 * n, seed: 5))
    let b = Tensor<Float16>(shape: [3, n], doubles: Self.values(3 * n, seed: 6))
    let bias = Tensor<Float16>(shape: [3], doubles: [0.25, -1, 3])
    for fused in [false, true] {
      let c = MatrixMultiply.timesTransposed(a, b, bias: bias, accumulate: Float.self, options: KernelOptions(fused: fused))
      for i in 0..<2 {
        for j in 0..<3 {
          var acc: Float = 0
          for k in 0..<n {
            let p = Float(a[i, k]), q = Float(b[j, k])
            acc = fused ? fmaRef(p, q, acc) : acc + p * q
          }
          acc = acc + Float(bias[j])
          #expect(c[i, j] == Float16(acc), "\(i),\(j) fused \(fused)")
        }
      }
    }
  }

  /// `--bias-order first` against hardware Float loops written here: the sequential sum starts at the
  /// bias, and blocked(KC) adds each block (from zero) to a total that starts at the bias (BLAS's
  /// C := A·B + C); both differ from the bias added last in some outputs, pairwise in none.
  @Test func biasFirstStartsTheSumAtTheBias() {
    let (m, n, k, kc) = (3, 40, 300, 64)
    let a = Tensor<Float>(shape: [m, k], storage: Self.values(m * k, seed: 11).map { Float($0) })
    let b = Tensor<Float>(shape: [n, k], storage: Self.values(n * k, seed: 12).map { Float($0) })
    let bias = Tensor<Float>(shape: [n], storage: Self.values(n, seed: 13).map { Float($0) * 8 })
    func product(_ order: KernelOptions.SummationOrder, first: Bool) -> Tensor<Float> {
      MatrixMultiply.timesTransposed(a, b, bias: bias, accumulate: Float.self, options: KernelOptions(order: order, biasFirst: first))
    }
    var differs = (sequential: 0, blocked: 0)
    let (sequentialFirst, blockedFirst) = (product(.sequential, first: true), product(.blocked(kc), first: true))
    let (sequentialLast, blockedLast) = (product(.sequential, first: false), product(.blocked(kc), first: false))
    for i in 0..<m {
      for j in 0..<n {
        var acc = bias[j]
        for p in 0..<k { acc = acc + a[i, p] * b[j, p] }
        #expect(sequentialFirst[i, j].bitPattern == acc.bitPattern, "sequential \(i),\(j)")
        var total = bias[j]
        for start in stride(from: 0, to: k, by: kc) {
          var block: Float = 0
          for p in start..<min(start + kc, k) { block = block + a[i, p] * b[j, p] }
          total = total + block
        }
        #expect(blockedFirst[i, j].bitPattern == total.bitPattern, "blocked \(i),\(j)")
        if sequentialFirst[i, j] != sequentialLast[i, j] { differs.sequential += 1 }
        if blockedFirst[i, j] != blockedLast[i, j] { differs.blocked += 1 }
      }
    }
    #expect(differs.sequential > 0 && differs.blocked > 0, "\(differs)")
    #expect(product(.pairwise, first: true).storage.map(\.bitPattern) == product(.pairwise, first: false).storage.map(\.bitPattern))
  }

  /// A hardware fma kept opaque to the optimiser.
  @inline(never) static func fmaHelper(_ a: Float, _ b: Float, _ c: Float) -> Float { c.addingProduct(a, b) }

  /// Mixed formats follow the rule: storage values converted exactly, one rounding at the end.
  @Test func binary16StorageWithEmulatedAccumulation() {
    let x = Self.values(50, seed: 1).map { Binary16($0) }
    let y = Self.values(50, seed: 2).map { Binary16($0) }
    let viaDouble: Double = x.withUnsafeBufferPointer { xp in
      y.withUnsafeBufferPointer { yp in
        DotProduct.sum(xp.baseAddress!, 1, yp.baseAddress!, 1, count: 50, initial: nil, options: KernelOptions())
      }
    }
    var reference = 0.0
    for k in 0..<50 { reference += x[k].doubleValue * y[k].doubleValue }
    #expect(viaDouble == reference)
  }
}

func fmaRef(_ a: Float, _ b: Float, _ c: Float) -> Float { KernelTests.fmaHelper(a, b, c) }
