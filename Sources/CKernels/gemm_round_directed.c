// Formats rounded after every product and every addition toward zero, +inf or -inf: pl_gemm_round's and
// pl_gemm_round_f64's loops (gemm_round_body.h) with a directed rounding, AVX2 and F16C.
//
// Exact by composition: for a directed mode r and two formats whose values nest (every binary16 and
// bfloat16 value is a binary32 value, subnormals included; every value of a binary64-engine format is a
// binary64 value), rounding in r to the wider format and then in r to the narrower one equals rounding
// once in r to the narrower one (both roundings pick the neighbour on the same side, and the narrower
// format's neighbours of x are also those of r(x)). So the kernels set the thread's SSE rounding control
// (MXCSR) to the mode for the call, let binary32's or binary64's own products and sums round in it
// (overflow then gives infinity or the largest value as the mode says, an exact zero sum is -0 toward
// -inf), and round each result to the format in the same mode: F16C's conversion for binary16
// (subnormals, and overflow as IEEE 754 says), the bit truncation with one increment for bfloat16 and
// for the binary64-engine formats (whose subnormals round by binary64's own addition of a constant, in
// the mode, and whose overflow values the caller gives for the mode).
#pragma clang fp contract(off)
#pragma STDC FP_CONTRACT OFF
#pragma STDC FENV_ACCESS ON

#include "CKernels.h"

enum { MODE_TOWARD_ZERO = 2, MODE_UP = 3, MODE_DOWN = 4 };

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
  // Away from zero when something was dropped and v lies on the mode's side (never for NaN).
  __m256i dropped = _mm256_andnot_si256(_mm256_cmpeq_epi32(truncated, bits), _mm256_set1_epi32(0x10000));
  __m256 side = ctx.mode == MODE_UP ? _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_GT_OQ)
                                    : _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_LT_OQ);
  // One unit more in magnitude: a carry into the exponent, and past the largest finite value to infinity.
  return _mm256_castsi256_ps(_mm256_add_epi32(truncated, _mm256_and_si256(dropped, _mm256_castps_si256(side))));
}

// One instance of the loops per format and mode, each with its rounding a constant: with the format and
// mode read from a context inside the loops, the compiler kept both tests in the innermost loop (perf:
// bfloat16 toward +inf at twice the nearest-even kernel's time).
#include "gemm_round_f32_avx2.h"
#define ROUND(v) round_directed((v), (directed){0, MODE_TOWARD_ZERO})
#define RCTX int
#define RNAME(x) x##_directed_h_z
#include "gemm_round_body.h"
#include "gemm_round_f32_avx2.h"
#define ROUND(v) round_directed((v), (directed){0, MODE_UP})
#define RCTX int
#define RNAME(x) x##_directed_h_u
#include "gemm_round_body.h"
#include "gemm_round_f32_avx2.h"
#define ROUND(v) round_directed((v), (directed){0, MODE_DOWN})
#define RCTX int
#define RNAME(x) x##_directed_h_d
#include "gemm_round_body.h"
#include "gemm_round_f32_avx2.h"
#define ROUND(v) round_directed((v), (directed){1, MODE_TOWARD_ZERO})
#define RCTX int
#define RNAME(x) x##_directed_b_z
#include "gemm_round_body.h"
#include "gemm_round_f32_avx2.h"
#define ROUND(v) round_directed((v), (directed){1, MODE_UP})
#define RCTX int
#define RNAME(x) x##_directed_b_u
#include "gemm_round_body.h"
#include "gemm_round_f32_avx2.h"
#define ROUND(v) round_directed((v), (directed){1, MODE_DOWN})
#define RCTX int
#define RNAME(x) x##_directed_b_d
#include "gemm_round_body.h"

#include "gemm_round_small.h"

/// A binary64-engine format's constants and the directed mode.
typedef struct small_directed {
  small64 f;
  int mode;
} small_directed;

