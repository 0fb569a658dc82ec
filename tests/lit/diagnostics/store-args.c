// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// A same-file add, push or append storing its tensor argument in a field
// of the struct its pointer parameter points to: a tensor of the caller's
// TS_SCOPE, not kept or escaped, stays in the caller's local struct after
// the scope freed it; a read of the field, or the container's teardown,
// uses it after its scope (StoreArgs.cpp, heldout6 S3, heldout5 R8).
#include <tsmem.h>

struct bank {
  ts_tensor *items[4];
  int n;
};

struct last {
  ts_tensor *t;
};

static void bank_add(struct bank *b, ts_tensor *s) {
  if (b->n == 4) {
    ts_free(b->items[0]);
    for (int i = 1; i < 4; i++)
      b->items[i - 1] = b->items[i];
    b->n--;
  }
  b->items[b->n++] = s;
}

// Refuses when full: the tensor is stored only when it returns 0.
static int bank_try(struct bank *b, ts_tensor *s) {
  if (b->n == 4)
    return -1;
  b->items[b->n] = s;
  b->n++;
  return 0;
}

static void bank_clear(struct bank *b) {
  for (int i = 0; i < b->n; i++)
    ts_free(b->items[i]);
  b->n = 0;
}

static void last_set(struct last *l, ts_tensor *t) { l->t = t; }

// Also keeps it: not only a store.
static void last_set_keep(struct last *l, ts_tensor *t) {
  l->t = t;
  ts_keep(t);
}

// Positive: the bank's teardown frees what the loop's scope freed.
void scoped_adds(const ts_tensor *x) {
  struct bank b = {{0}, 0};
  TS_SCOPE for (int i = 0; i < 3; i++) { // expected-note {{the scope ends here}}
    bank_add(&b, ts_add_scalar(x, i));
  }
  bank_clear(&b); // expected-warning {{[tsmem-use-after-scope]}}
}

// Positive: the field read after the scope.
double scoped_last(const ts_tensor *x) {
  struct last l = {NULL};
  TS_SCOPE { last_set(&l, ts_relu(x)); } // expected-note {{the scope ends here}}
  return ts_item(l.t); // expected-warning {{[tsmem-use-after-scope]}}
}

// Positive: the refusing push, its result dropped.
void scoped_try(const ts_tensor *x) {
  struct bank b = {{0}, 0};
  TS_SCOPE {
    ts_tensor *t = ts_neg(x);
    bank_try(&b, t);
  } // expected-note {{the scope ends here}}
  bank_clear(&b); // expected-warning {{[tsmem-use-after-scope]}}
}

// Negative: escaped out of the loop's scope.
void escaped_adds(const ts_tensor *x) {
  struct bank b = {{0}, 0};
  TS_SCOPE for (int i = 0; i < 3; i++) {
    bank_add(&b, ts_escape(ts_add_scalar(x, i)));
  }
  bank_clear(&b);
}

// Negative: kept.
double kept_last(const ts_tensor *x) {
  struct last l = {NULL};
  TS_SCOPE { last_set(&l, ts_keep(ts_relu(x))); }
  double r = ts_item(l.t);
  ts_free(l.t);
  return r;
}

// Negative: used and torn down inside the scope.
double inside_scope(const ts_tensor *x) {
  double r = 0;
  TS_SCOPE {
    struct bank b = {{0}, 0};
    bank_add(&b, ts_relu(x));
    r = ts_item(b.items[0]);
    b.n = 0;
  }
  return r;
}

// Negative: made outside any scope, the bank's to free.
void owned_adds(const ts_tensor *x) {
  struct bank b = {{0}, 0};
  for (int i = 0; i < 3; i++)
    bank_add(&b, ts_add_scalar(x, i));
  bank_clear(&b);
}

// Negative: the refusing push's result tested, the refused tensor freed.
void tested_try(const ts_tensor *x) {
  struct bank b = {{0}, 0};
  ts_tensor *t = ts_neg(x);
  if (bank_try(&b, t) != 0)
    ts_free(t);
  bank_clear(&b);
}

// Negative: a helper that does more than store its argument.
double not_only_stored(const ts_tensor *x) {
  struct last l = {NULL};
  TS_SCOPE { last_set_keep(&l, ts_relu(x)); }
  double r = ts_item(l.t);
  ts_free(l.t);
  return r;
}
