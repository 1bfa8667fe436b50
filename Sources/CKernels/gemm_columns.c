// The orders whose kernels the compiler vectorises across a panel's outputs (CKernels.h): lanes (kind 4)
// and the compensated sums (kinds 5 and 6) of pl_gemm_f32 and pl_gemm_f64. Each is a loop over the steps
// with, per output, a few accumulators updated in the documented order; the loop over a panel's outputs
// carries no dependence, so it becomes vector code (AVX2 where the CPU has it, else portable C) while
// every output stays the sequence of operations the generic loop (DotProduct) performs.
//
// Lanes: `block` interleaved accumulators per output, lane l summing steps l, l + L, l + 2L, ... in order
// (lane 0 from the bias when it comes first, the others from +0), each step one rounded product and one
// rounded addition or one fused multiply-add; then lane l += lane l + w for w = L/2, L/4, ..., 1.
// Compensated: each step's product is rounded, then added with a running compensation: Kahan (kind 5:
// y = p - c, t = s + y, c = (t - s) - y, s = t; the result is s) or Neumaier (kind 6: t = s + p,
// c += (s - t) + p when |s| >= |p|, else (p - t) + s, s = t; the result is s + c); s starts at the bias
// when it comes first, else at +0.
// Either way a bias that comes last is added to the result with one rounding.
#pragma clang fp contract(off)
#pragma STDC FP_CONTRACT OFF

#include "CKernels.h"
#include <math.h>

#define PL_LANES_MAX 64

