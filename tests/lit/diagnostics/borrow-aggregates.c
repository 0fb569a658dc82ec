// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// A same-file helper that puts its tensor parameter in a local array or
// struct only to read it (`const ts_tensor *parts[] = {acc, x};` for
// ts_cat) still only borrows it: the caller keeps its tensor, and a leak
// of it is the caller's (issue 15, FN 29). Handed on from the aggregate
// (stored through a pointer, given to an unknown function): not borrowed.
#include <tsmem.h>
#include <tsmem/ops.h>

struct trail {
  ts_tensor *rows;
};

static int trail_push(struct trail *tr, const ts_tensor *row) {
  if (!tr->rows) {
    tr->rows = ts_clone(row);
    return 0;
  }
  const ts_tensor *both[2] = {tr->rows, row};
  ts_tensor *grown = ts_cat(both, 2, 0);
  if (!grown)
    return -1;
  ts_free(tr->rows);
  tr->rows = grown;
  return 0;
}

struct duo {
  const ts_tensor *a, *b;
};

static double duo_dot(const ts_tensor *a, const ts_tensor *b) {
  struct duo d = {a, b};
  ts_tensor *p = ts_mul(d.a, d.b);
  double s = ts_item(p);
  ts_free(p);
  return s;
}

void track(void) {
  struct trail tr = {0};
  for (int step = 0; step < 4; step++) {
    ts_tensor *row = ts_rand(TS_SHAPE(1, 3), TS_FLOAT32); // expected-note {{tensor made here}}
    trail_push(&tr, row);
  } // expected-warning {{[tsmem-leak]}}
  ts_free(tr.rows);
}

double dot_once(void) {
  ts_tensor *u = ts_ones(TS_SHAPE(3), TS_FLOAT32);
  ts_tensor *v = ts_ones(TS_SHAPE(3), TS_FLOAT32); // expected-note {{tensor made here}}
  double s = duo_dot(u, v);
  ts_free(u);
  return s; // expected-warning {{[tsmem-leak]}}
}

// Correct: each row freed after it is copied in.
void track_ok(void) {
  struct trail tr = {0};
  for (int step = 0; step < 4; step++) {
    ts_tensor *row = ts_rand(TS_SHAPE(1, 3), TS_FLOAT32);
    trail_push(&tr, row);
    ts_free(row);
  }
  ts_free(tr.rows);
}

// The aggregate is handed on: stored where the caller's struct points.
struct keep2 {
  ts_tensor *slot[2];
};

static void keep_both(struct keep2 *k, ts_tensor *a, ts_tensor *b) {
  ts_tensor *pair[2] = {a, b};
  for (int i = 0; i < 2; i++)
    k->slot[i] = pair[i];
}

void keep_ok(struct keep2 *k) {
  ts_tensor *a = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  ts_tensor *b = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  keep_both(k, a, b);
}

// The aggregate goes to a function the analysis does not know.
void sink(ts_tensor **xs, int n);
static void give(ts_tensor *a) {
  ts_tensor *one[1] = {a};
  sink(one, 1);
}

void give_ok(void) {
  ts_tensor *a = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  give(a);
}
