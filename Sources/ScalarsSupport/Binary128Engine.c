// IEEE 754 binary128 on 64-bit integers (see Binary128Engine.h for the contract).
//
// Each operation unpacks its operands to (sign, integer significand, exponent), computes the exact
// result as a 256-bit integer times a power of two (sums and products are exact; quotients and square
// roots are exact to 128 or 192 bits plus a sticky bit), and `round_pack` rounds that once into the
// format in the requested mode.
#include "Binary128Engine.h"
#include "ScalarsSupport.h"
#include <gmp.h>
#include <math.h>
#include <mpfr.h>

#define INLINE static inline __attribute__((always_inline))

typedef unsigned __int128 u128;

enum { BIAS = 16383, EMIN = -16382, PREC = 113, MAX_BIASED = 0x7fff };
enum { CLS_ZERO, CLS_FINITE, CLS_INF, CLS_NAN };
enum { MODE_NEAREST_EVEN, MODE_NEAREST_AWAY, MODE_TOWARD_ZERO, MODE_UP, MODE_DOWN, MODE_ODD, MODE_STOCHASTIC };

/// A value (-1)^sign × m × 2^e; for finite non-zero values m ≠ 0.
typedef struct {
  int cls;
  int sign;
  int64_t e;
  u128 m;
} unpacked;

typedef struct {
  uint64_t w[4];  // little-endian limbs
} u256;

static const uint64_t FRACTION_MASK = 0xffffffffffffULL;

static inline pl_f128 make(uint64_t hi, uint64_t lo) {
  pl_f128 r = {lo, hi};
  return r;
}
static inline pl_f128 make_nan(void) { return make(0x7fff800000000000ULL, 0); }
static inline pl_f128 make_zero(int sign) { return make((uint64_t)sign << 63, 0); }
static inline pl_f128 make_inf(int sign) { return make(((uint64_t)sign << 63) | 0x7fff000000000000ULL, 0); }
static inline pl_f128 make_largest(int sign) {
  return make(((uint64_t)sign << 63) | 0x7ffeffffffffffffULL, ~0ULL);
}

INLINE unpacked unpack(pl_f128 a) {
  unpacked u;
  u.sign = (int)(a.hi >> 63);
  int64_t biased = (int64_t)((a.hi >> 48) & 0x7fff);
  u128 fraction = ((u128)(a.hi & FRACTION_MASK) << 64) | a.lo;
  if (biased == MAX_BIASED) {
    u.cls = fraction ? CLS_NAN : CLS_INF;
    u.e = 0;
    u.m = 0;
  } else if (biased == 0) {
    u.cls = fraction ? CLS_FINITE : CLS_ZERO;
    u.e = EMIN - (PREC - 1);
    u.m = fraction;
  } else {
    u.cls = CLS_FINITE;
    u.e = biased - BIAS - (PREC - 1);
    u.m = fraction | ((u128)1 << (PREC - 1));
  }
  return u;
}

// ---- 256-bit helpers ---------------------------------------------------------------------------

static inline int bitlen64(uint64_t x) { return x ? 64 - __builtin_clzll(x) : 0; }

static inline int bitlen256(const u256 *x) {
  for (int i = 3; i >= 0; i--)
    if (x->w[i]) return 64 * i + bitlen64(x->w[i]);
  return 0;
}

static inline u256 from128(u128 m) {
  u256 r = {{(uint64_t)m, (uint64_t)(m >> 64), 0, 0}};
  return r;
}

static inline int nonzero256(const u256 *x) { return (x->w[0] | x->w[1] | x->w[2] | x->w[3]) != 0; }

/// The 64 bits of x starting at bit `pos` (≥ 0); bits beyond 256 read as zero.
static inline uint64_t bits64_at(const u256 *x, int64_t pos) {
  if (pos >= 256) return 0;
  int q = (int)(pos >> 6), b = (int)(pos & 63);
  uint64_t v = x->w[q] >> b;
  if (b && q + 1 < 4) v |= x->w[q + 1] << (64 - b);
  return v;
}

/// Whether any bit of x below bit `pos` is set.
static inline int any_below(const u256 *x, int64_t pos) {
  if (pos <= 0) return 0;
  if (pos >= 256) return nonzero256(x);
  int q = (int)(pos >> 6), b = (int)(pos & 63);
  for (int i = 0; i < q; i++)
    if (x->w[i]) return 1;
  return b ? (x->w[q] & ((1ULL << b) - 1)) != 0 : 0;
}

INLINE u256 mul128(u128 a, u128 b) {
  uint64_t a0 = (uint64_t)a, a1 = (uint64_t)(a >> 64), b0 = (uint64_t)b, b1 = (uint64_t)(b >> 64);
  u128 p00 = (u128)a0 * b0, p01 = (u128)a0 * b1, p10 = (u128)a1 * b0, p11 = (u128)a1 * b1;
  u128 middle = (p00 >> 64) + (uint64_t)p01 + (uint64_t)p10;
  u256 r;
  r.w[0] = (uint64_t)p00;
  r.w[1] = (uint64_t)middle;
  u128 high = p11 + (p01 >> 64) + (p10 >> 64) + (middle >> 64);
  r.w[2] = (uint64_t)high;
  r.w[3] = (uint64_t)(high >> 64);
  return r;
}

