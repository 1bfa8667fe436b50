/// MD5 (RFC 1321). Not for security: only to compare files with the MD5 checksums datasets' publishers
/// and other projects list (the CIFAR-10 batch files), in addition to a SHA-256; a download is never
/// accepted on an MD5 alone (see `DatasetDescriptor.canVerify`).
public enum MD5 {
  /// Per-round left-rotation amounts.
  static let shifts: [UInt32] = [
    7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
    5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
    4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
    6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
  ]

  /// T[i] = floor(2^32 · |sin(i + 1)|), RFC 1321 section 3.4.
  static let t: [UInt32] = [
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
  ]

  /// The digest as 32 lowercase hexadecimal digits.
  public static func hex(_ bytes: [UInt8]) -> String { hexDigits(digest(bytes)) }

  public static func digest(_ bytes: [UInt8]) -> [UInt8] {
    let message = padded(bytes, bigEndianLength: false)
    var a0: UInt32 = 0x67452301, b0: UInt32 = 0xefcdab89, c0: UInt32 = 0x98badcfe, d0: UInt32 = 0x10325476
    // Unsafe buffers keep the loop free of bounds checks (debug builds hash tens of megabytes).
    let x = UnsafeMutablePointer<UInt32>.allocate(capacity: 16)
    let s = UnsafeMutablePointer<UInt32>.allocate(capacity: 64)
    let k = UnsafeMutablePointer<UInt32>.allocate(capacity: 64)
    defer { x.deallocate(); s.deallocate(); k.deallocate() }
    for i in 0..<64 { s[i] = shifts[i]; k[i] = t[i] }
    message.withUnsafeBufferPointer { buffer in
      let m = buffer.baseAddress!
      var block = 0
      while block < buffer.count {
        for j in 0..<16 {
          let o = block + 4 * j
          x[j] = UInt32(m[o]) | UInt32(m[o + 1]) << 8 | UInt32(m[o + 2]) << 16 | UInt32(m[o + 3]) << 24
        }
        var a = a0, b = b0, c = c0, d = d0
        for i in 0..<64 {
          let f: UInt32
          let g: Int
          switch i >> 4 {
          case 0: f = (b & c) | (~b & d); g = i
          case 1: f = (d & b) | (~d & c); g = (5 * i + 1) & 15
          case 2: f = b ^ c ^ d; g = (3 * i + 5) & 15
          default: f = c ^ (b | ~d); g = (7 * i) & 15
          }
          let sum = a &+ f &+ k[i] &+ x[g]
          a = d; d = c; c = b
          b = b &+ (sum << s[i] | sum >> (32 - s[i]))
        }
        a0 &+= a; b0 &+= b; c0 &+= c; d0 &+= d
        block += 64
      }
    }
    return [a0, b0, c0, d0].flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> (8 * UInt32($0))) } }
  }
}
