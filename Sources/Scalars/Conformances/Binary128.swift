import CMPFR
import ScalarsSupport

/// IEEE 754 binary128 (quad: p = 113, emax = 16383) on 64-bit integer arithmetic: the C engine of
/// ScalarsSupport's `Binary128Engine.h`, a value type of 16 bytes that allocates nothing.
///
/// Every operation (+ − × ÷ √ fma, conversions from `Double` and `Int`) is correctly rounded in the
/// thread's rounding mode, with subnormals and IEEE 754 overflow, and gives the same bits as the MPFR
/// engine's `Binary128MPFR` in every mode, stochastic rounding included (the same draws from the
/// thread's stream, one per finite non-zero result). `exp`, `log`, decimal text and `hexDescription`
/// go through MPFR (exact conversions both ways).
public struct Binary128: PrecisionScalar {
  /// The interchange encoding.
  public var bits: pl_f128

  @inlinable public init(bits: pl_f128) { self.bits = bits }
  @inlinable public static var format: FloatFormat { .binary128 }
  @inlinable static var mode: Int32 { pl_rounding_get() }

  @inlinable public init(_ value: Double) { bits = pl_f128_from_double(value, Self.mode) }
  @inlinable public init(_ value: Int) { bits = pl_f128_from_int64(Int64(value), Self.mode) }

  /// Correctly rounds decimal or hexadecimal text (see `NumberText`) in the thread's mode.
  public init(text: String) throws(NumberTextError) {
    let number = try MPFRNumber(text: text, FloatFormat.binary128.mpfr, RoundingEnvironment.mode)
    bits = pl_f128_from_mpfr(number.pointer)
    withExtendedLifetime(number) {}
  }

  @inlinable public var doubleValue: Double { pl_f128_to_double(bits) }
  @inlinable var biasedExponent: UInt64 { (bits.hi >> 48) & 0x7fff }
  @inlinable var fractionIsZero: Bool { bits.hi & 0xffff_ffff_ffff == 0 && bits.lo == 0 }
  @inlinable public var isZero: Bool { biasedExponent == 0 && fractionIsZero }
  @inlinable public var isNaN: Bool { biasedExponent == 0x7fff && !fractionIsZero }
  @inlinable public var isFinite: Bool { biasedExponent != 0x7fff }

  public var hexDescription: String {
    withTemporaryMPFR(precision: 113) { t in
      pl_f128_to_mpfr(t, bits)
      return HexFloat.format(mpfr: t)
    }
  }

  @inlinable public static func == (a: Self, b: Self) -> Bool { pl_f128_equal(a.bits, b.bits) != 0 }
  @inlinable public static func < (a: Self, b: Self) -> Bool { pl_f128_less(a.bits, b.bits) != 0 }

  @inlinable public static func + (a: Self, b: Self) -> Self { Self(bits: pl_f128_add(a.bits, b.bits, mode)) }
  @inlinable public static func - (a: Self, b: Self) -> Self { Self(bits: pl_f128_sub(a.bits, b.bits, mode)) }
  @inlinable public static func * (a: Self, b: Self) -> Self { Self(bits: pl_f128_mul(a.bits, b.bits, mode)) }
  @inlinable public static func / (a: Self, b: Self) -> Self { Self(bits: pl_f128_div(a.bits, b.bits, mode)) }
  @inlinable public static prefix func - (x: Self) -> Self {
    Self(bits: pl_f128(lo: x.bits.lo, hi: x.bits.hi ^ (1 << 63)))
  }

  @inlinable public func squareRoot() -> Self { Self(bits: pl_f128_sqrt(bits, Self.mode)) }

  public static func exp(_ x: Self) -> Self { x.viaMPFR { mpfr_exp($0, $1, $2) } }
  public static func log(_ x: Self) -> Self { x.viaMPFR { mpfr_log($0, $1, $2) } }

  /// `f` of this value on the MPFR engine, rounded into binary128 in the thread's mode.
  func viaMPFR(
    _ f: (UnsafeMutablePointer<__mpfr_struct>, UnsafePointer<__mpfr_struct>, mpfr_rnd_t) -> Int32
  ) -> Self {
    withTemporaryMPFR(precision: 113) { t in
      pl_f128_to_mpfr(t, bits)
      let result = MPFRNumber(FloatFormat.binary128.mpfr, RoundingEnvironment.mode) { d, rnd in f(d, t, rnd) }
      return Self(bits: pl_f128_from_mpfr(result.pointer))
    }
  }

  @inlinable public static func multiplyAccumulate(_ acc: inout Self, _ a: Self, _ b: Self) {
    let m = mode
    acc.bits = pl_f128_add(acc.bits, pl_f128_mul(a.bits, b.bits, m), m)
  }
  @inlinable public static func fusedMultiplyAccumulate(_ acc: inout Self, _ a: Self, _ b: Self) {
    acc.bits = pl_f128_fma(a.bits, b.bits, acc.bits, mode)
  }

  @inlinable public static func accumulateProducts(
    _ acc: inout Self, _ x: UnsafePointer<Self>, _ xStride: Int, _ y: UnsafePointer<Self>, _ yStride: Int,
    count: Int, fused: Bool
  ) {
    x.withMemoryRebound(to: pl_f128.self, capacity: max(1, (count - 1) * xStride + 1)) { xp in
      y.withMemoryRebound(to: pl_f128.self, capacity: max(1, (count - 1) * yStride + 1)) { yp in
        pl_f128_accumulate_products(&acc.bits, xp, xStride, yp, yStride, count, fused ? 1 : 0, mode)
      }
    }
  }
}
