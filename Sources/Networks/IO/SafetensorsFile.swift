import Foundation
import Scalars
import Tensors

/// A safetensors file (https://github.com/huggingface/safetensors): an 8-byte little-endian header
/// length, a JSON header naming each tensor's dtype, shape and byte range, then the data, row-major
/// and little-endian.
///
/// Writing: a tensor whose format fits a safetensors dtype exactly is written in the smallest such
/// dtype (binary16 → F16, bfloat16 → BF16, TF32 and binary32 → F32, E4M3 → F8_E4M3, …); formats no
/// dtype holds (MPFR, fp80, binary128, FP6, FP4) are written as F64 rounded to nearest, and the
/// metadata says so (`precisionlab.rounded_to_f64`). `precisionlab.format` records the format.
public struct SafetensorsFile: Sendable {
  public struct Entry: Sendable {
    public var dtype: SafetensorsDType
    public var shape: [Int]
    public var bytes: [UInt8]
  }

  public var entries: [String: Entry] = [:]
  public var metadata: [String: String] = [:]

  public init() {}

  /// The dtype a format's tensors are written in, and whether that is exact.
  public static func dtype(for format: FloatFormat) -> (SafetensorsDType, exact: Bool) {
    // Every value of `format` is a value of `d`: no more precision, range or finer grid, and
    // infinities only where `d` has them.
    func holds(_ d: FloatFormat) -> Bool {
      guard format.isExponentBounded, format.precision <= d.precision, format.emax <= d.emax,
        format.emin - format.precision + 1 >= d.smallestSubnormalExponent,
        !format.hasInfinities || d.hasInfinities
      else { return false }
      if format.emax == d.emax && format.precision == d.precision {
        return format.largestSignificandDeficit >= d.largestSignificandDeficit
      }
      return true
    }
    for d in [SafetensorsDType.F8_E4M3, .F8_E5M2, .F16, .BF16, .F32, .F64] where holds(d.format!) {
      return (d, true)
    }
    return (.F64, false)
  }

  /// Adds a tensor under `name`.
  public mutating func set<T: PrecisionScalar>(_ name: String, _ tensor: Tensor<T>) {
    let (dtype, exact) = Self.dtype(for: T.format)
    var bytes: [UInt8] = []
    bytes.reserveCapacity(tensor.count * dtype.byteCount)
    for v in tensor.storage { dtype.encode(v.doubleValue, into: &bytes) }
    entries[name] = Entry(dtype: dtype, shape: tensor.shape, bytes: bytes)
    metadata["precisionlab.format"] = T.format.name
    if !exact { metadata["precisionlab.rounded_to_f64"] = "true" }
  }

  /// Adds integer labels as I64.
  public mutating func setLabels(_ name: String, _ labels: [Int]) {
    var bytes: [UInt8] = []
    for l in labels { SafetensorsDType.I64.encode(Double(l), into: &bytes) }
    entries[name] = Entry(dtype: .I64, shape: [labels.count], bytes: bytes)
  }

  /// The tensor `name`, each element converted into `T` (exactly when the dtype's format fits `T`).
  public func tensor<T: PrecisionScalar>(_ name: String, as _: T.Type) throws(SafetensorsError) -> Tensor<T> {
    guard let e = entries[name] else { throw SafetensorsError("no tensor named '\(name)'") }
    let count = e.bytes.count / e.dtype.byteCount  // the shape's product, checked when the file was read
    let values = e.bytes.withUnsafeBytes { raw in (0..<count).map { e.dtype.decode(raw, $0) } }
    return RoundingEnvironment.with(.nearestEven) { Tensor(shape: e.shape, doubles: values) }
  }

  /// Integer labels stored as any integer dtype.
  public func labels(_ name: String) throws(SafetensorsError) -> [Int] {
    guard let e = entries[name] else { throw SafetensorsError("no tensor named '\(name)'") }
    guard e.dtype.format == nil else { throw SafetensorsError("'\(name)' has dtype \(e.dtype.rawValue); labels must be integers") }
    let values = e.bytes.withUnsafeBytes { raw in (0..<(e.bytes.count / e.dtype.byteCount)).map { e.dtype.decode(raw, $0) } }
    // Integer dtypes decode exactly up to 2^53; a label beyond Int's range is named, not trapped on.
    if let bad = values.first(where: { !($0 >= -0x1p63 && $0 < 0x1p63) }) { throw SafetensorsError("'\(name)' holds \(bad), not a label") }
    return values.map { Int($0) }
  }

  // MARK: Files

