#include "ScalarsSupport.h"
#include <stdatomic.h>
#include <stdio.h>
#include <gmp.h>
#include <mpfr.h>

_Thread_local pl_environment pl_thread_environment = {0};

static _Atomic uint64_t pl_next_stream = 1;
static _Atomic uint64_t pl_default_seed = 0x5EED5EED5EED5EEDULL;

void pl_set_default_seed(uint64_t seed) { atomic_store(&pl_default_seed, seed); }

void pl_seed_unseeded_thread(void) {
  uint64_t stream = atomic_fetch_add(&pl_next_stream, 1);
  pl_seed_thread(atomic_load(&pl_default_seed), stream);
}

int pl_mpfr_snprintf(char *buffer, unsigned long size, const char *format, const void *x) {
  return mpfr_snprintf(buffer, (size_t)size, format, (mpfr_srcptr)x);
}
