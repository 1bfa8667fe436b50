// binary32 and binary64 themselves in a directed rounding mode: pl_gemm_f32's and pl_gemm_f64's loops
// with the calling thread's floating-point environment set to the mode for the call.
//
// A format that is binary32 or binary64 exactly (precision, exponent range, subnormals, infinities) and
// rounded toward zero, +inf or -inf after every operation is what the hardware computes in that rounding
// control: every product, sum and fused multiply-add of pl_gemm_f32/pl_gemm_f64 is one IEEE 754
// operation, so with the control set it is rounded once in the mode, as the emulated scalars' loop
// rounds it. Nothing there converts or rounds by other means (no explicit-rounding instructions), and the
// kernels are compiled in other translation units, so the calls below are opaque: the compiler cannot move
// their arithmetic across the mode's setting.
#pragma STDC FENV_ACCESS ON

#include <fenv.h>

#include "CKernels.h"

/// The C environment's rounding for Scalars' RoundingMode raw values 2, 3, 4, or -1.
static int pl_fe_mode(int mode) {
  switch (mode) {
  case 2: return FE_TOWARDZERO;
  case 3: return FE_UPWARD;
  case 4: return FE_DOWNWARD;
  default: return -1;
  }
}

int pl_gemm_f32_directed(int mode, size_t row_begin, size_t row_end, size_t panel_begin, size_t panel_end, size_t n, size_t k,
                         const float *a, size_t lda, const float *bp, const float *bias, const float *bias_rows, float *c,
                         size_t ldc, pl_order order) {
  int fe = pl_fe_mode(mode), saved = fegetround();
  if (fe < 0 || order.kind == 3 || fesetround(fe) != 0) return 0;
  pl_gemm_f32(row_begin, row_end, panel_begin, panel_end, n, k, a, lda, bp, bias, bias_rows, c, ldc, order);
  fesetround(saved);
  return 1;
}

int pl_gemm_f64_directed(int mode, size_t row_begin, size_t row_end, size_t panel_begin, size_t panel_end, size_t n, size_t k,
                         const double *a, size_t lda, const double *bp, const double *bias, const double *bias_rows,
                         double *c, size_t ldc, pl_order order) {
  int fe = pl_fe_mode(mode), saved = fegetround();
  if (fe < 0 || order.kind == 3 || fesetround(fe) != 0) return 0;
  pl_gemm_f64(row_begin, row_end, panel_begin, panel_end, n, k, a, lda, bp, bias, bias_rows, c, ldc, order);
  fesetround(saved);
  return 1;
}
