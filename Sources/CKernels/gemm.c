// See CKernels.h for the numerical contract. Contraction of a*b+c into an FMA would change results:
// it is switched off for this file, and the fused variants call fma explicitly.
#pragma clang fp contract(off)
#pragma STDC FP_CONTRACT OFF

#include "CKernels.h"
#include <math.h>
#include <stdlib.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define PL_X86 1
#endif

size_t pl_claim(size_t *counter) { return __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED); }

// ---------------------------------------------------------------------------------------------------
// Portable path (CPUs without AVX2, and the tests' reference for the vector code): one output at a time,
// in the order asked. B is packed: the value for output j (relative to the first packed panel's first
// output j0) at step p is bp[((j - j0) / NR) * k * NR + p * NR + (j - j0) % NR].

#define PL_SCALAR(NAME, T, FMA, NR)                                                                          \
  static T NAME##_sequential(const T *ai, const T *col, size_t p0, size_t p1, int fused, T acc) {            \
    if (fused) {                                                                                             \
      for (size_t p = p0; p < p1; p++) acc = FMA(ai[p], col[p * NR], acc);                                   \
    } else {                                                                                                 \
      for (size_t p = p0; p < p1; p++) {                                                                     \
        T prod = ai[p] * col[p * NR];                                                                        \
        acc = acc + prod;                                                                                    \
      }                                                                                                      \
    }                                                                                                        \
    return acc;                                                                                              \
  }                                                                                                          \
  static T NAME##_pairwise(const T *ai, const T *col, size_t p0, size_t p1) {                                \
    if (p1 - p0 == 1) return ai[p0] * col[p0 * NR];                                                          \
    size_t m = p0 + (p1 - p0) / 2;                                                                           \
    T left = NAME##_pairwise(ai, col, p0, m);                                                                \
    T right = NAME##_pairwise(ai, col, m, p1);                                                               \
    return left + right;                                                                                     \
  }                                                                                                          \
  static void NAME(size_t i0, size_t i1, size_t j0, size_t j1, size_t jbase, size_t k, const T *a, size_t lda,  \
                   const T *bp, const T *bias, const T *bias_rows, T *c, size_t ldc, pl_order order) {       \
    for (size_t i = i0; i < i1; i++) {                                                                       \
      const T *ai = a + i * lda;                                                                             \
      for (size_t j = j0; j < j1; j++) {                                                                     \
        const T *col = bp + ((j - jbase) / NR) * k * NR + (j - jbase) % NR;                                  \
        const int first = order.bias_first && order.kind != 1;                                               \
        T acc = first ? (bias ? bias[j] : bias_rows ? bias_rows[i] : 0) : 0;                                 \
        if (order.kind == 1) {                                                                               \
          if (k > 0) acc = NAME##_pairwise(ai, col, 0, k);                                                   \
        } else if (order.kind == 2) {                                                                        \
          for (size_t p = 0; p < k; p += order.block) {                                                      \
            T block = NAME##_sequential(ai, col, p, p + order.block < k ? p + order.block : k, order.fused, 0); \
            acc = acc + block;                                                                               \
          }                                                                                                  \
        } else {                                                                                             \
          acc = NAME##_sequential(ai, col, 0, k, order.fused, acc);                                          \
        }                                                                                                    \
        if (bias && !first) acc = acc + bias[j];                                                             \
        if (bias_rows && !first) acc = acc + bias_rows[i];                                                   \
        c[i * ldc + j] = acc;                                                                                \
      }                                                                                                      \
    }                                                                                                        \
  }

PL_SCALAR(gemm_f32_scalar, float, fmaf, PL_NR_F32)
PL_SCALAR(gemm_f64_scalar, double, fma, PL_NR_F64)

// The pairwise tree of k products as the sequence of its bottom subtrees (the recursion's cases of at most
// eight products, whose shapes are fixed: p0; p0+p1; p0+(p1+p2); (p0+p1)+(p2+p3); …), left to right, each with
// the number of additions the tree makes right after it (pending sums combined, older + newer). Depth of
// pending sums: at most about log2(k) + 2.
typedef struct pl_pw_entry {
  size_t start, size, merges;
} pl_pw_entry;
#define PL_PW_DEPTH 72

static size_t pl_pw_schedule(size_t p0, size_t n, pl_pw_entry *out, size_t count) {
  if (n <= 8) {
    out[count] = (pl_pw_entry){p0, n, 0};
    return count + 1;
  }
  size_t m = n / 2;
  count = pl_pw_schedule(p0, m, out, count);
  count = pl_pw_schedule(p0 + m, n - m, out, count);
  out[count - 1].merges++;
  return count;
}

