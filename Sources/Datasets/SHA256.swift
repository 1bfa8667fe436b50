/// SHA-256 (FIPS 180-4), used to verify downloaded and stored data.
public enum SHA256 {
  static let k: [UInt32] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
  ]

  /// The digest as 64 lowercase hexadecimal digits.
  public static func hex(_ bytes: [UInt8]) -> String { hexDigits(digest(bytes)) }

  public static func digest(_ bytes: [UInt8]) -> [UInt8] {
    var h: [UInt32] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
    let message = padded(bytes, bigEndianLength: true)
    // Unsafe buffers keep the compression loop free of bounds checks and reference counting, which
    // matters in debug builds that hash tens of megabytes.
    let w = UnsafeMutablePointer<UInt32>.allocate(capacity: 64)
    let hp = UnsafeMutablePointer<UInt32>.allocate(capacity: 8)
    let kp = UnsafeMutablePointer<UInt32>.allocate(capacity: 64)
    defer { w.deallocate(); hp.deallocate(); kp.deallocate() }
    for i in 0..<8 { hp[i] = h[i] }
    for i in 0..<64 { kp[i] = k[i] }
    message.withUnsafeBufferPointer { buffer in
      let m = buffer.baseAddress!
      var block = 0
      while block < buffer.count {
        for t in 0..<16 {
          let o = block + 4 * t
          w[t] = UInt32(m[o]) << 24 | UInt32(m[o + 1]) << 16 | UInt32(m[o + 2]) << 8 | UInt32(m[o + 3])
        }
        for t in 16..<64 {
          let a = w[t - 15], b = w[t - 2]
          let s0 = (a >> 7 | a << 25) ^ (a >> 18 | a << 14) ^ (a >> 3)
          let s1 = (b >> 17 | b << 15) ^ (b >> 19 | b << 13) ^ (b >> 10)
          w[t] = w[t - 16] &+ s0 &+ w[t - 7] &+ s1
        }
        var a = hp[0], b = hp[1], c = hp[2], d = hp[3], e = hp[4], f = hp[5], g = hp[6], hh = hp[7]
        for t in 0..<64 {
          let s1 = (e >> 6 | e << 26) ^ (e >> 11 | e << 21) ^ (e >> 25 | e << 7)
          let t1 = hh &+ s1 &+ ((e & f) ^ (~e & g)) &+ kp[t] &+ w[t]
          let s0 = (a >> 2 | a << 30) ^ (a >> 13 | a << 19) ^ (a >> 22 | a << 10)
          let t2 = s0 &+ ((a & b) ^ (a & c) ^ (b & c))
          hh = g; g = f; f = e; e = d &+ t1; d = c; c = b; b = a; a = t1 &+ t2
        }
        hp[0] &+= a; hp[1] &+= b; hp[2] &+= c; hp[3] &+= d; hp[4] &+= e; hp[5] &+= f; hp[6] &+= g; hp[7] &+= hh
        block += 64
      }
    }
    for i in 0..<8 { h[i] = hp[i] }
    return h.flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> (24 - 8 * UInt32($0))) } }
  }
}

/// Bytes as lowercase hexadecimal digits, two per byte.
func hexDigits(_ bytes: [UInt8]) -> String { bytes.map { String($0, radix: 16).leftPadded(2) }.joined() }

/// The Merkle–Damgård padding SHA-256 and MD5 share: 0x80, zeros to 56 mod 64 bytes, then the length in
/// bits as 8 bytes (big-endian for SHA-256, little-endian for MD5).
func padded(_ bytes: [UInt8], bigEndianLength: Bool) -> [UInt8] {
  var message = bytes
  let bitLength = UInt64(bytes.count) &* 8
  message.append(0x80)
  while message.count % 64 != 56 { message.append(0) }
  for i in 0..<8 {
    let shift = 8 * UInt64(bigEndianLength ? 7 - i : i)
    message.append(UInt8(truncatingIfNeeded: bitLength >> shift))
  }
  return message
}

extension String {
  func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
