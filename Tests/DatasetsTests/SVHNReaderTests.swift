import Datasets
import Foundation
import Testing

/// The MATLAB 5 reader and SVHN's layout, on synthetic files written here the way MATLAB writes
/// them: a compressed `X` (zlib, stored deflate blocks) of 32×32×3×N bytes and an uncompressed `y`
/// of class double stored as bytes, its name a small data element.
@Suite struct SVHNReaderTests {
  static func u32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
  static func padded(_ b: [UInt8]) -> [UInt8] { b + [UInt8](repeating: 0, count: (8 - b.count % 8) % 8) }
  /// A data element: tag and data, or the small format for at most 4 bytes.
  static func element(_ type: UInt32, _ data: [UInt8]) -> [UInt8] {
    if data.count <= 4 { return u32(UInt32(data.count) << 16 | type) + data + [UInt8](repeating: 0, count: 4 - data.count) }
    return u32(type) + u32(UInt32(data.count)) + padded(data)
  }
  static func matrix(name: String, arrayClass: UInt32, dimensions: [Int32], storedType: UInt32, values: [UInt8]) -> [UInt8] {
    let body = element(6, u32(arrayClass) + u32(0)) + element(5, dimensions.flatMap { u32(UInt32(bitPattern: $0)) })
      + element(1, Array(name.utf8)) + element(storedType, values)
    return element(14, body)
  }
  /// A zlib stream of stored (uncompressed) deflate blocks, with its Adler-32.
  static func zlibStored(_ data: [UInt8]) -> [UInt8] {
    var out: [UInt8] = [0x78, 0x01]
    var chunks = stride(from: 0, to: data.count, by: 65535).map { Array(data[$0..<min($0 + 65535, data.count)]) }
    if chunks.isEmpty { chunks = [[]] }
    for (i, chunk) in chunks.enumerated() {
      let n = UInt16(chunk.count)
      out += [i == chunks.count - 1 ? 1 : 0, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8(~n >> 8)] + chunk
    }
    var a: UInt32 = 1, b: UInt32 = 0
    for byte in data { a = (a + UInt32(byte)) % 65521; b = (b + a) % 65521 }
    let adler = b << 16 | a
    return out + [UInt8(adler >> 24), UInt8(adler >> 16 & 0xFF), UInt8(adler >> 8 & 0xFF), UInt8(adler & 0xFF)]
  }
  static func header(_ endian: String = "IM") -> [UInt8] {
    let text = Array("MATLAB 5.0 MAT-file, written by the PrecisionLab tests".utf8)
    return text + [UInt8](repeating: 0x20, count: 116 - text.count) + [UInt8](repeating: 0, count: 8) + [0x00, 0x01] + Array(endian.utf8)
  }
  static let images = 2
  static func pixel(_ i: Int) -> UInt8 { UInt8(truncatingIfNeeded: i &* 2654435761 >> 7) }
  static func file(labels: [UInt8] = [10, 3], endian: String = "IM") -> [UInt8] {
    let x = matrix(name: "X", arrayClass: 9, dimensions: [32, 32, 3, Int32(images)], storedType: 2, values: (0..<(3072 * images)).map(pixel))
    let y = matrix(name: "y", arrayClass: 6, dimensions: [Int32(labels.count), 1], storedType: 2, values: labels)
    let compressed = zlibStored(x)
    return header(endian) + u32(15) + u32(UInt32(compressed.count)) + compressed + y
  }
  static func write(_ bytes: [UInt8]) -> String {
    let path = NSTemporaryDirectory() + "svhn-\(UUID().uuidString).mat"
    FileManager.default.createFile(atPath: path, contents: Data(bytes))
    return path
  }

  @Test func readsSVHNLayoutAndLabels() throws {
    let path = Self.write(Self.file())
    defer { try? FileManager.default.removeItem(atPath: path) }
    let set = try LabeledImages.svhn(path)
    #expect(set.count == 2 && set.sampleShape == [3, 32, 32] && set.labels == [0, 3])  // 10 is the digit 0
    guard case .bytes(let samples) = set.samples else { Issue.record("not bytes"); return }
    // Image 1, channel 2, row 5, column 7 is X(5, 7, 2, 1) in MATLAB's column-major order.
    #expect(samples[1 * 3072 + 2 * 1024 + 5 * 32 + 7] == Self.pixel(5 + 32 * 7 + 1024 * 2 + 3072 * 1))
    #expect(samples[0] == Self.pixel(0) && samples[1] == Self.pixel(32))  // along a row is across MATLAB's columns
    let arrays = try MATFile.arrays([UInt8](FileManager.default.contents(atPath: path)!), file: path)
    #expect(arrays["y"] == MATFile.Array(name: "y", dimensions: [2, 1], values: .doubles([10, 3])))
  }

  @Test func badFilesAreOneLineErrors() throws {
    func message(_ bytes: [UInt8]) -> String {
      let path = Self.write(bytes)
      defer { try? FileManager.default.removeItem(atPath: path) }
      do { _ = try LabeledImages.svhn(path); return "accepted" } catch { return error.description }
    }
    let good = Self.file()
    #expect(message(Array(good.prefix(100))).contains("shorter than its 128-byte header"))
    #expect(message(Self.file(endian: "MI")).contains("big-endian"))
    #expect(message(Array(good.prefix(good.count - 3))).contains("truncated"))
    var corrupt = good
    corrupt[128 + 8] = 0x00  // the zlib header
    #expect(message(corrupt).contains("corrupt zlib data"))
    #expect(message(Self.file(labels: [11, 3])).contains("label 11.0 of image 0 is not one of 1…10"))
    #expect(message(Self.file(labels: [1, 2, 3])).contains("'y' holds 3 labels for 2 images"))
    #expect(message(Self.header()).contains("no arrays 'X' and 'y'"))
  }

  @Test func catalogEntry() {
    let d = DatasetDescriptor.svhn
    #expect(d.files.map(\.name) == ["train_32x32.mat", "test_32x32.mat", "extra_32x32.mat"] && d.sampleShape == [3, 32, 32])
    #expect(d.files.allSatisfy { d.canVerify($0) && $0.md5?.count == 32 })
  }
}
