import CMPFR
import ScalarsSupport

/// An emulated format of the binary64 engine (p ≤ 51, exponents within ±300): bfloat16, binary16,
/// TF32, binary32, OCP FP8 E4M3/E5M2, MX FP6/FP4, `ieee:P:EMAX` formats up to 51 bits, or your own
/// `FormatSpecification`.
///
/// The value is held exactly in a `Double`; every operation is correctly rounded in the thread's
/// rounding mode (see `SmallFormatArithmetic` for how). `exp` and `log` are computed by MPFR rounded
/// to odd at 53 bits and then rounded once, so they are correctly rounded too.
@frozen public struct SmallFloat<Spec: FormatSpecification>: PrecisionScalar, Hashable {
  /// The value, exactly (always a member of the format, or NaN).
  public let value: Double

  /// Wraps a binary64 that is already a value of the format (not checked).
  @inlinable public init(exactly value: Double) { self.value = value }

  @inlinable public static var format: FloatFormat { Spec.format }
  /// Always: the binary64 engine holds only formats whose values are binary64 values.
  @inlinable public static var valuesAreBinary64: Bool { true }

  @inlinable @inline(__always) static var constants: SmallFormatConstants {
    let c = Spec.smallConstants
    precondition(c.isUsable, "SmallFloat needs a format with p ≤ 51 and exponents within ±300")
    return c
  }

  @inlinable @inline(__always) static var mode: RoundingMode { RoundingEnvironment.mode }

  @inlinable public init(_ value: Double) {
    self.value = SmallFormatArithmetic.fromDouble(value, Self.mode, Self.constants)
  }

  @inlinable public init(_ value: Int) {
    self.value = SmallFormatArithmetic.fromInt(value, Self.mode, Self.constants)
  }

  /// Correctly rounds decimal or hexadecimal text (see `NumberText`).
  public init(text: String) throws(NumberTextError) {
    let odd = try NumberText.roundedToOdd53(text)
    self.value = SmallFormatArithmetic.round(odd, 0, Self.mode, Self.constants)
  }

  @inlinable public var doubleValue: Double { value }
  public var hexDescription: String { HexFloat.format(value) }
  @inlinable public var isZero: Bool { value == 0 }
  @inlinable public var isNaN: Bool { value.isNaN }
  @inlinable public var isFinite: Bool { value.isFinite }

  @inlinable public static func < (a: Self, b: Self) -> Bool { a.value < b.value }
  @inlinable public static func == (a: Self, b: Self) -> Bool { a.value == b.value }

  // Each operator tests for the fast case (round to nearest even, p ≤ 25, or p ≤ 26 for ×: one
  // binary64 operation and one bit-level rounding, inlined with the format's constants folded) and
  // otherwise calls the exact engine out of line.
  @inlinable @inline(__always) public static func + (a: Self, b: Self) -> Self {
    let c = constants
    if c.fastNearest && RoundingEnvironment.isNearestEven {
      return Self(exactly: SmallFormatArithmetic.roundNearestEven(a.value + b.value, c))
    }
    return exactAdd(a.value, b.value)
  }
  @inlinable @inline(__always) public static func - (a: Self, b: Self) -> Self {
    let c = constants
    if c.fastNearest && RoundingEnvironment.isNearestEven {
      return Self(exactly: SmallFormatArithmetic.roundNearestEven(a.value - b.value, c))
    }
    return exactAdd(a.value, -b.value)
  }
  @inlinable @inline(__always) public static func * (a: Self, b: Self) -> Self {
    let c = constants
    if c.precision <= 26 && RoundingEnvironment.isNearestEven {
      return Self(exactly: SmallFormatArithmetic.roundNearestEven(a.value * b.value, c))  // exact product
    }
    return Self(exactly: SmallFormatArithmetic.multiply(a.value, b.value, mode, c))
  }
  @inlinable @inline(__always) public static func / (a: Self, b: Self) -> Self {
    let c = constants
    if c.fastNearest && RoundingEnvironment.isNearestEven {
      return Self(exactly: SmallFormatArithmetic.roundNearestEven(a.value / b.value, c))
    }
    return exactDivide(a.value, b.value)
  }

  @inlinable @inline(never) static func exactAdd(_ a: Double, _ b: Double) -> Self {
    Self(exactly: SmallFormatArithmetic.add(a, b, mode, constants))
  }
  @inlinable @inline(never) static func exactDivide(_ a: Double, _ b: Double) -> Self {
    Self(exactly: SmallFormatArithmetic.divide(a, b, mode, constants))
  }
  @inlinable public static prefix func - (x: Self) -> Self { Self(exactly: -x.value) }

