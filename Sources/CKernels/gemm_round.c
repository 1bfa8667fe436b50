// Low-precision arithmetic rounded after every operation, round to nearest even, in two kernels whose
// loops are gemm_round_body.h.
//
// pl_gemm_round: binary16 (format 0) and bfloat16 (format 1) values held in binary32. Exact: a product of
// two such values is exact in binary32 (22 and 16 significant bits; bfloat16 products too small for
// binary32's grid are below half of bfloat16's smallest subnormal and round to the same result), and
// rounding a binary32-rounded sum of two p-bit values to p bits is correct because 24 >= 2p + 2 (double
// rounding is innocuous for addition). binary16 rounding uses F16C's conversion (RNE, subnormals,
// overflow to infinity); bfloat16 rounds the binary32 bit pattern to its upper 16 bits (RNE, NaN kept).
//
// pl_gemm_round_f64: any format of the binary64 engine with p <= 25 (TF32, FP8, FP6, FP4, ieee:P:EMAX)
// held in binary64. Exact for the same reasons: a product of two p-bit values is exact in binary64
// (2p <= 50 bits, and no exponent leaves binary64's range within +-300), and rounding a binary64-rounded
// sum to p bits is correct because 53 >= 2p + 2. The rounding is SmallFormatArithmetic.roundNearestEven
// in vector form: the bit-level increment for normal results, one add and subtract for subnormal ones,
// the format's overflow value (infinity, NaN or the largest finite value) beyond its range.
#pragma clang fp contract(off)
#pragma STDC FP_CONTRACT OFF

#include "CKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx2,f16c"))) static inline __m256 round_f16(__m256 v) {
  return _mm256_cvtph_ps(_mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}

__attribute__((target("avx2,f16c"))) static inline __m256 round_bf16(__m256 v) {
  __m256i bits = _mm256_castps_si256(v);
  __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(bits, 16), _mm256_set1_epi32(1));
  __m256i rounded = _mm256_add_epi32(bits, _mm256_add_epi32(_mm256_set1_epi32(0x7FFF), lsb));
  rounded = _mm256_and_si256(rounded, _mm256_set1_epi32((int)0xFFFF0000u));
  __m256 nan = _mm256_cmp_ps(v, v, _CMP_UNORD_Q);
  return _mm256_blendv_ps(_mm256_castsi256_ps(rounded), v, nan);
}

// Rows per block: 4 rows x one panel of outputs (8 AVX2 accumulators).
#include "gemm_round_f32_avx2.h"
#define ROUND(v) (ctx == 0 ? round_f16(v) : round_bf16(v))
#define RCTX int
#define RNAME(x) x##_f32
#include "gemm_round_body.h"

// The same loops in AVX-512: one panel (16 floats) is one vector, 8 rows per block. The roundings are the
// AVX2 ones, 16 lanes at a time: _mm512_cvtps_ph rounds to binary16 as F16C does (RNE, subnormals,
// overflow to infinity), and bfloat16's bit rounding is the same integer arithmetic.
__attribute__((target("avx512f"))) static inline __m512 round_f16_512(__m512 v) {
  return _mm512_cvtph_ps(_mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}

__attribute__((target("avx512f"))) static inline __m512 round_bf16_512(__m512 v) {
  __m512i bits = _mm512_castps_si512(v);
  __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(bits, 16), _mm512_set1_epi32(1));
  __m512i rounded = _mm512_add_epi32(bits, _mm512_add_epi32(_mm512_set1_epi32(0x7FFF), lsb));
  rounded = _mm512_and_si512(rounded, _mm512_set1_epi32((int)0xFFFF0000u));
  __mmask16 nan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
  return _mm512_mask_blend_ps(nan, _mm512_castsi512_ps(rounded), v);
}

#define ROWS 8
#define RVECS 1
#define RTARGET "avx512f"
#define RT float
#define RV __m512
#define RNR PL_NR_F32
#define RZERO() _mm512_setzero_ps()
#define RLOAD(p) _mm512_loadu_ps(p)
#define RSTORE(p, v) _mm512_storeu_ps((p), (v))
#define RBCAST(p) _mm512_set1_ps(*(p))
#define RADDV(x, y) _mm512_add_ps((x), (y))
#define RMULV(x, y) _mm512_mul_ps((x), (y))
#define ROUND(v) (ctx == 0 ? round_f16_512(v) : round_bf16_512(v))
#define RCTX int
#define RNAME(x) x##_f32_512
#include "gemm_round_body.h"

#include "gemm_round_small.h"

