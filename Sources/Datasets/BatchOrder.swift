import Scalars
/// The order in which samples form mini-batches: file order or a seeded shuffle (Fisher–Yates on
/// SplitMix64), optionally only the first `limit` samples, dropping or keeping a short last batch.
public struct BatchOrder: Sendable {
  public let order: [Int]
  public let batchSize: Int
  public let dropLast: Bool

  public init(count: Int, batchSize: Int, shuffleSeed: UInt64? = nil, dropLast: Bool = false, limit: Int? = nil) {
    precondition(batchSize >= 1, "batch size must be at least 1")
    var order = Array(0..<min(count, limit ?? count))
    if let seed = shuffleSeed, order.count > 1 {
      for i in stride(from: order.count - 1, to: 0, by: -1) {
        let j = Int(CounterRandom.bits(seed, i, 0) % UInt64(i + 1))
        order.swapAt(i, j)
      }
    }
    self.order = order
    self.batchSize = batchSize
    self.dropLast = dropLast
  }

  public var batchCount: Int { dropLast ? order.count / batchSize : (order.count + batchSize - 1) / batchSize }

  public func indices(ofBatch b: Int) -> [Int] {
    precondition(b >= 0 && b < batchCount, "batch \(b) of \(batchCount)")
    return Array(order[(b * batchSize)..<min((b + 1) * batchSize, order.count)])
  }
}
