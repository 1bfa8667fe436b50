// Per-thread rounding environment for PrecisionLab's emulated and MPFR scalars.
//
// Hardware floating point keeps its rounding mode per thread; PrecisionLab's emulated formats do the same.
// The state lives in a C11 thread-local so that Swift code can read it in about a nanosecond through the
// static inline accessors below (Swift has no thread-local storage of its own on Linux).
// Swift tasks may change threads between suspension points: set the environment inside the synchronous
// code that uses it (Scalars' `RoundingEnvironment.with`), never across an `await`.
#ifndef PRECISIONLAB_SCALARS_SUPPORT_H
#define PRECISIONLAB_SCALARS_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

#include "Binary128Engine.h"

typedef struct pl_environment {
  /// Raw value of Scalars.RoundingMode (0 = nearest-even).
  int32_t rounding;
  /// Non-zero once `rng` holds a seeded xoshiro256** state.
  int32_t rng_seeded;
  uint64_t rng[4];
  /// Ambient MPFR format for MPFRFloat values created on this thread (0 precision = not set).
  long mpfr_precision;
  long mpfr_emin;
  long mpfr_emax;
  int32_t mpfr_bounded;
  int32_t mpfr_subnormals;
  int32_t mpfr_infinities;
  int32_t mpfr_deficit;
  int32_t mpfr_overflow;
  /// The `FloatFormat` that `MPFRFloat.withFormat` set (a retained Swift object, so that the format keeps
  /// its name, binary64 or binary128 say), or NULL when the fields above were set one by one.
  const void *mpfr_format;
  /// Format of EmulatedFloat values on this thread: its binary64-engine constants (a Swift
  /// `SmallFormatConstants`, plain data) and its `FloatFormat` (a retained Swift object), both owned by
  /// the `EmulatedFloat.withFormat` scope that set them; NULL when none is set.
  const void *small_constants;
  const void *small_format;
} pl_environment;


extern _Thread_local pl_environment pl_thread_environment;

static inline pl_environment *pl_environment_pointer(void) { return &pl_thread_environment; }

/// Seeds the calling thread's stream with a stream number that no other unseeded thread of this process
/// gets (a process-wide counter), from the process-wide default seed.
void pl_seed_unseeded_thread(void);

/// SplitMix64, used to expand a seed into generator state.
static inline uint64_t pl_splitmix64(uint64_t *state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/// Seeds this thread's stochastic-rounding stream from (seed, stream): distinct streams give
/// independent sequences.
static inline void pl_seed_thread(uint64_t seed, uint64_t stream) {
  uint64_t s = seed ^ pl_splitmix64(&stream);
  for (int i = 0; i < 4; i++) pl_thread_environment.rng[i] = pl_splitmix64(&s);
  pl_thread_environment.rng_seeded = 1;
}

static inline uint64_t pl_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/// Next 64 random bits of this thread's stream (xoshiro256**).
static inline uint64_t pl_random_u64(void) {
  pl_environment *e = &pl_thread_environment;
  if (__builtin_expect(!e->rng_seeded, 0)) pl_seed_unseeded_thread();
  uint64_t *s = e->rng;
  uint64_t result = pl_rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
  s[2] ^= t; s[3] = pl_rotl(s[3], 45);
  return result;
}

static inline int32_t pl_rounding_get(void) { return pl_thread_environment.rounding; }
static inline void pl_rounding_set(int32_t mode) { pl_thread_environment.rounding = mode; }

/// Copies of the whole environment, so that scoped changes can be undone exactly.
static inline pl_environment pl_environment_get(void) { return pl_thread_environment; }
static inline void pl_environment_set(pl_environment e) { pl_thread_environment = e; }

/// A binary64-engine format with p <= 26 as pl_small_products_stochastic reads it: 2^emin, the largest
/// finite value, the mask keeping the grid's bits of a normal binary64, p, and the values a result past
/// the largest finite one takes in stochastic rounding (SmallFormatArithmetic.overflowed), by sign.
typedef struct pl_stochastic_format {
  double min_normal, max_finite, overflow_positive, overflow_negative;
  uint64_t keep_mask;
  int precision;
} pl_stochastic_format;

/// acc = round(acc + round(x[k] * y[k])) for k = 0, 1, ... in stochastic rounding (StochasticProducts.c),
/// exactly SmallFormatArithmetic's multiply and add with the same draws from this thread's stream, while
/// each rounding is a usual one (a normal result within the range: exact on the grid, or strictly between
/// two grid points). Returns the number of terms done; where it stops short, term k is left to the caller,
/// untouched (*stage 0) or with its product rounded into *pending (*stage 1, the sum not started).
size_t pl_small_products_stochastic(const pl_stochastic_format *f, double *acc, const double *x, ptrdiff_t x_stride,
                                    const double *y, ptrdiff_t y_stride, size_t count, double *pending, int *stage);

/// Sets the process-wide seed that unseeded threads derive their streams from.
void pl_set_default_seed(uint64_t seed);

/// `mpfr_snprintf(buffer, size, format, x)` for formats with exactly one `mpfr_t` argument
/// (Swift cannot call variadic C functions).
int pl_mpfr_snprintf(char *buffer, unsigned long size, const char *format, const void *x);

#endif
