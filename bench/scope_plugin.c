/*
 * scope_plugin.c - the cost of TS_SCOPE against hand-written scope calls.
 *
 * Built with the tsmem plugin (-fplugin=tsmem.so). The same work runs in a
 * scope written with TS_SCOPE and in one written as ts_scope_begin() ...
 * ts_scope_end(id); both sides run in the same process, interleaved round by
 * round (order alternating), and the medians are compared. Goal: TS_SCOPE /
 * hand-written <= 1.01. Two bodies: an indirect call (the pass cannot prove
 * it makes no tensor, so the scope stays: the raw cost of the scope) and one
 * small tensor (a typical scope).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <tsmem.h>

#ifndef __TSMEM_PLUGIN__
#error "scope_plugin.c measures the plugin: compile it with -fplugin=tsmem.so"
#endif

/* Each measured function starts a cache line: otherwise where the linker
 * happens to put two identical functions decides which is faster. */
#define MEASURED __attribute__((noinline, aligned(64))) static

enum { Rounds = 101 }; /* short rounds: both sides see the same load */

static void nothing(void) {}
/* volatile: the call stays indirect, so the scope around it stays too. */
static void (*volatile Opaque)(void) = nothing;

MEASURED void pluginEmpty(void) {
  TS_SCOPE { Opaque(); }
}

MEASURED void handEmpty(void) {
  ts_scope_id Id = ts_scope_begin();
  Opaque();
  ts_scope_end(Id);
}

MEASURED void pluginTensor(void) {
  TS_SCOPE { ts_zeros(TS_SHAPE(4), TS_FLOAT32); }
}

MEASURED void handTensor(void) {
  ts_scope_id Id = ts_scope_begin();
  ts_zeros(TS_SHAPE(4), TS_FLOAT32);
  ts_scope_end(Id);
}

static double now(void) {
  struct timespec T;
  clock_gettime(CLOCK_MONOTONIC, &T);
  return (double)T.tv_sec * 1e9 + (double)T.tv_nsec;
}

/* Nanoseconds per call of Fn, over Iterations calls. */
static double timeIt(void (*Fn)(void), long Iterations) {
  double Start = now();
  for (long I = 0; I < Iterations; ++I)
    Fn();
  return (now() - Start) / (double)Iterations;
}

static int byValue(const void *A, const void *B) {
  double X = *(const double *)A, Y = *(const double *)B;
  return (X > Y) - (X < Y);
}

static double median(double *V) { /* sorts V */
  qsort(V, Rounds, sizeof *V, byValue);
  return V[Rounds / 2];
}

static void compare(const char *Name, void (*Plugin)(void), void (*Hand)(void),
                    long Iterations) {
  double P[Rounds], H[Rounds];
  timeIt(Plugin, Iterations / 10); /* warm up */
  timeIt(Hand, Iterations / 10);
  for (int R = 0; R < Rounds; ++R) {
    if (R % 2) {
      P[R] = timeIt(Plugin, Iterations);
      H[R] = timeIt(Hand, Iterations);
    } else {
      H[R] = timeIt(Hand, Iterations);
      P[R] = timeIt(Plugin, Iterations);
    }
  }
  /* The ratio of each round's pair, then the median: robust to load that
   * comes and goes on a shared machine. */
  double Ratio[Rounds];
  for (int R = 0; R < Rounds; ++R)
    Ratio[R] = P[R] / H[R];
  double MR = median(Ratio), MP = median(P), MH = median(H);
  printf("  %-20s TS_SCOPE %7.1f ns  hand-written %7.1f ns  ratio %.3f %s\n",
         Name, MP, MH, MR,
         MR <= 1.01 ? "(goal <= 1.01: met)" : "(goal <= 1.01: MISSED)");
}

int main(int Argc, char **Argv) {
  long Scale = Argc > 1 ? atol(Argv[1]) : 1;
  printf("TS_SCOPE vs ts_scope_begin/ts_scope_end, %d interleaved rounds "
         "(medians; ratio: median of the rounds' ratios):\n",
         Rounds);
  compare("indirect call", pluginEmpty, handEmpty, 50000 * Scale);
  compare("one 4-float tensor", pluginTensor, handTensor, 2000 * Scale);
  return ts_memory().live_tensors == 0 ? 0 : 1;
}
