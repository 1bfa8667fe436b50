// The AVX2 binary64 instance of gemm_round_body.h's loops (4 rows by one panel of two 4-double vectors),
// shared by the nearest-even kernel (gemm_round.c) and the directed one (gemm_round_directed.c): each
// includes this, defines its own ROUND, RCTX and RNAME, then includes the body.
#define ROWS 4
#define RVECS 2
#define RTARGET "avx2,f16c"
#define RT double
#define RV __m256d
#define RNR PL_NR_F64
#define RZERO() _mm256_setzero_pd()
#define RLOAD(p) _mm256_loadu_pd(p)
#define RSTORE(p, v) _mm256_storeu_pd((p), (v))
#define RBCAST(p) _mm256_broadcast_sd(p)
#define RADDV(x, y) _mm256_add_pd((x), (y))
#define RMULV(x, y) _mm256_mul_pd((x), (y))