#ifdef PL_X86
// ---------------------------------------------------------------------------------------------------
// AVX2 micro-kernels: up to MR = 6 rows x one panel (two vectors: 16 floats or 8 doubles), the
// accumulators in registers, p in order; one contiguous panel row of B (64 bytes) per step. Unfused:
// _mm256_mul then _mm256_add (two roundings, as the scalar loop). A partial last panel is computed whole
// (zero padding) and only its valid outputs are stored.
//
// - sequential: 12 accumulators over [0, k).
// - blocked: the same over each block, each block's sums then added to running totals kept in memory
//   (one addition per block and output, in block order).
// - pairwise: rows in blocks of PW = 2, the tree evaluated left to right over its bottom subtrees of up
//   to eight products (in registers) with a stack of pending sums (pl_pw_schedule); every lane follows
//   the same tree.

// A block of n rows through BODY (an instance per row count keeps the accumulators in registers), then
// break: the cases of the kernels' switches on the rows left.
#define PL_ROW_CALL(BODY, n)                                                                                 \
  BODY(i, n, j, valid, k, a, lda, panel, bias, bias_rows, c, ldc, order);                                    \
  break;
#define PL_ROWS_2_TO_6(BODY)                                                                                 \
  case 6: PL_ROW_CALL(BODY, 6)                                                                               \
  case 5: PL_ROW_CALL(BODY, 5)                                                                               \
  case 4: PL_ROW_CALL(BODY, 4)                                                                               \
  case 3: PL_ROW_CALL(BODY, 3)                                                                               \
  case 2: PL_ROW_CALL(BODY, 2)

#define MR 6
#define PW 2
// The pairwise bodies (AVX2 and AVX-512) share these, over lanes (r, h): `rows` rows of H vectors.
// Product p0 + d of lane (r, h), P the kernel's product function.
#define PL_L(P, d) P(a0, lda, r, panel, p0 + (d), h)
// The same expression for every lane, into v.
#define PL_LANES(H, EXPR)                                                                                    \
  for (int r = 0; r < rows; r++) {                                                                           \
    for (int h = 0; h < (H); h++) v[r][h] = (EXPR);                                                          \
  }
// The leaf subtree schedule[e] (up to 8 products from p0) in the recursion's own shape, every lane; the
// switch outside the lanes, so the compiler interleaves the lanes' independent trees.
#define PL_PW_LEAF(H, P, ADD)                                                                                \
  switch (schedule[e].size) {                                                                                \
  case 1: PL_LANES(H, PL_L(P, 0)); break;                                                                    \
  case 2: PL_LANES(H, ADD(PL_L(P, 0), PL_L(P, 1))); break;                                                   \
  case 3: PL_LANES(H, ADD(PL_L(P, 0), ADD(PL_L(P, 1), PL_L(P, 2)))); break;                                  \
  case 4: PL_LANES(H, ADD(ADD(PL_L(P, 0), PL_L(P, 1)), ADD(PL_L(P, 2), PL_L(P, 3)))); break;                 \
  case 5: PL_LANES(H, ADD(ADD(PL_L(P, 0), PL_L(P, 1)), ADD(PL_L(P, 2), ADD(PL_L(P, 3), PL_L(P, 4))))); break; \
  case 6: PL_LANES(H, ADD(ADD(PL_L(P, 0), ADD(PL_L(P, 1), PL_L(P, 2))), ADD(PL_L(P, 3), ADD(PL_L(P, 4), PL_L(P, 5))))); break; \
  case 7: PL_LANES(H, ADD(ADD(PL_L(P, 0), ADD(PL_L(P, 1), PL_L(P, 2))), ADD(ADD(PL_L(P, 3), PL_L(P, 4)), ADD(PL_L(P, 5), PL_L(P, 6))))); break; \
  default: PL_LANES(H, ADD(ADD(ADD(PL_L(P, 0), PL_L(P, 1)), ADD(PL_L(P, 2), PL_L(P, 3))), ADD(ADD(PL_L(P, 4), PL_L(P, 5)), ADD(PL_L(P, 6), PL_L(P, 7))))); break; \
  }
