// binary16 and bfloat16 arithmetic held in binary32, rounded toward zero, +inf or -inf after every product
// and every addition: pl_gemm_round's loops (gemm_round_body.h) with a directed rounding, AVX2 and F16C.
//
// Exact, like the nearest-even kernel, but a directed rounding needs the sign of what binary32 dropped:
// - Products. A product of two binary16 values is exact in binary32 (22 bits, at least 2^-48); so is a
//   product of two bfloat16 values of magnitude 2^-126 or more (16 bits). The rounding of an exact binary32
//   value to 11 or 8 bits is F16C's conversion in the mode (subnormals, and overflow to infinity or the
//   largest finite value as IEEE 754 says), or bfloat16's bit truncation with one increment. A bfloat16
//   product below 2^-126 or beyond binary32's range (rare) is redone in binary64, where it is exact.
// - Sums. s = fl32(a + b) and its exact error e (TwoSum, exact without overflow). If s is not a format
//   value, the exact sum lies strictly between the same two format values as s (they are binary32 values
//   and |e| is at most half an ulp of s), so rounding s is right; if s is a format value, the exact sum is
//   s + e and the result moves one unit from s when e points the mode's way. A bfloat16 sum beyond
//   binary32's range gives the mode's overflow value.
#pragma clang fp contract(off)
#pragma STDC FP_CONTRACT OFF

#include "CKernels.h"
#include <math.h>

enum { MODE_TOWARD_ZERO = 2, MODE_UP = 3, MODE_DOWN = 4 };

/// A format value of bfloat16 (format 1) or binary16 (format 0), rounded from the exact binary64 `x` in
/// the directed `mode`: the scalar path for the rare cases the vector code hands over.
static float directed_scalar(double x, int format, int mode) {
  if (x != x || x == 0) return (float)x;
  const int p = format ? 8 : 11, emin = format ? -126 : -14, emax = format ? 127 : 15;
  double magnitude = fabs(x);
  int e;
  frexp(magnitude, &e);  // magnitude in [2^(e-1), 2^e)
  int quantum = (e - 1 > emin ? e - 1 : emin) - (p - 1);
  double units = ldexp(magnitude, -quantum), whole = floor(units);  // exact: at most 53 bits
  int negative = x < 0;
  int away = units != whole && ((mode == MODE_UP && !negative) || (mode == MODE_DOWN && negative));
  double result = ldexp(whole + away, quantum);
  double largest = ldexp(2 - ldexp(1, 1 - p), emax);
  if (result > largest) {
    int to_largest = mode == MODE_TOWARD_ZERO || (mode == MODE_UP && negative) || (mode == MODE_DOWN && !negative);
    result = to_largest ? largest : INFINITY;
  }
  return (float)(negative ? -result : result);
}

#if defined(__x86_64__)
#include <immintrin.h>

typedef struct directed {
  int format;  // 0 binary16, 1 bfloat16
  int mode;    // 2 toward zero, 3 toward +inf, 4 toward -inf
} directed;

/// v (binary32) rounded into the format in the context's mode.
__attribute__((target("avx2,f16c"), always_inline)) static inline __m256 round_directed(__m256 v, directed ctx) {
  if (ctx.format == 0) {
    switch (ctx.mode) {
    case MODE_TOWARD_ZERO: return _mm256_cvtph_ps(_mm256_cvtps_ph(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC));
    case MODE_UP: return _mm256_cvtph_ps(_mm256_cvtps_ph(v, _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC));
    default: return _mm256_cvtph_ps(_mm256_cvtps_ph(v, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC));
    }
  }
  __m256i bits = _mm256_castps_si256(v);
  __m256i truncated = _mm256_and_si256(bits, _mm256_set1_epi32((int)0xFFFF0000u));
  if (ctx.mode == MODE_TOWARD_ZERO) return _mm256_castsi256_ps(truncated);  // NaN stays NaN (quiet bit kept)
  __m256i inexact = _mm256_xor_si256(_mm256_cmpeq_epi32(truncated, bits), _mm256_set1_epi32(-1));
  __m256 side = ctx.mode == MODE_UP ? _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_GT_OQ)
                                    : _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_LT_OQ);
  __m256i away = _mm256_and_si256(inexact, _mm256_castps_si256(side));
  // One unit more in magnitude (a carry into the exponent, and past the largest finite value to infinity).
  return _mm256_castsi256_ps(_mm256_add_epi32(truncated, _mm256_and_si256(away, _mm256_set1_epi32(0x10000))));
}

