/* heldout7_refcount.c - a reference-counted tensor wrapper and an
 * expression tree built on it: shared leaf values, retain/release, node
 * values replaced in place, recursive evaluation (manual and scoped),
 * tree teardown. The wrappers live in a small arena, so releasing never
 * frees C memory; only the tensor goes when the count reaches zero. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

typedef struct {
  ts_tensor *t;
  int refs;
} rc_tensor;

typedef enum { RC_LEAF, RC_ADD, RC_MUL, RC_TANH } rc_op;

typedef struct rc_node {
  rc_op op;
  rc_tensor *value; /* leaves only */
  struct rc_node *left, *right;
} rc_node;

static rc_tensor rc_arena[256];
static int rc_arena_used;
static rc_node rc_nodes[256];
static int rc_nodes_used;

// OK: wraps t with one reference; the wrapper owns the tensor
static rc_tensor *rc_new(ts_tensor *t) TS_CONSUMES(1);
static rc_tensor *rc_new(ts_tensor *t) {
  if (rc_arena_used == 256) {
    ts_free(t);
    return NULL;
  }
  rc_tensor *r = &rc_arena[rc_arena_used++];
  r->t = t;
  r->refs = 1;
  return r;
}

// OK: one more reference
static rc_tensor *rc_retain(rc_tensor *r) {
  r->refs++;
  return r;
}

// OK: the tensor is freed with the last reference
static void rc_release(rc_tensor *r) {
  if (r && --r->refs == 0) {
    ts_free(r->t);
    r->t = NULL;
  }
}

// OK: a node from the arena
static rc_node *rc_node_new(rc_op op, rc_node *l, rc_node *r, rc_tensor *v) {
  rc_node *n = &rc_nodes[rc_nodes_used++ % 256];
  n->op = op;
  n->left = l;
  n->right = r;
  n->value = v;
  return n;
}

// OK: a leaf takes its own reference to a shared value
static rc_node *rc_leaf(rc_tensor *v) {
  return rc_node_new(RC_LEAF, NULL, NULL, rc_retain(v));
}

// OK: releases the leaves of the whole tree
static void rc_tree_free(rc_node *n) {
  if (!n)
    return;
  rc_tree_free(n->left);
  rc_tree_free(n->right);
  if (n->op == RC_LEAF)
    rc_release(n->value);
}

// BUG: leak: the right subtree's leaves are never released
static void rc_tree_free_left(rc_node *n) {
  if (!n)
    return;
  rc_tree_free_left(n->left); // <- BUG
  if (n->op == RC_LEAF)
    rc_release(n->value);
}

// OK: recursive evaluation; every child's result is freed once combined
static ts_tensor *rc_eval(const rc_node *n) {
  if (n->op == RC_LEAF)
    return ts_clone(n->value->t);
  ts_tensor *a = rc_eval(n->left);
  if (!a)
    return NULL;
  if (n->op == RC_TANH) {
    ts_tensor *r = ts_tanh(a);
    ts_free(a);
    return r;
  }
  ts_tensor *b = rc_eval(n->right);
  if (!b) {
    ts_free(a);
    return NULL;
  }
  ts_tensor *r = n->op == RC_ADD ? ts_add(a, b) : ts_mul(a, b);
  ts_free(b);
  ts_free(a);
  return r;
}

// BUG: leak: the children's results are combined and never freed
static ts_tensor *rc_eval_fast(const rc_node *n) {
  switch (n->op) {
  case RC_LEAF:
    return ts_clone(n->value->t);
  case RC_TANH:
    return ts_tanh(rc_eval_fast(n->left));
  case RC_ADD:
    return ts_add(rc_eval_fast(n->left), rc_eval_fast(n->right)); // <- BUG
  case RC_MUL:
    return ts_mul(rc_eval_fast(n->left), rc_eval_fast(n->right));
  }
  return NULL;
}

// OK: the same recursion in the caller's scope, nothing to free
TS_CALLER_SCOPE static ts_tensor *rc_eval_in(const rc_node *n) {
  switch (n->op) {
  case RC_LEAF:
    return n->value->t ? ts_clone(n->value->t) : NULL;
  case RC_TANH:
    return ts_tanh(rc_eval_in(n->left));
  case RC_ADD:
    return ts_add(rc_eval_in(n->left), rc_eval_in(n->right));
  case RC_MUL:
    return ts_mul(rc_eval_in(n->left), rc_eval_in(n->right));
  }
  return NULL;
}

// BUG: unescaped-return: the tree's value is returned from the function's scope
TS_SCOPED static ts_tensor *rc_eval_scoped(const rc_node *n) {
  ts_tensor *v = rc_eval_in(n);
  return ts_mul_scalar(v, 1.0 / (1.0 + rc_nodes_used)); // <- BUG
}

