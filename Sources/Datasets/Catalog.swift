import Foundation

/// The datasets `precisionlab data fetch` knows: where to download them (several mirrors, tried in
/// order) and the SHA-256 of each DECOMPRESSED file, against which every download is verified.
public struct DatasetDescriptor: Sendable {
  public struct File: Sendable {
    /// The name on the mirrors and on disk (gzip-compressed as served).
    public let name: String
    /// SHA-256 of the decompressed content; nil when this build has no verified value.
    public let sha256: String?
  }

  public enum Layout: Sendable {
    /// IDX image and label files for training (`train-*`) and test (`t10k-*`).
    case idx
    /// CIFAR binary batches: the files before the last are the training set, the last the test set.
    case cifar
  }

  public let name: String
  public let files: [File]
  public let mirrors: [String]
  public let classes: Int
  public var layout: Layout = .idx
  /// When set, the mirrors serve this gzipped tar archive, and `files` are stored from its members
  /// `memberPrefix + name`.
  public var archive: String? = nil
  public var memberPrefix = ""

  /// MNIST, with the checksums of the original IDX files.
  public static let mnist = DatasetDescriptor(
    name: "mnist",
    files: [
      File(name: "train-images-idx3-ubyte.gz", sha256: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
      File(name: "train-labels-idx1-ubyte.gz", sha256: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
      File(name: "t10k-images-idx3-ubyte.gz", sha256: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
      File(name: "t10k-labels-idx1-ubyte.gz", sha256: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
    ],
    mirrors: [
      "https://ossci-datasets.s3.amazonaws.com/mnist/",
      "https://storage.googleapis.com/cvdf-datasets/mnist/",
      "http://yann.lecun.com/exdb/mnist/",
    ],
    classes: 10)

  /// Fashion-MNIST (same IDX layout). This build has no verified checksums for it yet: fetching it
  /// needs `--allow-unverified`, and prints the checksums it computed.
  public static let fashionMNIST = DatasetDescriptor(
    name: "fashion-mnist",
    files: ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
      .map { File(name: $0, sha256: nil) },
    mirrors: ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"],
    classes: 10)

  /// CIFAR-10 (binary version), one gzipped tar archive. No verified checksums in this build yet.
  public static let cifar10 = DatasetDescriptor(
    name: "cifar10",
    files: ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"]
      .map { File(name: $0, sha256: nil) },
    mirrors: ["https://www.cs.toronto.edu/~kriz/"],
    classes: 10, layout: .cifar, archive: "cifar-10-binary.tar.gz", memberPrefix: "cifar-10-batches-bin/")

  public static let all: [DatasetDescriptor] = [mnist, fashionMNIST, cifar10]

  public static func named(_ name: String) -> DatasetDescriptor? { all.first { $0.name == name } }

  /// The dataset's folder inside a data directory.
  public func directory(in dataDirectory: String) -> String { (dataDirectory as NSString).appendingPathComponent(name) }

  /// Training and test sets from a data directory.
  public func load(from dataDirectory: String) throws(DataError) -> (train: LabeledImages, test: LabeledImages) {
    let d = directory(in: dataDirectory)
    if layout == .cifar {
      let paths = files.map { d + "/" + $0.name }
      return (try LabeledImages.cifar(batches: Array(paths.dropLast()), classes: classes, name: name),
              try LabeledImages.cifar(batches: [paths.last!], classes: classes, name: name))
    }
    let train = try LabeledImages.idx(images: d + "/train-images-idx3-ubyte.gz", labels: d + "/train-labels-idx1-ubyte.gz", classes: classes, name: name)
    let test = try LabeledImages.idx(images: d + "/t10k-images-idx3-ubyte.gz", labels: d + "/t10k-labels-idx1-ubyte.gz", classes: classes, name: name)
    return (train, test)
  }
}

/// Where data lives: `--data-dir`, else `$PRECISIONLAB_DATA`, else `./data`.
public func resolveDataDirectory(_ option: String?) -> String {
  option ?? ProcessInfo.processInfo.environment["PRECISIONLAB_DATA"] ?? "data"
}
