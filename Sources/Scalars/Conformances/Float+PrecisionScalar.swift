#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Hardware binary32: round to nearest even (the rounding environment does not apply).
/// `fusedMultiplyAccumulate` is the correctly rounded `fmaf`; `exp`/`log` are libm's `expf`/`logf`.
extension Float: PrecisionScalar {
  @inlinable public static var format: FloatFormat { .binary32 }
  @inlinable public var doubleValue: Double { Double(self) }
  public var hexDescription: String { HexFloat.format(Double(self)) }
  @inlinable public static func exp(_ x: Float) -> Float { expf(x) }
  @inlinable public static func log(_ x: Float) -> Float { logf(x) }
  @inlinable public static func fusedMultiplyAccumulate(_ acc: inout Float, _ a: Float, _ b: Float) {
    acc.addProduct(a, b)
  }
}
