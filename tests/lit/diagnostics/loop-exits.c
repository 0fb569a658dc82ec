// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// A `break` or `goto` out of a loop that changes owners: the path through
// the jump keeps its own state (what was freed just before the jump is
// freed on that path, whatever iteration took it), while the loop's
// normal way out still joins its iterations.
#include <tsmem.h>
#include <tsmem/ops.h>

// Freed before `break`, freed again after the loop.
void refine_until(int rounds) {
  ts_tensor *cur = ts_ones(TS_SHAPE(1), TS_FLOAT32);
  int r = 0;
  while (r < rounds) { // expected-note {{branch taken: 'r < rounds' is true}}
    if (ts_item(cur) < 0.5) { // expected-note {{branch taken: 'ts_item(cur) < 0.5' is true}}
      ts_free(cur); // expected-note {{freed here}}
      break;
    }
    ts_tensor *half = ts_mul_scalar(cur, 0.5);
    ts_free(cur);
    cur = half;
    r++;
  }
  ts_free(cur); // expected-warning {{freed or released again}}
}

// Freed before a `goto` out of the loop, read after the label.
double shrink_or_bail(int n, double limit) {
  ts_tensor *acc = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
  double v = 0;
  for (int i = 0; i < n; i++) { // expected-note {{branch taken: 'i < n' is true}}
    ts_tensor *next = ts_add_scalar(acc, 1.0);
    ts_free(acc);
    acc = next;
    if (ts_item(acc) > limit) { // expected-note {{branch taken}}
      ts_free(acc); // expected-note {{freed here}}
      goto done;
    }
  }
done:
  v = ts_item(acc); // expected-warning {{after it was freed}}
  ts_free(acc);
  return v;
}

// Correct: the handle is cleared before `break`.
void cleared_before_break(int rounds) {
  ts_tensor *cur = ts_ones(TS_SHAPE(1), TS_FLOAT32);
  for (int r = 0; r < rounds; r++) {
    if (ts_item(cur) < 0.5) {
      ts_free(cur);
      cur = NULL;
      break;
    }
    ts_tensor *half = ts_mul_scalar(cur, 0.5);
    ts_free(cur);
    cur = half;
  }
  if (cur)
    ts_free(cur);
}

// Correct: ts_free(NULL) does nothing.
void cleared_then_free_null(int rounds) {
  ts_tensor *cur = ts_ones(TS_SHAPE(1), TS_FLOAT32);
  for (int r = 0; r < rounds; r++) {
    ts_tensor *half = ts_mul_scalar(cur, 0.5);
    ts_free(cur);
    cur = half;
    if (ts_item(cur) < 0.5) {
      ts_free(cur);
      cur = NULL;
      break;
    }
  }
  ts_free(cur);
}

// Correct: freed and replaced before `break`.
void replaced_before_break(int rounds) {
  ts_tensor *cur = ts_ones(TS_SHAPE(1), TS_FLOAT32);
  for (int r = 0; r < rounds; r++) {
    if (ts_item(cur) < 0.5) {
      ts_free(cur);
      cur = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
      break;
    }
    ts_tensor *half = ts_mul_scalar(cur, 0.5);
    ts_free(cur);
    cur = half;
  }
  ts_free(cur);
}

// Correct: `return` instead of `break`.
void returns_instead(int rounds) {
  ts_tensor *cur = ts_ones(TS_SHAPE(1), TS_FLOAT32);
  for (int r = 0; r < rounds; r++) {
    if (ts_item(cur) < 0.5) {
      ts_free(cur);
      return;
    }
    ts_tensor *half = ts_mul_scalar(cur, 0.5);
    ts_free(cur);
    cur = half;
  }
  ts_free(cur);
}

// Correct: a flag set at the `break` is tested after the loop.
void flag_after_loop(int rounds) {
  ts_tensor *cur = ts_ones(TS_SHAPE(1), TS_FLOAT32);
  int stopped = 0;
  for (int r = 0; r < rounds; r++) {
    if (ts_item(cur) < 0.5) {
      ts_free(cur);
      stopped = 1;
      break;
    }
    ts_tensor *half = ts_mul_scalar(cur, 0.5);
    ts_free(cur);
    cur = half;
  }
  if (!stopped)
    ts_free(cur);
}

// Correct: the loop's normal way out is still joined: how often it ran
// is not guessed.
void normal_exit_joined(int rounds) {
  ts_tensor *cur = ts_ones(TS_SHAPE(1), TS_FLOAT32);
  ts_tensor *first = cur;
  for (int r = 0; r < rounds; r++) {
    ts_tensor *half = ts_mul_scalar(cur, 0.5);
    if (cur != first)
      ts_free(cur);
    cur = half;
  }
  if (cur != first)
    ts_free(cur);
  ts_free(first);
}

// A struct torn down by a helper that leaves its fields set, before a
// `break`, then torn down again after the loop.
struct pair2 {
  ts_tensor *a, *b;
};

static void pair2_drop(struct pair2 *p) {
  ts_free(p->a);
  ts_free(p->b);
}

void pair2_scan(int n) {
  struct pair2 p = {ts_ones(TS_SHAPE(1), TS_FLOAT32),
                    ts_zeros(TS_SHAPE(1), TS_FLOAT32)};
  for (int i = 0; i < n; i++) { // expected-note {{branch taken: 'i < n' is true}}
    ts_tensor *s = ts_add(p.a, p.b);
    double v = ts_item(s);
    ts_free(s);
    if (v > 3.0) { // expected-note {{branch taken: 'v > 3.0' is true}}
      pair2_drop(&p); // expected-note {{freed here}}
      break;
    }
  }
  pair2_drop(&p); // expected-warning {{freed or released again}}
}

// Correct: the jump is taken only on the first pass (the tensor is freed
// by every other pass); which pass jumped is not guessed, so no leak.
void first_pass_only(int misses) {
  ts_tensor *t = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  for (int k = 0; k < 4; k++) {
    if (k < misses) {
      ts_free(t);
      t = NULL;
      continue;
    }
    break;
  }
  if (misses == 0)
    ts_free(t);
}

// A same-file helper replaces a field on each pass; the struct is torn
// down before the `break` and again after the loop.
static void pair2_step(struct pair2 *p) {
  ts_tensor *n = ts_neg(p->a);
  ts_free(p->a);
  p->a = n;
}

void pair2_walk(int n) {
  struct pair2 p = {ts_ones(TS_SHAPE(1), TS_FLOAT32),
                    ts_zeros(TS_SHAPE(1), TS_FLOAT32)};
  for (int i = 0; i < n; i++) { // expected-note {{branch taken: 'i < n' is true}}
    pair2_step(&p);
    if (ts_item(p.a) > 3.0) { // expected-note {{branch taken}}
      pair2_drop(&p); // expected-note {{freed here}}
      break;
    }
  }
  pair2_drop(&p); // expected-warning {{freed or released again}}
}
