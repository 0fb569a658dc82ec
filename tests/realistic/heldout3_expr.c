/* heldout3_expr.c - a tiny interpreter of tensor expressions: a tree of
 * malloc'd nodes (constants own their tensors), a prefix-notation parser
 * with error recovery, recursive evaluation, constant folding,
 * simplification, per-node caches and scoped evaluation.
 * Labels: tests/realistic/README.md. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum op { OP_CONST, OP_VAR, OP_ADD, OP_MUL, OP_RELU, OP_NEG, OP_SUM };

struct node {
  enum op op;
  struct node *a, *b;
  ts_tensor *value; /* OP_CONST: owned */
  ts_tensor *cache; /* last evaluation, owned when set */
  int var;
};

struct env {
  ts_tensor *vars[2];
};

// OK: a constant node that takes ownership of t
static struct node *node_const(ts_tensor *t) {
  struct node *n = calloc(1, sizeof *n);
  if (!n) {
    ts_free(t);
    return NULL;
  }
  n->op = OP_CONST;
  n->value = t;
  return n;
}

// OK: a variable node
static struct node *node_var(int v) {
  struct node *n = calloc(1, sizeof *n);
  if (n) {
    n->op = OP_VAR;
    n->var = v;
  }
  return n;
}

static void node_free(struct node *n);

// OK: an operator node over its children (taken, freed if it fails)
static struct node *node_op(enum op op, struct node *a, struct node *b) {
  struct node *n = calloc(1, sizeof *n);
  if (!n) {
    node_free(a);
    node_free(b);
    return NULL;
  }
  n->op = op;
  n->a = a;
  n->b = b;
  return n;
}

// OK: frees a tree: constants, caches, children, nodes
static void node_free(struct node *n) {
  if (!n)
    return;
  node_free(n->a);
  node_free(n->b);
  if (n->op == OP_CONST && n->value)
    ts_free(n->value);
  if (n->cache)
    ts_free(n->cache);
  free(n);
}

// OK: evaluates a tree into a new tensor the caller owns
static ts_tensor *eval(const struct node *n, const struct env *e) {
  switch (n->op) {
  case OP_CONST:
    return ts_clone(n->value);
  case OP_VAR:
    return ts_clone(e->vars[n->var]);
  case OP_RELU:
  case OP_NEG:
  case OP_SUM: {
    ts_tensor *x = eval(n->a, e);
    ts_tensor *r = n->op == OP_RELU  ? ts_relu(x)
                   : n->op == OP_NEG ? ts_neg(x)
                                     : ts_sum(x);
    ts_free(x);
    return r;
  }
  case OP_ADD:
  case OP_MUL: {
    ts_tensor *x = eval(n->a, e);
    ts_tensor *y = eval(n->b, e);
    ts_tensor *r = n->op == OP_ADD ? ts_add(x, y) : ts_mul(x, y);
    ts_free(x);
    ts_free(y);
    return r;
  }
  }
  return NULL;
}

// OK: the environment's two variables
static void env_init(struct env *e) {
  e->vars[0] = ts_randn(TS_SHAPE(3), TS_FLOAT32);
  e->vars[1] = ts_full(TS_SHAPE(3), TS_FLOAT32, 2.0);
}

// OK: frees the variables
static void env_free(struct env *e) {
  ts_free(e->vars[0]);
  ts_free(e->vars[1]);
}

// OK: sum(relu(x * y) + 1)
static struct node *sample_tree(void) {
  struct node *xy = node_op(OP_MUL, node_var(0), node_var(1));
  struct node *r = node_op(OP_RELU, xy, NULL);
  struct node *one = node_const(ts_ones(TS_SHAPE(3), TS_FLOAT32));
  return node_op(OP_SUM, node_op(OP_ADD, r, one), NULL);
}

// OK: builds, evaluates, frees
void expr_eval(void) {
  struct env e;
  env_init(&e);
  struct node *t = sample_tree();
  ts_tensor *v = eval(t, &e);
  printf("value %.4f\n", ts_item(v));
  ts_free(v);
  node_free(t);
  env_free(&e);
}

