// Packers of the kernels' B operand (see CKernels.h): panels of NR outputs, each panel k rows of NR
// values, contiguous, zero past the last output. bp receives panels [panel_begin, panel_end), the first
// at bp. The convolution packers gather straight from the image or the output gradient, so the patch
// matrix is never formed whole: a thread packs one panel (NR * k values) and computes with it.

#include "CKernels.h"

// A row-major matrix b [n][k] (a Linear weight): for each panel, 16 steps of k at a time, so the
// panel's rows of b stay in the L1 cache while the destination is written contiguously.
#define PL_PACK(NAME, T, NR)                                                                                 \
  void NAME(size_t n, size_t k, const T *b, T *bp, size_t panel_begin, size_t panel_end) {                   \
    for (size_t q = panel_begin; q < panel_end && q * NR < n; q++) {                                         \
      const size_t j0 = q * NR;                                                                              \
      T *panel = bp + (q - panel_begin) * NR * k;                                                            \
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

// Forward patches: output j = (b, oy, ox), step p = (c, i, jj). For each lane the window's corner in the
// image; then for each (c, i, jj) one value per lane, zero outside the image.
#define PL_PACK_PATCHES(NAME, T, NR)                                                                         \
  void NAME(const pl_conv *g, const T *x, T *bp, size_t panel_begin, size_t panel_end) {                     \
    const size_t positions = g->batch * g->out_h * g->out_w, plane = g->out_h * g->out_w;                    \
    const size_t k = g->channels * g->kernel_h * g->kernel_w;                                                \
    for (size_t q = panel_begin; q < panel_end && q * NR < positions; q++) {                                 \
      T *panel = bp + (q - panel_begin) * NR * k;                                                            \
      long top[NR], left[NR];                                                                                \
      size_t base[NR];                                                                                       \
      size_t lanes = positions - q * NR < NR ? positions - q * NR : NR;                                      \
      for (size_t l = 0; l < lanes; l++) {                                                                   \
        size_t j = q * NR + l, b = j / plane, r = j % plane;                                                 \
        top[l] = (long)((r / g->out_w) * g->stride) - (long)g->padding;                                      \
        left[l] = (long)((r % g->out_w) * g->stride) - (long)g->padding;                                     \
        base[l] = b * g->channels * g->height * g->width;                                                    \
      }                                                                                                      \
      size_t p = 0;                                                                                          \
      for (size_t c = 0; c < g->channels; c++) {                                                             \
        for (size_t i = 0; i < g->kernel_h; i++) {                                                           \
          for (size_t jj = 0; jj < g->kernel_w; jj++, p++) {                                                 \
            T *row = panel + p * NR;                                                                         \
            for (size_t l = 0; l < lanes; l++) {                                                             \
              long y = top[l] + (long)i, xx = left[l] + (long)jj;                                            \
              row[l] = (y >= 0 && y < (long)g->height && xx >= 0 && xx < (long)g->width)                     \
                ? x[base[l] + (c * g->height + (size_t)y) * g->width + (size_t)xx] : 0;                      \
            }                                                                                                \
            for (size_t l = lanes; l < NR; l++) row[l] = 0;                                                  \
          }                                                                                                  \
        }                                                                                                    \
      }                                                                                                      \
    }                                                                                                        \
  }

PL_PACK_PATCHES(pl_pack_conv_patches_f32, float, PL_NR_F32)
PL_PACK_PATCHES(pl_pack_conv_patches_f64, double, PL_NR_F64)

// Weight-gradient patches: output j = (c, i, jj), step p = (b, oy, ox). For each lane its channel and
// kernel offset; then for each output position one value per lane.
#define PL_PACK_PATCHES_T(NAME, T, NR)                                                                       \
  void NAME(const pl_conv *g, const T *x, T *bp, size_t panel_begin, size_t panel_end) {                     \
    const size_t window = g->kernel_h * g->kernel_w, n = g->channels * window;                               \
    const size_t k = g->batch * g->out_h * g->out_w;                                                         \
    for (size_t q = panel_begin; q < panel_end && q * NR < n; q++) {                                         \
      T *panel = bp + (q - panel_begin) * NR * k;                                                            \
      long di[NR], dj[NR];                                                                                   \
      size_t channel[NR];                                                                                    \
      size_t lanes = n - q * NR < NR ? n - q * NR : NR;                                                      \
      for (size_t l = 0; l < lanes; l++) {                                                                   \
        size_t j = q * NR + l;                                                                               \
        channel[l] = j / window;                                                                             \
        di[l] = (long)((j % window) / g->kernel_w) - (long)g->padding;                                       \
        dj[l] = (long)((j % window) % g->kernel_w) - (long)g->padding;                                       \
      }                                                                                                      \
      size_t p = 0;                                                                                          \
      for (size_t b = 0; b < g->batch; b++) {                                                                \
        const T *image = x + b * g->channels * g->height * g->width;                                         \
        for (size_t oy = 0; oy < g->out_h; oy++) {                                                           \
          for (size_t ox = 0; ox < g->out_w; ox++, p++) {                                                    \
            T *row = panel + p * NR;                                                                         \
            long y0 = (long)(oy * g->stride), x0 = (long)(ox * g->stride);                                   \
            for (size_t l = 0; l < lanes; l++) {                                                             \
              long y = y0 + di[l], xx = x0 + dj[l];                                                          \
              row[l] = (y >= 0 && y < (long)g->height && xx >= 0 && xx < (long)g->width)                     \
                ? image[(channel[l] * g->height + (size_t)y) * g->width + (size_t)xx] : 0;                   \
            }                                                                                                \
            for (size_t l = lanes; l < NR; l++) row[l] = 0;                                                  \
          }                                                                                                  \
        }                                                                                                    \
      }                                                                                                      \
    }                                                                                                        \
  }

PL_PACK_PATCHES_T(pl_pack_conv_patches_t_f32, float, PL_NR_F32)
PL_PACK_PATCHES_T(pl_pack_conv_patches_t_f64, double, PL_NR_F64)

// Input-gradient operand: output j = (b, y, xx) of the input, step p = (o, i, jj): the output gradient at
// the output position whose window put weight (i, jj) on this input, zero where there is none (the
// padding, or between strides).
#define PL_PACK_GRADIENT(NAME, T, NR)                                                                        \
  void NAME(const pl_conv *g, const T *dy, T *bp, size_t panel_begin, size_t panel_end) {                    \
    const size_t plane = g->height * g->width, positions = g->batch * plane;                                 \
    const size_t k = g->out_channels * g->kernel_h * g->kernel_w;                                            \
    const long s = (long)g->stride;                                                                          \
    for (size_t q = panel_begin; q < panel_end && q * NR < positions; q++) {                                 \
      T *panel = bp + (q - panel_begin) * NR * k;                                                            \
      long ys[NR], xs[NR];                                                                                   \
      size_t base[NR];                                                                                       \
      size_t lanes = positions - q * NR < NR ? positions - q * NR : NR;                                      \
      for (size_t l = 0; l < lanes; l++) {                                                                   \
        size_t j = q * NR + l, b = j / plane, r = j % plane;                                                 \
        ys[l] = (long)(r / g->width) + (long)g->padding;                                                     \
        xs[l] = (long)(r % g->width) + (long)g->padding;                                                     \
        base[l] = b * g->out_channels * g->out_h * g->out_w;                                                 \
      }                                                                                                      \
      size_t p = 0;                                                                                          \
      for (size_t o = 0; o < g->out_channels; o++) {                                                         \
        for (size_t i = 0; i < g->kernel_h; i++) {                                                           \
          for (size_t jj = 0; jj < g->kernel_w; jj++, p++) {                                                 \
            T *row = panel + p * NR;                                                                         \
            for (size_t l = 0; l < lanes; l++) {                                                             \
              long ry = ys[l] - (long)i, rx = xs[l] - (long)jj;                                              \
              T v = 0;                                                                                       \
              if (ry >= 0 && rx >= 0 && ry % s == 0 && rx % s == 0 && ry / s < (long)g->out_h &&             \
                  rx / s < (long)g->out_w)                                                                   \
                v = dy[base[l] + (o * g->out_h + (size_t)(ry / s)) * g->out_w + (size_t)(rx / s)];           \
              row[l] = v;                                                                                    \
            }                                                                                                \
            for (size_t l = lanes; l < NR; l++) row[l] = 0;                                                  \
          }                                                                                                  \
        }                                                                                                    \
      }                                                                                                      \
    }                                                                                                        \
  }

PL_PACK_GRADIENT(pl_pack_conv_gradient_f32, float, PL_NR_F32)
PL_PACK_GRADIENT(pl_pack_conv_gradient_f64, double, PL_NR_F64)
