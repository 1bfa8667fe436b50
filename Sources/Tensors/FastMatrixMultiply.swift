import CKernels
import Dispatch
import Scalars

/// The binary32/binary64 fast path of `MatrixMultiply.timesTransposed`: SIMD and register blocking in
/// C (`CKernels`: AVX2 where the CPU has it, portable C otherwise), bit-identical to the generic
/// sequential loop because every output still accumulates its products in k order, one rounding per
/// product and per addition (or one per fused step), from +0, with the bias added last. Vectors run
/// across outputs, never across k, so neither the blocking nor the thread count changes a result.
///
/// Also binary16 and bfloat16 accumulated in themselves (unfused, nearest even): each product and sum
/// rounded to the format in SIMD, exactly as the emulated types' loop rounds them.
///
/// Used when the summation order is sequential and the accumulation type is `Float` or `Double`; a
/// storage format within binary64 is converted into it exactly first, and each result is rounded into
/// the storage format once afterwards, row by row as the generic path does (so stochastic rounding
/// draws the same bits).
public enum FastMatrixMultiply {
  /// Which code path the kernels take on this CPU: "avx2+fma" or "portable C".
  public static var instructionSet: String { pl_gemm_isa() == 2 ? "avx2+fma" : "portable C" }

  /// Rows per task when the work is split across threads: a multiple of the kernels' row blocks (6
  /// rows for binary32/64, 4 for the rounded kernel).
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

  /// The rounded-arithmetic kernel's format code for `S` accumulated in itself, when it applies:
  /// binary16 or bfloat16 storage and accumulation (any type of that format), sequential and unfused,
  /// rounding to nearest even.
  @inlinable
  static func roundedFormat<S: PrecisionScalar, Acc: PrecisionScalar>(_: S.Type, _: Acc.Type, _ options: KernelOptions) -> Int32? {
    guard case .sequential = options.order, !options.fused, S.self == Acc.self, roundedKernelsAvailable,
      RoundingEnvironment.isNearestEven
    else { return nil }
    let constants = S.format.small
    if constants == FloatFormat.binary16.small { return 0 }
    if constants == FloatFormat.bfloat16.small { return 1 }
    return nil
  }

  /// binary16 or bfloat16 arithmetic rounded after every operation, in SIMD (see `pl_gemm_round`).
  @inlinable
  static func roundedTimesTransposed<S: PrecisionScalar>(_ a: Tensor<S>, _ b: Tensor<S>, bias: Tensor<S>?, format: Int32, threads: Int) -> Tensor<S> {
    let (m, k, n) = (a.shape[0], a.shape[1], b.shape[0])
    let toFloat = { (x: S) in Float(x.doubleValue) }
    let result = product(
      a.storage.map(toFloat), transposed(b, toFloat), bias?.storage.map(toFloat), zero: 0, m: m, n: n, k: k, threads: threads
    ) { begin, end, a, bt, bias, c in
      _ = pl_gemm_round(format, begin, end, n, k, a, bt, bias, c)
    }
    // Each result is a value of the format held in binary32, so converting it back is exact.
    return Tensor(shape: [m, n], storage: result.map { S(Double($0)) })
  }

  /// `b [n, k]` as `[k, n]`, each element converted, in 16 x 16 tiles (both sides stay in cache), so
  /// that each step of k reads a contiguous run of the outputs' weights.
  @inlinable
  static func transposed<S: PrecisionScalar, U>(_ b: Tensor<S>, _ convert: (S) -> U) -> [U] {
    let (n, k) = (b.shape[0], b.shape[1])
    guard n > 0 && k > 0 else { return [] }
    let first = convert(b.storage[0])
    var bt = [U](repeating: first, count: k * n)
    b.storage.withUnsafeBufferPointer { bp in
      bt.withUnsafeMutableBufferPointer { tp in
        for j0 in stride(from: 0, to: n, by: 16) {
          for p0 in stride(from: 0, to: k, by: 16) {
            for j in j0..<min(j0 + 16, n) {
              for p in p0..<min(p0 + 16, k) { tp[p * n + j] = convert(bp[j * k + p]) }
            }
          }
        }
      }
    }
    return bt
  }

  /// The `[m, n]` result of `kernel(rowBegin, rowEnd, a, bt, bias, c)` run over row blocks on up to
  /// `threads` threads, with every buffer pinned for the duration.
  @inlinable
  static func product<U>(
    _ a: [U], _ bt: [U], _ bias: [U]?, zero: U, m: Int, n: Int, k: Int, threads: Int,
    kernel: (Int, Int, UnsafePointer<U>, UnsafePointer<U>, UnsafePointer<U>?, UnsafeMutablePointer<U>) -> Void
  ) -> [U] {
    var result = [U](repeating: zero, count: m * n)
    guard m > 0 && n > 0 else { return result }
    let placeholder: [U] = [zero]  // a valid address for empty operands (k = 0)
    (a.isEmpty ? placeholder : a).withUnsafeBufferPointer { ap in
      (bt.isEmpty ? placeholder : bt).withUnsafeBufferPointer { tp in
        (bias ?? placeholder).withUnsafeBufferPointer { bp in
          result.withUnsafeMutableBufferPointer { rp in
            nonisolated(unsafe) let (ap, tp, bp, rp) = (ap.baseAddress!, tp.baseAddress!, bias == nil ? nil : bp.baseAddress!, rp.baseAddress!)
            forEachRowBlock(m, threads: threads) { begin, end in kernel(begin, end, ap, tp, bp, rp) }
          }
        }
      }
    }
    return result
  }

