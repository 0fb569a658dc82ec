// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// What a call's result belongs to when the callee is a scope of its own or
// runs in the caller's (SPEC.md sections 2 and 4): TS_CALLER_SCOPE results
// belong to the caller's current scope; a TS_SCOPED function or a ts_run
// callback that ts_escape()s (or ts_keep()s) its result hands it to the
// caller; ts_keep takes a tensor out of its scope for good; and a recursive
// helper is summarised like any other.
#include <tsmem.h>

// --- TS_CALLER_SCOPE ------------------------------------------------------

TS_CALLER_SCOPE static ts_tensor *centred(const ts_tensor *x) {
  ts_tensor *m = ts_mean(x);
  return ts_sub(x, m);
}

TS_CALLER_SCOPE static ts_tensor *centred_twice(const ts_tensor *x) {
  return centred(centred(x)); // both in the caller's scope
}

void caller_scope_read_after_guard(const ts_tensor *x) {
  ts_tensor *c;
  {
    TS_SCOPE_GUARD();
    c = centred(x);
  } // expected-note {{the scope ends here}}
  (void)ts_item(c); // expected-warning {{use of a tensor after the scope that owned it ended}}
}

void caller_scope_read_after_manual(const ts_tensor *x) {
  ts_scope_id s = ts_scope_begin();
  ts_tensor *c = centred_twice(x);
  ts_scope_end(s); // expected-note {{the scope ends here}}
  (void)ts_numel(c); // expected-warning {{use of a tensor after the scope that owned it ended}}
}

TS_SCOPED static ts_tensor *caller_scope_returned(const ts_tensor *x) { // expected-note {{the function body is the scope that owns it}}
  ts_tensor *c = centred(x);
  return c; // expected-warning {{returning a tensor owned by a scope that this return leaves}}
}

// Correct: used inside the scope; escaped out of it; outside any scope the
// analysis does not follow a caller-scope result.
void caller_scope_inside(const ts_tensor *x) {
  TS_SCOPE {
    ts_tensor *c = centred(x);
    (void)ts_item(c);
  }
}

TS_SCOPED static ts_tensor *caller_scope_escaped(const ts_tensor *x) {
  ts_tensor *c = centred(x);
  return ts_escape(c);
}

double caller_scope_outside(const ts_tensor *x) {
  ts_tensor *c = centred(x);
  return ts_item(c);
}

// --- TS_SCOPED and ts_run results -----------------------------------------

// Its escaped result is the caller's to free.
TS_SCOPED static ts_tensor *scaled_copy(const ts_tensor *x) {
  ts_tensor *y = ts_mul_scalar(x, 3.0);
  return ts_escape(y);
}

void scoped_result_dropped(const ts_tensor *x) {
  ts_tensor *y = scaled_copy(x); // expected-note {{tensor made here}}
  (void)ts_item(y);
} // expected-warning {{tensor from 'scaled_copy' leaks: 'y' goes out of scope before it is freed}}

void scoped_result_freed(const ts_tensor *x) {
  ts_tensor *y = scaled_copy(x);
  (void)ts_item(y);
  ts_free(y);
}

void escaped_copy_freed(const ts_tensor *x) {
  ts_tensor *y = caller_scope_escaped(x);
  ts_free(y);
}

typedef struct {
  const ts_tensor *input;
  int steps;
} job;

static void *run_job(void *arg) {
  job *j = arg;
  ts_tensor *h = ts_tanh(j->input);
  if (j->steps < 0)
    return NULL;
  return ts_escape(ts_add_scalar(h, 1.0));
}

static void *run_job_kept(void *arg) {
  job *j = arg;
  return ts_keep(ts_exp(j->input));
}

static void *run_count(void *arg) {
  job *j = arg;
  j->steps++;
  return arg; // not a tensor
}

void run_result_dropped(const ts_tensor *x) {
  job j = {x, 2};
  ts_tensor *r = ts_run(run_job, &j); // expected-note {{tensor made here}}
  if (r)
    (void)ts_item(r);
} // expected-warning {{tensor from 'ts_run' leaks: 'r' goes out of scope before it is freed}}

void run_result_read_after_free(const ts_tensor *x) {
  job j = {x, 1};
  ts_tensor *r = ts_run(run_job_kept, &j);
  ts_free(r); // expected-note {{freed here}}
  (void)ts_item(r); // expected-warning {{use of a tensor after it was freed}}
}

