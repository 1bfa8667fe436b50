// The loops of the rounded-arithmetic kernels, written once and included by gemm_round.c for each
// element type with these macros defined:
//   RT, RV           element and AVX2 vector type (float/__m256 or double/__m256d)
//   RNR              outputs per packed panel (two vectors)
//   RZERO(), RLOAD(p), RSTORE(p, v), RBCAST(p), RADDV(x, y), RMULV(x, y)   the vector operations
//   ROUND(v)         rounds a vector into the format described by `ctx`, to nearest even
//   RCTX             the type of `ctx` (a format code, or the format's broadcast constants)
//   RNAME(x)         the function name for this element type
// Every product and every addition is rounded (never fused), in the order pl_order names, from +0,
// with the bias added last: exactly the emulated formats' scalar loop (see CKernels.h).

#define RADD(x, y) ROUND(RADDV((x), (y)))
#define RMUL(x, y) ROUND(RMULV((x), (y)))
#define RHALF (RNR / 2)

// Sequential rounded sums over [p0, p1) from zero.
__attribute__((target("avx2,f16c"), always_inline)) static inline void RNAME(run)(RCTX ctx, const int rows, const RT *a0,
                                                                                size_t lda, const RT *panel, size_t p0,
                                                                                size_t p1, RV acc[ROWS][2]) {
  for (int r = 0; r < rows; r++) acc[r][0] = acc[r][1] = RZERO();
  for (size_t p = p0; p < p1; p++) {
    RV b0 = RLOAD(panel + p * RNR), b1 = RLOAD(panel + p * RNR + RHALF);
    for (int r = 0; r < rows; r++) {
      RV x = RBCAST(a0 + r * lda + p);
      acc[r][0] = RADD(acc[r][0], RMUL(x, b0));
      acc[r][1] = RADD(acc[r][1], RMUL(x, b1));
    }
  }
}

// The pairwise subtree over [p0, p1).
__attribute__((target("avx2,f16c"))) static void RNAME(tree)(RCTX ctx, const int rows, const RT *a0, size_t lda,
                                                            const RT *panel, size_t p0, size_t p1, RV out[ROWS][2]) {
  if (p1 - p0 == 1) {
    RV b0 = RLOAD(panel + p0 * RNR), b1 = RLOAD(panel + p0 * RNR + RHALF);
    for (int r = 0; r < rows; r++) {
      RV x = RBCAST(a0 + r * lda + p0);
      out[r][0] = RMUL(x, b0);
      out[r][1] = RMUL(x, b1);
    }
    return;
  }
  size_t m = p0 + (p1 - p0) / 2;
  RV left[ROWS][2], right[ROWS][2];
  RNAME(tree)(ctx, rows, a0, lda, panel, p0, m, left);
  RNAME(tree)(ctx, rows, a0, lda, panel, m, p1, right);
  for (int r = 0; r < rows; r++) {
    out[r][0] = RADD(left[r][0], right[r][0]);
    out[r][1] = RADD(left[r][1], right[r][1]);
  }
}

__attribute__((target("avx2,f16c"), always_inline)) static inline void RNAME(body)(
    RCTX ctx, size_t i, const int rows, size_t j, size_t valid, size_t k, const RT *a, size_t lda, const RT *panel,
    const RT *bias, const RT *bias_rows, RT *c, size_t ldc, pl_order order) {
  RV acc[ROWS][2];
  const RT *a0 = a + i * lda;
  if (order.kind == 1) {
    for (int r = 0; r < rows; r++) acc[r][0] = acc[r][1] = RZERO();
    if (k > 0) RNAME(tree)(ctx, rows, a0, lda, panel, 0, k, acc);
  } else if (order.kind == 2) {
    RV block[ROWS][2];
    for (int r = 0; r < rows; r++) acc[r][0] = acc[r][1] = RZERO();
    for (size_t p = 0; p < k; p += order.block) {
      RNAME(run)(ctx, rows, a0, lda, panel, p, p + order.block < k ? p + order.block : k, block);
      for (int r = 0; r < rows; r++) {
        acc[r][0] = RADD(acc[r][0], block[r][0]);
        acc[r][1] = RADD(acc[r][1], block[r][1]);
      }
    }
  } else {
    RNAME(run)(ctx, rows, a0, lda, panel, 0, k, acc);
  }
  for (int r = 0; r < rows; r++) {
    if (bias) {
      RT tmp[RNR] = {0};
      for (size_t jj = 0; jj < valid; jj++) tmp[jj] = bias[j + jj];
      acc[r][0] = RADD(acc[r][0], RLOAD(tmp));
      acc[r][1] = RADD(acc[r][1], RLOAD(tmp + RHALF));
    }
    if (bias_rows) {
      RV rb = RBCAST(bias_rows + i + r);
      acc[r][0] = RADD(acc[r][0], rb);
      acc[r][1] = RADD(acc[r][1], rb);
    }
    if (valid == RNR) {
      RSTORE(c + (i + r) * ldc + j, acc[r][0]);
      RSTORE(c + (i + r) * ldc + j + RHALF, acc[r][1]);
    } else {
      RT tmp[RNR];
      RSTORE(tmp, acc[r][0]);
      RSTORE(tmp + RHALF, acc[r][1]);
      for (size_t jj = 0; jj < valid; jj++) c[(i + r) * ldc + j + jj] = tmp[jj];
    }
  }
}

// Rows [row_begin, row_end) of the panels [panel_begin, panel_end), 4 rows at a time.
__attribute__((target("avx2,f16c"))) static void RNAME(panels)(RCTX ctx, size_t row_begin, size_t row_end,
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
