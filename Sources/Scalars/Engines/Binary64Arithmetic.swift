import CMPFR

/// Correctly rounded binary64 arithmetic in every `RoundingMode`, from the hardware's binary64
/// operations (which round to nearest even) and error-free transformations: the engine of `Binary64`.
///
/// Each operation computes `r`, the exact result rounded to nearest even (one hardware operation), and
/// `e = exact − r`: exactly for + and − (TwoSum), × (the fma error term) and the fused multiply-add
/// (a four-term expansion), with the right sign for ÷ and √ (the fma remainder). The exact value then
/// lies between `r` and its binary64 neighbour on `e`'s side, and `settle` picks the one the mode names:
/// toward zero, ±∞, to odd and nearest-away need only `e`'s sign (and whether it is exactly half the gap);
/// stochastic rounding compares one 64-bit draw with `|e|` over the gap, exactly as the MPFR engine does.
///
/// Where a transformation is not exact (a product, quotient or root within 2^-960 of the underflow
/// threshold, a result in the top binade or overflowing, stochastic ÷ and √, whose `e` is rounded) the
/// operation is computed by the MPFR engine at binary64's exponent range instead. Either way the result
/// is the MPFR engine's, bit for bit, stochastic draws included (one draw from the thread's stream per
/// finite non-zero result, none for an exact zero).
public enum Binary64Arithmetic {
  /// Results at or above this magnitude, or non-zero below `tiny` for operations whose error term can
  /// underflow, go to MPFR.
  @usableFromInline static let huge = 0x1p1023
  @usableFromInline static let tiny = 0x1p-960

  // MARK: Rounding `r + e`

  /// The rounding in `mode` of the exact value `r + e`, where `r` is finite, non-zero, below `huge` in
  /// magnitude and the exact value rounded to nearest even, and `e` is exact (or, for the directed modes
  /// and odd, has the sign of the exact error).
  @inlinable @inline(__always)
  public static func settle(_ r: Double, _ e: Double, _ mode: RoundingMode) -> Double {
    // Magnitudes: `l` is the error in the direction away from zero.
    let negative = r < 0
    let l = negative ? -e : e
    let awayFromZero: Bool
    switch mode {
    case .nearestEven:
      return r
    case .nearestAway:
      // A tie has `r` even (nearest-even chose it); away from zero moves only when the tie is above.
      guard l > 0, 2 * l == r.magnitude.nextUp - r.magnitude else { return r }
      awayFromZero = true
    case .towardZero:
      guard l < 0 else { return r }
      awayFromZero = false
    case .towardPositive:
      guard negative ? l < 0 : l > 0 else { return r }
      awayFromZero = !negative
    case .towardNegative:
      guard negative ? l > 0 : l < 0 else { return r }
      awayFromZero = negative
    case .odd:
      // Neighbouring binary64 numbers alternate in parity, so the odd one of `r` and the neighbour on
      // the error's side is `r` when `r` is odd.
      guard l != 0, r.bitPattern & 1 == 0 else { return r }
      awayFromZero = l > 0
    case .stochastic:
      return stochastic(r, l, RoundingEnvironment.randomBits())
    }
    // Every case that moves has the exact value above |r| when moving away from zero, below it otherwise.
    let m = awayFromZero ? r.magnitude.nextUp : r.magnitude.nextDown
    return negative ? -m : m
  }

  /// Stochastic rounding of `|r| + l` (`l` exact), with the draw `u`: the MPFR engine's rule, away from
  /// zero when `u < F`, F being the distance above the lower neighbour in units of 2^-64 of the gap,
  /// rounded to odd (the MPFR engine rounds the exact value to odd at p + 64 bits first).
  @inlinable
  static func stochastic(_ r: Double, _ l: Double, _ u: UInt64) -> Double {
    let h = r.magnitude
    let m: Double
    // A ratio below 2^-100 gives F in (0, 1), rounded to odd 1 (or 2^64 − 1): clamping there keeps the
    // result when the division underflows.
    if l == 0 {
      m = h
    } else if l > 0 {
      let up = h.nextUp
      let f = max(l / (up - h), 0x1p-100) * 0x1p64  // exact: a power-of-two scaling, in (0, 2^64)
      m = u < roundedToOdd(f) ? up : h
    } else {
      let down = h.nextDown
      let g = max(-l / (h - down), 0x1p-100) * 0x1p64  // the distance below h, exact, in (0, 2^64)
      // F = 2^64 − g, rounded to odd.
      let whole = g.rounded(.down)
      var f = 0 &- UInt64(whole)
      if whole != g {
        f &-= 1  // 2^64 − ⌈g⌉
        f |= 1
      }
      m = u < f ? h : down
    }
    return r < 0 ? -m : m
  }