/// SmallFormatArithmetic's rounding in a directed mode for four binary64 values (already rounded to
/// binary64 in that mode): the normal-range bit truncation plus one unit on the mode's side, binary64's
/// own addition of the subnormal constant (signed like x, so that it rounds in the mode's direction), or
/// the {0, 2^emin} grid of formats without subnormals; the caller's overflow values beyond the range.
__attribute__((target("avx2,f16c"), always_inline)) static inline __m256d round_small_directed(__m256d x,
                                                                                               const small_directed *ctx) {
  const small64 *f = &ctx->f;
  __m256d zero = _mm256_setzero_pd();
  __m256d side = ctx->mode == MODE_UP     ? _mm256_cmp_pd(x, zero, _CMP_GT_OQ)
                 : ctx->mode == MODE_DOWN ? _mm256_cmp_pd(x, zero, _CMP_LT_OQ)
                                          : zero;
  __m256d magnitude = _mm256_andnot_pd(f->sign, x);
  __m256i bits = _mm256_castpd_si256(x);
  __m256i increment = _mm256_andnot_si256(f->keep_mask, _mm256_castpd_si256(side));  // one unit less one
  __m256d rounded = _mm256_castsi256_pd(_mm256_and_si256(_mm256_add_epi64(bits, increment), f->keep_mask));
  __m256d usual = _mm256_and_pd(
      _mm256_cmp_pd(_mm256_andnot_pd(f->sign, rounded), f->max_finite, _CMP_LE_OQ),
      _mm256_or_pd(_mm256_cmp_pd(magnitude, f->min_normal, _CMP_GE_OQ), _mm256_cmp_pd(magnitude, zero, _CMP_EQ_OQ)));
  if (__builtin_expect(_mm256_movemask_pd(usual) == 0xF, 1)) return rounded;
  __m256d sign = _mm256_and_pd(f->sign, x);
  __m256d small;
  if (f->has_subnormals) {
    __m256d adder = _mm256_or_pd(f->adder, sign);
    small = _mm256_sub_pd(_mm256_add_pd(x, adder), adder);
  } else {
    small = _mm256_and_pd(_mm256_and_pd(side, _mm256_cmp_pd(magnitude, zero, _CMP_GT_OQ)), f->min_normal);
  }
  // x's sign on the magnitude: a zero result keeps it (adder − adder is −0 toward −∞).
  return finish_small(x, magnitude, rounded, _mm256_or_pd(_mm256_andnot_pd(f->sign, small), sign), f);
}

#include "gemm_round_f64_avx2.h"
#define ROUND(v) round_small_directed((v), ctx)
#define RCTX const small_directed *
#define RNAME(x) x##_f64_directed
#include "gemm_round_body.h"

// The format's constants broadcast once per call, then the panels.
__attribute__((target("avx2,f16c"))) static void gemm_f64_directed(const pl_small_format *format, int mode, size_t row_begin,
                                                                  size_t row_end, size_t panel_begin, size_t panel_end,
                                                                  size_t n, size_t k, const double *a, size_t lda,
                                                                  const double *bp, const double *bias,
                                                                  const double *bias_rows, double *c, size_t ldc,
                                                                  pl_order order) {
  small_directed ctx;
  ctx.f.sign = _mm256_set1_pd(-0.0);
  PL_BROADCAST_FORMAT(ctx.f, format, _mm256_set1_pd, _mm256_set1_epi64x);
  ctx.mode = mode;
  panels_f64_directed(&ctx, row_begin, row_end, panel_begin, panel_end, n, k, a, lda, bp, bias, bias_rows, c, ldc, order);
}

/// MXCSR's rounding-control bits (13 and 14) for a directed mode.
static unsigned rounding_control(int mode) {
  switch (mode) {
  case MODE_TOWARD_ZERO: return 0x6000;
  case MODE_UP: return 0x4000;
  default: return 0x2000;
  }
}
#endif

int pl_gemm_round_directed(int format, int mode, size_t row_begin, size_t row_end, size_t panel_begin, size_t panel_end,
                           size_t n, size_t k, const float *a, size_t lda, const float *bp, const float *bias,
                           const float *bias_rows, float *c, size_t ldc, pl_order order) {
#if defined(__x86_64__)
  if (pl_gemm_round_available() && (format == 0 || format == 1) && mode >= MODE_TOWARD_ZERO && mode <= MODE_DOWN) {
    unsigned saved = _mm_getcsr();
    _mm_setcsr((saved & ~0x6000u) | rounding_control(mode));
    // By format (binary16, bfloat16) and mode (toward zero, +inf, -inf).
    static void (*const panels[2][3])(int, size_t, size_t, size_t, size_t, size_t, size_t, const float *, size_t, const float *,
                                      const float *, const float *, float *, size_t, pl_order) = {
        {panels_directed_h_z, panels_directed_h_u, panels_directed_h_d},
        {panels_directed_b_z, panels_directed_b_u, panels_directed_b_d},
    };
    panels[format][mode - MODE_TOWARD_ZERO](0, row_begin, row_end, panel_begin, panel_end, n, k, a, lda, bp, bias, bias_rows, c, ldc, order);
    _mm_setcsr(saved);
    return 1;
  }
#endif
  return 0;
}

int pl_gemm_round_f64_directed(const pl_small_format *format, int mode, size_t row_begin, size_t row_end,
                               size_t panel_begin, size_t panel_end, size_t n, size_t k, const double *a, size_t lda,
                               const double *bp, const double *bias, const double *bias_rows, double *c, size_t ldc,
                               pl_order order) {
#if defined(__x86_64__)
  if (pl_gemm_round_available() && mode >= MODE_TOWARD_ZERO && mode <= MODE_DOWN) {
    unsigned saved = _mm_getcsr();
    _mm_setcsr((saved & ~0x6000u) | rounding_control(mode));
    gemm_f64_directed(format, mode, row_begin, row_end, panel_begin, panel_end, n, k, a, lda, bp, bias, bias_rows, c, ldc, order);
    _mm_setcsr(saved);
    return 1;
  }
#endif
  return 0;
}
