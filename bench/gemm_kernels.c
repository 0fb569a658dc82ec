/* gemm_kernels.c - the float32 products of the benchmarks' MLPs, each
 * through the process's libblas.so.3 (sgemm_: the reference BLAS, or
 * OpenBLAS with LD_LIBRARY_PATH) and through oneDNN's dnnl_sgemm (the
 * libdnnl.so.2 Debian's libtorch loads), which runtime/torch/gemm.cpp uses.
 * Best of 7 rounds, thread CPU time and wall time per product, and the
 * largest difference between the two results.
 *
 *   tsmem_bench_gemm [threads]     threads: OpenMP threads for oneDNN (1)
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef int (*dnnl_sgemm_fn)(char, char, int64_t, int64_t, int64_t, float,
                             const float *, int64_t, const float *, int64_t,
                             float, float *, int64_t);
void sgemm_(const char *, const char *, const int *, const int *, const int *,
            const float *, const float *, const int *, const float *,
            const int *, const float *, float *, const int *);

static dnnl_sgemm_fn dnnl_sgemm;

static double now(clockid_t c) {
  struct timespec t;
  clock_gettime(c, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

/* Row-major C (m x n) = op(A) op(B), A and B stored row-major. */
static void blas(char ta, char tb, int m, int n, int k, const float *a, int lda,
                 const float *b, int ldb, float *c) {
  float one = 1, zero = 0;
  /* Column-major BLAS computes C^T = op(B)^T op(A)^T. */
  sgemm_(&tb, &ta, &n, &m, &k, &one, b, &ldb, a, &lda, &zero, c, &n);
}

static void dnnl(char ta, char tb, int m, int n, int k, const float *a, int lda,
                 const float *b, int ldb, float *c) {
  dnnl_sgemm(ta, tb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, n);
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 1;
  /* Global, so that its libgomp's omp_set_num_threads is found too. */
  void *h = dlopen("libdnnl.so.2", RTLD_NOW | RTLD_GLOBAL);
  dnnl_sgemm = h ? (dnnl_sgemm_fn)dlsym(h, "dnnl_sgemm") : NULL;
  void (*set_threads)(int) =
      (void (*)(int))dlsym(RTLD_DEFAULT, "omp_set_num_threads");
  if (!dnnl_sgemm || !set_threads) {
    fprintf(stderr, "gemm_kernels: no libdnnl.so.2 with dnnl_sgemm\n");
    return 1;
  }
  set_threads(threads);
  Dl_info di;
  dladdr((void *)sgemm_, &di);
  printf("sgemm_ from %s; oneDNN with %d OpenMP thread(s)\n", di.dli_fname,
         threads);
  static const struct {
    const char *name;
    char ta, tb;
    int m, n, k;
  } s[] = {
      {"small fwd x @ w1   64x32 @ 32x64", 'N', 'N', 64, 64, 32},
      {"small fwd h @ w2   64x64 @ 64x10", 'N', 'N', 64, 10, 64},
      {"small bwd g @ w2^T 64x10 @ 10x64", 'N', 'T', 64, 64, 10},
      {"small bwd h^T @ g  64x64 @ 64x10", 'T', 'N', 64, 10, 64},
      {"small bwd x^T @ g  32x64 @ 64x64", 'T', 'N', 32, 64, 64},
      {"large fwd 256x784 @ 784x512", 'N', 'N', 256, 512, 784},
      {"large fwd 256x512 @ 512x512", 'N', 'N', 256, 512, 512},
      {"large bwd x^T @ g 784x256 @ 256x512", 'T', 'N', 784, 512, 256},
      {"large bwd g @ w^T 256x512 @ 512x784", 'N', 'T', 256, 784, 512},
      {"1xN 1x64 @ 64x64", 'N', 'N', 1, 64, 64},
  };
  for (size_t i = 0; i < sizeof s / sizeof *s; i++) {
    int m = s[i].m, n = s[i].n, k = s[i].k;
    int ar = s[i].ta == 'N' ? m : k, ac = s[i].ta == 'N' ? k : m;
    int br = s[i].tb == 'N' ? k : n, bc = s[i].tb == 'N' ? n : k;
    float *a = malloc(sizeof(float) * ar * ac);
    float *b = malloc(sizeof(float) * br * bc);
    float *c[2] = {malloc(sizeof(float) * m * n),
                   malloc(sizeof(float) * m * n)};
    srand(1);
    for (int j = 0; j < ar * ac; j++)
      a[j] = (float)(rand() % 1000) / 500.0f - 1;
    for (int j = 0; j < br * bc; j++)
      b[j] = (float)(rand() % 1000) / 500.0f - 1;
    double flop = 2.0 * m * n * k, best[2][2] = {{1e30, 1e30}, {1e30, 1e30}};
    int iters = (int)(2e8 / flop) + 1;
    if (iters > 20000)
      iters = 20000;
    for (int r = 0; r < 7; r++)
      for (int v = 0; v < 2; v++) {
        double t0 = now(CLOCK_THREAD_CPUTIME_ID), w0 = now(CLOCK_MONOTONIC);
        for (int it = 0; it < iters; it++)
          (v ? dnnl : blas)(s[i].ta, s[i].tb, m, n, k, a, ac, b, bc, c[v]);
        double t = (now(CLOCK_THREAD_CPUTIME_ID) - t0) / iters;
        double w = (now(CLOCK_MONOTONIC) - w0) / iters;
        best[v][0] = fmin(best[v][0], t);
        best[v][1] = fmin(best[v][1], w);
      }
    double diff = 0;
    for (int j = 0; j < m * n; j++)
      diff = fmax(diff, fabs(c[0][j] - c[1][j]));
    printf("%-36s sgemm_ %9.2f us (wall %9.2f, %5.1f GFLOP/s) | dnnl_sgemm "
           "%8.2f us (wall %8.2f, %5.1f GFLOP/s) | %.3f | max diff %.1e\n",
           s[i].name, best[0][0] / 1e3, best[0][1] / 1e3, flop / best[0][0],
           best[1][0] / 1e3, best[1][1] / 1e3, flop / best[1][0],
           best[1][0] / best[0][0], diff);
    free(a);
    free(b);
    free(c[0]);
    free(c[1]);
  }
  return 0;
}