// ---- rounding --------------------------------------------------------------------------------------

static inline pl_f128 overflowed(int sign, int32_t mode) {
  int largest = mode == MODE_TOWARD_ZERO || mode == MODE_ODD || (mode == MODE_UP && sign) ||
                (mode == MODE_DOWN && !sign);
  return largest ? make_largest(sign) : make_inf(sign);
}

/// The last step of every rounding: `integer` (at most 113 bits) is the value truncated to the last
/// place 2^qe, `f64` the top 64 bits of the fraction beyond it and `rest` whether anything beyond those
/// is non-zero; e is the exponent of the value's leading bit (it selects the stochastic comparison).
INLINE pl_f128 finish(int sign, u128 integer, int64_t qe, uint64_t f64, int rest, int64_t e, int32_t mode) {
  const uint64_t half = 1ULL << 63;
  int inexact = f64 != 0 || rest;
  int up;
  switch (mode) {
  case MODE_NEAREST_EVEN: up = f64 > half || (f64 == half && (rest || (integer & 1))); break;
  case MODE_NEAREST_AWAY: up = f64 >= half; break;
  case MODE_TOWARD_ZERO: up = 0; break;
  case MODE_UP: up = inexact && !sign; break;
  case MODE_DOWN: up = inexact && sign; break;
  case MODE_ODD: up = inexact && !(integer & 1); break;
  default: {
    uint64_t u = pl_random_u64();
    up = e >= EMIN ? u < (f64 | (uint64_t)rest) : (u < f64 || (u == f64 && rest));
  }
  }
  if (up) {
    integer += 1;
    if (integer >> PREC) {
      integer >>= 1;
      qe += 1;
    }
  }
  if (integer == 0) return make_zero(sign);
  uint64_t biased = 0;
  if (integer >> (PREC - 1)) {
    int64_t b = qe + (PREC - 1) + BIAS;
    if (b >= MAX_BIASED) return overflowed(sign, mode);
    biased = (uint64_t)b;
  }
  return make(((uint64_t)sign << 63) | (biased << 48) | ((uint64_t)(integer >> 64) & FRACTION_MASK), (uint64_t)integer);
}

/// Rounds (-1)^sign × (M + ε) × 2^E into binary128, where M ≠ 0 and 0 ≤ ε < 1 is non-zero exactly when
/// `sticky`. Callers that set `sticky` give M at least 64 bits beyond the result's last place when
/// the mode is stochastic, and at least 2 otherwise.
__attribute__((noinline)) static pl_f128 round_pack(int sign, u256 M, int64_t E, int sticky, int32_t mode) {
  int length = bitlen256(&M);
  int64_t e = E + length - 1;  // 2^e ≤ |value| < 2^(e+1)
  int64_t qe = (e > EMIN ? e : EMIN) - (PREC - 1);  // the exponent of the last place
  int64_t shift = qe - E;
  u128 integer;
  uint64_t f64 = 0;  // the top 64 bits of the fraction beyond the last place
  int rest = sticky;  // whether anything beyond those 64 bits is non-zero
  if (shift <= 0) {
    integer = ((u128)M.w[1] << 64 | M.w[0]) << -shift;  // M has at most 113 bits here
  } else {
    integer = (u128)bits64_at(&M, shift + 64) << 64 | bits64_at(&M, shift);
    if (shift >= 64) {
      f64 = bits64_at(&M, shift - 64);
      rest |= any_below(&M, shift - 64);
    } else {
      f64 = M.w[0] << (64 - shift);
    }
  }
  return finish(sign, integer, qe, f64, rest, e, mode);
}

/// `round_pack` for a 256-bit value hi:lo with its leading bit at 255 (hi ≥ 2^127) and that bit's
/// exponent e: the last place is at bit 143 for every normal result, so no variable shift is needed.
INLINE pl_f128 round_top(int sign, u128 hi, u128 lo, int64_t e, int sticky, int32_t mode) {
  if (__builtin_expect(e < EMIN, 0)) {
    u256 M = {{(uint64_t)lo, (uint64_t)(lo >> 64), (uint64_t)hi, (uint64_t)(hi >> 64)}};
    return round_pack(sign, M, e - 255, sticky, mode);
  }
  uint64_t f64 = ((uint64_t)hi & 0x7fff) << 49 | (uint64_t)(lo >> 79);
  int rest = sticky || (lo & (((u128)1 << 79) - 1)) != 0;
  return finish(sign, hi >> 15, e - (PREC - 1), f64, rest, e, mode);
}

/// A finite non-zero value that is already a binary128 value, as a result: itself in every mode (in
/// stochastic mode it still takes its draw, as every finite non-zero result does).
INLINE pl_f128 exact_result(pl_f128 v, int32_t mode) {
  if (mode == MODE_STOCHASTIC) (void)pl_random_u64();
  return v;
}

static inline pl_f128 round_exact(int sign, u128 m, int64_t e, int32_t mode) {
  return round_pack(sign, from128(m), e, 0, mode);
}

