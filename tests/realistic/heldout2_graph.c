/* heldout2_graph.c - graphs as adjacency lists of malloc'd nodes and edges
 * that own tensors (node features, edge weights): building with ownership
 * handed over, breadth-first aggregation, pruning, normalisation of the
 * features in place of the old ones, a dense adjacency matrix.
 * Labels: tests/realistic/README.md. */
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define MAXN 8
#define F 4

struct edge {
  struct node *to;
  ts_tensor *w; /* owned, 0-d */
  struct edge *next;
};

struct node {
  int id;
  ts_tensor *feat; /* owned, [F]; NULL once pruned */
  struct edge *edges;
};

struct graph {
  struct node *nodes[MAXN];
  int n;
};

// OK: a new node owning feat; on failure feat is freed here
static struct node *graph_add_node(struct graph *g, ts_tensor *feat) {
  struct node *n = g->n < MAXN ? calloc(1, sizeof *n) : NULL;
  if (!n) {
    ts_free(feat);
    return NULL;
  }
  n->id = g->n;
  n->feat = feat;
  g->nodes[g->n++] = n;
  return n;
}

// OK: an edge a -> b owning w; on failure (bad index, no memory) w is freed
static int graph_add_edge(struct graph *g, int a, int b, ts_tensor *w) {
  if (a < 0 || a >= g->n || b < 0 || b >= g->n) {
    ts_free(w);
    return -1;
  }
  struct edge *e = malloc(sizeof *e);
  if (!e) {
    ts_free(w);
    return -1;
  }
  e->to = g->nodes[b];
  e->w = w;
  e->next = g->nodes[a]->edges;
  g->nodes[a]->edges = e;
  return 0;
}

// OK: frees every edge weight, feature, edge and node
static void graph_free(struct graph *g) {
  for (int i = 0; i < g->n; i++) {
    struct node *n = g->nodes[i];
    for (struct edge *e = n->edges, *next; e; e = next) {
      next = e->next;
      ts_free(e->w);
      free(e);
    }
    if (n->feat)
      ts_free(n->feat);
    free(n);
  }
  g->n = 0;
}

// OK: a chain 0 -> 1 -> ... -> n-1 with random features and unit weights
static void graph_chain(struct graph *g, int n) {
  g->n = 0;
  for (int i = 0; i < n; i++)
    graph_add_node(g, ts_randn(TS_SHAPE(F), TS_FLOAT32));
  for (int i = 0; i + 1 < n; i++)
    graph_add_edge(g, i, i + 1, ts_ones(TS_SHAPE(), TS_FLOAT32));
}

// OK: breadth-first sum of the features reachable from start; each partial
// sum is freed when replaced
static ts_tensor *bfs_sum(const struct graph *g, int start) {
  const struct node *queue[MAXN];
  int seen[MAXN] = {0}, head = 0, tail = 0;
  ts_tensor *acc = ts_zeros(TS_SHAPE(F), TS_FLOAT32);
  queue[tail++] = g->nodes[start];
  seen[start] = 1;
  while (head < tail) {
    const struct node *n = queue[head++];
    ts_tensor *next = ts_add(acc, n->feat);
    ts_free(acc);
    acc = next;
    for (const struct edge *e = n->edges; e; e = e->next)
      if (!seen[e->to->id]) {
        seen[e->to->id] = 1;
        queue[tail++] = e->to;
      }
  }
  return acc;
}

// BUG: leak: the weighted sum replaces its accumulator without freeing it
static ts_tensor *bfs_weighted(const struct graph *g, int start) {
  const struct node *queue[MAXN];
  int seen[MAXN] = {0}, head = 0, tail = 0;
  ts_tensor *acc = ts_clone(g->nodes[start]->feat);
  queue[tail++] = g->nodes[start];
  seen[start] = 1;
  while (head < tail) {
    const struct node *n = queue[head++];
    for (const struct edge *e = n->edges; e; e = e->next) {
      if (seen[e->to->id])
        continue;
      seen[e->to->id] = 1;
      queue[tail++] = e->to;
      ts_tensor *m = ts_mul(e->to->feat, e->w);
      acc = ts_add(acc, m); // <- BUG
      ts_free(m);
    }
  }
  return acc;
}

