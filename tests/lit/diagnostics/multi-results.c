// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// Generated operators with two results (SPEC section 6: `ts_status
// f(ts_tensor **out, ...)`) write two new tensors to a `ts_tensor *out[2]`:
// each must be freed. On failure both are NULL: a test of the status
// settles which.
#include <stdbool.h>
#include <tsmem.h>
#include <tsmem/ops.h>

static void drop_both(ts_tensor *r[2]) {
  ts_free(r[0]);
  ts_free(r[1]);
}

// --- Bugs -----------------------------------------------------------------

double max_values_only(const ts_tensor *x) {
  ts_tensor *mm[2];
  if (ts_max_dim(mm, x, 1, false) != TS_OK) // expected-note {{tensor made here, outside any scope}}
    return -1.0;
  double v = ts_item(mm[0]);
  ts_free(mm[0]);
  return v; // expected-warning {{tensor from 'ts_max_dim' leaks: 'mm' goes out of scope before it is freed}}
}

int64_t sorted_status_ignored(const ts_tensor *x) {
  ts_tensor *s[2];
  ts_sort(s, x, -1, true); // expected-note {{tensor made here, outside any scope}}
  int64_t n = ts_numel(s[1]);
  ts_free(s[1]);
  return n; // expected-warning {{tensor from 'ts_sort' leaks: 's' goes out of scope before it is freed}}
}

// Only the values are used and freed, inside the success branch.
void topk_values_only(const ts_tensor *x) {
  ts_tensor *best[2];
  if (ts_topk(best, x, 2, -1, true, true) == TS_OK) { // expected-note {{tensor made here, outside any scope}}
    double v = ts_item(best[0]);
    (void)v;
    ts_free(best[0]);
  }
} // expected-warning {{tensor from 'ts_topk' leaks: 'best' goes out of scope before it is freed}}

// --- Correct --------------------------------------------------------------

double both_freed_in_a_loop(const ts_tensor *x) {
  ts_tensor *mm[2];
  if (ts_max_dim(mm, x, 0, true) != TS_OK)
    return 0.0;
  double v = ts_item(mm[0]) + (double)ts_numel(mm[1]);
  for (int i = 0; i < 2; i++)
    ts_free(mm[i]);
  return v;
}

int failure_tested_first(const ts_tensor *x) {
  ts_tensor *out[2];
  if (ts_topk(out, x, 3, -1, true, true))
    return -1;
  drop_both(out);
  return 0;
}

// The status kept for later: not followed.
int status_kept(const ts_tensor *x) {
  ts_tensor *out[2];
  ts_status st = ts_sort(out, x, 0, false);
  if (st != TS_OK)
    return -1;
  ts_free(out[0]);
  ts_free(out[1]);
  return 0;
}

// An array of three: which elements hold results is not known.
void bigger_array(const ts_tensor *x) {
  ts_tensor *r[3] = {NULL, NULL, NULL};
  if (ts_max_dim(r, x, 0, false) == TS_OK) {
    ts_free(r[0]);
    ts_free(r[1]);
  }
}

// Inside a scope the results are the scope's.
double scoped_results(const ts_tensor *x) {
  double v = 0;
  TS_SCOPE {
    ts_tensor *mm[2];
    if (ts_max_dim(mm, x, 1, false) == TS_OK)
      v = ts_item(mm[0]);
  }
  return v;
}
