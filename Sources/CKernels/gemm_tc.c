// The tensor-core order of pl_gemm_f32 (CKernels.h): MultiTermAccumulation in C, joint alignment and
// products first.
// Every term is a binary64 value (a product of two binary32 values is exact there, and never subnormal),
// so truncating a term to a multiple of 2^(top - window + 1) clears its low significand bits, and the
// truncated terms of a group add exactly in binary64 (window + log2(65) <= 53 bits).
#pragma clang fp contract(off)
#pragma STDC FP_CONTRACT OFF

#include "CKernels.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define PL_TC_X86 1
#endif

static inline uint64_t tc_bits(double x) {
  uint64_t u;
  memcpy(&u, &x, 8);
  return u;
}

static inline double tc_double(uint64_t u) {
  double x;
  memcpy(&x, &u, 8);
  return x;
}

static inline int64_t tc_field(double x) { return (int64_t)((tc_bits(x) >> 52) & 0x7ff); }

/// t truncated toward zero to a multiple of 2^(top - window + 1), top a biased exponent >= t's.
static inline double tc_truncate(double t, int64_t top, int window) {
  int64_t clear = top - tc_field(t) + 53 - window;
  if (clear >= 53) return 0.0;  // also every zero term (field 0)
  if (clear <= 0) return t;
  return tc_double(tc_bits(t) & (~0ULL << clear));
}

/// The exact sum s rounded into binary32 toward zero or to nearest even.
static inline float tc_round(double s, int toward_zero) {
  float f = (float)s;
  if (toward_zero && fabs((double)f) > fabs(s)) f = nextafterf(f, 0.0f);
  return f;
}

/// Whether acc or a product is infinite or NaN; if so, *result is the binary32 rounding of their plain
/// sum (infinities and NaN propagate as IEEE arithmetic says).
static int tc_not_finite(float acc, const double *prod, size_t g, float *result) {
  double exact = acc;
  int finite = isfinite(exact);
  for (size_t q = 0; q < g; q++) {
    exact += prod[q];
    finite = finite && isfinite(prod[q]);
  }
  *result = (float)exact;
  return !finite;
}

/// One fused group: acc plus the g exact products.
static float tc_group(float acc, const double *prod, size_t g, int window, int toward_zero) {
  double c = acc;
  float special;
  if (tc_not_finite(acc, prod, g, &special)) return special;
  int64_t top = tc_field(c);
  for (size_t q = 0; q < g; q++) {
    int64_t e = tc_field(prod[q]);
    if (e > top) top = e;
  }
  if (top == 0) return acc;
  double s = 0.0;
  s += tc_truncate(c, top, window);
  for (size_t q = 0; q < g; q++) s += tc_truncate(prod[q], top, window);
  return tc_round(s, toward_zero);
}

static float tc_start(const float *bias, const float *bias_rows, size_t i, size_t j, pl_order order) {
  if (!order.bias_first) return 0.0f;
  return bias ? bias[j] : bias_rows ? bias_rows[i] : 0.0f;
}

static void tc_finish(float acc, const float *bias, const float *bias_rows, size_t i, size_t j, float *c, size_t ldc,
                      pl_order order) {
  if (bias && !order.bias_first) acc = acc + bias[j];
  if (bias_rows && !order.bias_first) acc = acc + bias_rows[i];
  c[i * ldc + j] = acc;
}


// MARK: Products first

/// An exact sum of binary64 values within 2^-320 ... 2^320 (every product of two binary32 values), a
/// 640-bit two's-complement fixed-point integer in units of 2^-320 (MultiTermAccumulation's
/// FixedPointSum, limb for limb).
typedef struct {
  uint64_t limb[10];
} tc_kulisch;

static void tc_k_add(tc_kulisch *s, double x) {
  if (x == 0) return;
  uint64_t bits = tc_bits(x);
  uint64_t significand = (bits & ((1ULL << 52) - 1)) | (1ULL << 52);  // x is normal
  int position = (int)((bits >> 52) & 0x7ff) - 1075 + 320;
  int limb = position / 64, shift = position % 64;
  uint64_t part[2] = {significand << shift, shift == 0 ? 0 : significand >> (64 - shift)};
  uint64_t carry = 0;
  for (int i = limb; i < 10; i++) {
    uint64_t add = i - limb < 2 ? part[i - limb] : 0;
    if (i - limb >= 2 && carry == 0) break;
    uint64_t before = s->limb[i];
    if (x > 0) {
      uint64_t sum = before + add;
      uint64_t out = sum < before;
      uint64_t total = sum + carry;
      out += total < sum;
      s->limb[i] = total;
      carry = out;
    } else {
      uint64_t diff = before - add;
      uint64_t out = before < add;
      uint64_t total = diff - carry;
      out += diff < carry;
      s->limb[i] = total;
      carry = out;
    }
  }
}

