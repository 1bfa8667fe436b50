import Scalars
import Tensors

/// The transforms between stored samples and a network's input, in torchvision's order: random crop
/// with zero padding and horizontal flip on the stored image, then ToTensor (k/255) and Normalize
/// ((v − mean_c)/std_c). Each input value is computed in binary64 and rounded once, to nearest even,
/// into the run's format. Crops and flips are drawn per (seed, step, sample position) from a
/// counter-based generator, so a batch is the same whatever else ran before it.
public struct Preprocessing: Sendable {
  public struct Normalization: Sendable, Hashable {
    public var mean: [Double]
    public var std: [Double]
    public init(mean: [Double], std: [Double]) {
      precondition(mean.count == std.count && std.allSatisfy { $0 > 0 }, "normalisation needs one positive std per mean")
      self.mean = mean
      self.std = std
    }

    /// MNIST's commonly used constants.
    public static let mnist = Normalization(mean: [0.1307], std: [0.3081])
    /// CIFAR-10 as in many training scripts (and the flagship paper's code): the std values are a
    /// widespread miscalculation, kept for faithful comparisons.
    public static let cifar10Common = Normalization(mean: [0.4914, 0.4822, 0.4465], std: [0.2023, 0.1994, 0.2010])
    /// CIFAR-10 per-channel mean and standard deviation over the training set, as published
    /// (std about 0.247, 0.243, 0.261).
    public static let cifar10 = Normalization(mean: [0.4914, 0.4822, 0.4465], std: [0.2470, 0.2435, 0.2616])
  }

  public var normalization: Normalization?
  /// Output size and zero padding of a random crop (square images).
  public var randomCrop: (size: Int, padding: Int)?
  public var horizontalFlip: Bool
  public var seed: UInt64

  public init(normalization: Normalization? = nil, randomCrop: (size: Int, padding: Int)? = nil, horizontalFlip: Bool = false, seed: UInt64 = 0) {
    self.normalization = normalization
    self.randomCrop = randomCrop
    self.horizontalFlip = horizontalFlip
    self.seed = seed
  }

  /// The samples `indices` of `data` as a tensor `[batch] + sampleShape` (crop changes h and w).
  public func batch<T: PrecisionScalar>(_ data: LabeledImages, indices: [Int], step: Int = 0, as _: T.Type) -> (Tensor<T>, [Int]) {
    let shape = data.sampleShape
    let images = shape.count == 3
    let (c, h, w) = images ? (shape[0], shape[1], shape[2]) : (1, 1, data.sampleSize)
    let (oh, ow) = randomCrop.map { ($0.size, $0.size) } ?? (h, w)
    if let n = normalization { precondition(n.mean.count == c || n.mean.count == 1, "normalisation for \(n.mean.count) channels, data has \(c)") }
    var values: [Double] = []
    values.reserveCapacity(indices.count * c * oh * ow)
    for (position, i) in indices.enumerated() {
      var dy = 0, dx = 0, flip = false
      if let crop = randomCrop {
        dy = Int(CounterRandom.bits(seed, step, position, 1) % UInt64(h + 2 * crop.padding - crop.size + 1)) - crop.padding
        dx = Int(CounterRandom.bits(seed, step, position, 2) % UInt64(w + 2 * crop.padding - crop.size + 1)) - crop.padding
      }
      if horizontalFlip { flip = CounterRandom.bits(seed, step, position, 3) & 1 == 1 }
      for ch in 0..<c {
        let mean = normalization.map { $0.mean.count == 1 ? $0.mean[0] : $0.mean[ch] }
        let std = normalization.map { $0.std.count == 1 ? $0.std[0] : $0.std[ch] }
        for y in 0..<oh {
          for x in 0..<ow {
            let sy = y + dy, sx0 = x + dx
            let sx = flip ? (ow - 1 - x) + dx : sx0
            var v = 0.0
            if sy >= 0 && sy < h && sx >= 0 && sx < w {
              let k = ((i * c + ch) * h + sy) * w + sx
              switch data.samples {
              case .bytes(let b): v = Double(b[k]) / 255
              case .values(let f): v = f[k]
              }
            }
            if let mean, let std { v = (v - mean) / std }
            values.append(v)
          }
        }
      }
    }
    let outShape = images ? [indices.count, c, oh, ow] : [indices.count] + shape
    let tensor = RoundingEnvironment.with(.nearestEven) { Tensor<T>(shape: outShape, doubles: values) }
    return (tensor, indices.map { data.labels[$0] })
  }
}

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
