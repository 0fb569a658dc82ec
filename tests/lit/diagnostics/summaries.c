// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// Same-file helpers without annotations: the analysis infers, callees
// first, whether each returns a tensor it made (the caller owns it), frees
// a parameter on every path, or only reads it; calls use that as if the
// helper carried TS_OWNED/TS_CONSUMES.
#include <tsmem.h>

// --- Helpers --------------------------------------------------------------

static ts_tensor *make_weights(int n) { // returns what it makes
  ts_tensor *w = ts_randn(TS_SHAPE(n, n), TS_FLOAT32);
  if (!w)
    return NULL;
  return w;
}

static ts_tensor *make_layer(int n) { // through another helper
  return make_weights(n);
}

static double score(const ts_tensor *t) { // only reads
  ts_tensor *s = ts_sum(t);
  double v = ts_item(s);
  ts_free(s);
  return v;
}

static void release(ts_tensor *t) { // frees where not NULL
  if (!t)
    return;
  ts_free(t);
}

static void release_on_error(ts_tensor *t, int err) { // frees on one path
  if (err)
    ts_free(t);
}

static ts_tensor *kept;
static void keep_it(ts_tensor *t) { kept = t; } // stores it: handed on

static ts_tensor *identity(ts_tensor *t) { return t; } // an alias

static ts_tensor *maybe_cached(int fresh) { // made or borrowed: unknown
  if (fresh)
    return ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  return kept;
}

// Recursive: while its own summary is being inferred, the call to itself is
// an unknown call (handed on), so it gets none: quiet, as unknown calls are.
static int count_down(ts_tensor *t, int n) {
  if (n <= 0)
    return (int)ts_numel(t);
  return count_down(t, n - 1);
}

// --- Bugs -----------------------------------------------------------------

void leak_from_helper(void) {
  ts_tensor *w = make_weights(4); // expected-note {{tensor made here}}
  (void)score(w);
} // expected-warning {{tensor from 'make_weights' leaks: 'w' goes out of scope before it is freed}}

void leak_two_levels(void) {
  ts_tensor *l = make_layer(4); // expected-note {{tensor made here}}
  if (!l)
    return;
} // expected-warning {{tensor from 'make_layer' leaks: 'l' goes out of scope before it is freed}}

double leak_after_read(const ts_tensor *x) {
  ts_tensor *h = ts_relu(x); // expected-note {{tensor made here}}
  return score(h); // expected-warning {{'h' goes out of scope before it is freed}}
}

void use_after_helper_free(void) {
  ts_tensor *t = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  release(t); // expected-note {{freed here}}
  (void)ts_item(t); // expected-warning {{use of a tensor after it was freed [tsmem-use-after-free]}}
}

void double_free_helper(void) {
  ts_tensor *t = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  ts_free(t); // expected-note {{freed here}}
  release(t); // expected-warning {{tensor freed or released again after it was freed [tsmem-double-free]}}
}

void discarded_helper_result(void) {
  make_weights(2); // expected-warning {{tensor from 'make_weights' leaks: the result is discarded without being freed}}
}


// --- Correct code: no warning -------------------------------------------

void freed_after_helper_made(void) {
  ts_tensor *w = make_weights(4);
  (void)score(w);
  ts_free(w);
}

void released_by_helper(void) {
  ts_tensor *t = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  (void)score(t);
  release(t);
}

void maybe_freed_by_helper(int err) {
  ts_tensor *t = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  release_on_error(t, err); // on some paths only: handed on, quiet
}

void stored_by_helper(void) {
  ts_tensor *t = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  keep_it(t);
}

void aliased_by_helper(void) {
  ts_tensor *t = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  ts_tensor *u = identity(t);
  ts_free(u);
}

void unknown_result(int f) {
  ts_tensor *c = maybe_cached(f);
  (void)ts_item(c);
}

ts_tensor *returned_to_caller(void) {
  ts_tensor *w = make_layer(3);
  return w;
}

void scoped_helper_result(void) {
  TS_SCOPE {
    ts_tensor *w = make_weights(2); // the scope owns it
    (void)score(w);
  }
}

int unknown_recursive_reader(void) {
  ts_tensor *t = ts_ones(TS_SHAPE(3), TS_FLOAT32);
  return count_down(t, 3); // not summarised: handed on, quiet
}

int read_recursively(void) {
  ts_tensor *t = ts_ones(TS_SHAPE(3), TS_FLOAT32);
  int n = count_down(t, 3);
  ts_free(t);
  return n;
}