/// ⌊log2 |sum|⌋, and the sum's magnitude in `m`; 0 in *nonzero for a zero sum.
static int tc_k_exponent(const tc_kulisch *s, uint64_t m[10], int *nonzero) {
  int negative = (int)(s->limb[9] >> 63);
  uint64_t carry = 1;
  for (int i = 0; i < 10; i++) {
    if (negative) {
      uint64_t v = ~s->limb[i] + carry;
      carry = carry && v == 0;
      m[i] = v;
    } else {
      m[i] = s->limb[i];
    }
  }
  for (int i = 9; i >= 0; i--)
    if (m[i] != 0) {
      *nonzero = 1;
      return i * 64 + (63 - __builtin_clzll(m[i])) - 320;
    }
  *nonzero = 0;
  return 0;
}

/// The sum (magnitude m, sign `negative`) truncated toward zero to a multiple of 2^e, as a binary64
/// value: exact when the magnitude is below 2^(e + 53).
static double tc_k_truncated(const uint64_t m[10], int negative, int e) {
  int position = e + 320 > 0 ? e + 320 : 0;
  int limb = position / 64, shift = position % 64;
  uint64_t bits = limb < 10 ? m[limb] >> shift : 0;
  if (shift != 0 && limb + 1 < 10) bits |= m[limb + 1] << (64 - shift);
  double value = ldexp((double)bits, position - 320);
  return negative ? -value : value;
}

/// 2^e for −1022 <= e <= 1023.
static inline double tc_pow2(int e) { return tc_double((uint64_t)(e + 1023) << 52); }

/// ⌊log2 |x|⌋ of a normal binary64 value.
static inline int tc_exponent(double x) { return (int)((tc_bits(x) >> 52) & 0x7ff) - 1023; }

/// t truncated toward zero to a multiple of 2^(top − window + 1) (every scale within binary64's
/// normal range: |top| <= 330 for the sums of products of binary32 values).
static inline double tc_truncate_at(double t, int top, int window) {
  if (t == 0) return 0.0;
  return __builtin_trunc(t * tc_pow2(window - 1 - top)) * tc_pow2(top - window + 1);
}

/// One products-first group, exactly: acc plus the g exact products summed first.
static float tc_group_products_first(float acc, const double *prod, size_t g, int window, int toward_zero) {
  double c = acc;
  float special;
  if (tc_not_finite(acc, prod, g, &special)) return special;
  tc_kulisch sum = {{0}};
  for (size_t q = 0; q < g; q++) tc_k_add(&sum, prod[q]);
  uint64_t m[10];
  int nonzero;
  int e = tc_k_exponent(&sum, m, &nonzero);
  int have = c != 0 || nonzero;
  if (!have) return acc;
  int top = c != 0 ? ilogb(c) : e;
  if (nonzero && e > top) top = e;
  double s = tc_truncate_at(c, top, window) + tc_k_truncated(m, (int)(sum.limb[9] >> 63), top - window + 1);
  return tc_round(s, toward_zero);
}

/// Output j of row i over steps [p0, p1), each group exactly in the order's alignment: the portable
/// loop, and the vector paths' fallback (groups with infinities or NaN, or too small for their scales;
/// products first where binary64 leaves the rounding uncertain).
static float tc_output(const float *ai, const float *col, size_t p0, size_t p1, float acc, pl_order order) {
  double prod[64];
  for (size_t p = p0; p < p1; p += order.block) {
    size_t g = p + order.block < p1 ? order.block : p1 - p;
    for (size_t q = 0; q < g; q++) prod[q] = (double)ai[p + q] * (double)col[(p + q) * PL_NR_F32];
    acc = order.products_first ? tc_group_products_first(acc, prod, g, order.window, order.toward_zero)
                               : tc_group(acc, prod, g, order.window, order.toward_zero);
  }
  return acc;
}

