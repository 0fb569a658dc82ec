// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// Tensors in fields and elements of local structs and arrays, in structs a
// pointer parameter points to, and in structs returned by value; same-file
// helpers that free or fill the fields of *param.
#include <stdbool.h>
#include <tsmem.h>

struct pair {
  ts_tensor *lo, *hi;
};

struct outer {
  int n;
  struct pair in;
  ts_tensor *extra;
};

union either {
  ts_tensor *a;
  ts_tensor *b;
};

extern void opaque_take(struct pair *p);
extern void opaque_read(const struct pair *p);
extern bool flip(void);

// --- Helpers --------------------------------------------------------------

static void pair_drop(struct pair *p) { // frees both fields
  ts_free(p->lo);
  ts_free(p->hi);
}

static void pair_fill(struct pair *p) { // fills both fields: the caller's
  p->lo = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  p->hi = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
}

static struct pair pair_new(int n) { // returns new tensors in a struct
  struct pair r;
  r.lo = ts_randn(TS_SHAPE(n), TS_FLOAT32);
  r.hi = ts_randn(TS_SHAPE(n), TS_FLOAT32);
  return r;
}

// --- Bugs -----------------------------------------------------------------

void field_leaks_in_block(void) {
  {
    struct pair p;
    p.lo = ts_ones(TS_SHAPE(3), TS_FLOAT32); // expected-note {{tensor made here, outside any scope}}
    p.hi = ts_ones(TS_SHAPE(3), TS_FLOAT32);
    ts_free(p.hi);
  } // expected-warning {{tensor from 'ts_ones' leaks: 'p' goes out of scope before it is freed}}
}

double field_alias_freed(void) {
  ts_tensor *t = ts_ones(TS_SHAPE(3), TS_FLOAT32);
  struct pair p;
  p.hi = t;
  ts_free(p.hi); // expected-note {{freed here}}
  return ts_item(t); // expected-warning {{use of a tensor after it was freed}}
}

void element_freed_twice(void) {
  ts_tensor *ring[4];
  ring[1] = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
  ring[2] = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
  ts_free(ring[1]); // expected-note {{freed here}}
  ts_free(ring[2]);
  ts_free(ring[1]); // expected-warning {{tensor freed or released again after it was freed}}
}

void nested_field_overwritten(void) {
  struct outer o;
  o.in.lo = ts_zeros(TS_SHAPE(2), TS_FLOAT32); // expected-note {{tensor made here, outside any scope}}
  o.in.lo = ts_ones(TS_SHAPE(2), TS_FLOAT32); // expected-warning {{tensor from 'ts_zeros' leaks: 'o.in.lo' is overwritten before it is freed}}
  ts_free(o.in.lo);
}

void dropped_twice(void) {
  struct pair p = pair_new(4);
  pair_drop(&p); // expected-note {{freed here}}
  pair_drop(&p); // expected-warning {{tensor freed or released again after it was freed}}
}

double read_after_drop(void) {
  struct pair p;
  pair_fill(&p);
  pair_drop(&p); // expected-note {{freed here}}
  return ts_item(p.hi); // expected-warning {{use of a tensor after it was freed}}
}

void filled_never_dropped(void) {
  struct pair p;
  pair_fill(&p);
  ts_free(p.lo);
} // expected-warning {{tensor from 'pair_fill' leaks: 'p' goes out of scope before it is freed}}
// expected-note@-3 {{tensor made here, outside any scope}}

int returned_struct_early_exit(int n) {
  struct pair p = pair_new(n); // expected-note {{tensor made here, outside any scope}}
  ts_free(p.lo);
  if (n > 8)
    return -1; // expected-warning {{tensor from 'pair_new' leaks: 'p' goes out of scope before it is freed}}
  ts_free(p.hi);
  return 0;
}

double counted_loop_then_read(void) {
  ts_tensor *xs[3];
  for (int i = 0; i < 3; i++)
    xs[i] = ts_full(TS_SHAPE(1), TS_FLOAT32, i);
  for (int i = 0; i < 3; ++i)
    ts_free(xs[i]); // expected-note {{freed here}}
  return ts_item(xs[2]); // expected-warning {{use of a tensor after it was freed}}
}

double field_after_scope(void) {
  struct pair p;
  TS_SCOPE {
    p.lo = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  } // expected-note {{the scope ends here}}
  return ts_item(p.lo); // expected-warning {{use of a tensor after the scope that owned it ended and freed it}}
}

void param_field_freed_twice(struct outer *o) {
  ts_free(o->extra); // expected-note {{freed here}}
  ts_free(o->extra); // expected-warning {{tensor freed or released again after it was freed}}
}

// --- Correct --------------------------------------------------------------

// Made into the caller's struct: not a leak.
void init_outer(struct outer *o) {
  o->in.lo = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  o->in.hi = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  o->extra = NULL;
}

// A loop that stops one short, then the last one: each freed once.
void partial_loop_then_last(void) {
  ts_tensor *xs[4];
  for (int i = 0; i < 4; i++)
    xs[i] = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
  for (int i = 0; i < 3; i++)
    ts_free(xs[i]);
  ts_free(xs[3]);
}

// A bound the analysis cannot read: each freed once.
void unknown_bound(int n) {
  ts_tensor *xs[8];
  if (n < 1 || n > 8)
    return;
  for (int i = 0; i < n; i++)
    xs[i] = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
  for (int i = 0; i < n - 1; i++)
    ts_free(xs[i]);
  ts_free(xs[n - 1]);
}

