/* heldout8_gbdt.c - a gradient-boosted tree scorer for tabular rows: trees
 * of split nodes with leaf-value tensors, an ensemble in a calloc'd array,
 * batch scoring with margins, loss vtables (logistic, squared) and a
 * feature binning table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>

#define NFEAT 4

typedef struct {
  int feature;   /* -1: leaf */
  float split;
  int left, right;
} gb_node;

typedef struct {
  gb_node *nodes;
  int nnodes;
  ts_tensor *leaves; /* [nnodes] leaf values (0 for split nodes) */
  double shrink;
} gb_tree;

typedef struct {
  gb_tree *trees;
  int ntrees, cap;
  ts_tensor *base; /* [1] base margin */
} gb_model;

typedef struct {
  const char *name;
  ts_tensor *(*link)(const ts_tensor *margin);
  ts_tensor *(*grad)(const ts_tensor *pred, const ts_tensor *y);
} gb_loss;

// OK: logistic link, new tensor for the caller
static ts_tensor *link_logistic(const ts_tensor *m) { return ts_sigmoid(m); }

// OK: identity link as a copy so that the caller always owns the result
static ts_tensor *link_identity(const ts_tensor *m) { return ts_clone(m); }

// OK: pred - y, a new tensor
static ts_tensor *grad_residual(const ts_tensor *p, const ts_tensor *y) {
  return ts_sub(p, y);
}

// OK: the loss registry, tables of function pointers
static const gb_loss *loss_by_name(const char *name) {
  static const gb_loss logistic = {"logistic", link_logistic, grad_residual};
  static const gb_loss squared = {"squared", link_identity, grad_residual};
  return strcmp(name, "logistic") == 0 ? &logistic : &squared;
}

// OK: a depth-one stump on a feature, leaves made from a buffer
static int tree_stump(gb_tree *t, int feature, float split, float lo, float hi) {
  t->nodes = calloc(3, sizeof *t->nodes);
  if (!t->nodes)
    return -1;
  t->nnodes = 3;
  t->nodes[0] = (gb_node){feature, split, 1, 2};
  t->nodes[1] = (gb_node){-1, 0, 0, 0};
  t->nodes[2] = (gb_node){-1, 0, 0, 0};
  float v[3] = {0.0f, lo, hi};
  t->leaves = ts_from_buffer(v, TS_SHAPE(3), TS_FLOAT32);
  if (!t->leaves) {
    free(t->nodes);
    return -1;
  }
  t->shrink = 0.5;
  return 0;
}

// OK: frees the leaves and the nodes
static void tree_free(gb_tree *t) {
  if (t->leaves)
    ts_free(t->leaves);
  free(t->nodes);
  t->leaves = NULL;
  t->nodes = NULL;
}

// OK: model with a base margin; trees grown with realloc
static int model_init(gb_model *m, double base) {
  m->trees = NULL;
  m->ntrees = m->cap = 0;
  m->base = ts_full(TS_SHAPE(1), TS_FLOAT32, base);
  return m->base ? 0 : -1;
}

// OK: realloc failure leaves the tree with the caller, who frees it
static int model_add(gb_model *m, gb_tree t) {
  if (m->ntrees == m->cap) {
    int nc = m->cap ? m->cap * 2 : 2;
    gb_tree *nt = realloc(m->trees, (size_t)nc * sizeof *nt);
    if (!nt)
      return -1;
    m->trees = nt;
    m->cap = nc;
  }
  m->trees[m->ntrees++] = t;
  return 0;
}

// OK: every tree, then the base
static void model_free(gb_model *m) {
  for (int i = 0; i < m->ntrees; i++)
    tree_free(&m->trees[i]);
  free(m->trees);
  ts_free(m->base);
  m->trees = NULL;
  m->ntrees = m->cap = 0;
}

// BUG: leak: the teardown frees the trees but forgets the base margin
static void model_free_partial(gb_model *m) {
  for (int i = 0; i < m->ntrees; i++)
    tree_free(&m->trees[i]);
  free(m->trees);
  m->trees = NULL;
  m->ntrees = 0; // <- BUG
}

// OK: leaf index of a row
static int tree_leaf(const gb_tree *t, const float *row) {
  int n = 0;
  while (t->nodes[n].feature >= 0)
    n = row[t->nodes[n].feature] < t->nodes[n].split ? t->nodes[n].left
                                                      : t->nodes[n].right;
  return n;
}

// OK: the leaf value read back through a buffer
static double tree_value(const gb_tree *t, const float *row) {
  float v[16];
  if (ts_copy_to_buffer(t->leaves, v, sizeof v) != TS_OK)
    return 0.0;
  return t->shrink * v[tree_leaf(t, row)];
}

