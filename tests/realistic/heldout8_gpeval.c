/* heldout8_gpeval.c - a genetic-programming evaluator: expression trees over
 * a batch of inputs, evaluated recursively into tensors; constant nodes
 * cache their tensor; a population in a heap array, fitness by MSE,
 * tournament selection and subtree mutation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define BATCH 8

typedef enum { N_X, N_CONST, N_ADD, N_MUL, N_SUB, N_TANH } node_kind;

typedef struct node {
  node_kind kind;
  double value;
  ts_tensor *cached; /* N_CONST: [BATCH] filled with value, owned by the node */
  struct node *a, *b;
} node;

typedef struct {
  node *root;
  double fitness;
} indiv;

// OK: a node; constants make their cached tensor lazily
static node *mk(node_kind k, double v, node *a, node *b) {
  node *n = calloc(1, sizeof *n);
  if (!n)
    return NULL;
  n->kind = k;
  n->value = v;
  n->a = a;
  n->b = b;
  return n;
}

// OK: frees a tree and the constants' caches
static void tree_free(node *n) {
  if (!n)
    return;
  tree_free(n->a);
  tree_free(n->b);
  if (n->cached)
    ts_free(n->cached);
  free(n);
}

// OK: deep copy; the copy's cache starts empty
static node *tree_copy(const node *n) {
  if (!n)
    return NULL;
  node *c = mk(n->kind, n->value, tree_copy(n->a), tree_copy(n->b));
  return c;
}

// BUG: double-free: the shallow copy shares the cached tensor with the original
static node *tree_copy_shallow_cache(const node *n) {
  if (!n)
    return NULL;
  node *c = mk(n->kind, n->value, tree_copy_shallow_cache(n->a),
               tree_copy_shallow_cache(n->b));
  if (c)
    c->cached = n->cached; // <- BUG
  return c;
}

// OK: recursive evaluation; the result is new, children freed after use
static ts_tensor *eval(node *n, const ts_tensor *x) {
  switch (n->kind) {
  case N_X:
    return ts_clone(x);
  case N_CONST:
    if (!n->cached) /* the cache outlives whatever scope evaluates it */
      n->cached = ts_keep(ts_full(TS_SHAPE(BATCH), TS_FLOAT32, n->value));
    return n->cached ? ts_clone(n->cached) : NULL;
  case N_TANH: {
    ts_tensor *a = eval(n->a, x);
    if (!a)
      return NULL;
    ts_tensor *r = ts_tanh(a);
    ts_free(a);
    return r;
  }
  default: {
    ts_tensor *a = eval(n->a, x);
    if (!a)
      return NULL;
    ts_tensor *b = eval(n->b, x);
    if (!b) {
      ts_free(a);
      return NULL;
    }
    ts_tensor *r = n->kind == N_ADD   ? ts_add(a, b)
                   : n->kind == N_MUL ? ts_mul(a, b)
                                      : ts_sub(a, b);
    ts_free(a);
    ts_free(b);
    return r;
  }
  }
}

// BUG: leak: a binary node with a missing right child returns NULL and loses the left value
static ts_tensor *eval_lenient(node *n, const ts_tensor *x) {
  if (n->kind == N_X)
    return ts_clone(x);
  if (n->kind == N_CONST)
    return ts_full(TS_SHAPE(BATCH), TS_FLOAT32, n->value);
  ts_tensor *a = eval_lenient(n->a, x); // <- BUG
  if (!n->b) {
    if (n->kind != N_TANH)
      return NULL;
    ts_tensor *r = ts_tanh(a);
    ts_free(a);
    return r;
  }
  ts_tensor *b = eval_lenient(n->b, x);
  ts_tensor *r = ts_add(a, b);
  ts_free(a);
  ts_free(b);
  return r;
}

// OK: evaluation in one scope, the caller gets an escaped result
static ts_tensor *eval_scoped(node *n, const ts_tensor *x) {
  ts_tensor *r;
  TS_SCOPE {
    ts_tensor *t = eval(n, x);
    r = t ? ts_escape(ts_clamp(t, -1e3, 1e3)) : NULL;
  }
  return r;
}

// BUG: unescaped-return: the clamped result stays in the TS_SCOPED function's scope
TS_SCOPED static ts_tensor *eval_clamped(node *n, const ts_tensor *x) {
  ts_tensor *t = eval(n, x);
  ts_tensor *c = ts_clamp(t, -10.0, 10.0);
  ts_free(t);
  return c; // <- BUG
}

