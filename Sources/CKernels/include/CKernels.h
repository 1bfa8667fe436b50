// Matrix-product kernels for binary32 and binary64 with a FIXED summation order.
//
// C[i][j] = (sum over k = 0, 1, ..., K-1 in that order of A[i][k] * B[k][j]) + bias[j], where each step
// is acc = acc + A[i][k]*B[k][j] with the product rounded and the sum rounded (unfused), or one
// fused multiply-add per step (fused), acc starting at +0, and the bias added after the last product.
// That is exactly the scalar loop PrecisionLab's DotProduct runs, so results are bit-identical to it
// whatever the blocking, the vector width or the thread count: vectorisation is across j (independent
// outputs), never across k.
//
// B is given PACKED: panels of PL_NR_F32 (binary32) or PL_NR_F64 (binary64) consecutive outputs; panel q
// holds, for p = 0 ..< K, the NR values B[p][q*NR ..< q*NR + NR] contiguously (zero past N), so the
// element for output j at step p is bp[(j / NR) * K * NR + p * NR + j % NR] and the whole buffer has
// ceil(N / NR) * NR * K elements.
//
// Any block of rows and panels of C can be computed on its own, so callers can split rows or panels
// across threads.
#ifndef PRECISIONLAB_CKERNELS_H
#define PRECISIONLAB_CKERNELS_H

#include <stddef.h>

#define PL_NR_F32 16
#define PL_NR_F64 8

/// Packs panels [panel_begin, panel_end) of b [n][k] (row-major) into the layout above (bp has
/// ceil(n / NR) * NR * k elements; panels are independent, so callers can split them across threads).
void pl_pack_f32(size_t n, size_t k, const float *b, float *bp, size_t panel_begin, size_t panel_end);
void pl_pack_f64(size_t n, size_t k, const double *b, double *bp, size_t panel_begin, size_t panel_end);
/// Rows [row_begin, row_end) of C restricted to the outputs of panels [panel_begin, panel_end).
void pl_gemm_f32(size_t row_begin, size_t row_end, size_t panel_begin, size_t panel_end, size_t n, size_t k,
                 const float *a, const float *bp, const float *bias, float *c, int fused);
void pl_gemm_f64(size_t row_begin, size_t row_end, size_t panel_begin, size_t panel_end, size_t n, size_t k,
                 const double *a, const double *bp, const double *bias, double *c, int fused);
/// binary16 (format 0) or bfloat16 (format 1) arithmetic held in binary32, rounded to nearest even after
/// every product and every addition (acc = r(acc + r(a*b)), from +0, bias added last with one rounding):
/// exactly the emulated formats' unfused sequential loop. Returns 0 (computing nothing) when the CPU
/// lacks AVX2 and F16C.
int pl_gemm_round(int format, size_t row_begin, size_t row_end, size_t n, size_t k, const float *a, const float *bt,
                  const float *bias, float *c);
int pl_gemm_round_available(void);
/// Which code path runs on this CPU: 2 = AVX2 and FMA, 0 = portable C.
int pl_gemm_isa(void);
/// Atomically returns *counter and increments it (threads claiming units of work).
size_t pl_claim(size_t *counter);
/// For tests: nonzero makes pl_gemm_f32/f64 take the portable C loop even where AVX2 is available.
void pl_gemm_set_portable_only(int on);

// An optional BLAS (OpenBLAS or any CBLAS library), loaded at run time with dlopen so that nothing is
// needed to build: $PRECISIONLAB_BLAS if set, else libopenblas.so.0, libopenblas.so, libblas.so.3.
// Its summation order is the library's own (blocking, vector width, FMA use and threads are its
// choice), so its results are not PrecisionLab's fixed-order ones: "summation order: BLAS's".

/// 1 when a library with cblas_sgemm and cblas_dgemm was loaded (it is set to one thread per call).
int pl_blas_available(void);
/// The library loaded (its file name, and OpenBLAS's configuration string when it has one), or why
/// none was: never NULL.
const char *pl_blas_description(void);
/// C[i][j] = sum_k A[i][k] * B[j][k] for rows [row_begin, row_end) of C, all row-major (B is [N][K],
/// a Linear weight), by cblas_sgemm / cblas_dgemm with beta = 0.
void pl_blas_sgemm_nt(size_t row_begin, size_t row_end, size_t n, size_t k, const float *a, const float *b, float *c);
void pl_blas_dgemm_nt(size_t row_begin, size_t row_end, size_t n, size_t k, const double *a, const double *b, double *c);

#endif
