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

#define PL_SCALAR(NAME, T, FMA)                                                                              \
  static void NAME(size_t i0, size_t i1, size_t j0, size_t j1, size_t n, size_t k, const T *a, const T *bt,  \
                   const T *bias, T *c, int fused) {                                                        \
    for (size_t i = i0; i < i1; i++) {                                                                       \
      for (size_t j = j0; j < j1; j++) {                                                                     \
        T acc = 0;                                                                                           \
        const T *ai = a + i * k;                                                                             \
        if (fused) {                                                                                         \
          for (size_t p = 0; p < k; p++) acc = FMA(ai[p], bt[p * n + j], acc);                               \
        } else {                                                                                             \
          for (size_t p = 0; p < k; p++) {                                                                   \
            T prod = ai[p] * bt[p * n + j];                                                                  \
            acc = acc + prod;                                                                                \
          }                                                                                                  \
        }                                                                                                    \
        if (bias) acc = acc + bias[j];                                                                       \
        c[i * n + j] = acc;                                                                                  \
      }                                                                                                      \
    }                                                                                                        \
  }

PL_SCALAR(gemm_f32_scalar, float, fmaf)
PL_SCALAR(gemm_f64_scalar, double, fma)

#ifdef PL_X86
// ---------------------------------------------------------------------------------------------------
// AVX2 micro-kernels: 4 rows x 16 or 8 columns (float), 4 rows x 8 or 4 columns (double), accumulators in
// registers, k in order. Unfused: _mm256_mul then _mm256_add (two roundings, as the scalar loop).

#define ROWS 4
// k is cut into chunks of KC terms (each output still summed in k order, see PL_BLOCK).
#define KC 256

// One body per type, inlined into a wide (two vectors: 16 floats or 8 doubles) and a narrow (one
// vector) instance; the narrow one covers the column edge (n = 10 outputs: 8 in SIMD, 2 scalar).
#define PL_BLOCK(NAME, T, V, WIDTH, SETZERO, LOAD, STORE, BROADCAST, FMADD, ADD, MUL)                       \
  __attribute__((target("avx2,fma"), always_inline)) static inline void NAME##_body(                          \
      size_t i, size_t j, size_t n, size_t k, size_t p0, size_t p1, const T *a, const T *bt, const T *bias,    \
      T *c, int fused, const int vectors) {                                                                  \
    V acc[ROWS][2];                                                                                          \
    /* The first chunk of k starts from +0; later chunks continue from the sums stored by the previous */   \
    /* one (stored and reloaded exactly, so each output is still one sum in k order). */                     \
    for (int r = 0; r < ROWS; r++)                                                                           \
      for (int v = 0; v < vectors; v++) acc[r][v] = p0 == 0 ? SETZERO() : LOAD(c + (i + r) * n + j + v * WIDTH); \
    const T *a0 = a + i * k;                                                                                 \
    if (fused) {                                                                                             \
      for (size_t p = p0; p < p1; p++)                                                                       \
        for (int r = 0; r < ROWS; r++) {                                                                     \
          V x = BROADCAST(a0 + r * k + p);                                                                   \
          for (int v = 0; v < vectors; v++) acc[r][v] = FMADD(x, LOAD(bt + p * n + j + v * WIDTH), acc[r][v]); \
        }                                                                                                    \
    } else {                                                                                                 \
      for (size_t p = p0; p < p1; p++)                                                                       \
        for (int r = 0; r < ROWS; r++) {                                                                     \
          V x = BROADCAST(a0 + r * k + p);                                                                   \
          for (int v = 0; v < vectors; v++) acc[r][v] = ADD(acc[r][v], MUL(x, LOAD(bt + p * n + j + v * WIDTH))); \
        }                                                                                                    \
    }                                                                                                        \
    if (bias && p1 == k)                                                                                     \
      for (int r = 0; r < ROWS; r++)                                                                         \
        for (int v = 0; v < vectors; v++) acc[r][v] = ADD(acc[r][v], LOAD(bias + j + v * WIDTH));           \
    for (int r = 0; r < ROWS; r++)                                                                           \
      for (int v = 0; v < vectors; v++) STORE(c + (i + r) * n + j + v * WIDTH, acc[r][v]);                 \
  }                                                                                                          \
  __attribute__((target("avx2,fma"))) static void NAME##_wide(size_t i, size_t j, size_t n, size_t k, size_t p0, \
      size_t p1, const T *a, const T *bt, const T *bias, T *c, int fused) {                                 \
    NAME##_body(i, j, n, k, p0, p1, a, bt, bias, c, fused, 2);                                               \
  }                                                                                                          \
  __attribute__((target("avx2,fma"))) static void NAME##_narrow(size_t i, size_t j, size_t n, size_t k, size_t p0, \
      size_t p1, const T *a, const T *bt, const T *bias, T *c, int fused) {                                 \
    NAME##_body(i, j, n, k, p0, p1, a, bt, bias, c, fused, 1);                                               \
  }