// OK: both traversals' results are freed (bfs_weighted leaks by itself)
void graph_traverse(void) {
  struct graph g;
  graph_chain(&g, 5);
  ts_tensor *s = bfs_sum(&g, 0);
  ts_tensor *w = bfs_weighted(&g, 1);
  printf("bfs %lld %lld\n", (long long)ts_numel(s), (long long)ts_numel(w));
  ts_free(w);
  ts_free(s);
  graph_free(&g);
}

// BUG: use-after-free: nodes without out-edges are pruned (their features
// freed), but message passing still reads them through incoming edges
void graph_prune_then_pass(void) {
  struct graph g;
  graph_chain(&g, 4);
  for (int i = 0; i < g.n; i++)
    if (!g.nodes[i]->edges)
      ts_free(g.nodes[i]->feat);
  for (int i = 0; i < g.n; i++) {
    struct node *n = g.nodes[i];
    for (struct edge *e = n->edges; e; e = e->next) {
      ts_tensor *msg = ts_mul(e->to->feat, e->w); // <- BUG
      ts_add_Tensor_(n->feat, msg, 0.5);
      ts_free(msg);
    }
  }
  for (int i = 0; i < g.n; i++)
    if (!g.nodes[i]->edges)
      g.nodes[i]->feat = NULL;
  graph_free(&g);
}

// OK: pruning clears the feature, and message passing skips pruned nodes
void graph_prune_then_pass_ok(void) {
  struct graph g;
  graph_chain(&g, 4);
  for (int i = 0; i < g.n; i++)
    if (!g.nodes[i]->edges) {
      ts_free(g.nodes[i]->feat);
      g.nodes[i]->feat = NULL;
    }
  for (int i = 0; i < g.n; i++) {
    struct node *n = g.nodes[i];
    for (struct edge *e = n->edges; e; e = e->next) {
      if (!e->to->feat || !n->feat)
        continue;
      ts_tensor *msg = ts_mul(e->to->feat, e->w);
      ts_add_Tensor_(n->feat, msg, 0.5);
      ts_free(msg);
    }
  }
  graph_free(&g);
}

// BUG: double-free: graph_add_edge frees the weight when it refuses the edge,
// and the caller frees it again
void graph_bad_edge(void) {
  struct graph g;
  graph_chain(&g, 3);
  ts_tensor *w = ts_full(TS_SHAPE(), TS_FLOAT32, 2.0);
  if (graph_add_edge(&g, 0, 7, w) != 0) {
    fprintf(stderr, "graph: no node 7\n");
    ts_free(w); // <- BUG
  }
  graph_free(&g);
}

// OK: a refused edge's weight was freed by graph_add_edge; nothing to do here
void graph_bad_edge_ok(void) {
  struct graph g;
  graph_chain(&g, 3);
  ts_tensor *w = ts_full(TS_SHAPE(), TS_FLOAT32, 2.0);
  if (graph_add_edge(&g, 0, 7, w) != 0)
    fprintf(stderr, "graph: no node 7\n");
  graph_free(&g);
}

// BUG: leak: the per-edge value tensor handed to index_put_ is never freed
static ts_tensor *dense_adjacency(const struct graph *g) {
  ts_tensor *adj = ts_zeros(TS_SHAPE(g->n, g->n), TS_FLOAT32);
  for (int i = 0; i < g->n; i++)
    for (const struct edge *e = g->nodes[i]->edges; e; e = e->next) {
      const int64_t ij[2] = {i, e->to->id};
      ts_tensor *r = ts_from_buffer(&ij[0], TS_SHAPE(1), TS_INT64);
      ts_tensor *c = ts_from_buffer(&ij[1], TS_SHAPE(1), TS_INT64);
      const ts_tensor *idx[2] = {r, c};
      ts_tensor *val = ts_reshape(e->w, TS_SHAPE(1)); // <- BUG
      ts_index_put_(adj, idx, 2, val, false);
      ts_free(c);
      ts_free(r);
    }
  return adj;
}

// OK: the same, with the value view freed too
static ts_tensor *dense_adjacency_ok(const struct graph *g) {
  ts_tensor *adj = ts_zeros(TS_SHAPE(g->n, g->n), TS_FLOAT32);
  for (int i = 0; i < g->n; i++)
    for (const struct edge *e = g->nodes[i]->edges; e; e = e->next) {
      const int64_t ij[2] = {i, e->to->id};
      ts_tensor *r = ts_from_buffer(&ij[0], TS_SHAPE(1), TS_INT64);
      ts_tensor *c = ts_from_buffer(&ij[1], TS_SHAPE(1), TS_INT64);
      const ts_tensor *idx[2] = {r, c};
      ts_tensor *val = ts_reshape(e->w, TS_SHAPE(1));
      ts_index_put_(adj, idx, 2, val, false);
      ts_free(val);
      ts_free(c);
      ts_free(r);
    }
  return adj;
}

