@testable import Tensors
import Scalars
import Testing

/// The SIMD binary32/binary64 matrix product against the generic sequential dot product, output by
/// output: bit-identical for every shape edge, fused or not, with or without bias, for 1 and 2 threads.
@Suite struct FastKernelTests {
  static func values<T: PrecisionScalar>(_ count: Int, seed: UInt64, as _: T.Type, offset: Int = 0) -> [T] {
    var random = SplitMix64(seed: seed)
    return (0..<count).map { i in
      let u = random.unit()
      if i % 11 == 0 { return T(0) }
      if i % 13 == 0 { return T(-0.0) }
      // Wide exponent spread so that absorption and cancellation happen.
      let scale = Double(sign: .plus, exponent: Int(random.unit() * 40) - 20 + offset, significand: 1)
      return T((u - 0.5) * scale)
    }
  }

  /// Values ±[1, 2)·2^e with e uniform in `exponents` (no zeros, nothing smaller): operands whose every
  /// product lies in a chosen band.
  static func values<T: PrecisionScalar>(_ count: Int, seed: UInt64, as _: T.Type, exponents: ClosedRange<Int>) -> [T] {
    var random = SplitMix64(seed: seed)
    return (0..<count).map { _ in
      let e = exponents.lowerBound + Int(random.next() % UInt64(exponents.count))
      let x = Double(sign: random.next() & 1 == 0 ? .plus : .minus, exponent: e, significand: 1 + random.unit())
      return T(x)
    }
  }

  static let orders: [KernelOptions.SummationOrder] = [.sequential, .pairwise, .blocked(1), .blocked(7), .blocked(32)]
  /// Every row count of the last row block (m mod 12 = 0 ... 11 for AVX-512, mod 6 for AVX2, mod 4 and
  /// mod 2 for pairwise, mod 8 and mod 4 for the rounded kernel), partial and whole column panels (n mod
  /// 16 and n mod 8), long k (pairwise trees with leaves of every size: k = 3 is the only one with a
  /// 3-product leaf; blocks crossing the end). With two threads the kernels split the column panels
  /// between the threads (n = 17 ... 48) or, with one panel, the 24-row blocks (n ≤ 16 and m = 40, 50, 61).
  static let shapes = [(1, 1, 1), (3, 7, 5), (4, 16, 64), (5, 17, 33), (17, 33, 9), (8, 8, 0), (9, 40, 130), (4, 16, 512), (5, 17, 257), (9, 24, 600), (6, 10, 300), (4, 12, 40), (50, 21, 70), (61, 48, 20), (40, 10, 30), (7, 9, 45), (10, 23, 19), (11, 16, 64), (12, 31, 28), (23, 7, 12), (36, 5, 8), (13, 18, 3)]
  /// A few of them for the slow emulated loops: a partial panel, both kinds of two-thread split, a
  /// sum longer than a pairwise leaf, k = 0 and k = 3.
  static let fewShapes = [(1, 1, 1), (3, 7, 5), (5, 17, 33), (8, 8, 0), (2, 20, 130), (40, 10, 30), (13, 18, 3)]

