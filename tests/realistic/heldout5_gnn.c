/* heldout5_gnn.c - a graph neural network with mean-aggregation message
 * passing over an adjacency list: node features in a heap-allocated graph,
 * neighbour gathers with index_select, two GraphSAGE-style layers with
 * their weights in an array, a readout, per-node embeddings cached in the
 * graph and a training step through autograd.
 * Labels: tests/realistic/README.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { NODES = 6, FEAT = 4, HIDDEN = 8, LAYERS = 2, MAXDEG = 4 };

struct graph {
  int n;
  int deg[NODES];
  int64_t nbr[NODES][MAXDEG];
  ts_tensor *x;     /* [n, FEAT], owned */
  ts_tensor *embed; /* [n, HIDDEN] or NULL, owned */
};

struct sage {
  ts_tensor *w_self[LAYERS], *w_nbr[LAYERS]; /* owned */
  int in[LAYERS], out[LAYERS];
};

// OK: a ring graph with one chord; the features are owned by the graph
static struct graph *graph_new(void) {
  struct graph *g = calloc(1, sizeof *g);
  if (!g)
    return NULL;
  g->n = NODES;
  for (int i = 0; i < NODES; i++) {
    g->deg[i] = 2;
    g->nbr[i][0] = (i + 1) % NODES;
    g->nbr[i][1] = (i + NODES - 1) % NODES;
  }
  g->nbr[0][g->deg[0]++] = 3;
  g->nbr[3][g->deg[3]++] = 0;
  g->x = ts_randn(TS_SHAPE(NODES, FEAT), TS_FLOAT32);
  if (!g->x) {
    free(g);
    return NULL;
  }
  return g;
}

// OK: frees the features, the cached embedding if any, and the graph
static void graph_free(struct graph *g) {
  if (!g)
    return;
  ts_free(g->x);
  if (g->embed)
    ts_free(g->embed);
  free(g);
}

// BUG: leak: the cached embedding is not freed with the graph
static void graph_free_partial(struct graph *g) {
  ts_free(g->x);
  free(g); // <- BUG
}

// OK: weights per layer; on failure every made weight is freed
static int sage_init(struct sage *m) {
  int dims[LAYERS + 1] = {FEAT, HIDDEN, HIDDEN};
  memset(m, 0, sizeof *m);
  for (int l = 0; l < LAYERS; l++) {
    m->in[l] = dims[l];
    m->out[l] = dims[l + 1];
    m->w_self[l] = ts_randn(TS_SHAPE(dims[l], dims[l + 1]), TS_FLOAT32);
    m->w_nbr[l] = ts_randn(TS_SHAPE(dims[l], dims[l + 1]), TS_FLOAT32);
    if (!m->w_self[l] || !m->w_nbr[l])
      goto fail;
  }
  return 0;
fail:
  for (int l = 0; l < LAYERS; l++) {
    if (m->w_self[l])
      ts_free(m->w_self[l]);
    if (m->w_nbr[l])
      ts_free(m->w_nbr[l]);
  }
  return -1;
}

// OK: frees each layer's two weights
static void sage_free(struct sage *m) {
  for (int l = 0; l < LAYERS; l++) {
    ts_free(m->w_self[l]);
    ts_free(m->w_nbr[l]);
  }
}

// BUG: double-free: the teardown loop frees the neighbour weight of layer 0
// twice
static void sage_free_bad(struct sage *m) {
  for (int l = 0; l < LAYERS; l++) {
    ts_free(m->w_self[l]);
    ts_free(m->w_nbr[l]);
  }
  ts_free(m->w_nbr[0]); // <- BUG
}

// OK: the mean of a node's neighbours; index and gathered rows freed
static ts_tensor *neighbour_mean(const ts_tensor *h, const struct graph *g,
                                 int v) {
  ts_tensor *idx = ts_from_buffer(g->nbr[v], TS_SHAPE(g->deg[v]), TS_INT64);
  ts_tensor *rows = ts_index_select(h, 0, idx);
  ts_free(idx);
  ts_tensor *m = ts_mean_dim(rows, TS_SHAPE(0), false, TS_FLOAT32);
  ts_free(rows);
  return m;
}