  /// `x ≥ 0`, below 2^64, rounded to an integer by rounding to odd.
  @inlinable @inline(__always)
  static func roundedToOdd(_ x: Double) -> UInt64 {
    let whole = x.rounded(.down)
    let n = UInt64(whole)
    return whole == x ? n : n | 1
  }

  // The exact zero sum's sign and TwoSum are the binary64 engine's (`SmallFormatArithmetic`).
  @inlinable @inline(__always)
  static func zeroSum(_ a: Double, _ b: Double, _ mode: RoundingMode) -> Double { SmallFormatArithmetic.zeroSum(a, b, mode) }
  @inlinable @inline(__always)
  static func twoSum(_ x: Double, _ y: Double) -> (sum: Double, error: Double) { SmallFormatArithmetic.twoSum(x, y) }

  // MARK: Operations

  @inlinable @inline(__always)
  public static func add(_ a: Double, _ b: Double, _ mode: RoundingMode) -> Double {
    let s = a + b
    if mode == .nearestEven { return s }
    if s.magnitude < huge {
      if s == 0 { return zeroSum(a, b, mode) }  // exact
      return settle(s, twoSum(a, b).error, mode)
    }
    if s.isNaN || !a.isFinite || !b.isFinite { return s }  // exact
    return viaMPFR(a, b, mode) { mpfr_add($0, $1, $2, $3) }
  }

  @inlinable @inline(__always)
  public static func multiply(_ a: Double, _ b: Double, _ mode: RoundingMode) -> Double {
    let p = a * b
    if mode == .nearestEven { return p }
    let m = p.magnitude
    guard m < huge, m >= tiny || (p == 0 && (a == 0 || b == 0)) else {
      if p.isNaN || (!a.isFinite || !b.isFinite) { return p }  // NaN or an infinite operand: exact
      return viaMPFR(a, b, mode) { mpfr_mul($0, $1, $2, $3) }
    }
    if p == 0 { return p }
    return settle(p, (-p).addingProduct(a, b), mode)  // a·b − p, exact above `tiny`
  }

  @inlinable @inline(__always)
  public static func divide(_ a: Double, _ b: Double, _ mode: RoundingMode) -> Double {
    let q = a / b
    if mode == .nearestEven { return q }
    let m = q.magnitude
    guard mode != .stochastic, m < huge, m >= tiny, a.magnitude >= tiny, b.magnitude < huge else {
      if q.isNaN || !a.isFinite || !b.isFinite || b == 0 || a == 0 { return q }  // exact
      return viaMPFR(a, b, mode) { mpfr_div($0, $1, $2, $3) }
    }
    // a − q·b, exact here; a/b − q has its sign times b's.
    let remainder = a.addingProduct(-q, b)
    return settle(q, b < 0 ? -remainder : remainder, mode)
  }

  @inlinable @inline(__always)
  public static func squareRoot(_ a: Double, _ mode: RoundingMode) -> Double {
    let s = a.squareRoot()
    if mode == .nearestEven { return s }
    guard mode != .stochastic, a >= tiny, a < huge else {
      if !(a > 0) || a == .infinity { return s }  // zero, negative, NaN, +∞: exact
      return viaMPFR(a, mode) { mpfr_sqrt($0, $1, $2) }
    }
    return settle(s, a.addingProduct(-s, s), mode)  // a − s², exact here, with the sign of √a − s
  }