  /// Every output of the fast product against `DotProduct.sum`, the generic loop, in every order.
  func check<S: PrecisionScalar, A: PrecisionScalar>(
    _: S.Type, accumulate _: A.Type, offset: Int = 0, orders: [KernelOptions.SummationOrder] = orders, fused: [Bool] = [false, true],
    path: FastMatrixMultiply.Path? = nil, plain: Bool = false, biasFirst: [Bool] = [false, true], exponents: ClosedRange<Int>? = nil,
    shapes: [(Int, Int, Int)] = shapes
  ) {
    func operand(_ count: Int, seed: UInt64) -> [S] {
      exponents.map { Self.values(count, seed: seed, as: S.self, exponents: $0) } ?? Self.values(count, seed: seed, as: S.self, offset: offset)
    }
    for (m, n, k) in shapes {
      for order in orders {
        for fused in fused where !(fused && order == .pairwise) {
          for (withBias, first) in plain ? [(false, false)] : [(false, false)] + biasFirst.map { (true, $0) } {
            let a = Tensor<S>(shape: [m, k], storage: operand(m * k, seed: UInt64(m * 100 + k)))
            let b = Tensor<S>(shape: [n, k], storage: operand(n * k, seed: UInt64(n * 7 + k)))
            let bias = withBias ? Tensor<S>(shape: [n], storage: Self.values(n, seed: 3, as: S.self)) : nil
            let options = KernelOptions(order: order, fused: fused, biasFirst: first)
            var expected = [S]()
            a.storage.withUnsafeBufferPointer { ap in
              b.storage.withUnsafeBufferPointer { bp in
                for i in 0..<m {
                  for j in 0..<n {
                    let acc: A = DotProduct.sum(
                      ap.baseAddress! + i * k, 1, bp.baseAddress! + j * k, 1, count: k,
                      initial: bias.map { ScalarConversion.convert($0.storage[j], to: A.self) }, options: options)
                    expected.append(ScalarConversion.convert(acc, to: S.self))
                  }
                }
              }
            }
            for threads in [1, 2] {
              let got: Tensor<S>
              if plain {
                got = MatrixMultiply.times(a, b.transposed(), accumulate: A.self, options: options, threads: threads)
              } else if let path {
                got = FastMatrixMultiply.multiply(
                  a, b, bias: bias, accumulate: A.self, options: options, rounded: FastMatrixMultiply.roundedKernel(S.self, A.self, options),
                  threads: threads, path: path)
              } else {
                got = MatrixMultiply.timesTransposed(a, b, bias: bias, accumulate: A.self, options: options, threads: threads)
              }
              let same = zip(got.storage, expected).allSatisfy { $0.hexDescription == $1.hexDescription }
              let firstDifference = zip(got.storage, expected).first { $0.hexDescription != $1.hexDescription }.map { "\($0.hexDescription) against \($1.hexDescription)" } ?? ""
              #expect(same, "\(S.format.name) in \(A.format.name) \(options) m \(m) n \(n) k \(k) bias \(withBias) threads \(threads): \(firstDifference)")
            }
          }
        }
      }
    }
  }