/// The steps of one row in lanes: whole rounds of L steps (step p to lane p mod L), then the rest. With L a
/// constant the compiler keeps the lanes in registers.
#define PL_LANES_STEPS(T, FMA, NR, L)                                                                          \
  {                                                                                                           \
    size_t full = k / (L) * (L);                                                                              \
    if (order.fused) {                                                                                        \
      for (size_t p = 0; p < full; p += (L))                                                                  \
        for (size_t l = 0; l < (L); l++)                                                                      \
          for (size_t v = 0; v < NR; v++) acc[l][v] = FMA(ai[p + l], panel[(p + l) * NR + v], acc[l][v]);    \
      for (size_t p = full; p < k; p++)                                                                       \
        for (size_t v = 0; v < NR; v++) acc[p - full][v] = FMA(ai[p], panel[p * NR + v], acc[p - full][v]);  \
    } else {                                                                                                  \
      for (size_t p = 0; p < full; p += (L))                                                                  \
        for (size_t l = 0; l < (L); l++)                                                                      \
          for (size_t v = 0; v < NR; v++) {                                                                   \
            T product = ai[p + l] * panel[(p + l) * NR + v];                                                  \
            acc[l][v] = acc[l][v] + product;                                                                  \
          }                                                                                                   \
      for (size_t p = full; p < k; p++)                                                                       \
        for (size_t v = 0; v < NR; v++) {                                                                     \
          T product = ai[p] * panel[p * NR + v];                                                              \
          acc[p - full][v] = acc[p - full][v] + product;                                                      \
        }                                                                                                     \
    }                                                                                                         \
  }

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
        switch (lanes) {                                                                                      \
        case 2: PL_LANES_STEPS(T, FMA, NR, 2) break;                                                          \
        case 4: PL_LANES_STEPS(T, FMA, NR, 4) break;                                                          \
        case 8: PL_LANES_STEPS(T, FMA, NR, 8) break;                                                          \
        case 16: PL_LANES_STEPS(T, FMA, NR, 16) break;                                                        \
        default: PL_LANES_STEPS(T, FMA, NR, lanes) break;                                                     \
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


/// Four rows at a time (the last block repeats its last row and stores only the rows it has), so that
/// the compensation's chain of dependent additions overlaps across rows.
#define PL_COMPENSATED_ROWS 4
#define PL_COMPENSATED(NAME, T, FABS, NR, ATTRIBUTE)                                                           \
  ATTRIBUTE static void NAME(size_t i0, size_t i1, size_t q0, size_t q1, size_t n, size_t k, const T *a,      \
                             size_t lda, const T *bp, const T *bias, const T *bias_rows, T *c, size_t ldc,    \
                             pl_order order) {                                                                \
    enum { R = PL_COMPENSATED_ROWS };                                                                         \
    T sum[R][NR], comp[R][NR];                                                                                \
    const int neumaier = order.kind == 6;                                                                     \
    for (size_t q = q0; q < q1; q++) {                                                                        \
      size_t j = q * NR;                                                                                      \
      if (j >= n) break;                                                                                      \
      size_t valid = n - j < NR ? n - j : NR;                                                                 \
      const T *panel = bp + (q - q0) * k * NR;                                                                \
      for (size_t i = i0; i < i1; i += R) {                                                                   \
        size_t rows = i1 - i < R ? i1 - i : R;                                                                \
        const T *ai[R];                                                                                       \
        for (size_t r = 0; r < R; r++) ai[r] = a + (i + (r < rows ? r : rows - 1)) * lda;                     \
        for (size_t r = 0; r < R; r++)                                                                        \
          for (size_t v = 0; v < NR; v++) {                                                                   \
            T start = 0;                                                                                      \
            if (order.bias_first && v < valid)                                                                \
              start = bias ? bias[j + v] : bias_rows ? bias_rows[i + (r < rows ? r : rows - 1)] : 0;          \
            sum[r][v] = start;                                                                                \
            comp[r][v] = 0;                                                                                   \
          }                                                                                                   \
        if (neumaier) {                                                                                       \
          for (size_t p = 0; p < k; p++) {                                                                    \
            const T *row = panel + p * NR;                                                                    \
            for (size_t r = 0; r < R; r++)                                                                    \
              for (size_t v = 0; v < NR; v++) {                                                               \
                T product = ai[r][p] * row[v];                                                                \
                T t = sum[r][v] + product;                                                                    \
                T big = FABS(sum[r][v]) >= FABS(product) ? (sum[r][v] - t) + product : (product - t) + sum[r][v]; \
                comp[r][v] = comp[r][v] + big;                                                                \
                sum[r][v] = t;                                                                                \
              }                                                                                               \
          }                                                                                                   \
          for (size_t r = 0; r < R; r++)                                                                      \
            for (size_t v = 0; v < NR; v++) sum[r][v] = sum[r][v] + comp[r][v];                               \
        } else {                                                                                              \
          for (size_t p = 0; p < k; p++) {                                                                    \
            const T *row = panel + p * NR;                                                                    \
            for (size_t r = 0; r < R; r++)                                                                    \
              for (size_t v = 0; v < NR; v++) {                                                               \
                T product = ai[r][p] * row[v];                                                                \
                T y = product - comp[r][v];                                                                   \
                T t = sum[r][v] + y;                                                                          \
                comp[r][v] = (t - sum[r][v]) - y;                                                             \
                sum[r][v] = t;                                                                                \
              }                                                                                               \
          }                                                                                                   \
        }                                                                                                     \
        for (size_t r = 0; r < rows; r++)                                                                     \
          for (size_t v = 0; v < valid; v++) {                                                                \
            T out = sum[r][v];                                                                                \
            if (bias && !order.bias_first) out = out + bias[j + v];                                           \
            if (bias_rows && !order.bias_first) out = out + bias_rows[i + r];                                 \
            c[(i + r) * ldc + j + v] = out;                                                                   \
          }                                                                                                   \
      }                                                                                                       \
    }                                                                                                         \
  }


#define PL_ARG_lanes_F32 fmaf
#define PL_ARG_lanes_F64 fma
#define PL_ARG_compensated_F32 fabsf
#define PL_ARG_compensated_F64 fabs

/// Kernel `prefix` for type T (W: F32 or F64): a portable and an AVX2 copy of the same loop, and the
/// entry point pl_gemm_PREFIX_w choosing between them.
#define PL_COLUMNS_ENTRY(KERNEL, prefix, T, W, w)                                                              \
  KERNEL(prefix##_##w##_portable, T, PL_ARG_##prefix##_##W, PL_NR_##W, )                                      \
  PL_COLUMNS_ENTRY_AVX2(KERNEL, prefix, T, W, w)                                                              \
  void pl_gemm_##prefix##_##w(size_t row_begin, size_t row_end, size_t panel_begin, size_t panel_end, size_t n,  \
                              size_t k, const T *a, size_t lda, const T *bp, const T *bias, const T *bias_rows,  \
                              T *c, size_t ldc, pl_order order) {                                             \
    PL_COLUMNS_DISPATCH(prefix, w)                                                                            \
    prefix##_##w##_portable(row_begin, row_end, panel_begin, panel_end, n, k, a, lda, bp, bias, bias_rows, c, ldc, \
                            order);                                                                           \
  }

#if defined(__x86_64__)
#define PL_COLUMNS_ENTRY_AVX2(KERNEL, prefix, T, W, w)                                                         \
  KERNEL(prefix##_##w##_avx2, T, PL_ARG_##prefix##_##W, PL_NR_##W, __attribute__((target("avx2,fma"))))
#define PL_COLUMNS_DISPATCH(prefix, w)                                                                        \
  if (order.path != PL_PATH_PORTABLE && pl_gemm_isa() >= 2) {                                                 \
    prefix##_##w##_avx2(row_begin, row_end, panel_begin, panel_end, n, k, a, lda, bp, bias, bias_rows, c, ldc, order); \
    return;                                                                                                   \
  }
#else
#define PL_COLUMNS_ENTRY_AVX2(KERNEL, prefix, T, W, w)
#define PL_COLUMNS_DISPATCH(prefix, w)
#endif

PL_COLUMNS_ENTRY(PL_LANES, lanes, float, F32, f32)
PL_COLUMNS_ENTRY(PL_LANES, lanes, double, F64, f64)
PL_COLUMNS_ENTRY(PL_COMPENSATED, compensated, float, F32, f32)
PL_COLUMNS_ENTRY(PL_COMPENSATED, compensated, double, F64, f64)
