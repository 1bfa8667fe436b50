import CMPFR

/// Correctly rounded operations of the MPFR engine in every `RoundingMode`, honouring a format's
/// exponent range, subnormals and overflow rule.
///
/// Nearest-even and the three directed modes use MPFR's own correct rounding, with the format's exponent
/// range set on the calling thread for the operation (MPFR's range is per thread and PrecisionLab never
/// relies on whatever a thread had), then `mpfr_check_range` and `mpfr_subnormalize`.
///
/// Nearest-away, odd and stochastic rounding (and formats MPFR cannot express: no subnormals,
/// saturation, E4M3-style largest finite) compute the operation at p + 64 bits rounded to odd (toward
/// zero, then the last bit set when inexact), which loses nothing that any rounding to p bits needs
/// (round-to-odd theorem), and round that to the format with `roundOddValue`.
public enum MPFRArithmetic {
  /// Whether the GNU MPFR linked in keeps its state (exponent range, flags, caches) per thread
  /// (`mpfr_buildopt_tls_p`). PrecisionLab sets the exponent range per operation on the calling
  /// thread and runs MPFR on several threads at once, which is only safe when this is true.
  public static var isThreadSafe: Bool { mpfr_buildopt_tls_p() != 0 }

  @inlinable @inline(__always)
  static func mpfrMode(_ mode: RoundingMode) -> mpfr_rnd_t {
    switch mode {
    case .towardZero: return MPFR_RNDZ
    case .towardPositive: return MPFR_RNDU
    case .towardNegative: return MPFR_RNDD
    default: return MPFR_RNDN
    }
  }

  /// Sets this thread's MPFR exponent range to the format's.
  @inlinable @inline(__always)
  static func setRange(_ c: MPFRFormatConstants) {
    mpfr_set_emin(mpfr_exp_t(c.rangeMin))
    mpfr_set_emax(mpfr_exp_t(c.rangeMax))
  }

  @inlinable @inline(__always)
  static func setWidestRange() {
    mpfr_set_emin(mpfr_get_emin_min())
    mpfr_set_emax(mpfr_get_emax_max())
  }

  /// Evaluates `operation(destination, mpfrRoundingMode)` (which must return MPFR's ternary value)
  /// and rounds it correctly into the format `c` in `mode`. `destination` has precision `c.precision`.
  @inlinable @inline(__always)
  public static func apply(
    _ destination: UnsafeMutablePointer<__mpfr_struct>, _ c: MPFRFormatConstants, _ mode: RoundingMode,
    _ operation: (UnsafeMutablePointer<__mpfr_struct>, mpfr_rnd_t) -> Int32
  ) {
    if isNative(mode, c) {
      let rnd = mpfrMode(mode)
      setRange(c)
      finishNative(destination, operation(destination, rnd), c, rnd)
      return
    }
    applyViaOdd(destination, c, mode, operation)
  }

  /// Whether `mode` in format `c` is MPFR's own correct rounding (with the format's exponent range
  /// set on the thread), not the round-to-odd path.
  @inlinable @inline(__always)
  public static func isNative(_ mode: RoundingMode, _ c: MPFRFormatConstants) -> Bool {
    mode.rawValue <= RoundingMode.towardNegative.rawValue && mode != .nearestAway && c.nativeDirected
  }

  /// After a native operation returned ternary value `t`: the format's overflow, underflow and
  /// subnormals (nothing for MPFR's unbounded range). The thread's range must be the format's.
  @inlinable @inline(__always)
  public static func finishNative(_ destination: UnsafeMutablePointer<__mpfr_struct>, _ t: Int32, _ c: MPFRFormatConstants, _ rnd: mpfr_rnd_t) {
    guard c.bounded else { return }
    let checked = mpfr_check_range(destination, t, rnd)
    if c.hasSubnormals { _ = mpfr_subnormalize(destination, checked, rnd) }
  }