  @Test func binary32() { check(Float.self, accumulate: Float.self) }
  /// Split-K (each sum's own ⌈k/S⌉ blocks) and lanes on the fast kernels; lanes in a 16-bit format
  /// accumulated in itself routed to the generic loop.
  @Test func splitAndLanes() {
    check(Float.self, accumulate: Float.self, orders: [.split(3), .split(64), .lanes(4)])
    check(BFloat16.self, accumulate: BFloat16.self, orders: [.split(3), .lanes(8)], fused: [false])
  }
  /// The compensated kernels (Kahan, Neumaier), AVX2 and portable C, binary32 and binary64, against the
  /// generic loop, from subnormal products to overflow.
  @Test(arguments: [FastMatrixMultiply.Path.avx2, .portable]) func compensated(_ path: FastMatrixMultiply.Path) {
    check(Float.self, accumulate: Float.self, orders: [.kahan, .neumaier], fused: [false], path: path)
    check(Float.self, accumulate: Float.self, offset: -70, orders: [.kahan, .neumaier], fused: [false], path: path)
    check(Float.self, accumulate: Float.self, offset: 60, orders: [.kahan, .neumaier], fused: [false], path: path)
    check(Double.self, accumulate: Double.self, orders: [.kahan, .neumaier], fused: [false], path: path)
    check(BFloat16.self, accumulate: Float.self, orders: [.neumaier], fused: [false], path: path)
  }
  /// The lanes kernels, AVX2 and portable C, binary32 and binary64, fused or not, against the generic loop.
  @Test(arguments: [FastMatrixMultiply.Path.avx2, .portable]) func lanes(_ path: FastMatrixMultiply.Path) {
    check(Float.self, accumulate: Float.self, orders: [.lanes(2), .lanes(8), .lanes(64)], path: path)
    check(Double.self, accumulate: Double.self, orders: [.lanes(4), .lanes(16)], path: path)
    check(BFloat16.self, accumulate: Float.self, orders: [.lanes(8)], fused: [false], path: path)
  }
  /// The tensor-core order (joint alignment) on the binary32 kernel, AVX2 and portable C, against the
  /// generic loop: products of binary32, binary16 and bfloat16 values, sums in binary32's subnormal
  /// range and past its overflow threshold; products-first alignment routed to the generic loop.
  @Test(arguments: [FastMatrixMultiply.Path.avx2, .portable]) func tensorCore(_ path: FastMatrixMultiply.Path) {
    let orders: [KernelOptions.SummationOrder] = [
      .tensorCore(.init(terms: 4, window: 24)), .tensorCore(.init(terms: 8, window: 25, towardZero: false)),
      .tensorCore(.init(terms: 64, window: 30)), .tensorCore(.init(terms: 1, window: 2)),
    ]
    check(Float.self, accumulate: Float.self, orders: orders, fused: [false], path: path)
    check(Float.self, accumulate: Float.self, offset: -62, orders: orders, fused: [false], path: path)
    check(Float.self, accumulate: Float.self, offset: 60, orders: orders, fused: [false], path: path)
    check(Binary16.self, accumulate: Float.self, orders: orders, fused: [false], path: path)
    check(BFloat16.self, accumulate: Float.self, orders: Array(orders.prefix(2)), fused: [false], path: path)
    // The narrow-operand kernel (int32 sums of binary32 products): groups below the scales' range
    // (products near 2^-126, redone lane by lane) and sums past binary32's overflow threshold.
    check(BFloat16.self, accumulate: Float.self, orders: orders, fused: [false], path: path, exponents: -63...(-50))
    check(BFloat16.self, accumulate: Float.self, orders: orders, fused: [false], path: path, exponents: 50...62)
    check(Binary16.self, accumulate: Float.self, orders: [.tensorCore(.init(terms: 5, window: 28)), .tensorCore(.init(terms: 4, window: 25, towardZero: false))], fused: [false], path: path)
  }
  /// Products first (the FP8 presets' alignment) on the binary32 kernel, AVX2 (binary64 sums with an
  /// error bound, exact where the bound leaves the rounding uncertain) and portable C (exact), against
  /// the generic loop: binary32 operands across the range, bfloat16 ones, and small integers whose
  /// groups cancel exactly or land on the truncation's boundaries.
  @Test(arguments: [FastMatrixMultiply.Path.avx2, .portable]) func tensorCoreProductsFirst(_ path: FastMatrixMultiply.Path) {
    let orders: [KernelOptions.SummationOrder] = [
      .tensorCore(.init(terms: 32, window: 13, alignment: .productsFirst)),
      .tensorCore(.init(terms: 5, window: 21, towardZero: false, alignment: .productsFirst)),
      .tensorCore(.init(terms: 64, window: 46, alignment: .productsFirst)),
    ]
    check(Float.self, accumulate: Float.self, orders: orders, fused: [false], path: path)
    check(Float.self, accumulate: Float.self, offset: -62, orders: orders, fused: [false], path: path)
    check(Float.self, accumulate: Float.self, offset: 60, orders: orders, fused: [false], path: path)
    check(BFloat16.self, accumulate: Float.self, orders: orders, fused: [false], path: path)
    check(BFloat16.self, accumulate: Float.self, orders: orders, fused: [false], path: path, exponents: 0...2)
    check(E4M3.self, accumulate: Float.self, orders: Array(orders.prefix(2)), fused: [false], path: path, exponents: -3...3)
  }
  /// Groups whose binary64 sum of products is not the exact one, near the model's truncation bit, its
  /// exponent boundary and zero: the AVX2 path must see the uncertainty and compute them exactly.
  @Test(arguments: [FastMatrixMultiply.Path.avx2, .portable]) func productsFirstWhereBinary64IsUncertain(_ path: FastMatrixMultiply.Path) {
    // Rows of A against one column of B: 1.5·2^47 − 2^-10 (truncation: 6143·2^35, binary64 says 6144),
    // 2^48 − 2^-10 (exponent 47, binary64 says 48), 2^60 + 2^-10 − 2^60 + 2^-20 (binary64 says 2^-20).
    let rows: [[Double]] = [[0x1.8p24, -0x1p-5, 0, 0], [0x1p24, -0x1p-5, 0, 0], [0x1p30, 0x1p-5, -0x1p30, 0x1p-10]]
    let column: [Double] = [0x1p23, 0x1p-5, 0x1p30, 0x1p-10]
    let bColumn = rows.indices.map { r in r == 0 ? column : r == 1 ? [0x1p24, 0x1p-5, 0, 0] : [0x1p30, 0x1p-5, 0x1p30, 0x1p-10] }
    for model in [MultiTermAccumulation(terms: 32, window: 13, alignment: .productsFirst), .init(terms: 4, window: 21, towardZero: false, alignment: .productsFirst)] {
      let options = KernelOptions(order: .tensorCore(model))
      for (r, row) in rows.enumerated() {
        let a = Tensor<Float>(shape: [1, 4], doubles: row), b = Tensor<Float>(shape: [1, 4], doubles: bColumn[r])
        var expected = Float(0)
        a.storage.withUnsafeBufferPointer { ap in
          b.storage.withUnsafeBufferPointer { bp in expected = DotProduct.sum(ap.baseAddress!, 1, bp.baseAddress!, 1, count: 4, initial: nil, options: options) }
        }
        let got = FastMatrixMultiply.multiply(a, b, bias: nil, accumulate: Float.self, options: options, rounded: nil, threads: 1, path: path)
        #expect(got.storage[0].bitPattern == expected.bitPattern, "\(model) row \(r): \(got.storage[0]) against \(expected)")
      }
    }
  }
  @Test func binary64() { check(Double.self, accumulate: Double.self) }
  @Test func bfloat16StorageBinary32Accumulation() { check(BFloat16.self, accumulate: Float.self) }
  @Test func binary16StorageBinary64Accumulation() { check(Binary16.self, accumulate: Double.self) }
  @Test func binary16RoundedAfterEveryOperation() { check(Binary16.self, accumulate: Binary16.self) }
  @Test func bfloat16RoundedAfterEveryOperation() {
    check(BFloat16.self, accumulate: BFloat16.self)
    // Products deep in bfloat16's subnormal range and below binary32's grid; sums near overflow.
    check(BFloat16.self, accumulate: BFloat16.self, offset: -50, orders: [.sequential, .pairwise])
    check(BFloat16.self, accumulate: BFloat16.self, offset: 100, orders: [.sequential, .blocked(7)])
  }
  /// The directed modes' kernel (binary16 and bfloat16 rounded after every operation toward zero, +∞
  /// or −∞) against the emulated formats' loop in that mode, near 1 and near both ends of the range
  /// (bfloat16 products below 2^-126 and beyond binary32's range take its binary64 path).
  @Test(.enabled(if: FastMatrixMultiply.roundedKernelsAvailable, "the rounded kernels need AVX2 and F16C"),
        arguments: [RoundingMode.towardZero, .towardPositive, .towardNegative])
  func directedRoundingAfterEveryOperation(_ mode: RoundingMode) {
    RoundingEnvironment.with(mode) {
      for type in [Binary16.self, BFloat16.self] as [any PrecisionScalar.Type] {
        if case .roundedDirected(_, let m)? = FastMatrixMultiply.roundedKernel(type, type, KernelOptions()) {
          #expect(m == Int32(mode.rawValue))
        } else {
          Issue.record("\(type.format.name) in \(mode) does not take the directed kernel")
        }
      }
      check(Binary16.self, accumulate: Binary16.self, orders: [.sequential, .pairwise, .blocked(7)], fused: [false])
      check(Binary16.self, accumulate: Binary16.self, offset: -6, orders: [.sequential], fused: [false])
      check(Binary16.self, accumulate: Binary16.self, offset: 8, orders: [.blocked(7)], fused: [false])
      check(BFloat16.self, accumulate: BFloat16.self, orders: [.sequential, .pairwise, .blocked(7)], fused: [false])
      check(BFloat16.self, accumulate: BFloat16.self, offset: -55, orders: [.sequential, .pairwise], fused: [false])
      check(BFloat16.self, accumulate: BFloat16.self, offset: 100, orders: [.sequential, .blocked(7)], fused: [false])
    }
  }

