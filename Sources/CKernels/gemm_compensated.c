// The compensated orders of pl_gemm_f32 and pl_gemm_f64 (kinds 5 and 6, CKernels.h). Each step's product
// is rounded, then added with a running compensation: Kahan (kind 5: y = p - c, t = s + y, c = (t - s) - y,
// s = t; the result is s) or Neumaier (kind 6: t = s + p, c += (s - t) + p when |s| >= |p|, else
// (p - t) + s, s = t; the result is s + c). s starts at the bias when it comes first, else at +0; a bias
// that comes last is added to the result with one rounding. Vectors run across a panel's outputs (the
// compiler's, from the loop over them), never across the sum: every output is the sequence of operations
// DotProduct.compensated performs.
#pragma clang fp contract(off)
#pragma STDC FP_CONTRACT OFF

#include "CKernels.h"
#include <math.h>

#define PL_COMPENSATED(NAME, T, FABS, NR, ATTRIBUTE)                                                           \
  ATTRIBUTE static void NAME(size_t i0, size_t i1, size_t q0, size_t q1, size_t n, size_t k, const T *a,      \
                             size_t lda, const T *bp, const T *bias, const T *bias_rows, T *c, size_t ldc,    \
                             pl_order order) {                                                                \
    T sum[NR], comp[NR];                                                                                      \
    const int neumaier = order.kind == 6;                                                                     \
    for (size_t q = q0; q < q1; q++) {                                                                        \
      size_t j = q * NR;                                                                                      \
      if (j >= n) break;                                                                                      \
      size_t valid = n - j < NR ? n - j : NR;                                                                 \
      const T *panel = bp + (q - q0) * k * NR;                                                                \
      for (size_t i = i0; i < i1; i++) {                                                                      \
        const T *ai = a + i * lda;                                                                            \
        for (size_t v = 0; v < NR; v++) {                                                                     \
          sum[v] = 0;                                                                                         \
          comp[v] = 0;                                                                                        \
        }                                                                                                     \
        if (order.bias_first)                                                                                 \
          for (size_t v = 0; v < valid; v++) sum[v] = bias ? bias[j + v] : bias_rows ? bias_rows[i] : 0;      \
        if (neumaier) {                                                                                       \
          for (size_t p = 0; p < k; p++) {                                                                    \
            T x = ai[p];                                                                                      \
            const T *row = panel + p * NR;                                                                    \
            for (size_t v = 0; v < NR; v++) {                                                                 \
              T product = x * row[v];                                                                         \
              T t = sum[v] + product;                                                                         \
              T big = FABS(sum[v]) >= FABS(product) ? (sum[v] - t) + product : (product - t) + sum[v];        \
              comp[v] = comp[v] + big;                                                                        \
              sum[v] = t;                                                                                     \
            }                                                                                                 \
          }                                                                                                   \
          for (size_t v = 0; v < NR; v++) sum[v] = sum[v] + comp[v];                                          \
        } else {                                                                                              \
          for (size_t p = 0; p < k; p++) {                                                                    \
            T x = ai[p];                                                                                      \
            const T *row = panel + p * NR;                                                                    \
            for (size_t v = 0; v < NR; v++) {                                                                 \
              T product = x * row[v];                                                                         \
              T y = product - comp[v];                                                                        \
              T t = sum[v] + y;                                                                               \
              comp[v] = (t - sum[v]) - y;                                                                     \
              sum[v] = t;                                                                                     \
            }                                                                                                 \
          }                                                                                                   \
        }                                                                                                     \
        for (size_t v = 0; v < valid; v++) {                                                                  \
          T out = sum[v];                                                                                     \
          if (bias && !order.bias_first) out = out + bias[j + v];                                             \
          if (bias_rows && !order.bias_first) out = out + bias_rows[i];                                       \
          c[i * ldc + j + v] = out;                                                                           \
        }                                                                                                     \
      }                                                                                                       \
    }                                                                                                         \
  }

PL_COMPENSATED(compensated_f32_portable, float, fabsf, PL_NR_F32, )
PL_COMPENSATED(compensated_f64_portable, double, fabs, PL_NR_F64, )

#if defined(__x86_64__)
PL_COMPENSATED(compensated_f32_avx2, float, fabsf, PL_NR_F32, __attribute__((target("avx2"))))
PL_COMPENSATED(compensated_f64_avx2, double, fabs, PL_NR_F64, __attribute__((target("avx2"))))

static int compensated_has_avx2(void) {
  static int cached = -1;
  if (cached < 0) {
    __builtin_cpu_init();
    cached = __builtin_cpu_supports("avx2");
  }
  return cached;
}
#endif

void pl_gemm_compensated_f32(size_t row_begin, size_t row_end, size_t panel_begin, size_t panel_end, size_t n, size_t k,
                             const float *a, size_t lda, const float *bp, const float *bias, const float *bias_rows,
                             float *c, size_t ldc, pl_order order) {
#if defined(__x86_64__)
  if (order.path != PL_PATH_PORTABLE && compensated_has_avx2()) {
    compensated_f32_avx2(row_begin, row_end, panel_begin, panel_end, n, k, a, lda, bp, bias, bias_rows, c, ldc, order);
    return;
  }
#endif
  compensated_f32_portable(row_begin, row_end, panel_begin, panel_end, n, k, a, lda, bp, bias, bias_rows, c, ldc, order);
}

void pl_gemm_compensated_f64(size_t row_begin, size_t row_end, size_t panel_begin, size_t panel_end, size_t n, size_t k,
                             const double *a, size_t lda, const double *bp, const double *bias, const double *bias_rows,
                             double *c, size_t ldc, pl_order order) {
#if defined(__x86_64__)
  if (order.path != PL_PATH_PORTABLE && compensated_has_avx2()) {
    compensated_f64_avx2(row_begin, row_end, panel_begin, panel_end, n, k, a, lda, bp, bias, bias_rows, c, ldc, order);
    return;
  }
#endif
  compensated_f64_portable(row_begin, row_end, panel_begin, panel_end, n, k, a, lda, bp, bias, bias_rows, c, ldc, order);
}
