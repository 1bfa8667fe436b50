import Scalars

/// The matrix product every dense layer uses: `C[i, j] = round_S(Σ_k A[i, k] · B[j, k] + bias[j])`,
/// with `B` given row-major as `[N, K]` (so both operands are read contiguously, as a Linear layer's
/// `[out, in]` weight is), the sum accumulated in `Acc` per `options` and the bias added in `Acc`
/// after the products, then rounded once into the storage format `S`.
///
/// Sums accumulated in `Float` or `Double`, and binary16/bfloat16 accumulated in themselves at
/// nearest even, take `FastMatrixMultiply` (SIMD, blocked, the same bits) in every order but `blas`;
/// the `blas` order takes `BLAS` (the library's own order); everything else the generic loop below.
///
/// Rows of `C` are computed independently (one thread each, up to `threads`), each by the same
/// sequence of operations, so the result does not depend on the thread count.
public enum MatrixMultiply {
  /// `a [m, k]` times `b [n, k]` transposed, plus `bias [n]`, accumulated as `plan` says (the operands
  /// rounded first when the plan rounds operands; the bias never).
  @inlinable
  public static func timesTransposed<S: PrecisionScalar>(_ a: Tensor<S>, _ b: Tensor<S>, bias: Tensor<S>? = nil, plan: KernelPlan) -> Tensor<S> {
    plan.checkAccumulation(storage: S.self)
    let (a, b) = (plan.operand(a, along: 1), plan.operand(b, along: 1))  // both [·, k]
    switch plan.accumulation {
    case .same: return timesTransposed(a, b, bias: bias, accumulate: S.self, options: plan.options, threads: plan.threads)
    case .binary32: return timesTransposed(a, b, bias: bias, accumulate: Float.self, options: plan.options, threads: plan.threads)
    case .binary64: return timesTransposed(a, b, bias: bias, accumulate: Double.self, options: plan.options, threads: plan.threads)
    }
  }

  /// `a [m, k]` times `b [k, n]`: exactly `timesTransposed(a, b.transposed(), plan: plan)` (the same sums
  /// in the same order), without forming `bᵀ` on the fast paths (a Linear layer's input gradient
  /// `dY · W`, and its weight gradient `dYᵀ · X`).
  @inlinable
  public static func times<S: PrecisionScalar>(_ a: Tensor<S>, _ b: Tensor<S>, plan: KernelPlan) -> Tensor<S> {
    plan.checkAccumulation(storage: S.self)
    let (a, b) = (plan.operand(a, along: 1), plan.operand(b, along: 0))  // [m, k] and [k, n]
    switch plan.accumulation {
    case .same: return times(a, b, accumulate: S.self, options: plan.options, threads: plan.threads)
    case .binary32: return times(a, b, accumulate: Float.self, options: plan.options, threads: plan.threads)
    case .binary64: return times(a, b, accumulate: Double.self, options: plan.options, threads: plan.threads)
    }
  }

  @inlinable
  public static func times<S: PrecisionScalar, Acc: PrecisionScalar>(
    _ a: Tensor<S>, _ b: Tensor<S>, accumulate _: Acc.Type, options: KernelOptions = KernelOptions(), threads: Int = 1
  ) -> Tensor<S> {
    precondition(a.rank == 2 && b.rank == 2 && a.shape[1] == b.shape[0], "cannot multiply \(a.shape) by \(b.shape)")
    if case .blas = options.order {
      return timesTransposed(a, b.transposed(), accumulate: Acc.self, options: options, threads: threads)
    }
    if let kernel = FastMatrixMultiply.roundedKernel(S.self, Acc.self, options) {
      return FastMatrixMultiply.multiply(
        a, b, layout: .plain, bias: nil, accumulate: Acc.self, options: options, rounded: kernel, threads: threads)
    }
    if FastMatrixMultiply.applies(S.self, Acc.self, options) {
      return FastMatrixMultiply.multiply(
        a, b, layout: .plain, bias: nil, accumulate: Acc.self, options: options, rounded: nil, threads: threads)
    }
    return timesTransposed(a, b.transposed(), accumulate: Acc.self, options: options, threads: threads)
  }