// SmallFormatArithmetic.roundNearestEven for four binary64 values.
__attribute__((target("avx2,f16c"), always_inline)) static inline __m256d round_small(__m256d x, const small64 *f) {
  __m256d magnitude = _mm256_andnot_pd(f->sign, x);
  // Normal results: add half an ulp minus one plus the kept bit's parity, clear the dropped bits.
  __m256i bits = _mm256_castpd_si256(x);
  __m256i lsb = _mm256_and_si256(_mm256_srl_epi64(bits, f->shift), f->one);
  __m256d rounded = _mm256_castsi256_pd(
      _mm256_and_si256(_mm256_add_epi64(_mm256_add_epi64(bits, f->half_minus_one), lsb), f->keep_mask));
  // The common case, every lane zero or normal with a result within range (the bit rounding keeps a
  // zero as it is): done. NaN, infinities, overflow and values below 2^emin take the full path.
  __m256d usual = _mm256_and_pd(
      _mm256_cmp_pd(_mm256_andnot_pd(f->sign, rounded), f->max_finite, _CMP_LE_OQ),
      _mm256_or_pd(_mm256_cmp_pd(magnitude, f->min_normal, _CMP_GE_OQ), _mm256_cmp_pd(magnitude, _mm256_setzero_pd(), _CMP_EQ_OQ)));
  if (__builtin_expect(_mm256_movemask_pd(usual) == 0xF, 1)) return rounded;
  // Below 2^emin: binary64's own rounding onto the subnormal grid, or {0, 2^emin} without subnormals.
  __m256d small;
  if (f->has_subnormals) {
    small = _mm256_sub_pd(_mm256_add_pd(magnitude, f->adder), f->adder);
  } else {
    small = _mm256_and_pd(_mm256_cmp_pd(magnitude, f->half_min_normal, _CMP_GT_OQ), f->min_normal);
  }
  return finish_small(x, magnitude, rounded, _mm256_or_pd(small, _mm256_and_pd(f->sign, x)), f);
}

#include "gemm_round_f64_avx2.h"
#define ROUND(v) round_small((v), ctx)
#define RCTX const small64 *
#define RNAME(x) x##_f64
#include "gemm_round_body.h"

// The same rounding for eight binary64 values in AVX-512F (masks for the comparisons and blends, integer
// operations for the sign, which AVX-512F has only for integers), and the loops with one panel (8
// doubles) per vector, 8 rows per block.
typedef struct small512 {
  __m512d min_normal, half_min_normal, max_finite, adder, overflow_positive, overflow_negative, infinity, nan;
  __m512i sign, half_minus_one, keep_mask, one;
  __m128i shift;
  int has_subnormals, has_infinities;
} small512;

__attribute__((target("avx512f"), always_inline)) static inline __m512d round_small_512(__m512d x, const small512 *f) {
  __m512i bits = _mm512_castpd_si512(x);
  __m512d magnitude = _mm512_castsi512_pd(_mm512_andnot_si512(f->sign, bits));
  __m512i lsb = _mm512_and_si512(_mm512_srl_epi64(bits, f->shift), f->one);
  __m512i rounded_bits = _mm512_and_si512(_mm512_add_epi64(_mm512_add_epi64(bits, f->half_minus_one), lsb), f->keep_mask);
  __m512d rounded = _mm512_castsi512_pd(rounded_bits);
  __m512d rounded_magnitude = _mm512_castsi512_pd(_mm512_andnot_si512(f->sign, rounded_bits));
  __mmask8 inside = _mm512_cmp_pd_mask(rounded_magnitude, f->max_finite, _CMP_LE_OQ);
  __mmask8 normal_or_zero = _mm512_cmp_pd_mask(magnitude, f->min_normal, _CMP_GE_OQ) |
                            _mm512_cmp_pd_mask(magnitude, _mm512_setzero_pd(), _CMP_EQ_OQ);
  if (__builtin_expect((__mmask8)(inside & normal_or_zero) == 0xFF, 1)) return rounded;
  __m512i sign = _mm512_and_si512(f->sign, bits);
  __m512d beyond = _mm512_mask_blend_pd(_mm512_test_epi64_mask(bits, f->sign), f->overflow_positive, f->overflow_negative);
  if (f->has_infinities) beyond = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(magnitude, f->infinity, _CMP_EQ_OQ), beyond, x);
  __m512d normal = _mm512_mask_blend_pd(inside, beyond, rounded);
  __m512d small;
  if (f->has_subnormals) {
    small = _mm512_sub_pd(_mm512_add_pd(magnitude, f->adder), f->adder);
  } else {
    small = _mm512_maskz_mov_pd(_mm512_cmp_pd_mask(magnitude, f->half_min_normal, _CMP_GT_OQ), f->min_normal);
  }
  small = _mm512_castsi512_pd(_mm512_or_si512(_mm512_castpd_si512(small), sign));
  __m512d result = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(magnitude, f->min_normal, _CMP_GE_OQ), f->nan, normal);
  return _mm512_mask_blend_pd(_mm512_cmp_pd_mask(magnitude, f->min_normal, _CMP_LT_OQ), result, small);
}

