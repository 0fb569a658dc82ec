/*
 * timing.h - what the C benchmarks measure with: this thread's CPU time and
 * the median of a set of samples (the medians of per-round figures are what
 * bench/README.md reports).
 */
#ifndef TSMEM_BENCH_TIMING_H
#define TSMEM_BENCH_TIMING_H

#include <stdlib.h>
#include <time.h>

/* This thread's CPU time: steadier than wall time on a shared machine. */
static inline double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static inline int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Sorts v in place. */
static inline double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#endif /* TSMEM_BENCH_TIMING_H */
