/*
 * allreduce.c - one rank of the all-reduce benchmark (bench/dist/run.sh):
 * ts_dist_all_reduce of 1M float32 (4 MB) in place, SUM. Prints the median
 * wall time of one all-reduce in microseconds over ROUNDS rounds of ITERS
 * calls each (after WARMUP calls), the same protocol as allreduce.py.
 */
#include <tsmem.h>
#include <tsmem/dist.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { N = 1 << 20, WARMUP = 20, ROUNDS = 15, ITERS = 20 };

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(void) {
  ts_set_num_threads(1);
  if (ts_dist_init_env() != TS_OK) {
    fprintf(stderr, "%s\n", ts_last_error());
    return 1;
  }
  ts_tensor *t = ts_ones(TS_SHAPE(N), TS_FLOAT32);
  for (int i = 0; i < WARMUP; i++)
    ts_dist_all_reduce(t, TS_DIST_SUM);
  double per[ROUNDS];
  for (int r = 0; r < ROUNDS; r++) {
    ts_dist_barrier();
    double t0 = now();
    for (int i = 0; i < ITERS; i++)
      if (ts_dist_all_reduce(t, TS_DIST_SUM) != TS_OK) {
        fprintf(stderr, "%s\n", ts_last_error());
        return 1;
      }
    per[r] = (now() - t0) / ITERS * 1e6;
  }
  qsort(per, ROUNDS, sizeof *per, cmp);
  if (ts_dist_rank() == 0)
    printf("%.1f\n", per[ROUNDS / 2]);
  ts_free(t);
  ts_dist_destroy();
  return 0;
}
