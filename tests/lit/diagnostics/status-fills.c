// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// A same-file helper that stores a new tensor and returns a status made from
// the place it stored (`return p->t ? 0 : -1;`): on the failing status the
// place holds NULL, so a caller that leaves on it owns nothing there
// (StatusFills.cpp). On the other status, and when the status is thrown
// away, the fill is the caller's as before.
#include <stdbool.h>
#include <tsmem.h>

struct box {
  ts_tensor *t;
  ts_tensor *u;
  int n;
};

static int box_open(struct box *b, int n) {
  b->t = ts_zeros(TS_SHAPE(n), TS_FLOAT32);
  b->n = n;
  return b->t ? 0 : -1;
}

static int box_open_ne(struct box *b, int n) {
  b->t = ts_ones(TS_SHAPE(n), TS_FLOAT32);
  return b->t != NULL ? 0 : -1;
}

static int box_open_eq(struct box *b, int n) {
  b->t = ts_ones(TS_SHAPE(n), TS_FLOAT32);
  return NULL == b->t ? 1 : 0;
}

static int box_open_if(struct box *b, int n) {
  b->t = ts_ones(TS_SHAPE(n), TS_FLOAT32);
  if (!b->t)
    return -1;
  return 0;
}

static int box_open_two(struct box *b, int n) {
  b->t = ts_ones(TS_SHAPE(n), TS_FLOAT32);
  b->u = ts_zeros(TS_SHAPE(n), TS_FLOAT32);
  return b->t && b->u ? 0 : 1;
}

static bool box_try(struct box *b, int n) {
  b->t = ts_randn(TS_SHAPE(n), TS_FLOAT32);
  return b->t != NULL;
}

static int make_out(ts_tensor **out, int n) {
  *out = ts_ones(TS_SHAPE(n), TS_FLOAT32);
  return *out ? 0 : -1;
}

// The status does not come from the field: a real failure with it filled.
static int box_open_checked(struct box *b, int n) {
  b->t = ts_zeros(TS_SHAPE(n), TS_FLOAT32);
  return n > 0 ? 0 : -1;
}

// --- Negatives: the caller leaves on the failing status ------------------

void use_open(int n) {
  struct box b;
  if (box_open(&b, n) != 0)
    return;
  ts_free(b.t);
}

void use_open_eq0(int n) {
  struct box b;
  if (box_open(&b, n) == 0) {
    (void)ts_item(b.t);
    ts_free(b.t);
  }
}

void use_open_ne(int n) {
  struct box b;
  if (box_open_ne(&b, n))
    return;
  ts_free(b.t);
}

void use_open_eq(int n) {
  struct box b;
  if (box_open_eq(&b, n) != 0)
    return;
  ts_free(b.t);
}

void use_open_if(int n) {
  struct box b;
  if (box_open_if(&b, n) != 0)
    return;
  ts_free(b.t);
}

void use_open_two(int n) {
  struct box b;
  if (box_open_two(&b, n) != 0)
    return;
  ts_free(b.u);
  ts_free(b.t);
}

void use_try(int n) {
  struct box b;
  if (!box_try(&b, n))
    return;
  ts_free(b.t);
}

void use_out(int n) {
  ts_tensor *t;
  if (make_out(&t, n) != 0)
    return;
  ts_free(t);
}

// --- Positives: a real leak stays reported -------------------------------

void forget_open(int n) {
  struct box b;
  if (box_open(&b, n) != 0) // expected-note {{tensor made here}}
    return;
  (void)ts_item(b.t);
} // expected-warning {{leaks}}

void forget_discarded(int n) {
  struct box b;
  box_open(&b, n); // expected-note {{tensor made here}}
  (void)ts_item(b.t);
} // expected-warning {{leaks}}

void forget_try(int n) {
  struct box b;
  if (box_try(&b, n)) // expected-note {{tensor made here}}
    (void)ts_item(b.t);
} // expected-warning {{leaks}}

void checked_fails_filled(int n) {
  struct box b;
  if (box_open_checked(&b, n) != 0) // expected-note {{tensor made here}}
    return; // expected-warning {{leaks}}
  ts_free(b.t);
}