// ---- sums and products -------------------------------------------------------------------------------

INLINE int clz128(u128 x) {
  uint64_t h = (uint64_t)(x >> 64);
  return h ? __builtin_clzll(h) : 64 + __builtin_clzll((uint64_t)x);
}

/// A finite non-zero operand moved to the top of 128 bits: m << s with bit 127 set, and the exponent
/// of that bit.
INLINE u128 top(const unpacked *x, int64_t *e) {
  int s = clz128(x->m);
  *e = x->e + 127 - s;
  return x->m << s;
}

/// (-1)^sx (X + Y...) for 256-bit values hi:lo with their leading bits at 255 and those bits'
/// exponents ex and ey, rounded once. The smaller one is shifted right into a sticky bit; it loses
/// bits only when it is at least 2^30 times smaller (binary128 operands and products of two have at
/// most 226 significant bits), so a difference then still has its leading bit at 254 or 255.
INLINE pl_f128 add_top(int sx, u128 xh, u128 xl, int64_t ex, int sy, u128 yh, u128 yl, int64_t ey, int32_t mode) {
  if (ex < ey || (ex == ey && (xh < yh || (xh == yh && xl < yl)))) {
    u128 th = xh, tl = xl; xh = yh; xl = yl; yh = th; yl = tl;
    int64_t te = ex; ex = ey; ey = te;
    int ts = sx; sx = sy; sy = ts;
  }
  int64_t d = ex - ey;
  int sticky = 0;
  if (d >= 256) {
    sticky = 1;
    yh = yl = 0;
  } else if (d >= 128) {
    int s = (int)(d - 128);
    sticky = yl != 0 || (s && (yh << (128 - s)) != 0);
    yl = s ? yh >> s : yh;
    yh = 0;
  } else if (d > 0) {
    int s = (int)d;
    sticky = (yl << (128 - s)) != 0;
    yl = (yl >> s) | (yh << (128 - s));
    yh >>= s;
  }
  if (sx == sy) {
    u128 lo = xl + yl;
    u128 hi = xh + yh + (lo < xl);
    if (hi < xh || (hi == xh && lo < xl)) {  // carried out of bit 255
      sticky |= (int)(lo & 1);
      lo = (lo >> 1) | (hi << 127);
      hi = (hi >> 1) | ((u128)1 << 127);
      ex += 1;
    }
    return round_top(sx, hi, lo, ex, sticky, mode);
  }
  // X ≥ Y: X − Y − ε, where a sticky Y (shifted, so X ≥ 2^30 Y) means one more unit is borrowed.
  u128 lo = xl - yl - (u128)sticky;
  u128 hi = xh - yh - (xl < yl || (xl == yl && sticky));
  if (hi == 0 && lo == 0) return make_zero(mode == MODE_DOWN);  // exact cancellation (no sticky)
  int s = hi ? clz128(hi) : 128 + clz128(lo);
  if (s >= 128) {
    hi = lo << (s - 128);
    lo = 0;
  } else if (s > 0) {
    hi = (hi << s) | (lo >> (128 - s));
    lo <<= s;
  }
  return round_top(sx, hi, lo, ex - s, sticky, mode);
}

/// a + b, where x and y are a and b unpacked.
INLINE pl_f128 add_unpacked(pl_f128 a, unpacked x, pl_f128 b, unpacked y, int32_t mode) {
  if (x.cls == CLS_NAN || y.cls == CLS_NAN) return make_nan();
  if (x.cls == CLS_INF) return (y.cls == CLS_INF && y.sign != x.sign) ? make_nan() : make_inf(x.sign);
  if (y.cls == CLS_INF) return make_inf(y.sign);
  if (x.cls == CLS_ZERO && y.cls == CLS_ZERO) return make_zero(x.sign == y.sign ? x.sign : mode == MODE_DOWN);
  if (x.cls == CLS_ZERO) return exact_result(b, mode);
  if (y.cls == CLS_ZERO) return exact_result(a, mode);
  int64_t ex, ey;
  u128 xh = top(&x, &ex), yh = top(&y, &ey);
  return add_top(x.sign, xh, 0, ex, y.sign, yh, 0, ey, mode);
}

pl_f128 pl_f128_add(pl_f128 a, pl_f128 b, int32_t mode) { return add_unpacked(a, unpack(a), b, unpack(b), mode); }

pl_f128 pl_f128_sub(pl_f128 a, pl_f128 b, int32_t mode) {
  b.hi ^= 1ULL << 63;
  return add_unpacked(a, unpack(a), b, unpack(b), mode);
}

/// The exact product of two finite non-zero operands as hi:lo with its leading bit at 255, and that
/// bit's exponent.
INLINE void product_top(const unpacked *x, const unpacked *y, u128 *hi, u128 *lo, int64_t *e) {
  int64_t ex, ey;
  u128 a = top(x, &ex), b = top(y, &ey);
  u256 p = mul128(a, b);  // in [2^254, 2^256)
  *hi = (u128)p.w[3] << 64 | p.w[2];
  *lo = (u128)p.w[1] << 64 | p.w[0];
  *e = ex + ey + 1;
  if (!(*hi >> 127)) {
    *hi = (*hi << 1) | (*lo >> 127);
    *lo <<= 1;
    *e -= 1;
  }
}