  /// `a [m, k]` times `b [n, k]` transposed plus `bias`, in `Acc` (`Float` or `Double`) by
  /// `pl_gemm_f32` / `pl_gemm_f64`: `b` is packed into panels of 16 or 8 outputs (`pl_pack_*`), then
  /// computed in blocks of `rowBlock` rows. With several threads and several panels, the threads claim
  /// panels one at a time and pack and compute each (one parallel region, no packing pass to wait
  /// for); with one panel (n ≤ 16 or 8) they claim row blocks instead. Every output is the same
  /// sequence of operations either way.
  @inlinable
  static func packedProduct<Acc: PrecisionScalar>(
    _ a: [Acc], _ b: [Acc], _ bias: [Acc]?, m: Int, n: Int, k: Int, fused: Bool, threads: Int
  ) -> [Acc] {
    guard m > 0 && n > 0 else { return [] }
    let isFloat = Acc.self == Float.self
    let width = Int(isFloat ? PL_NR_F32 : PL_NR_F64)
    let panels = (n + width - 1) / width
    let packedB = UnsafeMutablePointer<Acc>.allocate(capacity: max(panels * width * k, 1))
    defer { packedB.deallocate() }
    let placeholder: [Acc] = [Acc(0)]  // a valid address for empty operands (k = 0)
    return [Acc](unsafeUninitializedCapacity: m * n) { out, initialized in
      // The kernels write every output; debug builds (the tests) start from NaN so that a skipped one
      // cannot pass for a result left in reused memory.
      #if DEBUG
      out.initialize(repeating: Acc(Double.nan))
      #endif
      (a.isEmpty ? placeholder : a).withUnsafeBufferPointer { ap in
        (b.isEmpty ? placeholder : b).withUnsafeBufferPointer { bp in
          (bias ?? placeholder).withUnsafeBufferPointer { biasp in
            nonisolated(unsafe) let (ap, bp, pp, cp) = (ap.baseAddress!, bp.baseAddress!, packedB, out.baseAddress!)
            nonisolated(unsafe) let biasPointer = bias == nil ? nil : biasp.baseAddress
            let pack: @Sendable (Int, Int) -> Void = { first, last in
              if isFloat { pl_pack_f32(n, k, Self.cast(bp), Self.cast(pp), first, last) } else { pl_pack_f64(n, k, Self.cast(bp), Self.cast(pp), first, last) }
            }
            let compute: @Sendable (Int, Int, Int, Int) -> Void = { r0, r1, q0, q1 in
              let bias: UnsafePointer<Acc>? = biasPointer
              if isFloat {
                pl_gemm_f32(r0, r1, q0, q1, n, k, Self.cast(ap), Self.cast(UnsafePointer(pp)), bias.map(Self.cast), Self.cast(cp), fused ? 1 : 0)
              } else {
                pl_gemm_f64(r0, r1, q0, q1, n, k, Self.cast(ap), Self.cast(UnsafePointer(pp)), bias.map(Self.cast), Self.cast(cp), fused ? 1 : 0)
              }
            }
            if min(threads, panels) > 1 {
              forEachUnit(panels, threads: threads) { q in
                pack(q, q + 1)
                for r0 in stride(from: 0, to: m, by: rowBlock) { compute(r0, min(r0 + rowBlock, m), q, q + 1) }
              }
            } else {
              pack(0, panels)
              forEachRowBlock(m, threads: threads) { r0, r1 in compute(r0, r1, 0, panels) }
            }
          }
        }
      }
      initialized = m * n
    }
  }

  /// Reinterprets a pointer to `Acc` when `Acc` is known to be `T` (checked by the caller).
  @inlinable
  static func cast<Acc, T>(_ p: UnsafePointer<Acc>) -> UnsafePointer<T> { UnsafeRawPointer(p).assumingMemoryBound(to: T.self) }
  @inlinable
  static func cast<Acc, T>(_ p: UnsafeMutablePointer<Acc>) -> UnsafeMutablePointer<T> {
    UnsafeMutableRawPointer(p).assumingMemoryBound(to: T.self)
  }

  @inlinable
  static func applies<S: PrecisionScalar, Acc: PrecisionScalar>(_: S.Type, _: Acc.Type, _ options: KernelOptions) -> Bool {
    guard case .sequential = options.order else { return false }
    guard Acc.self == Float.self || Acc.self == Double.self else { return false }
    return S.self == Acc.self || ScalarConversion.isExactInBinary64(S.self)
  }

  /// `a [m, k]` times `b [n, k]` transposed, plus `bias [n]`, accumulated in `Acc` (Float or Double).
  @inlinable
  static func timesTransposed<S: PrecisionScalar, Acc: PrecisionScalar>(
    _ a: Tensor<S>, _ b: Tensor<S>, bias: Tensor<S>?, accumulate _: Acc.Type, fused: Bool, threads: Int
  ) -> Tensor<S> {
    let (m, k, n) = (a.shape[0], a.shape[1], b.shape[0])
    func widen(_ values: [S]) -> [Acc] {
      S.self == Acc.self ? unsafeBitCast(values, to: [Acc].self) : values.map { ScalarConversion.convert($0, to: Acc.self) }
    }
    let result = packedProduct(widen(a.storage), widen(b.storage), bias.map { widen($0.storage) }, m: m, n: n, k: k, fused: fused, threads: threads)
    if S.self == Acc.self { return Tensor(shape: [m, n], storage: unsafeBitCast(result, to: [S].self)) }
    var out = [S](repeating: S(0), count: m * n)
    result.withUnsafeBufferPointer { rp in
      out.withUnsafeMutableBufferPointer { op in
        nonisolated(unsafe) let (rp, op) = (rp, op)
        forEachRow(m, threads: threads) { i in
          for j in 0..<n { op[i * n + j] = ScalarConversion.convert(rp[i * n + j], to: S.self) }
        }
      }
    }
    return Tensor(shape: [m, n], storage: out)
  }
}