  public func write(to path: String) throws(SafetensorsError) {
    var header: [String: Any] = [:]
    var offset = 0
    let names = entries.keys.sorted()
    for name in names {
      let e = entries[name]!
      header[name] = ["dtype": e.dtype.rawValue, "shape": e.shape, "data_offsets": [offset, offset + e.bytes.count]]
      offset += e.bytes.count
    }
    if !metadata.isEmpty { header["__metadata__"] = metadata }
    guard var json = try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]) else {
      throw SafetensorsError("\(path): cannot encode the header")
    }
    while json.count % 8 != 0 { json.append(0x20) }  // the format pads the header with spaces
    var data = Data()
    withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
    data.append(json)
    for name in names { data.append(contentsOf: entries[name]!.bytes) }
    let temporary = path + ".partial"
    do {
      try data.write(to: URL(fileURLWithPath: temporary))
      if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
      try FileManager.default.moveItem(atPath: temporary, toPath: path)
    } catch {
      try? FileManager.default.removeItem(atPath: temporary)
      throw SafetensorsError("\(path): cannot write (\(error.localizedDescription))")
    }
  }

  /// The bytes a tensor of `shape` takes, or nil when the product overflows `Int`.
  static func byteCount(_ shape: [Int], _ dtype: SafetensorsDType) -> Int? {
    var n = dtype.byteCount
    for d in shape {
      let (p, overflow) = n.multipliedReportingOverflow(by: d)
      if overflow { return nil }
      n = p
    }
    return n
  }

  public static func read(from path: String) throws(SafetensorsError) -> SafetensorsFile {
    guard let data = FileManager.default.contents(atPath: path) else { throw SafetensorsError("\(path): cannot read the file") }
    guard data.count >= 8 else { throw SafetensorsError("\(path): too short for a safetensors header") }
    let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
    guard headerLength <= UInt64(data.count - 8) else {
      throw SafetensorsError("\(path): header length \(headerLength) exceeds the file size \(data.count)")
    }
    let headerData = data.subdata(in: 8..<(8 + Int(headerLength)))
    guard let header = (try? JSONSerialization.jsonObject(with: headerData)) as? [String: Any] else {
      throw SafetensorsError("\(path): the header is not a JSON object")
    }
    let body = data.subdata(in: (8 + Int(headerLength))..<data.count)
    var file = SafetensorsFile()
    for (name, value) in header {
      if name == "__metadata__" {
        file.metadata = (value as? [String: String]) ?? [:]
        continue
      }
      guard let info = value as? [String: Any], let dtypeName = info["dtype"] as? String,
        let shape = info["shape"] as? [Int], let offsets = info["data_offsets"] as? [Int], offsets.count == 2
      else { throw SafetensorsError("\(path): tensor '\(name)' has a malformed header entry") }
      guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
        throw SafetensorsError("\(path): tensor '\(name)' has unsupported dtype \(dtypeName)")
      }
      guard shape.allSatisfy({ $0 >= 0 }), let bytes = Self.byteCount(shape, dtype) else {
        throw SafetensorsError("\(path): tensor '\(name)' has shape \(shape), too large to hold in memory")
      }
      guard offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= body.count, offsets[1] - offsets[0] == bytes
      else { throw SafetensorsError("\(path): tensor '\(name)' has byte range \(offsets) inconsistent with shape \(shape) and the file") }
      file.entries[name] = Entry(dtype: dtype, shape: shape, bytes: Array(body[offsets[0]..<offsets[1]]))
    }
    return file
  }

  /// The parameters `names` with `shapes` in format `T`; the first missing name or wrong shape is an
  /// error naming it.
  public func parameters<T: PrecisionScalar>(names: [String], shapes: [[Int]], as _: T.Type) throws(SafetensorsError) -> [Tensor<T>] {
    var out: [Tensor<T>] = []
    for (name, shape) in zip(names, shapes) {
      guard let e = entries[name] else {
        throw SafetensorsError("parameter '\(name)' is missing (the file has \(entries.keys.sorted().joined(separator: ", ")))")
      }
      guard e.shape == shape else {
        throw SafetensorsError("parameter '\(name)' has shape \(e.shape) in the file, \(shape) in the model")
      }
      out.append(try tensor(name, as: T.self))
    }
    return out
  }

  /// Exact hexadecimal text of every element (`name index hex` per line), for formats no dtype holds.
  public static func hexDump<T: PrecisionScalar>(_ named: [(String, Tensor<T>)]) -> String {
    named.flatMap { name, t in t.storage.enumerated().map { "\(name) \($0.offset) \($0.element.hexDescription)" } }
      .joined(separator: "\n") + "\n"
  }
}