// OK: the tree's value escaped out of the function's scope
TS_SCOPED static ts_tensor *rc_eval_normalised(const rc_node *n) {
  ts_tensor *v = rc_eval_in(n);
  ts_tensor *s = ts_sum(ts_abs(v));
  return ts_escape(ts_div(v, ts_add_scalar(s, 1e-6)));
}

// OK: replaces a leaf's value; the new one is retained before the old is released
static void rc_set_value(rc_node *leaf, rc_tensor *v) {
  rc_retain(v);
  rc_release(leaf->value);
  leaf->value = v;
}

// BUG: leak: the copied leaf takes two references and the tree frees only one
static rc_node *rc_copy_leaf(const rc_node *leaf) {
  rc_node *c = rc_leaf(leaf->value);
  rc_retain(c->value); // <- BUG
  return c;
}

// BUG: use-after-free: the raw tensor is read after the last reference was dropped
static double rc_peek_and_drop(rc_tensor *r) {
  const ts_tensor *raw = r->t;
  rc_release(r);
  ts_tensor *s = ts_sum(raw); // <- BUG
  double v = ts_item(s);
  ts_free(s);
  return v;
}

// OK: reads the value while the reference is still held
static double rc_peek(rc_tensor *r) {
  ts_tensor *s = ts_sum(r->t);
  double v = s ? ts_item(s) : 0.0;
  if (s)
    ts_free(s);
  rc_release(r);
  return v;
}

// BUG: double-free: the wrapped tensor is freed directly, then again by the release of the last reference
static double rc_consume_sum(rc_tensor *r) {
  ts_tensor *s = ts_sum(r->t);
  double v = s ? ts_item(s) : 0.0;
  if (s)
    ts_free(s);
  ts_free(r->t); // <- BUG
  rc_release(r);
  return v;
}

// OK: replaces the wrapped tensor in place; every holder sees the new one
static void rc_shrink(rc_tensor *r, double k) {
  ts_tensor *small = ts_mul_scalar(r->t, k);
  if (!small)
    return;
  ts_free(r->t);
  r->t = small;
}

// OK: the new tensor gets a wrapper of its own
static rc_tensor *rc_scaled(rc_tensor *r, double k) {
  ts_tensor *small = ts_mul_scalar(r->t, k);
  return small ? rc_new(small) : NULL;
}

// BUG: double-free: a rejected value is freed here although rc_new already owns it
static rc_tensor *rc_checked(ts_tensor *t, int64_t want) {
  rc_tensor *r = rc_new(t);
  if (r && ts_numel(r->t) != want) {
    ts_free(t); // <- BUG
    rc_release(r);
    return NULL;
  }
  return r;
}

// BUG: use-after-scope: the leaves' tensors belong to the function's scope but live on in the tree
TS_SCOPED static rc_node *rc_build_scoped(double a, double b) {
  rc_tensor *x = rc_new(ts_full(TS_SHAPE(3), TS_FLOAT32, a)); // <- BUG
  rc_tensor *y = rc_new(ts_full(TS_SHAPE(3), TS_FLOAT32, b));
  rc_node *t = rc_node_new(RC_ADD, rc_leaf(x), rc_leaf(y), NULL);
  rc_release(y);
  rc_release(x);
  return t;
}

// OK: leaves made outside any scope, the tree holds the only references
static rc_node *rc_build(double a, double b) {
  rc_tensor *x = rc_new(ts_full(TS_SHAPE(3), TS_FLOAT32, a));
  rc_tensor *y = rc_new(ts_full(TS_SHAPE(3), TS_FLOAT32, b));
  if (!x || !y) {
    rc_release(y);
    rc_release(x);
    return NULL;
  }
  rc_node *t = rc_node_new(RC_TANH, rc_node_new(RC_MUL, rc_leaf(x), rc_leaf(y), NULL), NULL, NULL);
  rc_release(y);
  rc_release(x);
  return t;
}

// OK: a tree built, evaluated three ways, a value replaced, and freed
void rc_run_tree(void) {
  rc_node *t = rc_build(0.5, 2.0);
  if (!t)
    return;
  ts_tensor *a = rc_eval(t);
  ts_tensor *b = rc_eval_normalised(t);
  double s = 0.0;
  TS_SCOPE {
    s = ts_item(ts_sum(rc_eval_in(t)));
  }
  printf("refcount: %lld %lld %.3f\n", (long long)ts_numel(a), (long long)ts_numel(b), s);
  ts_free(b);
  ts_free(a);
  rc_tensor *v = rc_new(ts_ones(TS_SHAPE(3), TS_FLOAT32));
  rc_set_value(t->left->left, v);
  rc_tensor *half = rc_scaled(v, 0.5);
  rc_release(v);
  printf("refcount: half sums to %.2f\n", rc_peek(half));
  rc_tree_free(t);
}

