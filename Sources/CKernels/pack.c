// Packers of the kernels' B operand (see CKernels.h): panels of NR outputs, each panel k rows of NR
// values, contiguous, zero past the last output. bp receives panels [panel_begin, panel_end), the first
// at bp. The convolution packers gather straight from the image or the output gradient, so the patch
// matrix is never formed whole: a thread packs one panel (NR * k values) and computes with it.

#include "CKernels.h"

// A row-major matrix b [n][k] (a Linear weight): for each panel, 16 steps of k at a time, so the
// panel's rows of b stay in the L1 cache while the destination is written contiguously.
#define PL_PACK(NAME, T, NR)                                                                                 \
  void NAME(size_t n, size_t k, const T *b, T *bp, size_t panel_begin, size_t panel_end, size_t k_begin,       \
            size_t k_end) {                                                                                  \
    for (size_t q = panel_begin; q < panel_end && q * NR < n; q++) {                                         \
      const size_t j0 = q * NR;                                                                              \
      T *panel = bp + (q - panel_begin) * NR * (k_end - k_begin);                                            \
      size_t cols = n - j0 < NR ? n - j0 : NR;                                                               \
      for (size_t p0 = k_begin; p0 < k_end; p0 += 16) {                                                      \
        size_t p1 = k_end - p0 < 16 ? k_end : p0 + 16;                                                       \
        for (size_t p = p0; p < p1; p++) {                                                                   \
          T *row = panel + (p - k_begin) * NR;                                                               \
          size_t jj = 0;                                                                                     \
          for (; jj < cols; jj++) row[jj] = b[(j0 + jj) * k + p];                                            \
          for (; jj < NR; jj++) row[jj] = 0;                                                                 \
        }                                                                                                    \
      }                                                                                                      \
    }                                                                                                        \
  }

PL_PACK(pl_pack_f32, float, PL_NR_F32)
PL_PACK(pl_pack_f64, double, PL_NR_F64)

// A row-major matrix b [k][n] (B itself, untransposed): a panel's row p is NR consecutive values of b's
// row p, zero past the last output.
#define PL_PACK_ROWS(NAME, T, NR)                                                                            \
  void NAME(size_t n, size_t k, const T *b, T *bp, size_t panel_begin, size_t panel_end, size_t k_begin,       \
            size_t k_end) {                                                                                  \
    (void)k;                                                                                                 \
    for (size_t q = panel_begin; q < panel_end && q * NR < n; q++) {                                         \
      const size_t j0 = q * NR;                                                                              \
      T *panel = bp + (q - panel_begin) * NR * (k_end - k_begin);                                            \
      const size_t cols = n - j0 < NR ? n - j0 : NR;                                                         \
      for (size_t p = k_begin; p < k_end; p++) {                                                             \
        T *row = panel + (p - k_begin) * NR;                                                                 \
        const T *source = b + p * n + j0;                                                                    \
        size_t jj = 0;                                                                                       \
        for (; jj < cols; jj++) row[jj] = source[jj];                                                        \
        for (; jj < NR; jj++) row[jj] = 0;                                                                   \
      }                                                                                                      \
    }                                                                                                        \
  }

PL_PACK_ROWS(pl_pack_rows_f32, float, PL_NR_F32)
PL_PACK_ROWS(pl_pack_rows_f64, double, PL_NR_F64)

// The convolution packers avoid divisions in their inner loops: the position of each lane is decoded
// once per panel, the steps are walked with counters, and where a row or column of the window falls
// (inside the image or not, which output position) is looked up in small per-lane tables.
#define PL_MAXK 16  /* kernels up to 16 x 16 use the tables; larger ones compute each index */

// At stride 1 the lanes of a panel that lie in one row of the output (or, for the input gradient, of
// the input) read consecutive values of one source row: a run. dst[0, n) gets src[x0 + l] where
// 0 <= x0 + l < width, zero elsewhere and everywhere when src is null (a padding row).
#define PL_COPY_RUN(DST, SRC, X0, N, WIDTH)                                                                  \
  do {                                                                                                       \
    long n_ = (N), x0_ = (X0), lo_ = x0_ < 0 ? -x0_ : 0, hi_ = (WIDTH) - x0_;                                \
    if (!(SRC)) lo_ = hi_ = n_;                                                                              \
    if (lo_ > n_) lo_ = n_;                                                                                  \
    if (hi_ > n_) hi_ = n_;                                                                                  \
    if (hi_ < lo_) hi_ = lo_;                                                                                \
    long l_ = 0;                                                                                             \
    for (; l_ < lo_; l_++) (DST)[l_] = 0;                                                                    \
    for (; l_ < hi_; l_++) (DST)[l_] = (SRC)[x0_ + l_];                                                      \
    for (; l_ < n_; l_++) (DST)[l_] = 0;                                                                     \
  } while (0)

