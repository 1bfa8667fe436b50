import CMPFR

/// IEEE 754 binary64 in the thread's rounding mode, whichever it is: `Double`'s values with
/// `Binary64Arithmetic`'s operations (hardware binary64 operations and error-free transformations,
/// MPFR near the ends of the range). `Double` itself always rounds to nearest even; this type is
/// binary64 toward zero, ±∞, to odd, nearest-away or stochastically, 8 bytes, no allocation.
///
/// Every operation (+ − × ÷ √ fma, conversions from `Int`) is correctly rounded in the thread's mode,
/// with subnormals and IEEE 754 overflow, and gives the same bits as the MPFR engine's `MPFRFloat` at
/// binary64 in every mode, stochastic rounding included: the same draws from the thread's stream, one
/// per finite non-zero result (a conversion from `Double` is exact but draws too, as MPFR's does).
/// `exp`, `log` and decimal text go through MPFR.
@frozen public struct Binary64: PrecisionScalar, Hashable {
  /// The value.
  public let value: Double

  /// Wraps a binary64 (no rounding, no draw).
  @inlinable public init(exactly value: Double) { self.value = value }

  @inlinable public static var format: FloatFormat { .binary64 }
  @inlinable public static var valuesAreBinary64: Bool { true }
  @inlinable static var mode: RoundingMode { RoundingEnvironment.mode }

  @inlinable public init(_ value: Double) {
    if value.isFinite && value != 0 && RoundingEnvironment.mode == .stochastic {
      _ = RoundingEnvironment.randomBits()
    }
    self.value = value
  }

  @inlinable public init(_ value: Int) { self.value = Binary64Arithmetic.fromInt(value, Self.mode) }

  /// Correctly rounds decimal or hexadecimal text (see `NumberText`) in the thread's mode.
  public init(text: String) throws(NumberTextError) {
    let number = try MPFRNumber(text: text, FloatFormat.binary64.mpfr, RoundingEnvironment.mode)
    value = mpfr_get_d(number.pointer, MPFR_RNDN)
  }

  @inlinable public var doubleValue: Double { value }
  public var hexDescription: String { HexFloat.format(value) }
  @inlinable public var isZero: Bool { value == 0 }
  @inlinable public var isNaN: Bool { value.isNaN }
  @inlinable public var isFinite: Bool { value.isFinite }

  @inlinable public static func < (a: Self, b: Self) -> Bool { a.value < b.value }
  @inlinable public static func == (a: Self, b: Self) -> Bool { a.value == b.value }

  @inlinable public static func + (a: Self, b: Self) -> Self {
    Self(exactly: Binary64Arithmetic.add(a.value, b.value, mode))
  }
  @inlinable public static func - (a: Self, b: Self) -> Self {
    Self(exactly: Binary64Arithmetic.add(a.value, -b.value, mode))
  }
  @inlinable public static func * (a: Self, b: Self) -> Self {
    Self(exactly: Binary64Arithmetic.multiply(a.value, b.value, mode))
  }
  @inlinable public static func / (a: Self, b: Self) -> Self {
    Self(exactly: Binary64Arithmetic.divide(a.value, b.value, mode))
  }
  @inlinable public static prefix func - (x: Self) -> Self { Self(exactly: -x.value) }

  @inlinable public func squareRoot() -> Self {
    Self(exactly: Binary64Arithmetic.squareRoot(value, Self.mode))
  }

  @inlinable public static func multiplyAccumulate(_ acc: inout Self, _ a: Self, _ b: Self) {
    let m = mode
    acc = Self(exactly: Binary64Arithmetic.add(acc.value, Binary64Arithmetic.multiply(a.value, b.value, m), m))
  }

  @inlinable public static func fusedMultiplyAccumulate(_ acc: inout Self, _ a: Self, _ b: Self) {
    acc = Self(exactly: Binary64Arithmetic.fusedMultiplyAdd(a.value, b.value, acc.value, mode))
  }

  public static func exp(_ x: Self) -> Self { x.viaMPFR { mpfr_exp($0, $1, $2) } }
  public static func log(_ x: Self) -> Self { x.viaMPFR { mpfr_log($0, $1, $2) } }

  /// `f` of this value on the MPFR engine, rounded into binary64 in the thread's mode.
  func viaMPFR(
    _ f: (UnsafeMutablePointer<__mpfr_struct>, UnsafePointer<__mpfr_struct>, mpfr_rnd_t) -> Int32
  ) -> Self {
    Self(exactly: Binary64Arithmetic.viaMPFR(value, Self.mode, f))
  }
}
