import CMPFR
import Scalars
import Tensors

/// Why pre-activations came out exactly zero, decided exactly.
///
/// A dense layer computes z = round(Σᵢ xᵢ·wᵢ + b) in floating point. For each z that is exactly zero,
/// the same sum is recomputed from the same inputs, weights and bias EXACTLY (GNU MPFR with enough bits
/// that no operation rounds), and the zero is classified as
/// - `structural`: every product and the bias are zero (for example an all-zero input against a zero
///   bias): zero in any arithmetic;
/// - `cancellation`: the exact real sum is zero although some terms are not: zero in exact arithmetic
///   too;
/// - `rounding`: the exact sum is not zero: the zero is an artefact of rounding (cancellation after
///   rounded partial sums, absorption, or underflow).
/// `structural + cancellation` are the exact zeros of the real-number computation.
public struct ZeroCauses: Sendable, Hashable {
  public var structural = 0
  public var cancellation = 0
  public var rounding = 0

  public init(structural: Int = 0, cancellation: Int = 0, rounding: Int = 0) {
    self.structural = structural
    self.cancellation = cancellation
    self.rounding = rounding
  }

  public var exact: Int { structural + cancellation }
  public var total: Int { structural + cancellation + rounding }

  public static func + (a: ZeroCauses, b: ZeroCauses) -> ZeroCauses {
    ZeroCauses(structural: a.structural + b.structural, cancellation: a.cancellation + b.cancellation, rounding: a.rounding + b.rounding)
  }
}

public enum ZeroCause {
  /// Whether the classification is available for a format: its values must be binary64 values.
  public static func isSupported(_ format: FloatFormat) -> Bool { ScalarConversion.isExactInBinary64(format) }

  /// Classifies every exact zero of `z = x Wᵀ + b` (a dense layer's output, `[batch, out]`), given the
  /// layer's input `x` `[batch, in]`, weight `[out, in]` and bias `[out]`.
  public static func classify<T: PrecisionScalar>(input x: Tensor<T>, weight: Tensor<T>, bias: Tensor<T>, output z: Tensor<T>) -> ZeroCauses {
    precondition(isSupported(T.format), "zero causes need a format within binary64, not \(T.format.name)")
    let (batch, k, outputs) = (x.shape[0], x.shape[1], weight.shape[0])
    precondition(z.shape == [batch, outputs] && weight.shape[1] == k, "zero causes: shapes \(x.shape), \(weight.shape), \(z.shape)")
    var causes = ZeroCauses()
    let exact = ExactSum()
    // Products are exact in binary64 when 2p ≤ 53 and they can neither overflow nor underflow.
    let f = T.format
    let productsExact = 2 * f.precision <= 53 && 2 * f.emax <= 1022 && 2 * f.smallestSubnormalExponent >= -1074
    let gamma = Double(k + 1) * 0x1p-53 / (1 - Double(k + 1) * 0x1p-53)
    var terms = [Double](repeating: 0, count: k)
    for b in 0..<batch {
      for o in 0..<outputs where z.storage[b * outputs + o].isZero {
        let bi = bias.storage[o].doubleValue
        var allZero = bi == 0
        for i in 0..<k {
          let t = x.storage[b * k + i].doubleValue * weight.storage[o * k + i].doubleValue
          terms[i] = t
          if t != 0 { allZero = false }
        }
        if allZero {
          causes.structural += 1
          continue
        }
        if productsExact {
          // Filter: a binary64 sum whose magnitude exceeds its error bound cannot hide an exact zero.
          var s = 0.0, magnitude = 0.0
          for t in terms { s += t; magnitude += Swift.abs(t) }
          s += bi
          magnitude += Swift.abs(bi)
          if Swift.abs(s) > gamma * magnitude * (1 + 0x1p-50) {
            causes.rounding += 1
            continue
          }
        }
        let isZero = exact.isZero(
          count: k, x: { x.storage[b * k + $0].doubleValue }, w: { weight.storage[o * k + $0].doubleValue }, bias: bi)
        if isZero { causes.cancellation += 1 } else { causes.rounding += 1 }
      }
    }
    return causes
  }
}

/// Σ xᵢ·wᵢ + b of binary64 values with no rounding at all, in MPFR, at a precision chosen from the
/// operands' exponents and significand widths so that every partial sum is representable.
struct ExactSum {
  func isZero(count: Int, x: (Int) -> Double, w: (Int) -> Double, bias: Double) -> Bool {
    // Bits from the lowest set bit of any term to above the largest term, plus carries.
    var low = Int.max, high = Int.min
    for i in 0..<count {
      let (a, c) = (x(i), w(i))
      guard a != 0 && c != 0 else { continue }
      low = min(low, (a.exponent - a.significandWidth) + (c.exponent - c.significandWidth))
      high = max(high, a.exponent + c.exponent + 2)
    }
    if bias != 0 {
      low = min(low, bias.exponent - bias.significandWidth)
      high = max(high, bias.exponent + 1)
    }
    guard low != Int.max else { return true }
    let precision = high - low + (Int.bitWidth - count.leadingZeroBitCount) + 4
    let (savedMin, savedMax) = (mpfr_get_emin(), mpfr_get_emax())
    mpfr_set_emin(mpfr_get_emin_min())
    mpfr_set_emax(mpfr_get_emax_max())
    defer {
      mpfr_set_emin(savedMin)
      mpfr_set_emax(savedMax)
    }
    let v = UnsafeMutablePointer<__mpfr_struct>.allocate(capacity: 4)
    let (sum, product, a, c) = (v, v + 1, v + 2, v + 3)
    mpfr_init2(sum, mpfr_prec_t(precision))
    mpfr_init2(product, 106)
    mpfr_init2(a, 53)
    mpfr_init2(c, 53)
    defer {
      for i in 0..<4 { mpfr_clear(v + i) }
      v.deallocate()
    }
    mpfr_set_d(sum, bias, MPFR_RNDN)
    for i in 0..<count {
      mpfr_set_d(a, x(i), MPFR_RNDN)
      mpfr_set_d(c, w(i), MPFR_RNDN)
      mpfr_mul(product, a, c, MPFR_RNDN)
      mpfr_add(sum, sum, product, MPFR_RNDN)
    }
    return mpfr_zero_p(sum) != 0
  }
}