PL_BLOCK(block_f32, float, __m256, 8, _mm256_setzero_ps, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_broadcast_ss,
         _mm256_fmadd_ps, _mm256_add_ps, _mm256_mul_ps)
PL_BLOCK(block_f64, double, __m256d, 4, _mm256_setzero_pd, _mm256_loadu_pd, _mm256_storeu_pd, _mm256_broadcast_sd,
         _mm256_fmadd_pd, _mm256_add_pd, _mm256_mul_pd)

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

// Rows [row_begin, row_end): SIMD blocks of ROWS rows where the CPU has AVX2, the scalar loop for the
// remaining columns and rows. Chunks of k outer, then column panels: one panel chunk of B (KC x 2
// vectors, 16 KB) stays in the L1 cache across the row blocks; a last one-vector panel takes the
// narrow kernel.
#ifdef PL_X86
#define PL_SIMD_ROWS(BLOCK, SCALAR, WIDTH)                                                                   \
  if (has_avx2()) {                                                                                          \
    size_t nw = n / (2 * WIDTH) * (2 * WIDTH), nb = n / WIDTH * WIDTH;                                       \
    size_t full = row_begin + (row_end - row_begin) / ROWS * ROWS, p0 = 0;                                   \
    do {                                                                                                     \
      size_t p1 = k - p0 > KC ? p0 + KC : k;                                                                 \
      for (size_t j = 0; j < nw; j += 2 * WIDTH)                                                             \
        for (size_t r = row_begin; r < full; r += ROWS) BLOCK##_wide(r, j, n, k, p0, p1, a, bt, bias, c, fused); \
      if (nb > nw)                                                                                           \
        for (size_t r = row_begin; r < full; r += ROWS) BLOCK##_narrow(r, nw, n, k, p0, p1, a, bt, bias, c, fused); \
      p0 = p1;                                                                                               \
    } while (p0 < k);                                                                                        \
    SCALAR(row_begin, full, nb, n, n, k, a, bt, bias, c, fused);                                             \
    i = full;                                                                                                \
  }
#else
#define PL_SIMD_ROWS(BLOCK, SCALAR, WIDTH)
#endif

void pl_gemm_f32(size_t row_begin, size_t row_end, size_t n, size_t k, const float *a, const float *bt,
                 const float *bias, float *c, int fused) {
  size_t i = row_begin;
  PL_SIMD_ROWS(block_f32, gemm_f32_scalar, 8)
  gemm_f32_scalar(i, row_end, 0, n, n, k, a, bt, bias, c, fused);
}

void pl_gemm_f64(size_t row_begin, size_t row_end, size_t n, size_t k, const double *a, const double *bt,
                 const double *bias, double *c, int fused) {
  size_t i = row_begin;
  PL_SIMD_ROWS(block_f64, gemm_f64_scalar, 4)
  gemm_f64_scalar(i, row_end, 0, n, n, k, a, bt, bias, c, fused);
}

