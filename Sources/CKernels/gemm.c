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
// B arrives packed (see CKernels.h): panels of PL_NR_F32 = 16 (binary32) or PL_NR_F64 = 8 (binary64)
// outputs, each panel k rows of that many values, contiguous, zero-padded past n. The element of output
// j at step p is bp[(j / NR) * k * NR + p * NR + j % NR].

// Packing b [n][k] (row-major, a Linear weight) into that layout: for each panel, 16 steps of k at a
// time, so the panel's rows of b stay in the L1 cache while the destination is written contiguously.
#define PL_PACK(NAME, T, NR)                                                                                 \
  void NAME(size_t n, size_t k, const T *b, T *bp, size_t panel_begin, size_t panel_end) {                   \
    for (size_t j0 = panel_begin * NR; j0 < n && j0 < panel_end * NR; j0 += NR) {                            \
      T *panel = bp + j0 * k;                                                                                \
      size_t cols = n - j0 < NR ? n - j0 : NR;                                                               \
      for (size_t p0 = 0; p0 < k; p0 += 16) {                                                                \
        size_t p1 = k - p0 < 16 ? k : p0 + 16;                                                               \
        for (size_t p = p0; p < p1; p++) {                                                                   \
          T *row = panel + p * NR;                                                                           \
          size_t jj = 0;                                                                                     \
          for (; jj < cols; jj++) row[jj] = b[(j0 + jj) * k + p];                                            \
          for (; jj < NR; jj++) row[jj] = 0;                                                                 \
        }                                                                                                    \
      }                                                                                                      \
    }                                                                                                        \
  }

PL_PACK(pl_pack_f32, float, PL_NR_F32)
PL_PACK(pl_pack_f64, double, PL_NR_F64)

// Portable path (CPUs without AVX2): one output at a time, k in order.
#define PL_SCALAR(NAME, T, FMA, NR)                                                                          \
  static void NAME(size_t i0, size_t i1, size_t j0, size_t j1, size_t n, size_t k, const T *a, const T *bp,  \
                   const T *bias, T *c, int fused) {                                                         \
    for (size_t i = i0; i < i1; i++) {                                                                       \
      const T *ai = a + i * k;                                                                               \
      for (size_t j = j0; j < j1; j++) {                                                                     \
        const T *col = bp + (j / NR) * k * NR + j % NR;                                                      \
        T acc = 0;                                                                                           \
        if (fused) {                                                                                         \
          for (size_t p = 0; p < k; p++) acc = FMA(ai[p], col[p * NR], acc);                                 \
        } else {                                                                                             \
          for (size_t p = 0; p < k; p++) {                                                                   \
            T prod = ai[p] * col[p * NR];                                                                    \
            acc = acc + prod;                                                                                \
          }                                                                                                  \
        }                                                                                                    \
        if (bias) acc = acc + bias[j];                                                                       \
        c[i * n + j] = acc;                                                                                  \
      }                                                                                                      \
    }                                                                                                        \
  }

PL_SCALAR(gemm_f32_scalar, float, fmaf, PL_NR_F32)
PL_SCALAR(gemm_f64_scalar, double, fma, PL_NR_F64)

#ifdef PL_X86
// ---------------------------------------------------------------------------------------------------
// AVX2 micro-kernel: up to MR = 6 rows x one panel (two vectors: 16 floats or 8 doubles), 12
// accumulators in registers, k in order; one contiguous panel row of B (64 bytes) per step, so a
// panel streams through the cache without the set conflicts a [K][N] layout with a power-of-two N
// causes. Unfused: _mm256_mul then _mm256_add (two roundings, as the scalar loop). A partial last
// panel is computed whole (zero padding) and only its n % NR valid outputs are stored.

#define MR 6

