// See CKernels.h for the numerical contract. Contraction of a*b+c into an FMA would change results:
// it is switched off for this file, and the fused variant calls fma explicitly.
#pragma clang fp contract(off)
#pragma STDC FP_CONTRACT OFF

#include "CKernels.h"
#include <math.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define PL_X86 1
#endif

// ---------------------------------------------------------------------------------------------------
// Portable reference path (also used for edges): one output at a time, k in order.

static void gemm_f32_scalar(size_t i0, size_t i1, size_t j0, size_t j1, size_t n, size_t k, const float *a,
                            const float *bt, const float *bias, float *c, int fused) {
  for (size_t i = i0; i < i1; i++) {
    for (size_t j = j0; j < j1; j++) {
      float acc = 0.0f;
      const float *ai = a + i * k;
      if (fused) {
        for (size_t p = 0; p < k; p++) acc = fmaf(ai[p], bt[p * n + j], acc);
      } else {
        for (size_t p = 0; p < k; p++) {
          float prod = ai[p] * bt[p * n + j];
          acc = acc + prod;
        }
      }
      if (bias) acc = acc + bias[j];
      c[i * n + j] = acc;
    }
  }
}

static void gemm_f64_scalar(size_t i0, size_t i1, size_t j0, size_t j1, size_t n, size_t k, const double *a,
                            const double *bt, const double *bias, double *c, int fused) {
  for (size_t i = i0; i < i1; i++) {
    for (size_t j = j0; j < j1; j++) {
      double acc = 0.0;
      const double *ai = a + i * k;
      if (fused) {
        for (size_t p = 0; p < k; p++) acc = fma(ai[p], bt[p * n + j], acc);
      } else {
        for (size_t p = 0; p < k; p++) {
          double prod = ai[p] * bt[p * n + j];
          acc = acc + prod;
        }
      }
      if (bias) acc = acc + bias[j];
      c[i * n + j] = acc;
    }
  }
}

#ifdef PL_X86
// ---------------------------------------------------------------------------------------------------
// AVX2 micro-kernels: 4 rows x 16 columns (float) or 4 rows x 8 columns (double), accumulators in
// registers, k in order. Unfused: _mm256_mul then _mm256_add (two roundings, as the scalar loop).

#define ROWS 4

