// Formats rounded to odd after every product and every addition: pl_gemm_round_f64's loops
// (gemm_round_body.h) for a binary64-engine format with 2 <= p <= 26, subnormals, infinities and IEEE
// overflow (binary16, bfloat16, TF32, binary32, E5M2, ieee:P:EMAX), AVX2.
//
// Hardware has no rounding to odd, so each operation is computed to nearest even in binary64 with its
// exact error: a product of two values of at most 26 bits is exact in binary64 (error 0), a sum's error is
// TwoSum's (exact: values within +-300 exponents neither overflow nor underflow). The exact value x is
// then s + e, s = RN(x), and its rounding to odd on the format's grid is:
//  - s off the grid (bits below the grid not all zero): x lies strictly between the same two grid points
//    as s (s is at least one binary64 ulp from both, x within half of one), so the truncation of s with
//    the grid's last bit set;
//  - s on the grid: s when e is 0 or s's grid index is odd, else the neighbour on e's side;
// in the normal range by bit arithmetic on s's encoding (one unit of the grid is 1 << (53 - p) there,
// across binades too), at and below 2^emin on the fixed subnormal grid (s scaled to an integer count of
// its quantum). A finite result beyond the largest finite value is that value (IEEE 754's overflow for
// rounding to odd, SmallFormatArithmetic.overflowed), infinities stay, NaN is the default NaN.
#pragma clang fp contract(off)
#pragma STDC FP_CONTRACT OFF

#include "CKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include "gemm_round_small.h"

/// The format's constants for rounding to odd.
typedef struct small_odd {
  small64 f;
  __m256i unit;           // 1 << (53 - p): one unit of the grid in the normal range, in the encoding
  __m256d quantum, scale;  // 2^(emin - p + 1) and its inverse
} small_odd;

