// The loops of the rounded-arithmetic kernels, written once and included by gemm_round.c for each
// element type and instruction set with these macros defined (and undefined at the end):
//   RT, RV           element and vector type (float/__m256, float/__m512 or double/__m256d)
//   RNR              outputs per packed panel
//   RVECS            vectors per panel (RNR / RVECS lanes each: two AVX2 vectors or one AVX-512 vector)
//   ROWS             rows per block (at most 8)
//   RTARGET          the target attribute's string ("avx2,f16c" or "avx512f")
//   RZERO(), RLOAD(p), RSTORE(p, v), RBCAST(p), RADDV(x, y), RMULV(x, y)   the vector operations
//   ROUND(v)         rounds a vector into the format described by `ctx` (to nearest even, or in the
//                    directed mode binary32's own arithmetic was set to: gemm_round_directed.c)
//   RCTX             the type of `ctx` (a format code, or the format's broadcast constants)
//   RNAME(x)         the function name for this element type
// Every product and every addition is rounded (never fused), in the order pl_order names, from +0,
// with the bias added last or (bias_first) where the sum starts: exactly the emulated formats' scalar
// loop (see CKernels.h).

// An instance may define RADD and RMUL itself (rounding to odd needs each sum's error, gemm_round_odd.c).
#ifndef RADD
#define RADD(x, y) ROUND(RADDV((x), (y)))
#endif
#ifndef RMUL
#define RMUL(x, y) ROUND(RMULV((x), (y)))
#endif
#define RHALF (RNR / RVECS)

// Sequential rounded sums over [p0, p1), from zero or (keep) from what acc holds.
__attribute__((target(RTARGET), always_inline)) static inline void RNAME(run)(RCTX ctx, const int rows, const RT *a0,
                                                                                size_t lda, const RT *panel, size_t p0,
                                                                                size_t p1, RV acc[ROWS][RVECS], int keep) {
  if (!keep)
    for (int r = 0; r < rows; r++)
      for (int h = 0; h < RVECS; h++) acc[r][h] = RZERO();
  // Unrolled in full (rows is a constant in every instance), so that the accumulators stay in registers:
  // left to itself the compiler kept some instances' accumulators on the stack, a store and a reload on
  // every step of the sum's dependency chain (perf, binary16 toward zero).
  for (size_t p = p0; p < p1; p++) {
    RV b[RVECS];
#pragma clang loop unroll(full)
    for (int h = 0; h < RVECS; h++) b[h] = RLOAD(panel + p * RNR + h * RHALF);
#pragma clang loop unroll(full)
    for (int r = 0; r < rows; r++) {
      RV x = RBCAST(a0 + r * lda + p);
#pragma clang loop unroll(full)
      for (int h = 0; h < RVECS; h++) acc[r][h] = RADD(acc[r][h], RMUL(x, b[h]));
    }
  }
}

// The pairwise subtree over [p0, p1).
__attribute__((target(RTARGET))) static void RNAME(tree)(RCTX ctx, const int rows, const RT *a0, size_t lda,
                                                            const RT *panel, size_t p0, size_t p1, RV out[ROWS][RVECS]) {
  if (p1 - p0 == 1) {
    for (int r = 0; r < rows; r++) {
      RV x = RBCAST(a0 + r * lda + p0);
      for (int h = 0; h < RVECS; h++) out[r][h] = RMUL(x, RLOAD(panel + p0 * RNR + h * RHALF));
    }
    return;
  }
  size_t m = p0 + (p1 - p0) / 2;
  RV left[ROWS][RVECS], right[ROWS][RVECS];
  RNAME(tree)(ctx, rows, a0, lda, panel, p0, m, left);
  RNAME(tree)(ctx, rows, a0, lda, panel, m, p1, right);
  for (int r = 0; r < rows; r++)
    for (int h = 0; h < RVECS; h++) out[r][h] = RADD(left[r][h], right[r][h]);
}

