/// The numeric arrays of a MATLAB level 5 MAT-file, the format of SVHN's `.mat` files (MATLAB's
/// "MAT-File Format" reference): a 128-byte header, then data elements, each an 8-byte tag (type and
/// size) or a small element (type and size packed in 4 bytes, data in the next 4), padded to 8 bytes;
/// `miCOMPRESSED` elements hold one element compressed with zlib. An `miMATRIX` element holds the
/// array flags (the class), the dimensions, the name and the real part, whose stored type may be
/// narrower than the class (MATLAB stores whole-valued doubles as bytes when that loses nothing).
///
/// Read: real, non-sparse numeric arrays, as bytes (class uint8 stored as uint8) or as doubles (every
/// other numeric class or stored type, each value exact in binary64 for the types up to 32 bits).
/// Other arrays (cells, structures, text, sparse, complex) are skipped. Little-endian files only (what
/// every MATLAB on x86 and ARM writes). Every size is checked against the bytes present and against
/// `limit`, so a corrupt or hostile file is an error naming it, never a trap.
public enum MATFile {
  public enum Values: Sendable, Equatable {
    case bytes([UInt8])
    case doubles([Double])

    public var count: Int {
      switch self {
      case .bytes(let b): b.count
      case .doubles(let d): d.count
      }
    }
  }

  /// One array: its name, its MATLAB dimensions (column-major: the first varies fastest) and values.
  public struct Array: Sendable, Equatable {
    public let name: String
    public let dimensions: [Int]
    public let values: Values

    public init(name: String, dimensions: [Int], values: Values) {
      self.name = name
      self.dimensions = dimensions
      self.values = values
    }
  }

  // Data types of the format (miINT8 … miUTF32) and the array classes read.
  static let miMATRIX: UInt32 = 14, miCOMPRESSED: UInt32 = 15
  static let uint8Class = 9

  /// The numeric arrays of the file's bytes, by name.
  public static func arrays(_ bytes: [UInt8], file: String, limit: Int = Gzip.defaultLimit) throws(DataError) -> [String: Array] {
    guard bytes.count >= 128 else { throw DataError(file: file, "not a MATLAB 5 MAT-file (\(bytes.count) bytes, shorter than its 128-byte header)") }
    guard bytes[126] == UInt8(ascii: "I"), bytes[127] == UInt8(ascii: "M") else {
      if bytes[126] == UInt8(ascii: "M") && bytes[127] == UInt8(ascii: "I") {
        throw DataError(file: file, "a big-endian MAT-file; only little-endian files are read")
      }
      throw DataError(file: file, "not a MATLAB 5 MAT-file (no endian indicator at byte 126; a MATLAB 7.3 file is HDF5: save with -v7)")
    }
    var out: [String: Array] = [:]
    try elements(bytes, from: 128, file: file, limit: limit, depth: 0) { type, data throws(DataError) in
      if type == miMATRIX, let array = try matrix(data, file: file, limit: limit) { out[array.name] = array }
    }
    return out
  }

  /// Calls `body` with each element's type and data in `bytes[start...]`, decompressing compressed ones.
  static func elements(
    _ bytes: [UInt8], from start: Int, file: String, limit: Int, depth: Int, _ body: (UInt32, ArraySlice<UInt8>) throws(DataError) -> Void
  ) throws(DataError) {
    var offset = start
    while offset < bytes.count {
      guard bytes.count - offset >= 8 else { throw DataError(file: file, "truncated: a data element's tag at byte \(offset) is cut off") }
      var type = word(bytes, offset), size = Int(word(bytes, offset + 4))
      let dataStart: Int
      if type >> 16 != 0 {  // small element: size in the upper half of the first word, data in the second
        size = Int(type >> 16)
        type &= 0xFFFF
        guard size <= 4 else { throw DataError(file: file, "a small data element at byte \(offset) claims \(size) bytes (at most 4)") }
        dataStart = offset + 4
      } else {
        dataStart = offset + 8
      }
      guard size <= bytes.count - dataStart else {
        throw DataError(file: file, "truncated: the data element at byte \(offset) claims \(size) bytes, \(bytes.count - dataStart) remain")
      }
      let data = bytes[dataStart..<(dataStart + size)]
      if type == miCOMPRESSED {
        guard depth == 0 else { throw DataError(file: file, "a compressed element inside a compressed element at byte \(offset)") }
        let inner = try Gzip.decompressZlib(Swift.Array(data), file: file, limit: limit)
        try elements(inner, from: 0, file: file, limit: limit, depth: depth + 1, body)
        offset = dataStart + size
      } else {
        try body(type, data)
        offset = dataStart == offset + 4 ? offset + 8 : dataStart + (size + 7) / 8 * 8
      }
    }
  }

