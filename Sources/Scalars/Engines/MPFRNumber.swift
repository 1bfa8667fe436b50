import CMPFR

/// A value of an MPFR-engine format with value semantics: the shared implementation behind `MPFRFloat`
/// and `WideFloat`. Copies share storage until one of them is written (copy on write), so in-place
/// operations on a uniquely held value allocate nothing.
public struct MPFRNumber: @unchecked Sendable {
  public var storage: MPFRStorage

  @inlinable public var constants: MPFRFormatConstants { storage.constants }
  @inlinable public var pointer: UnsafeMutablePointer<__mpfr_struct> { storage.pointer }

  /// A new value of format `c` computed by `operation` (see `MPFRArithmetic.apply`).
  @inlinable
  public init(
    _ c: MPFRFormatConstants, _ mode: RoundingMode,
    _ operation: (UnsafeMutablePointer<__mpfr_struct>, mpfr_rnd_t) -> Int32
  ) {
    storage = MPFRStorage(c)
    MPFRArithmetic.apply(storage.pointer, c, mode, operation)
  }

  @inlinable public init(_ value: Double, _ c: MPFRFormatConstants, _ mode: RoundingMode) {
    self.init(c, mode) { mpfr_set_d($0, value, $1) }
  }

  @inlinable public init(_ value: Int, _ c: MPFRFormatConstants, _ mode: RoundingMode) {
    self.init(c, mode) { mpfr_set_si($0, value, $1) }
  }

  /// Correctly rounds decimal or hexadecimal text (see `NumberText`).
  public init(text: String, _ c: MPFRFormatConstants, _ mode: RoundingMode) throws(NumberTextError) {
    self = try NumberText.withCString(text) { start, count throws(NumberTextError) in
      try MPFRNumber(text: start, count: count, c, mode)
    }
  }

  /// Correctly rounds the `count` bytes of text at `start` (followed by a NUL byte).
  public init(text start: UnsafePointer<CChar>, count: Int, _ c: MPFRFormatConstants, _ mode: RoundingMode)
    throws(NumberTextError)
  {
    try NumberText.checkPrintable(start, count: count)
    var end: UnsafeMutablePointer<CChar>? = nil
    self.init(c, mode) { d, rnd in mpfr_strtofr(d, start, &end, 0, rnd) }
    try NumberText.checkConsumed(start, count: count, end: end)
  }

  /// The format of a result from two operands: the more precise one's (the left one's on a tie).
  @inlinable @inline(__always)
  static func resultFormat(_ a: MPFRNumber, _ b: MPFRNumber) -> MPFRFormatConstants {
    b.constants.precision > a.constants.precision ? b.constants : a.constants
  }

  @inlinable
  public static func binary(
    _ a: MPFRNumber, _ b: MPFRNumber, _ mode: RoundingMode,
    _ f: (UnsafeMutablePointer<__mpfr_struct>, UnsafePointer<__mpfr_struct>, UnsafePointer<__mpfr_struct>, mpfr_rnd_t) -> Int32
  ) -> MPFRNumber {
    let pa = a.pointer, pb = b.pointer
    let result = MPFRNumber(resultFormat(a, b), mode) { f($0, pa, pb, $1) }
    withExtendedLifetime((a, b)) {}
    return result
  }

  /// Makes the storage uniquely held by this value (copying it if shared).
  @inlinable public mutating func makeUnique() {
    if !isKnownUniquelyReferenced(&storage) {
      let old = storage
      storage = MPFRStorage(old.constants)
      mpfr_set(storage.pointer, old.pointer, MPFR_RNDN)  // same precision: exact
    }
  }

  /// `self = f(self, b)` in place.
  @inlinable
  public mutating func formBinary(
    _ b: MPFRNumber, _ mode: RoundingMode,
    _ f: (UnsafeMutablePointer<__mpfr_struct>, UnsafePointer<__mpfr_struct>, UnsafePointer<__mpfr_struct>, mpfr_rnd_t) -> Int32
  ) {
    if b.constants.precision > constants.precision {
      self = MPFRNumber.binary(self, b, mode, f)
      return
    }
    makeUnique()
    let p = pointer, pb = b.pointer
    MPFRArithmetic.apply(p, constants, mode) { f($0, p, pb, $1) }
    withExtendedLifetime(b) {}
  }

  /// `self = round(self + round(a × b))` or, fused, `round(self + a × b)`, in place: a uniquely held
  /// accumulator allocates nothing (the unfused product uses the storage's reusable scratch variable).
  @inlinable
  public mutating func multiplyAccumulate(_ a: MPFRNumber, _ b: MPFRNumber, fused: Bool, _ mode: RoundingMode) {
    makeUnique()
    let c = constants
    let acc = pointer, pa = a.pointer, pb = b.pointer
    if fused {
      MPFRArithmetic.apply(acc, c, mode) { mpfr_fma($0, pa, pb, acc, $1) }
    } else {
      let product = storage.scratch
      MPFRArithmetic.apply(product, c, mode) { mpfr_mul($0, pa, pb, $1) }
      MPFRArithmetic.apply(acc, c, mode) { mpfr_add($0, acc, product, $1) }
    }
    withExtendedLifetime((a, b)) {}
  }

  @inlinable public func unary(
    _ mode: RoundingMode,
    _ f: (UnsafeMutablePointer<__mpfr_struct>, UnsafePointer<__mpfr_struct>, mpfr_rnd_t) -> Int32
  ) -> MPFRNumber {
    let p = pointer
    let result = MPFRNumber(constants, mode) { f($0, p, $1) }
    withExtendedLifetime(self) {}
    return result
  }

  @inlinable public var doubleValue: Double {
    MPFRArithmetic.setWidestRange()
    return mpfr_get_d(pointer, MPFR_RNDN)
  }

  public var hexDescription: String { HexFloat.format(mpfr: pointer) }
  @inlinable public var isZero: Bool { mpfr_zero_p(pointer) != 0 }
  @inlinable public var isNaN: Bool { mpfr_nan_p(pointer) != 0 }
  @inlinable public var isFinite: Bool { mpfr_number_p(pointer) != 0 }

  @inlinable public static func == (a: MPFRNumber, b: MPFRNumber) -> Bool {
    mpfr_equal_p(a.pointer, b.pointer) != 0
  }
  @inlinable public static func < (a: MPFRNumber, b: MPFRNumber) -> Bool {
    mpfr_less_p(a.pointer, b.pointer) != 0
  }

  @inlinable public static prefix func - (x: MPFRNumber) -> MPFRNumber {
    let p = x.pointer
    let result = MPFRNumber(x.constants, .nearestEven) { mpfr_neg($0, p, $1) }  // exact
    withExtendedLifetime(x) {}
    return result
  }
}
