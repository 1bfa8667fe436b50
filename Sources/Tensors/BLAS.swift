import CKernels
import Scalars

/// The optional BLAS backend (OpenBLAS or another CBLAS library, loaded at run time; nothing is
/// needed to build): `C = A·Bᵀ (+ bias)` for binary32 and binary64 storage accumulated in itself.
///
/// Summation order: BLAS's. The library chooses how each output's products are summed (its
/// blocking, vector width and FMA use), so results may differ from PrecisionLab's fixed-order kernels
/// and between libraries, versions and CPUs; within one library, version and machine they repeat.
/// The bias is added to each BLAS output afterwards with one rounding. Rows are split across
/// `threads` in fixed blocks, each one library call on one BLAS thread.
public enum BLAS {
  /// Whether a library was found (`$PRECISIONLAB_BLAS`, `libopenblas.so.0`, `libopenblas.so`, `libblas.so.3`).
  public static var isAvailable: Bool { pl_blas_available() != 0 }

  /// The library loaded and its configuration, or why none was.
  public static var library: String { String(cString: pl_blas_description()) }

  /// Why `S` accumulated in `Acc` in `mode` cannot use BLAS, or nil when it can.
  public static func problem(storage: FloatFormat, accumulate: FloatFormat, mode: RoundingMode, fused: Bool) -> String? {
    guard isAvailable else { return library }
    guard storage.name == accumulate.name, storage.name == "binary32" || storage.name == "binary64" else {
      return "BLAS computes binary32 and binary64 accumulated in themselves, not \(storage.name) accumulated in \(accumulate.name)"
    }
    guard mode == .nearestEven else { return "BLAS rounds to nearest even only, not \(mode.name)" }
    guard !fused else { return "BLAS decides itself where to fuse multiply-adds: drop --fused" }
    return nil
  }

  @inlinable
  public static func timesTransposed<S: PrecisionScalar, Acc: PrecisionScalar>(
    _ a: Tensor<S>, _ b: Tensor<S>, bias: Tensor<S>?, accumulate _: Acc.Type, threads: Int
  ) -> Tensor<S> {
    precondition(S.self == Acc.self && (S.self == Float.self || S.self == Double.self) && RoundingEnvironment.isNearestEven,
                 "summation order blas: binary32 or binary64 accumulated in itself at nearest-even, not \(S.format.name) in \(Acc.format.name)")
    precondition(isAvailable, "summation order blas: \(library)")
    let (m, k, n) = (a.shape[0], a.shape[1], b.shape[0])
    var out = [S](repeating: S(0), count: m * n)
    a.storage.withUnsafeBufferPointer { ap in
      b.storage.withUnsafeBufferPointer { bp in
        out.withUnsafeMutableBufferPointer { op in
          nonisolated(unsafe) let (ap, bp, op) = (ap, bp, op)
          FastMatrixMultiply.forEachRowBlock(m, threads: threads, rowBlock: 16) { begin, end in
            let (pa, pb, pc) = (UnsafeRawPointer(ap.baseAddress!), UnsafeRawPointer(bp.baseAddress!), UnsafeMutableRawPointer(op.baseAddress!))
            if S.self == Float.self {
              pl_blas_sgemm_nt(begin, end, n, k, pa.assumingMemoryBound(to: Float.self), pb.assumingMemoryBound(to: Float.self), pc.assumingMemoryBound(to: Float.self))
            } else {
              pl_blas_dgemm_nt(begin, end, n, k, pa.assumingMemoryBound(to: Double.self), pb.assumingMemoryBound(to: Double.self), pc.assumingMemoryBound(to: Double.self))
            }
          }
        }
      }
    }
    if let bias {
      for i in 0..<m { for j in 0..<n { out[i * n + j] += bias.storage[j] } }
    }
    return Tensor(shape: [m, n], storage: out)
  }
}
