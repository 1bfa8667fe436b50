import CZlib

/// gzip decompression with the system's zlib (no external programs).
public enum Gzip {
  /// Whether `bytes` start with the gzip magic number.
  public static func isCompressed(_ bytes: [UInt8]) -> Bool { bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B }

  /// What decompression allows when the caller knows no size: 4 GiB (every dataset file is smaller).
  public static let defaultLimit = 1 << 32

  /// The decompressed bytes of a gzip stream; `file` names it in errors (truncated or corrupt data,
  /// or more than `limit` bytes: decompression stops there, so a small hostile file cannot exhaust memory).
  public static func decompress(_ input: [UInt8], file: String, limit: Int = defaultLimit) throws(DataError) -> [UInt8] {
    try inflateStream(input, file: file, limit: limit, windowBits: 15 + 16, kind: "gzip")
  }

  /// The decompressed bytes of a zlib stream (RFC 1950: what MATLAB's compressed elements hold), with
  /// the same limit and errors as `decompress`.
  public static func decompressZlib(_ input: [UInt8], file: String, limit: Int = defaultLimit) throws(DataError) -> [UInt8] {
    try inflateStream(input, file: file, limit: limit, windowBits: 15, kind: "zlib")
  }

  static func inflateStream(_ input: [UInt8], file: String, limit: Int, windowBits: Int32, kind: String) throws(DataError) -> [UInt8] {
    var stream = z_stream()
    guard inflateInit2_(&stream, windowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
      throw DataError(file: file, "zlib could not start decompressing")
    }
    defer { inflateEnd(&stream) }
    var output: [UInt8] = []
    output.reserveCapacity(min(input.count * 4, limit))
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    var status: Int32 = Z_OK
    input.withUnsafeBufferPointer { source in
      stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
      stream.avail_in = UInt32(source.count)
      repeat {
        chunk.withUnsafeMutableBufferPointer { buffer in
          stream.next_out = buffer.baseAddress
          stream.avail_out = UInt32(buffer.count)
          status = inflate(&stream, Z_NO_FLUSH)
          output.append(contentsOf: buffer[0..<(buffer.count - Int(stream.avail_out))])
        }
      } while status == Z_OK && (stream.avail_in > 0 || stream.avail_out == 0) && output.count <= limit
    }
    guard output.count <= limit else { throw DataError(file: file, "decompresses to more than \(limit) bytes, the most this file may hold") }
    switch status {
    case Z_STREAM_END: return output
    case Z_OK, Z_BUF_ERROR: throw DataError(file: file, "truncated \(kind) data (the stream ends before its end marker)")
    default: throw DataError(file: file, "corrupt \(kind) data (zlib error \(status))")
    }
  }
}