pl_f128 pl_f128_mul(pl_f128 a, pl_f128 b, int32_t mode) {
  unpacked x = unpack(a), y = unpack(b);
  int sign = x.sign ^ y.sign;
  if (x.cls == CLS_NAN || y.cls == CLS_NAN) return make_nan();
  if (x.cls == CLS_INF || y.cls == CLS_INF)
    return (x.cls == CLS_ZERO || y.cls == CLS_ZERO) ? make_nan() : make_inf(sign);
  if (x.cls == CLS_ZERO || y.cls == CLS_ZERO) return make_zero(sign);
  u128 hi, lo;
  int64_t e;
  product_top(&x, &y, &hi, &lo, &e);
  return round_top(sign, hi, lo, e, 0, mode);
}

pl_f128 pl_f128_fma(pl_f128 a, pl_f128 b, pl_f128 c, int32_t mode) {
  unpacked x = unpack(a), y = unpack(b), z = unpack(c);
  int sign = x.sign ^ y.sign;
  if (x.cls == CLS_NAN || y.cls == CLS_NAN || z.cls == CLS_NAN) return make_nan();
  if (x.cls == CLS_INF || y.cls == CLS_INF) {
    if (x.cls == CLS_ZERO || y.cls == CLS_ZERO) return make_nan();
    return (z.cls == CLS_INF && z.sign != sign) ? make_nan() : make_inf(sign);
  }
  if (z.cls == CLS_INF) return make_inf(z.sign);
  if (x.cls == CLS_ZERO || y.cls == CLS_ZERO) {
    if (z.cls == CLS_ZERO) return make_zero(sign == z.sign ? sign : mode == MODE_DOWN);
    return exact_result(c, mode);
  }
  u128 hi, lo;
  int64_t e;
  product_top(&x, &y, &hi, &lo, &e);
  if (z.cls == CLS_ZERO) return round_top(sign, hi, lo, e, 0, mode);
  int64_t ez;
  u128 zh = top(&z, &ez);
  return add_top(sign, hi, lo, e, z.sign, zh, 0, ez, mode);
}

// ---- quotients and square roots ---------------------------------------------------------------------
// Both start from a binary64 estimate and correct it with exact integer residuals: each step adds
// about 50 correct bits, and the loop stops only when the residual proves the integer result exact.

enum { LIMBS = 7 };

static double limbs_to_double(const uint64_t *a, int n) {
  for (int i = n - 1; i >= 0; i--) {
    if (!a[i]) continue;
    double v = (double)a[i];
    if (i > 0) v = v * 0x1p64 + (double)a[i - 1];
    return ldexp(v, 64 * (i > 0 ? i - 1 : 0));
  }
  return 0;
}

/// r[0..<n] = a (n limbs) − b (n limbs), two's complement; returns whether the result is negative
/// (the borrow out of the top limb, for |a − b| < 2^(64n − 1)).
static int sub_limbs(uint64_t *r, const uint64_t *a, const uint64_t *b, int n) {
  uint64_t borrow = 0;
  for (int i = 0; i < n; i++) {
    u128 t = (u128)a[i] - b[i] - borrow;
    r[i] = (uint64_t)t;
    borrow = (uint64_t)(t >> 64) & 1;
  }
  return (int)(r[n - 1] >> 63);
}

static void negate_limbs(uint64_t *a, int n) {
  uint64_t carry = 1;
  for (int i = 0; i < n; i++) {
    u128 t = (u128)(~a[i]) + carry;
    a[i] = (uint64_t)t;
    carry = (uint64_t)(t >> 64);
  }
}

/// r[0..<LIMBS] = a (na limbs) × b (nb limbs), na + nb ≤ LIMBS.
static void mul_limbs(uint64_t *r, const uint64_t *a, int na, const uint64_t *b, int nb) {
  for (int i = 0; i < LIMBS; i++) r[i] = 0;
  for (int i = 0; i < na; i++) {
    uint64_t carry = 0;
    for (int j = 0; j < nb; j++) {
      u128 t = (u128)a[i] * b[j] + r[i + j] + carry;
      r[i + j] = (uint64_t)t;
      carry = (uint64_t)(t >> 64);
    }
    r[i + nb] = carry;
  }
}

/// a (n limbs) += or −= the integer part of |v| (v finite, |v| < 2^(64n)).
static void add_double_to_limbs(uint64_t *a, int n, double v, int subtract) {
  int exponent;
  double fraction = frexp(v, &exponent);  // v = fraction × 2^exponent, 0.5 ≤ fraction < 1
  uint64_t m = (uint64_t)ldexp(fraction, 53);
  int shift = exponent - 53;
  uint64_t step[LIMBS] = {0};
  if (shift < 0) {
    step[0] = shift <= -64 ? 0 : m >> -shift;
  } else {
    int q = shift >> 6, b = shift & 63;
    if (q < n) step[q] = m << b;
    if (b && q + 1 < n) step[q + 1] = m >> (64 - b);
  }
  uint64_t carry = 0;
  for (int i = 0; i < n; i++) {
    if (subtract) {
      u128 t = (u128)a[i] - step[i] - carry;
      a[i] = (uint64_t)t;
      carry = (uint64_t)(t >> 64) & 1;
    } else {
      u128 t = (u128)a[i] + step[i] + carry;
      a[i] = (uint64_t)t;
      carry = (uint64_t)(t >> 64);
    }
  }
}