// The struct's address goes somewhere the analysis does not follow.
static struct pair *parked;
void address_escapes(void) {
  static struct pair p;
  struct pair q;
  q.lo = ts_ones(TS_SHAPE(1), TS_FLOAT32);
  parked = &q;
  p = q;
}

// An unknown function takes the struct: what it holds is handed on.
void handed_to_unknown(void) {
  struct pair p;
  p.lo = ts_ones(TS_SHAPE(1), TS_FLOAT32);
  p.hi = ts_ones(TS_SHAPE(1), TS_FLOAT32);
  opaque_take(&p);
}

// A reader that takes it as const: still ours, freed once.
void read_then_free(void) {
  struct pair p = pair_new(2);
  opaque_read(&p);
  ts_free(p.lo);
  ts_free(p.hi);
}

// NULL on the failure edge of a field's test.
int field_null_test(void) {
  struct pair p;
  p.lo = ts_randn(TS_SHAPE(2), TS_FLOAT32);
  if (!p.lo)
    return -1;
  p.hi = ts_randn(TS_SHAPE(2), TS_FLOAT32);
  if (p.hi == NULL) {
    ts_free(p.lo);
    return -1;
  }
  pair_drop(&p);
  return 0;
}

// A copy of the struct shares its tensors: each freed once, through either.
void copy_shares(void) {
  struct pair p = pair_new(2);
  struct pair q = p;
  ts_free(q.lo);
  ts_free(p.hi);
}

// Swapping two elements through a temporary.
void swap_elements(void) {
  ts_tensor *xs[2];
  xs[0] = ts_ones(TS_SHAPE(1), TS_FLOAT32);
  xs[1] = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
  ts_tensor *tmp = xs[0];
  xs[0] = xs[1];
  xs[1] = tmp;
  ts_free(xs[0]);
  ts_free(xs[1]);
}

// Some elements freed in a counted loop, the others kept: no must-free.
void conditional_free_in_loop(bool keep[4]) {
  ts_tensor *xs[4];
  for (int i = 0; i < 4; i++)
    xs[i] = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
  for (int i = 0; i < 4; i++)
    if (!keep[i])
      ts_free(xs[i]);
  for (int i = 0; i < 4; i++)
    if (keep[i])
      ts_free(xs[i]);
}

// A union's members name the same tensor: not followed.
void union_members(void) {
  union either u;
  u.a = ts_ones(TS_SHAPE(1), TS_FLOAT32);
  ts_free(u.b);
}

// A filled struct handed back by value: the caller owns it.
struct pair fill_and_return(void) {
  struct pair p;
  pair_fill(&p);
  return p;
}

// Replacing one field after freeing its old tensor, twice over.
void replace_field(struct pair *p) {
  for (int k = 0; k < 2; k++) {
    ts_tensor *next = ts_mul_scalar(p->lo, 2.0);
    ts_free(p->lo);
    p->lo = next;
  }
}

// One branch frees at once, the other reads first.
double branch_free_field(void) {
  struct pair p = pair_new(2);
  double v = 0;
  if (flip())
    ts_free(p.lo);
  else {
    v = ts_item(p.lo);
    ts_free(p.lo);
  }
  ts_free(p.hi);
  return v;
}

// A struct passed by value: the callee gets its tensors.
extern void opaque_by_value(struct pair p);
void passed_by_value(void) {
  struct pair p = pair_new(2);
  opaque_by_value(p);
}

// A reader of the fields, on every path; and one that reads on one branch.
static double pair_sum(const struct pair *p) {
  return ts_item(p->lo) + ts_item(p->hi);
}
static double pair_maybe(const struct pair *p, bool b) {
  if (b)
    return ts_item(p->lo);
  return 0;
}

double read_through_helper_after_drop(void) {
  struct pair p = pair_new(2);
  pair_drop(&p); // expected-note {{freed here}}
  return pair_sum(&p); // expected-warning {{use of a tensor after it was freed}}
}

double maybe_read_after_drop(void) {
  struct pair p = pair_new(2);
  pair_drop(&p);
  return pair_maybe(&p, false);
}

// Initialiser lists put their tensors in the struct's fields and the
// array's elements.
void init_list_then_drop(void) {
  struct pair p = {ts_ones(TS_SHAPE(2), TS_FLOAT32),
                   ts_zeros(TS_SHAPE(2), TS_FLOAT32)};
  ts_free(p.lo); // expected-note {{freed here}}
  pair_drop(&p); // expected-warning {{tensor freed or released again after it was freed}}
}

void array_init_list_use(void) {
  ts_tensor *a = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  ts_tensor *b = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  ts_tensor *both[2] = {a, b};
  ts_free(a); // expected-note {{freed here}}
  ts_free(b);
  ts_item(both[0]); // expected-warning {{use of a tensor after it was freed}}
}

void init_list_nulls_then_fill(void) {
  struct pair q = {NULL, NULL};
  q.lo = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  q.hi = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  pair_drop(&q);
}

// A loop variable declared outside its loop names one element afterwards.
void outer_index_reused(void) {
  ts_tensor *xs[2];
  int i;
  for (i = 0; i < 2; i++)
    xs[i] = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
  i = 0;
  ts_free(xs[i]);
  ts_free(xs[1]);
}
