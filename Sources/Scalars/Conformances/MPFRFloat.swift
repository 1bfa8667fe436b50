import CMPFR
import ScalarsSupport

/// GNU MPFR numbers whose format — precision from 2 to `FloatFormat.maxPrecision` bits, MPFR's own
/// exponent range or an IEEE-style one with subnormals — is chosen at run time (`mpfr:200` on the
/// command line).
///
/// The format of new values (`init(_: Double)`, literals) is a per-thread setting of PrecisionLab's,
/// `MPFRFloat.threadFormat` (256 bits, unbounded, until set); PrecisionLab never relies on MPFR's own
/// per-thread default precision or exponent range, and sets the range for every operation. A value
/// keeps the format it was made in; an operation on two values gives the more precise one's format.
///
/// Every operation, `exp` and `log` included, is correctly rounded in the thread's rounding mode.
/// Value semantics with copy on write: `+=`, `multiplyAccumulate` and `fusedMultiplyAccumulate` on a
/// uniquely held accumulator allocate nothing; values are freed with their last copy; a value may be
/// sent to another thread (`Sendable`), where it keeps its own format.
public struct MPFRFloat: MPFRBackedScalar {
  public var number: MPFRNumber

  @inlinable public init(number: MPFRNumber) { self.number = number }

  /// The default format of threads that never set one.
  public static let defaultFormat = try! FloatFormat.named("mpfr:256")

  /// The format new values take on this thread.
  public static var threadFormat: FloatFormat {
    get {
      let e = pl_environment_get()
      if let box = e.mpfr_format { return Unmanaged<FormatBox>.fromOpaque(box).takeUnretainedValue().format }
      guard e.mpfr_precision != 0 else { return defaultFormat }
      return try! FloatFormat(
        name: e.mpfr_bounded != 0 ? "mpfr:\(e.mpfr_precision):\(e.mpfr_emax)" : "mpfr:\(e.mpfr_precision)",
        precision: e.mpfr_precision, emin: e.mpfr_emin, emax: e.mpfr_emax,
        hasSubnormals: e.mpfr_subnormals != 0, hasInfinities: e.mpfr_infinities != 0,
        nanEncoding: .ieee, overflow: FloatFormat.OverflowBehavior.allCases[Int(e.mpfr_overflow)],
        largestSignificandDeficit: Int(e.mpfr_deficit), isExponentBounded: e.mpfr_bounded != 0)
    }
    set {
      let e = pl_environment_pointer()!
      e.pointee.mpfr_precision = newValue.precision
      e.pointee.mpfr_emin = newValue.emin
      e.pointee.mpfr_emax = newValue.emax
      e.pointee.mpfr_bounded = newValue.isExponentBounded ? 1 : 0
      e.pointee.mpfr_subnormals = newValue.hasSubnormals ? 1 : 0
      e.pointee.mpfr_infinities = newValue.hasInfinities ? 1 : 0
      e.pointee.mpfr_deficit = Int32(newValue.largestSignificandDeficit)
      e.pointee.mpfr_overflow = Int32(FloatFormat.OverflowBehavior.allCases.firstIndex(of: newValue.overflow)!)
      e.pointee.mpfr_format = nil
    }
  }

  /// Runs `body` with `format` as this thread's format for new values, then restores the previous one.
  /// Within `body`, `MPFRFloat.format` is `format` itself, name included (`binary128`, not
  /// `mpfr:113:16383`).
  public static func withFormat<R>(_ format: FloatFormat, _ body: () throws -> R) rethrows -> R {
    let saved = pl_environment_get()
    let box = Unmanaged.passRetained(FormatBox(format))
    defer {
      let e = pl_environment_pointer()!
      e.pointee.mpfr_precision = saved.mpfr_precision
      e.pointee.mpfr_emin = saved.mpfr_emin
      e.pointee.mpfr_emax = saved.mpfr_emax
      e.pointee.mpfr_bounded = saved.mpfr_bounded
      e.pointee.mpfr_subnormals = saved.mpfr_subnormals
      e.pointee.mpfr_infinities = saved.mpfr_infinities
      e.pointee.mpfr_deficit = saved.mpfr_deficit
      e.pointee.mpfr_overflow = saved.mpfr_overflow
      e.pointee.mpfr_format = saved.mpfr_format
      box.release()
    }
    threadFormat = format
    pl_environment_pointer()!.pointee.mpfr_format = UnsafeRawPointer(box.toOpaque())
    return try body()
  }

  public static var format: FloatFormat { threadFormat }

  @inlinable public static var newValueConstants: MPFRFormatConstants { threadConstants() }

  @usableFromInline static func threadConstants() -> MPFRFormatConstants {
    let e = pl_environment_get()
    guard e.mpfr_precision != 0 else { return defaultFormat.mpfr }
    return MPFRFormatConstants(
      FloatFormatParameters(
        precision: e.mpfr_precision, emin: e.mpfr_emin, emax: e.mpfr_emax,
        hasSubnormals: e.mpfr_subnormals != 0, hasInfinities: e.mpfr_infinities != 0,
        overflow: FloatFormat.OverflowBehavior.allCases[Int(e.mpfr_overflow)],
        deficit: Int(e.mpfr_deficit), bounded: e.mpfr_bounded != 0))
  }

  /// `value` correctly rounded into `format`.
  public init(_ value: Double, format: FloatFormat) { number = MPFRNumber(value, format.mpfr, RoundingEnvironment.mode) }
  /// Correctly rounds decimal or hexadecimal text into `format` (default: the thread's).
  public init(text: String, format: FloatFormat? = nil) throws(NumberTextError) {
    number = try MPFRNumber(text: text, format?.mpfr ?? Self.newValueConstants, RoundingEnvironment.mode)
  }

  /// The precision of this value, in bits.
  public var precision: Int { number.constants.precision }
}
