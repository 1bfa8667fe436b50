#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Hardware binary64: round to nearest even (the rounding environment does not apply).
/// `fusedMultiplyAccumulate` is the correctly rounded `fma`; `exp`/`log` are libm's.
extension Double: PrecisionScalar {
  @inlinable public static var format: FloatFormat { .binary64 }
  @inlinable public var doubleValue: Double { self }
  public var hexDescription: String { HexFloat.format(self) }
  @inlinable public static func exp(_ x: Double) -> Double { Glibc.exp(x) }
  @inlinable public static func log(_ x: Double) -> Double { Glibc.log(x) }
  @inlinable public static func fusedMultiplyAccumulate(_ acc: inout Double, _ a: Double, _ b: Double) {
    acc.addProduct(a, b)
  }
}
