import Datasets
import Foundation

/// Datasets loaded once per process and shared by every trial (read-only, one byte per pixel).
/// Synthetic sets are generated deterministically from their shape and a fixed seed, so every trial of
/// a sweep sees the same data; the first use of synthetic data is announced on standard error.
public final class DataCache: @unchecked Sendable {
  public let dataDirectory: String
  private let lock = NSLock()
  private var sets: [String: (train: LabeledImages, test: LabeledImages)] = [:]
  private var announced = false
  /// Where the synthetic-data notice goes (standard error by default; tests may silence it).
  public var announce: @Sendable (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }

  /// Samples in a synthetic training set (its test set has a sixth as many).
  public static let syntheticCount = 10_000

  public init(dataDirectory: String) { self.dataDirectory = dataDirectory }

  /// The training and test sets of `name` (`mnist`, `fashion-mnist`, `cifar10`, or `synthetic` with
  /// images of `shape`: `[1, 28, 28]`, `[3, 32, 32]`, or `[n]` for Gaussian blobs of n features).
  public func load(_ name: String, syntheticShape shape: [Int]) throws(DataError) -> (train: LabeledImages, test: LabeledImages) {
    let key = name == "synthetic" ? "synthetic:\(shape)" : name
    lock.lock()
    defer { lock.unlock() }
    if let cached = sets[key] { return cached }
    let loaded: (train: LabeledImages, test: LabeledImages)
    if name == "synthetic" {
      if !announced {
        announce("precisionlab: using SYNTHETIC data (\(Self.syntheticCount) deterministic samples of shape \(shape)), not a real dataset")
        announced = true
      }
      if shape.count == 3 {
        loaded = (Synthetic.images(count: Self.syntheticCount, classes: 10, shape: shape, seed: 1),
                  Synthetic.images(count: Self.syntheticCount / 6, classes: 10, shape: shape, seed: 2))
      } else {
        loaded = (Synthetic.gaussianBlobs(count: Self.syntheticCount, classes: 10, shape: shape, seed: 1),
                  Synthetic.gaussianBlobs(count: Self.syntheticCount / 6, classes: 10, shape: shape, seed: 2))
      }
    } else {
      guard let descriptor = DatasetDescriptor.named(name) else { throw DataError("unknown dataset '\(name)'") }
      do {
        loaded = try descriptor.load(from: dataDirectory)
      } catch {
        throw DataError("\(error.description) (fetch it with: precisionlab data fetch \(name), or use --data synthetic)")
      }
    }
    sets[key] = loaded
    return loaded
  }
}
