/// Names a format at the type level, so that a scalar type can be generic over it:
/// ```
/// enum FP12: FormatSpecification { static let format = try! FloatFormat.ieee("fp12", precision: 8, emax: 7) }
/// typealias Float12 = SmallFloat<FP12>
/// ```
public protocol FormatSpecification: Sendable {
  static var format: FloatFormat { get }
  /// The binary64 engine's constants for `format`. The default reads `format.small`; the presets
  /// spell them out with literal parameters so that specialised kernels fold them into constants (a
  /// test checks that both agree). Give them too when your format's speed matters.
  static var smallConstants: SmallFormatConstants { get }
}

extension FormatSpecification {
  @inlinable public static var smallConstants: SmallFormatConstants { format.small }
}
