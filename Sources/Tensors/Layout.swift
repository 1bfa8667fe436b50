import Scalars

/// Rearrangements between the layouts the convolution products use: `[batch, channels, plane]` (NCHW,
/// the tensors'), `[channels, batch·plane]` (channel-major, the SIMD products' rows) and
/// `[batch·plane, channels]` (the generic path's rows). Pure moves, except where a conversion into the
/// storage format is asked for.
public enum Layout {
  /// `[batch·plane, channels]` rows → `[batch, channels, plane]`.
  @inlinable
  public static func channelsFirst<S>(_ rows: [S], batch: Int, channels: Int, plane: Int) -> [S] {
    [S](unsafeUninitializedCapacity: rows.count) { out, initialized in
      rows.withUnsafeBufferPointer { rp in
        for b in 0..<batch {
          for p in 0..<plane {
            let row = rp.baseAddress! + (b * plane + p) * channels
            for c in 0..<channels { (out.baseAddress! + (b * channels + c) * plane + p).initialize(to: row[c]) }
          }
        }
      }
      initialized = rows.count
    }
  }

  /// `[outer, middle, inner]` → `[middle, outer, inner]`: the first two axes swapped, runs of `inner`
  /// values copied whole. Activations `[batch, channels, plane]` become channel-major `[channels,
  /// batch·plane]`; a weight `[outChannels, channels, window]` becomes `[channels, outChannels, window]`
  /// (the input gradient's left operand: row c holds w[o, c, i, j] in (o, i, j) order).
  @inlinable
  public static func swapLeadingAxes<S>(_ x: [S], outer: Int, middle: Int, inner: Int) -> [S] {
    [S](unsafeUninitializedCapacity: x.count) { out, initialized in
      x.withUnsafeBufferPointer { xp in
        for a in 0..<outer {
          for b in 0..<middle {
            (out.baseAddress! + (b * outer + a) * inner).initialize(from: xp.baseAddress! + (a * middle + b) * inner, count: inner)
          }
        }
      }
      initialized = x.count
    }
  }

  /// `[channels, batch·plane]` in `U` → `[batch, channels, plane]` in `S`, each value rounded once (in
  /// the thread's mode; exact when `S` is `U`). With stochastic rounding the values are rounded position
  /// by position, each position's channels in order on its own stream (`forEachRow`), as the generic
  /// path rounds its `[batch·plane, channels]` rows; otherwise in contiguous runs on up to `threads`
  /// threads.
  @inlinable
  public static func channelMajorToFirst<S: PrecisionScalar, U: PrecisionScalar>(
    _ c: [U], batch: Int, channels: Int, plane: Int, threads: Int
  ) -> [S] {
    let positions = batch * plane
    var out = [S](repeating: S(0), count: c.count)
    c.withUnsafeBufferPointer { cp in
      out.withUnsafeMutableBufferPointer { op in
        nonisolated(unsafe) let (cp, op) = (cp.baseAddress!, op.baseAddress!)
        if S.self == U.self {
          let (sc, so) = (UnsafeRawPointer(cp).assumingMemoryBound(to: S.self), op)
          for b in 0..<batch {
            for ch in 0..<channels { (so + (b * channels + ch) * plane).update(from: sc + ch * positions + b * plane, count: plane) }
          }
        } else if RoundingEnvironment.mode == .stochastic {
          forEachRow(positions, threads: threads) { p in
            let (b, r) = p.quotientAndRemainder(dividingBy: plane)
            for ch in 0..<channels { op[(b * channels + ch) * plane + r] = ScalarConversion.convert(cp[ch * positions + p], to: S.self) }
          }
        } else {
          forEachRow(batch * channels, threads: threads) { unit in
            let (b, ch) = unit.quotientAndRemainder(dividingBy: channels)
            let (source, target) = (cp + ch * positions + b * plane, op + unit * plane)
            for r in 0..<plane { target[r] = ScalarConversion.convert(source[r], to: S.self) }
          }
        }
      }
    }
    return out
  }

  /// `round(Σ_j x[i, j])` for each row of `x [rows, columns]`, the sum accumulated as `plan` says (the
  /// bias gradient: one sum per channel over its positions in order).
  @inlinable
  public static func rowSums<S: PrecisionScalar>(_ x: [S], rows: Int, columns: Int, plan: KernelPlan) -> Tensor<S> {
    let ones = [S](repeating: S(1), count: max(columns, 1))
    var sums = [S]()
    sums.reserveCapacity(rows)
    x.withUnsafeBufferPointer { xp in
      ones.withUnsafeBufferPointer { op in
        for i in 0..<rows {
          sums.append(columns == 0 ? S(0) : DotProduct.rounded(xp.baseAddress! + i * columns, 1, op.baseAddress!, 1, count: columns, plan: plan))
        }
      }
    }
    return Tensor(shape: [rows], storage: sums)
  }
}