  /// Runs `body` with the format's exponent range set on this thread, for a run of native operations
  /// (each still followed by `finishNative`): the range is set once, not per operation.
  @inlinable @inline(__always)
  public static func withRange<R>(_ c: MPFRFormatConstants, _ body: () -> R) -> R {
    setRange(c)
    return body()
  }

  @inlinable
  static func applyViaOdd(
    _ destination: UnsafeMutablePointer<__mpfr_struct>, _ c: MPFRFormatConstants, _ mode: RoundingMode,
    _ operation: (UnsafeMutablePointer<__mpfr_struct>, mpfr_rnd_t) -> Int32
  ) {
    setWidestRange()
    withTemporaryMPFR(precision: c.precision + 64) { y in
      let t = operation(y, MPFR_RNDZ)
      if t != 0 && mpfr_regular_p(y) != 0 && mpfr_min_prec(y) < mpfr_get_prec(y) {
        // Inexact with an even last bit: step away from zero to the odd neighbour.
        if mpfr_sgn(y) > 0 { mpfr_nextabove(y) } else { mpfr_nextbelow(y) }
      }
      if t == 0 && mpfr_zero_p(y) != 0 {
        // An exact zero: its sign depends on the mode (IEEE 754: −0 only toward −∞); any MPFR mode
        // computes it exactly.
        _ = operation(y, mode == .towardNegative ? MPFR_RNDD : MPFR_RNDN)
      }
      roundOddValue(destination, y, inexact: t != 0, c, mode)
    }
    if c.bounded { setRange(c) }
  }

  /// Rounds `y` — the operation's exact result rounded to odd at ≥ p + 2 bits in the widest exponent
  /// range, `inexact` if it was rounded — into the format.
  @usableFromInline
  static func roundOddValue(
    _ destination: UnsafeMutablePointer<__mpfr_struct>, _ y: UnsafeMutablePointer<__mpfr_struct>,
    inexact: Bool, _ c: MPFRFormatConstants, _ mode: RoundingMode
  ) {
    if mpfr_nan_p(y) != 0 {
      mpfr_set_nan(destination)
      return
    }
    let negative = mpfr_signbit(y) != 0
    if mpfr_inf_p(y) != 0 {
      if c.hasInfinities || !c.bounded {
        mpfr_set_inf(destination, negative ? -1 : 1)
      } else if c.overflow == .saturate {
        setLargestFinite(destination, c, negative: negative)
      } else {
        mpfr_set_nan(destination)
      }
      return
    }
    if mpfr_zero_p(y) != 0 {
      mpfr_set_zero(destination, negative ? -1 : 1)
      return
    }
    let p = c.precision
    let e = Int(mpfr_get_exp(y)) - 1  // IEEE exponent: 2^e ≤ |y| < 2^(e+1)
    let quantumExponent: Int
    if c.bounded && !c.hasSubnormals && e < c.emin {
      quantumExponent = c.emin  // grid {0, 2^emin}
    } else {
      quantumExponent = (c.bounded ? max(e, c.emin) : e) - p + 1
    }
    let work = Int(mpfr_get_prec(y)) + 2
    withTemporaryMPFR(precision: work) { scaled in
      withTemporaryMPFR(precision: work) { integer in
        // |y| / 2^quantumExponent = integer + fraction, all exact at `work` bits.
        mpfr_abs(scaled, y, MPFR_RNDN)
        mpfr_mul_2si(scaled, scaled, (-quantumExponent).mpfrExp, MPFR_RNDN)
        mpfr_rint_floor(integer, scaled, MPFR_RNDN)
        mpfr_sub(scaled, scaled, integer, MPFR_RNDN)  // fraction in [0, 1)
        let fraction = scaled
        let nonzeroFraction = mpfr_zero_p(fraction) == 0
        let roundUp: Bool
        switch mode {
        case .nearestEven:
          let cmp = mpfr_cmp_ui_2exp(fraction, 1, -1)
          roundUp = cmp > 0 || (cmp == 0 && isOddInteger(integer))
        case .nearestAway: roundUp = mpfr_cmp_ui_2exp(fraction, 1, -1) >= 0
        case .towardZero: roundUp = false
        case .towardPositive: roundUp = nonzeroFraction && !negative
        case .towardNegative: roundUp = nonzeroFraction && negative
        case .odd: roundUp = nonzeroFraction && !isOddInteger(integer)
        case .stochastic:
          // Up with probability `fraction` (resolution 2^-64): compare with a uniform 64-bit draw.
          let u = RoundingEnvironment.randomBits()
          roundUp = withTemporaryMPFR(precision: 64) { draw in
            mpfr_set_ui_2exp(draw, UInt(u), -64, MPFR_RNDN)
            return mpfr_cmp(draw, fraction) < 0
          }
        }
        if roundUp { mpfr_add_ui(integer, integer, 1, MPFR_RNDN) }
        mpfr_mul_2si(destination, integer, quantumExponent.mpfrExp, MPFR_RNDN)  // exact: ≤ p bits
        if negative { mpfr_neg(destination, destination, MPFR_RNDN) }
        if mpfr_zero_p(destination) != 0 { mpfr_set_zero(destination, negative ? -1 : 1) }
      }
    }
    if c.bounded && exceedsLargestFinite(destination, c) {
      setOverflow(destination, c, negative: negative, mode: mode)
    }
  }

