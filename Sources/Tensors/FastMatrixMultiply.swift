import CKernels
import Dispatch
import Scalars

/// The SIMD paths of the matrix products (`MatrixMultiply`) and convolutions (`Convolution`): register
/// blocking in C (`CKernels`: AVX-512 or AVX2 where the CPU has it, portable C otherwise), bit-identical to the
/// generic loop because every output is still one sum in the order `KernelOptions` names (sequential,
/// pairwise or blocked), one rounding per product and per addition (or one per fused step), from +0,
/// with the bias added last. Vectors run across outputs, never across the sum, so neither the blocking
/// nor the thread count changes a result.
///
/// Two kernels: `Float` or `Double` accumulation (storage within binary64 is converted into it
/// exactly first, and each result rounded into the storage format once afterwards, row by row as the
/// generic path does, so stochastic rounding draws the same bits), and binary16 or bfloat16 accumulated
/// in themselves, unfused, at nearest even (each product and sum rounded to the format in SIMD).
public enum FastMatrixMultiply {
  /// Which code path the kernels take on this CPU: "avx512f" (every kernel; the AVX2 ones remain for
  /// tests), "avx2+fma" or "portable C".
  public static var instructionSet: String {
    switch pl_gemm_isa() {
    case 3: return "avx512f"
    case 2: return "avx2+fma"
    default: return "portable C"
    }
  }

  /// Which code path the kernels may take: every path computes the same bits, so only the tests and
  /// benchmarks choose (`best` where they do not). The rounded kernels have AVX-512 and AVX2 paths only
  /// (`portable` takes AVX2 there).
  public enum Path: Sendable, CaseIterable {
    /// The best the CPU has.
    case best
    /// AVX2 at most (what CPUs without AVX-512 run).
    case avx2
    /// The portable C loop (what CPUs without AVX2 run).
    case portable

    @usableFromInline var c: Int32 {
      switch self {
      case .best: return Int32(PL_PATH_BEST)
      case .avx2: return Int32(PL_PATH_AVX2)
      case .portable: return Int32(PL_PATH_PORTABLE)
      }
    }
  }

  /// Rows per task when the work is split across threads by rows: a multiple of the kernels' row
  /// blocks (12 rows with AVX-512, 6 with AVX2, 4 and 2 for pairwise, 8 and 4 for the rounded kernels).
  @usableFromInline static let rowBlock = 24

  /// Runs `body(unit)` for every unit in `0..<units` on up to `threads` threads, each thread claiming
  /// the next unit when it is free (an atomic counter): the calling thread starts at once and a worker
  /// that wakes late (~0.1–0.2 ms here) takes only what is left, so short products still gain from a
  /// second thread. Which thread computes a unit never changes what it computes.
  @inlinable
  static func forEachUnit(_ units: Int, threads: Int, _ body: (Int) -> Void) {
    let workers = min(threads, units)
    guard workers > 1 else {
      for unit in 0..<units { body(unit) }
      return
    }
    let next = UnsafeMutablePointer<Int>.allocate(capacity: 1)
    next.initialize(to: 0)
    defer { next.deallocate() }
    withoutActuallyEscaping(body) { body in
      nonisolated(unsafe) let (body, next) = (body, next)
      DispatchQueue.concurrentPerform(iterations: workers) { _ in
        while case let unit = pl_claim(next), unit < units { body(unit) }
      }
    }
  }

  /// Runs `body(begin, end)` over blocks of `rowBlock` rows on up to `threads` threads. The kernels
  /// use hardware arithmetic only: there is no rounding environment to carry and no stream to consume.
  @inlinable
  static func forEachRowBlock(_ m: Int, threads: Int, rowBlock: Int = rowBlock, _ body: (Int, Int) -> Void) {
    forEachUnit((m + rowBlock - 1) / rowBlock, threads: threads) { block in body(block * rowBlock, min(m, (block + 1) * rowBlock)) }
  }

  /// Whether the rounded binary16/bfloat16 kernels run on this CPU (AVX2 and F16C).
  @usableFromInline static let roundedKernelsAvailable = pl_gemm_round_available() != 0