// OK: margins of n rows as one manual tensor
static ts_tensor *model_margin(const gb_model *m, const float (*rows)[NFEAT],
                               int n) {
  float out[32];
  double b = ts_item(m->base);
  for (int r = 0; r < n; r++) {
    double s = b;
    for (int i = 0; i < m->ntrees; i++)
      s += tree_value(&m->trees[i], rows[r]);
    out[r] = (float)s;
  }
  return ts_from_buffer(out, TS_SHAPE(n), TS_FLOAT32);
}

// OK: link applied in a scope, only the prediction escapes
static ts_tensor *model_predict(const gb_model *m, const gb_loss *loss,
                                const float (*rows)[NFEAT], int n) {
  ts_tensor *p;
  TS_SCOPE {
    ts_tensor *margin = model_margin(m, rows, n);
    p = ts_escape(loss->link(margin));
  }
  return p;
}

// BUG: use-after-free: the margin is freed before the link reads it
static ts_tensor *model_predict_early_free(const gb_model *m,
                                           const gb_loss *loss,
                                           const float (*rows)[NFEAT], int n) {
  ts_tensor *margin = model_margin(m, rows, n);
  ts_free(margin);
  ts_tensor *p = loss->link(margin); // <- BUG
  return p;
}

// OK: mean gradient, temporaries in the function's scope
TS_SCOPED static double mean_grad(const gb_loss *loss, const ts_tensor *pred,
                                  const ts_tensor *y) {
  ts_tensor *g = loss->grad(pred, y);
  return ts_item(ts_mean(g));
}

// BUG: leak: the gradient tensor is never freed on the happy path
static double mean_grad_manual(const gb_loss *loss, const ts_tensor *pred,
                               const ts_tensor *y) {
  ts_tensor *g = loss->grad(pred, y); // <- BUG
  ts_tensor *mu = ts_mean(g);
  double v = ts_item(mu);
  ts_free(mu);
  return v;
}

// OK: the base margin is moved by the mean gradient; the old one freed
static void boost_base(gb_model *m, double lr, double g) {
  ts_tensor *nb = ts_add_scalar(m->base, -lr * g);
  if (!nb)
    return;
  ts_free(m->base);
  m->base = nb;
}

// BUG: double-free: the new base is freed on a tiny step, then kept as the base
static void boost_base_tiny(gb_model *m, double lr, double g) {
  ts_tensor *nb = ts_add_scalar(m->base, -lr * g);
  if (lr * g < 1e-3 && lr * g > -1e-3)
    ts_free(nb);
  ts_free(m->base);
  m->base = nb;
  ts_free(m->base); // <- BUG
  m->base = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
}

// OK: binning table of NFEAT x 3 thresholds
static ts_tensor *make_bins(void) {
  const float b[NFEAT * 3] = {0, 1, 2, 0, 1, 2, 0, 1, 2, -1, 0, 1};
  return ts_from_buffer(b, TS_SHAPE(NFEAT, 3), TS_FLOAT32);
}

// OK: bins a row through a scoped comparison, the count read out
static int bin_count(const ts_tensor *bins, const float *row) {
  int c = 0;
  TS_SCOPE {
    ts_tensor *r = ts_from_buffer(row, TS_SHAPE(NFEAT, 1), TS_FLOAT32);
    ts_tensor *d = ts_sub(r, bins);
    ts_tensor *pos = ts_relu(d);
    ts_tensor *s = ts_sum(pos);
    c = (int)ts_item(s);
  }
  return c;
}

// BUG: use-after-scope: the row tensor of the scope is reused after it
static int bin_count_twice(const ts_tensor *bins, const float *row) {
  ts_tensor *r = NULL;
  int c = 0;
  TS_SCOPE {
    r = ts_from_buffer(row, TS_SHAPE(NFEAT, 1), TS_FLOAT32);
    ts_tensor *s = ts_sum(ts_relu(ts_sub(r, bins)));
    c = (int)ts_item(s);
  }
  ts_tensor *again = ts_sub(r, bins); // <- BUG
  c += (int)ts_numel(again);
  ts_free(again);
  return c;
}

// OK: builds a three-tree model, frees what model_add refused
static int build_model(gb_model *m) {
  if (model_init(m, 0.1) != 0)
    return -1;
  for (int f = 0; f < 3; f++) {
    gb_tree t;
    if (tree_stump(&t, f, 0.5f * (float)f, -0.2f, 0.3f) != 0)
      continue;
    if (model_add(m, t) != 0)
      tree_free(&t);
  }
  return 0;
}

