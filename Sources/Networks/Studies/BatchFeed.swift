import Datasets
import Scalars
import Tensors

/// Mini-batches for a study: a labelled set, its preprocessing and the batch order, optionally cut to
/// the first `maxBatches` batches. With `shuffleSeed`, epoch e uses the shuffle seeded by
/// `shuffleSeed + e`; otherwise file order.
public struct BatchFeed: Sendable {
  public var data: LabeledImages
  public var preprocessing: Preprocessing
  public var batchSize: Int
  public var shuffleSeed: UInt64?
  public var dropLast: Bool
  public var maxBatches: Int?

  public init(
    data: LabeledImages, preprocessing: Preprocessing = Preprocessing(), batchSize: Int, shuffleSeed: UInt64? = nil,
    dropLast: Bool = false, maxBatches: Int? = nil
  ) {
    precondition(batchSize >= 1, "batch size must be at least 1")
    self.data = data
    self.preprocessing = preprocessing
    self.batchSize = batchSize
    self.shuffleSeed = shuffleSeed
    self.dropLast = dropLast
    self.maxBatches = maxBatches
  }

  public func order(epoch: Int) -> BatchOrder {
    BatchOrder(count: data.count, batchSize: batchSize, shuffleSeed: shuffleSeed.map { $0 &+ UInt64(epoch) }, dropLast: dropLast)
  }

  /// Batches per epoch (after `maxBatches`).
  public var batchCount: Int { min(order(epoch: 0).batchCount, maxBatches ?? .max) }

  /// Batch `b` of `order`, rounded once into `T`; `step` keys the random crops and flips.
  @inlinable
  public func batch<T: PrecisionScalar>(_ b: Int, of order: BatchOrder, step: Int, as _: T.Type) -> (Tensor<T>, [Int]) {
    preprocessing.batch(data, indices: order.indices(ofBatch: b), step: step, as: T.self)
  }
}