/// x = s + e (s = RN(x), e exact) rounded to odd on the format's grid (see the file's notes).
__attribute__((target("avx2,f16c"), always_inline)) static inline __m256d round_small_odd(__m256d s, __m256d e,
                                                                                         const small_odd *ctx) {
  const small64 *f = &ctx->f;
  __m256d zero = _mm256_setzero_pd();
  __m256d sign = _mm256_and_pd(f->sign, s);
  __m256d magnitude = _mm256_andnot_pd(f->sign, s);
  __m256d error = _mm256_xor_pd(e, sign);  // the error away from zero
  __m256d exact = _mm256_cmp_pd(error, zero, _CMP_EQ_OQ);
  __m256d above = _mm256_cmp_pd(error, zero, _CMP_GT_OQ);
  __m256i bits = _mm256_castpd_si256(magnitude);
  __m256i truncated = _mm256_and_si256(bits, f->keep_mask);
  __m256i on_grid = _mm256_cmpeq_epi64(truncated, bits);
  __m256i odd_index = _mm256_cmpeq_epi64(_mm256_and_si256(bits, ctx->unit), ctx->unit);
  __m256i stepped = _mm256_blendv_epi8(_mm256_sub_epi64(bits, ctx->unit), _mm256_add_epi64(bits, ctx->unit),
                                       _mm256_castpd_si256(above));
  __m256i keep = _mm256_or_si256(_mm256_castpd_si256(exact), odd_index);
  __m256i on_grid_result = _mm256_blendv_epi8(stepped, bits, keep);
  __m256i normal = _mm256_blendv_epi8(_mm256_or_si256(truncated, ctx->unit), on_grid_result, on_grid);
  __m256d rounded = _mm256_castsi256_pd(normal);
  // Usual: above 2^emin, or zero (exact: the bits above keep it), and within the range.
  __m256d usual = _mm256_and_pd(
      _mm256_or_pd(_mm256_cmp_pd(magnitude, f->min_normal, _CMP_GT_OQ), _mm256_cmp_pd(magnitude, zero, _CMP_EQ_OQ)),
      _mm256_cmp_pd(rounded, f->max_finite, _CMP_LE_OQ));
  if (__builtin_expect(_mm256_movemask_pd(usual) == 0xF, 1)) return _mm256_or_pd(rounded, sign);
  // At and below 2^emin: n = |s| / quantum, an integer count plus a fraction, exactly.
  __m256d t = _mm256_mul_pd(magnitude, ctx->scale);
  __m256d n = _mm256_round_pd(t, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
  __m256d half = _mm256_mul_pd(n, _mm256_set1_pd(0.5));
  __m256d n_odd = _mm256_cmp_pd(half, _mm256_round_pd(half, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC), _CMP_NEQ_OQ);
  __m256d fraction = _mm256_cmp_pd(t, n, _CMP_NEQ_OQ);
  __m256d one = _mm256_set1_pd(1.0);
  __m256d up = _mm256_add_pd(n, one);
  // A fraction: the odd one of n and n + 1. None: n when exact or odd, else the neighbour on e's side.
  __m256d with_fraction = _mm256_blendv_pd(up, n, n_odd);
  __m256d neighbour = _mm256_blendv_pd(_mm256_sub_pd(n, one), up, above);
  __m256d without = _mm256_blendv_pd(neighbour, n, _mm256_or_pd(exact, n_odd));
  __m256d small = _mm256_mul_pd(_mm256_blendv_pd(without, with_fraction, fraction), ctx->quantum);
  // Beyond the range: the largest finite value; infinities kept; NaN the default NaN.
  __m256d beyond = _mm256_blendv_pd(f->max_finite, magnitude, _mm256_cmp_pd(magnitude, f->infinity, _CMP_EQ_OQ));
  __m256d result = _mm256_blendv_pd(beyond, rounded, _mm256_cmp_pd(rounded, f->max_finite, _CMP_LE_OQ));
  result = _mm256_blendv_pd(result, small, _mm256_cmp_pd(magnitude, f->min_normal, _CMP_LE_OQ));
  result = _mm256_or_pd(result, sign);
  return _mm256_blendv_pd(result, f->nan, _mm256_cmp_pd(s, s, _CMP_UNORD_Q));
}

/// x + y rounded to odd: TwoSum's error beside the nearest-even sum.
__attribute__((target("avx2,f16c"), always_inline)) static inline __m256d add_odd(__m256d x, __m256d y,
                                                                                  const small_odd *ctx) {
  __m256d s = _mm256_add_pd(x, y);
  __m256d bb = _mm256_sub_pd(s, x);
  __m256d e = _mm256_add_pd(_mm256_sub_pd(x, _mm256_sub_pd(s, bb)), _mm256_sub_pd(y, bb));
  // An infinite or NaN sum has a NaN error: no error then (the sum is exact or NaN).
  e = _mm256_and_pd(e, _mm256_cmp_pd(e, e, _CMP_ORD_Q));
  return round_small_odd(s, e, ctx);
}

#include "gemm_round_f64_avx2.h"
#define RADD(x, y) add_odd((x), (y), ctx)
#define RMUL(x, y) round_small_odd(RMULV((x), (y)), _mm256_setzero_pd(), ctx)  // exact for p <= 26
#define RCTX const small_odd *
#define RNAME(x) x##_f64_odd
#include "gemm_round_body.h"

// The format's constants broadcast once per call, then the panels.
__attribute__((target("avx2,f16c"))) static void gemm_f64_odd(const pl_small_format *format, size_t row_begin, size_t row_end,
                                                              size_t panel_begin, size_t panel_end, size_t n, size_t k,
                                                              const double *a, size_t lda, const double *bp, const double *bias,
                                                              const double *bias_rows, double *c, size_t ldc, pl_order order) {
  small_odd ctx;
  ctx.f.sign = _mm256_set1_pd(-0.0);
  PL_BROADCAST_FORMAT(ctx.f, format, _mm256_set1_pd, _mm256_set1_epi64x);
  ctx.unit = _mm256_set1_epi64x((long long)(1ULL << format->shift));
  double quantum = format->min_normal;
  for (int i = 1; i < 53 - (int)format->shift; i++) quantum *= 0.5;  // 2^(emin - p + 1), exact
  ctx.quantum = _mm256_set1_pd(quantum);
  ctx.scale = _mm256_set1_pd(1.0 / quantum);
  panels_f64_odd(&ctx, row_begin, row_end, panel_begin, panel_end, n, k, a, lda, bp, bias, bias_rows, c, ldc, order);
}
#endif

int pl_gemm_round_f64_odd(const pl_small_format *format, size_t row_begin, size_t row_end, size_t panel_begin,
                          size_t panel_end, size_t n, size_t k, const double *a, size_t lda, const double *bp,
                          const double *bias, const double *bias_rows, double *c, size_t ldc, pl_order order) {
#if defined(__x86_64__)
  int p = 53 - (int)format->shift;
  if (pl_gemm_round_available() && p >= 2 && p <= 26 && format->has_subnormals && format->has_infinities) {
    gemm_f64_odd(format, row_begin, row_end, panel_begin, panel_end, n, k, a, lda, bp, bias, bias_rows, c, ldc, order);
    return 1;
  }
#endif
  return 0;
}
