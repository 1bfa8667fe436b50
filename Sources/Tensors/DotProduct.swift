import Scalars

/// Sums of products in an accumulation format `A`, in the order `KernelOptions` names: the one place
/// every matrix kernel's arithmetic happens.
///
/// Terms are `x[k·xStride] × y[k·yStride]` for k in 0..<count, converted exactly from the storage
/// format into `A` (see `ScalarConversion`); `initial` is added after all products. The result stays
/// in `A`; callers round it into the storage format once.
public enum DotProduct {
  @inlinable
  public static func sum<S: PrecisionScalar, A: PrecisionScalar>(
    _ x: UnsafePointer<S>, _ xStride: Int, _ y: UnsafePointer<S>, _ yStride: Int, count: Int,
    initial: A?, options: KernelOptions
  ) -> A {
    var acc: A
    switch options.order {
    case .sequential, .blas:  // BLAS computes matrix products (MatrixMultiply); other sums stay sequential
      acc = sequential(x, xStride, y, yStride, range: 0..<count, fused: options.fused) as A
    case .blocked(let size):
      acc = A(0)
      var start = 0
      while start < count {
        let block: A = sequential(x, xStride, y, yStride, range: start..<min(start + size, count), fused: options.fused)
        acc += block
        start += size
      }
    case .pairwise:
      acc = count == 0 ? A(0) : pairwise(x, xStride, y, yStride, range: 0..<count) as A
    }
    if let initial { acc += initial }
    return acc
  }

  @inlinable
  static func sequential<S: PrecisionScalar, A: PrecisionScalar>(
    _ x: UnsafePointer<S>, _ xStride: Int, _ y: UnsafePointer<S>, _ yStride: Int, range: Range<Int>,
    fused: Bool
  ) -> A {
    var acc = A(0)
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
