// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// Same-file helpers that hand tensors back through `ts_tensor **` and read
// them again after storing them (OutReads.cpp): a test for NULL, a tsmem
// call that reads them, a free on an error path. What the caller gets is
// what the path says: nothing where `*p` was found NULL or freed, a tensor
// to free where the helper returned its success status.
#include <stddef.h>
#include <tsmem.h>
#include <tsmem/ops.h>

extern void show(double v);
extern int busy(void);

// Two results; on failure neither is handed back.
static int make_pair(ts_tensor **x, ts_tensor **y) {
  *x = ts_arange(-1.0, 1.0, 0.25, TS_FLOAT32);
  if (!*x)
    return -1;
  ts_tensor *sq = ts_mul(*x, *x);
  *y = sq ? ts_add_scalar(sq, 0.5) : NULL;
  if (sq)
    ts_free(sq);
  if (!*y) {
    ts_free(*x);
    return -1;
  }
  return 0;
}

// A status made from the result just stored.
static int make_one(ts_tensor **out) {
  *out = ts_zeros(TS_SHAPE(3), TS_FLOAT32);
  return *out ? 0 : -1;
}

// Reads and frees the caller's old tensor before storing: a replacement,
// not an out-parameter.
static void grow(ts_tensor **t) {
  ts_tensor *n = ts_add_scalar(*t, 1.0);
  ts_free(*t);
  *t = n;
}

// --- Bugs -----------------------------------------------------------------

void pair_lost_on_early_return(void) {
  ts_tensor *x, *y;
  if (make_pair(&x, &y) != 0) // expected-note {{tensor made here}}
    return;
  if (busy())
    return; // expected-warning {{leaks}}
  show(ts_item(x));
  ts_free(x);
  ts_free(y);
}

void pair_second_forgotten(void) {
  ts_tensor *x, *y;
  if (make_pair(&x, &y) != 0) // expected-note {{tensor made here}}
    return;
  show(ts_item(y));
  ts_free(x);
} // expected-warning {{leaks}}

void one_never_freed(void) {
  ts_tensor *t;
  if (make_one(&t) == 0) // expected-note {{tensor made here}}
    show(ts_item(t));
} // expected-warning {{leaks}}

// --- Correct --------------------------------------------------------------

void pair_freed(void) {
  ts_tensor *x, *y;
  if (make_pair(&x, &y) != 0)
    return;
  show(ts_item(y));
  ts_free(x);
  ts_free(y);
}

void pair_failed(void) {
  ts_tensor *x, *y;
  int rc = make_pair(&x, &y);
  if (rc != 0)
    return;
  ts_free(y);
  ts_free(x);
}

void one_freed_when_made(void) {
  ts_tensor *t;
  if (make_one(&t) != 0)
    return;
  ts_free(t);
}

void one_or_nothing(void) {
  ts_tensor *t = NULL;
  if (make_one(&t) == 0)
    ts_free(t);
}

// The outputs never used after the call: the caller expects it to fail.
int pair_refused(void) {
  ts_tensor *x = NULL, *y = NULL;
  if (make_pair(&x, &y) != 0)
    return (x == NULL) + (y == NULL);
  return 0;
}

// A failing status the test cannot decide: no summary, nothing reported.
static ts_status make_status(ts_tensor **out) {
  *out = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  return *out ? TS_OK : ts_last_status();
}

void status_kept(void) {
  ts_tensor *t = NULL;
  ts_status st = make_status(&t);
  if (st == TS_OK) {
    show(ts_item(t));
    ts_free(t);
  }
}

void grown(void) {
  ts_tensor *t = ts_zeros(TS_SHAPE(3), TS_FLOAT32);
  grow(&t);
  ts_free(t);
}
