import Scalars

/// Conversion between scalar formats, rounded once (in the calling thread's mode).
///
/// Supported: between identical types (no change), and from any format whose values are exact
/// binary64 values (every hardware type up to `Double` and every binary64-engine format) to any
/// format. Wider sources (`Float80`, `Binary128`, MPFR above 53 bits) convert only to their own type;
/// asking for more is a programming error that stops with a message naming both formats.
public enum ScalarConversion {
  /// Whether every value of `S` is a binary64 value, so `S → Double → U` rounds only once.
  @inlinable public static func isExactInBinary64<S: PrecisionScalar>(_: S.Type) -> Bool { S.valuesAreBinary64 }

  /// Whether every value of `f` is a binary64 value.
  @inlinable public static func isExactInBinary64(_ f: FloatFormat) -> Bool { f.valuesAreBinary64 }

  /// Whether every value of `f` is a binary32 value.
  @inlinable public static func isExactInBinary32(_ f: FloatFormat) -> Bool {
    f.isExponentBounded && f.precision <= 24 && f.emax <= 127 && f.smallestSubnormalExponent >= -149
  }

  @inlinable @inline(__always)
  public static func convert<S: PrecisionScalar, U: PrecisionScalar>(_ x: S, to _: U.Type) -> U {
    if S.self == U.self { return unsafeBitCast(x, to: U.self) }
    precondition(
      isExactInBinary64(S.self),
      "cannot convert \(S.format.name) to \(U.format.name) with one rounding (source wider than binary64)")
    return U(x.doubleValue)
  }
}