// OK: fitness as MSE against the target; temporaries in a guard scope
static double fitness(node *n, const ts_tensor *x, const ts_tensor *y) {
  TS_SCOPE_GUARD();
  ts_tensor *p = eval(n, x);
  if (!p)
    return 1e30;
  return ts_item(ts_mse_loss(p, y));
}

// BUG: use-after-free: the prediction is freed and then scored
static double fitness_manual(node *n, const ts_tensor *x, const ts_tensor *y) {
  ts_tensor *p = eval(n, x);
  if (!p)
    return 1e30;
  ts_free(p);
  ts_tensor *l = ts_mse_loss(p, y); // <- BUG
  double v = ts_item(l);
  ts_free(l);
  return v;
}

// OK: random tree of the given depth
static node *random_tree(int depth, unsigned *seed) {
  *seed = *seed * 1103515245u + 12345u;
  unsigned r = (*seed >> 16) % 5;
  if (depth == 0 || r == 0)
    return (r & 1) ? mk(N_X, 0, NULL, NULL) : mk(N_CONST, (r % 3) * 0.5, NULL, NULL);
  if (r == 4)
    return mk(N_TANH, 0, random_tree(depth - 1, seed), NULL);
  return mk((node_kind)(N_ADD + (r - 1) % 3), 0, random_tree(depth - 1, seed),
            random_tree(depth - 1, seed));
}

// OK: subtree mutation: the replaced subtree and its caches freed
static void mutate(node *n, unsigned *seed) {
  if (!n->a) {
    n->value += 0.25;
    if (n->cached) {
      ts_free(n->cached);
      n->cached = NULL;
    }
    return;
  }
  tree_free(n->a);
  n->a = random_tree(1, seed);
}

// BUG: use-after-free: mutation frees the cache but leaves the handle, and the next eval clones it
static void mutate_const(node *n) {
  if (n->kind == N_CONST && n->cached) {
    n->value *= 2.0;
    ts_free(n->cached); // <- BUG
  }
}

// OK: population evaluated and sorted by fitness
static void pop_eval(indiv *pop, int n, const ts_tensor *x, const ts_tensor *y) {
  for (int i = 0; i < n; i++)
    pop[i].fitness = fitness(pop[i].root, x, y);
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0 && pop[j].fitness < pop[j - 1].fitness; j--) {
      indiv t = pop[j];
      pop[j] = pop[j - 1];
      pop[j - 1] = t;
    }
}

// OK: replaces the worse half with mutated copies of the better half
static void generation(indiv *pop, int n, unsigned *seed) {
  for (int i = n / 2; i < n; i++) {
    tree_free(pop[i].root);
    pop[i].root = tree_copy(pop[i - n / 2].root);
    if (pop[i].root)
      mutate(pop[i].root, seed);
  }
}

// BUG: double-free: the replaced tree's cache is freed by hand and again by tree_free
static void generation_unsafe(indiv *pop, int n) {
  for (int i = n / 2; i < n; i++) {
    node *old = pop[i].root;
    pop[i].root = tree_copy(pop[i - n / 2].root);
    if (old->cached)
      ts_free(old->cached);
    tree_free(old); // <- BUG
  }
}

// OK: frees the population
static void pop_free(indiv *pop, int n) {
  for (int i = 0; i < n; i++)
    tree_free(pop[i].root);
  free(pop);
}

// OK: inputs and target y = x*x + 0.5
static int make_data(ts_tensor **x, ts_tensor **y) {
  *x = ts_arange(-1.0, 1.0, 0.25, TS_FLOAT32);
  if (!*x)
    return -1;
  ts_tensor *sq = ts_mul(*x, *x);
  *y = sq ? ts_add_scalar(sq, 0.5) : NULL;
  if (sq)
    ts_free(sq);
  if (!*y) {
    ts_free(*x);
    return -1;
  }
  return 0;
}

// BUG: use-after-scope: the best prediction is made in a scope and printed after it
static void report_best(indiv *pop, const ts_tensor *x) {
  ts_tensor *p = NULL;
  TS_SCOPE { p = eval(pop[0].root, x); }
  ts_tensor *m = ts_mean(p); // <- BUG
  printf("%g\n", ts_item(m));
  ts_free(m);
}

