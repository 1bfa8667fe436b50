// IEEE 754 binary128 arithmetic on 64-bit integers, correctly rounded in every PrecisionLab rounding mode.
//
// A value is its 128-bit interchange encoding (`lo` the low 64 bits, `hi` the sign, the 15-bit exponent
// and the top 48 bits of the trailing significand). Every operation computes the exact result, or enough
// of it (the quotient and square root to 192 bits and a sticky bit in stochastic mode, 128 bits
// otherwise), and rounds it once. `mode` is the raw value of Scalars.RoundingMode: 0 nearest-even,
// 1 nearest-away, 2 toward zero, 3 toward +inf, 4 toward -inf, 5 odd, 6 stochastic.
//
// The contract is the MPFR engine's (Scalars' `MPFRArithmetic`), bit for bit and draw for draw: overflow
// as IEEE 754 section 7.4 (to odd gives the largest finite value), an exact zero sum is +0 except toward
// -inf, and in stochastic mode every finite non-zero result (exact ones included) takes one 64-bit draw
// `u` from the thread's stream and rounds away from zero when `u` is below the top 64 bits of the exact
// fraction beyond the last place (ORed with the sticky bit for normal results, which is what rounding
// to odd at p + 64 bits and then comparing computes). NaNs are quiet and carry no payload.
#ifndef PRECISIONLAB_BINARY128_ENGINE_H
#define PRECISIONLAB_BINARY128_ENGINE_H

#include <stdint.h>

typedef struct pl_f128 {
  uint64_t lo;
  uint64_t hi;
} pl_f128;

pl_f128 pl_f128_add(pl_f128 a, pl_f128 b, int32_t mode);
pl_f128 pl_f128_sub(pl_f128 a, pl_f128 b, int32_t mode);
pl_f128 pl_f128_mul(pl_f128 a, pl_f128 b, int32_t mode);
pl_f128 pl_f128_div(pl_f128 a, pl_f128 b, int32_t mode);
pl_f128 pl_f128_sqrt(pl_f128 a, int32_t mode);
/// a × b + c with one rounding.
pl_f128 pl_f128_fma(pl_f128 a, pl_f128 b, pl_f128 c, int32_t mode);

/// x exactly (every binary64 value is a binary128 value); in stochastic mode a finite non-zero x
/// takes its draw like any other result.
pl_f128 pl_f128_from_double(double x, int32_t mode);
pl_f128 pl_f128_from_int64(int64_t x, int32_t mode);
/// Rounded to the nearest binary64 value, ties to even (subnormals and overflow as IEEE 754).
double pl_f128_to_double(pl_f128 a);

/// IEEE 754 comparisons: NaN is unordered, -0 == +0.
int pl_f128_equal(pl_f128 a, pl_f128 b);
int pl_f128_less(pl_f128 a, pl_f128 b);

/// `*acc = round(*acc + round(x[k] × y[k]))` (or, fused, `round(*acc + x[k] × y[k])`) for k in
/// 0..<count, strides in elements: the same operations as term-by-term calls, in one C loop.
void pl_f128_accumulate_products(pl_f128 *acc, const pl_f128 *x, long x_stride, const pl_f128 *y,
                                 long y_stride, long count, int32_t fused, int32_t mode);

/// Exact conversions to and from an MPFR variable (`mpfr_ptr`, passed untyped so that this header
/// needs no MPFR). `to`: the variable's precision must be at least 113. `from`: the value must be a
/// binary128 value (at most 113 significant bits, in binary128's range).
void pl_f128_to_mpfr(void *destination, pl_f128 a);
pl_f128 pl_f128_from_mpfr(const void *source);

#endif