  @Test func binary16NearUnderflowAndOverflow() {
    check(Binary16.self, accumulate: Binary16.self, offset: -6, orders: [.sequential, .pairwise])
    check(Binary16.self, accumulate: Binary16.self, offset: 8, orders: [.sequential, .blocked(7)])
  }
  /// Every other format of the binary64 engine with p ≤ 25, accumulated in itself, takes the `Double`
  /// rounded kernel: TF32, FP8 E4M3 (no infinities, overflow to NaN) and E5M2, the saturating MX FP6
  /// and FP4, E4M3 saturating, a format without subnormals, and custom IEEE-style formats up to p = 25;
  /// values near underflow and near overflow included.
  static let binary64EngineFormats: [FloatFormat] = [
    .tf32, .e4m3, .e5m2, .fp6e2m3, .fp6e3m2, .fp4e2m1, FloatFormat.e4m3.saturating(),
    try! FloatFormat(name: "p9-no-subnormals", precision: 9, emin: -20, emax: 20, hasSubnormals: false),
    try! FloatFormat.ieee("ieee:17:40", precision: 17, emax: 40), try! FloatFormat.ieee("ieee:25:127", precision: 25, emax: 127),
  ]
  @Test(arguments: binary64EngineFormats) func binary64EngineFormatRoundedAfterEveryOperation(_ format: FloatFormat) {
    EmulatedFloat.withFormat(format) {
      #expect(FastMatrixMultiply.roundedKernel(EmulatedFloat.self, EmulatedFloat.self, KernelOptions())?.holdsBinary64 == true)
      check(EmulatedFloat.self, accumulate: EmulatedFloat.self, orders: [.sequential, .pairwise, .blocked(7)], fused: [false])
      check(EmulatedFloat.self, accumulate: EmulatedFloat.self, offset: format.emin, orders: [.sequential, .pairwise], fused: [false])
      check(EmulatedFloat.self, accumulate: EmulatedFloat.self, offset: format.emax - 2, orders: [.blocked(7)], fused: [false])
    }
  }
  /// The binary64-engine formats toward zero, +∞ and −∞ (any p, 40 bits included), with and without
  /// infinities and subnormals, saturating or not, near 1 and near both ends of the range.
  @Test(.enabled(if: FastMatrixMultiply.roundedKernelsAvailable, "the rounded kernels need AVX2"),
        arguments: [RoundingMode.towardZero, .towardPositive, .towardNegative])
  func binary64EngineFormatsInDirectedModes(_ mode: RoundingMode) {
    let formats = [FloatFormat.tf32, .e4m3, FloatFormat.e4m3.saturating(), Self.binary64EngineFormats[7],
                   try! FloatFormat.ieee("ieee:40:127", precision: 40, emax: 127)]
    for format in formats {
      EmulatedFloat.withFormat(format) {
        RoundingEnvironment.with(mode) {
          guard case .roundedInBinary64Directed(_, let m)? = FastMatrixMultiply.roundedKernel(EmulatedFloat.self, EmulatedFloat.self, KernelOptions()) else {
            Issue.record("\(format.name) in \(mode) does not take the directed kernel")
            return
          }
          #expect(m == Int32(mode.rawValue))
          check(EmulatedFloat.self, accumulate: EmulatedFloat.self, orders: [.sequential, .pairwise], fused: [false])
          check(EmulatedFloat.self, accumulate: EmulatedFloat.self, offset: format.emin, orders: [.sequential], fused: [false])
          check(EmulatedFloat.self, accumulate: EmulatedFloat.self, offset: format.emax - 2, orders: [.sequential], fused: [false])
        }
      }
    }
  }

