/*
 * mlp_large.c - issue 18's large MLP training step (input 256x784, hidden
 * 512 and 512, 10 classes, relu, cross-entropy, SGD lr 0.01) through the
 * tsmem C API, one scope per step, side by side with the same step in
 * libtorch C++ (mlp_large_aten.cpp) on libtorch's default CPU allocator.
 * Rounds alternate (which goes first too); the ratio is the median of the
 * per-round ratios of thread CPU time; page faults are minor faults per
 * step during each variant's steps.
 *
 *   tsmem_bench_large [rounds [steps per round [addmm|naive]]]
 *                                              (default 11 2 addmm)
 *
 * addmm: the tsmem step makes each linear layer with one ts_addmm (bias +
 * x @ w, fused in libtorch's kernel: one op, one autograd node, one
 * intermediate less), as issue 18 suggests the generated operators be
 * used; naive: ts_matmul then ts_add, the same ops as the C++ step. The C++
 * step is always matmul + add, as it is commonly written.
 *
 * With OpenBLAS, set OPENBLAS_NUM_THREADS=1: time is the calling thread's
 * CPU time, and OpenBLAS's own threads would not be counted.
 */
#define _GNU_SOURCE
#include "mlp.h"
#include "timing.h"

#include <tsmem.h>
#include <tsmem/ops.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

enum { B = 256, IN = 784, H = 512, C = 10 };
#define LR 0.01

void aten_large_init(const float *x, const int64_t *y, const float *const *p,
                     const int64_t (*shapes)[2], int batch, int in);
void aten_large_step(double lr);
void aten_large_free(void);

static const int64_t shapes[6][2] = {{IN, H}, {H, 0}, {H, H},
                                     {H, 0},  {H, C}, {C, 0}};
static ts_tensor *X, *Y, *P[6];

static long minor_faults(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_minflt;
}

static int naive;

/* One linear layer: bias + x @ w. */
static ts_tensor *linear(ts_tensor *x, ts_tensor *w, ts_tensor *b) {
  return naive ? ts_add(ts_matmul(x, w), b) : ts_addmm(b, x, w, 1.0, 1.0);
}

static void ts_step(void) {
  ts_scope_id s = ts_scope_begin();
  ts_tensor *h1 = ts_relu(linear(X, P[0], P[1]));
  ts_tensor *h2 = ts_relu(linear(h1, P[2], P[3]));
  ts_tensor *logits = linear(h2, P[4], P[5]);
  ts_backward(ts_cross_entropy(logits, Y));
  for (int i = 0; i < 6; i++) {
    ts_sgd_step(P[i], LR);
    ts_zero_grad(P[i]);
  }
  ts_scope_end(s);
}

/* The BLAS this process loaded, from /proc/self/maps: "OpenBLAS",
 * "reference BLAS" (Debian's libblas.so.3) or "?". */
static const char *blas_loaded(void) {
  static char line[4096];
  const char *found = "?";
  FILE *f = fopen("/proc/self/maps", "r");
  while (f && fgets(line, sizeof line, f)) {
    if (strstr(line, "openblas")) {
      found = "OpenBLAS";
      break;
    }
    if (strstr(line, "/blas/libblas.so"))
      found = "reference BLAS";
  }
  if (f)
    fclose(f);
  return found;
}

static float *rnd(size_t n, float scale, unsigned *seed) {
  float *v = malloc(n * sizeof *v);
  for (size_t i = 0; i < n; i++) {
    *seed = *seed * 1103515245u + 12345u;
    v[i] = scale * ((float)((*seed >> 8) & 0xFFFF) / 32768.0f - 1.0f);
  }
  return v;
}

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 11;
  int steps = argc > 2 ? atoi(argv[2]) : 2;
  naive = argc > 3 && !strcmp(argv[3], "naive");
  if (rounds < 1 || rounds > 1000 || steps < 1)
    return 2;
  ts_set_num_threads(1);
  unsigned seed = 42;
  float *x = rnd((size_t)B * IN, 1.0f, &seed);
  int64_t y[B];
  for (int i = 0; i < B; i++)
    y[i] = i % C;
  float *pd[6];
  for (int i = 0; i < 6; i++) {
    size_t n = (size_t)shapes[i][0] * (size_t)(shapes[i][1] ? shapes[i][1] : 1);
    pd[i] = rnd(n, 0.05f, &seed);
  }
  X = ts_from_buffer(x, TS_SHAPE(B, IN), TS_FLOAT32);
  Y = ts_from_buffer(y, TS_SHAPE(B), TS_INT64);
  for (int i = 0; i < 6; i++) {
    P[i] = ts_from_buffer(pd[i], shapes[i], shapes[i][1] ? 2 : 1, TS_FLOAT32);
    ts_requires_grad(P[i], true);
  }
  aten_large_init(x, y, (const float *const *)pd, shapes, B, IN);

  /* Warm-up: one step each. */
  ts_step();
  aten_default_allocator(1);
  aten_large_step(LR);
  aten_default_allocator(0);

  double ts_t[1000], at_t[1000], ratio[1000];
  long ts_f = 0, at_f = 0;
  for (int r = 0; r < rounds; r++) {
    for (int k = 0; k < 2; k++) {
      int tsmem_turn = (r + k) % 2 == 0;
      if (!tsmem_turn)
        aten_default_allocator(1);
      long f0 = minor_faults();
      double t0 = now_ns();
      for (int i = 0; i < steps; i++)
        tsmem_turn ? ts_step() : aten_large_step(LR);
      double t = (now_ns() - t0) / steps / 1e6;
      long f = minor_faults() - f0;
      if (tsmem_turn)
        ts_t[r] = t, ts_f += f;
      else
        at_t[r] = t, at_f += f, aten_default_allocator(0);
    }
    ratio[r] = ts_t[r] / at_t[r];
  }
  ts_allocator_cache_stats as = ts_allocator_stats();
  printf("large MLP step 256x784-512-512-10 (tsmem %s): tsmem %.2f ms vs "
         "libtorch C++ %.2f ms  ratio %.3f  page faults/step tsmem %.1f, C++ "
         "%.1f  (caching allocator %s; %s; %d rounds x %d steps)\n",
         naive ? "matmul+add" : "addmm", median(ts_t, rounds),
         median(at_t, rounds), median(ratio, rounds),
         (double)ts_f / rounds / steps, (double)at_f / rounds / steps,
         as.enabled ? "on" : "off", blas_loaded(), rounds, steps);
  aten_large_free();
  for (int i = 0; i < 6; i++)
    ts_free(P[i]), free(pd[i]);
  ts_free(X);
  ts_free(Y);
  free(x);
  return 0;
}