/// r (format values) moved one unit away from zero in the lanes of `away` and toward zero in those of
/// `toward` (never both; r non-zero there).
__attribute__((target("avx2,f16c"), always_inline)) static inline __m256 step_units(__m256 r, __m256 away, __m256 toward,
                                                                                      directed ctx) {
  if (ctx.format == 1) {
    __m256i step = _mm256_sub_epi32(_mm256_and_si256(_mm256_castps_si256(away), _mm256_set1_epi32(0x10000)),
                                    _mm256_and_si256(_mm256_castps_si256(toward), _mm256_set1_epi32(0x10000)));
    return _mm256_castsi256_ps(_mm256_add_epi32(_mm256_castps_si256(r), step));
  }
  __m128i half = _mm256_cvtps_ph(r, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);  // exact: r is a binary16 value
  __m128i up = _mm_packs_epi32(_mm256_castsi256_si128(_mm256_castps_si256(away)), _mm256_extracti128_si256(_mm256_castps_si256(away), 1));
  __m128i down = _mm_packs_epi32(_mm256_castsi256_si128(_mm256_castps_si256(toward)), _mm256_extracti128_si256(_mm256_castps_si256(toward), 1));
  half = _mm_add_epi16(_mm_sub_epi16(half, up), down);  // the masks are -1 where set
  return _mm256_cvtph_ps(half);
}

/// The mode's overflow result for a finite exact value of the sign of s beyond the format's range.
__attribute__((target("avx2,f16c"), always_inline)) static inline __m256 overflow_directed(__m256 s, directed ctx) {
  const float largest = ctx.format ? 0x1.FEp127f : 65504.0f;
  __m256 negative = _mm256_cmp_ps(s, _mm256_setzero_ps(), _CMP_LT_OQ);
  __m256 limit = _mm256_blendv_ps(_mm256_set1_ps(largest), _mm256_set1_ps(-largest), negative);
  __m256 infinite = _mm256_blendv_ps(_mm256_set1_ps(INFINITY), _mm256_set1_ps(-INFINITY), negative);
  if (ctx.mode == MODE_TOWARD_ZERO) return limit;
  __m256 to_limit = ctx.mode == MODE_UP ? negative : _mm256_xor_ps(negative, _mm256_castsi256_ps(_mm256_set1_epi32(-1)));
  return _mm256_blendv_ps(infinite, limit, to_limit);
}

__attribute__((target("avx2,f16c"), always_inline)) static inline __m256 is_infinite(__m256 v) {
  __m256 magnitude = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v);
  return _mm256_cmp_ps(magnitude, _mm256_set1_ps(INFINITY), _CMP_EQ_OQ);
}

