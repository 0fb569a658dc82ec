// Precision corpus: tensors handed to structs, arrays, lists, tables,
// unions, trees and vtables, all correct.
// RUN: %clang %tsmem -Wall -Wextra -Werror -O0 %s -o %t0 %link_tsmem
// RUN: env TSMEM_STRICT=1 TSMEM_LEAK_REPORT=1 %t0 > %t0.out 2>&1
// RUN: %clang %tsmem -Wall -Wextra -Werror -O2 %s -o %t2 %link_tsmem
// RUN: env TSMEM_STRICT=1 TSMEM_LEAK_REPORT=1 %t2 > %t2.out 2>&1
// RUN: diff %t0.out %t2.out
// RUN: FileCheck %s < %t0.out
// CHECK-NOT: FAIL
// CHECK-NOT: tsmem:
// CHECK: clean_containers: all checks passed
// CHECK-NOT: tsmem:
#include "common.h"
#include <stdbool.h>
#include <string.h>

static double sum_of(const ts_tensor *t) {
  ts_tensor *s = ts_sum(t);
  double v = ts_item(s);
  ts_free(s);
  return v;
}

/* ---- a linked list that owns its tensors ---- */
struct node {
  ts_tensor *t;
  struct node *next;
};

static int list_push(struct node **head, ts_tensor *t) {
  struct node *n = malloc(sizeof *n);
  if (!n)
    return -1;
  n->t = t;
  n->next = *head;
  *head = n;
  return 0;
}

static void list_free(struct node *head) {
  while (head) {
    struct node *next = head->next;
    ts_free(head->t);
    free(head);
    head = next;
  }
}

static double list_demo(void) {
  struct node *head = NULL;
  for (int i = 0; i < 4; i++) {
    ts_tensor *t = ts_full(TS_SHAPE(2), TS_FLOAT32, i);
    if (list_push(&head, t) != 0) {
      ts_free(t);
      break;
    }
  }
  double acc = 0;
  for (struct node *n = head; n; n = n->next)
    acc += sum_of(n->t);
  list_free(head);
  return acc;
}

/* ---- a growable array of tensors (realloc) ---- */
struct vec {
  ts_tensor **items;
  size_t n, cap;
};

static bool vec_push(struct vec *v, ts_tensor *t) {
  if (v->n == v->cap) {
    size_t cap = v->cap ? v->cap * 2 : 2;
    ts_tensor **items = realloc(v->items, cap * sizeof *items);
    if (!items)
      return false;
    v->items = items;
    v->cap = cap;
  }
  v->items[v->n++] = t;
  return true;
}

static void vec_clear(struct vec *v) {
  for (size_t i = 0; i < v->n; i++)
    ts_free(v->items[i]);
  free(v->items);
  v->items = NULL;
  v->n = v->cap = 0;
}

static double vec_demo(void) {
  struct vec v = {0};
  for (int i = 0; i < 7; i++) {
    ts_tensor *t = ts_arange(0, i + 1, 1, TS_FLOAT32);
    if (!vec_push(&v, t))
      ts_free(t);
  }
  /* Replace the middle one: free the old, store the new. */
  ts_tensor *old = v.items[3];
  v.items[3] = ts_mul_scalar(old, 2);
  ts_free(old);
  double acc = 0;
  for (size_t i = 0; i < v.n; i++)
    acc += sum_of(v.items[i]);
  vec_clear(&v);
  return acc;
}

/* ---- a small open-addressing table keyed by int ---- */
#define TABLE 8
struct table {
  int keys[TABLE];
  ts_tensor *vals[TABLE];
};

static void table_put(struct table *tb, int key, ts_tensor *val) {
  int h = (unsigned)key % TABLE;
  for (int k = 0; k < TABLE; k++) {
    int s = (h + k) % TABLE;
    if (!tb->vals[s]) {
      tb->keys[s] = key;
      tb->vals[s] = val;
      return;
    }
    if (tb->keys[s] == key) {
      ts_free(tb->vals[s]);
      tb->vals[s] = val;
      return;
    }
  }
  ts_free(val); /* full: drop it */
}

static ts_tensor *table_get(const struct table *tb, int key) {
  for (int s = 0; s < TABLE; s++)
    if (tb->vals[s] && tb->keys[s] == key)
      return tb->vals[s];
  return NULL;
}

