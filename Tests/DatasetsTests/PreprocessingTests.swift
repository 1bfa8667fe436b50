import Datasets
import Scalars
import Tensors
import Testing
import TestSupport

@Suite struct PreprocessingTests {
  static let tiny = try! LabeledImages(
    name: "tiny", sampleShape: [1, 2, 3], samples: .bytes([0, 1, 2, 3, 4, 255, 10, 20, 30, 40, 50, 60]), labels: [1, 0], classes: 2, file: "tiny")

  @Test func toTensorRoundsOnceFromBinary64() {
    let (x, labels) = Preprocessing().batch(Self.tiny, indices: [1, 0], as: BFloat16.self)
    #expect(x.shape == [2, 1, 2, 3] && labels == [0, 1])
    let expected = [10, 20, 30, 40, 50, 60, 0, 1, 2, 3, 4, 255].map { BFloat16(Double($0) / 255) }
    #expect(x.storage == expected)
    let (n, _) = Preprocessing(normalization: .mnist).batch(Self.tiny, indices: [0], as: Float.self)
    #expect(n.storage[5] == Float((1.0 - 0.1307) / 0.3081))
  }

  @Test func cropAndFlipAreSeededAndPadWithZeros() {
    let images = Synthetic.images(count: 8, shape: [3, 8, 8], seed: 1)
    let p = Preprocessing(normalization: .cifar10, randomCrop: (8, 4), horizontalFlip: true, seed: 5)
    let (a, _) = p.batch(images, indices: Array(0..<8), step: 3, as: Float.self)
    let (b, _) = p.batch(images, indices: Array(0..<8), step: 3, as: Float.self)
    let (c, _) = p.batch(images, indices: Array(0..<8), step: 4, as: Float.self)
    #expect(a.storage == b.storage && a.storage != c.storage)
    // A padded pixel is k = 0, normalised: −mean/std for its channel.
    let padded = Float((0 - 0.4914) / 0.2470)
    #expect(a.storage.contains(padded))
    let plain = Preprocessing(randomCrop: (8, 0), horizontalFlip: false).batch(images, indices: [0], as: Double.self).0
    #expect(plain.storage == Preprocessing().batch(images, indices: [0], as: Double.self).0.storage)
  }

  /// `Pad(p)` surrounds the image with p pixels of value 0 (normalised like the others), and pad then
  /// random crop equals the crop with the paddings added (the same offsets are drawn): torchvision's
  /// Pad(2), RandomCrop(32, padding=4) on 28×28 images is RandomCrop(32, padding=6).
  @Test func padSurroundsTheImageWithZeroPixels() {
    let (x, _) = Preprocessing(normalization: .mnist, padding: 1).batch(Self.tiny, indices: [0], as: Double.self)
    #expect(x.shape == [1, 1, 4, 5])
    let zero = (0 - 0.1307) / 0.3081
    let rows: [[Double]] = [[0, 1, 2], [3, 4, 255]].map { $0.map { ($0 / 255 - 0.1307) / 0.3081 } }
    let expected = [[Double](repeating: zero, count: 5)] + rows.map { [zero] + $0 + [zero] } + [[Double](repeating: zero, count: 5)]
    #expect(x.storage == expected.flatMap { $0 })
    let images = Synthetic.images(count: 6, shape: [1, 28, 28], seed: 2)
    let padThenCrop = Preprocessing(padding: 2, randomCrop: (32, 4), horizontalFlip: true, seed: 9).batch(images, indices: Array(0..<6), step: 1, as: Float.self).0
    let wideCrop = Preprocessing(randomCrop: (32, 6), horizontalFlip: true, seed: 9).batch(images, indices: Array(0..<6), step: 1, as: Float.self).0
    #expect(padThenCrop.shape == [6, 1, 32, 32] && padThenCrop.storage == wideCrop.storage)
  }

  @Test func batchOrder() {
    let inOrder = BatchOrder(count: 10, batchSize: 4)
    #expect(inOrder.batchCount == 3 && inOrder.indices(ofBatch: 2) == [8, 9])
    #expect(BatchOrder(count: 10, batchSize: 4, dropLast: true).batchCount == 2)
    #expect(BatchOrder(count: 10, batchSize: 4, limit: 6).batchCount == 2)
    let shuffled = BatchOrder(count: 100, batchSize: 10, shuffleSeed: 7)
    #expect(shuffled.order.sorted() == Array(0..<100) && shuffled.order != Array(0..<100))
    #expect(shuffled.order == BatchOrder(count: 100, batchSize: 10, shuffleSeed: 7).order)
  }

  @Test func syntheticData() {
    let images = Synthetic.images(count: 50, seed: 3)
    #expect(images.count == 50 && images.labelCounts == Array(repeating: 5, count: 10))
    guard case .bytes(let pixels) = images.samples else { Issue.record("bytes expected"); return }
    let zeroShare = Double(pixels.filter { $0 == 0 }.count) / Double(pixels.count)
    #expect(zeroShare > 0.7 && zeroShare < 0.85, "\(zeroShare)")  // MNIST: about 0.8
    #expect(Synthetic.images(count: 50, seed: 3).labels == images.labels)
    let blobs = Synthetic.gaussianBlobs(count: 30, classes: 3, shape: [5], seed: 1)
    let (x, labels) = Preprocessing().batch(blobs, indices: Array(0..<30), as: Double.self)
    #expect(x.shape == [30, 5] && labels.prefix(4) == [0, 1, 2, 0])
  }
}

/// The normalisation constants against the data they describe: mean and standard deviation of every
/// training pixel k/255, computed here in binary64 from Debian's Fashion-MNIST files.
@Suite struct NormalizationConstantTests {
  @Test(.enabled(if: Integration.runs(Integration.debianFashionMNIST != nil), Comment(rawValue: Integration.noFashionMNIST)))
  func fashionMNISTConstantsAreItsPixelStatistics() throws {
    let folder = try #require(Integration.debianFashionMNIST, "\(Integration.noFashionMNIST)")
    let train = try LabeledImages.idx(images: folder + "/train-images-idx3-ubyte.gz", labels: folder + "/train-labels-idx1-ubyte.gz")
    guard case .bytes(let pixels) = train.samples else { Issue.record("bytes expected"); return }
    var counts = [Int](repeating: 0, count: 256)
    for p in pixels { counts[Int(p)] += 1 }
    let n = Double(pixels.count)
    let mean = counts.indices.reduce(0.0) { $0 + Double(counts[$1]) * Double($1) / 255 } / n
    let variance = counts.indices.reduce(0.0) { $0 + Double(counts[$1]) * (Double($1) / 255 - mean) * (Double($1) / 255 - mean) } / n
    let constants = Preprocessing.Normalization.fashionMNIST
    #expect(abs(constants.mean[0] - mean) < 5e-5 && abs(constants.std[0] - variance.squareRoot()) < 5e-5, "mean \(mean), std \(variance.squareRoot())")
  }
}
