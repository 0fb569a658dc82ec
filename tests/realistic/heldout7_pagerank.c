/* heldout7_pagerank.c - PageRank over small directed graphs: an edge-list
 * to transition-matrix builder, power iteration (manual and scoped), a
 * teleport vector, personalised restarts, a small cache of results keyed by
 * damping factor, and top-k extraction. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

typedef struct {
  int n;
  ts_tensor *adj;  /* [n,n] column-stochastic transition matrix */
  ts_tensor *rank; /* [n,1] current scores */
} pr_graph;

typedef struct {
  double damping;
  ts_tensor *rank;
} pr_slot;

typedef struct {
  pr_slot slots[4];
  int used;
} pr_cache;

static const int pr_src[] = {0, 0, 1, 2, 2, 3, 4, 4, 5, 5};
static const int pr_dst[] = {1, 2, 2, 0, 3, 4, 5, 0, 4, 1};
#define PR_N 6
#define PR_M 10

// OK: builds the matrix on the C heap, one tensor made and returned
static ts_tensor *pr_edges_to_adj(int n, const int *src, const int *dst, int m) {
  float *a = calloc((size_t)n * n, sizeof *a);
  int *outdeg = calloc((size_t)n, sizeof *outdeg);
  ts_tensor *t = NULL;
  if (!a || !outdeg)
    goto out;
  for (int e = 0; e < m; e++)
    outdeg[src[e]]++;
  for (int e = 0; e < m; e++)
    a[dst[e] * n + src[e]] += 1.0f / (float)outdeg[src[e]];
  t = ts_from_buffer(a, TS_SHAPE(n, n), TS_FLOAT32);
out:
  free(outdeg);
  free(a);
  return t;
}

// OK: the rank is freed again when the second allocation fails
static int pr_graph_init(pr_graph *g, int n, const int *src, const int *dst, int m) {
  g->n = n;
  g->adj = pr_edges_to_adj(n, src, dst, m);
  if (!g->adj)
    return -1;
  g->rank = ts_full(TS_SHAPE(n, 1), TS_FLOAT32, 1.0 / n);
  if (!g->rank) {
    ts_free(g->adj);
    g->adj = NULL;
    return -1;
  }
  return 0;
}

// OK: frees both fields once
static void pr_graph_free(pr_graph *g) {
  if (g->rank)
    ts_free(g->rank);
  if (g->adj)
    ts_free(g->adj);
  g->rank = g->adj = NULL;
}

// OK: each intermediate freed as soon as the next one exists
static ts_tensor *pr_step(const ts_tensor *adj, const ts_tensor *rank, double d, int n) {
  ts_tensor *t = ts_matmul(adj, rank);
  if (!t)
    return NULL;
  ts_tensor *s = ts_mul_scalar(t, d);
  ts_free(t);
  if (!s)
    return NULL;
  ts_tensor *r = ts_add_scalar(s, (1.0 - d) / n);
  ts_free(s);
  return r;
}

// BUG: leak: the scaled teleport vector is never freed
static ts_tensor *pr_step_teleport(const ts_tensor *adj, const ts_tensor *rank, double d,
                                   const ts_tensor *teleport) {
  ts_tensor *t = ts_matmul(adj, rank);
  ts_tensor *s = ts_mul_scalar(t, d);
  ts_tensor *tp = ts_mul_scalar(teleport, 1.0 - d); // <- BUG
  ts_tensor *r = ts_add(s, tp);
  ts_free(s);
  ts_free(t);
  return r;
}

// OK: replaces the rank in place, the old one freed after the new exists
static int pr_iterate(pr_graph *g, double d, int iters) {
  for (int i = 0; i < iters; i++) {
    ts_tensor *next = pr_step(g->adj, g->rank, d, g->n);
    if (!next)
      return -1;
    ts_free(g->rank);
    g->rank = next;
  }
  return 0;
}

// BUG: use-after-free: the convergence delta reads the rank just freed
static int pr_iterate_tol(pr_graph *g, double d, int iters, double tol) {
  for (int i = 0; i < iters; i++) {
    ts_tensor *next = pr_step(g->adj, g->rank, d, g->n);
    if (!next)
      return -1;
    ts_free(g->rank);
    ts_tensor *diff = ts_sub(next, g->rank); // <- BUG
    g->rank = next;
    double delta = 0.0;
    if (diff) {
      ts_tensor *tot = ts_linalg_vector_norm(diff, 1.0, NULL, -1, false, TS_NO_DTYPE);
      delta = tot ? ts_item(tot) : 0.0;
      if (tot)
        ts_free(tot);
      ts_free(diff);
    }
    if (delta < tol)
      return i;
  }
  return iters;
}

