// Matrix-product kernels for binary32 and binary64 with a FIXED summation order.
//
// C[i][j] = S_i_j + bias, where S_i_j sums the products A[i][p] * B[p][j] over p = 0, 1, ..., K-1 in the
// order `pl_order` names, each product and each addition rounded (unfused), or one fused multiply-add
// per step where the order allows it (fused):
//   - sequential: acc = +0, then acc = acc + A[i][p]*B[p][j] for p in order;
//   - blocked(N): each block of N consecutive steps summed sequentially from +0, the block sums added in
//     block order to a total from +0;
//   - pairwise: each product rounded, then sum(p0 ..< p1) = sum(p0 ..< m) + sum(m ..< p1) with
//     m = p0 + (p1 - p0) / 2, a single product as is, +0 for K = 0 (never fused);
//   - lanes(L): L interleaved accumulators per output (lane l sums steps l, l + L, ... in order, lane 0
//     from the bias when it comes first), then lane l += lane l + w for w = L/2, ..., 1;
//   - compensated: each product rounded, then added with Kahan's (kind 5) or Neumaier's (kind 6) running
//     compensation (gemm_columns.c; never fused);
//   - tensor core (binary32 only): the steps taken `block` at a time, each group added to the
//     accumulator in one multi-term fused operation (products exact; accumulator and products aligned
//     to the largest, each truncated to `window` bits below its leading bit; the exact sum rounded once
//     toward zero or to nearest even): PrecisionLab's MultiTermAccumulation with joint alignment.
// The bias (bias[j] per column, or bias_rows[i] per row) is added after the last product with one
// rounding, or (pl_order.bias_first) is where the sum starts. That is exactly the scalar loop PrecisionLab's DotProduct runs, so results are bit-identical
// to it whatever the blocking, the vector width or the thread count: vectorisation is across outputs,
// never across p.
//
// B is given PACKED: panels of PL_NR (16 for binary32, 8 for binary64) consecutive outputs; panel q
// holds, for p = 0 ..< K, the NR values B[p][q*NR ..< q*NR + NR] contiguously (zero past N). A packer
// fills panels [panel_begin, panel_end) of a buffer laid out as if panel 0 were panel_begin, for the
// steps [k_begin, k_end) (row p - k_begin holds step p), so a thread can pack and compute one panel,
// and one range of steps, at a time in a buffer of NR * (k_end - k_begin) elements. Packers exist for a
// row-major [N][K] matrix (a Linear weight) and for the three products of a convolution, which gather
// their operand from the image or the output gradient without materialising the patch matrix.
//
// A is row-major with row stride lda; C is row-major with row stride ldc.
#ifndef PRECISIONLAB_CKERNELS_H
#define PRECISIONLAB_CKERNELS_H

#include <stddef.h>
#include <stdint.h>

#define PL_NR_F32 16
#define PL_NR_F64 8

/// How each output's products are summed (see above).
typedef struct pl_order {
  /// 0 sequential, 1 pairwise, 2 blocked, 3 tensor core (binary32 only), 4 lanes, 5 Kahan, 6 Neumaier.
  int kind;
  /// Steps per block (blocked), products per fused group (tensor core) or lanes (a power of two, at most
  /// 64); at least 1.
  size_t block;
  /// One fused multiply-add per step (sequential, and within blocks); ignored by pairwise.
  int fused;
  /// Where the bias enters: 0 after the sum (one addition at the end); 1 first, as BLAS's C := A·B + βC
  /// with C holding the bias (β = 1): sequential, the accumulator starts at the bias; blocked, the
  /// running total starts at the bias and each block, summed from zero, is added to it. Pairwise sums
  /// are the same either way (one addition of the bias and the tree's sum).
  int bias_first;
  /// Which code path may run (the tests' check of each): PL_PATH_BEST, the best the CPU has (AVX-512,
  /// else AVX2, else portable C); PL_PATH_AVX2, AVX2 at most;
  /// PL_PATH_PORTABLE, the portable C loop. Every path computes the same bits.
  int path;
  /// Tensor core only: bits kept below the largest term's leading bit (2 to 46), and whether each
  /// group's sum is rounded toward zero (else to nearest even).
  int window;
  int toward_zero;
  /// Tensor core only: 1 when each group's products are summed exactly first and that sum is then
  /// aligned with the accumulator (MultiTermAccumulation's products-first alignment), 0 for joint.
  int products_first;
  /// Tensor core only: the range of A's non-zero biased binary32 exponent fields when every value of A
  /// is zero or a normal value of at most 12 significant bits (pl_tc_prepare), else a_low = -1; both
  /// 0 (the default): not known, so each call of pl_gemm_tc_f32 reads its rows of A itself.
  int a_low;
  int a_high;
} pl_order;
#define PL_PATH_BEST 0
#define PL_PATH_PORTABLE 1
#define PL_PATH_AVX2 2