// BUG: leak: the gathered neighbour rows are not freed
static ts_tensor *neighbour_sum(const ts_tensor *h, const struct graph *g,
                                int v) {
  ts_tensor *idx = ts_from_buffer(g->nbr[v], TS_SHAPE(g->deg[v]), TS_INT64);
  ts_tensor *rows = ts_index_select(h, 0, idx); // <- BUG
  ts_free(idx);
  return ts_sum_dim_IntList(rows, TS_SHAPE(0), false, TS_FLOAT32);
}

// OK: all nodes' neighbour means stacked into [n, d]
static ts_tensor *aggregate(const ts_tensor *h, const struct graph *g) {
  ts_tensor *rows[NODES];
  for (int v = 0; v < g->n; v++)
    rows[v] = neighbour_mean(h, g, v);
  ts_tensor *agg = ts_stack((const ts_tensor *const *)rows, g->n, 0);
  for (int v = 0; v < g->n; v++)
    ts_free(rows[v]);
  return agg;
}

// OK: one layer in the caller's scope: relu(h Ws + agg(h) Wn)
TS_CALLER_SCOPE static ts_tensor *sage_layer(const struct sage *m, int l,
                                             const ts_tensor *h,
                                             const struct graph *g) {
  ts_tensor *agg = aggregate(h, g);
  return ts_relu(
      ts_add(ts_matmul(h, m->w_self[l]), ts_matmul(agg, m->w_nbr[l])));
}

// OK: both layers in the function's scope; the embedding escaped
TS_SCOPED static ts_tensor *sage_forward(const struct sage *m,
                                         const struct graph *g) {
  const ts_tensor *h = g->x;
  for (int l = 0; l < LAYERS; l++)
    h = sage_layer(m, l, h, g);
  return ts_escape((ts_tensor *)h);
}

// BUG: unescaped-return: the last layer's output is left to the function's
// scope
TS_SCOPED static ts_tensor *sage_forward_first(const struct sage *m,
                                               const struct graph *g) {
  ts_tensor *h = sage_layer(m, 0, g->x, g);
  return h; // <- BUG
}

// OK: caches the embedding in the graph; the previous cache is freed
static void graph_cache_embed(struct graph *g, const struct sage *m) {
  ts_tensor *e = sage_forward(m, g);
  if (g->embed)
    ts_free(g->embed);
  g->embed = e;
}

// BUG: use-after-free: the old embedding is freed and then compared against
static double graph_recache_drift(struct graph *g, const struct sage *m) {
  ts_tensor *old = g->embed;
  graph_cache_embed(g, m);
  ts_tensor *d = ts_sub(g->embed, old); // <- BUG
  ts_tensor *s = ts_sum(d);
  double v = ts_item(s);
  ts_free(s);
  ts_free(d);
  return v;
}

// OK: the drift is measured against a clone taken before the recache
static double graph_recache_drift_ok(struct graph *g, const struct sage *m) {
  ts_tensor *old = g->embed ? ts_clone(g->embed) : NULL;
  graph_cache_embed(g, m);
  if (!old)
    return 0;
  double v;
  TS_SCOPE { v = ts_item(ts_sum(ts_abs(ts_sub(g->embed, old)))); }
  ts_free(old);
  return v;
}

// OK: graph-level readout (mean of node embeddings) as a double
TS_SCOPED static double readout(const ts_tensor *embed) {
  return ts_item(ts_mean(embed));
}