static void tc_portable(size_t i0, size_t i1, size_t j0, size_t j1, size_t jbase, size_t k, const float *a, size_t lda,
                        const float *bp, const float *bias, const float *bias_rows, float *c, size_t ldc, pl_order order) {
  for (size_t i = i0; i < i1; i++) {
    for (size_t j = j0; j < j1; j++) {
      const float *col = bp + ((j - jbase) / PL_NR_F32) * k * PL_NR_F32 + (j - jbase) % PL_NR_F32;
      float acc = tc_output(a + i * lda, col, 0, k, tc_start(bias, bias_rows, i, j, order), order);
      tc_finish(acc, bias, bias_rows, i, j, c, ldc, order);
    }
  }
}

/// One lane's group from the group's sum of products P computed in binary64 (|P − exact| <= bound):
/// the model's result when P's exponent and P truncated at the model's bit are certain, in *done;
/// else *done = 0 and the caller computes the group exactly.
static inline float tc_pf_filtered(float acc, double p, double bound, int window, int toward_zero, int *done) {
  *done = 0;
  double c = acc;
  if (!isfinite(c) || !isfinite(p) || !isfinite(bound)) return acc;
  double magnitude = fabs(p);
  int top, nonzero = bound > 0 || p != 0;
  if (!nonzero && c == 0) {
    *done = 1;
    return acc;
  }
  if (nonzero) {
    if (magnitude <= bound) return acc;  // sign or exponent unknown (a cancelling sum)
    int e = tc_exponent(p);
    if (magnitude - bound < tc_pow2(e) || magnitude + bound >= tc_pow2(e + 1)) return acc;
    top = c != 0 && tc_exponent(c) > e ? tc_exponent(c) : e;
  } else {
    top = tc_exponent(c);
  }
  int shift = top - window + 1;
  double low = (magnitude - bound) * tc_pow2(-shift), high = (magnitude + bound) * tc_pow2(-shift);
  double truncated;
  if (low < 0) {
    if (high >= 1) return acc;
    truncated = 0;
  } else {
    if (__builtin_floor(low) != __builtin_floor(high)) return acc;
    truncated = __builtin_copysign(__builtin_floor(high), p);
  }
  double s = tc_truncate_at(c, top, window) + truncated * tc_pow2(shift);
  *done = 1;
  return tc_round(s, toward_zero);
}

#ifdef PL_TC_X86
/// Row i of one panel, products first: each group's 16 sums of products and sums of their magnitudes
/// in binary64 (vectorised across the panel's outputs), then per output the filtered rounding, exact
/// (tc_output_products_first) where the binary64 sum leaves it uncertain. `wide` is the panel in
/// binary64, `panel` the same in binary32.
__attribute__((target("avx2,fma"))) static void tc_pf_panel(size_t i, size_t j, size_t valid, size_t k, const float *ai,
                                                             const double *wide, const float *panel, const float *bias,
                                                             const float *bias_rows, float *c, size_t ldc, pl_order order) {
  float acc[PL_NR_F32];
  for (size_t l = 0; l < PL_NR_F32; l++) acc[l] = l < valid ? tc_start(bias, bias_rows, i, j + l, order) : 0.0f;
  for (size_t p0 = 0; p0 < k; p0 += order.block) {
    size_t g = p0 + order.block < k ? order.block : k - p0;
    double sum[PL_NR_F32] = {0}, magnitude[PL_NR_F32] = {0};
    for (size_t q = 0; q < g; q++) {
      double x = ai[p0 + q];
      const double *row = wide + (p0 + q) * PL_NR_F32;
      for (size_t l = 0; l < PL_NR_F32; l++) {
        double t = x * row[l];
        sum[l] = sum[l] + t;
        magnitude[l] = magnitude[l] + fabs(t);
      }
    }
    // Each of the g − 1 additions of either sum errs by at most 2^-52 of its result in any rounding
    // mode; (g + 2)·2^-50·Σ|t| bounds both sums' errors with room to spare.
    double factor = (double)(g + 2) * 0x1p-50;
    for (size_t l = 0; l < valid; l++) {
      int done;
      float next = tc_pf_filtered(acc[l], sum[l], factor * magnitude[l], order.window, order.toward_zero, &done);
      acc[l] = done ? next : tc_output(ai, panel + l, p0, p0 + g, acc[l], order);
    }
  }
  for (size_t l = 0; l < valid; l++) tc_finish(acc[l], bias, bias_rows, i, j + l, c, ldc, order);
}
#endif

