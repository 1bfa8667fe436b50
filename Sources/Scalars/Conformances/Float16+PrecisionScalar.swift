#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

#if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
/// Hardware binary16: round to nearest even (the rounding environment does not apply). Where the CPU
/// lacks half arithmetic, Swift computes in binary32 and rounds once, which is exact for + − × ÷ √
/// (24 ≥ 2·11 + 2).
///
/// `fusedMultiplyAccumulate` does NOT use the standard library's `addingProduct`, which on x86_64 Linux
/// rounds through a binary32 fma and so rounds twice; it uses the binary64 engine's exact fma instead.
/// `exp`/`log` are libm's binary32 functions rounded to binary16.
extension Float16: PrecisionScalar {
  @inlinable public static var format: FloatFormat { .binary16 }
  @inlinable public var doubleValue: Double { Double(self) }
  public var hexDescription: String { HexFloat.format(Double(self)) }
  @inlinable public static func exp(_ x: Float16) -> Float16 { Float16(expf(Float(x))) }
  @inlinable public static func log(_ x: Float16) -> Float16 { Float16(logf(Float(x))) }
  @inlinable public static func fusedMultiplyAccumulate(_ acc: inout Float16, _ a: Float16, _ b: Float16) {
    acc = Float16(
      SmallFormatArithmetic.fusedMultiplyAdd(
        Double(a), Double(b), Double(acc), .nearestEven, FloatFormat.binary16.small))
  }
}
#endif
