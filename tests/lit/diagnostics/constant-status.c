// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// A same-file function whose every return gives the same constant: the
// caller's test of its status has one way only, so an early return on the
// impossible failure is not a path (PathFacts.cpp, constantReturn).
#include <tsmem.h>

struct optim_state {
  ts_tensor *m, *v;
};

static int state_init(struct optim_state *s, int64_t n) {
  s->m = ts_zeros(TS_SHAPE(n), TS_FLOAT32);
  s->v = ts_zeros(TS_SHAPE(n), TS_FLOAT32);
  return 0;
}

static void state_fini(struct optim_state *s) {
  ts_free(s->m);
  ts_free(s->v);
}

// The status is checked out of habit: init never fails, nothing leaks.
void checked_out_of_habit(int64_t n) {
  struct optim_state s;
  if (state_init(&s, n) != 0)
    return;
  state_fini(&s);
}

// The same through a variable and `if (rc)`.
int status_in_variable(int64_t n) {
  struct optim_state s;
  int rc = state_init(&s, n);
  if (rc)
    return rc;
  state_fini(&s);
  return 0;
}

// The constant decides the other way too: the teardown is skipped on the
// only path there is.
void wrong_test(int64_t n) {
  struct optim_state s;
  if (state_init(&s, n) == 0) // expected-note {{made here}}
    return; // expected-warning {{leaks}}
  state_fini(&s);
}

// Two different statuses: both ways stay paths, and the failure path's
// leak of what the caller made is still reported.
static int may_fail(struct optim_state *s, int64_t n) {
  if (n <= 0)
    return -1;
  s->m = NULL;
  s->v = NULL;
  return 0;
}

void leak_on_failure(int64_t n) {
  ts_tensor *x = ts_ones(TS_SHAPE(4), TS_FLOAT32); // expected-note {{made here}}
  struct optim_state s;
  if (may_fail(&s, n) != 0)
    return; // expected-warning {{tensor from 'ts_ones' leaks}}
  ts_free(x);
}
