// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// A compound literal array of tensors given straight to a tsmem call that
// takes `const ts_tensor *const *` and a count (ts_cat, ts_stack) only
// lends its elements to the call (BorrowedLiterals.h), as a local array
// does: each is used there (a freed one is reported), stays its owner's,
// and a field read that way and then overwritten with a new tensor leaks
// its old one (FieldOverwrite.cpp).
#include <tsmem.h>
#include <tsmem/ops.h>

struct grow {
  ts_tensor *X;
};

// --- Positives -------------------------------------------------------------

static void grow_append_fast(struct grow *g, const ts_tensor *x) {
  g->X = ts_cat((const ts_tensor *[]){g->X, x}, 2, 0); // expected-warning {{tensor in 'g->X' leaks}}
}

void cat_after_free(void) {
  ts_tensor *a = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  ts_tensor *b = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  ts_free(a); // expected-note {{freed here}}
  ts_tensor *c = ts_cat((const ts_tensor *[]){a, b}, 2, 0); // expected-warning {{use of a tensor after it was freed}}
  ts_free(c);
  ts_free(b);
}

// --- Negatives -------------------------------------------------------------

static void grow_append(struct grow *g, const ts_tensor *x) {
  ts_tensor *n = ts_cat((const ts_tensor *[]){g->X, x}, 2, 0);
  ts_free(g->X);
  g->X = n;
}

void grow_twice(void) {
  struct grow g = {ts_ones(TS_SHAPE(2), TS_FLOAT32)};
  ts_tensor *x = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  grow_append(&g, x);
  grow_append(&g, x);
  ts_free(x);
  ts_free(g.X);
}

void cat_locals(void) {
  ts_tensor *a = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  ts_tensor *b = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  ts_tensor *c = ts_stack((const ts_tensor *[]){a, b}, 2, 0);
  ts_free(a);
  ts_free(b);
  ts_free(c);
}
