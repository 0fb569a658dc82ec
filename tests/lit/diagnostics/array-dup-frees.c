// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// One tensor freed twice through a local array (ArrayDupFrees.cpp): a
// variable or field listed twice in the array's initialiser, then a loop
// freeing every element; or a free loop on a branch followed by the same
// loop unconditionally. A loop that clears what it frees, a refill between
// the two loops, or a branch that leaves the function is quiet.
#include <tsmem.h>

struct net {
  ts_tensor *w1, *w2, *b;
};

void free_listed_twice(struct net *n) {
  ts_tensor *p[4] = {n->w1, n->w2, n->b, n->w2};
  for (int i = 0; i < 4; i++)
    ts_free(p[i]); // expected-warning {{tensor freed or released again after it was freed}}
  // expected-note@-3 {{freed here}}
}

void free_listed_twice_var(ts_tensor *a, ts_tensor *b) {
  ts_tensor *p[3] = {a, b, a};
  for (int i = 2; i >= 0; i--)
    if (p[i])
      ts_free(p[i]); // expected-warning {{tensor freed or released again after it was freed}}
  // expected-note@-4 {{freed here}}
}

// OK: every field once.
void free_listed_once(struct net *n) {
  ts_tensor *p[3] = {n->w1, n->w2, n->b};
  for (int i = 0; i < 3; i++)
    ts_free(p[i]);
}

// OK: the loop stops before the second listing.
void free_listed_twice_short(struct net *n) {
  ts_tensor *p[4] = {n->w1, n->w2, n->b, n->w2};
  for (int i = 0; i < 3; i++)
    ts_free(p[i]);
}

// OK: listed twice only to be read.
float sum_listed_twice(struct net *n) {
  const ts_tensor *p[3] = {n->w1, n->w1, n->b};
  float s = 0;
  for (int i = 0; i < 3; i++)
    s += ts_item(p[i]);
  return s;
}

void free_on_error_then_always(const ts_tensor *x, int n) {
  ts_tensor *rows[8];
  for (int i = 0; i < n; i++)
    rows[i] = ts_mul_scalar(x, 2.0);
  ts_tensor *out = ts_add(rows[0], rows[n - 1]);
  if (ts_size(out, 0) != 8) {
    for (int i = 0; i < n; i++)
      ts_free(rows[i]); // expected-note {{freed here}}
  }
  for (int i = 0; i < n; i++)
    ts_free(rows[i]); // expected-warning {{tensor freed or released again after it was freed}}
  ts_free(out);
}

// OK: the branch leaves the function.
ts_tensor *free_on_error_and_return(const ts_tensor *x, int n) {
  ts_tensor *rows[8];
  for (int i = 0; i < n; i++)
    rows[i] = ts_mul_scalar(x, 2.0);
  ts_tensor *out = ts_add(rows[0], rows[n - 1]);
  if (ts_size(out, 0) != 8) {
    for (int i = 0; i < n; i++)
      ts_free(rows[i]);
    ts_free(out);
    return NULL;
  }
  for (int i = 0; i < n; i++)
    ts_free(rows[i]);
  return out;
}

// OK: the branch clears what it frees.
void free_on_error_cleared(const ts_tensor *x, int n, int bad) {
  ts_tensor *rows[8];
  for (int i = 0; i < n; i++)
    rows[i] = ts_mul_scalar(x, 2.0);
  if (bad) {
    for (int i = 0; i < n; i++) {
      ts_free(rows[i]);
      rows[i] = NULL;
    }
  }
  for (int i = 0; i < n; i++)
    if (rows[i])
      ts_free(rows[i]);
}

// OK: the array is filled again between the loops.
void free_on_error_refilled(const ts_tensor *x, int n, int bad) {
  ts_tensor *rows[8];
  for (int i = 0; i < n; i++)
    rows[i] = ts_mul_scalar(x, 2.0);
  if (bad) {
    for (int i = 0; i < n; i++)
      ts_free(rows[i]);
  }
  for (int i = 0; i < n; i++)
    rows[i] = ts_mul_scalar(x, 3.0);
  for (int i = 0; i < n; i++)
    ts_free(rows[i]);
}

// OK: the second loop frees other elements (the count changed).
void free_on_error_other_range(const ts_tensor *x, int n, int bad) {
  ts_tensor *rows[8];
  int k = n;
  for (int i = 0; i < n; i++)
    rows[i] = ts_mul_scalar(x, 2.0);
  if (bad) {
    for (int i = 0; i < k; i++)
      ts_free(rows[i]);
    k = 0;
  }
  for (int i = 0; i < k; i++)
    ts_free(rows[i]);
}