// OK: a few generations of evolution
void gp_entry_evolve(void) {
  ts_tensor *x, *y;
  unsigned seed = 7;
  if (make_data(&x, &y) != 0)
    return;
  int n = 6;
  indiv *pop = calloc((size_t)n, sizeof *pop);
  if (!pop) {
    ts_free(x);
    ts_free(y);
    return;
  }
  for (int i = 0; i < n; i++)
    pop[i].root = random_tree(3, &seed);
  for (int g = 0; g < 3; g++) {
    pop_eval(pop, n, x, y);
    generation(pop, n, &seed);
  }
  pop_eval(pop, n, x, y);
  ts_tensor *best = eval_scoped(pop[0].root, x);
  printf("%g %lld\n", pop[0].fitness, (long long)(best ? ts_numel(best) : 0));
  if (best)
    ts_free(best);
  pop_free(pop, n);
  ts_free(x);
  ts_free(y);
}

// OK: drives the shallow copy of a cached constant
void gp_entry_shallow(void) {
  ts_tensor *x, *y;
  if (make_data(&x, &y) != 0)
    return;
  node *t = mk(N_ADD, 0, mk(N_CONST, 1.0, NULL, NULL), mk(N_X, 0, NULL, NULL));
  printf("%g\n", fitness(t, x, y));
  node *c = tree_copy_shallow_cache(t);
  tree_free(t);
  tree_free(c);
  ts_free(x);
  ts_free(y);
}

// OK: drives the lenient evaluator on a unary node
void gp_entry_lenient(void) {
  ts_tensor *x, *y;
  if (make_data(&x, &y) != 0)
    return;
  node *t = mk(N_MUL, 0, mk(N_X, 0, NULL, NULL), NULL);
  ts_tensor *r = eval_lenient(t, x);
  if (r)
    ts_free(r);
  tree_free(t);
  ts_free(x);
  ts_free(y);
}

// OK: uses the clamped result
void gp_entry_clamped(void) {
  ts_tensor *x, *y;
  if (make_data(&x, &y) != 0)
    return;
  node *t = mk(N_X, 0, NULL, NULL);
  ts_tensor *c = eval_clamped(t, x);
  ts_tensor *l = ts_mse_loss(c, y);
  printf("%g\n", ts_item(l));
  ts_free(l);
  ts_free(c);
  tree_free(t);
  ts_free(x);
  ts_free(y);
}

// OK: drives the manual fitness
void gp_entry_fit_manual(void) {
  ts_tensor *x, *y;
  if (make_data(&x, &y) != 0)
    return;
  node *t = mk(N_X, 0, NULL, NULL);
  printf("%g\n", fitness_manual(t, x, y));
  tree_free(t);
  ts_free(x);
  ts_free(y);
}

// OK: drives the constant mutation, then evaluates again
void gp_entry_mutate_const(void) {
  ts_tensor *x, *y;
  if (make_data(&x, &y) != 0)
    return;
  node *t = mk(N_CONST, 1.0, NULL, NULL);
  printf("%g\n", fitness(t, x, y));
  mutate_const(t);
  printf("%g\n", fitness(t, x, y));
  tree_free(t);
  ts_free(x);
  ts_free(y);
}

// OK: drives the unsafe generation over cached constants
void gp_entry_unsafe(void) {
  indiv *pop = calloc(2, sizeof *pop);
  if (!pop)
    return;
  pop[0].root = mk(N_CONST, 1.0, NULL, NULL);
  pop[1].root = mk(N_CONST, 0.0, NULL, NULL);
  ts_tensor *x, *y;
  if (make_data(&x, &y) == 0) {
    pop_eval(pop, 2, x, y);
    ts_free(x);
    ts_free(y);
  }
  generation_unsafe(pop, 2);
  pop_free(pop, 2);
}

// OK: drives the report after the scope
void gp_entry_report(void) {
  ts_tensor *x, *y;
  indiv pop[1];
  if (make_data(&x, &y) != 0)
    return;
  pop[0].root = mk(N_X, 0, NULL, NULL);
  report_best(pop, x);
  tree_free(pop[0].root);
  ts_free(x);
  ts_free(y);
}

// BUG: leak: the data pair is not freed when the tree cannot be built
void gp_entry_no_tree(void) {
  ts_tensor *x, *y;
  unsigned seed = 1;
  if (make_data(&x, &y) != 0) // <- BUG
    return;
  node *t = random_tree(0, &seed);
  if (!t || t->kind != N_ADD) {
    tree_free(t);
    return;
  }
  printf("%g\n", fitness(t, x, y));
  tree_free(t);
  ts_free(x);
  ts_free(y);
}