// After leaf e: the additions the tree makes there (pending sum + newer, `merges` times, popping the
// stack), then the result becomes the most recent pending sum (in `top`, the older one pushed).
#define PL_PW_FOLD(H, ADD)                                                                                   \
  for (size_t m = 0; m < schedule[e].merges; m++) {                                                          \
    for (int r = 0; r < rows; r++)                                                                           \
      for (int h = 0; h < (H); h++) v[r][h] = ADD(top[r][h], v[r][h]);                                       \
    if (depth > 0) {                                                                                         \
      depth--;                                                                                               \
      for (int r = 0; r < rows; r++)                                                                         \
        for (int h = 0; h < (H); h++) top[r][h] = stack[depth][r][h];                                        \
    } else {                                                                                                 \
      has_top = 0;                                                                                           \
    }                                                                                                        \
  }                                                                                                          \
  if (has_top) {                                                                                             \
    for (int r = 0; r < rows; r++)                                                                           \
      for (int h = 0; h < (H); h++) stack[depth][r][h] = top[r][h];                                          \
    depth++;                                                                                                 \
  }                                                                                                          \
  for (int r = 0; r < rows; r++)                                                                             \
    for (int h = 0; h < (H); h++) top[r][h] = v[r][h];                                                       \
  has_top = 1;