__attribute__((target("avx2,f16c"), always_inline)) static inline __m256 add_directed(__m256 a, __m256 b, directed ctx) {
  __m256 s = _mm256_add_ps(a, b);
  __m256 bv = _mm256_sub_ps(s, a);
  __m256 e = _mm256_add_ps(_mm256_sub_ps(a, _mm256_sub_ps(s, bv)), _mm256_sub_ps(b, bv));  // s + e = a + b
  __m256 r = round_directed(s, ctx);
  __m256 zero = _mm256_setzero_ps();
  __m256 pending = _mm256_and_ps(_mm256_cmp_ps(r, s, _CMP_EQ_OQ), _mm256_cmp_ps(e, zero, _CMP_NEQ_OQ));
  if (_mm256_movemask_ps(pending)) {
    __m256 s_negative = _mm256_cmp_ps(s, zero, _CMP_LT_OQ);
    __m256 e_negative = _mm256_cmp_ps(e, zero, _CMP_LT_OQ);
    __m256 away, toward;
    if (ctx.mode == MODE_TOWARD_ZERO) {
      away = zero;
      toward = _mm256_and_ps(pending, _mm256_xor_ps(s_negative, e_negative));  // e points toward zero
    } else {
      __m256 e_agrees = ctx.mode == MODE_UP ? _mm256_cmp_ps(e, zero, _CMP_GT_OQ) : e_negative;  // e points the mode's way
      __m256 s_agrees = ctx.mode == MODE_UP ? _mm256_cmp_ps(s, zero, _CMP_GT_OQ) : s_negative;
      __m256 move = _mm256_and_ps(pending, e_agrees);
      away = _mm256_and_ps(move, s_agrees);
      toward = _mm256_andnot_ps(s_agrees, move);
    }
    r = step_units(r, away, toward, ctx);
  }
  if (ctx.mode == MODE_DOWN) {  // an exact zero sum is -0 toward -inf unless both operands are +0
    __m256 zero_sum = _mm256_cmp_ps(s, zero, _CMP_EQ_OQ);
    r = _mm256_blendv_ps(r, _mm256_and_ps(_mm256_or_ps(a, b), _mm256_set1_ps(-0.0f)), zero_sum);
  }
  if (ctx.format == 1) {  // a bfloat16 sum beyond binary32's range: s is infinite, a and b are not
    __m256 overflow = _mm256_andnot_ps(_mm256_or_ps(is_infinite(a), is_infinite(b)), is_infinite(s));
    if (__builtin_expect(_mm256_movemask_ps(overflow), 0)) r = _mm256_blendv_ps(r, overflow_directed(s, ctx), overflow);
  }
  return r;
}

__attribute__((target("avx2,f16c"), always_inline)) static inline __m256 mul_directed(__m256 a, __m256 b, directed ctx) {
  __m256 p = _mm256_mul_ps(a, b);
  __m256 r = round_directed(p, ctx);
  if (ctx.format == 1) {
    // Products below 2^-126 (and not exactly zero) or infinite from finite factors: not exact in binary32.
    __m256 magnitude = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), p);
    __m256 nonzero = _mm256_and_ps(_mm256_cmp_ps(a, _mm256_setzero_ps(), _CMP_NEQ_UQ),
                                   _mm256_cmp_ps(b, _mm256_setzero_ps(), _CMP_NEQ_UQ));
    __m256 tiny = _mm256_and_ps(_mm256_cmp_ps(magnitude, _mm256_set1_ps(0x1p-126f), _CMP_LT_OQ), nonzero);
    __m256 huge = _mm256_andnot_ps(_mm256_or_ps(is_infinite(a), is_infinite(b)), is_infinite(p));
    __m256 redo = _mm256_or_ps(tiny, huge);
    if (__builtin_expect(_mm256_movemask_ps(redo), 0)) {
      float av[8], bv[8], rv[8];
      int mask = _mm256_movemask_ps(redo);
      _mm256_storeu_ps(av, a);
      _mm256_storeu_ps(bv, b);
      _mm256_storeu_ps(rv, r);
      for (int i = 0; i < 8; i++)
        if (mask >> i & 1) rv[i] = directed_scalar((double)av[i] * (double)bv[i], ctx.format, ctx.mode);
      r = _mm256_loadu_ps(rv);
    }
  }
  return r;
}

#include "gemm_round_f32_avx2.h"
#define ROUND(v) round_directed((v), ctx)
#define RADD(x, y) add_directed((x), (y), ctx)
#define RMUL(x, y) mul_directed((x), (y), ctx)
#define RCTX directed
#define RNAME(x) x##_directed
#include "gemm_round_body.h"
#endif

int pl_gemm_round_directed(int format, int mode, size_t row_begin, size_t row_end, size_t panel_begin, size_t panel_end,
                           size_t n, size_t k, const float *a, size_t lda, const float *bp, const float *bias,
                           const float *bias_rows, float *c, size_t ldc, pl_order order) {
#if defined(__x86_64__)
  if (pl_gemm_round_available() && (format == 0 || format == 1) && mode >= MODE_TOWARD_ZERO && mode <= MODE_DOWN) {
    directed ctx = {format, mode};
    panels_directed(ctx, row_begin, row_end, panel_begin, panel_end, n, k, a, lda, bp, bias, bias_rows, c, ldc, order);
    return 1;
  }
#else
  (void)directed_scalar;
#endif
  return 0;
}