// Forward patches: output j = (b, oy, ox), step p = (c, i, jj): x[b][c][oy*s+i-pad][ox*s+jj-pad], zero
// in the padding.
#define PL_PACK_PATCHES(NAME, T, NR)                                                                         \
  void NAME(const pl_conv *g, const T *x, T *bp, size_t panel_begin, size_t panel_end, size_t k_begin,       \
            size_t k_end) {                                                                                  \
    const size_t positions = g->batch * g->out_h * g->out_w, plane = g->out_h * g->out_w;                    \
    const size_t window = g->kernel_h * g->kernel_w, hw = g->height * g->width;                              \
    for (size_t q = panel_begin; q < panel_end && q * NR < positions; q++) {                                 \
      T *panel = bp + (q - panel_begin) * NR * (k_end - k_begin);                                            \
      long top[NR], left[NR];                                                                                \
      const T *image[NR];                                                                                    \
      const T *row_of[NR];                                                                                   \
      size_t lanes = positions - q * NR < NR ? positions - q * NR : NR;                                      \
      size_t segment[NR + 1], segments = 0;                                                                  \
      /* The first lane's (b, oy, ox) by division, the others by counting. */                               \
      size_t b = (q * NR) / plane, oy = ((q * NR) % plane) / g->out_w, ox = (q * NR) % g->out_w;             \
      for (size_t l = 0; l < lanes; l++) {                                                                   \
        top[l] = (long)(oy * g->stride) - (long)g->padding;                                                  \
        left[l] = (long)(ox * g->stride) - (long)g->padding;                                                 \
        image[l] = x + b * g->channels * hw;                                                                 \
        if (l == 0 || ox == 0) segment[segments++] = l;                                                      \
        if (++ox == g->out_w) {                                                                              \
          ox = 0;                                                                                            \
          if (++oy == g->out_h) { oy = 0; b++; }                                                             \
        }                                                                                                    \
      }                                                                                                      \
      segment[segments] = lanes;                                                                             \
      size_t c = k_begin / window, i = (k_begin % window) / g->kernel_w, jj = k_begin % g->kernel_w;         \
      int fresh = 1;                                                                                         \
      for (size_t p = k_begin; p < k_end; p++) {                                                             \
        if (fresh) {                                                                                         \
          for (size_t l = 0; l < lanes; l++) {                                                               \
            long y = top[l] + (long)i;                                                                       \
            row_of[l] = (y >= 0 && y < (long)g->height) ? image[l] + c * hw + (size_t)y * g->width : 0;      \
          }                                                                                                  \
          fresh = 0;                                                                                         \
        }                                                                                                    \
        T *row = panel + (p - k_begin) * NR;                                                                 \
        if (g->stride == 1) {                                                                                \
          for (size_t t = 0; t < segments; t++)                                                              \
            PL_COPY_RUN(row + segment[t], row_of[segment[t]], left[segment[t]] + (long)jj,                   \
                        (long)(segment[t + 1] - segment[t]), (long)g->width);                                \
        } else {                                                                                             \
          for (size_t l = 0; l < lanes; l++) {                                                               \
            long xx = left[l] + (long)jj;                                                                    \
            row[l] = (row_of[l] && xx >= 0 && xx < (long)g->width) ? row_of[l][xx] : 0;                      \
          }                                                                                                  \
        }                                                                                                    \
        for (size_t l = lanes; l < NR; l++) row[l] = 0;                                                      \
        if (++jj == g->kernel_w) {                                                                           \
          jj = 0;                                                                                            \
          if (++i == g->kernel_h) { i = 0; c++; }                                                            \
          fresh = 1;                                                                                         \
        }                                                                                                    \
      }                                                                                                      \
    }                                                                                                        \
  }

PL_PACK_PATCHES(pl_pack_conv_patches_f32, float, PL_NR_F32)
PL_PACK_PATCHES(pl_pack_conv_patches_f64, double, PL_NR_F64)