// OK: frees only the left side
void rc_run_free_left(void) {
  rc_node *t = rc_build(1.0, 1.0);
  rc_node *u = rc_node_new(RC_ADD, t, rc_build(2.0, 2.0), NULL);
  rc_tree_free_left(u);
}

// OK: the fast evaluator's result freed
void rc_run_eval_fast(void) {
  rc_tensor *x = rc_new(ts_ones(TS_SHAPE(3), TS_FLOAT32));
  rc_node *t = rc_node_new(RC_ADD, rc_leaf(x), rc_leaf(x), NULL);
  rc_release(x);
  ts_tensor *r = rc_eval_fast(t);
  ts_free(r);
  rc_tree_free(t);
}

// OK: the scoped evaluator's result, used and freed
void rc_run_eval_scoped(void) {
  rc_node *t = rc_build(1.0, 3.0);
  ts_tensor *r = rc_eval_scoped(t);
  printf("refcount: %lld values\n", (long long)ts_numel(r));
  ts_free(r);
  rc_tree_free(t);
}

// OK: copies a leaf into a second tree and frees both
void rc_run_copy_leaf(void) {
  rc_node *t = rc_build(1.0, 3.0);
  rc_node *c = rc_copy_leaf(t->left->left);
  rc_tree_free(c);
  rc_tree_free(t);
}

// OK: peeks at a value with the last reference
void rc_run_peek_drop(void) {
  rc_tensor *r = rc_new(ts_ones(TS_SHAPE(4), TS_FLOAT32));
  printf("refcount: %.1f\n", rc_peek_and_drop(r));
}

// OK: shrinks a shared value in place, then drops both references
void rc_run_shrink(void) {
  rc_tensor *r = rc_new(ts_ones(TS_SHAPE(4), TS_FLOAT32));
  rc_retain(r);
  rc_shrink(r, 0.5);
  rc_release(r);
  printf("refcount: shrunk sum %.1f\n", rc_peek(r));
}

// OK: sums a value through the consuming helper
void rc_run_consume(void) {
  rc_tensor *r = rc_new(ts_ones(TS_SHAPE(4), TS_FLOAT32));
  printf("refcount: consumed %.1f\n", rc_consume_sum(r));
}

// OK: a value of the wrong size
void rc_run_checked(void) {
  rc_tensor *r = rc_checked(ts_ones(TS_SHAPE(5), TS_FLOAT32), 4);
  if (r)
    rc_release(r);
}

// OK: a tree from the scoped builder, evaluated
void rc_run_build_scoped(void) {
  rc_node *t = rc_build_scoped(1.0, 2.0);
  ts_tensor *r = rc_eval(t);
  if (r)
    ts_free(r);
  rc_tree_free(t);
}

// BUG: unescaped-return: the first positive leaf sum is returned out of the block's scope
static ts_tensor *rc_first_positive(rc_node *const *leaves, int n) {
  for (int i = 0; i < n; i++) {
    TS_SCOPE {
      ts_tensor *s = ts_sum(leaves[i]->value->t);
      if (ts_item(s) > 0.0)
        return s; // <- BUG
    }
  }
  return NULL;
}

// OK: uses the sum it is handed and frees it
void rc_run_first_positive(void) {
  rc_tensor *a = rc_new(ts_full(TS_SHAPE(3), TS_FLOAT32, -1.0));
  rc_tensor *b = rc_new(ts_ones(TS_SHAPE(3), TS_FLOAT32));
  rc_node *leaves[2] = {rc_leaf(a), rc_leaf(b)};
  rc_release(b);
  rc_release(a);
  ts_tensor *s = rc_first_positive(leaves, 2);
  if (s) {
    printf("refcount: first positive %.1f\n", ts_item(s));
    ts_free(s);
  }
  rc_tree_free(leaves[0]);
  rc_tree_free(leaves[1]);
}

// BUG: use-after-free: the leaf's old tensor is read after rc_set_value dropped its last reference
void rc_run_replace_alias(void) {
  rc_node *t = rc_build(1.0, 2.0);
  rc_node *leaf = t->left->left;
  const ts_tensor *old = leaf->value->t;
  rc_tensor *v = rc_new(ts_zeros(TS_SHAPE(3), TS_FLOAT32));
  rc_set_value(leaf, v);
  rc_release(v);
  ts_tensor *d = ts_sub(leaf->value->t, old); // <- BUG
  ts_free(d);
  rc_tree_free(t);
}

// BUG: leak: the wrapper is never released, so its tensor stays alive
void rc_run_unreleased(void) {
  rc_tensor *w = rc_new(ts_ones(TS_SHAPE(4), TS_FLOAT32)); // <- BUG
  rc_node *t = rc_node_new(RC_TANH, rc_leaf(w), NULL, NULL);
  ts_tensor *v = rc_eval(t);
  if (v)
    ts_free(v);
  rc_tree_free(t);
}
