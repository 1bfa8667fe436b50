import CMPFR
import ScalarsSupport

/// The format's extreme values, computed exactly (MPFR at the format's precision) and written as exact
/// hexadecimal text or as decimal text with a chosen number of significant digits.
extension FloatFormat {
  public enum Constant: String, CaseIterable, Sendable {
    /// `(2^p − deficit) × 2^(emax − p + 1)`.
    case largestFinite = "largest_finite"
    /// `2^emin`.
    case smallestNormal = "smallest_normal"
    /// `2^(emin − p + 1)`, or `2^emin` without subnormals.
    case smallestSubnormal = "smallest_subnormal"
    /// `2^-p`.
    case unitRoundoff = "unit_roundoff"
  }

  func withConstant<R>(_ constant: Constant, _ body: (UnsafeMutablePointer<__mpfr_struct>) -> R) -> R {
    MPFRArithmetic.setWidestRange()
    return withTemporaryMPFR(precision: precision) { x in
      switch constant {
      case .largestFinite: MPFRArithmetic.setLargestFinite(x, mpfr, negative: false)
      case .smallestNormal: mpfr_set_ui_2exp(x, 1, emin.mpfrExp, MPFR_RNDN)
      case .smallestSubnormal: mpfr_set_ui_2exp(x, 1, smallestSubnormalExponent.mpfrExp, MPFR_RNDN)
      case .unitRoundoff: mpfr_set_ui_2exp(x, 1, unitRoundoffExponent.mpfrExp, MPFR_RNDN)
      }
      return body(x)
    }
  }

  /// The constant as exact C99 hexadecimal text.
  public func hex(_ constant: Constant) -> String {
    withConstant(constant) { HexFloat.format(mpfr: $0) }
  }

  /// The constant in decimal scientific notation, rounded to nearest at `digits` significant digits.
  public func decimal(_ constant: Constant, digits: Int = 6) -> String {
    withConstant(constant) { x in
      let count = 64 + digits
      return withUnsafeTemporaryAllocation(of: CChar.self, capacity: count) { buffer in
        _ = pl_mpfr_snprintf(buffer.baseAddress!, UInt(count), "%.\(max(digits - 1, 0))Re", x)
        return String(cString: buffer.baseAddress!)
      }
    }
  }
}