// OK: folds operators whose children are all constants into constants
static void fold(struct node *n) {
  if (!n || n->op == OP_CONST || n->op == OP_VAR)
    return;
  fold(n->a);
  fold(n->b);
  if (n->a->op != OP_CONST || (n->b && n->b->op != OP_CONST))
    return;
  struct env none = {{NULL, NULL}};
  ts_tensor *v = eval(n, &none);
  node_free(n->a);
  node_free(n->b);
  n->a = n->b = NULL;
  n->op = OP_CONST;
  n->value = v;
}

// OK: folds (2 * 3) + x and evaluates
void expr_fold(void) {
  struct env e;
  env_init(&e);
  struct node *c =
      node_op(OP_MUL, node_const(ts_full(TS_SHAPE(3), TS_FLOAT32, 2)),
              node_const(ts_full(TS_SHAPE(3), TS_FLOAT32, 3)));
  struct node *t = node_op(OP_ADD, c, node_var(0));
  fold(t);
  ts_tensor *v = eval(t, &e);
  TS_SCOPE { printf("folded %.4f\n", ts_item(ts_sum(v))); }
  ts_free(v);
  node_free(t);
  env_free(&e);
}

// BUG: double-free: folding a negation moves the child's tensor into the
// parent without clearing the child, and freeing the child frees it
static void fold_neg(struct node *n) {
  if (n->op != OP_NEG || n->a->op != OP_CONST)
    return;
  ts_neg_(n->a->value);
  n->value = n->a->value;
  n->op = OP_CONST;
  node_free(n->a); // <- BUG
  n->a = NULL;
}

// OK: folds -(5) (the fold is wrong)
void expr_fold_neg(void) {
  struct node *t =
      node_op(OP_NEG, node_const(ts_full(TS_SHAPE(2), TS_FLOAT32, 5)), NULL);
  fold_neg(t);
  node_free(t);
}

// OK: x * 1 becomes x: the constant and the operator node go, the variable
// stays
static struct node *simplify_mul_one(struct node *n) {
  if (n->op != OP_MUL || n->b->op != OP_CONST)
    return n;
  ts_tensor *m = ts_min(n->b->value), *M = ts_max(n->b->value);
  int is_one = ts_item(m) == 1.0 && ts_item(M) == 1.0;
  ts_free(m);
  ts_free(M);
  if (!is_one)
    return n;
  struct node *keep = n->a;
  node_free(n->b);
  free(n);
  return keep;
}

// OK: simplifies and evaluates
void expr_simplify(void) {
  struct env e;
  env_init(&e);
  struct node *t = node_op(OP_MUL, node_var(1),
                           node_const(ts_ones(TS_SHAPE(3), TS_FLOAT32)));
  t = simplify_mul_one(t);
  ts_tensor *v = eval(t, &e);
  ts_free(v);
  node_free(t);
  env_free(&e);
}

// OK: evaluates with a cache on every node; the cache is the node's, the
// result borrowed
static const ts_tensor *eval_cached(struct node *n, const struct env *e) {
  if (n->cache)
    return n->cache;
  n->cache = eval(n, e);
  return n->cache;
}

// OK: drops every cache of a tree
static void clear_cache(struct node *n) {
  if (!n)
    return;
  clear_cache(n->a);
  clear_cache(n->b);
  if (n->cache) {
    ts_free(n->cache);
    n->cache = NULL;
  }
}

// OK: two cached evaluations, then the caches cleared
void expr_cache(void) {
  struct env e;
  env_init(&e);
  struct node *t = sample_tree();
  const ts_tensor *v1 = eval_cached(t, &e);
  const ts_tensor *v2 = eval_cached(t, &e);
  printf("cached %.4f %.4f\n", ts_item(v1), ts_item(v2));
  clear_cache(t);
  node_free(t);
  env_free(&e);
}

// BUG: use-after-free: the cached value is read after the caches were
// cleared
void expr_cache_stale(void) {
  struct env e;
  env_init(&e);
  struct node *t = sample_tree();
  const ts_tensor *v = eval_cached(t, &e);
  clear_cache(t);
  printf("after clear %.4f\n", ts_item(v)); // <- BUG
  node_free(t);
  env_free(&e);
}

