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

  /// `[batch, channels, plane]` → `[channels, batch·plane]`.
  @inlinable
  public static func channelFirstToMajor<S>(_ x: [S], batch: Int, channels: Int, plane: Int) -> [S] {
    [S](unsafeUninitializedCapacity: x.count) { out, initialized in
      x.withUnsafeBufferPointer { xp in
        for b in 0..<batch {
          for c in 0..<channels {
            (out.baseAddress! + (c * batch + b) * plane).initialize(from: xp.baseAddress! + (b * channels + c) * plane, count: plane)
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

  /// `w [outChannels, channels, window]` → `[channels, outChannels, window]` (the input gradient's left
  /// operand: row c holds w[o, c, i, j] in (o, i, j) order).
  @inlinable
  public static func weightByInputChannel<S>(_ w: [S], outChannels: Int, channels: Int, window: Int) -> [S] {
    [S](unsafeUninitializedCapacity: w.count) { out, initialized in
      w.withUnsafeBufferPointer { wp in
        for c in 0..<channels {
          for o in 0..<outChannels {
            (out.baseAddress! + (c * outChannels + o) * window).initialize(from: wp.baseAddress! + (o * channels + c) * window, count: window)
          }
        }
      }
      initialized = w.count
    }
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