// OK: both adjacency matrices are freed (dense_adjacency leaks by itself)
void graph_dense(void) {
  struct graph g;
  graph_chain(&g, 4);
  ts_tensor *a = dense_adjacency(&g);
  ts_tensor *b = dense_adjacency_ok(&g);
  ts_tensor *d = ts_sub(a, b);
  printf("adjacency diff %lld\n", (long long)ts_numel(d));
  ts_free(d);
  ts_free(b);
  ts_free(a);
  graph_free(&g);
}

// OK: replaces a node's feature by its unit-norm version (old one freed)
static void normalize_node(struct node *n) {
  ts_tensor *nrm = ts_norm_Scalar(n->feat, 2.0);
  ts_tensor *unit = ts_div(n->feat, nrm);
  ts_free(nrm);
  ts_free(n->feat);
  n->feat = unit;
}

// BUG: use-after-free: the feature handles are collected before
// normalize_node replaces (and frees) them, then stacked
void graph_stack_features(void) {
  struct graph g;
  graph_chain(&g, 3);
  const ts_tensor *feats[MAXN];
  for (int i = 0; i < g.n; i++)
    feats[i] = g.nodes[i]->feat;
  for (int i = 0; i < g.n; i++)
    normalize_node(g.nodes[i]);
  ts_tensor *X = ts_stack(feats, g.n, 0); // <- BUG
  printf("X %lld\n", (long long)ts_numel(X));
  ts_free(X);
  graph_free(&g);
}

// OK: normalised first, then collected and stacked
void graph_stack_features_ok(void) {
  struct graph g;
  graph_chain(&g, 3);
  const ts_tensor *feats[MAXN];
  for (int i = 0; i < g.n; i++) {
    normalize_node(g.nodes[i]);
    feats[i] = g.nodes[i]->feat;
  }
  ts_tensor *X = ts_stack(feats, g.n, 0);
  printf("X %lld\n", (long long)ts_numel(X));
  ts_free(X);
  graph_free(&g);
}

// BUG: leak: the edges are unlinked and their structs freed, but not their
// weight tensors
static void graph_drop_edges(struct node *n) {
  struct edge *e = n->edges;
  while (e) {
    struct edge *next = e->next;
    free(e); // <- BUG
    e = next;
  }
  n->edges = NULL;
}

// OK: isolates node 1 before tearing down (graph_drop_edges leaks by itself)
void graph_isolate(void) {
  struct graph g;
  graph_chain(&g, 3);
  graph_drop_edges(g.nodes[1]);
  printf("node 1 isolated\n");
  graph_free(&g);
}

// BUG: use-after-scope: the embedding pass stores each node's new feature
// from a scoped loop; the scope frees them and the teardown frees them again
void graph_embed_scoped(void) {
  struct graph g;
  graph_chain(&g, 3);
  ts_tensor *proj = ts_randn(TS_SHAPE(F, F), TS_FLOAT32);
  TS_SCOPE for (int i = 0; i < g.n; i++) {
    struct node *n = g.nodes[i];
    ts_tensor *h = ts_mv(proj, n->feat);
    ts_free(n->feat);
    n->feat = ts_relu(h);
  }
  ts_tensor *s = bfs_sum(&g, 0); // <- BUG
  ts_free(s);
  ts_free(proj);
  graph_free(&g);
}

// OK: the embedding pass keeps the new features out of the loop's scope
void graph_embed_kept(void) {
  struct graph g;
  graph_chain(&g, 3);
  ts_tensor *proj = ts_randn(TS_SHAPE(F, F), TS_FLOAT32);
  TS_SCOPE for (int i = 0; i < g.n; i++) {
    struct node *n = g.nodes[i];
    ts_tensor *h = ts_mv(proj, n->feat);
    ts_free(n->feat);
    n->feat = ts_keep(ts_relu(h));
  }
  ts_tensor *s = bfs_sum(&g, 0);
  printf("embedded sum %lld\n", (long long)ts_numel(s));
  ts_free(s);
  ts_free(proj);
  graph_free(&g);
}