  /// Rounding to odd after every operation (the odd kernel: binary64 arithmetic with each sum's TwoSum
  /// error, then the odd neighbour on the format's grid) against the emulated loop to odd: the formats
  /// with p ≤ 26, subnormals and infinities, near 1 and near both ends of the range (subnormal results,
  /// sums past the largest finite value); the others keep the generic loop.
  @Test(.enabled(if: FastMatrixMultiply.roundedKernelsAvailable, "the rounded kernels need AVX2"))
  func roundingToOddAfterEveryOperation() {
    RoundingEnvironment.with(.odd) {
      for type in [Binary16.self, BFloat16.self] as [any PrecisionScalar.Type] {
        guard case .roundedInBinary64Odd? = FastMatrixMultiply.roundedKernel(type, type, KernelOptions()) else {
          Issue.record("\(type.format.name) to odd does not take the odd kernel")
          continue
        }
      }
      check(Binary16.self, accumulate: Binary16.self, orders: [.sequential, .pairwise, .blocked(7)], fused: [false])
      check(Binary16.self, accumulate: Binary16.self, offset: -14, orders: [.sequential, .pairwise], fused: [false])
      check(Binary16.self, accumulate: Binary16.self, offset: 8, orders: [.sequential], fused: [false])
      check(BFloat16.self, accumulate: BFloat16.self, orders: [.sequential, .pairwise, .blocked(7)], fused: [false])
      check(BFloat16.self, accumulate: BFloat16.self, offset: -125, orders: [.sequential], fused: [false])
      check(BFloat16.self, accumulate: BFloat16.self, offset: 120, orders: [.sequential], fused: [false])
      let taken = [FloatFormat.tf32, .e5m2, .binary32, try! FloatFormat.ieee("ieee:26:127", precision: 26, emax: 127)]
      for format in taken {
        EmulatedFloat.withFormat(format) {
          guard case .roundedInBinary64Odd? = FastMatrixMultiply.roundedKernel(EmulatedFloat.self, EmulatedFloat.self, KernelOptions()) else {
            Issue.record("\(format.name) to odd does not take the odd kernel")
            return
          }
          check(EmulatedFloat.self, accumulate: EmulatedFloat.self, orders: [.sequential, .blocked(7)], fused: [false], shapes: Self.fewShapes)
          check(EmulatedFloat.self, accumulate: EmulatedFloat.self, offset: format.emin, orders: [.sequential], fused: [false], shapes: Self.fewShapes)
          check(EmulatedFloat.self, accumulate: EmulatedFloat.self, offset: format.emax - 2, orders: [.sequential], fused: [false], shapes: Self.fewShapes)
        }
      }
      let left = [FloatFormat.e4m3, .fp4e2m1, Self.binary64EngineFormats[7], try! FloatFormat.ieee("ieee:27:127", precision: 27, emax: 127)]
      for format in left {
        EmulatedFloat.withFormat(format) {
          #expect(FastMatrixMultiply.roundedKernel(EmulatedFloat.self, EmulatedFloat.self, KernelOptions()) == nil, "\(format.name)")
        }
      }
    }
  }

