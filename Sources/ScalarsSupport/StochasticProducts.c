// The binary64 engine's unfused multiply-accumulate with stochastic rounding, in C: the sequential dot
// product of SmallFloat.accumulateProducts for formats with p <= 26 (every product exact in binary64), the
// same operations, the same draws from the thread's stream, the same bits as SmallFormatArithmetic's
// multiply and add, for the usual cases. See pl_small_products_stochastic in ScalarsSupport.h.
#pragma clang fp contract(off)
#pragma STDC FP_CONTRACT OFF

#include "ScalarsSupport.h"
#include <math.h>
#include <string.h>

static inline uint64_t bits_of(double x) {
  uint64_t b;
  memcpy(&b, &x, sizeof b);
  return b;
}
static inline double double_of(uint64_t b) {
  double x;
  memcpy(&x, &b, sizeof x);
  return x;
}

/// SmallFormatArithmetic.round(hi, lo, .stochastic) when |hi| is in [2^emin, max_finite] and either on
/// the grid with lo = 0 (exact: no draw) or off it (a draw, rounding up with probability (d + l) / q as
/// the Swift code computes it). Returns 0, drawing nothing, in every other case.
static inline int round_usual(double hi, double lo, const pl_stochastic_format *f, double *out) {
  double h = hi < 0 ? -hi : hi;
  if (!(h >= f->min_normal && h <= f->max_finite)) return 0;
  uint64_t bits = bits_of(h);
  uint64_t down_bits = bits & f->keep_mask;
  if (down_bits == bits) {
    if (lo != 0) return 0;
    *out = hi;
    return 1;
  }
  double down = double_of(down_bits);
  int e = (int)(bits >> 52) - 1023;
  double q = double_of((uint64_t)(e - f->precision + 1 + 1023) << 52);
  double d = h - down;  // exact
  double l = hi < 0 ? -lo : lo;
  double unit = (double)(pl_random_u64() >> 11) * 0x1p-53;
  double m = unit < (d + l) / q ? down + q : down;
  if (m > f->max_finite) {
    *out = hi < 0 ? f->overflow_negative : f->overflow_positive;
    return 1;
  }
  *out = hi < 0 ? -m : m;
  return 1;
}

size_t pl_small_products_stochastic(const pl_stochastic_format *f, double *acc, const double *x, ptrdiff_t x_stride,
                                    const double *y, ptrdiff_t y_stride, size_t count, double *pending, int *stage) {
  double a = *acc;
  *stage = 0;
  for (size_t k = 0; k < count; k++) {
    double p = x[(ptrdiff_t)k * x_stride] * y[(ptrdiff_t)k * y_stride];  // exact: p <= 26
    double product;
    if (p == 0) {
      product = p;  // an exact zero: no draw
    } else if (!round_usual(p, 0, f, &product)) {
      *acc = a;
      return k;
    }
    double s = a + product;
    if (s == 0) {
      // IEEE 754's exact zero sum: the addends' sign when both are zeros of one sign, else +0.
      a = (a == 0 && product == 0 && (signbit(a) != 0) == (signbit(product) != 0)) ? a : 0.0;
      continue;
    }
    double bb = s - a;
    double error = (a - (s - bb)) + (product - bb);
    double sum;
    if (!round_usual(s, error, f, &sum)) {
      *acc = a;
      *pending = product;
      *stage = 1;
      return k;
    }
    a = sum;
  }
  *acc = a;
  return count;
}
