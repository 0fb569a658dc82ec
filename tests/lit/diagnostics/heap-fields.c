// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// A struct that keeps its tensors in a heap array behind a pointer field
// (`ts_tensor **v`, allocated by its init), torn down by a loop over its
// count (HeapFields.cpp, CountLoops.cpp): its elements are followed as an
// array field's are. An element freed by hand and again by the teardown,
// or read through an alias after it, is reported. Quiet when the element
// is taken out (its slot cleared), when the count is reset, when the
// pointer gets another value or is copied, and when the struct is handed
// to a call that may change it.
#include <stdlib.h>
#include <tsmem.h>

struct vec {
  ts_tensor **v;
  int n, cap;
};

struct model {
  ts_tensor *w;
  ts_tensor **layers; /* owned */
  int k;
};

// --- Helpers --------------------------------------------------------------

// Frees the elements in use and the array; the count stays.
static void vec_free(struct vec *q) {
  for (int i = 0; i < q->n; i++)
    ts_free(q->v[i]);
  free(q->v);
}

// The same, and the struct's other tensor.
static void model_free(struct model *m) {
  for (int j = 0; j < m->k; j++)
    ts_free(m->layers[j]);
  free(m->layers);
  ts_free(m->w);
}

// Empties the vector and keeps the array.
static void vec_clear(struct vec *q) {
  for (int i = 0; i < q->n; i++)
    ts_free(q->v[i]);
  q->n = 0;
}

// Clears the pointer and the count: a second call frees nothing.
static void vec_destroy(struct vec *q) {
  for (int i = 0; i < q->n; i++)
    ts_free(q->v[i]);
  free(q->v);
  q->v = NULL;
  q->n = 0;
}

// Grows the array by realloc: its elements are not followed here.
static int vec_reserve(struct vec *q, int need) {
  if (need <= q->cap)
    return 0;
  int cap = q->cap ? q->cap * 2 : 8;
  ts_tensor **v = realloc(q->v, sizeof *v * (size_t)cap);
  if (!v)
    return -1;
  q->v = v;
  q->cap = cap;
  return 0;
}

// Takes the tensor: stores it past the count, or frees it when the array
// cannot grow.
static int vec_push(struct vec *q, ts_tensor *t) {
  if (vec_reserve(q, q->n + 1) != 0) {
    ts_free(t);
    return -1;
  }
  q->v[q->n] = t;
  q->n++;
  return 0;
}

// Not followed: what they put in the struct is unknown here.
extern int vec_fill(struct vec *q, int n);
extern int model_fit(struct model *m, const ts_tensor *x);
extern void vec_touch(struct vec *q);
extern double score(const ts_tensor *t);

// --- Bugs -----------------------------------------------------------------

// An alias of an element read after the teardown.
double alias_after_free(void) {
  struct vec q;
  if (vec_fill(&q, 3) != 0)
    return 0;
  ts_tensor *first = q.v[0];
  vec_free(&q); // expected-note {{freed here}}
  return ts_item(first); // expected-warning {{use of a tensor after it was freed}}
}

// An element taken out and freed; the teardown frees it again.
void taken_and_freed(const ts_tensor *x) {
  struct model m;
  if (model_fit(&m, x) != 0)
    return;
  ts_tensor *l1 = m.layers[1];
  ts_free(l1); // expected-note {{freed here}}
  model_free(&m); // expected-warning {{tensor freed or released again after it was freed}}
}

// Through a pointer parameter: an alias kept across the teardown loop.
void first_twice(struct vec *q) {
  ts_tensor *first = q->v[0];
  for (int i = 0; i < q->n; i++)
    ts_free(q->v[i]); // expected-note {{freed here}}
  ts_free(first); // expected-warning {{tensor freed or released again after it was freed}}
  free(q->v);
}

// Emptied by hand, then by the helper that leaves the count.
void hand_then_helper(void) {
  struct vec q;
  if (vec_fill(&q, 2) != 0)
    return;
  for (int i = 0; i < q.n; i++)
    ts_free(q.v[i]); // expected-note {{freed here}}
  vec_free(&q); // expected-warning {{tensor freed or released again after it was freed}}
}

// An alias of the last element read after a teardown that clears.
double last_after_destroy(void) {
  struct vec q;
  if (vec_fill(&q, 4) != 0)
    return 0;
  ts_tensor *last = q.v[3];
  vec_destroy(&q); // expected-note {{freed here}}
  return score(last); // expected-warning {{use of a tensor after it was freed}}
}

// --- Correct --------------------------------------------------------------

// Taken out: the slot is cleared before the teardown.
void taken_out(const ts_tensor *x) {
  struct model m;
  if (model_fit(&m, x) != 0)
    return;
  ts_tensor *l1 = m.layers[1];
  m.layers[1] = NULL;
  model_free(&m);
  ts_free(l1);
}

// The alias read before the teardown.
double alias_before_free(void) {
  struct vec q;
  if (vec_fill(&q, 3) != 0)
    return 0;
  ts_tensor *first = q.v[0];
  double s = score(first);
  vec_free(&q);
  return s;
}

// Emptied (count reset), then torn down.
void clear_then_free(void) {
  struct vec q;
  if (vec_fill(&q, 2) != 0)
    return;
  vec_clear(&q);
  vec_free(&q);
}

// The element freed, the vector refilled by a call, torn down.
void refilled_by_call(void) {
  struct vec q;
  if (vec_fill(&q, 2) != 0)
    return;
  ts_free(q.v[0]);
  vec_touch(&q);
  vec_free(&q);
}

// The pointer gets another array: its elements are someone else's.
void array_replaced(ts_tensor **other, int n) {
  struct vec q;
  if (vec_fill(&q, 2) != 0)
    return;
  ts_tensor **old = q.v;
  ts_free(old[0]);
  q.v = other;
  q.n = n;
  ts_free(q.v[0]);
  q.v = old;
  vec_free(&q);
}

// A copy of the struct names the same array: followed through neither.
void copied_struct(void) {
  struct vec q;
  if (vec_fill(&q, 2) != 0)
    return;
  struct vec w = q;
  ts_free(w.v[0]);
  w.v[0] = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  vec_free(&q);
}

// Freed and replaced in place before the teardown.
void replaced_in_place(void) {
  struct vec q;
  if (vec_fill(&q, 2) != 0)
    return;
  ts_free(q.v[0]);
  q.v[0] = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  vec_free(&q);
}

// Pushed: the vector has the tensor, or the push freed it.
int pushed(struct vec *q) {
  if (vec_push(q, ts_zeros(TS_SHAPE(2), TS_FLOAT32)) != 0)
    return -1;
  ts_tensor *t = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  return vec_push(q, t);
}

// Torn down twice by the helper that clears: the second frees nothing.
void destroy_twice(void) {
  struct vec q;
  if (vec_fill(&q, 2) != 0)
    return;
  vec_destroy(&q);
  vec_destroy(&q);
}
