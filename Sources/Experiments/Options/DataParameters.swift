import Datasets
import Networks

/// Which samples a computation sees and how they become inputs: dataset, batches, order,
/// augmentation, normalisation, shape.
public enum DataParameters {
  /// Datasets by name: the catalog's and `synthetic`.
  public static var names: [String] { DatasetDescriptor.all.map(\.name) + ["synthetic"] }

  public static let data = Parameter.choice("data", names, default: "mnist", help: "Dataset (training set; pixels k/255).")

  public static func batchSize(default value: Int) -> Parameter {
    .integer("batch-size", default: value, minimum: 1, maximum: 1 << 24, help: "Mini-batch size.")
  }

  /// `--batch-size` for a command that takes every row by default (`grad`).
  public static let batchSizeOrAll = Parameter("batch-size", default: "all", help: "Rows per batch (all: every row).") { v in
    if v == "all" { return .success(v) }
    guard let n = Int(v), n >= 1, n <= 1 << 24 else { return .failure(ParameterError("--batch-size: expected all or an integer from 1 to 16777216, got '\(v)'")) }
    return .success("\(n)")
  }

  public static let normalize = Parameter.choice(
    "normalize", ["none", "mnist", "fashion-mnist", "cifar10", "cifar10-common"], default: "none",
    help: "Per-channel normalisation after k/255 (cifar10-common: the widespread wrong std).")

  public static let inputShape = Parameter(
    "input-shape", default: "auto", separator: ";",
    help: "Shape of one sample, c,h,w or n (auto: the dataset's or the file's; synthetic data takes this shape; alternatives separated by ';')."
  ) { v in
    if v == "auto" { return .success(v) }
    // At most 2^20 values per sample (3×591×591, 1×1024×1024): synthetic data holds 10,000 of them.
    guard let s = Parameter.integerList(v), s.count == 1 || s.count == 3, s.allSatisfy({ $0 >= 1 && $0 <= 1 << 16 }),
      s.reduce(1, { $0 * $1 }) <= 1 << 20
    else {
      return .failure(ParameterError("--input-shape: '\(v)' is not auto, c,h,w (like 3,32,32) or n (sizes up to 65536, at most 1048576 values)"))
    }
    return .success(s.map(String.init).joined(separator: ","))
  }

  /// Every data option of a study.
  public static func all(batchSize: Int) -> [Parameter] {
    [
      data, Self.batchSize(default: batchSize),
      .integer("max-batches", default: 0, minimum: 0, help: "Batches per pass (0: one whole pass)."),
      .flag("shuffle", default: false, help: "Seeded shuffle of the training set (per epoch) instead of file order."),
      .flag("augment", default: false, help: "Random crop with padding 4 and horizontal flip (images)."),
      pad, trainSize, normalize, inputShape,
    ]
  }

  /// A fixed subset of the training set: its first N images.
  public static let trainSize = Parameter.integer(
    "train-size", default: 0, minimum: 0,
    help: "Train on the first N images of the training set only, the same subset for every run (0: all of it)."
  ).added(withLegacyValue: "0")

  /// Zero padding on each side of every image (before the crop, if any).
  public static let pad = Parameter.integer(
    "pad", default: 0, minimum: 0, maximum: 64,
    help: "Zero pixels added on each side of every image first (torchvision's Pad: 2 makes 28x28 images 32x32, VGG11's input)."
  ).added(withLegacyValue: "0")

  /// The zero pixels `--pad` adds on each side (0 where the command has no such option).
  static func padding(_ v: [String: String]) -> Int { Int(v["pad"] ?? "0") ?? 0 }

  /// `--data`: the dataset's name (`synthetic` included).
  public static func name(_ v: [String: String]) -> String { v["data"]! }

  /// `--batch-size`: rows per batch, or nil for `all` (`grad`).
  public static func batchSize(_ v: [String: String]) -> Int? { v["batch-size"].flatMap { Int($0) } }

  /// Whether `--input-shape` is left to the data (`auto`).
  public static func inputShapeIsAuto(_ v: [String: String]) -> Bool { (v["input-shape"] ?? "auto") == "auto" }

  /// The shape of one sample as the network takes it: `sampleShape` with `--pad` added.
  public static func inputShape(_ v: [String: String]) -> [Int] {
    let shape = sampleShape(v), pad = padding(v)
    return shape.count == 3 && pad > 0 ? [shape[0], shape[1] + 2 * pad, shape[2] + 2 * pad] : shape
  }

  /// The shape of one sample: `--input-shape`, else the dataset's (synthetic data: what the model takes).
  public static func sampleShape(_ v: [String: String]) -> [Int] {
    if let given = v["input-shape"], given != "auto" { return Parameter.integerList(given)! }
    return DatasetDescriptor.named(v["data"] ?? "").map(\.sampleShape) ?? ModelParameters.syntheticShape(v)
  }

  /// The classes of the dataset (10 for every built-in one and for synthetic data).
  public static let classes = 10

  /// Why the values cannot work together, or nil.
  public static func problem(_ v: [String: String]) -> ParameterError? {
    let shape = sampleShape(v)
    if let given = v["input-shape"], given != "auto", v["data"] != "synthetic" {
      let native = sampleShape(v.merging(["input-shape": "auto"]) { $1 })
      if native != shape { return ParameterError("--input-shape \(given): \(v["data"]!) samples have shape \(native.map(String.init).joined(separator: ","))") }
    }
    if v["augment"] == "true" && shape.count != 3 { return ParameterError("--augment needs image data, not samples of shape \(shape)") }
    if let pad = v["pad"], pad != "0", shape.count != 3 { return ParameterError("--pad needs image data, not samples of shape \(shape)") }
    if let n = v["normalize"], n != "none" {
      let channels = n == "mnist" || n == "fashion-mnist" ? 1 : 3
      if shape.count != 3 || shape[0] != channels { return ParameterError("--normalize \(n) is for \(channels)-channel images, not samples of shape \(shape)") }
    }
    return nil
  }

  public static func preprocessing(_ v: [String: String], seed: UInt64) -> Preprocessing {
    let normalization: Preprocessing.Normalization?
    switch v["normalize"] {
    case "mnist": normalization = .mnist
    case "fashion-mnist": normalization = .fashionMNIST
    case "cifar10": normalization = .cifar10
    case "cifar10-common": normalization = .cifar10Common
    default: normalization = nil
    }
    let augment = v["augment"] == "true"
    let size = inputShape(v).last!
    return Preprocessing(
      normalization: normalization, padding: padding(v), randomCrop: augment ? (size, 4) : nil, horizontalFlip: augment, seed: seed)
  }

  /// The training batches and the test set the values name, for a run whose seed is `seed`.
  static func feed(_ v: [String: String], seed: UInt64, _ data: DataCache) throws -> (BatchFeed, LabeledImages) {
    let sets = try data.load(v["data"]!, syntheticShape: sampleShape(v))
    let maxBatches = Int(v["max-batches"]!)!, trainSize = Int(v["train-size"] ?? "0") ?? 0
    if trainSize > sets.train.count {
      throw ParameterError("--train-size \(trainSize): \(v["data"]!)'s training set has only \(sets.train.count) images")
    }
    let feed = BatchFeed(
      data: trainSize > 0 ? sets.train.prefix(trainSize) : sets.train, preprocessing: preprocessing(v, seed: seed), batchSize: Int(v["batch-size"]!)!,
      shuffleSeed: v["shuffle"] == "true" ? seed : nil, maxBatches: maxBatches > 0 ? maxBatches : nil)
    return (feed, sets.test)
  }
}