__attribute__((target(RTARGET), always_inline)) static inline void RNAME(body)(
    RCTX ctx, size_t i, const int rows, size_t j, size_t valid, size_t k, const RT *a, size_t lda, const RT *panel,
    const RT *bias, const RT *bias_rows, RT *c, size_t ldc, pl_order order) {
  RV acc[ROWS][RVECS];
  const RT *a0 = a + i * lda;
  // A bias-first sum (sequential or blocked) starts at the bias; pairwise adds it last either way.
  const int first = order.bias_first && order.kind != 1;
  for (int r = 0; r < rows; r++) {
    if (first && bias) {
      RT tmp[RNR] = {0};
      for (size_t jj = 0; jj < valid; jj++) tmp[jj] = bias[j + jj];
      for (int h = 0; h < RVECS; h++) acc[r][h] = RLOAD(tmp + h * RHALF);
    } else if (first && bias_rows) {
      for (int h = 0; h < RVECS; h++) acc[r][h] = RBCAST(bias_rows + i + r);
    } else {
      for (int h = 0; h < RVECS; h++) acc[r][h] = RZERO();
    }
  }
  if (order.kind == 1) {
    if (k > 0) RNAME(tree)(ctx, rows, a0, lda, panel, 0, k, acc);
  } else if (order.kind == 2) {
    RV block[ROWS][RVECS];
    for (size_t p = 0; p < k; p += order.block) {
      RNAME(run)(ctx, rows, a0, lda, panel, p, p + order.block < k ? p + order.block : k, block, 0);
      for (int r = 0; r < rows; r++)
        for (int h = 0; h < RVECS; h++) acc[r][h] = RADD(acc[r][h], block[r][h]);
    }
  } else {
    RNAME(run)(ctx, rows, a0, lda, panel, 0, k, acc, 1);
  }
  for (int r = 0; r < rows; r++) {
    if (bias && !first) {
      RT tmp[RNR] = {0};
      for (size_t jj = 0; jj < valid; jj++) tmp[jj] = bias[j + jj];
      for (int h = 0; h < RVECS; h++) acc[r][h] = RADD(acc[r][h], RLOAD(tmp + h * RHALF));
    }
    if (bias_rows && !first) {
      RV rb = RBCAST(bias_rows + i + r);
      for (int h = 0; h < RVECS; h++) acc[r][h] = RADD(acc[r][h], rb);
    }
    if (valid == RNR) {
      for (int h = 0; h < RVECS; h++) RSTORE(c + (i + r) * ldc + j + h * RHALF, acc[r][h]);
    } else {
      RT tmp[RNR];
      for (int h = 0; h < RVECS; h++) RSTORE(tmp + h * RHALF, acc[r][h]);
      for (size_t jj = 0; jj < valid; jj++) c[(i + r) * ldc + j + jj] = tmp[jj];
    }
  }
}

// Rows [row_begin, row_end) of the panels [panel_begin, panel_end), ROWS rows at a time.
__attribute__((target(RTARGET))) static void RNAME(panels)(RCTX ctx, size_t row_begin, size_t row_end,
                                                              size_t panel_begin, size_t panel_end, size_t n, size_t k,
                                                              const RT *a, size_t lda, const RT *bp, const RT *bias,
                                                              const RT *bias_rows, RT *c, size_t ldc, pl_order order) {
  if (order.kind == 2 && order.block == 0) order.block = 1;
  size_t j0 = panel_begin * RNR, j1 = panel_end * RNR < n ? panel_end * RNR : n;
  for (size_t j = j0; j < j1; j += RNR) {
    size_t valid = j1 - j < RNR ? j1 - j : RNR;
    const RT *panel = bp + (j - j0) * k;
    for (size_t i = row_begin; i < row_end; i += ROWS) {
      switch (row_end - i < ROWS ? row_end - i : ROWS) {
#if ROWS >= 8
      case 8: RNAME(body)(ctx, i, 8, j, valid, k, a, lda, panel, bias, bias_rows, c, ldc, order); break;
      case 7: RNAME(body)(ctx, i, 7, j, valid, k, a, lda, panel, bias, bias_rows, c, ldc, order); break;
      case 6: RNAME(body)(ctx, i, 6, j, valid, k, a, lda, panel, bias, bias_rows, c, ldc, order); break;
      case 5: RNAME(body)(ctx, i, 5, j, valid, k, a, lda, panel, bias, bias_rows, c, ldc, order); break;
#endif
      case 4: RNAME(body)(ctx, i, 4, j, valid, k, a, lda, panel, bias, bias_rows, c, ldc, order); break;
      case 3: RNAME(body)(ctx, i, 3, j, valid, k, a, lda, panel, bias, bias_rows, c, ldc, order); break;
      case 2: RNAME(body)(ctx, i, 2, j, valid, k, a, lda, panel, bias, bias_rows, c, ldc, order); break;
      default: RNAME(body)(ctx, i, 1, j, valid, k, a, lda, panel, bias, bias_rows, c, ldc, order); break;
      }
    }
  }
}

#undef RADD
#undef RMUL
#undef RHALF
// The parameters are consumed: the next instance defines its own.
#undef RT
#undef RV
#undef RNR
#undef RVECS
#undef ROWS
#undef RTARGET
#undef RZERO
#undef RLOAD
#undef RSTORE
#undef RBCAST
#undef RADDV
#undef RMULV
#undef ROUND
#undef RCTX
#undef RNAME
