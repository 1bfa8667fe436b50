// A binary64-engine format's constants (pl_small_format) broadcast into vectors, shared by the
// nearest-even kernel (gemm_round.c) and the directed one (gemm_round_directed.c). x86-64 only;
// included after <immintrin.h>.
#ifndef PL_GEMM_ROUND_SMALL_H
#define PL_GEMM_ROUND_SMALL_H

// Fills a small64 or small512 from a pl_small_format (all but the sign), with that width's broadcasts.
#define PL_BROADCAST_FORMAT(F, FORMAT, SET1PD, SET1EPI64)                                                    \
  do {                                                                                                       \
    (F).min_normal = SET1PD((FORMAT)->min_normal);                                                           \
    (F).half_min_normal = SET1PD(0.5 * (FORMAT)->min_normal);                                                \
    (F).max_finite = SET1PD((FORMAT)->max_finite);                                                           \
    (F).adder = SET1PD((FORMAT)->subnormal_adder);                                                           \
    (F).overflow_positive = SET1PD((FORMAT)->overflow_positive);                                             \
    (F).overflow_negative = SET1PD((FORMAT)->overflow_negative);                                             \
    (F).infinity = SET1PD(__builtin_inf());                                                                  \
    (F).nan = SET1PD(__builtin_nan(""));                                                                     \
    (F).half_minus_one = SET1EPI64((long long)(FORMAT)->half_minus_one);                                     \
    (F).keep_mask = SET1EPI64((long long)(FORMAT)->keep_mask);                                               \
    (F).one = SET1EPI64(1);                                                                                  \
    (F).shift = _mm_set_epi64x(0, (long long)(FORMAT)->shift);                                               \
    (F).has_subnormals = (FORMAT)->has_subnormals;                                                           \
    (F).has_infinities = (FORMAT)->has_infinities;                                                           \
  } while (0)

// A pl_small_format broadcast into vectors.
typedef struct small64 {
  __m256d sign, min_normal, half_min_normal, max_finite, adder, overflow_positive, overflow_negative, infinity, nan;
  __m256i half_minus_one, keep_mask, one;
  __m128i shift;
  int has_subnormals, has_infinities;
} small64;

// The lanes a bit rounding (`rounded`) does not finish: beyond the range the format's overflow values
// by sign (infinities kept where the format has them), below 2^emin `small` (x already rounded onto
// the format's grid there, with x's sign), and NaN the default NaN (it compares false both ways, as in
// the scalar code).
__attribute__((target("avx2,f16c"), always_inline)) static inline __m256d finish_small(__m256d x, __m256d magnitude,
                                                                                        __m256d rounded, __m256d small,
                                                                                        const small64 *f) {
  __m256d beyond = _mm256_blendv_pd(f->overflow_positive, f->overflow_negative, x);
  if (f->has_infinities) beyond = _mm256_blendv_pd(beyond, x, _mm256_cmp_pd(magnitude, f->infinity, _CMP_EQ_OQ));
  __m256d inside = _mm256_cmp_pd(_mm256_andnot_pd(f->sign, rounded), f->max_finite, _CMP_LE_OQ);
  __m256d normal = _mm256_blendv_pd(beyond, rounded, inside);
  __m256d result = _mm256_blendv_pd(f->nan, normal, _mm256_cmp_pd(magnitude, f->min_normal, _CMP_GE_OQ));
  return _mm256_blendv_pd(result, small, _mm256_cmp_pd(magnitude, f->min_normal, _CMP_LT_OQ));
}

#endif