/// Whether every value of x[0 ..< count] is zero or a normal binary32 value of at most 12 significant
/// bits (binary16, bfloat16, TF32 and FP8 values are), and the range of the non-zero values' biased
/// exponent fields, widened into *low ... *high.
static int tc_narrow_values(const float *x, size_t count, int *low, int *high) {
  const uint32_t *bits = (const uint32_t *)(const void *)x;
  int lo = *low, hi = *high;
  for (size_t e = 0; e < count; e++) {
    uint32_t u = bits[e] & 0x7fffffffu;
    if (u == 0) continue;
    int field = (int)(u >> 23);
    if (field == 0 || field == 255 || (u & 0xfffu) != 0) return 0;
    if (field < lo) lo = field;
    if (field > hi) hi = field;
  }
  *low = lo;
  *high = hi;
  return 1;
}

#ifdef PL_TC_X86
/// The biased exponent fields of four binary64 values, one per 64-bit lane.
__attribute__((target("avx2"), always_inline)) static inline __m256i tc_fields(__m256d x) {
  return _mm256_and_si256(_mm256_srli_epi64(_mm256_castpd_si256(x), 52), _mm256_set1_epi64x(0x7ff));
}

/// 2^(field - 1023) per lane for biased exponents `field` in 1 ... 2046.
__attribute__((target("avx2"), always_inline)) static inline __m256d tc_power(__m256i field) {
  return _mm256_castsi256_pd(_mm256_slli_epi64(field, 52));
}

