import Foundation

/// The datasets `precisionlab data fetch` knows: where to download them (several mirrors, tried in
/// order) and the SHA-256 of each DECOMPRESSED file, against which every download is verified.
public struct DatasetDescriptor: Sendable {
  public struct File: Sendable {
    /// The name on the mirrors and on disk (gzip-compressed as served, or an archive member).
    public let name: String
    /// SHA-256 of the decompressed content; nil when this build has no verified value.
    public let sha256: String?
    /// MD5 of the decompressed content, where the publisher or other projects list one; checked in
    /// addition to any SHA-256, never enough on its own at download.
    public let md5: String?
    /// The decompressed content's size in bytes, when known: no download or decompression of the
    /// file is allowed to grow past it (a small hostile gzip cannot exhaust memory).
    public let size: Int?
    /// When the exact size is not known: the most bytes the file can have (computed from what it
    /// holds), which caps its download and decompression all the same.
    public let sizeLimit: Int?

    public init(name: String, sha256: String? = nil, md5: String? = nil, size: Int? = nil, sizeLimit: Int? = nil) {
      self.name = name
      self.sha256 = sha256
      self.md5 = md5
      self.size = size
      self.sizeLimit = sizeLimit
    }

    /// The most bytes the content may have: its size, else its size limit.
    public var contentLimit: Int? { size ?? sizeLimit }

    /// The most bytes a download of this file may take: gzip stores incompressible data in blocks
    /// of at most 64 KiB with 5 bytes of framing each, plus its header and trailer.
    public var downloadLimit: Int? { contentLimit.map { $0 + ($0 >> 16 + 1) * 5 + 1024 } }

    /// What this build's checksums say of the file's decompressed content: a mismatch names the
    /// checksum that differs, with both values.
    public func check(_ contents: [UInt8]) -> Check {
      let digest = SHA256.hex(contents)
      if let expected = sha256, digest != expected {
        return .mismatch("SHA-256 of the decompressed file is \(digest), expected \(expected)", sha256: digest)
      }
      if let expected = md5 {
        let md5Digest = MD5.hex(contents)
        if md5Digest != expected { return .mismatch("MD5 of the decompressed file is \(md5Digest), expected \(expected)", sha256: digest) }
      }
      let checked = [sha256 == nil ? nil : "SHA-256", md5 == nil ? nil : "MD5"].compactMap { $0 }
      return checked.isEmpty ? .unverified(sha256: digest) : .verified(checked.joined(separator: " and "), sha256: digest)
    }
  }

  /// The outcome of `File.check`; every case carries the content's SHA-256.
  public enum Check: Equatable, Sendable {
    /// The content matches this build's checksums (named: "SHA-256", "MD5" or "SHA-256 and MD5").
    case verified(String, sha256: String)
    case mismatch(String, sha256: String)
    /// This build has no checksum for the file.
    case unverified(sha256: String)

    public var sha256: String {
      switch self {
      case .verified(_, let d), .mismatch(_, let d), .unverified(let d): d
      }
    }
  }

  public enum Layout: Sendable {
    /// IDX image and label files for training (`train-*`) and test (`t10k-*`).
    case idx
    /// CIFAR binary batches: the files before the last are the training set, the last the test set.
    case cifar
    /// SVHN's MATLAB files: the first is the training set, the second the test set (`LabeledImages.svhn`).
    case svhn
  }

  /// The shape of one sample.
  public var sampleShape: [Int] { layout == .idx ? [1, 28, 28] : [3, 32, 32] }

  public let name: String
  public let files: [File]
  public let mirrors: [String]
  public let classes: Int
  public var layout: Layout
  /// When set, the mirrors serve this gzipped tar archive, and `files` are stored from its members
  /// `memberPrefix + name`.
  public var archive: String?
  /// SHA-256 of that archive as served (every member's bytes follow from it).
  public var archiveSHA256: String?
  public var memberPrefix: String
  /// The archive's size in bytes as served, when known (the download is cut off past it).
  public var archiveSize: Int?
  /// The publisher lists only MD5 checksums, and they are accepted as verification: an MD5 collision
  /// needs both files crafted together, and these files were published before any such attack
  /// (finding a second file with a given MD5, a preimage, remains out of reach).
  public var verifiedByMD5 = false

