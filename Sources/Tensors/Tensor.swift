import Scalars

/// A dense, contiguous, row-major array of scalars of one format, with value semantics.
///
/// Shapes are listed outermost first (`[batch, features]`, `[out, in]` for a weight, as PyTorch lays
/// them out). Elements are stored exactly as the format holds them; building a tensor from binary64
/// values rounds each one once, in the calling thread's rounding mode.
@frozen public struct Tensor<T: PrecisionScalar>: Sendable {
  public let shape: [Int]
  public var storage: [T]

  /// A tensor with the given shape and elements (row-major); `storage.count` must match the shape.
  @inlinable public init(shape: [Int], storage: [T]) {
    precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
    precondition(shape.reduce(1, *) == storage.count, "shape \(shape) holds \(shape.reduce(1, *)) elements, not \(storage.count)")
    self.shape = shape
    self.storage = storage
  }

  /// A tensor of zeros.
  @inlinable public init(zeros shape: [Int]) {
    self.init(shape: shape, storage: Array(repeating: T(0), count: shape.reduce(1, *)))
  }

  /// Each binary64 value rounded once into the format.
  @inlinable public init(shape: [Int], doubles: [Double]) {
    self.init(shape: shape, storage: doubles.map { T($0) })
  }

  @inlinable public var count: Int { storage.count }
  @inlinable public var rank: Int { shape.count }

  /// The same elements under another shape with the same element count.
  @inlinable public func reshaped(_ newShape: [Int]) -> Tensor {
    Tensor(shape: newShape, storage: storage)
  }

  /// Row-major offset of an index.
  @inlinable public func offset(_ index: [Int]) -> Int {
    precondition(index.count == shape.count, "index \(index) for shape \(shape)")
    var o = 0
    for (i, n) in zip(index, shape) {
      precondition(i >= 0 && i < n, "index \(index) out of shape \(shape)")
      o = o * n + i
    }
    return o
  }

  @inlinable public subscript(_ index: Int...) -> T {
    get { storage[offset(index)] }
    set { storage[offset(index)] = newValue }
  }

  /// The elements as binary64 (rounded to nearest; exact for formats up to binary64).
  @inlinable public var doubles: [Double] { storage.map(\.doubleValue) }

  /// The transpose of a matrix (rank 2), as a new contiguous tensor.
  @inlinable public func transposed() -> Tensor {
    precondition(rank == 2, "transpose needs a matrix, got shape \(shape)")
    let (r, c) = (shape[0], shape[1])
    let out = [T](unsafeUninitializedCapacity: count) { o, initialized in
      storage.withUnsafeBufferPointer { s in
        // Tiles of 32 × 32, so that the rows read and the rows written both stay in cache.
        let tile = 32
        for i0 in stride(from: 0, to: r, by: tile) {
          for j0 in stride(from: 0, to: c, by: tile) {
            for j in j0..<min(j0 + tile, c) {
              for i in i0..<min(i0 + tile, r) { (o.baseAddress! + j * r + i).initialize(to: s[i * c + j]) }
            }
          }
        }
      }
      initialized = count
    }
    return Tensor(shape: [c, r], storage: out)
  }

  /// Every element converted into another format (see `ScalarConversion`).
  @inlinable public func converted<U: PrecisionScalar>(to _: U.Type) -> Tensor<U> {
    Tensor<U>(shape: shape, storage: storage.map { ScalarConversion.convert($0, to: U.self) })
  }
}
