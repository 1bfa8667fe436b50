// The AVX2 binary32 instance of gemm_round_body.h's loops (4 rows by one panel of two 8-float vectors),
// shared by the nearest-even kernel (gemm_round.c) and the directed one (gemm_round_directed.c): each
// includes this, defines its own ROUND (and RADD, RMUL), RCTX and RNAME, then includes the body.
#define ROWS 4
#define RVECS 2
#define RTARGET "avx2,f16c"
#define RT float
#define RV __m256
#define RNR PL_NR_F32
#define RZERO() _mm256_setzero_ps()
#define RLOAD(p) _mm256_loadu_ps(p)
#define RSTORE(p, v) _mm256_storeu_ps((p), (v))
#define RBCAST(p) _mm256_broadcast_ss(p)
#define RADDV(x, y) _mm256_add_ps((x), (y))
#define RMULV(x, y) _mm256_mul_ps((x), (y))