// BUG: unescaped-return: the residual belongs to the TS_SCOPED function's scope
TS_SCOPED static ts_tensor *residuals(const gb_model *m,
                                      const float (*rows)[NFEAT],
                                      const ts_tensor *y, int n) {
  ts_tensor *margin = model_margin(m, rows, n);
  ts_tensor *p = ts_sigmoid(margin);
  ts_tensor *r = ts_sub(y, p);
  return r; // <- BUG
}

// OK: the residual escapes the helper's scope
TS_SCOPED static ts_tensor *residuals_ok(const gb_model *m,
                                         const float (*rows)[NFEAT],
                                         const ts_tensor *y, int n) {
  ts_tensor *margin = model_margin(m, rows, n);
  ts_tensor *p = ts_sigmoid(margin);
  return ts_escape(ts_sub(y, p));
}

static const float ROWS[4][NFEAT] = {
    {0.1f, 0.2f, 0.3f, 0.4f},
    {1.5f, 0.2f, 2.3f, 0.0f},
    {0.0f, 1.2f, 0.3f, -1.0f},
    {2.0f, 2.0f, 2.0f, 2.0f}};

// OK: build, predict with both losses, boost the base, free everything
void gbdt_entry_score(void) {
  gb_model m;
  float y[4] = {0, 1, 0, 1};
  if (build_model(&m) != 0)
    return;
  ts_tensor *yt = ts_from_buffer(y, TS_SHAPE(4), TS_FLOAT32);
  const gb_loss *losses[2] = {loss_by_name("logistic"), loss_by_name("squared")};
  for (int i = 0; i < 2; i++) {
    ts_tensor *p = model_predict(&m, losses[i], ROWS, 4);
    double g = mean_grad(losses[i], p, yt);
    boost_base(&m, 0.1, g);
    printf("%s %g\n", losses[i]->name, g);
    ts_free(p);
  }
  ts_tensor *r = residuals_ok(&m, ROWS, yt, 4);
  printf("%lld\n", (long long)ts_numel(r));
  ts_free(r);
  ts_free(yt);
  model_free(&m);
}

// OK: binning of each row
void gbdt_entry_bins(void) {
  ts_tensor *bins = make_bins();
  int total = 0;
  for (int r = 0; r < 4; r++)
    total += bin_count(bins, ROWS[r]);
  printf("%d\n", total);
  ts_free(bins);
}

// OK: drives the partial teardown
void gbdt_entry_partial(void) {
  gb_model m;
  if (build_model(&m) == 0)
    model_free_partial(&m);
}

// OK: drives the early-free prediction
void gbdt_entry_early(void) {
  gb_model m;
  if (build_model(&m) != 0)
    return;
  ts_tensor *p = model_predict_early_free(&m, loss_by_name("squared"), ROWS, 2);
  if (p)
    ts_free(p);
  model_free(&m);
}

// OK: drives the manual gradient mean
void gbdt_entry_grad(void) {
  gb_model m;
  if (build_model(&m) != 0)
    return;
  ts_tensor *y = ts_zeros(TS_SHAPE(4), TS_FLOAT32);
  ts_tensor *p = model_predict(&m, loss_by_name("logistic"), ROWS, 4);
  printf("%g\n", mean_grad_manual(loss_by_name("logistic"), p, y));
  ts_free(p);
  ts_free(y);
  model_free(&m);
}

// OK: drives the tiny boosting step
void gbdt_entry_tiny(void) {
  gb_model m;
  if (model_init(&m, 0.0) != 0)
    return;
  boost_base_tiny(&m, 0.01, 0.01);
  model_free(&m);
}

// OK: drives the double binning
void gbdt_entry_bins_twice(void) {
  ts_tensor *bins = make_bins();
  printf("%d\n", bin_count_twice(bins, ROWS[1]));
  ts_free(bins);
}

// OK: uses the residual returned from the scoped helper
void gbdt_entry_resid(void) {
  gb_model m;
  if (build_model(&m) != 0)
    return;
  ts_tensor *y = ts_ones(TS_SHAPE(4), TS_FLOAT32);
  ts_tensor *r = residuals(&m, ROWS, y, 4);
  ts_tensor *s = ts_sum(r);
  printf("%g\n", ts_item(s));
  ts_free(s);
  ts_free(r);
  ts_free(y);
  model_free(&m);
}

// BUG: leak: a model whose first stump fails to be added is returned early without its base
void gbdt_entry_init_fail(void) {
  gb_model m;
  gb_tree t = {0};
  if (model_init(&m, 0.5) != 0) // <- BUG
    return;
  if (tree_stump(&t, 9, 0.0f, 0.0f, 0.0f) != 0 || t.nodes[0].feature >= NFEAT) {
    tree_free(&t);
    return;
  }
  model_add(&m, t);
  model_free(&m);
}