// OK: one training step: loss, backward, SGD on every weight, gradients zeroed
static double train_step(struct sage *m, const struct graph *g, double lr) {
  double l;
  TS_SCOPE {
    ts_tensor *e = sage_forward(m, g);
    ts_tensor *loss = ts_mean(ts_mul(e, e));
    l = ts_item(loss);
    ts_backward(loss);
    for (int k = 0; k < LAYERS; k++) {
      ts_sgd_step(m->w_self[k], lr);
      ts_sgd_step(m->w_nbr[k], lr);
      ts_zero_grad(m->w_self[k]);
      ts_zero_grad(m->w_nbr[k]);
    }
  }
  return l;
}

// OK: every weight requires a gradient
static void sage_train_mode(struct sage *m) {
  for (int l = 0; l < LAYERS; l++) {
    ts_requires_grad(m->w_self[l], true);
    ts_requires_grad(m->w_nbr[l], true);
  }
}

// OK: node classification scores; the caller owns the returned logits
static ts_tensor *node_logits(const ts_tensor *embed, const ts_tensor *head) {
  ts_tensor *z = ts_matmul(embed, head);
  ts_tensor *out = ts_log_softmax(z, 1);
  ts_free(z);
  return out;
}

// BUG: double-free: the logits are freed once no longer needed and again in the
// cleanup
static double node_nll(const ts_tensor *embed, const ts_tensor *head,
                       const int64_t *labels) {
  ts_tensor *lp = node_logits(embed, head);
  ts_tensor *y = ts_from_buffer(labels, TS_SHAPE(NODES), TS_INT64);
  ts_tensor *loss = ts_nll_loss(lp, y, NULL, 1, -100);
  ts_free(lp);
  double v = ts_item(loss);
  ts_free(loss);
  ts_free(y);
  ts_free(lp); // <- BUG
  return v;
}

// OK: the same loss with the logits freed exactly once on each path
static double node_nll_ok(const ts_tensor *embed, const ts_tensor *head,
                          const int64_t *labels) {
  ts_tensor *lp = node_logits(embed, head);
  ts_tensor *y = ts_from_buffer(labels, TS_SHAPE(NODES), TS_INT64);
  ts_tensor *loss = ts_nll_loss(lp, y, NULL, 1, -100);
  ts_free(lp);
  ts_free(y);
  double v = ts_item(loss);
  ts_free(loss);
  return v;
}

// OK: trains a few steps and reads out; graph and model torn down
void gnn5_train(void) {
  struct graph *g = graph_new();
  struct sage m;
  if (!g)
    return;
  if (sage_init(&m) != 0) {
    graph_free(g);
    return;
  }
  sage_train_mode(&m);
  for (int it = 0; it < 3; it++)
    printf("step %d loss %.4f\n", it, train_step(&m, g, 0.01));
  graph_cache_embed(g, &m);
  printf("readout %.4f\n", readout(g->embed));
  sage_free(&m);
  graph_free(g);
}

// OK: drives graph_free_partial on a graph with a cached embedding
void gnn5_free_partial(void) {
  struct graph *g = graph_new();
  struct sage m;
  sage_init(&m);
  graph_cache_embed(g, &m);
  sage_free(&m);
  graph_free_partial(g);
}

// OK: drives sage_free_bad
void gnn5_free_bad(void) {
  struct sage m;
  if (sage_init(&m) == 0)
    sage_free_bad(&m);
}

// OK: drives neighbour_sum
void gnn5_nsum(void) {
  struct graph *g = graph_new();
  ts_tensor *s = neighbour_sum(g->x, g, 0);
  printf("nsum %lld\n", (long long)ts_numel(s));
  ts_free(s);
  graph_free(g);
}

// OK: uses and frees sage_forward_first's result
void gnn5_first(void) {
  struct graph *g = graph_new();
  struct sage m;
  sage_init(&m);
  ts_tensor *h = sage_forward_first(&m, g);
  printf("h %lld\n", (long long)ts_numel(h));
  ts_free(h);
  sage_free(&m);
  graph_free(g);
}

// OK: drives graph_recache_drift after a first cache
void gnn5_drift(void) {
  struct graph *g = graph_new();
  struct sage m;
  sage_init(&m);
  graph_cache_embed(g, &m);
  printf("drift %.4f\n", graph_recache_drift(g, &m));
  sage_free(&m);
  graph_free(g);
}