static double table_demo(void) {
  struct table tb;
  memset(&tb, 0, sizeof tb);
  for (int i = 0; i < 12; i++)
    table_put(&tb, i % 5, ts_full(TS_SHAPE(1), TS_FLOAT32, i));
  double acc = 0;
  for (int k = 0; k < 5; k++) {
    ts_tensor *v = table_get(&tb, k);
    if (v)
      acc += sum_of(v);
  }
  for (int s = 0; s < TABLE; s++)
    if (tb.vals[s])
      ts_free(tb.vals[s]);
  return acc;
}

/* ---- a union holding either a tensor or a number ---- */
struct value {
  bool is_tensor;
  union {
    ts_tensor *t;
    double d;
  } u;
};

static struct value value_of(int i) {
  struct value v;
  if (i % 2) {
    v.is_tensor = true;
    v.u.t = ts_full(TS_SHAPE(3), TS_FLOAT32, i);
  } else {
    v.is_tensor = false;
    v.u.d = i;
  }
  return v;
}

static double value_drop(struct value v) {
  if (!v.is_tensor)
    return v.u.d;
  double r = sum_of(v.u.t);
  ts_free(v.u.t);
  return r;
}

static double union_demo(void) {
  double acc = 0;
  for (int i = 0; i < 5; i++)
    acc += value_drop(value_of(i));
  return acc;
}

/* ---- a binary tree of tensors, built and freed recursively ---- */
struct tree {
  ts_tensor *t;
  struct tree *l, *r;
};

static struct tree *tree_build(int depth, double v) {
  if (depth == 0)
    return NULL;
  struct tree *n = calloc(1, sizeof *n);
  if (!n)
    return NULL;
  n->t = ts_full(TS_SHAPE(1), TS_FLOAT32, v);
  n->l = tree_build(depth - 1, v * 2);
  n->r = tree_build(depth - 1, v * 2 + 1);
  return n;
}

static double tree_sum(const struct tree *n) {
  if (!n)
    return 0;
  return sum_of(n->t) + tree_sum(n->l) + tree_sum(n->r);
}

static void tree_free(struct tree *n) {
  if (!n)
    return;
  tree_free(n->l);
  tree_free(n->r);
  ts_free(n->t);
  free(n);
}

/* ---- a vtable of layer operations ---- */
struct layer;
struct layer_ops {
  ts_tensor *(*forward)(struct layer *l, const ts_tensor *x);
  void (*destroy)(struct layer *l);
};
struct layer {
  const struct layer_ops *ops;
  ts_tensor *w;
};

static ts_tensor *scale_forward(struct layer *l, const ts_tensor *x) {
  return ts_mul(x, l->w);
}
static ts_tensor *shift_forward(struct layer *l, const ts_tensor *x) {
  return ts_add(x, l->w);
}
static void layer_destroy(struct layer *l) {
  ts_free(l->w);
  l->w = NULL;
}
static const struct layer_ops scale_ops = {scale_forward, layer_destroy};
static const struct layer_ops shift_ops = {shift_forward, layer_destroy};

static double vtable_demo(void) {
  struct layer layers[2] = {
      {&scale_ops, ts_full(TS_SHAPE(3), TS_FLOAT32, 2)},
      {&shift_ops, ts_full(TS_SHAPE(3), TS_FLOAT32, 1)},
  };
  ts_tensor *x = ts_ones(TS_SHAPE(3), TS_FLOAT32);
  for (int i = 0; i < 2; i++) {
    ts_tensor *y = layers[i].ops->forward(&layers[i], x);
    ts_free(x);
    x = y;
  }
  double r = sum_of(x);
  ts_free(x);
  for (int i = 0; i < 2; i++)
    layers[i].ops->destroy(&layers[i]);
  return r;
}

/* ---- memcpy of a struct holding tensors; arrays of structs ---- */
struct pair {
  ts_tensor *a, *b;
};

static double memcpy_demo(void) {
  struct pair p = {ts_ones(TS_SHAPE(2), TS_FLOAT32),
                   ts_zeros(TS_SHAPE(2), TS_FLOAT32)};
  struct pair q;
  memcpy(&q, &p, sizeof q); /* q now names the same tensors */
  double r = sum_of(q.a) + sum_of(q.b);
  ts_free(q.a);
  ts_free(q.b);
  return r;
}