/// One row and one panel (16 outputs, four vectors of four binary64 lanes) over every step; `wide` is
/// the panel in binary64 (k rows of 16), `panel` the same in binary32 (for the one-lane fallback).
/// Each term t is truncated as t·2^(window−1−e) rounded toward zero (an integer below 2^window, exact),
/// the integers added exactly, and the sum scaled back by 2^(e−window+1): the same values as
/// tc_truncate's masks.
__attribute__((target("avx2,fma"))) static void tc_avx2_panel(size_t i, size_t j, size_t valid, size_t k, const float *ai,
                                                               const double *wide, const float *panel, const float *bias,
                                                               const float *bias_rows, float *c, size_t ldc, pl_order order) {
  __m256d acc[4];
  for (int v = 0; v < 4; v++) {
    float start[4];
    for (int l = 0; l < 4; l++) start[l] = 4 * v + l < (int)valid ? tc_start(bias, bias_rows, i, j + 4 * v + l, order) : 0.0f;
    acc[v] = _mm256_cvtps_pd(_mm_loadu_ps(start));
  }
  const __m256i scaleBase = _mm256_set1_epi64x(2046 + order.window - 1), backBase = _mm256_set1_epi64x(order.window - 1);
  const __m256i zero = _mm256_setzero_si256(), infinite = _mm256_set1_epi64x(0x7ff);
  const __m256i normalLow = _mm256_set1_epi64x(1023 - 126), normalHigh = _mm256_set1_epi64x(1023 + 127);
  const __m256i roundMask = _mm256_set1_epi64x(~0x1FFFFFFFLL);
  for (size_t p0 = 0; p0 < k; p0 += order.block) {
    size_t g = p0 + order.block < k ? order.block : k - p0;
    __m256i top[4];
    for (int v = 0; v < 4; v++) top[v] = tc_fields(acc[v]);
    for (size_t q = 0; q < g; q++) {
      __m256d x = _mm256_set1_pd((double)ai[p0 + q]);
      const double *row = wide + (p0 + q) * PL_NR_F32;
      for (int v = 0; v < 4; v++) top[v] = _mm256_max_epi32(top[v], tc_fields(_mm256_mul_pd(x, _mm256_loadu_pd(row + 4 * v))));
    }
    __m256d scale[4], back[4], sum[4];
    for (int v = 0; v < 4; v++) {
      // top is 0 (all zero: any scale will do, the lane is restored below) or 0x7ff (the fallback redoes
      // the lane): clamp so that the scale stays a finite power of two.
      __m256i t = _mm256_max_epi32(_mm256_min_epi32(top[v], _mm256_set1_epi64x(2046)), _mm256_set1_epi64x(order.window + 1));
      scale[v] = tc_power(_mm256_sub_epi64(scaleBase, t));
      back[v] = tc_power(_mm256_sub_epi64(t, backBase));
      sum[v] = _mm256_add_pd(_mm256_setzero_pd(), _mm256_round_pd(_mm256_mul_pd(acc[v], scale[v]), _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC));
    }
    for (size_t q = 0; q < g; q++) {
      __m256d x = _mm256_set1_pd((double)ai[p0 + q]);
      const double *row = wide + (p0 + q) * PL_NR_F32;
      for (int v = 0; v < 4; v++) {
        __m256d t = _mm256_mul_pd(_mm256_mul_pd(x, _mm256_loadu_pd(row + 4 * v)), scale[v]);
        sum[v] = _mm256_add_pd(sum[v], _mm256_round_pd(t, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC));
      }
    }
    for (int v = 0; v < 4; v++) {
      __m256d exact = _mm256_mul_pd(sum[v], back[v]);
      __m128 rounded;
      __m256i fields = tc_fields(exact);
      // Lanes outside binary32's normal range (but not zero) round one at a time below.
      __m256i odd = _mm256_andnot_si256(_mm256_cmpeq_epi64(fields, zero),
                                        _mm256_or_si256(_mm256_cmpgt_epi64(normalLow, fields), _mm256_cmpgt_epi64(fields, normalHigh)));
      if (order.toward_zero)
        rounded = _mm256_cvtpd_ps(_mm256_castsi256_pd(_mm256_and_si256(_mm256_castpd_si256(exact), roundMask)));
      else
        rounded = _mm256_cvtpd_ps(exact);
      __m256d next = _mm256_cvtps_pd(rounded);
      // All-zero groups leave the accumulator as it is (its sign included).
      next = _mm256_blendv_pd(next, acc[v], _mm256_castsi256_pd(_mm256_cmpeq_epi64(top[v], zero)));
      int special = _mm256_movemask_pd(_mm256_castsi256_pd(_mm256_or_si256(odd, _mm256_cmpeq_epi64(top[v], infinite))));
      if (special) {
        double lanes[4], before[4];
        _mm256_storeu_pd(lanes, next);
        _mm256_storeu_pd(before, acc[v]);
        for (int l = 0; l < 4; l++) {
          if (!(special >> l & 1)) continue;
          lanes[l] = tc_output(ai, panel + 4 * v + l, p0, p0 + g, (float)before[l], order);
        }
        next = _mm256_loadu_pd(lanes);
      }
      acc[v] = next;
    }
  }
  for (size_t l = 0; l < valid; l++) {
    double lanes[4];
    _mm256_storeu_pd(lanes, acc[l / 4]);
    tc_finish((float)lanes[l % 4], bias, bias_rows, i, j + l, c, ldc, order);
  }
}

/// The rounding control bits of MXCSR for the model's one rounding of each group's sum.
static inline unsigned tc_csr(unsigned csr, pl_order order) { return (csr & ~0x6000u) | (order.toward_zero ? 0x6000u : 0); }

