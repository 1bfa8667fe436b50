// The optional BLAS backend: a CBLAS library found at run time (see CKernels.h).
#include "CKernels.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

enum { CBLAS_ROW_MAJOR = 101, CBLAS_NO_TRANS = 111, CBLAS_TRANS = 112 };

typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float *, int, const float *, int, float, float *, int);
typedef void (*dgemm_fn)(int, int, int, int, int, int, double, const double *, int, const double *, int, double, double *, int);

static pthread_once_t once = PTHREAD_ONCE_INIT;
static sgemm_fn sgemm;
static dgemm_fn dgemm;
static char description[512] = "";

static void load(void) {
  const char *names[] = {getenv("PRECISIONLAB_BLAS"), "libopenblas.so.0", "libopenblas.so", "libblas.so.3"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    if (names[i] == NULL || names[i][0] == 0) continue;
    void *handle = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) continue;
    sgemm_fn s = (sgemm_fn)dlsym(handle, "cblas_sgemm");
    dgemm_fn d = (dgemm_fn)dlsym(handle, "cblas_dgemm");
    if (s == NULL || d == NULL) {
      dlclose(handle);
      continue;
    }
    // One BLAS thread per call: PrecisionLab splits rows across its own threads, and sweeps run
    // trials in parallel, each calling BLAS.
    void (*threads)(int) = (void (*)(int))dlsym(handle, "openblas_set_num_threads");
    if (threads != NULL) threads(1);
    char *(*config)(void) = (char *(*)(void))dlsym(handle, "openblas_get_config");
    snprintf(description, sizeof description, "%s%s%s", names[i], config ? ", " : "", config ? config() : "");
    sgemm = s;
    dgemm = d;
    return;
  }
  snprintf(description, sizeof description,
           "no BLAS library found (tried $PRECISIONLAB_BLAS, libopenblas.so.0, libopenblas.so, libblas.so.3 with cblas_sgemm; "
           "apt-get install libopenblas0)");
}

int pl_blas_available(void) {
  pthread_once(&once, load);
  return sgemm != NULL;
}

const char *pl_blas_description(void) {
  pthread_once(&once, load);
  return description;
}

void pl_blas_sgemm_nt(size_t row_begin, size_t row_end, size_t n, size_t k, const float *a, const float *b, float *c) {
  if (!pl_blas_available() || row_end <= row_begin) return;
  sgemm(CBLAS_ROW_MAJOR, CBLAS_NO_TRANS, CBLAS_TRANS, (int)(row_end - row_begin), (int)n, (int)k, 1.0f,
        a + row_begin * k, (int)k, b, (int)k, 0.0f, c + row_begin * n, (int)n);
}

void pl_blas_dgemm_nt(size_t row_begin, size_t row_end, size_t n, size_t k, const double *a, const double *b, double *c) {
  if (!pl_blas_available() || row_end <= row_begin) return;
  dgemm(CBLAS_ROW_MAJOR, CBLAS_NO_TRANS, CBLAS_TRANS, (int)(row_end - row_begin), (int)n, (int)k, 1.0,
        a + row_begin * k, (int)k, b, (int)k, 0.0, c + row_begin * n, (int)n);
}
