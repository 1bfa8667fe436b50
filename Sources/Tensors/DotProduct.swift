import Scalars

/// Sums of products in an accumulation format `A`, in the order `KernelOptions` names: the one place
/// every matrix kernel's arithmetic happens.
///
/// Terms are `x[k·xStride] × y[k·yStride]` for k in 0..<count, converted exactly from the storage
/// format into `A` (see `ScalarConversion`); `initial` (a bias) is added after all products, or with
/// `options.biasFirst` is where the sequential sum, or the blocked order's running total, starts. The
/// result stays in `A`; callers round it into the storage format once.
public enum DotProduct {
  /// `round_S(Σ_k x[k·xStride] × y[k·yStride])`, or with `divisor` `round_S((Σ …) / divisor)` (the
  /// quotient computed in the accumulation format, then rounded once): the sum accumulated as `plan`
  /// says (format, order, fusion). An empty sum is +0. For plain sums (bias gradients, pooling,
  /// batch-norm statistics): the order is `plan.options.order.plainSums`.
  @inlinable
  public static func rounded<S: PrecisionScalar>(
    _ x: UnsafePointer<S>, _ xStride: Int, _ y: UnsafePointer<S>, _ yStride: Int, count: Int, dividedBy divisor: Int? = nil,
    plan: KernelPlan
  ) -> S {
    plan.checkAccumulation(storage: S.self)
    var options = plan.options
    options.order = options.order.plainSums
    switch plan.accumulation {
    case .same: return rounded(x, xStride, y, yStride, count: count, divisor, S.self, options)
    case .binary32: return rounded(x, xStride, y, yStride, count: count, divisor, Float.self, options)
    case .binary64: return rounded(x, xStride, y, yStride, count: count, divisor, Double.self, options)
    }
  }

  @inlinable
  static func rounded<S: PrecisionScalar, A: PrecisionScalar>(
    _ x: UnsafePointer<S>, _ xStride: Int, _ y: UnsafePointer<S>, _ yStride: Int, count: Int, _ divisor: Int?, _: A.Type,
    _ options: KernelOptions
  ) -> S {
    var acc: A = count == 0 ? A(0) : sum(x, xStride, y, yStride, count: count, initial: nil, options: options)
    if let divisor { acc = acc / A(divisor) }
    return ScalarConversion.convert(acc, to: S.self)
  }

  @inlinable
  public static func sum<S: PrecisionScalar, A: PrecisionScalar>(
    _ x: UnsafePointer<S>, _ xStride: Int, _ y: UnsafePointer<S>, _ yStride: Int, count: Int,
    initial: A?, options: KernelOptions
  ) -> A {
    var acc: A
    let first = options.biasFirst ? initial : nil
    switch options.order {
    case .sequential, .blas:  // BLAS computes matrix products (MatrixMultiply); other sums stay sequential
      acc = sequential(x, xStride, y, yStride, range: 0..<count, fused: options.fused, from: first ?? A(0)) as A
    case .blocked, .split:
      let size = options.order.blockSize(count: count)!
      acc = first ?? A(0)
      var start = 0
      while start < count {
        let block: A = sequential(x, xStride, y, yStride, range: start..<min(start + size, count), fused: options.fused, from: A(0))
        acc += block
        start += size
      }
    case .lanes(let lanes):
      acc = laned(x, xStride, y, yStride, count: count, lanes: lanes, fused: options.fused, from: first ?? A(0))
    case .kahan, .neumaier:
      acc = compensated(x, xStride, y, yStride, count: count, neumaier: options.order == .neumaier, from: first ?? A(0))
    case .tensorCore(let model):
      acc = multiTerm(x, xStride, y, yStride, count: count, model: model, from: first ?? A(0))
    case .pairwise:
      acc = count == 0 ? A(0) : pairwise(x, xStride, y, yStride, range: 0..<count) as A
      if let first { acc = first + acc }  // the same bits as acc + first
    }
    if let initial, first == nil { acc += initial }
    return acc
  }

  @inlinable
  static func sequential<S: PrecisionScalar, A: PrecisionScalar>(
    _ x: UnsafePointer<S>, _ xStride: Int, _ y: UnsafePointer<S>, _ yStride: Int, range: Range<Int>,
    fused: Bool, from start: A
  ) -> A {
    var acc = start
    if S.self == A.self {
      // Same format: no conversion, and the type may run the whole sum at once (MPFR does).
      let xa = UnsafeRawPointer(x + range.lowerBound * xStride).assumingMemoryBound(to: A.self)
      let ya = UnsafeRawPointer(y + range.lowerBound * yStride).assumingMemoryBound(to: A.self)
      A.accumulateProducts(&acc, xa, xStride, ya, yStride, count: range.count, fused: fused)
      return acc
    }
    if fused {
      for k in range {
        A.fusedMultiplyAccumulate(
          &acc, ScalarConversion.convert(x[k * xStride], to: A.self), ScalarConversion.convert(y[k * yStride], to: A.self))
      }
    } else {
      for k in range {
        A.multiplyAccumulate(
          &acc, ScalarConversion.convert(x[k * xStride], to: A.self), ScalarConversion.convert(y[k * yStride], to: A.self))
      }
    }
    return acc
  }