/// Rows [row_begin, row_end) of C restricted to the outputs of panels [panel_begin, panel_end), with the
/// packed panels starting at bp (panel panel_begin first). bias (per column) and bias_rows (per row) may
/// be NULL.
void pl_gemm_f32(size_t row_begin, size_t row_end, size_t panel_begin, size_t panel_end, size_t n, size_t k,
                 const float *a, size_t lda, const float *bp, const float *bias, const float *bias_rows, float *c,
                 size_t ldc, pl_order order);
/// The tensor-core order of pl_gemm_f32 (which calls it for kind 3): portable C, or AVX2 where the CPU
/// has it and order.path allows, the same bits either way.
/// Fills order->a_low and a_high from A [m][k] (row stride lda) for pl_gemm_tc_f32, once per product
/// rather than once per panel.
void pl_tc_prepare(pl_order *order, size_t m, size_t k, const float *a, size_t lda);
void pl_gemm_tc_f32(size_t row_begin, size_t row_end, size_t panel_begin, size_t panel_end, size_t n, size_t k,
                    const float *a, size_t lda, const float *bp, const float *bias, const float *bias_rows, float *c,
                    size_t ldc, pl_order order);
/// The lanes order of pl_gemm_f32 and pl_gemm_f64 (which call them for kind 4).
void pl_gemm_lanes_f32(size_t row_begin, size_t row_end, size_t panel_begin, size_t panel_end, size_t n, size_t k,
                       const float *a, size_t lda, const float *bp, const float *bias, const float *bias_rows, float *c,
                       size_t ldc, pl_order order);
void pl_gemm_lanes_f64(size_t row_begin, size_t row_end, size_t panel_begin, size_t panel_end, size_t n, size_t k,
                       const double *a, size_t lda, const double *bp, const double *bias, const double *bias_rows,
                       double *c, size_t ldc, pl_order order);
/// The compensated orders of pl_gemm_f32 and pl_gemm_f64 (which call them for kinds 5 and 6).
void pl_gemm_compensated_f32(size_t row_begin, size_t row_end, size_t panel_begin, size_t panel_end, size_t n, size_t k,
                             const float *a, size_t lda, const float *bp, const float *bias, const float *bias_rows,
                             float *c, size_t ldc, pl_order order);
void pl_gemm_compensated_f64(size_t row_begin, size_t row_end, size_t panel_begin, size_t panel_end, size_t n, size_t k,
                             const double *a, size_t lda, const double *bp, const double *bias, const double *bias_rows,
                             double *c, size_t ldc, pl_order order);
void pl_gemm_f64(size_t row_begin, size_t row_end, size_t panel_begin, size_t panel_end, size_t n, size_t k,
                 const double *a, size_t lda, const double *bp, const double *bias, const double *bias_rows, double *c,
                 size_t ldc, pl_order order);
/// binary16 (format 0) or bfloat16 (format 1) arithmetic held in binary32, rounded to nearest even after
/// every product and every addition, in the order given (not fused): exactly the emulated formats' loop.
/// B packed in binary32 panels of PL_NR_F32. AVX-512 where the CPU has it and order.path is PL_PATH_BEST, else
/// AVX2. Returns 0 (computing nothing) when the CPU lacks AVX2 and F16C.
int pl_gemm_round(int format, size_t row_begin, size_t row_end, size_t panel_begin, size_t panel_end, size_t n,
                  size_t k, const float *a, size_t lda, const float *bp, const float *bias, const float *bias_rows,
                  float *c, size_t ldc, pl_order order);
