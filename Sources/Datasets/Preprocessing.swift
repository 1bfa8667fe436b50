import Scalars
import Tensors

/// The transforms between stored samples and a network's input, in torchvision's order: constant zero
/// padding (`Pad`), random crop with zero padding and horizontal flip on the stored image, then ToTensor (k/255) and Normalize
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
    /// Fashion-MNIST's commonly used constants: its training pixels k/255 have mean 0.28604 and
    /// standard deviation 0.35302 (computed over all 47,040,000 of them from the IDX file).
    public static let fashionMNIST = Normalization(mean: [0.2860], std: [0.3530])
    /// CIFAR-10 as in many training scripts (and the flagship paper's code): the std values are a
    /// widespread miscalculation, kept for faithful comparisons.
    public static let cifar10Common = Normalization(mean: [0.4914, 0.4822, 0.4465], std: [0.2023, 0.1994, 0.2010])
    /// CIFAR-10 per-channel mean and standard deviation over the training set, as published
    /// (std about 0.247, 0.243, 0.261).
    public static let cifar10 = Normalization(mean: [0.4914, 0.4822, 0.4465], std: [0.2470, 0.2435, 0.2616])
  }

  public var normalization: Normalization?
  /// Zero pixels added on each side of every image first (torchvision's `Pad`: 28×28 becomes 32×32
  /// with 2); they are pixel value 0, normalised like any other.
  public var padding: Int
  /// Output size and zero padding of a random crop (square images), of the padded image.
  public var randomCrop: (size: Int, padding: Int)?
  public var horizontalFlip: Bool
  public var seed: UInt64

  public init(
    normalization: Normalization? = nil, padding: Int = 0, randomCrop: (size: Int, padding: Int)? = nil, horizontalFlip: Bool = false,
    seed: UInt64 = 0
  ) {
    precondition(padding >= 0, "padding \(padding) is negative")
    self.normalization = normalization
    self.padding = padding
    self.randomCrop = randomCrop
    self.horizontalFlip = horizontalFlip
    self.seed = seed
  }

  /// The samples `indices` of `data` as a tensor `[batch] + sampleShape` (padding and crop change h and w).
  /// Image bytes go through a 256-entry table per channel, built with the same binary64 formula and
  /// one rounding, so the values are those of the per-pixel formula, at table-lookup speed.
  @inlinable
  public func batch<T: PrecisionScalar>(_ data: LabeledImages, indices: [Int], step: Int = 0, as _: T.Type) -> (Tensor<T>, [Int]) {
    let shape = data.sampleShape
    let images = shape.count == 3
    let (c, h, w) = images ? (shape[0], shape[1], shape[2]) : (1, 1, data.sampleSize)
    let pad = images ? padding : 0
    let (oh, ow) = randomCrop.map { ($0.size, $0.size) } ?? (h + 2 * pad, w + 2 * pad)
    if let n = normalization { precondition(n.mean.count == c || n.mean.count == 1, "normalisation for \(n.mean.count) channels, data has \(c)") }
    func transform(_ v: Double, _ ch: Int) -> Double {
      guard let n = normalization else { return v }
      let (mean, std) = n.mean.count == 1 ? (n.mean[0], n.std[0]) : (n.mean[ch], n.std[ch])
      return (v - mean) / std
    }
    var out = [T]()
    out.reserveCapacity(indices.count * c * oh * ow)
    // Plain images (no crop, no flip): one table lookup per pixel into preallocated storage.
    if randomCrop == nil && !horizontalFlip && pad == 0, case .bytes(let bytes) = data.samples {
      let tables: [[T]] = RoundingEnvironment.with(.nearestEven) {
        (0..<c).map { ch in (0..<256).map { T(transform(Double($0) / 255, ch)) } }
      }
      let plane = h * w, size = c * plane
      var storage = [T](repeating: tables[0][0], count: indices.count * size)
      bytes.withUnsafeBufferPointer { b in
        storage.withUnsafeMutableBufferPointer { o in
          for (position, i) in indices.enumerated() {
            for ch in 0..<c {
              tables[ch].withUnsafeBufferPointer { table in
                let source = i * size + ch * plane, target = position * size + ch * plane
                for p in 0..<plane { o[target + p] = table[Int(b[source + p])] }
              }
            }
          }
        }
      }
      let outShape = images ? [indices.count, c, h, w] : [indices.count] + shape
      return (Tensor<T>(shape: outShape, storage: storage), indices.map { data.labels[$0] })
    }
    RoundingEnvironment.with(.nearestEven) {
      let tables: [[T]] = (0..<c).map { ch in (0..<256).map { T(transform(Double($0) / 255, ch)) } }
      let zeros = (0..<c).map { T(transform(0, $0)) }
      for (position, i) in indices.enumerated() {
        // Output pixel (y, x) reads stored pixel (y + dy, x + dx): the padding's shift, then the crop's.
        var dy = -pad, dx = -pad, flip = false
        if let crop = randomCrop {
          dy += Int(CounterRandom.bits(seed, step, position, 1) % UInt64(h + 2 * pad + 2 * crop.padding - crop.size + 1)) - crop.padding
          dx += Int(CounterRandom.bits(seed, step, position, 2) % UInt64(w + 2 * pad + 2 * crop.padding - crop.size + 1)) - crop.padding
        }
        if horizontalFlip { flip = CounterRandom.bits(seed, step, position, 3) & 1 == 1 }
        switch data.samples {
        case .bytes(let bytes):
          bytes.withUnsafeBufferPointer { b in
            for ch in 0..<c {
              let table = tables[ch]
              for y in 0..<oh {
                let sy = y + dy
                for x in 0..<ow {
                  let sx = (flip ? ow - 1 - x : x) + dx
                  out.append(sy >= 0 && sy < h && sx >= 0 && sx < w ? table[Int(b[((i * c + ch) * h + sy) * w + sx])] : table[0])
                }
              }
            }
          }
        case .values(let values):
          for ch in 0..<c {
            for y in 0..<oh {
              let sy = y + dy
              for x in 0..<ow {
                let sx = (flip ? ow - 1 - x : x) + dx
                out.append(sy >= 0 && sy < h && sx >= 0 && sx < w ? T(transform(values[((i * c + ch) * h + sy) * w + sx], ch)) : zeros[ch])
              }
            }
          }
        }
      }
    }
    let outShape = images ? [indices.count, c, oh, ow] : [indices.count] + shape
    return (Tensor<T>(shape: outShape, storage: out), indices.map { data.labels[$0] })
  }
}