#define PL_BLOCK(NAME, T, V, WIDTH, SETZERO, LOAD, STORE, BROADCAST, FMADD, ADD, MUL)                       \
  __attribute__((target("avx2,fma"), always_inline)) static inline void NAME##_body(                          \
      size_t i, const int rows, size_t j, size_t n, size_t k, const T *a, const T *panel, const T *bias,       \
      T *c, int fused) {                                                                                     \
    V acc[MR][2];                                                                                            \
    for (int r = 0; r < rows; r++) acc[r][0] = acc[r][1] = SETZERO();                                        \
    const T *a0 = a + i * k;                                                                                 \
    if (fused) {                                                                                             \
      for (size_t p = 0; p < k; p++) {                                                                       \
        V b0 = LOAD(panel + p * 2 * WIDTH), b1 = LOAD(panel + p * 2 * WIDTH + WIDTH);                        \
        for (int r = 0; r < rows; r++) {                                                                     \
          V x = BROADCAST(a0 + r * k + p);                                                                   \
          acc[r][0] = FMADD(x, b0, acc[r][0]);                                                               \
          acc[r][1] = FMADD(x, b1, acc[r][1]);                                                               \
        }                                                                                                    \
      }                                                                                                      \
    } else {                                                                                                 \
      for (size_t p = 0; p < k; p++) {                                                                       \
        V b0 = LOAD(panel + p * 2 * WIDTH), b1 = LOAD(panel + p * 2 * WIDTH + WIDTH);                        \
        for (int r = 0; r < rows; r++) {                                                                     \
          V x = BROADCAST(a0 + r * k + p);                                                                   \
          acc[r][0] = ADD(acc[r][0], MUL(x, b0));                                                            \
          acc[r][1] = ADD(acc[r][1], MUL(x, b1));                                                            \
        }                                                                                                    \
      }                                                                                                      \
    }                                                                                                        \
    if (n - j >= 2 * WIDTH) {                                                                                \
      for (int r = 0; r < rows; r++) {                                                                       \
        if (bias) {                                                                                          \
          acc[r][0] = ADD(acc[r][0], LOAD(bias + j));                                                        \
          acc[r][1] = ADD(acc[r][1], LOAD(bias + j + WIDTH));                                                \
        }                                                                                                    \
        STORE(c + (i + r) * n + j, acc[r][0]);                                                               \
        STORE(c + (i + r) * n + j + WIDTH, acc[r][1]);                                                       \
      }                                                                                                      \
    } else {                                                                                                 \
      T tmp[2 * WIDTH];                                                                                      \
      for (int r = 0; r < rows; r++) {                                                                       \
        STORE(tmp, acc[r][0]);                                                                               \
        STORE(tmp + WIDTH, acc[r][1]);                                                                       \
        for (size_t jj = 0; jj < n - j; jj++) {                                                              \
          T sum = tmp[jj];                                                                                   \
          if (bias) sum = sum + bias[j + jj];                                                                \
          c[(i + r) * n + j + jj] = sum;                                                                     \
        }                                                                                                    \
      }                                                                                                      \
    }                                                                                                        \
  }                                                                                                          \
  /* One instance per row count, so the accumulators stay in registers at the row edge too. */              \
  __attribute__((target("avx2,fma"))) static void NAME(size_t i, size_t rows, size_t j, size_t n, size_t k,   \
                                                       const T *a, const T *panel, const T *bias, T *c,      \
                                                       int fused) {                                          \
    switch (rows) {                                                                                          \
    case 6: NAME##_body(i, 6, j, n, k, a, panel, bias, c, fused); break;                                     \
    case 5: NAME##_body(i, 5, j, n, k, a, panel, bias, c, fused); break;                                     \
    case 4: NAME##_body(i, 4, j, n, k, a, panel, bias, c, fused); break;                                     \
    case 3: NAME##_body(i, 3, j, n, k, a, panel, bias, c, fused); break;                                     \
    case 2: NAME##_body(i, 2, j, n, k, a, panel, bias, c, fused); break;                                     \
    default: NAME##_body(i, 1, j, n, k, a, panel, bias, c, fused); break;                                    \
    }                                                                                                        \
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

// Set by tests to run the portable loop on an AVX2 machine too (results are the same by contract).
static _Atomic int portable_only = 0;
void pl_gemm_set_portable_only(int on) { portable_only = on; }

size_t pl_claim(size_t *counter) { return __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED); }

int pl_gemm_isa(void) {
#ifdef PL_X86
  return has_avx2() ? 2 : 0;
#else
  return 0;
#endif
}

// Rows [row_begin, row_end) and panels [panel_begin, panel_end): panels outer (a panel of B is reused
// from the cache by every row block), blocks of MR rows inner, the last one shorter; the portable loop
// where the CPU lacks AVX2.
#ifdef PL_X86
#define PL_DRIVE(BLOCK, NR)                                                                                  \
  if (has_avx2() && !portable_only) {                                                                        \
    for (size_t j = j0; j < j1; j += NR)                                                                     \
      for (size_t r = row_begin; r < row_end; r += MR)                                                       \
        BLOCK(r, row_end - r < MR ? row_end - r : MR, j, n, k, a, bp + j * k, bias, c, fused);               \
    return;                                                                                                  \
  }
#else
#define PL_DRIVE(BLOCK, NR)
#endif

void pl_gemm_f32(size_t row_begin, size_t row_end, size_t panel_begin, size_t panel_end, size_t n, size_t k,
                 const float *a, const float *bp, const float *bias, float *c, int fused) {
  size_t j0 = panel_begin * PL_NR_F32, j1 = panel_end * PL_NR_F32 < n ? panel_end * PL_NR_F32 : n;
  PL_DRIVE(block_f32, PL_NR_F32)
  gemm_f32_scalar(row_begin, row_end, j0, j1, n, k, a, bp, bias, c, fused);
}

void pl_gemm_f64(size_t row_begin, size_t row_end, size_t panel_begin, size_t panel_end, size_t n, size_t k,
                 const double *a, const double *bp, const double *bias, double *c, int fused) {
  size_t j0 = panel_begin * PL_NR_F64, j1 = panel_end * PL_NR_F64 < n ? panel_end * PL_NR_F64 : n;
  PL_DRIVE(block_f64, PL_NR_F64)
  gemm_f64_scalar(row_begin, row_end, j0, j1, n, k, a, bp, bias, c, fused);
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
// Rows per block of the rounded kernel.
#define ROWS 4

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

