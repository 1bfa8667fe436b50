public enum Binary16Format: FormatSpecification {
  public static let format = FloatFormat.binary16
  @inlinable public static var smallConstants: SmallFormatConstants {
    SmallFormatConstants(precision: 11, emin: -14, emax: 15)
  }
}
public enum BFloat16Format: FormatSpecification {
  public static let format = FloatFormat.bfloat16
  @inlinable public static var smallConstants: SmallFormatConstants {
    SmallFormatConstants(precision: 8, emin: -126, emax: 127)
  }
}
public enum TF32Format: FormatSpecification {
  public static let format = FloatFormat.tf32
  @inlinable public static var smallConstants: SmallFormatConstants {
    SmallFormatConstants(precision: 11, emin: -126, emax: 127)
  }
}
public enum Binary32Format: FormatSpecification {
  public static let format = FloatFormat.binary32
  @inlinable public static var smallConstants: SmallFormatConstants {
    SmallFormatConstants(precision: 24, emin: -126, emax: 127)
  }
}
public enum E4M3Format: FormatSpecification {
  public static let format = FloatFormat.e4m3
  @inlinable public static var smallConstants: SmallFormatConstants {
    SmallFormatConstants(precision: 4, emin: -6, emax: 8, hasInfinities: false, overflow: .nan, largestSignificandDeficit: 2)
  }
}
public enum E4M3SaturatingFormat: FormatSpecification {
  public static let format = FloatFormat.e4m3.saturating()
  @inlinable public static var smallConstants: SmallFormatConstants {
    SmallFormatConstants(precision: 4, emin: -6, emax: 8, hasInfinities: false, overflow: .saturate, largestSignificandDeficit: 2)
  }
}
public enum E5M2Format: FormatSpecification {
  public static let format = FloatFormat.e5m2
  @inlinable public static var smallConstants: SmallFormatConstants {
    SmallFormatConstants(precision: 3, emin: -14, emax: 15)
  }
}
public enum E5M2SaturatingFormat: FormatSpecification {
  public static let format = FloatFormat.e5m2.saturating()
  @inlinable public static var smallConstants: SmallFormatConstants {
    SmallFormatConstants(precision: 3, emin: -14, emax: 15, overflow: .saturate)
  }
}
public enum FP6E2M3Format: FormatSpecification {
  public static let format = FloatFormat.fp6e2m3
  @inlinable public static var smallConstants: SmallFormatConstants {
    SmallFormatConstants(precision: 4, emin: 0, emax: 2, hasInfinities: false, overflow: .saturate)
  }
}
public enum FP6E3M2Format: FormatSpecification {
  public static let format = FloatFormat.fp6e3m2
  @inlinable public static var smallConstants: SmallFormatConstants {
    SmallFormatConstants(precision: 3, emin: -2, emax: 4, hasInfinities: false, overflow: .saturate)
  }
}
public enum FP4E2M1Format: FormatSpecification {
  public static let format = FloatFormat.fp4e2m1
  @inlinable public static var smallConstants: SmallFormatConstants {
    SmallFormatConstants(precision: 2, emin: 0, emax: 2, hasInfinities: false, overflow: .saturate)
  }
}
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
/// binary64 on the MPFR engine (bit-identical to hardware `Double`, plus every rounding mode): the
/// reference that `Binary64` (hardware operations and error-free transformations) is checked against.
public typealias Binary64MPFR = WideFloat<Binary64Format>
public typealias X87Extended = WideFloat<X87ExtendedFormat>
/// binary128 on the MPFR engine: the reference that `Binary128` (the integer engine) is checked against.
public typealias Binary128MPFR = WideFloat<Binary128Format>