__attribute__((target("avx2,fma"))) static void block_f32(size_t i, size_t j, size_t n, size_t k, const float *a,
                                                          const float *bt, const float *bias, float *c, int fused) {
  __m256 acc[ROWS][2];
  for (int r = 0; r < ROWS; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
  const float *a0 = a + i * k;
  if (fused) {
    for (size_t p = 0; p < k; p++) {
      __m256 b0 = _mm256_loadu_ps(bt + p * n + j), b1 = _mm256_loadu_ps(bt + p * n + j + 8);
      for (int r = 0; r < ROWS; r++) {
        __m256 x = _mm256_broadcast_ss(a0 + r * k + p);
        acc[r][0] = _mm256_fmadd_ps(x, b0, acc[r][0]);
        acc[r][1] = _mm256_fmadd_ps(x, b1, acc[r][1]);
      }
    }
  } else {
    for (size_t p = 0; p < k; p++) {
      __m256 b0 = _mm256_loadu_ps(bt + p * n + j), b1 = _mm256_loadu_ps(bt + p * n + j + 8);
      for (int r = 0; r < ROWS; r++) {
        __m256 x = _mm256_broadcast_ss(a0 + r * k + p);
        acc[r][0] = _mm256_add_ps(acc[r][0], _mm256_mul_ps(x, b0));
        acc[r][1] = _mm256_add_ps(acc[r][1], _mm256_mul_ps(x, b1));
      }
    }
  }
  if (bias) {
    __m256 c0 = _mm256_loadu_ps(bias + j), c1 = _mm256_loadu_ps(bias + j + 8);
    for (int r = 0; r < ROWS; r++) {
      acc[r][0] = _mm256_add_ps(acc[r][0], c0);
      acc[r][1] = _mm256_add_ps(acc[r][1], c1);
    }
  }
  for (int r = 0; r < ROWS; r++) {
    _mm256_storeu_ps(c + (i + r) * n + j, acc[r][0]);
    _mm256_storeu_ps(c + (i + r) * n + j + 8, acc[r][1]);
  }
}

__attribute__((target("avx2,fma"))) static void block_f64(size_t i, size_t j, size_t n, size_t k, const double *a,
                                                          const double *bt, const double *bias, double *c, int fused) {
  __m256d acc[ROWS][2];
  for (int r = 0; r < ROWS; r++) acc[r][0] = acc[r][1] = _mm256_setzero_pd();
  const double *a0 = a + i * k;
  if (fused) {
    for (size_t p = 0; p < k; p++) {
      __m256d b0 = _mm256_loadu_pd(bt + p * n + j), b1 = _mm256_loadu_pd(bt + p * n + j + 4);
      for (int r = 0; r < ROWS; r++) {
        __m256d x = _mm256_broadcast_sd(a0 + r * k + p);
        acc[r][0] = _mm256_fmadd_pd(x, b0, acc[r][0]);
        acc[r][1] = _mm256_fmadd_pd(x, b1, acc[r][1]);
      }
    }
  } else {
    for (size_t p = 0; p < k; p++) {
      __m256d b0 = _mm256_loadu_pd(bt + p * n + j), b1 = _mm256_loadu_pd(bt + p * n + j + 4);
      for (int r = 0; r < ROWS; r++) {
        __m256d x = _mm256_broadcast_sd(a0 + r * k + p);
        acc[r][0] = _mm256_add_pd(acc[r][0], _mm256_mul_pd(x, b0));
        acc[r][1] = _mm256_add_pd(acc[r][1], _mm256_mul_pd(x, b1));
      }
    }
  }
  if (bias) {
    __m256d c0 = _mm256_loadu_pd(bias + j), c1 = _mm256_loadu_pd(bias + j + 4);
    for (int r = 0; r < ROWS; r++) {
      acc[r][0] = _mm256_add_pd(acc[r][0], c0);
      acc[r][1] = _mm256_add_pd(acc[r][1], c1);
    }
  }
  for (int r = 0; r < ROWS; r++) {
    _mm256_storeu_pd(c + (i + r) * n + j, acc[r][0]);
    _mm256_storeu_pd(c + (i + r) * n + j + 4, acc[r][1]);
  }
}

static int has_avx2(void) {
  static int cached = -1;
  if (cached < 0) {
    __builtin_cpu_init();
    cached = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }
  return cached;
}
#endif

int pl_gemm_isa(void) {
#ifdef PL_X86
  return has_avx2() ? 2 : 0;
#else
  return 0;
#endif
}

void pl_gemm_f32(size_t row_begin, size_t row_end, size_t n, size_t k, const float *a, const float *bt,
                 const float *bias, float *c, int fused) {
  size_t i = row_begin;
#ifdef PL_X86
  if (has_avx2()) {
    size_t nb = n / 16 * 16;
    for (; i + ROWS <= row_end; i += ROWS) {
      for (size_t j = 0; j < nb; j += 16) block_f32(i, j, n, k, a, bt, bias, c, fused);
      gemm_f32_scalar(i, i + ROWS, nb, n, n, k, a, bt, bias, c, fused);
    }
  }
#endif
  gemm_f32_scalar(i, row_end, 0, n, n, k, a, bt, bias, c, fused);
}

void pl_gemm_f64(size_t row_begin, size_t row_end, size_t n, size_t k, const double *a, const double *bt,
                 const double *bias, double *c, int fused) {
  size_t i = row_begin;
#ifdef PL_X86
  if (has_avx2()) {
    size_t nb = n / 8 * 8;
    for (; i + ROWS <= row_end; i += ROWS) {
      for (size_t j = 0; j < nb; j += 8) block_f64(i, j, n, k, a, bt, bias, c, fused);
      gemm_f64_scalar(i, i + ROWS, nb, n, n, k, a, bt, bias, c, fused);
    }
  }
#endif
  gemm_f64_scalar(i, row_end, 0, n, n, k, a, bt, bias, c, fused);
}
