// The lanes order of pl_gemm_f32 and pl_gemm_f64 (kind 4, CKernels.h): `block` interleaved accumulators
// per output, lane l summing steps l, l + L, l + 2L, ... in order (lane 0 from the bias when it comes
// first, the others from +0), each step one rounded product and one rounded addition or one fused
// multiply-add; then lane l += lane l + w for w = L/2, L/4, ..., 1; then the bias when it comes last.
// Vectors run across a panel's outputs (the compiler's, from the loop over them), never across the sum,
// so every output is the sequence of operations DotProduct.laned performs.
#pragma clang fp contract(off)
#pragma STDC FP_CONTRACT OFF

#include "CKernels.h"
#include <math.h>

#define PL_LANES_MAX 64

#define PL_LANES(NAME, T, FMA, NR, ATTRIBUTE)                                                                  \
  ATTRIBUTE static void NAME(size_t i0, size_t i1, size_t q0, size_t q1, size_t n, size_t k, const T *a,      \
                             size_t lda, const T *bp, const T *bias, const T *bias_rows, T *c, size_t ldc,    \
                             pl_order order) {                                                                \
    size_t lanes = order.block < 1 ? 1 : order.block > PL_LANES_MAX ? PL_LANES_MAX : order.block;             \
    T acc[PL_LANES_MAX][NR];                                                                                  \
    for (size_t q = q0; q < q1; q++) {                                                                        \
      size_t j = q * NR;                                                                                      \
      if (j >= n) break;                                                                                      \
      size_t valid = n - j < NR ? n - j : NR;                                                                 \
      const T *panel = bp + (q - q0) * k * NR;                                                                \
      for (size_t i = i0; i < i1; i++) {                                                                      \
        const T *ai = a + i * lda;                                                                            \
        for (size_t l = 0; l < lanes; l++)                                                                    \
          for (size_t v = 0; v < NR; v++) acc[l][v] = 0;                                                      \
        if (order.bias_first)                                                                                 \
          for (size_t v = 0; v < valid; v++) acc[0][v] = bias ? bias[j + v] : bias_rows ? bias_rows[i] : 0;   \
        for (size_t p = 0; p < k; p++) {                                                                      \
          T x = ai[p];                                                                                        \
          const T *row = panel + p * NR;                                                                      \
          T *lane = acc[p % lanes];                                                                           \
          if (order.fused) {                                                                                  \
            for (size_t v = 0; v < NR; v++) lane[v] = FMA(x, row[v], lane[v]);                                \
          } else {                                                                                            \
            for (size_t v = 0; v < NR; v++) {                                                                 \
              T product = x * row[v];                                                                         \
              lane[v] = lane[v] + product;                                                                    \
            }                                                                                                 \
          }                                                                                                   \
        }                                                                                                     \
        for (size_t w = lanes / 2; w >= 1; w /= 2)                                                            \
          for (size_t l = 0; l < w; l++)                                                                      \
            for (size_t v = 0; v < NR; v++) acc[l][v] = acc[l][v] + acc[l + w][v];                            \
        for (size_t v = 0; v < valid; v++) {                                                                  \
          T out = acc[0][v];                                                                                  \
          if (bias && !order.bias_first) out = out + bias[j + v];                                             \
          if (bias_rows && !order.bias_first) out = out + bias_rows[i];                                       \
          c[i * ldc + j + v] = out;                                                                           \
        }                                                                                                     \
      }                                                                                                       \
    }                                                                                                         \
  }

PL_LANES(lanes_f32_portable, float, fmaf, PL_NR_F32, )
PL_LANES(lanes_f64_portable, double, fma, PL_NR_F64, )

#if defined(__x86_64__)
PL_LANES(lanes_f32_avx2, float, fmaf, PL_NR_F32, __attribute__((target("avx2,fma"))))
PL_LANES(lanes_f64_avx2, double, fma, PL_NR_F64, __attribute__((target("avx2,fma"))))

static int lanes_has_avx2(void) {
  static int cached = -1;
  if (cached < 0) {
    __builtin_cpu_init();
    cached = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }
  return cached;
}
#endif

void pl_gemm_lanes_f32(size_t row_begin, size_t row_end, size_t panel_begin, size_t panel_end, size_t n, size_t k,
                       const float *a, size_t lda, const float *bp, const float *bias, const float *bias_rows, float *c,
                       size_t ldc, pl_order order) {
#if defined(__x86_64__)
  if (order.path != PL_PATH_PORTABLE && lanes_has_avx2()) {
    lanes_f32_avx2(row_begin, row_end, panel_begin, panel_end, n, k, a, lda, bp, bias, bias_rows, c, ldc, order);
    return;
  }
#endif
  lanes_f32_portable(row_begin, row_end, panel_begin, panel_end, n, k, a, lda, bp, bias, bias_rows, c, ldc, order);
}

void pl_gemm_lanes_f64(size_t row_begin, size_t row_end, size_t panel_begin, size_t panel_end, size_t n, size_t k,
                       const double *a, size_t lda, const double *bp, const double *bias, const double *bias_rows,
                       double *c, size_t ldc, pl_order order) {
#if defined(__x86_64__)
  if (order.path != PL_PATH_PORTABLE && lanes_has_avx2()) {
    lanes_f64_avx2(row_begin, row_end, panel_begin, panel_end, n, k, a, lda, bp, bias, bias_rows, c, ldc, order);
    return;
  }
#endif
  lanes_f64_portable(row_begin, row_end, panel_begin, panel_end, n, k, a, lda, bp, bias, bias_rows, c, ldc, order);
}