#define PL_BLOCK(NAME, T, V, WIDTH, SETZERO, LOAD, STORE, BROADCAST, FMADD, ADD, MUL)                       \
  /* Sequential sums over [p0, p1) of `rows` rows into acc (from zero). */                                   \
  __attribute__((target("avx2,fma"), always_inline)) static inline void NAME##_run(                           \
      const int rows, const T *a0, size_t lda, const T *panel, size_t p0, size_t p1, int fused, V acc[MR][2], \
      int keep) {                                                                                            \
    if (!keep)                                                                                               \
      for (int r = 0; r < rows; r++) acc[r][0] = acc[r][1] = SETZERO();                                      \
    if (fused) {                                                                                             \
      for (size_t p = p0; p < p1; p++) {                                                                     \
        V b0 = LOAD(panel + p * 2 * WIDTH), b1 = LOAD(panel + p * 2 * WIDTH + WIDTH);                        \
        for (int r = 0; r < rows; r++) {                                                                     \
          V x = BROADCAST(a0 + r * lda + p);                                                                 \
          acc[r][0] = FMADD(x, b0, acc[r][0]);                                                               \
          acc[r][1] = FMADD(x, b1, acc[r][1]);                                                               \
        }                                                                                                    \
      }                                                                                                      \
    } else {                                                                                                 \
      for (size_t p = p0; p < p1; p++) {                                                                     \
        V b0 = LOAD(panel + p * 2 * WIDTH), b1 = LOAD(panel + p * 2 * WIDTH + WIDTH);                        \
        for (int r = 0; r < rows; r++) {                                                                     \
          V x = BROADCAST(a0 + r * lda + p);                                                                 \
          acc[r][0] = ADD(acc[r][0], MUL(x, b0));                                                            \
          acc[r][1] = ADD(acc[r][1], MUL(x, b1));                                                            \
        }                                                                                                    \
      }                                                                                                      \
    }                                                                                                        \
  }                                                                                                          \
  /* The bias of `rows` rows of one panel into acc: where a bias-first sum starts. */                        \
  __attribute__((target("avx2,fma"), always_inline)) static inline void NAME##_start(                         \
      const int rows, size_t i, size_t j, size_t valid, V acc[MR][2], const T *bias, const T *bias_rows) {   \
    for (int r = 0; r < rows; r++) {                                                                         \
      if (bias) {                                                                                            \
        T tmp[2 * WIDTH] = {0};                                                                              \
        for (size_t jj = 0; jj < valid && jj < 2 * WIDTH; jj++) tmp[jj] = bias[j + jj];                      \
        acc[r][0] = LOAD(tmp);                                                                               \
        acc[r][1] = LOAD(tmp + WIDTH);                                                                       \
      } else if (bias_rows) {                                                                                \
        acc[r][0] = acc[r][1] = BROADCAST(bias_rows + i + r);                                                \
      } else {                                                                                               \
        acc[r][0] = acc[r][1] = SETZERO();                                                                   \
      }                                                                                                      \
    }                                                                                                        \
  }                                                                                                          \
  /* Adds the bias and stores `rows` rows of one panel (j = first output, valid = outputs to store). */    \
  __attribute__((target("avx2,fma"), always_inline)) static inline void NAME##_store(                         \
      const int rows, size_t i, size_t j, size_t valid, V acc[MR][2], const T *bias, const T *bias_rows,      \
      T *c, size_t ldc) {                                                                                    \
    for (int r = 0; r < rows; r++) {                                                                         \
      if (bias && valid >= 2 * WIDTH) {                                                                      \
        acc[r][0] = ADD(acc[r][0], LOAD(bias + j));                                                          \
        acc[r][1] = ADD(acc[r][1], LOAD(bias + j + WIDTH));                                                  \
      } else if (bias) {                                                                                     \
        T tmp[2 * WIDTH] = {0};                                                                              \
        for (size_t jj = 0; jj < valid; jj++) tmp[jj] = bias[j + jj];                                        \
        acc[r][0] = ADD(acc[r][0], LOAD(tmp));                                                               \
        acc[r][1] = ADD(acc[r][1], LOAD(tmp + WIDTH));                                                       \
      }                                                                                                      \
      if (bias_rows) {                                                                                       \
        V rb = BROADCAST(bias_rows + i + r);                                                                 \
        acc[r][0] = ADD(acc[r][0], rb);                                                                      \
        acc[r][1] = ADD(acc[r][1], rb);                                                                      \
      }                                                                                                      \
      if (valid >= 2 * WIDTH) {                                                                              \
        STORE(c + (i + r) * ldc + j, acc[r][0]);                                                             \
        STORE(c + (i + r) * ldc + j + WIDTH, acc[r][1]);                                                     \
      } else {                                                                                               \
        T tmp[2 * WIDTH];                                                                                    \
        STORE(tmp, acc[r][0]);                                                                               \
        STORE(tmp + WIDTH, acc[r][1]);                                                                       \
        for (size_t jj = 0; jj < valid; jj++) c[(i + r) * ldc + j + jj] = tmp[jj];                           \
      }                                                                                                      \
    }                                                                                                        \
  }                                                                                                          \
  __attribute__((target("avx2,fma"), always_inline)) static inline void NAME##_body(                          \
      size_t i, const int rows, size_t j, size_t valid, size_t k, const T *a, size_t lda, const T *panel,     \
      const T *bias, const T *bias_rows, T *c, size_t ldc, pl_order order) {                                 \
    V acc[MR][2];                                                                                            \
    const T *a0 = a + i * lda;                                                                               \
    const int first = order.bias_first;                                                                      \
    if (order.kind == 2) {                                                                                   \
      V total[MR][2];                                                                                        \
      if (first) {                                                                                           \
        NAME##_start(rows, i, j, valid, total, bias, bias_rows);                                             \
      } else {                                                                                               \
        for (int r = 0; r < rows; r++) total[r][0] = total[r][1] = SETZERO();                                \
      }                                                                                                      \
      for (size_t p = 0; p < k; p += order.block) {                                                          \
        NAME##_run(rows, a0, lda, panel, p, p + order.block < k ? p + order.block : k, order.fused, acc, 0); \
        for (int r = 0; r < rows; r++) {                                                                     \
          total[r][0] = ADD(total[r][0], acc[r][0]);                                                         \
          total[r][1] = ADD(total[r][1], acc[r][1]);                                                         \
        }                                                                                                    \
      }                                                                                                      \
      NAME##_store(rows, i, j, valid, total, first ? 0 : bias, first ? 0 : bias_rows, c, ldc);               \
    } else {                                                                                                 \
      if (first) NAME##_start(rows, i, j, valid, acc, bias, bias_rows);                                      \
      NAME##_run(rows, a0, lda, panel, 0, k, order.fused, acc, first);                                       \
      NAME##_store(rows, i, j, valid, acc, first ? 0 : bias, first ? 0 : bias_rows, c, ldc);                 \
    }                                                                                                        \
  }                                                                                                          \
  /* One instance per row count, so the accumulators stay in registers at the row edge too. */              \
  __attribute__((target("avx2,fma"))) static void NAME(size_t i, size_t rows, size_t j, size_t valid, size_t k, \
                                                       const T *a, size_t lda, const T *panel, const T *bias, \
                                                       const T *bias_rows, T *c, size_t ldc, pl_order order) { \
    switch (rows) {                                                                                          \
      PL_ROWS_2_TO_6(NAME##_body)                                                                            \
    default: PL_ROW_CALL(NAME##_body, 1)                                                                     \
    }                                                                                                        \
  }                                                                                                          \
  /* Pairwise: the tree evaluated left to right over its bottom subtrees (up to 8 products each, in      \
     registers), each followed by the additions the tree makes there (`merges`, see pl_pw_schedule); the    \
     most recent pending sum stays in registers, older ones on a small stack. */                            \
  __attribute__((target("avx2,fma"), always_inline)) static inline V NAME##_product(                          \
      const T *a0, size_t lda, int r, const T *panel, size_t p, int half) {                                  \
    return MUL(BROADCAST(a0 + r * lda + p), LOAD(panel + p * 2 * WIDTH + half * WIDTH));                     \
  }                                                                                                          \
  __attribute__((target("avx2,fma"), always_inline)) static inline void NAME##_pw_body(                       \
      size_t i, const int rows, size_t j, size_t valid, const T *a, size_t lda, const T *panel, const T *bias, \
      const T *bias_rows, T *c, size_t ldc, const pl_pw_entry *schedule, size_t count) {                     \
    V stack[PL_PW_DEPTH][PW][2], top[PW][2], v[PW][2], acc[MR][2];                                           \
    int depth = 0, has_top = 0;                                                                              \
    const T *a0 = a + i * lda;                                                                               \
    for (size_t e = 0; e < count; e++) {                                                                     \
      const size_t p0 = schedule[e].start;                                                                   \
      PL_PW_LEAF(2, NAME##_product, ADD)                                                                     \
      PL_PW_FOLD(2, ADD)                                                                                     \
    }                                                                                                        \
    for (int r = 0; r < rows; r++) {                                                                         \
      acc[r][0] = has_top ? top[r][0] : SETZERO();                                                           \
      acc[r][1] = has_top ? top[r][1] : SETZERO();                                                           \
    }                                                                                                        \
    NAME##_store(rows, i, j, valid, acc, bias, bias_rows, c, ldc);                                           \
  }                                                                                                          \
  __attribute__((target("avx2,fma"))) static void NAME##_pairwise(                                           \
      size_t i, size_t rows, size_t j, size_t valid, const T *a, size_t lda, const T *panel, const T *bias,   \
      const T *bias_rows, T *c, size_t ldc, const pl_pw_entry *schedule, size_t count) {                     \
    switch (rows) {                                                                                          \
    case 2: NAME##_pw_body(i, 2, j, valid, a, lda, panel, bias, bias_rows, c, ldc, schedule, count); break;   \
    default: NAME##_pw_body(i, 1, j, valid, a, lda, panel, bias, bias_rows, c, ldc, schedule, count); break;  \
    }                                                                                                        \
  }