  /// Column sums of a matrix (the bias gradient), accumulated as `plan` says.
  @inlinable
  public static func columnSums<S: PrecisionScalar>(_ x: Tensor<S>, plan: KernelPlan) -> Tensor<S> {
    plan.checkAccumulation(storage: S.self)
    switch plan.accumulation {
    case .same: return columnSums(x, accumulate: S.self, options: plan.options)
    case .binary32: return columnSums(x, accumulate: Float.self, options: plan.options)
    case .binary64: return columnSums(x, accumulate: Double.self, options: plan.options)
    }
  }

  @inlinable
  public static func timesTransposed<S: PrecisionScalar, Acc: PrecisionScalar>(
    _ a: Tensor<S>, _ b: Tensor<S>, bias: Tensor<S>? = nil, accumulate _: Acc.Type,
    options: KernelOptions = KernelOptions(), threads: Int = 1
  ) -> Tensor<S> {
    precondition(a.rank == 2 && b.rank == 2 && a.shape[1] == b.shape[1], "cannot multiply \(a.shape) by \(b.shape)ᵀ")
    let (m, k, n) = (a.shape[0], a.shape[1], b.shape[0])
    if let bias { precondition(bias.shape == [n], "bias shape \(bias.shape) for \(n) outputs") }
    if case .blas = options.order {
      return BLAS.timesTransposed(a, b, bias: bias, accumulate: Acc.self, threads: threads)
    }
    if let kernel = FastMatrixMultiply.roundedKernel(S.self, Acc.self, options) {
      return FastMatrixMultiply.multiply(a, b, bias: bias, accumulate: Acc.self, options: options, rounded: kernel, threads: threads)
    }
    if FastMatrixMultiply.applies(S.self, Acc.self, options) {
      return FastMatrixMultiply.multiply(a, b, bias: bias, accumulate: Acc.self, options: options, rounded: nil, threads: threads)
    }
    let biasInAcc: [Acc]? = bias.map { $0.storage.map { ScalarConversion.convert($0, to: Acc.self) } }
    var out = [S](repeating: S(0), count: m * n)
    a.storage.withUnsafeBufferPointer { ap in
      b.storage.withUnsafeBufferPointer { bp in
        out.withUnsafeMutableBufferPointer { op in
          nonisolated(unsafe) let (ap, bp, op) = (ap, bp, op)
          forEachRow(m, threads: threads) { i in
            for j in 0..<n {
              let acc: Acc = DotProduct.sum(
                ap.baseAddress! + i * k, 1, bp.baseAddress! + j * k, 1, count: k, initial: biasInAcc?[j],
                options: options)
              op[i * n + j] = ScalarConversion.convert(acc, to: S.self)
            }
          }
        }
      }
    }
    return Tensor(shape: [m, n], storage: out)
  }

  /// `Σ_i x[i, j]` over the rows of a matrix, per column, in the same summation order (the bias
  /// gradient; a plain sum, so `options.order.plainSums`).
  @inlinable
  public static func columnSums<S: PrecisionScalar, Acc: PrecisionScalar>(
    _ x: Tensor<S>, accumulate _: Acc.Type, options: KernelOptions = KernelOptions()
  ) -> Tensor<S> {
    precondition(x.rank == 2, "column sums need a matrix, got \(x.shape)")
    let (m, n) = (x.shape[0], x.shape[1])
    let ones = [S](repeating: S(1), count: m)
    var options = options
    options.order = options.order.plainSums
    var out = [S]()
    out.reserveCapacity(n)
    x.storage.withUnsafeBufferPointer { xp in
      ones.withUnsafeBufferPointer { onesPointer in
        for j in 0..<n {
          let acc: Acc = DotProduct.sum(
            xp.baseAddress! + j, n, onesPointer.baseAddress!, 1, count: m, initial: nil, options: options)
          out.append(ScalarConversion.convert(acc, to: S.self))
        }
      }
    }
    return Tensor(shape: [n], storage: out)
  }
}