  @inlinable public func squareRoot() -> Self {
    Self(exactly: SmallFormatArithmetic.squareRoot(value, Self.mode, Self.constants))
  }

  @inlinable public static func multiplyAccumulate(_ acc: inout Self, _ a: Self, _ b: Self) {
    let m = mode, c = constants
    let product = SmallFormatArithmetic.multiply(a.value, b.value, m, c)
    acc = Self(exactly: SmallFormatArithmetic.add(acc.value, product, m, c))
  }

  /// The unfused run in stochastic rounding for p ≤ 26 goes to C (`pl_small_products_stochastic`: the same
  /// operations and draws, the usual cases), each term it leaves finished here; every other run is the
  /// protocol's loop.
  @inlinable public static func accumulateProducts(
    _ acc: inout Self, _ x: UnsafePointer<Self>, _ xStride: Int, _ y: UnsafePointer<Self>, _ yStride: Int,
    count: Int, fused: Bool
  ) {
    let m = mode, c = constants
    guard !fused, m == .stochastic, c.precision <= 26, count > 0 else {
      if fused {
        for k in 0..<count { fusedMultiplyAccumulate(&acc, x[k * xStride], y[k * yStride]) }
      } else {
        for k in 0..<count { multiplyAccumulate(&acc, x[k * xStride], y[k * yStride]) }
      }
      return
    }
    var format = pl_stochastic_format(
      min_normal: c.minNormal, max_finite: c.maxFinite,
      overflow_positive: SmallFormatArithmetic.overflowed(negative: false, mode: m, c),
      overflow_negative: SmallFormatArithmetic.overflowed(negative: true, mode: m, c),
      keep_mask: c.keepMask, precision: Int32(c.precision))
    var a = acc.value
    var k = 0
    let xs = UnsafeRawPointer(x).assumingMemoryBound(to: Double.self)
    let ys = UnsafeRawPointer(y).assumingMemoryBound(to: Double.self)
    while k < count {
      var pending = 0.0
      var stage: Int32 = 0
      k += pl_small_products_stochastic(&format, &a, xs + k * xStride, xStride, ys + k * yStride, yStride, count - k, &pending, &stage)
      guard k < count else { break }
      let product = stage == 1 ? pending : SmallFormatArithmetic.multiply(xs[k * xStride], ys[k * yStride], m, c)
      a = SmallFormatArithmetic.add(a, product, m, c)
      k += 1
    }
    acc = Self(exactly: a)
  }

  @inlinable public static func fusedMultiplyAccumulate(_ acc: inout Self, _ a: Self, _ b: Self) {
    acc = Self(exactly: SmallFormatArithmetic.fusedMultiplyAdd(a.value, b.value, acc.value, mode, constants))
  }

  public static func exp(_ x: Self) -> Self {
    Self(exactly: SmallFormatArithmetic.viaMPFR(x.value, mode, constants) { mpfr_exp($0, $1, $2) })
  }

  public static func log(_ x: Self) -> Self {
    Self(exactly: SmallFormatArithmetic.viaMPFR(x.value, mode, constants) { mpfr_log($0, $1, $2) })
  }
}

extension SmallFormatArithmetic {
  /// `f(x)` computed by MPFR rounded to odd at 53 bits (≥ p + 2), then rounded once into the format.
  public static func viaMPFR(
    _ x: Double, _ mode: RoundingMode, _ c: SmallFormatConstants,
    _ f: (UnsafeMutablePointer<__mpfr_struct>, UnsafePointer<__mpfr_struct>, mpfr_rnd_t) -> Int32
  ) -> Double {
    MPFRArithmetic.setWidestRange()
    return withTemporaryMPFR(precision: 53) { input in
      mpfr_set_d(input, x, MPFR_RNDN)
      return withTemporaryMPFR(precision: 53) { y in
        let t = f(y, input, MPFR_RNDZ)
        if t != 0 && mpfr_regular_p(y) != 0 && mpfr_min_prec(y) < 53 {
          if mpfr_sgn(y) > 0 { mpfr_nextabove(y) } else { mpfr_nextbelow(y) }
        }
        var v = mpfr_get_d(y, MPFR_RNDN)
        if v.isFinite && v.magnitude > 0x1p1000 { v = v < 0 ? -0x1p1000 : 0x1p1000 }
        if mpfr_regular_p(y) != 0 && mpfr_get_exp(y) < -1000 { v = mpfr_signbit(y) != 0 ? -0x1p-1000 : 0x1p-1000 }
        return round(v, 0, mode, c)
      }
    }
  }
}