  /// A numeric matrix element's array, or nil for the kinds not read.
  static func matrix(_ data: ArraySlice<UInt8>, file: String, limit: Int) throws(DataError) -> Array? {
    var parts: [(UInt32, ArraySlice<UInt8>)] = []
    try elements(Swift.Array(data), from: 0, file: file, limit: limit, depth: 1) { type, part throws(DataError) in parts.append((type, part)) }
    guard parts.count >= 4, parts[0].1.count >= 4 else { return nil }
    let flags = word(Swift.Array(parts[0].1), 0)
    let arrayClass = Int(flags & 0xFF)
    let complex = flags & 0x800 != 0
    guard (6...15).contains(arrayClass), !complex else { return nil }  // numeric classes: double … uint64
    let dimensions = try integers(parts[1].0, parts[1].1, file: file)
    let name = String(decoding: parts[2].1, as: UTF8.self)
    var count = 1
    for d in dimensions {
      guard d >= 0 else { throw DataError(file: file, "array '\(name)' has a negative dimension \(d)") }
      let (p, overflow) = count.multipliedReportingOverflow(by: d)
      guard !overflow, p <= limit else { throw DataError(file: file, "array '\(name)' of dimensions \(dimensions) is larger than \(limit) values") }
      count = p
    }
    let (type, real) = parts[3]
    let values: Values
    if arrayClass == uint8Class && type == 2 {
      values = .bytes(Swift.Array(real))
    } else {
      values = .doubles(try doubles(type, real, file: file, name: name))
    }
    guard values.count == count else {
      throw DataError(file: file, "array '\(name)' has dimensions \(dimensions) (\(count) values) but stores \(values.count)")
    }
    return Array(name: name, dimensions: dimensions, values: values)
  }

  /// The little-endian 32-bit word at `offset`.
  static func word<C: Collection<UInt8>>(_ bytes: C, _ offset: Int) -> UInt32 where C.Index == Int {
    let b = bytes.startIndex + offset
    return UInt32(bytes[b]) | UInt32(bytes[b + 1]) << 8 | UInt32(bytes[b + 2]) << 16 | UInt32(bytes[b + 3]) << 24
  }

  static func integers(_ type: UInt32, _ data: ArraySlice<UInt8>, file: String) throws(DataError) -> [Int] {
    guard type == 5, data.count % 4 == 0 else { throw DataError(file: file, "array dimensions stored as type \(type), not 32-bit integers") }
    return stride(from: 0, to: data.count, by: 4).map { Int(Int32(bitPattern: word(data, $0))) }
  }

  /// The values of a stored numeric type, as doubles.
  static func doubles(_ type: UInt32, _ data: ArraySlice<UInt8>, file: String, name: String) throws(DataError) -> [Double] {
    let widths: [UInt32: Int] = [1: 1, 2: 1, 3: 2, 4: 2, 5: 4, 6: 4, 7: 4, 9: 8, 12: 8, 13: 8]
    guard let width = widths[type] else { throw DataError(file: file, "array '\(name)' stored as type \(type), not a numeric type") }
    guard data.count % width == 0 else { throw DataError(file: file, "array '\(name)': \(data.count) bytes are not whole values of \(width) bytes") }
    let b = Swift.Array(data)
    func u(_ i: Int, _ n: Int) -> UInt64 { (0..<n).reduce(UInt64(0)) { $0 | UInt64(b[i + $1]) << (8 * UInt64($1)) } }
    return stride(from: 0, to: b.count, by: width).map { i -> Double in
      switch type {
      case 1: return Double(Int8(bitPattern: b[i]))
      case 2: return Double(b[i])
      case 3: return Double(Int16(bitPattern: UInt16(u(i, 2))))
      case 4: return Double(UInt16(u(i, 2)))
      case 5: return Double(Int32(bitPattern: UInt32(u(i, 4))))
      case 6: return Double(UInt32(u(i, 4)))
      case 7: return Double(Float(bitPattern: UInt32(u(i, 4))))
      case 9: return Double(bitPattern: u(i, 8))
      case 12: return Double(Int64(bitPattern: u(i, 8)))
      default: return Double(u(i, 8))
      }
    }
  }
}