/// One group of g steps (from step p0) added to the accumulators of R rows (ar[r]: row r of A) and one
/// panel (16 outputs, two vectors of eight binary32 lanes per row), for operands that tc_narrow_values
/// accepted and whose products all lie in binary32's normal range: every product is then exact in
/// binary32. Each term t is truncated as t·2^(window−1−e) converted to int32 toward zero
/// (|t·2^(window−1−e)| < 2^window), the g + 1 integers add exactly in int32 (window + log2(g + 1) <=
/// 31), and the sum converted to binary32 in MXCSR's rounding (set to the model's: toward zero or to
/// nearest even) is scaled back by 2^(e−window+1), exactly while the result stays normal. Lanes whose
/// group is tiny (e too small for the scales) or whose accumulator or result is not finite are redone by
/// tc_output under the caller's MXCSR `csr`. Each group's rounding waits for the one before it, so R
/// rows run side by side to hide that latency; inlined with R and g constants, the products are
/// recomputed in the second pass rather than kept.
__attribute__((target("avx2,fma"), always_inline)) static inline void tc_narrow_group(__m256 *acc, const float *const *ar, const float *panel,
                                                                                   size_t p0, size_t g, pl_order order, unsigned csr,
                                                                                   const int R) {
  const int window = order.window;
  const __m256 magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  const __m256i small = _mm256_set1_epi32(window), infinite = _mm256_set1_epi32(255), zero = _mm256_setzero_si256();
  __m256 top[8], scale[8];
  __m256i sum[8];
  for (int u = 0; u < 2 * R; u++) top[u] = _mm256_and_ps(acc[u], magnitude);
  for (size_t q = 0; q < g; q++) {
    const float *row = panel + (p0 + q) * PL_NR_F32;
    __m256 b0 = _mm256_loadu_ps(row), b1 = _mm256_loadu_ps(row + 8);
    for (int r = 0; r < R; r++) {
      __m256 x = _mm256_broadcast_ss(ar[r] + p0 + q);
      top[2 * r] = _mm256_max_ps(top[2 * r], _mm256_and_ps(_mm256_mul_ps(x, b0), magnitude));
      top[2 * r + 1] = _mm256_max_ps(top[2 * r + 1], _mm256_and_ps(_mm256_mul_ps(x, b1), magnitude));
    }
  }
  for (int u = 0; u < 2 * R; u++) {
    // Lanes with 0 < field < window or field = 255 are redone below; clamp them so that the scales stay
    // finite powers of two. field = 0: every term is zero, and the accumulator stays as it is.
    __m256i field = _mm256_srli_epi32(_mm256_castps_si256(top[u]), 23);
    __m256i t = _mm256_max_epi32(_mm256_min_epi32(field, _mm256_set1_epi32(254)), small);
    scale[u] = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_sub_epi32(_mm256_set1_epi32(253 + window), t), 23));
    sum[u] = _mm256_cvttps_epi32(_mm256_mul_ps(acc[u], scale[u]));
  }
  for (size_t q = 0; q < g; q++) {
    const float *row = panel + (p0 + q) * PL_NR_F32;
    __m256 b0 = _mm256_loadu_ps(row), b1 = _mm256_loadu_ps(row + 8);
    for (int r = 0; r < R; r++) {
      __m256 x = _mm256_broadcast_ss(ar[r] + p0 + q);
      sum[2 * r] = _mm256_add_epi32(sum[2 * r], _mm256_cvttps_epi32(_mm256_mul_ps(_mm256_mul_ps(x, b0), scale[2 * r])));
      sum[2 * r + 1] = _mm256_add_epi32(sum[2 * r + 1], _mm256_cvttps_epi32(_mm256_mul_ps(_mm256_mul_ps(x, b1), scale[2 * r + 1])));
    }
  }
  __m256 next[8];
  __m256i special = zero;
#pragma clang loop unroll(full)
  for (int u = 0; u < 2 * R; u++) {
    // 2^(e − window + 1) is 1 / scale: biased exponents adding to 254.
    __m256 back = _mm256_castsi256_ps(_mm256_sub_epi32(_mm256_set1_epi32(254 << 23), _mm256_castps_si256(scale[u])));
    next[u] = _mm256_mul_ps(_mm256_cvtepi32_ps(sum[u]), back);
    __m256i field = _mm256_srli_epi32(_mm256_castps_si256(top[u]), 23);
    __m256i nextField = _mm256_srli_epi32(_mm256_castps_si256(_mm256_and_ps(next[u], magnitude)), 23);
    __m256i allZero = _mm256_cmpeq_epi32(field, zero);
    special = _mm256_or_si256(special, _mm256_andnot_si256(allZero, _mm256_or_si256(_mm256_cmpgt_epi32(small, field),
                                                                                  _mm256_or_si256(_mm256_cmpeq_epi32(field, infinite),
                                                                                                  _mm256_cmpeq_epi32(nextField, infinite)))));
    next[u] = _mm256_blendv_ps(next[u], acc[u], _mm256_castsi256_ps(allZero));
  }
  if (__builtin_expect(!_mm256_testz_si256(special, special), 0)) {
    // Some lane of some vector: find them again (rare).
    _mm_setcsr(csr);
    for (int u = 0; u < 2 * R; u++) {
      __m256i field = _mm256_srli_epi32(_mm256_castps_si256(top[u]), 23);
      __m256i nextField = _mm256_srli_epi32(_mm256_castps_si256(_mm256_and_ps(next[u], magnitude)), 23);
      __m256i odd = _mm256_andnot_si256(_mm256_cmpeq_epi32(field, zero),
                                        _mm256_or_si256(_mm256_cmpgt_epi32(small, field),
                                                        _mm256_or_si256(_mm256_cmpeq_epi32(field, infinite), _mm256_cmpeq_epi32(nextField, infinite))));
      int lanes = _mm256_movemask_ps(_mm256_castsi256_ps(odd));
      if (!lanes) continue;
      float out[8], before[8];
      _mm256_storeu_ps(out, next[u]);
      _mm256_storeu_ps(before, acc[u]);
      for (int l = 0; l < 8; l++)
        if (lanes >> l & 1) out[l] = tc_output(ar[u / 2], panel + 8 * (u % 2) + l, p0, p0 + g, before[l], order);
      next[u] = _mm256_loadu_ps(out);
    }
    _mm_setcsr(tc_csr(csr, order));
  }
  for (int u = 0; u < 2 * R; u++) acc[u] = next[u];
}

