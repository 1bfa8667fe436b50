import Foundation

/// A labelled dataset held compactly: image bytes (0…255, as stored by MNIST and CIFAR) or real values
/// (synthetic blobs), one label per sample. Memory is proportional to the data: one byte per pixel.
public struct LabeledImages: Sendable {
  public enum Samples: Sendable {
    /// Pixel bytes k; `ToTensor` maps them to k/255.
    case bytes([UInt8])
    /// Real-valued features.
    case values([Double])
  }

  public let name: String
  /// Shape of one sample: `[channels, height, width]` for images, `[features]` otherwise.
  public let sampleShape: [Int]
  public let samples: Samples
  public let labels: [Int]
  public let classes: Int

  public var count: Int { labels.count }
  public var sampleSize: Int { sampleShape.reduce(1, *) }

  /// Checks that sizes and labels agree; `file` names the data in errors.
  public init(name: String, sampleShape: [Int], samples: Samples, labels: [Int], classes: Int, file: String) throws(DataError) {
    let size = sampleShape.reduce(1, *)
    let total: Int
    switch samples {
    case .bytes(let b): total = b.count
    case .values(let v): total = v.count
    }
    guard size > 0, total == size * labels.count else {
      throw DataError(file: file, "\(total / max(size, 1)) samples but \(labels.count) labels (images and labels differ in length)")
    }
    if let bad = labels.firstIndex(where: { $0 < 0 || $0 >= classes }) {
      throw DataError(file: file, "label \(labels[bad]) at index \(bad) is outside 0..<\(classes)")
    }
    self.name = name
    self.sampleShape = sampleShape
    self.samples = samples
    self.labels = labels
    self.classes = classes
  }

  static func read(_ path: String) throws(DataError) -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw DataError(file: path, FileManager.default.fileExists(atPath: path) ? "cannot be read" : "does not exist")
    }
    return [UInt8](data)
  }

  /// An IDX image file (`[N, H, W]`) with its IDX label file (`[N]`), raw or gzipped.
  public static func idx(images: String, labels: String, classes: Int = 10, name: String = "idx") throws(DataError) -> LabeledImages {
    let imageArray = try IDXArray(bytes: try read(images), file: images)
    guard imageArray.dimensions.count == 3 else {
      throw DataError(file: images, "expected images [N, height, width], the IDX header says \(imageArray.dimensions)")
    }
    let labelArray = try IDXArray(bytes: try read(labels), file: labels)
    guard labelArray.dimensions.count == 1 else {
      throw DataError(file: labels, "expected labels [N], the IDX header says \(labelArray.dimensions)")
    }
    guard imageArray.dimensions[0] == labelArray.dimensions[0] else {
      throw DataError(file: labels, "\(labelArray.dimensions[0]) labels for \(imageArray.dimensions[0]) images in \(images)")
    }
    return try LabeledImages(
      name: name, sampleShape: [1, imageArray.dimensions[1], imageArray.dimensions[2]], samples: .bytes(imageArray.elements),
      labels: labelArray.elements.map(Int.init), classes: classes, file: labels)
  }

  /// CIFAR-10 (`classes: 10`: a label byte then 3072 pixel bytes per record) or CIFAR-100 (`classes:
  /// 100`: coarse and fine label bytes, the fine label used) binary batch files, in order.
  public static func cifar(batches: [String], classes: Int = 10, name: String = "cifar") throws(DataError) -> LabeledImages {
    precondition(classes == 10 || classes == 100, "CIFAR has 10 or 100 classes")
    let labelBytes = classes == 10 ? 1 : 2
    let record = labelBytes + 3072
    var pixels: [UInt8] = []
    var labels: [Int] = []
    for path in batches {
      let bytes = try read(path)
      guard !bytes.isEmpty, bytes.count % record == 0 else {
        throw DataError(file: path, "\(bytes.count) bytes is not a whole number of \(record)-byte CIFAR-\(classes) records")
      }
      pixels.reserveCapacity(pixels.count + bytes.count / record * 3072)
      for r in stride(from: 0, to: bytes.count, by: record) {
        labels.append(Int(bytes[r + labelBytes - 1]))
        pixels.append(contentsOf: bytes[(r + labelBytes)..<(r + record)])
      }
      if let bad = labels.firstIndex(where: { $0 >= classes }) {
        throw DataError(file: path, "label \(labels[bad]) at record \(bad) is outside 0..<\(classes)")
      }
    }
    return try LabeledImages(name: name, sampleShape: [3, 32, 32], samples: .bytes(pixels), labels: labels, classes: classes, file: batches.first ?? name)
  }

  /// The first `n` samples.
  public func prefix(_ n: Int) -> LabeledImages {
    let k = min(n, count)
    let s: Samples
    switch samples {
    case .bytes(let b): s = .bytes(Array(b[0..<(k * sampleSize)]))
    case .values(let v): s = .values(Array(v[0..<(k * sampleSize)]))
    }
    return try! LabeledImages(name: name, sampleShape: sampleShape, samples: s, labels: Array(labels[0..<k]), classes: classes, file: name)
  }

  /// How many samples carry each label.
  public var labelCounts: [Int] {
    var counts = [Int](repeating: 0, count: classes)
    for l in labels { counts[l] += 1 }
    return counts
  }
}
