/// How a kernel accumulates a sum of products: the order of the additions and whether each
/// multiply-add is fused. The same inputs and options give bit-identical results on every run and for
/// every thread count: no kernel splits a sum across threads.
public struct KernelOptions: Sendable, Hashable, CustomStringConvertible {
  public enum SummationOrder: Sendable, Hashable, CustomStringConvertible {
    /// acc = 0; acc = acc + x₀y₀; acc = acc + x₁y₁; … (index order).
    case sequential
    /// Each product rounded into the accumulation format, then summed as a balanced binary tree:
    /// sum(p[0..<n]) = sum(p[0..<n/2]) + sum(p[n/2..<n]) (integer halving), a single term as is.
    case pairwise
    /// Sequential within consecutive blocks of `size` terms (each block from zero), then the block
    /// sums added sequentially in block order.
    case blocked(Int)
    /// Split-K: the k products cut into `slices` contiguous slices of ⌈k/slices⌉ (the last shorter,
    /// fewer slices when k is small), each summed sequentially from zero, the slice sums then added in
    /// slice order: GPU libraries' split-K, `blocked(⌈k/slices⌉)` for each sum's own k.
    case split(Int)
    /// `count` interleaved accumulators (a power of two), as vector kernels keep them: lane l sums
    /// products l, l + count, l + 2·count, … sequentially from zero; then the lanes are added by
    /// halving (lane l += lane l + count/2 for l < count/2, then count/4, …, down to lane 0). MKL's
    /// products with few output columns sum this way (`scripts/reveal-torch-gemm.py`). With the bias
    /// first, lane 0 starts at it. On the binary32 and binary64 kernels (`gemm_columns.c`).
    case lanes(Int)
    /// Each product rounded, then added with Kahan's compensation: y = p − c, t = s + y,
    /// c = (t − s) − y, s = t; the result is s (Kahan 1965). Never fused.
    case kahan
    /// Neumaier's variant (Kahan–Babuška): t = s + p; c += (s − t) + p when |s| ≥ |p|, else
    /// (p − t) + s; s = t; the result is s + c. Never fused.
    case neumaier
    /// A GPU tensor core's multi-term fused accumulation (`MultiTermAccumulation`): the products taken
    /// G at a time in index order, each group added to the binary32 accumulator in one aligned,
    /// truncated, once-rounded operation. With the bias first the accumulator starts at it. Matrix
    /// products and convolutions only: plain sums (bias gradients, pooling, batch-norm statistics) run
    /// on a GPU's ordinary cores and stay sequential (`plainSums`). Needs binary32 accumulation; the
    /// binary32 kernel computes joint alignment, products-first runs the generic loop.
    case tensorCore(MultiTermAccumulation)
    /// Summation order: BLAS's. Matrix products by the BLAS library found at run time (`BLAS`), binary32
    /// and binary64 accumulated in themselves at nearest-even only: the library chooses the order
    /// (blocking, vector width, FMA), so results are not reproducible across libraries, versions or
    /// CPUs. For asking whether a result depends on the library. Other sums (bias gradients, pooling)
    /// stay sequential.
    case blas

    /// The order of sums that are not matrix products (bias gradients, pooling, batch-norm statistics):
    /// this order, except that tensor-core models leave them sequential.
    public var plainSums: SummationOrder {
      if case .tensorCore = self { return .sequential }
      return self
    }

    /// The block size of a blocked sum of `count` terms: `blocked(N)`'s N, `split(S)`'s ⌈count/S⌉; nil
    /// for the other orders.
    public func blockSize(count: Int) -> Int? {
      switch self {
      case .blocked(let size): return size
      case .split(let slices): return max((count + slices - 1) / slices, 1)
      case .sequential, .pairwise, .lanes, .tensorCore, .kahan, .neumaier, .blas: return nil
      }
    }

    public var description: String {
      switch self {
      case .sequential: return "sequential"
      case .pairwise: return "pairwise"
      case .blocked(let size): return "blocked:\(size)"
      case .lanes(let count): return "lanes:\(count)"
      case .split(let slices): return "split:\(slices)"
      case .tensorCore(let model): return model.description
      case .kahan: return "kahan"
      case .neumaier: return "neumaier"
      case .blas: return "blas"
      }
    }

    /// Parses `sequential`, `pairwise`, `kahan`, `neumaier`, `blocked:N` (N ≥ 1), `split:S` (S ≥ 1), `lanes:L` (L a power of
    /// two, 2 to 64), `tc:G:W[:rz|rn][:products-first]` or `tc:PRESET` (`MultiTermAccumulation`) or
    /// `blas`.
    public init?(name: String) {
      switch name {
      case "sequential": self = .sequential
      case "pairwise": self = .pairwise
      case "blas": self = .blas
      case "kahan": self = .kahan
      case "neumaier": self = .neumaier
      default:
        if let model = MultiTermAccumulation(name: name) {
          self = .tensorCore(model)
          return
        }
        if name.hasPrefix("lanes:"), let n = Int(name.dropFirst(6)), n >= 2, n <= 64, n & (n - 1) == 0 {
          self = .lanes(n)
          return
        }
        if name.hasPrefix("split:"), let n = Int(name.dropFirst(6)), n >= 1 {
          self = .split(n)
          return
        }
        guard name.hasPrefix("blocked:"), let n = Int(name.dropFirst(8)), n >= 1 else { return nil }
        self = .blocked(n)
      }
    }
  }

  public var order: SummationOrder
  /// Fused multiply-add (one rounding per term) in the sequential, blocked and lanes orders; pairwise
  /// and compensated sums always round each product first.
  public var fused: Bool
  /// Where a bias enters a sum of products (`--bias-order`): false, after the sum (one addition at the
  /// end); true, first, as BLAS's `C := A·B + βC` with C holding the bias: the sequential sum starts at
  /// the bias, and with `blocked(N)` the running total starts at it and each block (from zero) is
  /// added to it, BLAS's K-blocking. Pairwise sums are the same either way. Not with `blas` (the
  /// library adds it as it does).
  public var biasFirst: Bool

  public init(order: SummationOrder = .sequential, fused: Bool = false, biasFirst: Bool = false) {
    self.order = order
    self.fused = fused
    self.biasFirst = biasFirst
  }

  public var description: String { "\(order)\(fused ? ",fused" : ",unfused")\(biasFirst ? ",bias-first" : "")" }
}
