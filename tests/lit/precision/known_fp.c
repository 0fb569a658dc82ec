// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// XFAIL: *
// Correct code the analysis still warns on (known false positives of the
// precision hunt, /work/wt/FINDINGS.md "Round 5b"): each needs facts the
// path engine does not keep. Expected to fail (warnings on correct code);
// when one is fixed this test passes unexpectedly: move the fixed function
// to probe_rules.c and keep the rest here.
// expected-no-diagnostics
#include <stdbool.h>
#include <tsmem.h>

static double sum_of(const ts_tensor *t) {
  ts_tensor *s = ts_sum(t);
  double v = ts_item(s);
  ts_free(s);
  return v;
}

/* A field tested twice around a call that takes the struct as const: the
 * call kills every condition read through memory. */
struct opts {
  bool verbose;
  int mode;
};
void log_opts(const void *o);
void cp_field(const struct opts *o, const ts_tensor *x) {
  ts_tensor *dbg = NULL;
  if (o->verbose)
    dbg = ts_clone(x);
  log_opts(o);
  if (o->verbose)
    ts_free(dbg);
}

/* The first iteration tested by its counter (`i == 0`): the back edge
 * keeps no lower bound on i, so the first-iteration arm looks possible
 * again with acc already set. */
void cp_loop_flag(const ts_tensor *x, int n) {
  ts_tensor *acc = NULL;
  for (int i = 0; i < n; i++) {
    ts_tensor *y = ts_add_scalar(x, i);
    if (i == 0) {
      acc = y;
    } else {
      ts_tensor *s = ts_add(acc, y);
      ts_free(acc);
      ts_free(y);
      acc = s;
    }
  }
  if (n > 0)
    ts_free(acc);
}

/* ---- a state machine in a switch ---- */
enum state { S_START, S_LOAD, S_WORK, S_SAVE, S_DONE };

double machine(int rounds) {
  enum state st = S_START;
  ts_tensor *buf = NULL;
  double out = 0;
  int r = 0;
  while (st != S_DONE) {
    switch (st) {
    case S_START:
      st = S_LOAD;
      break;
    case S_LOAD:
      buf = ts_full(TS_SHAPE(2), TS_FLOAT32, r);
      st = buf ? S_WORK : S_DONE;
      break;
    case S_WORK: {
      ts_tensor *n = ts_mul_scalar(buf, 2);
      ts_free(buf);
      buf = n;
      st = S_SAVE;
      break;
    }
    case S_SAVE:
      out += sum_of(buf);
      ts_free(buf);
      buf = NULL;
      st = ++r < rounds ? S_LOAD : S_DONE;
      break;
    case S_DONE:
      break;
    }
  }
  return out;
}


/* A maker called with the argument that makes it return NULL (and free
 * its input); the caller discards the NULL. */
static ts_tensor *checked_scale(ts_tensor *x, double k) {
  if (k == 0) {
    ts_free(x);
    return NULL;
  }
  ts_tensor *r = ts_mul_scalar(x, k);
  ts_free(x);
  return r;
}
int constant_argument(void) {
  ts_tensor *y = ts_ones(TS_SHAPE(1), TS_FLOAT32);
  y = checked_scale(y, 0);
  return y == NULL;
}