#define ROWS 8
#define RVECS 1
#define RTARGET "avx512f"
#define RT double
#define RV __m512d
#define RNR PL_NR_F64
#define RZERO() _mm512_setzero_pd()
#define RLOAD(p) _mm512_loadu_pd(p)
#define RSTORE(p, v) _mm512_storeu_pd((p), (v))
#define RBCAST(p) _mm512_set1_pd(*(p))
#define RADDV(x, y) _mm512_add_pd((x), (y))
#define RMULV(x, y) _mm512_mul_pd((x), (y))
#define ROUND(v) round_small_512((v), ctx)
#define RCTX const small512 *
#define RNAME(x) x##_f64_512
#include "gemm_round_body.h"

__attribute__((target("avx512f"))) static void gemm_f64_512(const pl_small_format *format, size_t row_begin, size_t row_end,
                                                           size_t panel_begin, size_t panel_end, size_t n, size_t k,
                                                           const double *a, size_t lda, const double *bp, const double *bias,
                                                           const double *bias_rows, double *c, size_t ldc, pl_order order) {
  small512 f;
  f.sign = _mm512_set1_epi64((long long)0x8000000000000000ull);
  PL_BROADCAST_FORMAT(f, format, _mm512_set1_pd, _mm512_set1_epi64);
  panels_f64_512(&f, row_begin, row_end, panel_begin, panel_end, n, k, a, lda, bp, bias, bias_rows, c, ldc, order);
}

// The format's constants broadcast once per call, then the panels.
__attribute__((target("avx2,f16c"))) static void gemm_f64(const pl_small_format *format, size_t row_begin, size_t row_end,
                                                         size_t panel_begin, size_t panel_end, size_t n, size_t k,
                                                         const double *a, size_t lda, const double *bp, const double *bias,
                                                         const double *bias_rows, double *c, size_t ldc, pl_order order) {
  small64 f;
  f.sign = _mm256_set1_pd(-0.0);
  PL_BROADCAST_FORMAT(f, format, _mm256_set1_pd, _mm256_set1_epi64x);
  panels_f64(&f, row_begin, row_end, panel_begin, panel_end, n, k, a, lda, bp, bias, bias_rows, c, ldc, order);
}
#endif

int pl_gemm_round_available(void) {
#if defined(__x86_64__)
  static int cached = -1;
  if (cached < 0) {
    __builtin_cpu_init();
    cached = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c");
  }
  return cached;
#else
  return 0;
#endif
}

// Without AVX2 (or off x86-64) the kernels compute nothing and say so; callers ask
// pl_gemm_round_available() first. Both kernels take AVX-512 where the CPU has it and order.path is
// PL_PATH_BEST, else AVX2 (there is no portable loop: PL_PATH_PORTABLE means AVX2 here).
int pl_gemm_round(int format, size_t row_begin, size_t row_end, size_t panel_begin, size_t panel_end, size_t n,
                  size_t k, const float *a, size_t lda, const float *bp, const float *bias, const float *bias_rows,
                  float *c, size_t ldc, pl_order order) {
#if defined(__x86_64__)
  if (pl_gemm_round_available()) {
    if (order.path == PL_PATH_BEST && pl_gemm_isa() == 3) {
      panels_f32_512(format, row_begin, row_end, panel_begin, panel_end, n, k, a, lda, bp, bias, bias_rows, c, ldc, order);
    } else {
      panels_f32(format, row_begin, row_end, panel_begin, panel_end, n, k, a, lda, bp, bias, bias_rows, c, ldc, order);
    }
    return 1;
  }
#endif
  return 0;
}

int pl_gemm_round_f64(const pl_small_format *format, size_t row_begin, size_t row_end, size_t panel_begin,
                      size_t panel_end, size_t n, size_t k, const double *a, size_t lda, const double *bp,
                      const double *bias, const double *bias_rows, double *c, size_t ldc, pl_order order) {
#if defined(__x86_64__)
  if (pl_gemm_round_available()) {
    if (order.path == PL_PATH_BEST && pl_gemm_isa() == 3) {
      gemm_f64_512(format, row_begin, row_end, panel_begin, panel_end, n, k, a, lda, bp, bias, bias_rows, c, ldc, order);
    } else {
      gemm_f64(format, row_begin, row_end, panel_begin, panel_end, n, k, a, lda, bp, bias, bias_rows, c, ldc, order);
    }
    return 1;
  }
#endif
  return 0;
}