PL_BLOCK(block_f32, float, __m256, 8, _mm256_setzero_ps, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_broadcast_ss,
         _mm256_fmadd_ps, _mm256_add_ps, _mm256_mul_ps)
PL_BLOCK(block_f64, double, __m256d, 4, _mm256_setzero_pd, _mm256_loadu_pd, _mm256_storeu_pd, _mm256_broadcast_sd,
         _mm256_fmadd_pd, _mm256_add_pd, _mm256_mul_pd)

// ---------------------------------------------------------------------------------------------------
// AVX-512 micro-kernels: up to MR512 = 12 rows x one panel, which is one
// 512-bit vector (16 floats or 8 doubles, PL_NR), the accumulators in registers, p in order; the same
// per-output loop as the AVX2 kernels, so the same bits. A partial last panel is computed whole (zero
// padding) and only its valid outputs are stored (masked).

#define MR512 12

#define PL_BLOCK512(NAME, T, V, M, SETZERO, LOAD, MASKLOAD, STORE, MASKSTORE, SET1, FMADD, ADD, MUL)          \
  __attribute__((target("avx512f"), always_inline)) static inline void NAME##_run(                            \
      const int rows, const T *a0, size_t lda, const T *panel, size_t p0, size_t p1, int fused, V acc[MR512], \
      int keep) {                                                                                            \
    if (!keep)                                                                                               \
      for (int r = 0; r < rows; r++) acc[r] = SETZERO();                                                     \
    if (fused) {                                                                                             \
      for (size_t p = p0; p < p1; p++) {                                                                     \
        V b = LOAD(panel + p * PL_W512);                                                                     \
        for (int r = 0; r < rows; r++) acc[r] = FMADD(SET1(a0[r * lda + p]), b, acc[r]);                     \
      }                                                                                                      \
    } else {                                                                                                 \
      for (size_t p = p0; p < p1; p++) {                                                                     \
        V b = LOAD(panel + p * PL_W512);                                                                     \
        for (int r = 0; r < rows; r++) acc[r] = ADD(acc[r], MUL(SET1(a0[r * lda + p]), b));                  \
      }                                                                                                      \
    }                                                                                                        \
  }                                                                                                          \
  /* The bias of `rows` rows of one panel into acc: where a bias-first sum starts. */                        \
  __attribute__((target("avx512f"), always_inline)) static inline void NAME##_start(                          \
      const int rows, size_t i, size_t j, size_t valid, V acc[MR512], const T *bias, const T *bias_rows) {    \
    const M mask = valid >= PL_W512 ? (M)-1 : (M)((1u << valid) - 1);                                        \
    for (int r = 0; r < rows; r++)                                                                           \
      acc[r] = bias ? MASKLOAD(mask, bias + j) : bias_rows ? SET1(bias_rows[i + r]) : SETZERO();             \
  }                                                                                                          \
  /* Adds the bias and stores `rows` rows of one panel (j = first output, valid = outputs to store, masked). */ \
  __attribute__((target("avx512f"), always_inline)) static inline void NAME##_store(                          \
      const int rows, size_t i, size_t j, size_t valid, V acc[MR512], const T *bias, const T *bias_rows, T *c, \
      size_t ldc) {                                                                                          \
    const M mask = valid >= PL_W512 ? (M)-1 : (M)((1u << valid) - 1);                                        \
    const V b = bias ? MASKLOAD(mask, bias + j) : SETZERO();                                                 \
    for (int r = 0; r < rows; r++) {                                                                         \
      V out = bias ? ADD(acc[r], b) : acc[r];                                                                \
      if (bias_rows) out = ADD(out, SET1(bias_rows[i + r]));                                                 \
      if (valid >= PL_W512) {                                                                                \
        STORE(c + (i + r) * ldc + j, out);                                                                   \
      } else {                                                                                               \
        MASKSTORE(c + (i + r) * ldc + j, mask, out);                                                         \
      }                                                                                                      \
    }                                                                                                        \
  }                                                                                                          \
  __attribute__((target("avx512f"), always_inline)) static inline void NAME##_body(                           \
      size_t i, const int rows, size_t j, size_t valid, size_t k, const T *a, size_t lda, const T *panel,     \
      const T *bias, const T *bias_rows, T *c, size_t ldc, pl_order order) {                                 \
    V acc[MR512];                                                                                            \
    const T *a0 = a + i * lda;                                                                               \
    const int first = order.bias_first;                                                                      \
    if (order.kind == 2) {                                                                                   \
      V total[MR512];                                                                                        \
      if (first) {                                                                                           \
        NAME##_start(rows, i, j, valid, total, bias, bias_rows);                                             \
      } else {                                                                                               \
        for (int r = 0; r < rows; r++) total[r] = SETZERO();                                                 \
      }                                                                                                      \
      for (size_t p = 0; p < k; p += order.block) {                                                          \
        NAME##_run(rows, a0, lda, panel, p, p + order.block < k ? p + order.block : k, order.fused, acc, 0); \
        for (int r = 0; r < rows; r++) total[r] = ADD(total[r], acc[r]);                                     \
      }                                                                                                      \
      for (int r = 0; r < rows; r++) acc[r] = total[r];                                                      \
    } else {                                                                                                 \
      if (first) NAME##_start(rows, i, j, valid, acc, bias, bias_rows);                                      \
      NAME##_run(rows, a0, lda, panel, 0, k, order.fused, acc, first);                                       \
    }                                                                                                        \
    NAME##_store(rows, i, j, valid, acc, first ? 0 : bias, first ? 0 : bias_rows, c, ldc);                   \
  }                                                                                                          \
  /* One instance per row count, so the accumulators stay in registers at the row edge too. */              \
  __attribute__((target("avx512f"))) static void NAME(size_t i, size_t rows, size_t j, size_t valid, size_t k, \
                                                      const T *a, size_t lda, const T *panel, const T *bias,  \
                                                      const T *bias_rows, T *c, size_t ldc, pl_order order) { \
    switch (rows) {                                                                                          \
    case 12: PL_ROW_CALL(NAME##_body, 12)                                                                    \
    case 11: PL_ROW_CALL(NAME##_body, 11)                                                                    \
    case 10: PL_ROW_CALL(NAME##_body, 10)                                                                    \
    case 9: PL_ROW_CALL(NAME##_body, 9)                                                                      \
    case 8: PL_ROW_CALL(NAME##_body, 8)                                                                      \
    case 7: PL_ROW_CALL(NAME##_body, 7)                                                                      \
      PL_ROWS_2_TO_6(NAME##_body)                                                                            \
    default: PL_ROW_CALL(NAME##_body, 1)                                                                     \
    }                                                                                                        \
  }

// Pairwise in AVX-512: PW512 = 4 rows of one vector each, the same schedule and stack as the AVX2
// pairwise kernel (every lane follows the same tree), stored by PL_BLOCK512's NAME##_store.
#define PW512 4

#define PL_PAIRWISE512(NAME, T, V, SETZERO, LOAD, SET1, ADD, MUL)                                          \
  __attribute__((target("avx512f"), always_inline)) static inline V NAME##_product(                          \
      const T *a0, size_t lda, int r, const T *panel, size_t p, int h) {                                     \
    (void)h;                                                                                                 \
    return MUL(SET1(a0[r * lda + p]), LOAD(panel + p * PL_W512));                                            \
  }                                                                                                          \
  __attribute__((target("avx512f"), always_inline)) static inline void NAME##_pw_body(                       \
      size_t i, const int rows, size_t j, size_t valid, const T *a, size_t lda, const T *panel, const T *bias, \
      const T *bias_rows, T *c, size_t ldc, const pl_pw_entry *schedule, size_t count) {                     \
    V stack[PL_PW_DEPTH][PW512][1], top[PW512][1], v[PW512][1];                                              \
    int depth = 0, has_top = 0;                                                                              \
    const T *a0 = a + i * lda;                                                                               \
    for (size_t e = 0; e < count; e++) {                                                                     \
      const size_t p0 = schedule[e].start;                                                                   \
      PL_PW_LEAF(1, NAME##_product, ADD)                                                                     \
      PL_PW_FOLD(1, ADD)                                                                                     \
    }                                                                                                        \
    V acc[MR512];                                                                                            \
    for (int r = 0; r < rows; r++) acc[r] = has_top ? top[r][0] : SETZERO();                                 \
    NAME##_store(rows, i, j, valid, acc, bias, bias_rows, c, ldc);                                           \
  }                                                                                                          \
  __attribute__((target("avx512f"))) static void NAME##_pairwise(                                            \
      size_t i, size_t rows, size_t j, size_t valid, const T *a, size_t lda, const T *panel, const T *bias,   \
      const T *bias_rows, T *c, size_t ldc, const pl_pw_entry *schedule, size_t count) {                     \
    switch (rows) {                                                                                          \
    case 4: NAME##_pw_body(i, 4, j, valid, a, lda, panel, bias, bias_rows, c, ldc, schedule, count); break;   \
    case 3: NAME##_pw_body(i, 3, j, valid, a, lda, panel, bias, bias_rows, c, ldc, schedule, count); break;   \
    case 2: NAME##_pw_body(i, 2, j, valid, a, lda, panel, bias, bias_rows, c, ldc, schedule, count); break;   \
    default: NAME##_pw_body(i, 1, j, valid, a, lda, panel, bias, bias_rows, c, ldc, schedule, count); break;  \
    }                                                                                                        \
  }

#define PL_W512 PL_NR_F32
PL_BLOCK512(block_f32_512, float, __m512, __mmask16, _mm512_setzero_ps, _mm512_loadu_ps, _mm512_maskz_loadu_ps,
            _mm512_storeu_ps, _mm512_mask_storeu_ps, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps, _mm512_mul_ps)
PL_PAIRWISE512(block_f32_512, float, __m512, _mm512_setzero_ps, _mm512_loadu_ps, _mm512_set1_ps, _mm512_add_ps, _mm512_mul_ps)
#undef PL_W512
#define PL_W512 PL_NR_F64
PL_BLOCK512(block_f64_512, double, __m512d, __mmask8, _mm512_setzero_pd, _mm512_loadu_pd, _mm512_maskz_loadu_pd,
            _mm512_storeu_pd, _mm512_mask_storeu_pd, _mm512_set1_pd, _mm512_fmadd_pd, _mm512_add_pd, _mm512_mul_pd)
PL_PAIRWISE512(block_f64_512, double, __m512d, _mm512_setzero_pd, _mm512_loadu_pd, _mm512_set1_pd, _mm512_add_pd, _mm512_mul_pd)
#undef PL_W512

static int has_avx512(void) {
  static int cached = -1;
  if (cached < 0) {
    __builtin_cpu_init();
    cached = __builtin_cpu_supports("avx512f");
  }
  return cached;
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
  if (!has_avx2()) return 0;
  return has_avx512() ? 3 : 2;
#else
  return 0;
#endif
}

// Rows [row_begin, row_end) and panels [panel_begin, panel_end): panels outer (a panel of B is reused
// from the cache by every row block), blocks of MR512 or MR (PW512 or PW for pairwise) rows inner, the last one
// shorter; AVX-512 where the CPU has it and the caller allows it, else AVX2; the portable loop where the CPU lacks AVX2 or the caller asks for it.
#ifdef PL_X86
// Every panel with one instruction set's kernels: PAIRWISE over blocks of PWN rows, or SEQ (sequential
// and blocked) over blocks of MRN rows; then returns.
#define PL_PANELS(NR, PAIRWISE, PWN, SEQ, MRN)                                                               \
  {                                                                                                          \
    pl_pw_entry *schedule = 0;                                                                               \
    size_t count = 0;                                                                                        \
    if (order.kind == 1 && k > 0) {                                                                          \
      schedule = malloc((k / 4 + 2) * sizeof(pl_pw_entry));                                                  \
      count = pl_pw_schedule(0, k, schedule, 0);                                                             \
    }                                                                                                        \
    for (size_t j = j0; j < j1; j += NR) {                                                                   \
      const size_t valid = j1 - j < NR ? j1 - j : NR;                                                        \
      const void *panel = bp + (j - j0) * k;                                                                 \
      if (order.kind == 1) {                                                                                 \
        for (size_t r = row_begin; r < row_end; r += PWN)                                                    \
          PAIRWISE(r, row_end - r < PWN ? row_end - r : PWN, j, valid, a, lda, panel, bias, bias_rows, c, ldc, schedule, count); \
      } else {                                                                                               \
        for (size_t r = row_begin; r < row_end; r += MRN)                                                    \
          SEQ(r, row_end - r < MRN ? row_end - r : MRN, j, valid, k, a, lda, panel, bias, bias_rows, c, ldc, order); \
      }                                                                                                      \
    }                                                                                                        \
    free(schedule);                                                                                          \
    return;                                                                                                  \
  }
#define PL_DRIVE(BLOCK, NR)                                                                                  \
  if (order.path == PL_PATH_BEST && has_avx2() && has_avx512())                                              \
    PL_PANELS(NR, BLOCK##_512_pairwise, PW512, BLOCK##_512, MR512)                                           \
  if (has_avx2() && order.path != PL_PATH_PORTABLE)                                                          \
    PL_PANELS(NR, BLOCK##_pairwise, PW, BLOCK, MR)
#else
#define PL_DRIVE(BLOCK, NR)
#endif

void pl_gemm_f32(size_t row_begin, size_t row_end, size_t panel_begin, size_t panel_end, size_t n, size_t k,
                 const float *a, size_t lda, const float *bp, const float *bias, const float *bias_rows, float *c,
                 size_t ldc, pl_order order) {
  if (order.kind == 3) {
    pl_gemm_tc_f32(row_begin, row_end, panel_begin, panel_end, n, k, a, lda, bp, bias, bias_rows, c, ldc, order);
    return;
  }
  if (order.kind == 5 || order.kind == 6) {
    pl_gemm_compensated_f32(row_begin, row_end, panel_begin, panel_end, n, k, a, lda, bp, bias, bias_rows, c, ldc, order);
    return;
  }
  if (order.kind == 4) {
    pl_gemm_lanes_f32(row_begin, row_end, panel_begin, panel_end, n, k, a, lda, bp, bias, bias_rows, c, ldc, order);
    return;
  }
  if (order.kind == 2 && order.block == 0) order.block = 1;
  size_t j0 = panel_begin * PL_NR_F32, j1 = panel_end * PL_NR_F32 < n ? panel_end * PL_NR_F32 : n;
  PL_DRIVE(block_f32, PL_NR_F32)
  gemm_f32_scalar(row_begin, row_end, j0, j1, j0, k, a, lda, bp, bias, bias_rows, c, ldc, order);
}

void pl_gemm_f64(size_t row_begin, size_t row_end, size_t panel_begin, size_t panel_end, size_t n, size_t k,
                 const double *a, size_t lda, const double *bp, const double *bias, const double *bias_rows, double *c,
                 size_t ldc, pl_order order) {
  if (order.kind == 5 || order.kind == 6) {
    pl_gemm_compensated_f64(row_begin, row_end, panel_begin, panel_end, n, k, a, lda, bp, bias, bias_rows, c, ldc, order);
    return;
  }
  if (order.kind == 4) {
    pl_gemm_lanes_f64(row_begin, row_end, panel_begin, panel_end, n, k, a, lda, bp, bias, bias_rows, c, ldc, order);
    return;
  }
  if (order.kind == 2 && order.block == 0) order.block = 1;
  size_t j0 = panel_begin * PL_NR_F64, j1 = panel_end * PL_NR_F64 < n ? panel_end * PL_NR_F64 : n;
  PL_DRIVE(block_f64, PL_NR_F64)
  gemm_f64_scalar(row_begin, row_end, j0, j1, j0, k, a, lda, bp, bias, bias_rows, c, ldc, order);
}