  /// binary32 and binary64 themselves toward zero, +∞ and −∞ (`fp32` as EmulatedFloat, `fp64` as
  /// MPFRFloat, as `--rounding` runs them) take the `Float`/`Double` kernels with the rounding control
  /// set: every order they have, fused or not, near 1 and near both ends of the range (subnormal
  /// products and sums, overflow), bit for bit the emulated types' loop in the mode.
  @Test(arguments: [RoundingMode.towardZero, .towardPositive, .towardNegative])
  func binary32AndBinary64InDirectedModes(_ mode: RoundingMode) {
    let orders: [KernelOptions.SummationOrder] = [.sequential, .pairwise, .blocked(7), .split(3), .lanes(8), .kahan, .neumaier]
    EmulatedFloat.withFormat(.binary32) {
      RoundingEnvironment.with(mode) {
        guard case .binary32Directed(let m)? = FastMatrixMultiply.roundedKernel(EmulatedFloat.self, EmulatedFloat.self, KernelOptions(fused: true)) else {
          Issue.record("binary32 in \(mode) does not take the hardware kernel in the mode")
          return
        }
        #expect(m == Int32(mode.rawValue))
        check(EmulatedFloat.self, accumulate: EmulatedFloat.self, orders: orders, biasFirst: [true], shapes: Self.fewShapes)
        check(EmulatedFloat.self, accumulate: EmulatedFloat.self, offset: -126, orders: [.sequential, .pairwise], biasFirst: [], shapes: Self.fewShapes)
        check(EmulatedFloat.self, accumulate: EmulatedFloat.self, offset: 125, orders: [.blocked(7)], biasFirst: [false], shapes: Self.fewShapes)
      }
    }
    MPFRFloat.withFormat(.binary64) {
      RoundingEnvironment.with(mode) {
        guard case .binary64Directed(let m)? = FastMatrixMultiply.roundedKernel(MPFRFloat.self, MPFRFloat.self, KernelOptions()) else {
          Issue.record("binary64 in \(mode) does not take the hardware kernel in the mode")
          return
        }
        #expect(m == Int32(mode.rawValue))
        check(MPFRFloat.self, accumulate: MPFRFloat.self, orders: [.sequential, .lanes(8)], biasFirst: [true], shapes: Self.fewShapes)
        check(MPFRFloat.self, accumulate: MPFRFloat.self, orders: [.kahan], fused: [false], biasFirst: [], shapes: Self.fewShapes)
        check(MPFRFloat.self, accumulate: MPFRFloat.self, offset: -1022, orders: [.sequential], biasFirst: [], shapes: Self.fewShapes)
        check(MPFRFloat.self, accumulate: MPFRFloat.self, offset: 1021, orders: [.blocked(7)], fused: [false], biasFirst: [], shapes: Self.fewShapes)
      }
    }
    // Not in the nearest modes, nor for the tensor-core order or BLAS, nor for another format.
    EmulatedFloat.withFormat(.binary32) {
      #expect(FastMatrixMultiply.hardwareDirectedKernel(EmulatedFloat.self, EmulatedFloat.self, KernelOptions()) == nil)
      RoundingEnvironment.with(mode) {
        #expect(FastMatrixMultiply.hardwareDirectedKernel(EmulatedFloat.self, EmulatedFloat.self, KernelOptions(order: .blas)) == nil)
      }
    }
    EmulatedFloat.withFormat(.tf32) {
      RoundingEnvironment.with(mode) {
        #expect(FastMatrixMultiply.hardwareDirectedKernel(EmulatedFloat.self, EmulatedFloat.self, KernelOptions()) == nil)
      }
    }
  }