// ---------------------------------------------------------------------------------------------------
// Low-precision arithmetic rounded after every operation, round to nearest even: binary16 (format 0)
// and bfloat16 (format 1) values held in binary32. acc = r(acc + r(a*b)), acc from +0, bias added
// last with one rounding. Exact: a product of two such values is exact in binary32 (22 and 16
// significant bits; bfloat16 products too small for binary32's grid are below half of bfloat16's
// smallest subnormal and round to the same result), and rounding a binary32-rounded sum of two p-bit
// values to p bits is correct because 24 >= 2p + 2 (double rounding is innocuous for addition).
// binary16 rounding uses F16C's conversion (RNE, subnormals, overflow to infinity); bfloat16 rounds
// the binary32 bit pattern to its upper 16 bits (RNE, NaN kept).

#ifdef PL_X86
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

__attribute__((target("avx2,f16c"))) static void block_round(int format, size_t i, size_t j, size_t n, size_t k,
                                                             const float *a, const float *bt, const float *bias,
                                                             float *c) {
  __m256 acc[ROWS][2];
  for (int r = 0; r < ROWS; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
  const float *a0 = a + i * k;
  for (size_t p = 0; p < k; p++) {
    __m256 b0 = _mm256_loadu_ps(bt + p * n + j), b1 = _mm256_loadu_ps(bt + p * n + j + 8);
    for (int r = 0; r < ROWS; r++) {
      __m256 x = _mm256_broadcast_ss(a0 + r * k + p);
      acc[r][0] = ROUND(_mm256_add_ps(acc[r][0], ROUND(_mm256_mul_ps(x, b0))));
      acc[r][1] = ROUND(_mm256_add_ps(acc[r][1], ROUND(_mm256_mul_ps(x, b1))));
    }
  }
  for (int r = 0; r < ROWS; r++) {
    if (bias) {
      acc[r][0] = ROUND(_mm256_add_ps(acc[r][0], _mm256_loadu_ps(bias + j)));
      acc[r][1] = ROUND(_mm256_add_ps(acc[r][1], _mm256_loadu_ps(bias + j + 8)));
    }
    _mm256_storeu_ps(c + (i + r) * n + j, acc[r][0]);
    _mm256_storeu_ps(c + (i + r) * n + j + 8, acc[r][1]);
  }
}

/// One output at a time with the same operations (8 lanes, lane 0 used): rows and columns at the edges.
__attribute__((target("avx2,f16c"))) static void scalar_round(int format, size_t i0, size_t i1, size_t j0, size_t j1,
                                                              size_t n, size_t k, const float *a, const float *bt,
                                                              const float *bias, float *c) {
  for (size_t i = i0; i < i1; i++) {
    for (size_t j = j0; j < j1; j++) {
      __m256 acc = _mm256_setzero_ps();
      for (size_t p = 0; p < k; p++) {
        __m256 prod = ROUND(_mm256_mul_ps(_mm256_set1_ps(a[i * k + p]), _mm256_set1_ps(bt[p * n + j])));
        acc = ROUND(_mm256_add_ps(acc, prod));
      }
      if (bias) acc = ROUND(_mm256_add_ps(acc, _mm256_set1_ps(bias[j])));
      c[i * n + j] = _mm256_cvtss_f32(acc);
    }
  }
}
#endif

int pl_gemm_round_available(void) {
#ifdef PL_X86
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

int pl_gemm_round(int format, size_t row_begin, size_t row_end, size_t n, size_t k, const float *a, const float *bt,
                  const float *bias, float *c) {
#ifdef PL_X86
  if (!pl_gemm_round_available()) return 0;
  size_t nb = n / 16 * 16, full = row_begin + (row_end - row_begin) / ROWS * ROWS;
  for (size_t j = 0; j < nb; j += 16)
    for (size_t r = row_begin; r < full; r += ROWS) block_round(format, r, j, n, k, a, bt, bias, c);
  scalar_round(format, row_begin, full, nb, n, n, k, a, bt, bias, c);
  scalar_round(format, full, row_end, 0, n, n, k, a, bt, bias, c);
  return 1;
#else
  (void)format; (void)row_begin; (void)row_end; (void)n; (void)k; (void)a; (void)bt; (void)bias; (void)c;
  return 0;
#endif
}