  public init(name: String, files: [File], mirrors: [String], classes: Int, layout: Layout = .idx,
              archive: String? = nil, archiveSHA256: String? = nil, archiveSize: Int? = nil, memberPrefix: String = "") {
    self.name = name
    self.files = files
    self.mirrors = mirrors
    self.classes = classes
    self.layout = layout
    self.archive = archive
    self.archiveSHA256 = archiveSHA256
    self.archiveSize = archiveSize
    self.memberPrefix = memberPrefix
  }

  /// The most bytes the archive may decompress to: its members' sizes, plus 1 MiB for tar headers,
  /// padding and the small members not stored (nil when a member's size is unknown).
  public var archiveExpandedLimit: Int? {
    let sizes = files.compactMap(\.size)
    return sizes.count == files.count ? sizes.reduce(0, +) + (1 << 20) : nil
  }

  /// Whether a download of `file` can be verified by this build: by the file's SHA-256, or for an
  /// archive by the archive's SHA-256 (an MD5 alone is not enough).
  public func canVerify(_ file: File) -> Bool { file.sha256 != nil || archiveSHA256 != nil || (verifiedByMD5 && file.md5 != nil) }

  /// The four gzipped IDX files of an MNIST-like dataset (training images and labels, then test images
  /// and labels), with the SHA-256 of each decompressed file in that order. Their sizes follow from the
  /// IDX layout: a 16-byte header and 60,000 or 10,000 images of 28×28 bytes; an 8-byte header and one
  /// byte per label.
  static func idxFiles(sha256: [String]) -> [File] {
    let files = [("train-images-idx3-ubyte.gz", 16 + 60_000 * 28 * 28), ("train-labels-idx1-ubyte.gz", 8 + 60_000),
                 ("t10k-images-idx3-ubyte.gz", 16 + 10_000 * 28 * 28), ("t10k-labels-idx1-ubyte.gz", 8 + 10_000)]
    return zip(files, sha256).map { File(name: $0.0, sha256: $1, size: $0.1) }
  }

