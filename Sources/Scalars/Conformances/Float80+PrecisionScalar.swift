#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

#if (arch(x86_64) || arch(i386)) && !os(Windows) && !os(Android)
/// Hardware x87 extended precision (p = 64): round to nearest even (the rounding environment does not
/// apply). `fusedMultiplyAccumulate` is libm's `fmal`; `exp`/`log` are `expl`/`logl`.
extension Float80: PrecisionScalar {
  @inlinable public static var format: FloatFormat { .x87Extended }
  @inlinable public var doubleValue: Double { Double(self) }
  public var hexDescription: String {
    if let special = HexFloat.special(isNaN, isInfinite, isZero, sign == .minus) { return special }
    // `significand` is normalised (also for subnormals); its pattern holds the 63 fraction bits.
    return HexFloat.format(
      negative: sign == .minus, fraction: significand.significandBitPattern, fractionBits: 63,
      exponent: Int(exponent))
  }
  @inlinable public static func exp(_ x: Float80) -> Float80 { expl(x) }
  @inlinable public static func log(_ x: Float80) -> Float80 { logl(x) }
  @inlinable public static func fusedMultiplyAccumulate(_ acc: inout Float80, _ a: Float80, _ b: Float80) {
    acc = fmal(a, b, acc)
  }
}
#endif