/// Moves the estimate `q` (nq limbs) toward the exact integer result: `residual` computes
/// r = target − f(q) into LIMBS limbs and returns whether it is negative; `slope` is f's derivative
/// scale (the divisor, or 2q for a square root); `done(r)` says that q is the floor. Returns whether
/// the final residual is non-zero.
typedef int (*residual_fn)(uint64_t *r, const uint64_t *q, int nq, const void *context);

static int refine(uint64_t *q, int nq, residual_fn residual, double (*slope)(const uint64_t *q, int nq, const void *),
                  int (*below_bound)(const uint64_t *r, const uint64_t *q, int nq, const void *), const void *context) {
  uint64_t r[LIMBS];
  for (int iteration = 0; iteration < 64; iteration++) {
    int negative = residual(r, q, nq, context);
    if (!negative && below_bound(r, q, nq, context)) {
      for (int i = 0; i < LIMBS; i++)
        if (r[i]) return 1;
      return 0;
    }
    if (negative) negate_limbs(r, LIMBS);
    double step = limbs_to_double(r, LIMBS) / slope(q, nq, context);
    step = negative ? ceil(step) : floor(step);
    if (!(step >= 1)) step = 1;
    add_double_to_limbs(q, nq, step, negative);
  }
  return 1;  // not reached: each step gains about 50 bits
}

typedef struct {
  const uint64_t *n;  // the dividend, LIMBS limbs
  const uint64_t *d;  // the divisor, 2 limbs
  double d_value;
} quotient_context;

static int quotient_residual(uint64_t *r, const uint64_t *q, int nq, const void *context) {
  const quotient_context *c = context;
  uint64_t qd[LIMBS];
  mul_limbs(qd, q, nq, c->d, 2);
  return sub_limbs(r, c->n, qd, LIMBS);
}
static double quotient_slope(const uint64_t *q, int nq, const void *context) {
  (void)q; (void)nq;
  return ((const quotient_context *)context)->d_value;
}
static int quotient_bound(const uint64_t *r, const uint64_t *q, int nq, const void *context) {
  (void)q; (void)nq;
  const quotient_context *c = context;
  for (int i = LIMBS - 1; i >= 2; i--)
    if (r[i]) return 0;
  return r[1] < c->d[1] || (r[1] == c->d[1] && r[0] < c->d[0]);
}

static int square_residual(uint64_t *r, const uint64_t *q, int nq, const void *context) {
  uint64_t qq[LIMBS];
  mul_limbs(qq, q, nq, q, nq);
  return sub_limbs(r, (const uint64_t *)context, qq, LIMBS);
}
static double square_slope(const uint64_t *q, int nq, const void *context) {
  (void)context;
  return 2 * limbs_to_double(q, nq);
}
static int square_bound(const uint64_t *r, const uint64_t *q, int nq, const void *context) {
  (void)context;
  uint64_t twice[LIMBS];  // r ≤ 2q: q is the floor of the square root
  for (int i = 0; i < LIMBS; i++) {
    uint64_t v = i < nq ? q[i] : 0, carried = (i > 0 && i - 1 < nq) ? q[i - 1] >> 63 : 0;
    twice[i] = (v << 1) | carried;
  }
  for (int i = LIMBS - 1; i >= 0; i--)
    if (r[i] != twice[i]) return r[i] < twice[i];
  return 1;
}

/// Sets `limbs` (LIMBS limbs) to m << shift.
static void shifted_limbs(uint64_t *limbs, u128 m, int shift) {
  for (int i = 0; i < LIMBS; i++) limbs[i] = 0;
  uint64_t parts[2] = {(uint64_t)m, (uint64_t)(m >> 64)};
  int q = shift >> 6, b = shift & 63;
  for (int i = 0; i < 2; i++) {
    if (i + q < LIMBS) limbs[i + q] |= parts[i] << b;
    if (b && i + q + 1 < LIMBS) limbs[i + q + 1] |= parts[i] >> (64 - b);
  }
}

/// q (nq limbs) = the integer part of v ≥ 0, or the largest nq-limb integer if v is that large.
static void set_from_double(uint64_t *q, int nq, double v) {
  for (int i = 0; i < nq; i++) q[i] = 0;
  if (v >= ldexp(1, 64 * nq)) {
    for (int i = 0; i < nq; i++) q[i] = ~0ULL;
    return;
  }
  add_double_to_limbs(q, nq, v, 0);
}

/// Moves m's leading bit to bit 112 (a subnormal's significand), adjusting e.
static inline void normalize(unpacked *u) {
  int length = u->m >> 64 ? 64 + bitlen64((uint64_t)(u->m >> 64)) : bitlen64((uint64_t)u->m);
  int s = PREC - length;
  u->m <<= s;
  u->e -= s;
}