// BUG: use-after-scope: a value evaluated inside a block is stored as the
// node's cache and read after the block
void expr_cache_scoped(void) {
  struct env e;
  env_init(&e);
  struct node *t = sample_tree();
  TS_SCOPE { t->cache = eval(t, &e); }
  printf("cache %.4f\n", ts_item(t->cache)); // <- BUG
  node_free(t);
  env_free(&e);
}

// OK: evaluation in a scoped function, the result escaped
TS_SCOPED static ts_tensor *eval_scoped(const struct node *n,
                                        const struct env *e) {
  ts_tensor *v = eval(n, e);
  ts_tensor *w = ts_mul_scalar(v, 1.0);
  return ts_escape(w);
}

// BUG: unescaped-return: the scoped evaluation of the doubled tree returns
// its tensor without ts_escape
TS_SCOPED static ts_tensor *eval_doubled(const struct node *n,
                                         const struct env *e) {
  ts_tensor *v = eval(n, e);
  return ts_add(v, v); // <- BUG
}

// OK: scoped evaluations (the doubled one's helper is wrong)
void expr_scoped(void) {
  struct env e;
  env_init(&e);
  struct node *t = sample_tree();
  ts_tensor *v = eval_scoped(t, &e);
  printf("scoped %.4f\n", ts_item(v));
  ts_free(v);
  node_free(t);
  env_free(&e);
}

// OK: the doubled value used as if escaped
void expr_doubled(void) {
  struct env e;
  env_init(&e);
  struct node *t = sample_tree();
  ts_tensor *v = eval_doubled(t, &e);
  printf("doubled %.4f\n", ts_item(v));
  ts_free(v);
  node_free(t);
  env_free(&e);
}

struct parser {
  const char *s;
};

// OK: skips blanks
static void skip(struct parser *p) {
  while (isspace((unsigned char)*p->s))
    p->s++;
}

// OK: prefix expressions: (op a [b]), x, y or a number; NULL on a syntax
// error with everything made so far freed
static struct node *parse(struct parser *p) {
  skip(p);
  if (*p->s == 'x' || *p->s == 'y') {
    int v = *p->s == 'y';
    p->s++;
    return node_var(v);
  }
  if (isdigit((unsigned char)*p->s)) {
    double d = strtod(p->s, (char **)&p->s);
    return node_const(ts_full(TS_SHAPE(3), TS_FLOAT32, d));
  }
  if (*p->s != '(')
    return NULL;
  p->s++;
  skip(p);
  char c = *p->s++;
  enum op op = c == '+'   ? OP_ADD
               : c == '*' ? OP_MUL
               : c == 'r' ? OP_RELU
               : c == '-' ? OP_NEG
                          : OP_SUM;
  struct node *a = parse(p);
  if (!a)
    return NULL;
  struct node *b = NULL;
  if (op == OP_ADD || op == OP_MUL) {
    b = parse(p);
    if (!b) {
      node_free(a);
      return NULL;
    }
  }
  skip(p);
  if (*p->s != ')') {
    node_free(a);
    node_free(b);
    return NULL;
  }
  p->s++;
  return node_op(op, a, b);
}

// OK: parses good and bad expressions; the bad ones leave nothing behind
void expr_parse(void) {
  struct env e;
  env_init(&e);
  const char *srcs[] = {"(+ x (* y 3))", "(s (r (- x)))", "(+ x 2", "(* 2 )"};
  for (int i = 0; i < 4; i++) {
    struct parser p = {srcs[i]};
    struct node *t = parse(&p);
    if (!t) {
      printf("%s: syntax error\n", srcs[i]);
      continue;
    }
    ts_tensor *v = eval(t, &e);
    TS_SCOPE { printf("%s = %.4f\n", srcs[i], ts_item(ts_sum(v))); }
    ts_free(v);
    node_free(t);
  }
  env_free(&e);
}