/// Rows i ..< i + R of one panel (outputs j ..< j + valid) on the narrow kernel: whole groups with the
/// group size a constant where it is a preset's, then the last, shorter group.
__attribute__((target("avx2,fma"), always_inline)) static inline void tc_narrow_block(size_t i, size_t j, size_t valid, size_t k,
                                                                                   const float *a, size_t lda, const float *panel,
                                                                                   const float *bias, const float *bias_rows, float *c,
                                                                                   size_t ldc, pl_order order, const int R) {
  __m256 acc[8];
  const float *ar[4];
  for (int r = 0; r < R; r++) {
    ar[r] = a + (i + r) * lda;
    for (int v = 0; v < 2; v++) {
      float start[8];
      for (int l = 0; l < 8; l++) start[l] = 8 * v + l < (int)valid ? tc_start(bias, bias_rows, i + r, j + 8 * v + l, order) : 0.0f;
      acc[2 * r + v] = _mm256_loadu_ps(start);
    }
  }
  const unsigned csr = _mm_getcsr();
  _mm_setcsr(tc_csr(csr, order));
  const size_t G = order.block, whole = k / G * G;
  size_t p0 = 0;
  switch (G) {
    case 4:
      for (; p0 < whole; p0 += 4) tc_narrow_group(acc, ar, panel, p0, 4, order, csr, R);
      break;
    case 8:
      for (; p0 < whole; p0 += 8) tc_narrow_group(acc, ar, panel, p0, 8, order, csr, R);
      break;
    default:
      for (; p0 < whole; p0 += G) tc_narrow_group(acc, ar, panel, p0, G, order, csr, R);
      break;
  }
  if (p0 < k) tc_narrow_group(acc, ar, panel, p0, k - p0, order, csr, R);
  _mm_setcsr(csr);
  for (int r = 0; r < R; r++) {
    float lanes[16];
    _mm256_storeu_ps(lanes, acc[2 * r]);
    _mm256_storeu_ps(lanes + 8, acc[2 * r + 1]);
    for (size_t l = 0; l < valid; l++) tc_finish(lanes[l], bias, bias_rows, i + r, j + l, c, ldc, order);
  }
}

#define PL_TC_ROWS 4
/// Rows [row_begin, row_end) of one panel: PL_TC_ROWS rows at a time, then one at a time.
__attribute__((target("avx2,fma"))) static void tc_narrow_panel(size_t row_begin, size_t row_end, size_t j, size_t valid, size_t k,
                                                                 const float *a, size_t lda, const float *panel, const float *bias,
                                                                 const float *bias_rows, float *c, size_t ldc, pl_order order) {
  size_t i = row_begin;
  for (; i + PL_TC_ROWS <= row_end; i += PL_TC_ROWS)
    tc_narrow_block(i, j, valid, k, a, lda, panel, bias, bias_rows, c, ldc, order, PL_TC_ROWS);
  for (; i < row_end; i++) tc_narrow_block(i, j, valid, k, a, lda, panel, bias, bias_rows, c, ldc, order, 1);
}