static u256 limbs_to_u256(const uint64_t *q, int nq) {
  u256 r = {{0, 0, 0, 0}};
  for (int i = 0; i < nq && i < 4; i++) r.w[i] = q[i];
  return r;
}

// The deterministic modes need only a 128-bit quotient or root and a sticky bit: a binary64 estimate
// corrected twice with exact 256-bit residuals (each correction gains about 50 bits), then by whole
// units until the residual proves the result is the floor.

typedef struct {
  u128 hi, lo;  // two's complement
} s256;

INLINE s256 s256_sub(s256 a, s256 b) {
  s256 r = {a.hi - b.hi - (a.lo < b.lo), a.lo - b.lo};
  return r;
}
INLINE s256 s256_add(s256 a, s256 b) {
  u128 lo = a.lo + b.lo;
  s256 r = {a.hi + b.hi + (lo < a.lo), lo};
  return r;
}
INLINE int s256_negative(s256 a) { return (int)(a.hi >> 127); }
INLINE s256 s256_product(u128 a, u128 b) {
  u256 p = mul128(a, b);
  s256 r = {(u128)p.w[3] << 64 | p.w[2], (u128)p.w[1] << 64 | p.w[0]};
  return r;
}
/// 2^k for −1022 ≤ k ≤ 1023.
INLINE double power_of_two(int k) {
  union { uint64_t u; double d; } x = {(uint64_t)(1023 + k) << 52};
  return x.d;
}

/// hi:lo (unsigned) as a binary64 estimate (its top 64 bits, converted; relative error below 2^-52).
INLINE double u256_estimate(u128 hi, u128 lo) {
  if (hi) {
    int s = clz128(hi);
    u128 top = s ? (hi << s) | (lo >> (128 - s)) : hi;
    return (double)(uint64_t)(top >> 64) * power_of_two(192 - s);
  }
  if (!lo) return 0;
  int s = clz128(lo);
  return (double)(uint64_t)((lo << s) >> 64) * power_of_two(64 - s);
}

INLINE double s256_to_double(s256 a) {
  int negative = s256_negative(a);
  if (negative) a = s256_sub((s256){0, 0}, a);
  double v = u256_estimate(a.hi, a.lo);
  return negative ? -v : v;
}

/// The integer part of v (|v| < 2^127), as a two's complement 128-bit step.
INLINE u128 integer_step(double v) {
  union { double d; uint64_t u; } x = {v};
  int exponent = (int)((x.u >> 52) & 0x7ff) - 1075;
  u128 m = (x.u & ((1ULL << 52) - 1)) | (1ULL << 52);
  if ((x.u & 0x7fffffffffffffffULL) < 0x3ff0000000000000ULL) return 0;  // |v| < 1
  u128 magnitude = exponent >= 0 ? m << exponent : m >> -exponent;
  return (x.u >> 63) ? 0 - magnitude : magnitude;
}

/// a ≥ b for a ≥ 0.
INLINE int s256_at_least(s256 a, s256 b) { return a.hi > b.hi || (a.hi == b.hi && a.lo >= b.lo); }

/// floor(A × 2^k / B) for A, B in [2^112, 2^113) with k = 127 or 128 chosen so the quotient is in
/// [2^127, 2^128); `*sticky` is whether the remainder is non-zero.
INLINE u128 quotient128(u128 A, u128 B, int k, int *sticky) {
  s256 n = k == 128 ? (s256){A, 0} : (s256){A >> 1, A << 127};
  double bd = u256_estimate(0, B);
  double estimate = u256_estimate(0, A) / bd * (k == 128 ? 0x1p128 : 0x1p127);
  u128 q = estimate < 0x1p128 ? integer_step(estimate) : ~(u128)0;
  for (int i = 0; i < 2; i++) q += integer_step(s256_to_double(s256_sub(n, s256_product(q, B))) / bd);
  s256 r = s256_sub(n, s256_product(q, B)), b = {0, B};
  while (s256_negative(r)) { q -= 1; r = s256_add(r, b); }
  while (s256_at_least(r, b)) { q += 1; r = s256_sub(r, b); }
  *sticky = r.lo != 0;
  return q;
}

/// floor(sqrt(N)) for N in [2^254, 2^256) (so the root is in [2^127, 2^128)); `*sticky` is whether
/// N is not its square.
INLINE u128 root128(s256 n, int *sticky) {
  double estimate = sqrt(u256_estimate(n.hi, n.lo));  // N ≥ 2^254 is not a signed value
  u128 s = estimate < 0x1p128 ? integer_step(estimate) : ~(u128)0;
  for (int i = 0; i < 2; i++) s += integer_step(s256_to_double(s256_sub(n, s256_product(s, s))) / (2 * u256_estimate(0, s)));
  s256 r = s256_sub(n, s256_product(s, s)), one = {0, 1};  // r = N − s²
  while (s256_negative(r)) {  // N − (s−1)² = r + 2s − 1
    s -= 1;
    r = s256_add(r, s256_add((s256){s >> 127, s << 1}, one));
  }
  for (;;) {  // s is the floor while r ≤ 2s; else N − (s+1)² = r − (2s + 1)
    s256 step = s256_add((s256){s >> 127, s << 1}, one);
    if (!s256_at_least(r, step)) break;
    r = s256_sub(r, step);
    s += 1;
  }
  *sticky = r.hi != 0 || r.lo != 0;
  return s;
}