// Inside a block's scope, the escaped result belongs to that scope.
void run_result_after_block(const ts_tensor *x) {
  job j = {x, 2};
  ts_tensor *r = NULL;
  TS_SCOPE {
    r = ts_run(run_job, &j);
  } // expected-note {{the scope ends here}}
  (void)ts_item(r); // expected-warning {{use of a tensor after the scope that owned it ended}}
}

void run_result_freed(const ts_tensor *x) {
  job j = {x, 2};
  ts_tensor *r = ts_run(run_job, &j);
  if (r)
    ts_free(r);
  job *back = ts_run(run_count, &j);
  (void)back;
}

void run_result_in_scope(const ts_tensor *x) {
  job j = {x, 2};
  TS_SCOPE {
    ts_tensor *r = ts_run(run_job_kept, &j); // manual: kept in the callback
    ts_free(r);
    ts_tensor *q = ts_run(run_job, &j); // the block's scope owns it
    (void)ts_item(q);
  }
}

// --- ts_keep ----------------------------------------------------------------

void kept_and_dropped(const ts_tensor *x) {
  ts_tensor *k;
  {
    TS_SCOPE_GUARD();
    ts_tensor *t = ts_sigmoid(x);
    k = ts_keep(ts_neg(t)); // expected-note {{tensor made here}}
  }
  (void)ts_item(k);
} // expected-warning {{tensor from 'ts_neg' leaks: 'k' goes out of scope before it is freed}}

void kept_in_async_and_dropped(ts_async_scope *a, const ts_tensor *x) {
  ts_async_scope_enter(a);
  ts_tensor *k = ts_keep(ts_relu(x)); // expected-note {{tensor made here}}
  ts_async_scope_leave(a);
  ts_async_scope_end(a);
  (void)ts_item(k);
} // expected-warning {{tensor from 'ts_relu' leaks: 'k' goes out of scope before it is freed}}

void kept_twice_freed_twice(const ts_tensor *x) {
  ts_tensor *k = NULL;
  TS_SCOPE {
    k = ts_keep(ts_exp(x));
  }
  ts_free(k); // expected-note {{freed here}}
  ts_free(k); // expected-warning {{tensor freed or released again after it was freed}}
}

ts_tensor *kept_returned(const ts_tensor *x) {
  ts_tensor *k = NULL;
  TS_SCOPE {
    k = ts_keep(ts_log(x));
  }
  return k;
}

void kept_freed(const ts_tensor *x, int n) {
  for (int i = 0; i < n; ++i) {
    ts_tensor *k = NULL;
    TS_SCOPE {
      ts_tensor *t = ts_mul_scalar(x, i);
      k = ts_keep(ts_add(t, x));
    }
    (void)ts_item(k);
    ts_free(k);
  }
}

static ts_tensor *stash;
void kept_and_stored(const ts_tensor *x) {
  TS_SCOPE {
    stash = ts_keep(ts_exp(x));
  }
}

// --- Recursion ----------------------------------------------------------------

// Builds a sum of n tensors; the partial sum of the call below is never
// freed.
static ts_tensor *partial_sums(int n) {
  ts_tensor *one = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  if (n <= 1)
    return one;
  ts_tensor *below = partial_sums(n - 1); // expected-note {{tensor made here}}
  ts_tensor *sum = ts_add(one, below);
  ts_free(one);
  return sum; // expected-warning {{tensor from 'partial_sums' leaks: 'below' goes out of scope}}
}

static ts_tensor *partial_sums_ok(int n) {
  ts_tensor *one = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  if (n <= 1)
    return one;
  ts_tensor *below = partial_sums_ok(n - 1);
  ts_tensor *sum = ts_add(one, below);
  ts_free(below);
  ts_free(one);
  return sum;
}

void recursive_result_leaks(void) {
  ts_tensor *s = partial_sums_ok(3); // expected-note {{tensor made here}}
  (void)ts_item(s);
} // expected-warning {{tensor from 'partial_sums_ok' leaks}}

void recursive_ok(void) {
  ts_tensor *s = partial_sums_ok(3);
  ts_free(s);
  ts_tensor *p = partial_sums(2); // its leak is its own
  ts_free(p);
}