  /// `a × b + c` with one rounding.
  @inlinable
  public static func fusedMultiplyAdd(_ a: Double, _ b: Double, _ c: Double, _ mode: RoundingMode) -> Double {
    let r = c.addingProduct(a, b)
    if mode == .nearestEven { return r }
    let p = a * b
    guard r.magnitude < huge, p.magnitude < huge, p.magnitude >= tiny || p == 0, c.magnitude < huge else {
      return viaMPFR(a, b, c, mode)
    }
    if p == 0 {
      if a == 0 || b == 0 { return r == 0 ? zeroSum(p, c, mode) : settle(r, 0, mode) }  // exact: r = c
      return viaMPFR(a, b, c, mode)  // an underflowing product
    }
    // exact − r = p + e + c − r as a non-overlapping expansion (Shewchuk's Grow-Expansion), in
    // increasing magnitude: its sign is its largest non-zero component's, and for a tie all but
    // that component are zero.
    let e = (-p).addingProduct(a, b)
    let (q1, h1) = twoSum(c, e)
    let (q2, h2) = twoSum(q1, p)  // [h1, h2, q2] = p + e + c
    let (q3, g1) = twoSum(-r, h1)
    let (q4, g2) = twoSum(q3, h2)
    let (g4, g3) = twoSum(q4, q2)  // [g1, g2, g3, g4] = p + e + c − r
    if r == 0 {
      // Exact cancellation or a result below binary64's smallest subnormal, a binary64-representable
      // sum only when the expansion is zero.
      if g1 == 0 && g2 == 0 && g3 == 0 && g4 == 0 { return zeroSum(p, c, mode) }
      return viaMPFR(a, b, c, mode)
    }
    if r.magnitude < tiny { return viaMPFR(a, b, c, mode) }
    // The error as one binary64 (its largest component) when it is one; otherwise it is not a tie (so
    // nearest-away is nearest-even) and stochastic rounding, which needs it exactly, goes to MPFR.
    let lead = g4 != 0 ? g4 : g3 != 0 ? g3 : g2 != 0 ? g2 : g1
    let components = (g1 != 0 ? 1 : 0) + (g2 != 0 ? 1 : 0) + (g3 != 0 ? 1 : 0) + (g4 != 0 ? 1 : 0)
    if components > 1 {
      if mode == .nearestAway { return r }
      if mode == .stochastic { return viaMPFR(a, b, c, mode) }
    }
    return settle(r, lead, mode)
  }

  /// Rounds an integer into binary64 (split exactly into two binary64 parts first).
  @inlinable
  public static func fromInt(_ n: Int, _ mode: RoundingMode) -> Double {
    let high = (n >> 32) << 32
    let x = Double(high), y = Double(n &- high)  // both exact
    let (s, e) = twoSum(x, y)
    if s == 0 { return 0 }
    return mode == .nearestEven ? s : settle(s, e, mode)
  }

  // MARK: MPFR for the rest

  @usableFromInline static var constants: MPFRFormatConstants { FloatFormat.binary64.mpfr }

  /// `f(a)` on the MPFR engine, rounded into binary64 in `mode`.
  @inline(never) @usableFromInline
  static func viaMPFR(
    _ a: Double, _ mode: RoundingMode,
    _ f: (UnsafeMutablePointer<__mpfr_struct>, UnsafePointer<__mpfr_struct>, mpfr_rnd_t) -> Int32
  ) -> Double {
    MPFRArithmetic.setWidestRange()
    return withTemporaryMPFR(precision: 53) { x in
      mpfr_set_d(x, a, MPFR_RNDN)
      let result = MPFRNumber(constants, mode) { f($0, x, $1) }
      return mpfr_get_d(result.pointer, MPFR_RNDN)
    }
  }

  /// `f(a, b)` on the MPFR engine, rounded into binary64 in `mode`.
  @inline(never) @usableFromInline
  static func viaMPFR(
    _ a: Double, _ b: Double, _ mode: RoundingMode,
    _ f: (UnsafeMutablePointer<__mpfr_struct>, UnsafePointer<__mpfr_struct>, UnsafePointer<__mpfr_struct>, mpfr_rnd_t) -> Int32
  ) -> Double {
    MPFRArithmetic.setWidestRange()
    return withTemporaryMPFR(precision: 53) { x in
      withTemporaryMPFR(precision: 53) { y in
        mpfr_set_d(x, a, MPFR_RNDN)
        mpfr_set_d(y, b, MPFR_RNDN)
        let result = MPFRNumber(constants, mode) { f($0, x, y, $1) }
        return mpfr_get_d(result.pointer, MPFR_RNDN)
      }
    }
  }

  /// `a × b + c` on the MPFR engine, rounded into binary64 in `mode`.
  @inline(never) @usableFromInline
  static func viaMPFR(_ a: Double, _ b: Double, _ c: Double, _ mode: RoundingMode) -> Double {
    MPFRArithmetic.setWidestRange()
    return withTemporaryMPFR(precision: 53) { x in
      withTemporaryMPFR(precision: 53) { y in
        withTemporaryMPFR(precision: 53) { z in
          mpfr_set_d(x, a, MPFR_RNDN)
          mpfr_set_d(y, b, MPFR_RNDN)
          mpfr_set_d(z, c, MPFR_RNDN)
          let result = MPFRNumber(constants, mode) { mpfr_fma($0, x, y, z, $1) }
          return mpfr_get_d(result.pointer, MPFR_RNDN)
        }
      }
    }
  }
}