// OK: one scope per iteration, the new rank kept before the scope ends
static int pr_iterate_scoped(pr_graph *g, double d, int iters, double tol) {
  int it;
  for (it = 0; it < iters; it++) {
    double delta = 0.0;
    TS_SCOPE {
      ts_tensor *next = pr_step(g->adj, g->rank, d, g->n);
      ts_tensor *diff = ts_abs(ts_sub(next, g->rank));
      delta = ts_item(ts_sum(diff));
      ts_free(g->rank);
      g->rank = ts_keep(next);
    }
    if (delta < tol)
      break;
  }
  return it;
}

// BUG: use-after-scope: the warm-start rank lives in the block's scope but is stored in the graph
static double pr_warm_start(pr_graph *g, double d) {
  TS_SCOPE {
    ts_tensor *u = ts_full(TS_SHAPE(g->n, 1), TS_FLOAT32, 1.0 / g->n);
    ts_tensor *r = pr_step(g->adj, u, d, g->n);
    ts_free(g->rank);
    g->rank = r;
  }
  return ts_item(ts_sum(g->rank)); // <- BUG
}

// OK: runs in the caller's scope, temporaries belong to it
TS_CALLER_SCOPE static ts_tensor *pr_normalise(const ts_tensor *r) {
  return ts_div(r, ts_sum(r));
}

// BUG: unescaped-return: the restart scores are owned by the function's scope
TS_SCOPED static ts_tensor *pr_personalised(const ts_tensor *adj, int n, int seed, double d,
                                            int iters) {
  float *e = calloc((size_t)n, sizeof *e);
  e[seed] = 1.0f;
  ts_tensor *restart = ts_from_buffer(e, TS_SHAPE(n, 1), TS_FLOAT32);
  free(e);
  ts_tensor *r = ts_clone(restart);
  for (int i = 0; i < iters; i++)
    r = ts_add(ts_mul_scalar(ts_matmul(adj, r), d), ts_mul_scalar(restart, 1.0 - d));
  return pr_normalise(r); // <- BUG
}

// OK: the same restart walk, the result escaped out of the function's scope
TS_SCOPED static ts_tensor *pr_restart_scores(const ts_tensor *adj, int n, int seed, double d,
                                              int iters) {
  ts_tensor *restart = ts_zeros(TS_SHAPE(n, 1), TS_FLOAT32);
  ts_tensor *hot = ts_narrow(restart, 0, seed, 1);
  ts_add_Scalar_(hot, 1.0, 1.0);
  ts_tensor *r = ts_clone(restart);
  for (int i = 0; i < iters; i++)
    r = ts_add(ts_mul_scalar(ts_matmul(adj, r), d), ts_mul_scalar(restart, 1.0 - d));
  return ts_escape(pr_normalise(r));
}

// OK: the cache takes the rank; a slot with the same damping is replaced
static void pr_cache_put(pr_cache *c, double d, ts_tensor *rank) TS_CONSUMES(3);
static void pr_cache_put(pr_cache *c, double d, ts_tensor *rank) {
  for (int i = 0; i < c->used; i++) {
    if (c->slots[i].damping == d) {
      ts_free(c->slots[i].rank);
      c->slots[i].rank = rank;
      return;
    }
  }
  if (c->used == 4) {
    ts_free(c->slots[0].rank);
    memmove(&c->slots[0], &c->slots[1], 3 * sizeof c->slots[0]);
    c->used--;
  }
  c->slots[c->used].damping = d;
  c->slots[c->used].rank = rank;
  c->used++;
}

// OK: borrowed lookup, the cache still owns what it returns
static const ts_tensor *pr_cache_get(const pr_cache *c, double d) {
  for (int i = 0; i < c->used; i++)
    if (c->slots[i].damping == d)
      return c->slots[i].rank;
  return NULL;
}

// OK: frees every slot once
static void pr_cache_clear(pr_cache *c) {
  for (int i = 0; i < c->used; i++)
    ts_free(c->slots[i].rank);
  c->used = 0;
}