pl_f128 pl_f128_div(pl_f128 a, pl_f128 b, int32_t mode) {
  unpacked x = unpack(a), y = unpack(b);
  int sign = x.sign ^ y.sign;
  if (x.cls == CLS_NAN || y.cls == CLS_NAN) return make_nan();
  if (x.cls == CLS_INF) return y.cls == CLS_INF ? make_nan() : make_inf(sign);
  if (y.cls == CLS_INF) return make_zero(sign);
  if (y.cls == CLS_ZERO) return x.cls == CLS_ZERO ? make_nan() : make_inf(sign);
  if (x.cls == CLS_ZERO) return make_zero(sign);
  normalize(&x);
  normalize(&y);
  if (mode != MODE_STOCHASTIC) {
    int k = x.m < y.m ? 128 : 127, sticky;
    u128 q = quotient128(x.m, y.m, k, &sticky);
    return round_top(sign, q, 0, x.e - y.e - k + 127, sticky, mode);
  }
  // q = floor(x.m × 2^k / y.m) has k or k + 1 bits: 128 (a 15-bit fraction beyond the last place is
  // plenty to round deterministically) or 192 (the 64 bits stochastic rounding compares).
  int wide = mode == MODE_STOCHASTIC;
  int k = wide ? 191 : 127, nq = wide ? 3 : 2;
  uint64_t n[LIMBS], d[2] = {(uint64_t)y.m, (uint64_t)(y.m >> 64)}, q[3];
  shifted_limbs(n, x.m, k);
  quotient_context context = {n, d, (double)y.m};
  set_from_double(q, nq, ldexp((double)x.m / (double)y.m, k));
  int sticky = refine(q, nq, quotient_residual, quotient_slope, quotient_bound, &context);
  return round_pack(sign, limbs_to_u256(q, nq), x.e - y.e - k, sticky, mode);
}

pl_f128 pl_f128_sqrt(pl_f128 a, int32_t mode) {
  unpacked x = unpack(a);
  if (x.cls == CLS_NAN) return make_nan();
  if (x.cls == CLS_ZERO) return make_zero(x.sign);
  if (x.sign) return make_nan();
  if (x.cls == CLS_INF) return make_inf(0);
  normalize(&x);
  if (mode != MODE_STOCHASTIC) {
    int k = 142 + (int)(x.e & 1), sticky;
    s256 n = {x.m << (k - 128), 0};
    u128 root = root128(n, &sticky);
    return round_top(0, root, 0, (x.e - k) / 2 + 127, sticky, mode);
  }
  // s = floor(sqrt(x.m × 2^k)) with x.e − k even: 128 bits (k = 142 or 143) or 192 (k = 270 or 271).
  int wide = mode == MODE_STOCHASTIC;
  int k = (wide ? 270 : 142) + (int)(x.e & 1), ns = wide ? 3 : 2;
  uint64_t n[LIMBS], s[3];
  shifted_limbs(n, x.m, k);
  set_from_double(s, ns, sqrt(limbs_to_double(n, LIMBS)));
  int sticky = refine(s, ns, square_residual, square_slope, square_bound, n);
  return round_pack(0, limbs_to_u256(s, ns), (x.e - k) / 2, sticky, mode);
}

// ---- conversions and comparisons ----------------------------------------------------------------------

pl_f128 pl_f128_from_double(double v, int32_t mode) {
  union { double d; uint64_t u; } bits = {v};
  int sign = (int)(bits.u >> 63);
  int biased = (int)((bits.u >> 52) & 0x7ff);
  uint64_t fraction = bits.u & ((1ULL << 52) - 1);
  if (biased == 0x7ff) return fraction ? make_nan() : make_inf(sign);
  if (biased == 0 && fraction == 0) return make_zero(sign);
  if (biased == 0) return round_exact(sign, fraction, -1074, mode);
  return round_exact(sign, fraction | (1ULL << 52), biased - 1075, mode);
}

pl_f128 pl_f128_from_int64(int64_t v, int32_t mode) {
  if (v == 0) return make_zero(0);
  uint64_t magnitude = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
  return round_exact(v < 0, magnitude, 0, mode);
}