  /// `lanes` accumulators over the products l, l + lanes, … (lane 0 from `start`, the others from
  /// zero), then added by halving: the `.lanes` order.
  @inlinable
  static func laned<S: PrecisionScalar, A: PrecisionScalar>(
    _ x: UnsafePointer<S>, _ xStride: Int, _ y: UnsafePointer<S>, _ yStride: Int, count: Int, lanes: Int, fused: Bool, from start: A
  ) -> A {
    withUnsafeTemporaryAllocation(of: A.self, capacity: lanes) { lane in
      for l in 0..<lanes {
        let terms = l < count ? (count - l + lanes - 1) / lanes : 0
        lane.initializeElement(
          at: l,
          to: sequential(x + l * xStride, xStride * lanes, y + l * yStride, yStride * lanes, range: 0..<terms, fused: fused, from: l == 0 ? start : A(0)))
      }
      var width = lanes / 2
      while width >= 1 {
        for l in 0..<width { lane[l] = lane[l] + lane[l + width] }
        width /= 2
      }
      let result = lane[0]
      _ = lane.deinitialize()
      return result
    }
  }

  /// Each product rounded into `A`, then added with Kahan's or Neumaier's compensation (the `.kahan`
  /// and `.neumaier` orders; `KernelOptions.SummationOrder` states the steps).
  @inlinable
  static func compensated<S: PrecisionScalar, A: PrecisionScalar>(
    _ x: UnsafePointer<S>, _ xStride: Int, _ y: UnsafePointer<S>, _ yStride: Int, count: Int, neumaier: Bool, from start: A
  ) -> A {
    var sum = start
    var compensation = A(0)
    for k in 0..<count {
      let p = ScalarConversion.convert(x[k * xStride], to: A.self) * ScalarConversion.convert(y[k * yStride], to: A.self)
      if neumaier {
        let t = sum + p
        let big = (sum < A(0) ? -sum : sum) >= (p < A(0) ? -p : p)
        compensation += big ? (sum - t) + p : (p - t) + sum
        sum = t
      } else {
        let adjusted = p - compensation
        let t = sum + adjusted
        compensation = (t - sum) - adjusted
        sum = t
      }
    }
    return neumaier ? sum + compensation : sum
  }

  /// The products in groups of `model.terms`, each group added to the accumulator by `model`: the
  /// `.tensorCore` order. The accumulator must be binary32 and the products exact in binary64.
  @inlinable
  static func multiTerm<S: PrecisionScalar, A: PrecisionScalar>(
    _ x: UnsafePointer<S>, _ xStride: Int, _ y: UnsafePointer<S>, _ yStride: Int, count: Int, model: MultiTermAccumulation,
    from start: A
  ) -> A {
    precondition(A.self == Float.self, "tensor-core accumulation needs a binary32 accumulator, not \(A.format.name)")
    var acc = ScalarConversion.convert(start, to: Float.self)
    withUnsafeTemporaryAllocation(of: Double.self, capacity: model.terms) { group in
      var k = 0
      while k < count {
        let n = min(model.terms, count - k)
        for j in 0..<n {
          group[j] =
            ScalarConversion.convert(x[(k + j) * xStride], to: Double.self) * ScalarConversion.convert(y[(k + j) * yStride], to: Double.self)
        }
        acc = model.add(UnsafeBufferPointer(rebasing: group[0..<n]), to: acc)
        k += n
      }
    }
    return ScalarConversion.convert(acc, to: A.self)
  }

  @inlinable
  static func pairwise<S: PrecisionScalar, A: PrecisionScalar>(
    _ x: UnsafePointer<S>, _ xStride: Int, _ y: UnsafePointer<S>, _ yStride: Int, range: Range<Int>
  ) -> A {
    if range.count == 1 {
      let k = range.lowerBound
      return ScalarConversion.convert(x[k * xStride], to: A.self) * ScalarConversion.convert(y[k * yStride], to: A.self)
    }
    let middle = range.lowerBound + range.count / 2
    let left: A = pairwise(x, xStride, y, yStride, range: range.lowerBound..<middle)
    let right: A = pairwise(x, xStride, y, yStride, range: middle..<range.upperBound)
    return left + right
  }
}