/// pl_gemm_round in a directed rounding mode (2 toward zero, 3 toward +inf, 4 toward -inf, Scalars'
/// RoundingMode raw values), exactly the emulated formats' loop in that mode (gemm_round_directed.c: the
/// calling thread's MXCSR rounding control is set to the mode for the call and restored). AVX2 and F16C
/// on every CPU that has them. Returns 0 (computing nothing) without them or for another mode.
int pl_gemm_round_directed(int format, int mode, size_t row_begin, size_t row_end, size_t panel_begin, size_t panel_end,
                           size_t n, size_t k, const float *a, size_t lda, const float *bp, const float *bias,
                           const float *bias_rows, float *c, size_t ldc, pl_order order);
/// A format of PrecisionLab's binary64 engine with p <= 25 (SmallFormatConstants): its values held in
/// binary64, rounded to nearest even by the bit-level increment (shift = 53 - p dropped bits).
typedef struct pl_small_format {
  /// 2^emin, the largest finite value, and the binary64 constant whose addition and subtraction rounds
  /// a magnitude below 2^emin onto the subnormal grid.
  double min_normal, max_finite, subnormal_adder;
  /// What a finite result beyond max_finite becomes, by sign: an infinity, NaN or the largest finite value.
  double overflow_positive, overflow_negative;
  uint64_t half_minus_one, keep_mask, shift;
  int has_subnormals, has_infinities;
} pl_small_format;
/// That format's arithmetic held in binary64, rounded to nearest even after every product and every
/// addition, in the order given (not fused): exactly the emulated loop. B packed in binary64 panels of
/// PL_NR_F64. Precondition: the format has 2 <= p <= 25 and exponents within +-300. AVX-512 where the CPU
/// has it and order.path is PL_PATH_BEST, else AVX2. Returns 0 (computing nothing) when the CPU lacks AVX2.
int pl_gemm_round_f64(const pl_small_format *format, size_t row_begin, size_t row_end, size_t panel_begin,
                      size_t panel_end, size_t n, size_t k, const double *a, size_t lda, const double *bp,
                      const double *bias, const double *bias_rows, double *c, size_t ldc, pl_order order);
/// pl_gemm_round_f64 toward zero (2), +inf (3) or -inf (4), with `format`'s overflow values those of that
/// mode (SmallFormatArithmetic.overflowed): exactly the emulated loop in the mode, for any format of the
/// binary64 engine (p up to 51; gemm_round_directed.c sets the thread's MXCSR rounding control for the
/// call). AVX2 on every CPU that has it. Returns 0 (computing nothing) without it or for another mode.
int pl_gemm_round_f64_directed(const pl_small_format *format, int mode, size_t row_begin, size_t row_end,
                               size_t panel_begin, size_t panel_end, size_t n, size_t k, const double *a, size_t lda,
                               const double *bp, const double *bias, const double *bias_rows, double *c, size_t ldc,
                               pl_order order);
/// pl_gemm_round_f64 rounding to odd after every product and addition (gemm_round_odd.c): exactly the
/// emulated loop in that mode, for a format with 2 <= p <= 26, subnormals, infinities and IEEE overflow.
/// AVX2. Returns 0 (computing nothing) without it or for another format.
int pl_gemm_round_f64_odd(const pl_small_format *format, size_t row_begin, size_t row_end, size_t panel_begin,
                          size_t panel_end, size_t n, size_t k, const double *a, size_t lda, const double *bp,
                          const double *bias, const double *bias_rows, double *c, size_t ldc, pl_order order);
/// pl_gemm_f32 and pl_gemm_f64 with the calling thread's rounding set to toward zero (2), +inf (3) or -inf
/// (4) for the call and restored (gemm_hardware_directed.c): binary32's or binary64's own arithmetic in that
/// mode, every product, sum and fused multiply-add rounded once in it. Any order but the tensor core's.
/// Returns 0 (computing nothing) for another mode or order, or when the environment refuses the mode.
int pl_gemm_f32_directed(int mode, size_t row_begin, size_t row_end, size_t panel_begin, size_t panel_end, size_t n, size_t k,
                         const float *a, size_t lda, const float *bp, const float *bias, const float *bias_rows, float *c,
                         size_t ldc, pl_order order);
