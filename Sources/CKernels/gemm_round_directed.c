// binary16 and bfloat16 arithmetic held in binary32, rounded toward zero, +inf or -inf after every product
// and every addition: pl_gemm_round's loops (gemm_round_body.h) with a directed rounding, AVX2 and F16C.
//
// Exact by composition: for a directed mode r and two formats whose values nest (every binary16 and
// bfloat16 value is a binary32 value, subnormals included, with the same or a smaller exponent range),
// rounding in r to binary32 and then in r to the narrower format equals rounding once in r to the
// narrower format (both roundings pick the neighbour on the same side, and the narrower format's
// neighbours of x are also those of r(x)). So the kernel sets the thread's SSE rounding control (MXCSR)
// to the mode for the call, lets binary32's own products and sums round in it (overflow then gives
// infinity or binary32's largest value as the mode says, an exact zero sum is -0 toward -inf) and
// rounds each result to the format in the same mode: F16C's conversion for binary16 (subnormals, and
// overflow as IEEE 754 says), the bit truncation with one increment for bfloat16.
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

#include "gemm_round_f32_avx2.h"
#define ROUND(v) round_directed((v), ctx)
#define RCTX directed
#define RNAME(x) x##_directed
#include "gemm_round_body.h"

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
    directed ctx = {format, mode};
    unsigned saved = _mm_getcsr();
    _mm_setcsr((saved & ~0x6000u) | rounding_control(mode));
    panels_directed(ctx, row_begin, row_end, panel_begin, panel_end, n, k, a, lda, bp, bias, bias_rows, c, ldc, order);
    _mm_setcsr(saved);
    return 1;
  }
#endif
  return 0;
}
