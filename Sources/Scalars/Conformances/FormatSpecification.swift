/// Names a format at the type level, so that a scalar type can be generic over it:
/// ```
/// enum FP12: FormatSpecification { static let format = try! FloatFormat.ieee("fp12", precision: 8, emax: 7) }
/// typealias Float12 = SmallFloat<FP12>
/// ```
public protocol FormatSpecification: Sendable {
  static var format: FloatFormat { get }
}

public enum Binary16Format: FormatSpecification { public static let format = FloatFormat.binary16 }
public enum BFloat16Format: FormatSpecification { public static let format = FloatFormat.bfloat16 }
public enum TF32Format: FormatSpecification { public static let format = FloatFormat.tf32 }
public enum Binary32Format: FormatSpecification { public static let format = FloatFormat.binary32 }
public enum E4M3Format: FormatSpecification { public static let format = FloatFormat.e4m3 }
public enum E4M3SaturatingFormat: FormatSpecification {
  public static let format = FloatFormat.e4m3.saturating()
}
public enum E5M2Format: FormatSpecification { public static let format = FloatFormat.e5m2 }
public enum E5M2SaturatingFormat: FormatSpecification {
  public static let format = FloatFormat.e5m2.saturating()
}
public enum FP6E2M3Format: FormatSpecification { public static let format = FloatFormat.fp6e2m3 }
public enum FP6E3M2Format: FormatSpecification { public static let format = FloatFormat.fp6e3m2 }
public enum FP4E2M1Format: FormatSpecification { public static let format = FloatFormat.fp4e2m1 }
public enum Binary64Format: FormatSpecification { public static let format = FloatFormat.binary64 }
public enum X87ExtendedFormat: FormatSpecification { public static let format = FloatFormat.x87Extended }
public enum Binary128Format: FormatSpecification { public static let format = FloatFormat.binary128 }

/// Emulated binary16 (bit-identical to hardware `Float16`, plus every rounding mode).
public typealias Binary16 = SmallFloat<Binary16Format>
public typealias BFloat16 = SmallFloat<BFloat16Format>
public typealias TF32 = SmallFloat<TF32Format>
/// Emulated binary32 (bit-identical to hardware `Float`, plus every rounding mode).
public typealias Binary32 = SmallFloat<Binary32Format>
public typealias E4M3 = SmallFloat<E4M3Format>
public typealias E4M3Saturating = SmallFloat<E4M3SaturatingFormat>
public typealias E5M2 = SmallFloat<E5M2Format>
public typealias E5M2Saturating = SmallFloat<E5M2SaturatingFormat>
public typealias FP6E2M3 = SmallFloat<FP6E2M3Format>
public typealias FP6E3M2 = SmallFloat<FP6E3M2Format>
public typealias FP4E2M1 = SmallFloat<FP4E2M1Format>
/// Emulated binary64 on MPFR (bit-identical to hardware `Double`, plus every rounding mode).
public typealias Binary64 = WideFloat<Binary64Format>
public typealias X87Extended = WideFloat<X87ExtendedFormat>
public typealias Binary128 = WideFloat<Binary128Format>
