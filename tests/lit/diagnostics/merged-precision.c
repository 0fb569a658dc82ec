// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// Correct code the merged analysis (fields, summaries, paths) once flagged:
// found on the held-out corpus, kept here in shapes of their own.
#include <tsmem.h>
#include <tsmem/ops.h>

// An in-place operator gives back the handle it was given: returning its
// result returns the tensor made here.
static ts_tensor *squash(const ts_tensor *x) {
  ts_tensor *y = ts_mul_scalar(x, 2.0);
  ts_tensor *z = ts_sigmoid_(y);
  return z;
}

void use_squash(void) {
  ts_tensor *x = ts_ones(TS_SHAPE(3), TS_FLOAT32);
  ts_tensor *s = squash(x);
  ts_free(s);
  ts_free(x);
}

// A helper that stores its tensor argument into a struct behind a pointer
// takes it: the caller frees it through the struct.
struct bag {
  ts_tensor *slot[4];
  int n;
};

static void bag_put(struct bag *b, ts_tensor *t) { b->slot[b->n++] = t; }

void fill_bag(void) {
  struct bag b = {{0}, 0};
  for (int i = 0; i < 2; i++) {
    ts_tensor *t = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
    bag_put(&b, t);
  }
  for (int i = 0; i < b.n; i++)
    ts_free(b.slot[i]);
}

// A helper that frees the caller's old tensor before storing a new one is
// not a plain out-parameter: no leak of the old one is reported.
static void replace(ts_tensor **p, const ts_tensor *by) {
  ts_tensor *n = ts_add(*p, by);
  ts_free(*p);
  *p = n;
}

void replace_twice(void) {
  ts_tensor *acc = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  ts_tensor *one = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  replace(&acc, one);
  replace(&acc, one);
  ts_free(one);
  ts_free(acc);
}

// A call given &rows[i] reaches every element, those stored with a
// constant index included.
struct holder {
  ts_tensor *t;
  void (*drop)(ts_tensor *);
};

static void drop_tensor(ts_tensor *t) { ts_free(t); }

static void holder_drop(struct holder *h) {
  if (h->drop)
    h->drop(h->t);
  h->t = NULL;
}

void drop_all(void) {
  ts_tensor *kept = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  struct holder rows[2] = {{ts_ones(TS_SHAPE(2), TS_FLOAT32), drop_tensor},
                           {kept, NULL}};
  for (int i = 0; i < 2; i++)
    holder_drop(&rows[i]);
  ts_free(kept);
}

// A variable with a cleanup function of its own is that function's to free.
static void tensor_cleanup(ts_tensor **p) { ts_free(*p); }

void auto_freed(void) {
  __attribute__((cleanup(tensor_cleanup))) ts_tensor *t =
      ts_rand(TS_SHAPE(4), TS_FLOAT32);
  ts_tensor *m = ts_mean(t);
  ts_free(m);
}

// Freeing each element of an array in a loop frees each once.
void free_elements(void) {
  ts_tensor *xs[3];
  for (int i = 0; i < 3; i++)
    xs[i] = ts_full(TS_SHAPE(2), TS_FLOAT32, i);
  for (int i = 0; i < 3; i++)
    ts_free(xs[i]);
}

// And the bugs next to them are still found.
void leak_beside(void) {
  ts_tensor *y = ts_ones(TS_SHAPE(3), TS_FLOAT32);
  ts_tensor *z = ts_relu_(y);
  (void)z;
} // expected-warning {{leaks}} expected-note@-3 {{made here}}

void double_free_on_branch(int fail) {
  ts_tensor *t = ts_ones(TS_SHAPE(3), TS_FLOAT32);
  if (fail) // expected-note {{branch taken: 'fail' is true}}
    ts_free(t); // expected-note {{freed here}}
  ts_free(t); // expected-warning {{freed or released again}}
}