// OK: sorts a flattened copy; both temporaries freed on every path
static int pr_topk(const ts_tensor *rank, int n, int k, int64_t *idx) {
  if (k > n)
    return -1;
  ts_tensor *flat = ts_reshape(rank, TS_SHAPE(n));
  if (!flat)
    return -1;
  ts_tensor *order = ts_argsort(flat, 0, true);
  ts_free(flat);
  if (!order)
    return -1;
  int64_t all[64];
  ts_status st = ts_copy_to_buffer(order, all, sizeof(int64_t) * (size_t)n);
  ts_free(order);
  if (st != TS_OK)
    return -1;
  memcpy(idx, all, sizeof(int64_t) * (size_t)k);
  return 0;
}

// BUG: leak: asking for more labels than nodes returns with the sorted order still alive
static int pr_topk_labels(const ts_tensor *rank, int n, int k, const char **names,
                          const char **out) {
  ts_tensor *flat = ts_reshape(rank, TS_SHAPE(n));
  ts_tensor *order = ts_argsort(flat, 0, true); // <- BUG
  ts_free(flat);
  if (k > n)
    return -1;
  int64_t all[64];
  ts_copy_to_buffer(order, all, sizeof(int64_t) * (size_t)n);
  for (int i = 0; i < k; i++)
    out[i] = names[all[i]];
  ts_free(order);
  return 0;
}

// OK: the mass lost to dangling nodes, computed inside a guard scope
static double pr_dangling_mass(const ts_tensor *adj, const ts_tensor *rank) {
  TS_SCOPE_GUARD();
  ts_tensor *colsum = ts_sum_dim_IntList(adj, TS_SHAPE(0), false, TS_NO_DTYPE);
  ts_tensor *missing = ts_add_scalar(ts_neg(colsum), 1.0);
  ts_tensor *flat = ts_reshape(rank, TS_SHAPE(ts_numel(rank)));
  return ts_item(ts_dot(missing, flat));
}

// OK: prints the top three and frees nothing it does not own
static void pr_report(const pr_graph *g) {
  int64_t top[3];
  if (pr_topk(g->rank, g->n, 3, top) == 0)
    printf("pagerank: top %lld %lld %lld, dangling %.3f\n", (long long)top[0],
           (long long)top[1], (long long)top[2], pr_dangling_mass(g->adj, g->rank));
}

// OK: manual and scoped iteration, then a report
void pr_run_power(void) {
  pr_graph g;
  if (pr_graph_init(&g, PR_N, pr_src, pr_dst, PR_M) != 0)
    return;
  pr_iterate(&g, 0.85, 5);
  pr_iterate_scoped(&g, 0.85, 20, 1e-6);
  pr_report(&g);
  pr_graph_free(&g);
}

// OK: teleport step driven by a caller that frees what it is handed
void pr_run_teleport(void) {
  pr_graph g;
  if (pr_graph_init(&g, PR_N, pr_src, pr_dst, PR_M) != 0)
    return;
  ts_tensor *tele = ts_full(TS_SHAPE(PR_N, 1), TS_FLOAT32, 1.0 / PR_N);
  ts_tensor *next = pr_step_teleport(g.adj, g.rank, 0.85, tele);
  ts_free(g.rank);
  g.rank = next;
  ts_free(tele);
  pr_graph_free(&g);
}

// OK: drives the tolerance loop
void pr_run_tol(void) {
  pr_graph g;
  if (pr_graph_init(&g, PR_N, pr_src, pr_dst, PR_M) != 0)
    return;
  printf("pagerank: %d iterations\n", pr_iterate_tol(&g, 0.85, 30, 1e-5));
  pr_graph_free(&g);
}

// OK: warm start then teardown
void pr_run_warm(void) {
  pr_graph g;
  if (pr_graph_init(&g, PR_N, pr_src, pr_dst, PR_M) != 0)
    return;
  printf("pagerank: warm mass %.3f\n", pr_warm_start(&g, 0.85));
  pr_graph_free(&g);
}

// OK: uses and frees the personalised scores it gets back
void pr_run_personal(void) {
  pr_graph g;
  if (pr_graph_init(&g, PR_N, pr_src, pr_dst, PR_M) != 0)
    return;
  ts_tensor *p = pr_personalised(g.adj, PR_N, 2, 0.85, 10);
  printf("pagerank: personalised max %.3f\n", ts_item(ts_max(p)));
  ts_free(p);
  pr_graph_free(&g);
}