  /// Hardware binary32 and binary64 keep their own kernels (binary32 is also a format of the engine).
  @Test func hardwareFormatsTakeTheirOwnKernels() {
    #expect(FastMatrixMultiply.roundedKernel(Float.self, Float.self, KernelOptions()) == nil)
    #expect(FastMatrixMultiply.roundedKernel(Double.self, Double.self, KernelOptions()) == nil)
  }
  /// p = 26 is beyond the kernel's double-rounding bound: the generic loop computes it.
  @Test func precision26TakesTheGenericLoop() {
    EmulatedFloat.withFormat(try! FloatFormat.ieee("ieee:26:100", precision: 26, emax: 100)) {
      #expect(FastMatrixMultiply.roundedKernel(EmulatedFloat.self, EmulatedFloat.self, KernelOptions()) == nil)
    }
  }
  /// Each code path a CPU may take (AVX-512 where this one has it, AVX2, the portable C loop), asked for
  /// per call: the same packed operand, every order; the rounded kernels too (binary16, bfloat16, and
  /// binary64-engine formats with and without infinities and subnormals), near underflow and overflow.
  @Test(arguments: FastMatrixMultiply.Path.allCases) func everyCodePathEqualsTheGenericLoop(_ path: FastMatrixMultiply.Path) {
    check(Float.self, accumulate: Float.self, path: path)
    check(Double.self, accumulate: Double.self, path: path)
    check(Binary16.self, accumulate: Float.self, path: path)
    check(Binary16.self, accumulate: Binary16.self, orders: [.sequential, .pairwise, .blocked(7)], fused: [false], path: path)
    check(BFloat16.self, accumulate: BFloat16.self, orders: [.sequential, .pairwise, .blocked(7)], fused: [false], path: path)
    check(BFloat16.self, accumulate: BFloat16.self, offset: -50, orders: [.sequential], fused: [false], path: path)
    check(Binary16.self, accumulate: Binary16.self, offset: 8, orders: [.blocked(7)], fused: [false], path: path)
    for format in [FloatFormat.tf32, .e4m3, try! FloatFormat(name: "p9-no-subnormals", precision: 9, emin: -20, emax: 20, hasSubnormals: false)] {
      EmulatedFloat.withFormat(format) {
        check(EmulatedFloat.self, accumulate: EmulatedFloat.self, orders: [.sequential, .pairwise], fused: [false], path: path)
        check(EmulatedFloat.self, accumulate: EmulatedFloat.self, offset: format.emin, orders: [.sequential], fused: [false], path: path)
        check(EmulatedFloat.self, accumulate: EmulatedFloat.self, offset: format.emax - 2, orders: [.blocked(7)], fused: [false], path: path)
      }
    }
  }
  /// `MatrixMultiply.times` (B given as `[k, n]`, packed by rows: a Linear layer's backward) against the
  /// same generic loop: every kernel (and the generic loop itself, at p = 26), every order.
  @Test func untransposedOperandEqualsTheGenericLoop() throws {
    let orders: [KernelOptions.SummationOrder] = [.sequential, .pairwise, .blocked(7)]
    check(Float.self, accumulate: Float.self, orders: orders, plain: true)
    check(Double.self, accumulate: Double.self, orders: orders, plain: true)
    check(Binary16.self, accumulate: Float.self, orders: orders, plain: true)
    check(BFloat16.self, accumulate: BFloat16.self, orders: [.sequential, .pairwise], fused: [false], plain: true)
    EmulatedFloat.withFormat(.tf32) {
      check(EmulatedFloat.self, accumulate: EmulatedFloat.self, orders: [.sequential, .blocked(7)], fused: [false], plain: true)
    }
    EmulatedFloat.withFormat(try FloatFormat.ieee("ieee:26:100", precision: 26, emax: 100)) {
      check(EmulatedFloat.self, accumulate: EmulatedFloat.self, orders: [.sequential], fused: [false], plain: true)
    }
  }
  @Test func instructionSetIsReported() {
    #expect(["avx512f", "avx2+fma", "portable C"].contains(FastMatrixMultiply.instructionSet))
  }
}
