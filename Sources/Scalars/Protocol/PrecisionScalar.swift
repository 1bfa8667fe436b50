/// A floating-point scalar in a known format: what generic numeric code (tensors, networks, optimisers)
/// needs of a number, and nothing more.
///
/// ## Numerical contract
/// Values belong to `format` (a value never holds more precision or range than the format allows).
/// For emulated and MPFR types every operation below marked *correctly rounded* gives the format value
/// that the current thread's `RoundingEnvironment.mode` picks from the exact real result; hardware
/// types (`Float16`, `Float`, `Double`, `Float80`) always round to nearest, ties to even, whatever the
/// environment says. Special values follow IEEE 754 where the format has them (NaN propagates, x/0 is a
/// signed infinity, 0/0 and √(−1) are NaN); formats without infinities or NaN follow their overflow
/// rule (`FloatFormat.OverflowBehavior`).
///
/// ```
/// func meanSquare<T: PrecisionScalar>(_ xs: [T]) -> T {
///   var acc: T = 0
///   for x in xs { T.multiplyAccumulate(&acc, x, x) }   // round(acc + round(x·x))
///   return acc / T(xs.count)
/// }
/// ```
public protocol PrecisionScalar: Comparable, Sendable, CustomStringConvertible, ExpressibleByIntegerLiteral {
  /// The format of the values this type creates on the calling thread: fixed for every type except
  /// `MPFRFloat` and `EmulatedFloat`, whose format is a per-thread setting.
  static var format: FloatFormat { get }

  /// Whether every value of this type (on the calling thread) is a binary64 value, so that a
  /// conversion through `Double` rounds once. The default asks `format`; a type whose format is a
  /// per-thread setting may answer without building it (conversions ask per value).
  static var valuesAreBinary64: Bool { get }

  /// `value` correctly rounded into the format (exact when representable; NaN stays NaN).
  init(_ value: Double)

  /// `value` correctly rounded into the format (exact when representable).
  init(_ value: Int)

  /// The value rounded to the nearest binary64, ties to even (exact for every format whose values are
  /// binary64 values: everything up to binary64 itself). Values beyond binary64's range become ±∞ or ±0.
  var doubleValue: Double { get }

  /// The exact value as C99 hexadecimal floating-point text (`0x1.8p+1`), see `HexFloat`.
  var hexDescription: String { get }

  /// True exactly for +0 and −0.
  var isZero: Bool { get }

  var isNaN: Bool { get }

  /// Neither infinite nor NaN.
  var isFinite: Bool { get }

  /// Correctly rounded sum. An exact zero sum is +0, or −0 when rounding toward −∞ (IEEE 754 §6.3).
  static func + (lhs: Self, rhs: Self) -> Self
  /// Correctly rounded difference.
  static func - (lhs: Self, rhs: Self) -> Self
  /// Correctly rounded product.
  static func * (lhs: Self, rhs: Self) -> Self
  /// Correctly rounded quotient.
  static func / (lhs: Self, rhs: Self) -> Self
  /// Negation: exact.
  static prefix func - (operand: Self) -> Self

  /// `lhs = lhs + rhs`, in place where the type can (MPFR values then allocate nothing).
  static func += (lhs: inout Self, rhs: Self)
  static func -= (lhs: inout Self, rhs: Self)
  static func *= (lhs: inout Self, rhs: Self)
  static func /= (lhs: inout Self, rhs: Self)

  /// Correctly rounded square root (−0 for −0, NaN below zero).
  func squareRoot() -> Self

  /// e^x. Correctly rounded for emulated and MPFR types; for hardware types the platform's libm
  /// (glibc: under 1 ulp, not always correctly rounded).
  static func exp(_ x: Self) -> Self

  /// Natural logarithm, with the same accuracy contract as `exp`.
  static func log(_ x: Self) -> Self

  /// The kernels' unfused multiply-accumulate: `acc = round(acc + round(a × b))`, two roundings, in
  /// place (no allocation for MPFR accumulators).
  static func multiplyAccumulate(_ acc: inout Self, _ a: Self, _ b: Self)

  /// The fused multiply-accumulate: `acc = round(acc + a × b)`, one rounding of the exact result,
  /// for every type (including `Float16`, whose standard library `addingProduct` rounds twice on
  /// x86_64 Linux).
  static func fusedMultiplyAccumulate(_ acc: inout Self, _ a: Self, _ b: Self)

  /// A run of the kernels' multiply-accumulates: for k in 0..<count, in k order,
  /// `multiplyAccumulate(&acc, x[k·xStride], y[k·yStride])` (or the fused one). Exactly those
  /// operations, so exactly their result; a type may run them faster (the MPFR types set the thread's
  /// exponent range once for the run and call MPFR on the operands in place, with no reference
  /// counting per term).
  static func accumulateProducts(
    _ acc: inout Self, _ x: UnsafePointer<Self>, _ xStride: Int, _ y: UnsafePointer<Self>, _ yStride: Int,
    count: Int, fused: Bool)
}

extension PrecisionScalar where IntegerLiteralType == Int {
  /// An integer literal, correctly rounded like `init(_: Int)`.
  @inlinable public init(integerLiteral value: Int) { self.init(value) }
}

extension PrecisionScalar {
  @inlinable public static var valuesAreBinary64: Bool { format.valuesAreBinary64 }

  @inlinable public static func += (lhs: inout Self, rhs: Self) { lhs = lhs + rhs }
  @inlinable public static func -= (lhs: inout Self, rhs: Self) { lhs = lhs - rhs }
  @inlinable public static func *= (lhs: inout Self, rhs: Self) { lhs = lhs * rhs }
  @inlinable public static func /= (lhs: inout Self, rhs: Self) { lhs = lhs / rhs }

  @inlinable public static func multiplyAccumulate(_ acc: inout Self, _ a: Self, _ b: Self) {
    acc += a * b
  }

  @inlinable public static func accumulateProducts(
    _ acc: inout Self, _ x: UnsafePointer<Self>, _ xStride: Int, _ y: UnsafePointer<Self>, _ yStride: Int,
    count: Int, fused: Bool
  ) {
    if fused {
      for k in 0..<count { fusedMultiplyAccumulate(&acc, x[k * xStride], y[k * yStride]) }
    } else {
      for k in 0..<count { multiplyAccumulate(&acc, x[k * xStride], y[k * yStride]) }
    }
  }

  /// `a × b + c` with one rounding.
  @inlinable public static func fusedMultiplyAdd(_ a: Self, _ b: Self, _ c: Self) -> Self {
    var acc = c
    fusedMultiplyAccumulate(&acc, a, b)
    return acc
  }

  public var description: String { hexDescription }
}
