/// The IDX format of MNIST, Fashion-MNIST, KMNIST and EMNIST: two zero bytes, an element-type byte,
/// the number of dimensions, the dimensions as big-endian 32-bit integers, then the elements.
/// Only unsigned bytes (type 0x08) occur in those datasets and only they are read.
public struct IDXArray: Sendable {
  public let dimensions: [Int]
  /// The elements, row-major.
  public let elements: [UInt8]

  /// Parses raw or gzip-compressed IDX bytes; `file` names the file in errors.
  public init(bytes input: [UInt8], file: String) throws(DataError) {
    let bytes = Gzip.isCompressed(input) ? try Gzip.decompress(input, file: file) : input
    guard bytes.count >= 4, bytes[0] == 0, bytes[1] == 0 else {
      throw DataError(file: file, "not an IDX file (wrong magic number \(bytes.prefix(4).map { String($0, radix: 16).leftPadded(2) }.joined()))")
    }
    guard bytes[2] == 0x08 else {
      throw DataError(file: file, "IDX element type 0x\(String(bytes[2], radix: 16)) is not supported (only unsigned bytes, 0x08)")
    }
    let rank = Int(bytes[3])
    guard rank >= 1, bytes.count >= 4 + 4 * rank else { throw DataError(file: file, "IDX header truncated (\(rank) dimensions announced)") }
    var dims: [Int] = []
    for d in 0..<rank {
      let o = 4 + 4 * d
      dims.append(Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3]))
    }
    let actual = bytes.count - 4 - 4 * rank
    var expected = 1
    for d in dims {
      let (p, overflow) = expected.multipliedReportingOverflow(by: d)
      guard !overflow else {
        throw DataError(file: file, "IDX header announces \(dims.map(String.init).joined(separator: "x")) bytes of data, more than any file holds; the file has \(actual)")
      }
      expected = p
    }
    guard expected == actual else {
      throw DataError(file: file, "IDX header announces \(dims.map(String.init).joined(separator: "x")) = \(expected) bytes of data, the file has \(actual)")
    }
    dimensions = dims
    elements = Array(bytes[(4 + 4 * rank)...])
  }
}