int pl_gemm_f64_directed(int mode, size_t row_begin, size_t row_end, size_t panel_begin, size_t panel_end, size_t n, size_t k,
                         const double *a, size_t lda, const double *bp, const double *bias, const double *bias_rows,
                         double *c, size_t ldc, pl_order order);
int pl_gemm_round_available(void);
/// Which code path runs on this CPU: 3 = AVX-512F (and AVX2 and FMA, for pairwise), 2 = AVX2 and FMA,
/// 0 = portable C.
int pl_gemm_isa(void);
/// Atomically returns *counter and increments it (threads claiming units of work).
size_t pl_claim(size_t *counter);

/// Packs panels [panel_begin, panel_end) of b [n][k] (row-major): B[p][j] = b[j][p].
void pl_pack_f32(size_t n, size_t k, const float *b, float *bp, size_t panel_begin, size_t panel_end, size_t k_begin, size_t k_end);
void pl_pack_f64(size_t n, size_t k, const double *b, double *bp, size_t panel_begin, size_t panel_end, size_t k_begin, size_t k_end);
/// Packs panels [panel_begin, panel_end) of b [k][n] (row-major, B itself): B[p][j] = b[p][j].
void pl_pack_rows_f32(size_t n, size_t k, const float *b, float *bp, size_t panel_begin, size_t panel_end, size_t k_begin, size_t k_end);
void pl_pack_rows_f64(size_t n, size_t k, const double *b, double *bp, size_t panel_begin, size_t panel_end, size_t k_begin, size_t k_end);

/// A 2-D convolution (cross-correlation, as PyTorch) of x [batch][channels][height][width] with a weight
/// [out_channels][channels][kernel_h][kernel_w], stride and zero padding, giving [batch][out_channels]
/// [out_h][out_w].
typedef struct pl_conv {
  size_t batch, channels, height, width;
  size_t out_channels, kernel_h, kernel_w, stride, padding;
  size_t out_h, out_w;
} pl_conv;

/// The forward product's B: outputs j = output positions (b, oy, ox) (n = batch*out_h*out_w), steps
/// p = (c, i, jj) in row-major order (k = channels*kernel_h*kernel_w): x[b][c][oy*s+i-pad][ox*s+jj-pad],
/// zero in the padding.
void pl_pack_conv_patches_f32(const pl_conv *g, const float *x, float *bp, size_t panel_begin, size_t panel_end, size_t k_begin,
                                size_t k_end);
void pl_pack_conv_patches_f64(const pl_conv *g, const double *x, double *bp, size_t panel_begin, size_t panel_end, size_t k_begin,
                                size_t k_end);
/// The weight gradient's B: outputs j = (c, i, jj) (n = channels*kernel_h*kernel_w), steps p = output
/// positions (b, oy, ox) in order (k = batch*out_h*out_w): the same values as above, transposed.
void pl_pack_conv_patches_t_f32(const pl_conv *g, const float *x, float *bp, size_t panel_begin, size_t panel_end, size_t k_begin,
                                size_t k_end);
void pl_pack_conv_patches_t_f64(const pl_conv *g, const double *x, double *bp, size_t panel_begin, size_t panel_end, size_t k_begin,
                                size_t k_end);
/// The input gradient's B: outputs j = input positions (b, y, xx) (n = batch*height*width), steps
/// p = (o, i, jj) in row-major order (k = out_channels*kernel_h*kernel_w):
/// dy[b][o][(y+pad-i)/s][(xx+pad-jj)/s] where that is a whole output position, else zero.
void pl_pack_conv_gradient_f32(const pl_conv *g, const float *dy, float *bp, size_t panel_begin, size_t panel_end, size_t k_begin,
                                size_t k_end);
void pl_pack_conv_gradient_f64(const pl_conv *g, const double *dy, double *bp, size_t panel_begin, size_t panel_end, size_t k_begin,
                                size_t k_end);

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