  /// MNIST, with the checksums of the original IDX files.
  public static let mnist = DatasetDescriptor(
    name: "mnist",
    files: idxFiles(sha256: [
      "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
      "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
      "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
      "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    ]),
    mirrors: [
      "https://ossci-datasets.s3.amazonaws.com/mnist/",
      "https://storage.googleapis.com/cvdf-datasets/mnist/",
      "http://yann.lecun.com/exdb/mnist/",
    ],
    classes: 10)

  /// Fashion-MNIST (same IDX layout). The checksums are of the decompressed IDX files (mirrors
  /// compress them differently: Debian's `dataset-fashion-mnist` package recompressed them); they were
  /// computed from that package's files and agree with the values several independent public
  /// projects list. The first mirror is that package's folder, used when it is installed.
  public static let fashionMNIST = DatasetDescriptor(
    name: "fashion-mnist",
    files: idxFiles(sha256: [
      "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
      "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
      "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
      "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    ]),
    mirrors: [
      "file:///usr/share/datasets/fashion-mnist/",
      "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
      "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    ],
    classes: 10)

  /// CIFAR-10 (binary version), one gzipped tar archive of 170,052,171 bytes. Checked: the archive's
  /// SHA-256 (the value several independent public projects list, for the file whose MD5 is the one
  /// on the publisher's page), then each extracted batch's SHA-256 (as an independent project lists
  /// them; the test batch's also matches a second, independent record) and MD5 (as three further
  /// projects list them).
  /// A CIFAR binary batch: 10,000 records of a label byte and 3×32×32 pixel bytes.
  static let batchSize = 10_000 * (1 + 3 * 32 * 32)

  public static let cifar10 = DatasetDescriptor(
    name: "cifar10",
    files: [
      File(name: "data_batch_1.bin", sha256: "cee916563c9f80d84e3cc88e17fdc0941787f1244f00a67874d45b261883ada5", md5: "5dd7e06a14cb22eb9f671a540d1b7c25", size: batchSize),
      File(name: "data_batch_2.bin", sha256: "a591ca11fa1708a91ee40f54b3da4784ccd871ecf2137de63f51ada8b3fa57ed", md5: "5ea93a67294ea407fff1d09f752e9692", size: batchSize),
      File(name: "data_batch_3.bin", sha256: "bbe8596564c0f86427f876058170b84dac6670ddf06d79402899d93ceea26f67", md5: "942cd6a4bcdd0dd3c604fbe906cb4421", size: batchSize),
      File(name: "data_batch_4.bin", sha256: "014e562d6e23c72197cc727519169a60359f5eccd8945ad5a09d710285ff4e48", md5: "ae636b3ba5c66a11e91e8cb52e771fcb", size: batchSize),
      File(name: "data_batch_5.bin", sha256: "755304fc0b379caeae8c14f0dac912fbc7d6cd469eb67a1029a08a39453a9add", md5: "53f37980c15c3d472c316c40844f3f0d", size: batchSize),
      File(name: "test_batch.bin", sha256: "8e2eb146ae340b09e24670f29cabc6326dba54da8789dab6768acf480273f65b", md5: "803d5f7f4d78ea53de84dbe85f74fb6d", size: batchSize),
    ],
    mirrors: ["https://www.cs.toronto.edu/~kriz/"],
    classes: 10, layout: .cifar, archive: "cifar-10-binary.tar.gz",
    archiveSHA256: "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd", archiveSize: 170_052_171,
    memberPrefix: "cifar-10-batches-bin/")

  /// SVHN (Street View House Numbers, the cropped-digits version): three MATLAB 5 files, as the
  /// publisher serves them (uncompressed files of compressed MATLAB elements), with the MD5 checksums
  /// torchvision and other projects list for them: train (73,257 digits), test (26,032) and extra
  /// (531,131; the paper trains its SVHN VGG on it). `data fetch svhn` downloads all three. Their
  /// exact sizes are not published; each is capped by what its arrays can take (`svhnLimit`).
  public static let svhn: DatasetDescriptor = {
    var d = DatasetDescriptor(
      name: "svhn",
      files: [
        File(name: "train_32x32.mat", md5: "e26dedcc434d2e4c54c9b2d4a06d8373", sizeLimit: svhnLimit(images: 73_257)),
        File(name: "test_32x32.mat", md5: "eb5a983be6a315427106f1b164d9cef3", sizeLimit: svhnLimit(images: 26_032)),
        File(name: "extra_32x32.mat", md5: "a93ce644f1a588dc4d68dda5feec44a7", sizeLimit: svhnLimit(images: 531_131)),
      ],
      mirrors: ["http://ufldl.stanford.edu/housenumbers/"],
      classes: 10, layout: .svhn)
    d.verifiedByMD5 = true
    return d
  }()

  /// The most bytes an SVHN file of `images` digits can have: its arrays stored uncompressed (3,072
  /// pixel bytes and an 8-byte label per image), a thousandth more for zlib's framing when a
  /// compressed element does not shrink, and 1 MiB for the header and element tags.
  static func svhnLimit(images: Int) -> Int {
    let raw = images * (32 * 32 * 3 + 8)
    return raw + raw / 1000 + (1 << 20)
  }

  public static let all: [DatasetDescriptor] = [mnist, fashionMNIST, cifar10, svhn]

  public static func named(_ name: String) -> DatasetDescriptor? { all.first { $0.name == name } }

  /// The dataset's folder inside a data directory.
  public func directory(in dataDirectory: String) -> String { (dataDirectory as NSString).appendingPathComponent(name) }

  /// Training and test sets from a data directory.
  public func load(from dataDirectory: String) throws(DataError) -> (train: LabeledImages, test: LabeledImages) {
    let d = directory(in: dataDirectory)
    if layout == .svhn {
      return (try LabeledImages.svhn(d + "/" + files[0].name, name: name), try LabeledImages.svhn(d + "/" + files[1].name, name: name))
    }
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