// Weight-gradient patches: output j = (c, i, jj), step p = (b, oy, ox): the same values transposed. For
// each lane its channel and window offset; the positions walked with counters, a run of one output row
// at a time.
#define PL_PACK_PATCHES_T(NAME, T, NR)                                                                       \
  void NAME(const pl_conv *g, const T *x, T *bp, size_t panel_begin, size_t panel_end, size_t k_begin,       \
            size_t k_end) {                                                                                  \
    const size_t window = g->kernel_h * g->kernel_w, n = g->channels * window;                               \
    const size_t plane = g->out_h * g->out_w, hw = g->height * g->width;                                     \
    for (size_t q = panel_begin; q < panel_end && q * NR < n; q++) {                                         \
      T *panel = bp + (q - panel_begin) * NR * (k_end - k_begin);                                            \
      long di[NR], dj[NR];                                                                                   \
      size_t offset[NR];                                                                                     \
      size_t lanes = n - q * NR < NR ? n - q * NR : NR;                                                      \
      for (size_t l = 0; l < lanes; l++) {                                                                   \
        size_t j = q * NR + l;                                                                               \
        offset[l] = (j / window) * hw;                                                                       \
        di[l] = (long)((j % window) / g->kernel_w) - (long)g->padding;                                       \
        dj[l] = (long)((j % window) % g->kernel_w) - (long)g->padding;                                       \
      }                                                                                                      \
      size_t b = k_begin / plane, oy = (k_begin % plane) / g->out_w, ox = k_begin % g->out_w;                \
      /* The steps of one output row at a time: per lane, its image row is tested once and walked by */  \
      /* the stride, each value stored NR apart (the rows of the run stay in the L1 cache).           */  \
      for (size_t p = k_begin; p < k_end;) {                                                                 \
        size_t run = g->out_w - ox < k_end - p ? g->out_w - ox : k_end - p;                                  \
        const T *img = x + b * g->channels * hw;                                                             \
        T *base = panel + (p - k_begin) * NR;                                                                \
        long y0 = (long)(oy * g->stride), x0 = (long)(ox * g->stride);                                       \
        for (size_t l = 0; l < lanes; l++) {                                                                 \
          long y = y0 + di[l], xx = x0 + dj[l];                                                              \
          T *dst = base + l;                                                                                 \
          if (y < 0 || y >= (long)g->height) {                                                               \
            for (size_t t = 0; t < run; t++) dst[t * NR] = 0;                                                \
            continue;                                                                                        \
          }                                                                                                  \
          const T *src = img + offset[l] + (size_t)y * g->width;                                             \
          for (size_t t = 0; t < run; t++, xx += (long)g->stride)                                            \
            dst[t * NR] = (xx >= 0 && xx < (long)g->width) ? src[xx] : 0;                                    \
        }                                                                                                    \
        for (size_t t = 0; t < run; t++)                                                                     \
          for (size_t l = lanes; l < NR; l++) base[t * NR + l] = 0;                                          \
        p += run;                                                                                            \
        ox += run;                                                                                           \
        if (ox == g->out_w) {                                                                                \
          ox = 0;                                                                                            \
          if (++oy == g->out_h) { oy = 0; b++; }                                                             \
        }                                                                                                    \
      }                                                                                                      \
    }                                                                                                        \
  }

PL_PACK_PATCHES_T(pl_pack_conv_patches_t_f32, float, PL_NR_F32)
PL_PACK_PATCHES_T(pl_pack_conv_patches_t_f64, double, PL_NR_F64)

