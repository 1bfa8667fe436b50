import CZlib
import Foundation

/// gzip-compresses bytes with zlib (to make test files).
func gzipped(_ input: [UInt8]) -> [UInt8] {
  var stream = z_stream()
  precondition(deflateInit2_(&stream, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK)
  defer { deflateEnd(&stream) }
  var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))) + 64)
  var input = input
  input.withUnsafeMutableBufferPointer { source in
    output.withUnsafeMutableBufferPointer { out in
      stream.next_in = source.baseAddress
      stream.avail_in = UInt32(source.count)
      stream.next_out = out.baseAddress
      stream.avail_out = UInt32(out.count)
      precondition(deflate(&stream, Z_FINISH) == Z_STREAM_END)
    }
  }
  return Array(output[0..<Int(stream.total_out)])
}

/// IDX bytes with the given dimensions and elements.
func idxBytes(_ dims: [Int], _ elements: [UInt8], type: UInt8 = 0x08) -> [UInt8] {
  var b: [UInt8] = [0, 0, type, UInt8(dims.count)]
  for d in dims { b += [UInt8(d >> 24 & 0xFF), UInt8(d >> 16 & 0xFF), UInt8(d >> 8 & 0xFF), UInt8(d & 0xFF)] }
  return b + elements
}

func temporaryFile(_ name: String, _ bytes: [UInt8]) -> String {
  let path = FileManager.default.temporaryDirectory.appendingPathComponent("precisionlab-\(UUID().uuidString)-\(name)").path
  FileManager.default.createFile(atPath: path, contents: Data(bytes))
  return path
}

