// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// A same-file helper that frees a tensor parameter or not as an integer
// flag says (`if (take) ts_free(t);`). A call passing the constant 1 or 0
// gets the summary of the helper's paths under that value of the flag
// (FileAnalysis.cpp, flagModels; summarizeWithFlag): freed, or
// only read. A call passing anything else keeps the helper's own summary,
// which says neither (quiet).
#include <stdbool.h>
#include <tsmem.h>

// --- Helpers --------------------------------------------------------------

// The softmax of x; x is freed when `consume` is set.
static ts_tensor *normalise(ts_tensor *x, int consume) {
  ts_tensor *out = ts_softmax(x, 0);
  if (consume)
    ts_free(x);
  return out;
}

// The same with the test negated and a bool flag.
static double total(ts_tensor *x, bool keep) {
  ts_tensor *s = ts_sum(x);
  double v = ts_item(s);
  ts_free(s);
  if (!keep)
    ts_free(x);
  return v;
}

// The flag is overwritten before its test: the caller's constant says
// nothing of the path.
static double total_forced(ts_tensor *x, int keep, int n) {
  double v = (double)ts_numel(x);
  keep = n > 2;
  if (!keep)
    ts_free(x);
  return v;
}

// --- Bugs -----------------------------------------------------------------

// Consumed by the helper, freed again.
void consumed_then_freed(void) {
  ts_tensor *c = ts_rand(TS_SHAPE(3), TS_FLOAT32);
  ts_tensor *p = normalise(c, 1);
  ts_free(c); // expected-warning {{freed or released again after it was freed}}
  // expected-note@-2 {{freed here}}
  ts_free(p);
}

// Consumed, then read.
double consumed_then_read(void) {
  ts_tensor *c = ts_rand(TS_SHAPE(3), TS_FLOAT32);
  double v = total(c, false); // expected-note {{freed here}}
  double n = (double)ts_numel(c); // expected-warning {{use of a tensor after it was freed}}
  return v + n;
}

// Kept by the helper (the flag is 0), never freed.
void kept_and_dropped(void) {
  ts_tensor *c = ts_rand(TS_SHAPE(3), TS_FLOAT32); // expected-note {{made here}}
  ts_tensor *p = normalise(c, 0);
  ts_free(p);
} // expected-warning {{goes out of scope before it is freed}}

// --- Correct code: silent ---------------------------------------------------

void consumed_once(void) {
  ts_tensor *c = ts_rand(TS_SHAPE(3), TS_FLOAT32);
  ts_tensor *p = normalise(c, 1);
  ts_free(p);
}

void kept_then_freed(void) {
  ts_tensor *c = ts_rand(TS_SHAPE(3), TS_FLOAT32);
  ts_tensor *p = normalise(c, 0);
  double v = total(c, true);
  ts_free(c);
  ts_free(p);
  (void)v;
}

// The flag not a constant: neither summary.
void flag_from_caller(int consume) {
  ts_tensor *c = ts_rand(TS_SHAPE(3), TS_FLOAT32);
  ts_tensor *p = normalise(c, consume);
  if (!consume)
    ts_free(c);
  ts_free(p);
}

// A constant other than 0 or 1: neither summary.
void flag_two(void) {
  ts_tensor *c = ts_rand(TS_SHAPE(3), TS_FLOAT32);
  ts_tensor *p = normalise(c, 2);
  ts_free(p);
}

// The helper decides by its own test, whatever the flag.
void forced_flag(int n) {
  ts_tensor *c = ts_rand(TS_SHAPE(3), TS_FLOAT32);
  double v = total_forced(c, 0, n);
  if (n > 2)
    ts_free(c);
  (void)v;
}