/// Whether the narrow kernel computes this call: the window and group fit int32 sums, every operand is
/// narrow (tc_narrow_values) and every product of them lies in binary32's normal range.
static int tc_narrow_applies(size_t row_begin, size_t row_end, size_t panel_begin, size_t panel_end, size_t n, size_t k,
                             const float *a, size_t lda, const float *bp, pl_order order) {
  size_t panels = (n + PL_NR_F32 - 1) / PL_NR_F32;
  size_t last = panel_end < panels ? panel_end : panels;
  size_t panel_count = last > panel_begin ? last - panel_begin : 0;
  int bits = 0;
  while (((size_t)1 << bits) < order.block + 1) bits++;
  if (order.window + bits > 31) return 0;
  int alow = 255, ahigh = 0, blow = 255, bhigh = 0;
  if (order.a_low < 0) return 0;
  if (order.a_high > 0) {
    alow = order.a_low;
    ahigh = order.a_high;
  } else {
    for (size_t i = row_begin; i < row_end; i++)
      if (!tc_narrow_values(a + i * lda, k, &alow, &ahigh)) return 0;
  }
  if (!tc_narrow_values(bp, panel_count * k * PL_NR_F32, &blow, &bhigh)) return 0;
  if (ahigh == 0 || bhigh == 0) return 1;  // every product is zero
  // Products of fields fa, fb lie in [2^(fa + fb − 254), 2^(fa + fb − 252)).
  return alow + blow - 254 >= -126 && ahigh + bhigh - 252 <= 128;
}
#endif

void pl_tc_prepare(pl_order *order, size_t m, size_t k, const float *a, size_t lda) {
  int low = 255, high = 0;
  for (size_t i = 0; i < m; i++) {
    if (!tc_narrow_values(a + i * lda, k, &low, &high)) {
      order->a_low = -1;
      order->a_high = 0;
      return;
    }
  }
  if (high == 0) low = high = 1;  // all zero: every product is zero (any range in 1 ... 254 will do)
  order->a_low = low;
  order->a_high = high;
}

void pl_gemm_tc_f32(size_t row_begin, size_t row_end, size_t panel_begin, size_t panel_end, size_t n, size_t k,
                    const float *a, size_t lda, const float *bp, const float *bias, const float *bias_rows, float *c,
                    size_t ldc, pl_order order) {
  if (order.block < 1) order.block = 1;
  if (order.block > 64) order.block = 64;
  size_t j0 = panel_begin * PL_NR_F32, j1 = panel_end * PL_NR_F32 < n ? panel_end * PL_NR_F32 : n;
#ifdef PL_TC_X86
  if (order.path != PL_PATH_PORTABLE && pl_gemm_isa() >= 2) {
    if (!order.products_first && tc_narrow_applies(row_begin, row_end, panel_begin, panel_end, n, k, a, lda, bp, order)) {
      for (size_t q = panel_begin; q < panel_end; q++) {
        size_t j = q * PL_NR_F32;
        if (j >= n) break;
        size_t valid = n - j < PL_NR_F32 ? n - j : PL_NR_F32;
        const float *panel = bp + (q - panel_begin) * k * PL_NR_F32;
        tc_narrow_panel(row_begin, row_end, j, valid, k, a, lda, panel, bias, bias_rows, c, ldc, order);
      }
      return;
    }
    // A row of a panel in binary64 lanes: joint alignment term by term, or products first.
    void (*row)(size_t, size_t, size_t, size_t, const float *, const double *, const float *, const float *, const float *, float *,
                size_t, pl_order) = order.products_first ? tc_pf_panel : tc_avx2_panel;
    double *wide = malloc((k > 0 ? k : 1) * PL_NR_F32 * sizeof(double));
    if (wide) {
      for (size_t q = panel_begin; q < panel_end; q++) {
        size_t j = q * PL_NR_F32;
        if (j >= n) break;
        size_t valid = n - j < PL_NR_F32 ? n - j : PL_NR_F32;
        const float *panel = bp + (q - panel_begin) * k * PL_NR_F32;
        for (size_t e = 0; e < k * PL_NR_F32; e++) wide[e] = panel[e];
        for (size_t i = row_begin; i < row_end; i++) row(i, j, valid, k, a + i * lda, wide, panel, bias, bias_rows, c, ldc, order);
      }
      free(wide);
      return;
    }
  }
#endif
  tc_portable(row_begin, row_end, j0, j1, j0, k, a, lda, bp, bias, bias_rows, c, ldc, order);
}
