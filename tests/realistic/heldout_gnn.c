/*
 * heldout_gnn.c - message passing on a small graph: a normalised adjacency
 * matrix, node features, stacked propagation layers, readout, an optional
 * caller-provided degree vector. Held-out corpus (README.md).
 *
 * Labels: `// OK: why` or `// BUG: check: why` before each function; the
 * line of the bug ends in `// <- BUG`.
 */
#include <stdio.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define NODES 5
#define FEAT 4
#define LAYERS 3

// OK: a ring graph with self loops, row-normalised; the intermediates are
// freed
static ts_tensor *gnn_adjacency(void) {
  float a[NODES * NODES] = {0};
  for (int i = 0; i < NODES; i++) {
    a[i * NODES + i] = 1;
    a[i * NODES + (i + 1) % NODES] = 1;
    a[((i + 1) % NODES) * NODES + i] = 1;
  }
  ts_tensor *adj = ts_from_buffer(a, TS_SHAPE(NODES, NODES), TS_FLOAT32);
  ts_tensor *deg = ts_sum_dim_IntList(adj, TS_SHAPE(1), true, TS_NO_DTYPE);
  ts_tensor *norm = ts_div(adj, deg);
  ts_free(deg);
  ts_free(adj);
  return norm;
}

// OK: one propagation step: aggregate, transform, activate (in place on the
// new tensor); the aggregate is freed
static ts_tensor *gnn_layer(const ts_tensor *adj, const ts_tensor *h,
                            const ts_tensor *w) {
  ts_tensor *agg = ts_mm(adj, h);
  ts_tensor *out = ts_mm(agg, w);
  ts_free(agg);
  ts_relu_(out);
  return out;
}

// OK: stacked layers: each new embedding replaces the previous one, except
// the caller's input, which is never freed (flag-correlated)
static ts_tensor *gnn_forward(const ts_tensor *adj, ts_tensor *x,
                              ts_tensor *const *ws, int n) {
  ts_tensor *h = x;
  int owned = 0;
  for (int l = 0; l < n; l++) {
    ts_tensor *next = gnn_layer(adj, h, ws[l]);
    if (owned)
      ts_free(h);
    h = next;
    owned = 1;
  }
  return owned ? h : ts_clone(x);
}

// OK: weights in an array, a forward pass, a mean readout; all freed
void gnn_run(void) {
  ts_manual_seed(29);
  ts_tensor *adj = gnn_adjacency();
  ts_tensor *x = ts_randn(TS_SHAPE(NODES, FEAT), TS_FLOAT32);
  ts_tensor *ws[LAYERS];
  for (int l = 0; l < LAYERS; l++)
    ws[l] = ts_randn(TS_SHAPE(FEAT, FEAT), TS_FLOAT32);
  ts_tensor *h = gnn_forward(adj, x, ws, LAYERS);
  ts_tensor *g = ts_mean_dim(h, TS_SHAPE(0), false, TS_NO_DTYPE);
  printf("graph embedding %lld\n", (long long)ts_numel(g));
  ts_free(g);
  ts_free(h);
  for (int l = 0; l < LAYERS; l++)
    ts_free(ws[l]);
  ts_free(x);
  ts_free(adj);
}

// BUG: leak: every layer's output replaces h without the previous one being
// freed
void gnn_run_unrolled(void) {
  ts_tensor *adj = gnn_adjacency();
  ts_tensor *w = ts_randn(TS_SHAPE(FEAT, FEAT), TS_FLOAT32);
  ts_tensor *h = ts_randn(TS_SHAPE(NODES, FEAT), TS_FLOAT32);
  for (int l = 0; l < LAYERS; l++)
    h = gnn_layer(adj, h, w); // <- BUG
  printf("%lld\n", (long long)ts_numel(h));
  ts_free(h);
  ts_free(w);
  ts_free(adj);
}

// BUG: double-free: with zero layers the forward pass returns a clone;
// out aliases it and both names are freed
void gnn_zero_layers(void) {
  ts_tensor *adj = gnn_adjacency();
  ts_tensor *x = ts_randn(TS_SHAPE(NODES, FEAT), TS_FLOAT32);
  ts_tensor *h = gnn_forward(adj, x, NULL, 0);
  ts_tensor *out = h;
  ts_free(x);
  ts_free(h);
  ts_free(out); // <- BUG
  ts_free(adj);
}

// OK: the degree vector is borrowed when the caller gives one and made
// (and then freed) here otherwise
static double gnn_mean_degree(const ts_tensor *adj, const ts_tensor *deg) {
  ts_tensor *own = NULL;
  if (!deg) {
    own = ts_sum_dim_IntList(adj, TS_SHAPE(1), false, TS_NO_DTYPE);
    deg = own;
  }
  ts_tensor *m = ts_mean(deg);
  double v = ts_item(m);
  ts_free(m);
  if (own)
    ts_free(own);
  return v;
}

// OK: calls the degree helper with and without a degree vector
void gnn_degrees(void) {
  ts_tensor *adj = gnn_adjacency();
  ts_tensor *deg = ts_ones(TS_SHAPE(NODES), TS_FLOAT32);
  printf("%f %f\n", gnn_mean_degree(adj, deg), gnn_mean_degree(adj, NULL));
  ts_free(deg);
  ts_free(adj);
}