  /// One of the C kernels: `Float` or `Double` arithmetic, binary16/bfloat16 rounded in `Float`, or a
  /// binary64-engine format (p ≤ 25) rounded in `Double`.
  @usableFromInline enum Kernel: Sendable {
    case binary32, binary64
    case rounded(format: Int32)
    /// binary16 (0) or bfloat16 (1) in `Float`, rounded toward zero (2), +∞ (3) or −∞ (4).
    case roundedDirected(format: Int32, mode: Int32)
    case roundedInBinary64(SmallFormat)
    /// A binary64-engine format (p ≤ 51) in `Double`, rounded toward zero (2), +∞ (3) or −∞ (4).
    case roundedInBinary64Directed(SmallFormat, mode: Int32)
    /// A binary64-engine format with p ≤ 26, subnormals and infinities in `Double`, rounded to odd
    /// (`SmallFormat.odd`).
    case roundedInBinary64Odd(SmallFormat)
    /// binary32 or binary64 itself (the `Float`/`Double` kernels) with the rounding control set to toward
    /// zero (2), +∞ (3) or −∞ (4): a format that is exactly binary32 or binary64, computed in a directed mode.
    case binary32Directed(mode: Int32), binary64Directed(mode: Int32)

    /// Whether the kernel's operands and results are `Double` (else `Float`).
    @usableFromInline var holdsBinary64: Bool {
      switch self {
      case .binary64, .roundedInBinary64, .roundedInBinary64Directed, .roundedInBinary64Odd, .binary64Directed: return true
      case .binary32, .rounded, .roundedDirected, .binary32Directed: return false
      }
    }

    /// Outputs per packed panel.
    @usableFromInline var width: Int { holdsBinary64 ? Int(PL_NR_F64) : Int(PL_NR_F32) }

    /// The `Float`/`Double` kernel for accumulator `Acc`.
    @inlinable static func accumulating<Acc>(_: Acc.Type) -> Kernel { Acc.self == Float.self ? .binary32 : .binary64 }
  }

  /// A binary64-engine format as the C kernel reads it (`pl_small_format`).
  @usableFromInline struct SmallFormat: @unchecked Sendable {
    @usableFromInline var c: pl_small_format

    /// The format's rounding in `mode` (nearest even, or a directed mode), or nil when the kernel cannot
    /// compute it exactly (p > 25 to nearest even, or a format the binary64 engine does not hold). The
    /// overflow values are the mode's.
    @usableFromInline init?(_ f: SmallFormatConstants, mode: RoundingMode = .nearestEven) {
      guard f.isUsable && (f.fastNearest || mode != .nearestEven) else { return nil }
      let overflow = { (negative: Bool) in
        SmallFormatArithmetic.overflowed(negative: negative, mode: mode, maxFinite: f.maxFinite, f.overflow)
      }
      c = pl_small_format(
        min_normal: f.minNormal, max_finite: f.maxFinite, subnormal_adder: f.subnormalAdder,
        overflow_positive: overflow(false), overflow_negative: overflow(true), half_minus_one: f.halfMinusOne,
        keep_mask: f.keepMask, shift: f.shift, has_subnormals: f.hasSubnormals ? 1 : 0, has_infinities: f.hasInfinities ? 1 : 0)
    }

    /// The format's rounding to odd, when the odd kernel computes it exactly: 2 ≤ p ≤ 26 (products exact
    /// in binary64), subnormals, infinities and IEEE overflow (the conditions `pl_gemm_round_f64_odd`
    /// checks); else nil.
    @usableFromInline static func odd(_ f: SmallFormatConstants) -> SmallFormat? {
      guard f.isUsable, f.precision <= 26, f.hasSubnormals, f.hasInfinities, f.overflow == .infinity else { return nil }
      return SmallFormat(f, mode: .odd)
    }
  }

  /// The C description of a summation order for sums of `k` products (not `blas`, which the caller
  /// routes to `BLAS`, nor `lanes`, which has no fast kernel).
  @inlinable
  static func order(_ options: KernelOptions, k: Int, path: Path = .best) -> pl_order {
    let fused: Int32 = options.fused ? 1 : 0
    let first: Int32 = options.biasFirst ? 1 : 0
    func make(_ kind: Int32, _ block: Int, fused: Int32, window: Int32 = 0, towardZero: Int32 = 0, productsFirst: Int32 = 0) -> pl_order {
      pl_order(
        kind: kind, block: block, fused: fused, bias_first: first, path: path.c, window: window, toward_zero: towardZero,
        products_first: productsFirst, a_low: 0, a_high: 0)
    }
    switch options.order {
    case .pairwise: return make(1, 0, fused: 0)
    case .blocked, .split: return make(2, max(options.order.blockSize(count: k)!, 1), fused: fused)
    case .sequential, .blas: return make(0, 0, fused: fused)
    case .tensorCore(let model):
      return make(
        3, model.terms, fused: 0, window: Int32(model.window), towardZero: model.towardZero ? 1 : 0,
        productsFirst: model.alignment == .productsFirst ? 1 : 0)
    case .lanes(let lanes): return make(4, lanes, fused: fused)
    case .kahan: return make(5, 0, fused: 0)
    case .neumaier: return make(6, 0, fused: 0)
    }
  }

