// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// A loop entered at its test (its bound unknown, or a TS_SCOPE loop,
// whose test opens the pass's scope first: `open(&g), i < n`) keeps the
// start value of the counter it declares into the first pass: `if (i ==
// 0)` holds there and on no later pass (Paths.cpp, keepCounters). Bugs on
// the passes that run are still found.
#include <tsmem.h>

// --- Correct code: silent -------------------------------------------------

// The first pass frees the tensor made before the loop; with no pass at
// all, the free after it does.
void first_pass_unknown_bound(const ts_tensor *x, int n) {
  ts_tensor *out = ts_clone(x);
  for (int f = 0; f < n; f++) {
    if (f == 0)
      ts_free(out);
    out = NULL;
  }
  ts_free(out);
}

// Each pass's tensor is its scope's; the one made before the loop is
// freed on the first pass.
void first_pass_scoped(const ts_tensor *x) {
  ts_tensor *out = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  TS_SCOPE for (int f = 0; f < 2; f++) {
    if (f == 0)
      ts_free(out);
    out = ts_add(x, x);
  }
}

// --- Bugs: still found ------------------------------------------------------

// Freed on the first pass and again on every pass.
void first_pass_twice(const ts_tensor *x, int n) {
  ts_tensor *out = ts_clone(x);
  for (int f = 0; f < n; f++) {
    if (f == 0)
      ts_free(out); // expected-note {{freed here}}
    ts_free(out);   // expected-warning {{freed or released again}}
  }
}

// The first pass's scope frees what it made; the second pass reads it.
void scoped_pass_reads_last(const ts_tensor *x) {
  ts_tensor *out = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  TS_SCOPE for (int f = 0; f < 2; f++) { // expected-note {{scope ends here}} expected-note {{branch taken: 'f < 2' is true}}
    ts_tensor *next = ts_add(out, x); // expected-warning {{after the scope}}
    if (f == 0)
      ts_free(out);
    out = next;
  }
}