static double array_of_structs(void) {
  struct pair ps[3];
  for (int i = 0; i < 3; i++) {
    ps[i].a = ts_full(TS_SHAPE(2), TS_FLOAT32, i);
    ps[i].b = ts_add_scalar(ps[i].a, 1);
  }
  double r = 0;
  for (int i = 0; i < 3; i++)
    r += sum_of(ps[i].b) - sum_of(ps[i].a);
  for (int i = 2; i >= 0; i--) {
    ts_free(ps[i].b);
    ts_free(ps[i].a);
  }
  return r;
}

/* ---- swapping two pointers; aliasing through ts_tensor ** ---- */
static void swap(ts_tensor **a, ts_tensor **b) {
  ts_tensor *t = *a;
  *a = *b;
  *b = t;
}

static void replace_with_double(ts_tensor **slot) {
  ts_tensor *n = ts_mul_scalar(*slot, 2);
  ts_free(*slot);
  *slot = n;
}

static double swap_demo(void) {
  ts_tensor *x = ts_full(TS_SHAPE(2), TS_FLOAT32, 1);
  ts_tensor *y = ts_full(TS_SHAPE(2), TS_FLOAT32, 5);
  swap(&x, &y);
  replace_with_double(&x);
  ts_tensor **pp = &y;
  replace_with_double(pp);
  double r = sum_of(x) * 100 + sum_of(y);
  ts_free(x);
  ts_free(y);
  return r;
}

/* ---- conditional ownership with a flag ---- */
struct maybe_owned {
  ts_tensor *t;
  bool owned;
};

static struct maybe_owned borrow_or_make(ts_tensor *given, int n) {
  struct maybe_owned m;
  if (given) {
    m.t = given;
    m.owned = false;
  } else {
    m.t = ts_zeros(TS_SHAPE(n), TS_FLOAT32);
    m.owned = true;
  }
  return m;
}

static double flag_demo(ts_tensor *given) {
  struct maybe_owned m = borrow_or_make(given, 4);
  double r = (double)ts_numel(m.t);
  if (m.owned)
    ts_free(m.t);
  return r;
}

static double flag_local(int make) {
  ts_tensor *shared = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  bool owned = false;
  ts_tensor *t = shared;
  if (make) {
    t = ts_mul_scalar(shared, 3);
    owned = true;
  }
  double r = sum_of(t);
  if (owned)
    ts_free(t);
  ts_free(shared);
  return r;
}

/* ---- pointer comparisons between handles ---- */
static double compare_demo(void) {
  ts_tensor *a = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  ts_tensor *b = a;
  ts_tensor *c = ts_relu(a);
  double r = (a == b) + (a != c) * 10;
  if (c != a)
    ts_free(c);
  ts_free(b);
  return r;
}

/* ---- tensors through void * ---- */
static void drop_any(void *p) { ts_free((ts_tensor *)p); }

static double void_demo(void) {
  void *slots[2];
  slots[0] = ts_ones(TS_SHAPE(3), TS_FLOAT32);
  slots[1] = (void *)ts_zeros(TS_SHAPE(3), TS_FLOAT32);
  double r = sum_of((const ts_tensor *)slots[0]) + sum_of(slots[1]);
  for (int i = 0; i < 2; i++)
    drop_any(slots[i]);
  return r;
}

int main(void) {
  size_t base = pc_live();
  V("list %.1f", list_demo());
  V("vec %.1f", vec_demo());
  V("table %.1f", table_demo());
  V("union %.1f", union_demo());
  struct tree *t = tree_build(4, 1);
  V("tree %.1f", tree_sum(t));
  tree_free(t);
  V("vtable %.1f", vtable_demo());
  V("memcpy %.1f", memcpy_demo());
  V("array_of_structs %.1f", array_of_structs());
  V("swap %.1f", swap_demo());
  ts_tensor *g = ts_ones(TS_SHAPE(7), TS_FLOAT32);
  V("flag %.1f %.1f", flag_demo(g), flag_demo(NULL));
  ts_free(g);
  V("flag_local %.1f %.1f", flag_local(0), flag_local(1));
  V("compare %.1f", compare_demo());
  V("void %.1f", void_demo());
  EXPECT(pc_live() == base);
  return pc_done("clean_containers");
}