  /// `C [m, n]` (row stride `ldc`) = `A [m, k]` (row stride `lda`) times `B`, whose panels `pack(first,
  /// last, into)` writes (panel `first` at `into`), plus `bias` per column or `biasRows` per row, in the
  /// accumulator `Acc` of `kernel`.
  ///
  /// With several panels the threads claim one panel at a time, pack it into a buffer of their own and
  /// compute every row with it, so the packed operand (the patch matrix of a convolution) never exists
  /// whole; with one panel they pack it once and claim blocks of rows. Every output is the same sequence
  /// of operations either way. (Cutting long sums into passes that keep a slice of the panel in the L1
  /// cache was measured slower here: 46 against 74 GFLOP/s for 256×784×256.)
  @inlinable
  static func product<Acc>(
    _ kernel: Kernel, m: Int, n: Int, k: Int, a: UnsafePointer<Acc>, lda: Int, bias: UnsafePointer<Acc>?,
    biasRows: UnsafePointer<Acc>?, c: UnsafeMutablePointer<Acc>, ldc: Int, order: pl_order, threads: Int,
    pack: (Int, Int, UnsafeMutablePointer<Acc>) -> Void
  ) {
    guard m > 0 && n > 0 else { return }
    var prepared = order
    if case .binary32 = kernel, order.kind == 3 {
      // The tensor-core kernel's check of A's values, once rather than once per panel.
      pl_tc_prepare(&prepared, m, k, cast(a), lda)
    }
    let order = prepared
    let width = kernel.width
    let panels = (n + width - 1) / width
    nonisolated(unsafe) let (a, c, bias, biasRows) = (a, c, bias, biasRows)
    /// Rows [r0, r1) of panels [q0, q1), packed at `packed` (panel q0 first).
    @Sendable func compute(_ r0: Int, _ r1: Int, _ q0: Int, _ q1: Int, _ packed: UnsafeMutablePointer<Acc>) {
      let bp = UnsafePointer(packed)
      switch kernel {
      case .binary32:
        pl_gemm_f32(r0, r1, q0, q1, n, k, cast(a), lda, cast(bp), bias.map(cast), biasRows.map(cast), cast(c), ldc, order)
      case .binary64:
        pl_gemm_f64(r0, r1, q0, q1, n, k, cast(a), lda, cast(bp), bias.map(cast), biasRows.map(cast), cast(c), ldc, order)
      case .rounded(let format):
        _ = pl_gemm_round(format, r0, r1, q0, q1, n, k, cast(a), lda, cast(bp), bias.map(cast), biasRows.map(cast), cast(c), ldc, order)
      case .roundedDirected(let format, let mode):
        _ = pl_gemm_round_directed(format, mode, r0, r1, q0, q1, n, k, cast(a), lda, cast(bp), bias.map(cast), biasRows.map(cast), cast(c), ldc, order)
      case .roundedInBinary64(var format):
        _ = pl_gemm_round_f64(&format.c, r0, r1, q0, q1, n, k, cast(a), lda, cast(bp), bias.map(cast), biasRows.map(cast), cast(c), ldc, order)
      case .roundedInBinary64Directed(var format, let mode):
        _ = pl_gemm_round_f64_directed(&format.c, mode, r0, r1, q0, q1, n, k, cast(a), lda, cast(bp), bias.map(cast), biasRows.map(cast), cast(c), ldc, order)
      case .roundedInBinary64Odd(var format):
        _ = pl_gemm_round_f64_odd(&format.c, r0, r1, q0, q1, n, k, cast(a), lda, cast(bp), bias.map(cast), biasRows.map(cast), cast(c), ldc, order)
      case .binary32Directed(let mode):
        _ = pl_gemm_f32_directed(mode, r0, r1, q0, q1, n, k, cast(a), lda, cast(bp), bias.map(cast), biasRows.map(cast), cast(c), ldc, order)
      case .binary64Directed(let mode):
        _ = pl_gemm_f64_directed(mode, r0, r1, q0, q1, n, k, cast(a), lda, cast(bp), bias.map(cast), biasRows.map(cast), cast(c), ldc, order)
      }
    }
    withoutActuallyEscaping(pack) { pack in
      nonisolated(unsafe) let pack = pack
      let workers = min(threads, panels)
      if workers > 1 {
        // One buffer per worker, reused for every panel it claims.
        let next = UnsafeMutablePointer<Int>.allocate(capacity: 1)
        next.initialize(to: 0)
        defer { next.deallocate() }
        nonisolated(unsafe) let counter = next
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
          let packed = UnsafeMutablePointer<Acc>.allocate(capacity: max(width * k, 1))
          defer { packed.deallocate() }
          while case let q = pl_claim(counter), q < panels {
            pack(q, q + 1, packed)
            compute(0, m, q, q + 1, packed)
          }
        }
      } else if panels > 1 {
        let packed = UnsafeMutablePointer<Acc>.allocate(capacity: max(width * k, 1))
        defer { packed.deallocate() }
        for q in 0..<panels {
          pack(q, q + 1, packed)
          compute(0, m, q, q + 1, packed)
        }
      } else {
        let packed = UnsafeMutablePointer<Acc>.allocate(capacity: max(width * k, 1))
        defer { packed.deallocate() }
        pack(0, 1, packed)
        nonisolated(unsafe) let shared = packed
        forEachRowBlock(m, threads: threads) { r0, r1 in compute(r0, r1, 0, 1, shared) }
      }
    }
  }

  /// The rounded-arithmetic kernel for `S` accumulated in itself, when one applies: binary16 or bfloat16
  /// (any type of that format) in `Float`, or another binary64-engine format (TF32, FP8, FP6, FP4,
  /// `ieee:P:EMAX`) in `Double` with p ≤ 25 to nearest even, any p in a directed mode, and p ≤ 26 to odd
  /// (binary16 and bfloat16 too; formats with subnormals and infinities, `SmallFormat.odd`); not fused, any
  /// order but `blas`, `lanes`, `tc`, `kahan` and `neumaier`.
  @inlinable
  static func roundedKernel<S: PrecisionScalar, Acc: PrecisionScalar>(_: S.Type, _: Acc.Type, _ options: KernelOptions) -> Kernel? {
    if let kernel = hardwareDirectedKernel(S.self, Acc.self, options) { return kernel }
    switch options.order {
    case .blas, .lanes, .tensorCore, .kahan, .neumaier: return nil
    case .sequential, .pairwise, .blocked, .split: break
    }
    guard !options.fused, S.self == Acc.self, roundedKernelsAvailable else { return nil }
    // Hardware arithmetic (`Float`, `Double`) takes its own kernels, although binary32 is a format of the engine.
    if applies(S.self, Acc.self, options) { return nil }
    let constants = S.format.small
    let half: Int32? = constants == FloatFormat.binary16.small ? 0 : constants == FloatFormat.bfloat16.small ? 1 : nil
    switch RoundingEnvironment.mode {
    case .nearestEven:
      if let half { return .rounded(format: half) }
      return SmallFormat(constants).map { .roundedInBinary64($0) }
    case .towardZero, .towardPositive, .towardNegative:
      let mode = RoundingEnvironment.mode
      if let half { return .roundedDirected(format: half, mode: Int32(mode.rawValue)) }
      return SmallFormat(constants, mode: mode).map { .roundedInBinary64Directed($0, mode: Int32(mode.rawValue)) }
    case .odd:
      return SmallFormat.odd(constants).map { .roundedInBinary64Odd($0) }
    case .nearestAway, .stochastic:
      return nil
    }
  }

  /// The `Float`/`Double` kernel in a directed mode for `S` accumulated in itself, when `S`'s format is
  /// binary32 or binary64 exactly (an emulated type: hardware types take their own kernels) and the mode
  /// is toward zero, +∞ or −∞: fused or not, any order but `blas` and `tc`. Each operation of those kernels
  /// is one IEEE 754 operation, so with the rounding control set it rounds as the emulated type's loop does.
  @inlinable
  static func hardwareDirectedKernel<S: PrecisionScalar, Acc: PrecisionScalar>(_: S.Type, _: Acc.Type, _ options: KernelOptions) -> Kernel? {
    switch options.order {
    case .blas, .tensorCore: return nil
    case .sequential, .pairwise, .blocked, .split, .lanes, .kahan, .neumaier: break
    }
    guard S.self == Acc.self, S.self != Float.self, S.self != Double.self else { return nil }
    let mode: Int32
    switch RoundingEnvironment.mode {
    case .towardZero, .towardPositive, .towardNegative: mode = Int32(RoundingEnvironment.mode.rawValue)
    case .nearestEven, .nearestAway, .odd, .stochastic: return nil
    }
    let format = S.format
    if format.hasArithmetic(of: .binary32) { return .binary32Directed(mode: mode) }
    if format.hasArithmetic(of: .binary64) { return .binary64Directed(mode: mode) }
    return nil
  }

  /// Whether the `Float`/`Double` kernels compute `S` accumulated in `Acc`: `Acc` is `Float` or
  /// `Double`, the storage converts into it exactly, any order but `blas`; `tc` in `Float` only.
  @inlinable
  static func applies<S: PrecisionScalar, Acc: PrecisionScalar>(_: S.Type, _: Acc.Type, _ options: KernelOptions) -> Bool {
    switch options.order {
    case .blas: return false
    case .lanes, .kahan, .neumaier: break
    case .tensorCore:
      // The binary32 kernel's tensor-core orders.
      guard Acc.self == Float.self else { return false }
    case .sequential, .pairwise, .blocked, .split: break
    }
    guard Acc.self == Float.self || Acc.self == Double.self else { return false }
    return S.self == Acc.self || ScalarConversion.isExactInBinary64(S.self)
  }

  /// The elements of `x` in `U` (exactly: `U` holds every value of `S`), or `x` itself when `S` is `U`.
  @inlinable
  static func widened<S: PrecisionScalar, U: PrecisionScalar>(_ x: [S], to _: U.Type) -> [U] {
    if S.self == U.self { return unsafeBitCast(x, to: [U].self) }
    if sharesDoubleStorage(S.self, U.self) { return copied(x, as: U.self) }
    return x.map { U($0.doubleValue) }
  }

  /// Whether `S` and `U` are `Binary64` and `Double` (either way round) and converting one into the
  /// other changes nothing: the same 8 bytes, no rounding, and no stochastic draw (`Binary64(Double)`
  /// draws when rounding stochastically, as the MPFR engine does). The networks run unspecialised for
  /// `Binary64`, so the elementwise conversion around the `Double` kernels cost more than the kernels.
  @inlinable
  static func sharesDoubleStorage<S: PrecisionScalar, U: PrecisionScalar>(_: S.Type, _: U.Type) -> Bool {
    ((S.self == Binary64.self && U.self == Double.self) || (S.self == Double.self && U.self == Binary64.self))
      && RoundingEnvironment.mode != .stochastic
  }

  /// `x`'s bytes as an array of `U` (a type of the same size and layout, see `sharesDoubleStorage`).
  @inlinable
  static func copied<S, U>(_ x: [S], as _: U.Type) -> [U] {
    precondition(MemoryLayout<S>.stride == MemoryLayout<U>.stride)
    return x.withUnsafeBytes { Array($0.bindMemory(to: U.self)) }
  }

  /// `a [m, k]` times B, given as `b [n, k]` (`layout: .transposed`, B's transpose) or `b [k, n]`
  /// (`.plain`), plus `bias`, accumulated in `Acc` (`Float` or `Double`) or, with `rounded`, in the
  /// storage format's own arithmetic by that kernel; the results rounded into `S`. `path` restricts the
  /// kernels' code path (for the tests: every path computes the same bits).
  @inlinable
  static func multiply<S: PrecisionScalar, Acc: PrecisionScalar>(
    _ a: Tensor<S>, _ b: Tensor<S>, layout: Layout = .transposed, bias: Tensor<S>?, accumulate _: Acc.Type, options: KernelOptions,
    rounded: Kernel?, threads: Int, path: Path = .best
  ) -> Tensor<S> {
    if let rounded {
      return rounded.holdsBinary64
        ? multiply(a, b, layout: layout, bias: bias, in: Double.self, kernel: rounded, options: options, threads: threads, path: path)
        : multiply(a, b, layout: layout, bias: bias, in: Float.self, kernel: rounded, options: options, threads: threads, path: path)
    }
    return multiply(
      a, b, layout: layout, bias: bias, in: Acc.self, kernel: .accumulating(Acc.self), options: options, threads: threads, path: path)
  }

  /// How the second operand is given: `[n, k]` (B transposed, as a Linear weight is to the forward) or
  /// `[k, n]` (B itself, as the weight is to the input gradient). Only the packing differs: the sums are
  /// the same.
  public enum Layout: Sendable {
    case transposed
    case plain
  }

  @inlinable
  static func multiply<S: PrecisionScalar, U: PrecisionScalar>(
    _ a: Tensor<S>, _ b: Tensor<S>, layout: Layout = .transposed, bias: Tensor<S>?, in _: U.Type, kernel: Kernel, options: KernelOptions,
    threads: Int, path: Path = .best
  ) -> Tensor<S> {
    let (m, k, n) = (a.shape[0], a.shape[1], layout == .transposed ? b.shape[0] : b.shape[1])
    let wa = widened(a.storage, to: U.self), wb = widened(b.storage, to: U.self), wbias = bias.map { widened($0.storage, to: U.self) }
    let order = Self.order(options, k: k, path: path)
    let result = [U](unsafeUninitializedCapacity: m * n) { out, initialized in
      // The kernels write every output; debug builds (the tests) start from NaN so that a skipped one
      // cannot pass for a result left in reused memory.
      #if DEBUG
      out.initialize(repeating: U(Double.nan))
      #endif
      let placeholder: [U] = [U(0)]  // a valid address for empty operands (k = 0)
      (wa.isEmpty ? placeholder : wa).withUnsafeBufferPointer { ap in
        (wb.isEmpty ? placeholder : wb).withUnsafeBufferPointer { bp in
          (wbias ?? placeholder).withUnsafeBufferPointer { biasp in
            nonisolated(unsafe) let source = bp.baseAddress!
            product(
              kernel, m: m, n: n, k: k, a: ap.baseAddress!, lda: k, bias: wbias == nil ? nil : biasp.baseAddress, biasRows: nil,
              c: out.baseAddress!, ldc: n, order: order, threads: threads
            ) { first, last, into in
              switch (kernel.holdsBinary64, layout) {
              case (true, .transposed): pl_pack_f64(n, k, cast(source), cast(into), first, last, 0, k)
              case (true, .plain): pl_pack_rows_f64(n, k, cast(source), cast(into), first, last, 0, k)
              case (false, .transposed): pl_pack_f32(n, k, cast(source), cast(into), first, last, 0, k)
              case (false, .plain): pl_pack_rows_f32(n, k, cast(source), cast(into), first, last, 0, k)
              }
            }
          }
        }
      }
      initialized = m * n
    }
    return Tensor(shape: [m, n], storage: narrowed(result, rows: m, columns: n, threads: threads))
  }

  /// Results in `U` rounded into `S` (once each), row by row on up to `threads` threads as the generic
  /// path rounds them (so stochastic rounding draws the same bits), or as they are when `S` is `U`.
  @inlinable
  static func narrowed<S: PrecisionScalar, U: PrecisionScalar>(_ values: [U], rows m: Int, columns n: Int, threads: Int) -> [S] {
    if S.self == U.self { return unsafeBitCast(values, to: [S].self) }
    if sharesDoubleStorage(U.self, S.self) { return copied(values, as: S.self) }
    var out = [S](repeating: S(0), count: m * n)
    values.withUnsafeBufferPointer { rp in
      out.withUnsafeMutableBufferPointer { op in
        nonisolated(unsafe) let (rp, op) = (rp, op)
        forEachRow(m, threads: threads) { i in
          for j in 0..<n { op[i * n + j] = ScalarConversion.convert(rp[i * n + j], to: S.self) }
        }
      }
    }
    return out
  }

  /// Reinterprets a pointer when its element type is known to be `T` (checked by the caller).
  @inlinable
  static func cast<U, T>(_ p: UnsafePointer<U>) -> UnsafePointer<T> { UnsafeRawPointer(p).assumingMemoryBound(to: T.self) }
  @inlinable
  static func cast<U, T>(_ p: UnsafeMutablePointer<U>) -> UnsafeMutablePointer<T> {
    UnsafeMutableRawPointer(p).assumingMemoryBound(to: T.self)
  }
}