// BUG: leak: the self-loop-free adjacency is made for the check and never
// freed
static int gnn_has_isolated(const ts_tensor *adj) {
  ts_tensor *eye = ts_eye(NODES, TS_FLOAT32, NULL);
  ts_tensor *off = ts_sub(adj, eye); // <- BUG
  ts_free(eye);
  ts_tensor *deg = ts_sum_dim_IntList(off, TS_SHAPE(1), false, TS_NO_DTYPE);
  ts_tensor *mn = ts_min(deg);
  int isolated = ts_item(mn) <= 0.0;
  ts_free(mn);
  ts_free(deg);
  return isolated;
}

// OK: checks the graph (the helper leaks)
void gnn_check_graph(void) {
  ts_tensor *adj = gnn_adjacency();
  printf("isolated: %d\n", gnn_has_isolated(adj));
  ts_free(adj);
}

// BUG: use-after-free: the adjacency is freed once the layers are built,
// but the readout still reads it
void gnn_readout_after_free(void) {
  ts_tensor *adj = gnn_adjacency();
  ts_tensor *w = ts_randn(TS_SHAPE(FEAT, FEAT), TS_FLOAT32);
  ts_tensor *x = ts_randn(TS_SHAPE(NODES, FEAT), TS_FLOAT32);
  ts_tensor *h = gnn_layer(adj, x, w);
  ts_free(adj);
  ts_free(w);
  ts_tensor *pooled = ts_mm(adj, h); // <- BUG
  printf("%lld\n", (long long)ts_numel(pooled));
  ts_free(pooled);
  ts_free(h);
  ts_free(x);
}

// BUG: use-after-scope: the per-layer embeddings are stored for a later
// report from inside each iteration's scope
void gnn_layer_history(void) {
  ts_tensor *adj = gnn_adjacency();
  ts_tensor *w = ts_randn(TS_SHAPE(FEAT, FEAT), TS_FLOAT32);
  ts_tensor *x = ts_randn(TS_SHAPE(NODES, FEAT), TS_FLOAT32);
  ts_tensor *hist[LAYERS];
  TS_SCOPE for (int l = 0; l < LAYERS; l++) {
    ts_tensor *agg = ts_mm(adj, x);
    hist[l] = ts_mm(agg, w);
  }
  for (int l = 0; l < LAYERS; l++)
    printf("layer %d: %lld\n", l, (long long)ts_numel(hist[l])); // <- BUG
  ts_free(x);
  ts_free(w);
  ts_free(adj);
}

// OK: the same history, each entry escaped out of its iteration's scope
// and freed after the report
void gnn_layer_history_ok(void) {
  ts_tensor *adj = gnn_adjacency();
  ts_tensor *w = ts_randn(TS_SHAPE(FEAT, FEAT), TS_FLOAT32);
  ts_tensor *x = ts_randn(TS_SHAPE(NODES, FEAT), TS_FLOAT32);
  ts_tensor *hist[LAYERS];
  TS_SCOPE for (int l = 0; l < LAYERS; l++) {
    ts_tensor *agg = ts_mm(adj, x);
    hist[l] = ts_escape(ts_mm(agg, w));
  }
  for (int l = 0; l < LAYERS; l++) {
    printf("layer %d: %lld\n", l, (long long)ts_numel(hist[l]));
    ts_free(hist[l]);
  }
  ts_free(x);
  ts_free(w);
  ts_free(adj);
}

// BUG: unescaped-return: the attention weights of the scoped helper are
// returned without ts_escape
TS_SCOPED static ts_tensor *gnn_attention(const ts_tensor *h) {
  ts_tensor *ht = ts_t(h);
  ts_tensor *scores = ts_mm(h, ht);
  ts_tensor *att = ts_softmax(scores, 1);
  return att; // <- BUG
}

// OK: reads the attention the scoped helper returns (dead) and frees it
void gnn_attention_report(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(NODES, FEAT), TS_FLOAT32);
  ts_tensor *att = gnn_attention(x);
  printf("%lld\n", (long long)ts_numel(att));
  ts_free(att);
  ts_free(x);
}

// BUG: double-free: the temporary degree tensor is freed on the early path
// and again at the shared exit
static double gnn_max_degree(const ts_tensor *adj, int clamp) {
  double r = 0;
  ts_tensor *deg = ts_sum_dim_IntList(adj, TS_SHAPE(1), false, TS_NO_DTYPE);
  if (clamp) {
    ts_free(deg);
    r = 1.0;
    goto out;
  }
  ts_tensor *mx = ts_max(deg);
  r = ts_item(mx);
  ts_free(mx);
out:
  ts_free(deg); // <- BUG
  return r;
}

// OK: asks for the clamped maximum degree (the helper frees twice)
void gnn_max_degree_driver(void) {
  ts_tensor *adj = gnn_adjacency();
  printf("%f\n", gnn_max_degree(adj, 1));
  ts_free(adj);
}