  @inlinable static func isOddInteger(_ x: UnsafeMutablePointer<__mpfr_struct>) -> Bool {
    if mpfr_zero_p(x) != 0 { return false }
    return withTemporaryMPFR(precision: Int(mpfr_get_prec(x))) { half in
      mpfr_div_2ui(half, x, 1, MPFR_RNDN)
      return mpfr_integer_p(half) == 0
    }
  }

  /// Sets `x` to ± the largest finite value `(2^p − deficit) × 2^(emax − p + 1)` (exact).
  static func setLargestFinite(
    _ x: UnsafeMutablePointer<__mpfr_struct>, _ c: MPFRFormatConstants, negative: Bool
  ) {
    let saved = (mpfr_get_emin(), mpfr_get_emax())
    setWidestRange()
    mpfr_set_ui_2exp(x, 1, (c.emax + 1).mpfrExp, MPFR_RNDN)
    withTemporaryMPFR(precision: 8) { d in
      mpfr_set_ui_2exp(d, UInt(c.deficit), (c.emax - c.precision + 1).mpfrExp, MPFR_RNDN)
      mpfr_sub(x, x, d, MPFR_RNDN)
    }
    if negative { mpfr_neg(x, x, MPFR_RNDN) }
    mpfr_set_emin(saved.0)
    mpfr_set_emax(saved.1)
  }

  static func exceedsLargestFinite(_ x: UnsafeMutablePointer<__mpfr_struct>, _ c: MPFRFormatConstants) -> Bool {
    guard mpfr_regular_p(x) != 0 else { return false }
    return withTemporaryMPFR(precision: c.precision) { m in
      setLargestFinite(m, c, negative: false)
      return mpfr_cmpabs(x, m) > 0
    }
  }

  /// IEEE 754 §7.4 overflow result (see `SmallFormatArithmetic.overflowed`).
  static func setOverflow(
    _ x: UnsafeMutablePointer<__mpfr_struct>, _ c: MPFRFormatConstants, negative: Bool, mode: RoundingMode
  ) {
    let toLargestFinite = mode.overflowGivesLargestFinite(negative: negative)
    if toLargestFinite || c.overflow == .saturate {
      setLargestFinite(x, c, negative: negative)
    } else if c.overflow == .infinity {
      mpfr_set_inf(x, negative ? -1 : 1)
    } else {
      mpfr_set_nan(x)
    }
  }
}

extension Int {
  @inlinable var mpfrExp: mpfr_exp_t { mpfr_exp_t(self) }
}
