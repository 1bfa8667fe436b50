// Low-precision arithmetic rounded after every operation, round to nearest even: binary16 (format 0)
// and bfloat16 (format 1) values held in binary32 (see CKernels.h, pl_gemm_round). Exact: a product of
// two such values is exact in binary32 (22 and 16 significant bits; bfloat16 products too small for
// binary32's grid are below half of bfloat16's smallest subnormal and round to the same result), and
// rounding a binary32-rounded sum of two p-bit values to p bits is correct because 24 >= 2p + 2 (double
// rounding is innocuous for addition). binary16 rounding uses F16C's conversion (RNE, subnormals,
// overflow to infinity); bfloat16 rounds the binary32 bit pattern to its upper 16 bits (RNE, NaN kept).
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

#define ROUND(v) (format == 0 ? round_f16(v) : round_bf16(v))
#define RADD(x, y) ROUND(_mm256_add_ps((x), (y)))
#define RMUL(x, y) ROUND(_mm256_mul_ps((x), (y)))
// Rows per block: 4 rows x one panel of 16 outputs (8 accumulators).
#define ROWS 4

// Sequential rounded sums over [p0, p1) from zero.
__attribute__((target("avx2,f16c"), always_inline)) static inline void run(int format, const int rows, const float *a0,
                                                                          size_t lda, const float *panel, size_t p0,
                                                                          size_t p1, __m256 acc[ROWS][2]) {
  for (int r = 0; r < rows; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
  for (size_t p = p0; p < p1; p++) {
    __m256 b0 = _mm256_loadu_ps(panel + p * 16), b1 = _mm256_loadu_ps(panel + p * 16 + 8);
    for (int r = 0; r < rows; r++) {
      __m256 x = _mm256_broadcast_ss(a0 + r * lda + p);
      acc[r][0] = RADD(acc[r][0], RMUL(x, b0));
      acc[r][1] = RADD(acc[r][1], RMUL(x, b1));
    }
  }
}

// The pairwise subtree over [p0, p1).
__attribute__((target("avx2,f16c"))) static void tree(int format, const int rows, const float *a0, size_t lda,
                                                      const float *panel, size_t p0, size_t p1, __m256 out[ROWS][2]) {
  if (p1 - p0 == 1) {
    __m256 b0 = _mm256_loadu_ps(panel + p0 * 16), b1 = _mm256_loadu_ps(panel + p0 * 16 + 8);
    for (int r = 0; r < rows; r++) {
      __m256 x = _mm256_broadcast_ss(a0 + r * lda + p0);
      out[r][0] = RMUL(x, b0);
      out[r][1] = RMUL(x, b1);
    }
    return;
  }
  size_t m = p0 + (p1 - p0) / 2;
  __m256 left[ROWS][2], right[ROWS][2];
  tree(format, rows, a0, lda, panel, p0, m, left);
  tree(format, rows, a0, lda, panel, m, p1, right);
  for (int r = 0; r < rows; r++) {
    out[r][0] = RADD(left[r][0], right[r][0]);
    out[r][1] = RADD(left[r][1], right[r][1]);
  }
}

__attribute__((target("avx2,f16c"), always_inline)) static inline void body(int format, size_t i, const int rows, size_t j,
                                                                           size_t valid, size_t k, const float *a,
                                                                           size_t lda, const float *panel,
                                                                           const float *bias, const float *bias_rows,
                                                                           float *c, size_t ldc, pl_order order) {
  __m256 acc[ROWS][2];
  const float *a0 = a + i * lda;
  if (order.kind == 1) {
    for (int r = 0; r < rows; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    if (k > 0) tree(format, rows, a0, lda, panel, 0, k, acc);
  } else if (order.kind == 2) {
    __m256 block[ROWS][2];
    for (int r = 0; r < rows; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    for (size_t p = 0; p < k; p += order.block) {
      run(format, rows, a0, lda, panel, p, p + order.block < k ? p + order.block : k, block);
      for (int r = 0; r < rows; r++) {
        acc[r][0] = RADD(acc[r][0], block[r][0]);
        acc[r][1] = RADD(acc[r][1], block[r][1]);
      }
    }
  } else {
    run(format, rows, a0, lda, panel, 0, k, acc);
  }
  for (int r = 0; r < rows; r++) {
    if (bias) {
      float tmp[16] = {0};
      for (size_t jj = 0; jj < valid; jj++) tmp[jj] = bias[j + jj];
      acc[r][0] = RADD(acc[r][0], _mm256_loadu_ps(tmp));
      acc[r][1] = RADD(acc[r][1], _mm256_loadu_ps(tmp + 8));
    }
    if (bias_rows) {
      __m256 rb = _mm256_broadcast_ss(bias_rows + i + r);
      acc[r][0] = RADD(acc[r][0], rb);
      acc[r][1] = RADD(acc[r][1], rb);
    }
    if (valid == 16) {
      _mm256_storeu_ps(c + (i + r) * ldc + j, acc[r][0]);
      _mm256_storeu_ps(c + (i + r) * ldc + j + 8, acc[r][1]);
    } else {
      float tmp[16];
      _mm256_storeu_ps(tmp, acc[r][0]);
      _mm256_storeu_ps(tmp + 8, acc[r][1]);
      for (size_t jj = 0; jj < valid; jj++) c[(i + r) * ldc + j + jj] = tmp[jj];
    }
  }
}

__attribute__((target("avx2,f16c"))) static void block_round(int format, size_t i, size_t rows, size_t j, size_t valid,
                                                             size_t k, const float *a, size_t lda, const float *panel,
                                                             const float *bias, const float *bias_rows, float *c,
                                                             size_t ldc, pl_order order) {
  switch (rows) {
  case 4: body(format, i, 4, j, valid, k, a, lda, panel, bias, bias_rows, c, ldc, order); break;
  case 3: body(format, i, 3, j, valid, k, a, lda, panel, bias, bias_rows, c, ldc, order); break;
  case 2: body(format, i, 2, j, valid, k, a, lda, panel, bias, bias_rows, c, ldc, order); break;
  default: body(format, i, 1, j, valid, k, a, lda, panel, bias, bias_rows, c, ldc, order); break;
  }
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

int pl_gemm_round(int format, size_t row_begin, size_t row_end, size_t panel_begin, size_t panel_end, size_t n,
                  size_t k, const float *a, size_t lda, const float *bp, const float *bias, const float *bias_rows,
                  float *c, size_t ldc, pl_order order) {
#if defined(__x86_64__)
  if (!pl_gemm_round_available()) return 0;
  if (order.kind == 2 && order.block == 0) order.block = 1;
  size_t j0 = panel_begin * 16, j1 = panel_end * 16 < n ? panel_end * 16 : n;
  for (size_t j = j0; j < j1; j += 16) {
    size_t valid = j1 - j < 16 ? j1 - j : 16;
    for (size_t r = row_begin; r < row_end; r += ROWS)
      block_round(format, r, row_end - r < ROWS ? row_end - r : ROWS, j, valid, k, a, lda, bp + (j - j0) * k, bias,
                  bias_rows, c, ldc, order);
  }
  return 1;
#else
  (void)format; (void)row_begin; (void)row_end; (void)panel_begin; (void)panel_end; (void)n; (void)k; (void)a;
  (void)lda; (void)bp; (void)bias; (void)bias_rows; (void)c; (void)ldc; (void)order;
  return 0;
#endif
}
