import CMPFR

/// The arithmetic shared by the MPFR-engine scalar types (`WideFloat`, `MPFRFloat`): each supplies its
/// storage and the format of new values; everything else is implemented once here.
public protocol MPFRBackedScalar: PrecisionScalar {
  var number: MPFRNumber { get set }
  init(number: MPFRNumber)
  /// The MPFR-engine constants of new values' format.
  static var newValueConstants: MPFRFormatConstants { get }
}

extension MPFRBackedScalar {
  @inlinable static var mode: RoundingMode { RoundingEnvironment.mode }

  @inlinable public init(_ value: Double) { self.init(number: MPFRNumber(value, Self.newValueConstants, Self.mode)) }
  @inlinable public init(_ value: Int) { self.init(number: MPFRNumber(value, Self.newValueConstants, Self.mode)) }

  @inlinable public var doubleValue: Double { number.doubleValue }
  public var hexDescription: String { number.hexDescription }
  @inlinable public var isZero: Bool { number.isZero }
  @inlinable public var isNaN: Bool { number.isNaN }
  @inlinable public var isFinite: Bool { number.isFinite }

  @inlinable public static func == (a: Self, b: Self) -> Bool { a.number == b.number }
  @inlinable public static func < (a: Self, b: Self) -> Bool { a.number < b.number }

  @inlinable public static func + (a: Self, b: Self) -> Self {
    Self(number: .binary(a.number, b.number, mode) { mpfr_add($0, $1, $2, $3) })
  }
  @inlinable public static func - (a: Self, b: Self) -> Self {
    Self(number: .binary(a.number, b.number, mode) { mpfr_sub($0, $1, $2, $3) })
  }
  @inlinable public static func * (a: Self, b: Self) -> Self {
    Self(number: .binary(a.number, b.number, mode) { mpfr_mul($0, $1, $2, $3) })
  }
  @inlinable public static func / (a: Self, b: Self) -> Self {
    Self(number: .binary(a.number, b.number, mode) { mpfr_div($0, $1, $2, $3) })
  }
  @inlinable public static prefix func - (x: Self) -> Self { Self(number: -x.number) }

  @inlinable public static func += (a: inout Self, b: Self) {
    a.number.formBinary(b.number, mode) { mpfr_add($0, $1, $2, $3) }
  }
  @inlinable public static func -= (a: inout Self, b: Self) {
    a.number.formBinary(b.number, mode) { mpfr_sub($0, $1, $2, $3) }
  }
  @inlinable public static func *= (a: inout Self, b: Self) {
    a.number.formBinary(b.number, mode) { mpfr_mul($0, $1, $2, $3) }
  }
  @inlinable public static func /= (a: inout Self, b: Self) {
    a.number.formBinary(b.number, mode) { mpfr_div($0, $1, $2, $3) }
  }

  @inlinable public func squareRoot() -> Self { Self(number: number.unary(Self.mode) { mpfr_sqrt($0, $1, $2) }) }
  public static func exp(_ x: Self) -> Self { Self(number: x.number.unary(mode) { mpfr_exp($0, $1, $2) }) }
  public static func log(_ x: Self) -> Self { Self(number: x.number.unary(mode) { mpfr_log($0, $1, $2) }) }

  @inlinable public static func multiplyAccumulate(_ acc: inout Self, _ a: Self, _ b: Self) {
    acc.number.multiplyAccumulate(a.number, b.number, fused: false, mode)
  }
  @inlinable public static func fusedMultiplyAccumulate(_ acc: inout Self, _ a: Self, _ b: Self) {
    acc.number.multiplyAccumulate(a.number, b.number, fused: true, mode)
  }

  /// The run of multiply-accumulates of a dot product, as `multiplyAccumulate` term by term, with the
  /// exponent range set once for the run and MPFR called on the operands' storage directly (the
  /// unfused product in the accumulator's scratch variable): the same operations, so the same bits,
  /// at close to raw MPFR's cost. Modes MPFR cannot round natively go term by term.
  @inlinable public static func accumulateProducts(
    _ acc: inout Self, _ x: UnsafePointer<Self>, _ xStride: Int, _ y: UnsafePointer<Self>, _ yStride: Int,
    count: Int, fused: Bool
  ) {
    let mode = Self.mode
    acc.number.makeUnique()
    let c = acc.number.constants
    guard MPFRArithmetic.isNative(mode, c) else {
      for k in 0..<count {
        acc.number.multiplyAccumulate(x[k * xStride].number, y[k * yStride].number, fused: fused, mode)
      }
      return
    }
    let rnd = MPFRArithmetic.mpfrMode(mode)
    let p = acc.number.pointer, product = acc.number.storage.scratch
    MPFRArithmetic.withRange(c) {
      for k in 0..<count {
        let pa = x[k * xStride].number.pointer, pb = y[k * yStride].number.pointer
        if fused {
          MPFRArithmetic.finishNative(p, mpfr_fma(p, pa, pb, p, rnd), c, rnd)
        } else {
          MPFRArithmetic.finishNative(product, mpfr_mul(product, pa, pb, rnd), c, rnd)
          MPFRArithmetic.finishNative(p, mpfr_add(p, p, product, rnd), c, rnd)
        }
      }
    }
    withExtendedLifetime(acc) {}
  }
}