// OK: the clone-based drift, twice; the cache freed with the graph
void gnn5_drift_ok(void) {
  struct graph *g = graph_new();
  struct sage m;
  sage_init(&m);
  printf("drift %.4f\n", graph_recache_drift_ok(g, &m));
  printf("drift %.4f\n", graph_recache_drift_ok(g, &m));
  sage_free(&m);
  graph_free(g);
}

// OK: node classification loss, correct version
void gnn5_nll(void) {
  static const int64_t labels[NODES] = {0, 1, 0, 1, 0, 1};
  struct graph *g = graph_new();
  struct sage m;
  sage_init(&m);
  graph_cache_embed(g, &m);
  ts_tensor *head = ts_randn(TS_SHAPE(HIDDEN, 2), TS_FLOAT32);
  printf("nll %.4f\n", node_nll_ok(g->embed, head, labels));
  ts_free(head);
  sage_free(&m);
  graph_free(g);
}

// OK: drives node_nll
void gnn5_nll_bad(void) {
  static const int64_t labels[NODES] = {1, 1, 0, 0, 1, 0};
  struct graph *g = graph_new();
  struct sage m;
  sage_init(&m);
  graph_cache_embed(g, &m);
  ts_tensor *head = ts_randn(TS_SHAPE(HIDDEN, 2), TS_FLOAT32);
  printf("nll %.4f\n", node_nll(g->embed, head, labels));
  ts_free(head);
  sage_free(&m);
  graph_free(g);
}

// BUG: use-after-scope: the last layer's output is read after the scope that
// made it
void gnn5_layer_outputs(void) {
  struct graph *g = graph_new();
  struct sage m;
  sage_init(&m);
  ts_tensor *last;
  TS_SCOPE {
    const ts_tensor *h = g->x;
    for (int l = 0; l < LAYERS; l++)
      h = sage_layer(&m, l, h, g);
    last = (ts_tensor *)h;
  }
  printf("last layer size %lld\n", (long long)ts_numel(last)); // <- BUG
  sage_free(&m);
  graph_free(g);
}

// OK: per-layer outputs made in one scope around the loop and read inside it
void gnn5_layer_outputs_ok(void) {
  struct graph *g = graph_new();
  struct sage m;
  sage_init(&m);
  TS_SCOPE {
    ts_tensor *outs[LAYERS];
    const ts_tensor *h = g->x;
    for (int l = 0; l < LAYERS; l++) {
      outs[l] = sage_layer(&m, l, h, g);
      h = outs[l];
    }
    printf("layer 1 size %lld\n", (long long)ts_numel(outs[1]));
  }
  sage_free(&m);
  graph_free(g);
}

// BUG: leak: the embedding computed for printing is never freed
void gnn5_embed_leak(void) {
  struct graph *g = graph_new();
  struct sage m;
  sage_init(&m);
  ts_tensor *e = sage_forward(&m, g); // <- BUG
  printf("embedding %lld x %lld\n", (long long)ts_size(e, 0),
         (long long)ts_size(e, 1));
  sage_free(&m);
  graph_free(g);
}

// BUG: use-after-free: the features are read after graph_free in the log line
void gnn5_log_after_free(void) {
  struct graph *g = graph_new();
  ts_tensor *x = g->x;
  graph_free(g);
  printf("features %lld\n", (long long)ts_numel(x)); // <- BUG
}

// OK: features are swapped for normalised ones; the old handle freed once
void gnn5_normalise(void) {
  struct graph *g = graph_new();
  TS_SCOPE {
    ts_tensor *mu = ts_mean_dim(g->x, TS_SHAPE(0), true, TS_FLOAT32);
    ts_tensor *nx = ts_keep(ts_sub(g->x, mu));
    ts_free(g->x);
    g->x = nx;
  }
  printf("x %lld\n", (long long)ts_numel(g->x));
  graph_free(g);
}