// BUG: double-free: the cache owns the rank after put, yet the caller frees it too
void pr_run_cache(void) {
  pr_graph g;
  pr_cache c = {.used = 0};
  if (pr_graph_init(&g, PR_N, pr_src, pr_dst, PR_M) != 0)
    return;
  for (int s = 0; s < 3; s++) {
    ts_tensor *r = pr_restart_scores(g.adj, PR_N, s, 0.85, 8);
    pr_cache_put(&c, 0.5 + 0.1 * s, r);
    if (s == 2)
      ts_free(r); // <- BUG
  }
  const ts_tensor *hit = pr_cache_get(&c, 0.6);
  if (hit)
    printf("pagerank: cached %lld scores\n", (long long)ts_numel(hit));
  pr_cache_clear(&c);
  pr_graph_free(&g);
}

// OK: restart scores cached, the cache replaced on a repeated damping and cleared once
void pr_run_cache_ok(void) {
  pr_graph g;
  pr_cache c = {.used = 0};
  if (pr_graph_init(&g, PR_N, pr_src, pr_dst, PR_M) != 0)
    return;
  for (int s = 0; s < 6; s++)
    pr_cache_put(&c, 0.5 + 0.1 * (s % 5), pr_restart_scores(g.adj, PR_N, s, 0.85, 8));
  const ts_tensor *hit = pr_cache_get(&c, 0.5);
  if (hit)
    printf("pagerank: cached %d, first dim %lld\n", c.used, (long long)ts_size(hit, 0));
  pr_cache_clear(&c);
  pr_graph_free(&g);
}

// OK: labels of the first nodes, with k within range
void pr_run_labels(void) {
  static const char *names[PR_N] = {"a", "b", "c", "d", "e", "f"};
  const char *out[PR_N];
  pr_graph g;
  if (pr_graph_init(&g, PR_N, pr_src, pr_dst, PR_M) != 0)
    return;
  pr_iterate(&g, 0.85, 10);
  if (pr_topk_labels(g.rank, PR_N, PR_N + 1, names, out) != 0)
    printf("pagerank: too many labels asked\n");
  pr_graph_free(&g);
}

// BUG: leak: the column sums printed for the report are never freed
void pr_run_degree_report(void) {
  pr_graph g;
  float deg[PR_N];
  if (pr_graph_init(&g, PR_N, pr_src, pr_dst, PR_M) != 0)
    return;
  ts_tensor *colsum = ts_sum_dim_IntList(g.adj, TS_SHAPE(0), false, TS_NO_DTYPE); // <- BUG
  if (colsum && ts_copy_to_buffer(colsum, deg, sizeof deg) == TS_OK)
    for (int i = 0; i < PR_N; i++)
      printf("pagerank: node %d out-mass %.2f\n", i, deg[i]);
  pr_graph_free(&g);
}

// BUG: use-after-free: the rank alias is printed after the graph was torn down
void pr_run_final_mass(void) {
  pr_graph g;
  if (pr_graph_init(&g, PR_N, pr_src, pr_dst, PR_M) != 0)
    return;
  pr_iterate(&g, 0.85, 3);
  const ts_tensor *r = g.rank;
  pr_graph_free(&g);
  printf("pagerank: %lld final scores\n", (long long)ts_numel(r)); // <- BUG
}

// BUG: leak: only the best seed's scores are freed; every other seed's are dropped
void pr_run_best_seed(void) {
  pr_graph g;
  ts_tensor *best = NULL;
  double best_top = -1.0;
  if (pr_graph_init(&g, PR_N, pr_src, pr_dst, PR_M) != 0)
    return;
  for (int s = 0; s < 3; s++) {
    ts_tensor *p = pr_restart_scores(g.adj, PR_N, s, 0.85, 6); // <- BUG
    ts_tensor *mx = ts_max(p);
    double top = ts_item(mx);
    ts_free(mx);
    if (top > best_top) {
      best_top = top;
      best = p;
    }
  }
  printf("pagerank: best seed peak %.3f\n", best_top);
  ts_free(best);
  pr_graph_free(&g);
}

// BUG: double-free: the cache already freed the rank it replaced, and the caller frees it again
void pr_run_cache_replace(void) {
  pr_graph g;
  pr_cache c = {.used = 0};
  if (pr_graph_init(&g, PR_N, pr_src, pr_dst, PR_M) != 0)
    return;
  ts_tensor *first = pr_restart_scores(g.adj, PR_N, 0, 0.85, 4);
  pr_cache_put(&c, 0.85, first);
  pr_cache_put(&c, 0.85, pr_restart_scores(g.adj, PR_N, 1, 0.85, 4));
  ts_free(first); // <- BUG
  pr_cache_clear(&c);
  pr_graph_free(&g);
}
