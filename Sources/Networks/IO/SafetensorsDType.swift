import Scalars

/// Element types of the safetensors format that PrecisionLab reads and writes.
public enum SafetensorsDType: String, Sendable, CaseIterable {
  case F16, BF16, F32, F64, F8_E4M3, F8_E5M2, I64, I32, U8

  public var byteCount: Int {
    switch self {
    case .F8_E4M3, .F8_E5M2, .U8: return 1
    case .F16, .BF16: return 2
    case .F32, .I32: return 4
    case .F64, .I64: return 8
    }
  }

  /// The floating-point format whose values this dtype encodes (nil for integers).
  public var format: FloatFormat? {
    switch self {
    case .F16: return .binary16
    case .BF16: return .bfloat16
    case .F32: return .binary32
    case .F64: return .binary64
    case .F8_E4M3: return .e4m3
    case .F8_E5M2: return .e5m2
    default: return nil
    }
  }

  /// The element's value (exact), from its little-endian bytes.
  func decode(_ bytes: UnsafeRawBufferPointer, _ i: Int) -> Double {
    let o = i * byteCount
    func le<U: FixedWidthInteger>(_: U.Type) -> U { U(littleEndian: bytes.loadUnaligned(fromByteOffset: o, as: U.self)) }
    switch self {
    case .F16: return Double(Float16(bitPattern: le(UInt16.self)))
    case .BF16: return Double(Float(bitPattern: UInt32(le(UInt16.self)) << 16))
    case .F32: return Double(Float(bitPattern: le(UInt32.self)))
    case .F64: return Double(bitPattern: le(UInt64.self))
    case .F8_E5M2: return Double(Float16(bitPattern: UInt16(bytes[o]) << 8))
    case .F8_E4M3:
      let b = bytes[o]
      let sign: Double = b & 0x80 == 0 ? 1 : -1
      let e = Int((b >> 3) & 0xF), m = Double(b & 0x7)
      if e == 15 && b & 0x7 == 7 { return .nan }
      return sign * (e == 0 ? m * 0x1p-9 : (1 + m / 8) * Double(sign: .plus, exponent: e - 7, significand: 1))
    case .I64: return Double(Int64(bitPattern: le(UInt64.self)))
    case .I32: return Double(Int32(bitPattern: le(UInt32.self)))
    case .U8: return Double(bytes[o])
    }
  }

  /// Appends the encoding of `v`, which must be a value of this dtype's format (or NaN).
  func encode(_ v: Double, into data: inout [UInt8]) {
    func put<U: FixedWidthInteger>(_ x: U) { withUnsafeBytes(of: x.littleEndian) { data.append(contentsOf: $0) } }
    switch self {
    case .F16: put(Float16(v).bitPattern)
    case .BF16: put(UInt16(truncatingIfNeeded: Float(v).bitPattern >> 16))
    case .F32: put(Float(v).bitPattern)
    case .F64: put(v.bitPattern)
    case .F8_E5M2: data.append(UInt8(truncatingIfNeeded: Float16(v).bitPattern >> 8))
    case .F8_E4M3:
      if v.isNaN { data.append(0x7F); return }
      let sign: UInt8 = v.sign == .minus ? 0x80 : 0
      let a = v.magnitude
      if a < 0x1p-6 {
        data.append(sign | UInt8(a / 0x1p-9))
      } else {
        data.append(sign | UInt8(a.exponent + 7) << 3 | UInt8((a.significand - 1) * 8))
      }
    case .I64: put(Int64(v))
    case .I32: put(Int32(v))
    case .U8: data.append(UInt8(v))
    }
  }
}
