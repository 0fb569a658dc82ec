/*
 * empty_scopes.c - what dropping scopes that provably change nothing is
 * worth (pass/EmptyScopes.cpp).
 *
 * Built twice with the plugin at -O2: as is, and with
 * TSMEM_KEEP_EMPTY_SCOPES=1 in the compiler's environment (the pass then
 * keeps every scope). Three loops with one TS_SCOPE per iteration:
 *  - arithmetic only: the scope is dropped;
 *  - a tensor query (ts_numel, known to make nothing): dropped too;
 *  - a realistic body that makes a tensor: always kept.
 * Prints nanoseconds per iteration (median of Rounds runs).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <tsmem.h>

#define MEASURED __attribute__((noinline, aligned(64))) static

enum { Rounds = 21 };

static volatile long Sink;

MEASURED void arithmetic(long N) {
  long S = 0;
  TS_SCOPE for (long I = 0; I < N; ++I) { S += I * I; }
  Sink = S;
}

MEASURED void query(long N, const ts_tensor *T) {
  long S = 0;
  TS_SCOPE for (long I = 0; I < N; ++I) { S += ts_numel(T); }
  Sink = S;
}

MEASURED void realistic(long N, const ts_tensor *T) {
  double S = 0;
  TS_SCOPE for (long I = 0; I < N; ++I) { S += ts_item(ts_sum(T)); }
  Sink = (long)S;
}

static double now(void) {
  struct timespec T;
  clock_gettime(CLOCK_MONOTONIC, &T);
  return (double)T.tv_sec * 1e9 + (double)T.tv_nsec;
}

static int byValue(const void *A, const void *B) {
  double X = *(const double *)A, Y = *(const double *)B;
  return (X > Y) - (X < Y);
}

int main(void) {
  ts_tensor *T = ts_keep(ts_ones(TS_SHAPE(4), TS_FLOAT32));
  const long N[3] = {10000000, 2000000, 20000};
  const char *Name[3] = {"arithmetic", "ts_numel query", "ts_sum (tensor)"};
  for (int K = 0; K < 3; ++K) {
    double V[Rounds];
    for (int R = 0; R < Rounds; ++R) {
      double Start = now();
      if (K == 0)
        arithmetic(N[K]);
      else if (K == 1)
        query(N[K], T);
      else
        realistic(N[K], T);
      V[R] = (now() - Start) / (double)N[K];
    }
    qsort(V, Rounds, sizeof *V, byValue);
    printf("  %-16s %8.2f ns/iteration\n", Name[K], V[Rounds / 2]);
  }
  ts_free(T);
  return ts_memory().live_tensors == 0 ? 0 : 1;
}