// BUG: leak: a number not followed by `)` in a literal form `(c N)` drops
// the constant's tensor
static struct node *parse_literal(struct parser *p) {
  skip(p);
  if (strncmp(p->s, "(c ", 3) != 0)
    return NULL;
  p->s += 3;
  double d = strtod(p->s, (char **)&p->s);
  ts_tensor *t = ts_full(TS_SHAPE(3), TS_FLOAT32, d); // <- BUG
  skip(p);
  if (*p->s != ')')
    return NULL;
  p->s++;
  return node_const(t);
}

// OK: a good and a truncated literal (the parser leaks on the latter)
void expr_parse_literal(void) {
  const char *srcs[] = {"(c 4)", "(c 7"};
  for (int i = 0; i < 2; i++) {
    struct parser p = {srcs[i]};
    struct node *n = parse_literal(&p);
    if (n)
      node_free(n);
  }
}

// OK: counts the nodes of a tree, no tensors involved
static int count_nodes(const struct node *n) {
  return n ? 1 + count_nodes(n->a) + count_nodes(n->b) : 0;
}

// OK: the sum of every constant of a tree (borrowed reads only)
static double const_total(const struct node *n) {
  if (!n)
    return 0.0;
  double s = const_total(n->a) + const_total(n->b);
  if (n->op == OP_CONST) {
    ts_tensor *t = ts_sum(n->value);
    s += ts_item(t);
    ts_free(t);
  }
  return s;
}

// OK: tree statistics
void expr_stats(void) {
  struct node *t = sample_tree();
  printf("nodes %d constants %.1f\n", count_nodes(t), const_total(t));
  node_free(t);
}

// BUG: leak: the left operand's value is dropped in this hand-inlined
// evaluation of a sum node
static double eval_add_item(const struct node *n, const struct env *e) {
  ts_tensor *x = eval(n->a, e); // <- BUG
  ts_tensor *y = eval(n->b, e);
  ts_tensor *r = ts_add(x, y);
  ts_free(y);
  ts_tensor *s = ts_sum(r);
  ts_free(r);
  double v = ts_item(s);
  ts_free(s);
  return v;
}

// OK: drives the inlined evaluation (the helper leaks)
void expr_add_item(void) {
  struct env e;
  env_init(&e);
  struct node *t = node_op(OP_ADD, node_var(0), node_var(1));
  printf("x + y = %.3f\n", eval_add_item(t, &e));
  node_free(t);
  env_free(&e);
}

// BUG: leak: the tree is evaluated and freed, but the value is dropped
void expr_value_leak(void) {
  struct env e;
  env_init(&e);
  struct node *t = sample_tree();
  ts_tensor *v = eval(t, &e); // <- BUG
  printf("evaluated %d nodes\n", count_nodes(t));
  (void)v;
  node_free(t);
  env_free(&e);
}

// BUG: double-free: the tensor handed to a constant node is also freed by
// the caller
void expr_const_owned(void) {
  ts_tensor *c = ts_full(TS_SHAPE(3), TS_FLOAT32, 1.5);
  struct node *n = node_const(c);
  printf("constants %.2f\n", const_total(n));
  ts_free(c);
  node_free(n); // <- BUG
}

// BUG: use-after-free: the environment is freed before the evaluation
void expr_env_freed(void) {
  struct env e;
  env_init(&e);
  struct node *t = node_op(OP_ADD, node_var(0), node_var(1));
  env_free(&e);
  ts_tensor *v = eval(t, &e); // <- BUG
  ts_free(v);
  node_free(t);
}

// BUG: leak: the subtree cut off by the rewrite is freed as a node shell
// only, its constant's tensor is lost
void expr_cut_subtree(void) {
  struct node *t = node_op(OP_ADD, node_var(0),
                           node_const(ts_ones(TS_SHAPE(3), TS_FLOAT32)));
  struct node *keep = t->a;
  free(t->b); // <- BUG
  free(t);
  node_free(keep);
}

// BUG: double-free: a cached value handed out is freed by the caller and
// again when the tree is freed
void expr_cache_freed_by_caller(void) {
  struct env e;
  env_init(&e);
  struct node *t = sample_tree();
  ts_tensor *v = (ts_tensor *)eval_cached(t, &e);
  printf("v %.3f\n", ts_item(v));
  ts_free(v);
  node_free(t); // <- BUG
  env_free(&e);
}