// Input-gradient operand: output j = (b, y, xx) of the input, step p = (o, i, jj): dy at the output
// position whose window put weight (i, jj) on this input, zero where there is none (the padding, or
// between strides). Per lane, the output row for each i and the output column for each jj (or none)
// are tabled once per panel.
#define PL_PACK_GRADIENT(NAME, T, NR)                                                                        \
  static inline long NAME##_index(long r, long s, size_t limit) {                                            \
    if (s == 1) return (r >= 0 && r < (long)limit) ? r : -1;                                                 \
    return (r >= 0 && r % s == 0 && r / s < (long)limit) ? r / s : -1;                                        \
  }                                                                                                          \
  void NAME(const pl_conv *g, const T *dy, T *bp, size_t panel_begin, size_t panel_end, size_t k_begin,      \
            size_t k_end) {                                                                                  \
    const size_t plane = g->height * g->width, positions = g->batch * plane;                                 \
    const size_t window = g->kernel_h * g->kernel_w, out_plane = g->out_h * g->out_w;                        \
    const long s = (long)g->stride;                                                                          \
    const int tabled = g->kernel_h <= PL_MAXK && g->kernel_w <= PL_MAXK;                                      \
    for (size_t q = panel_begin; q < panel_end && q * NR < positions; q++) {                                 \
      T *panel = bp + (q - panel_begin) * NR * (k_end - k_begin);                                            \
      long ys[NR], xs[NR], rows[NR][PL_MAXK], cols[NR][PL_MAXK];                                             \
      const T *image[NR];                                                                                    \
      const T *row_of[NR];                                                                                   \
      size_t lanes = positions - q * NR < NR ? positions - q * NR : NR;                                      \
      size_t segment[NR + 1], segments = 0;                                                                  \
      /* The first lane's (b, y, x) by division, the others by counting. */                                  \
      size_t b = (q * NR) / plane, y = ((q * NR) % plane) / g->width, xx = (q * NR) % g->width;              \
      for (size_t l = 0; l < lanes; l++) {                                                                   \
        ys[l] = (long)y + (long)g->padding;                                                                  \
        xs[l] = (long)xx + (long)g->padding;                                                                 \
        image[l] = dy + b * g->out_channels * out_plane;                                                     \
        if (l == 0 || xx == 0) segment[segments++] = l;                                                      \
        if (++xx == g->width) {                                                                              \
          xx = 0;                                                                                            \
          if (++y == g->height) { y = 0; b++; }                                                              \
        }                                                                                                    \
        if (tabled) {                                                                                        \
          for (size_t i = 0; i < g->kernel_h; i++) rows[l][i] = NAME##_index(ys[l] - (long)i, s, g->out_h);  \
          if (s != 1) /* at stride 1 the columns are runs (PL_COPY_RUN), never looked up */                  \
            for (size_t jj = 0; jj < g->kernel_w; jj++) cols[l][jj] = NAME##_index(xs[l] - (long)jj, s, g->out_w); \
        }                                                                                                    \
      }                                                                                                      \
      segment[segments] = lanes;                                                                             \
      size_t o = k_begin / window, i = (k_begin % window) / g->kernel_w, jj = k_begin % g->kernel_w;         \
      int fresh = 1;                                                                                         \
      for (size_t p = k_begin; p < k_end; p++) {                                                             \
        if (fresh) {                                                                                         \
          for (size_t l = 0; l < lanes; l++) {                                                               \
            long oy = tabled ? rows[l][i] : NAME##_index(ys[l] - (long)i, s, g->out_h);                      \
            row_of[l] = oy >= 0 ? image[l] + o * out_plane + (size_t)oy * g->out_w : 0;                      \
          }                                                                                                  \
          fresh = 0;                                                                                         \
        }                                                                                                    \
        T *row = panel + (p - k_begin) * NR;                                                                 \
        if (s == 1) {                                                                                        \
          for (size_t t = 0; t < segments; t++)                                                              \
            PL_COPY_RUN(row + segment[t], row_of[segment[t]], xs[segment[t]] - (long)jj,                     \
                        (long)(segment[t + 1] - segment[t]), (long)g->out_w);                                \
        } else {                                                                                             \
          for (size_t l = 0; l < lanes; l++) {                                                               \
            long ox = tabled ? cols[l][jj] : NAME##_index(xs[l] - (long)jj, s, g->out_w);                    \
            row[l] = (row_of[l] && ox >= 0) ? row_of[l][ox] : 0;                                             \
          }                                                                                                  \
        }                                                                                                    \
        for (size_t l = lanes; l < NR; l++) row[l] = 0;                                                      \
        if (++jj == g->kernel_w) {                                                                           \
          jj = 0;                                                                                            \
          if (++i == g->kernel_h) { i = 0; o++; }                                                            \
          fresh = 1;                                                                                         \
        }                                                                                                    \
      }                                                                                                      \
    }                                                                                                        \
  }

PL_PACK_GRADIENT(pl_pack_conv_gradient_f32, float, PL_NR_F32)
PL_PACK_GRADIENT(pl_pack_conv_gradient_f64, double, PL_NR_F64)
