import CMPFR

/// Owns one MPFR variable (and, once an accumulator needs it, a scratch variable of the same precision
/// for unfused multiply-accumulate). Freed with the last reference; never shared mutably (callers copy
/// before writing unless uniquely referenced).
public final class MPFRStorage: @unchecked Sendable {
  /// The variable. A raw pointer, so MPFR's in-place calls (`mpfr_add(x, x, y, …)`) involve no Swift
  /// `inout` access and cannot trip exclusivity checks.
  public let pointer: UnsafeMutablePointer<__mpfr_struct>
  @usableFromInline var scratchPointer: UnsafeMutablePointer<__mpfr_struct>?
  /// The format this value belongs to.
  public let constants: MPFRFormatConstants

  @inlinable public init(_ constants: MPFRFormatConstants) {
    self.constants = constants
    pointer = .allocate(capacity: 1)
    mpfr_init2(pointer, mpfr_prec_t(constants.precision))
  }

  /// A second variable of the same precision, created once and reused.
  @inlinable public var scratch: UnsafeMutablePointer<__mpfr_struct> {
    if let s = scratchPointer { return s }
    let s = UnsafeMutablePointer<__mpfr_struct>.allocate(capacity: 1)
    mpfr_init2(s, mpfr_prec_t(constants.precision))
    scratchPointer = s
    return s
  }

  deinit {
    mpfr_clear(pointer)
    pointer.deallocate()
    if let s = scratchPointer {
      mpfr_clear(s)
      s.deallocate()
    }
  }
}

/// A temporary MPFR variable for the duration of a closure.
@inlinable func withTemporaryMPFR<R>(precision: Int, _ body: (UnsafeMutablePointer<__mpfr_struct>) -> R) -> R {
  let t = UnsafeMutablePointer<__mpfr_struct>.allocate(capacity: 1)
  mpfr_init2(t, mpfr_prec_t(precision))
  defer {
    mpfr_clear(t)
    t.deallocate()
  }
  return body(t)
}