double pl_f128_to_double(pl_f128 a) {
  unpacked x = unpack(a);
  if (x.cls == CLS_NAN) return NAN;
  if (x.cls == CLS_INF) return x.sign ? -INFINITY : INFINITY;
  if (x.cls == CLS_ZERO) return x.sign ? -0.0 : 0.0;
  normalize(&x);
  int64_t e = x.e + PREC - 1;
  double magnitude;
  if (e > 1023) {
    magnitude = INFINITY;
  } else {
    int64_t qe = (e > -1022 ? e : -1022) - 52;
    int64_t shift = qe - x.e;  // ≥ 60
    if (shift >= 128) {
      // Below half the smallest subnormal (2^-1075 needs shift ≤ 113 + 1): rounds to zero, except
      // the value 2^-1075 exactly, which is impossible here.
      magnitude = 0;
    } else {
      u128 integer = x.m >> shift;
      u128 fraction = x.m & (((u128)1 << shift) - 1), half = (u128)1 << (shift - 1);
      if (fraction > half || (fraction == half && (integer & 1))) integer += 1;
      magnitude = ldexp((double)(uint64_t)integer, (int)qe);  // exact, or ±inf past the largest
    }
  }
  return x.sign ? -magnitude : magnitude;
}

int pl_f128_equal(pl_f128 a, pl_f128 b) {
  unpacked x = unpack(a), y = unpack(b);
  if (x.cls == CLS_NAN || y.cls == CLS_NAN) return 0;
  if (x.cls == CLS_ZERO && y.cls == CLS_ZERO) return 1;
  return a.hi == b.hi && a.lo == b.lo;
}

int pl_f128_less(pl_f128 a, pl_f128 b) {
  unpacked x = unpack(a), y = unpack(b);
  if (x.cls == CLS_NAN || y.cls == CLS_NAN) return 0;
  if (x.cls == CLS_ZERO && y.cls == CLS_ZERO) return 0;
  u128 ma = ((u128)(a.hi & ~(1ULL << 63)) << 64) | a.lo, mb = ((u128)(b.hi & ~(1ULL << 63)) << 64) | b.lo;
  if (x.sign != y.sign) return x.sign;  // not both zero: the negative one is smaller
  return x.sign ? ma > mb : ma < mb;
}

INLINE int is_zero(pl_f128 a) { return ((a.hi << 1) | a.lo) == 0; }
INLINE int is_finite(pl_f128 a) { return ((a.hi >> 48) & 0x7fff) != 0x7fff; }

void pl_f128_accumulate_products(pl_f128 *acc, const pl_f128 *x, long x_stride, const pl_f128 *y,
                                 long y_stride, long count, int32_t fused, int32_t mode) {
  pl_f128 s = *acc;
  for (long k = 0; k < count; k++) {
    pl_f128 a = x[k * x_stride], b = y[k * y_stride];
    // A zero factor (most of an image's pixels) leaves a finite non-zero sum as it is: the product is an
    // exact zero (no draw) and the sum an exact result (its draw in stochastic mode).
    if ((is_zero(a) || is_zero(b)) && is_finite(a) && is_finite(b) && is_finite(s) && !is_zero(s)) {
      if (mode == MODE_STOCHASTIC) (void)pl_random_u64();
      continue;
    }
    s = fused ? pl_f128_fma(a, b, s, mode) : pl_f128_add(s, pl_f128_mul(a, b, mode), mode);
  }
  *acc = s;
}

// ---- MPFR ----------------------------------------------------------------------------------------------

void pl_f128_to_mpfr(void *destination, pl_f128 a) {
  mpfr_ptr x = destination;
  unpacked u = unpack(a);
  switch (u.cls) {
  case CLS_NAN: mpfr_set_nan(x); return;
  case CLS_INF: mpfr_set_inf(x, u.sign ? -1 : 1); return;
  case CLS_ZERO: mpfr_set_zero(x, u.sign ? -1 : 1); return;
  default: break;
  }
  mpfr_exp_t emin = mpfr_get_emin(), emax = mpfr_get_emax();
  mpfr_set_emin(mpfr_get_emin_min());
  mpfr_set_emax(mpfr_get_emax_max());
  mpz_t z;
  mpz_init_set_ui(z, (unsigned long)(uint64_t)(u.m >> 64));
  mpz_mul_2exp(z, z, 64);
  mpz_add_ui(z, z, (unsigned long)(uint64_t)u.m);
  mpfr_set_z_2exp(x, z, (mpfr_exp_t)u.e, MPFR_RNDN);  // exact: the precision is at least 113
  if (u.sign) mpfr_neg(x, x, MPFR_RNDN);
  mpz_clear(z);
  mpfr_set_emin(emin);
  mpfr_set_emax(emax);
}

pl_f128 pl_f128_from_mpfr(const void *source) {
  mpfr_srcptr x = source;
  if (mpfr_nan_p(x)) return make_nan();
  int sign = mpfr_signbit(x) != 0;
  if (mpfr_inf_p(x)) return make_inf(sign);
  if (mpfr_zero_p(x)) return make_zero(sign);
  mpz_t z;
  mpz_init(z);
  int64_t e = (int64_t)mpfr_get_z_2exp(z, x);
  mpz_abs(z, z);
  mp_bitcnt_t zeros = mpz_scan1(z, 0);
  mpz_tdiv_q_2exp(z, z, zeros);
  e += (int64_t)zeros;
  u256 m = {{(uint64_t)mpz_getlimbn(z, 0), (uint64_t)mpz_getlimbn(z, 1), 0, 0}};
  mpz_clear(z);
  return round_pack(sign, m, e, 0, MODE_NEAREST_EVEN);  // exact for a binary128 value
}
