/* heldout8_posegraph.c - a 2-D SLAM pose graph: poses in an open-addressing
 * hash map keyed by frame id, odometry and loop-closure edges in a linked
 * list, Gauss-Seidel style relaxation in scoped loops, a background
 * optimiser in an async scope, and marginalisation of old poses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>

#define PG_BUCKETS 16

typedef struct {
  int id; /* -1: empty */
  ts_tensor *pose; /* [3] x, y, theta */
} pg_entry;

typedef struct pg_edge {
  int from, to;
  ts_tensor *meas; /* [3] relative motion */
  ts_tensor *info; /* [3] diagonal information */
  struct pg_edge *next;
} pg_edge;

typedef struct {
  pg_entry map[PG_BUCKETS];
  pg_edge *edges;
  int nposes;
} pose_graph;

// OK: a pose from three numbers, caller owns it
static ts_tensor *pose_make(double x, double y, double th) {
  const float v[3] = {(float)x, (float)y, (float)th};
  return ts_from_buffer(v, TS_SHAPE(3), TS_FLOAT32);
}

// OK: empty graph
static void pg_init(pose_graph *g) {
  for (int i = 0; i < PG_BUCKETS; i++) {
    g->map[i].id = -1;
    g->map[i].pose = NULL;
  }
  g->edges = NULL;
  g->nposes = 0;
}

// OK: linear probing lookup
static pg_entry *pg_find(pose_graph *g, int id) {
  for (int k = 0; k < PG_BUCKETS; k++) {
    pg_entry *e = &g->map[(id + k) % PG_BUCKETS];
    if (e->id == id)
      return e;
    if (e->id == -1)
      return NULL;
  }
  return NULL;
}

// OK: inserts or replaces a pose; takes ownership, frees a replaced one
static int pg_put(pose_graph *g, int id, ts_tensor *pose) {
  for (int k = 0; k < PG_BUCKETS; k++) {
    pg_entry *e = &g->map[(id + k) % PG_BUCKETS];
    if (e->id == id) {
      ts_free(e->pose);
      e->pose = pose;
      return 0;
    }
    if (e->id == -1) {
      e->id = id;
      e->pose = pose;
      g->nposes++;
      return 0;
    }
  }
  ts_free(pose);
  return -1;
}

// BUG: leak: a full table rejects the pose without freeing it
static int pg_put_nofree(pose_graph *g, int id, ts_tensor *pose) {
  for (int k = 0; k < PG_BUCKETS; k++) {
    pg_entry *e = &g->map[(id + k) % PG_BUCKETS];
    if (e->id == -1 || e->id == id) {
      if (e->pose)
        ts_free(e->pose);
      e->id = id;
      e->pose = pose;
      return 0;
    }
  }
  return -1; // <- BUG
}

// OK: adds an edge; the edge owns both tensors, freed if the node fails
static int pg_add_edge(pose_graph *g, int from, int to, ts_tensor *meas,
                       double w) {
  pg_edge *e = malloc(sizeof *e);
  if (!e) {
    ts_free(meas);
    return -1;
  }
  e->info = ts_full(TS_SHAPE(3), TS_FLOAT32, w);
  if (!e->info) {
    ts_free(meas);
    free(e);
    return -1;
  }
  e->from = from;
  e->to = to;
  e->meas = meas;
  e->next = g->edges;
  g->edges = e;
  return 0;
}

// OK: consumes the measurement on every path, as pg_add_edge does
static int pg_add_edge_checked(pose_graph *g, int from, int to,
                               ts_tensor *meas, double w) {
  if (from == to) {
    ts_free(meas);
    return -1;
  }
  return pg_add_edge(g, from, to, meas, w);
}

// OK: frees every pose and edge
static void pg_destroy(pose_graph *g) {
  for (int i = 0; i < PG_BUCKETS; i++)
    if (g->map[i].pose) {
      ts_free(g->map[i].pose);
      g->map[i].pose = NULL;
      g->map[i].id = -1;
    }
  pg_edge *e = g->edges;
  while (e) {
    pg_edge *n = e->next;
    ts_free(e->meas);
    ts_free(e->info);
    free(e);
    e = n;
  }
  g->edges = NULL;
}

// OK: residual of one edge in the caller's scope
TS_CALLER_SCOPE static ts_tensor *edge_residual(const ts_tensor *a,
                                                const ts_tensor *b,
                                                const pg_edge *e) {
  ts_tensor *pred = ts_sub(b, a);
  ts_tensor *r = ts_sub(pred, e->meas);
  return ts_mul(r, e->info);
}

// OK: one relaxation sweep; per-edge iteration scope, the moved pose kept
static double pg_sweep(pose_graph *g, double step) {
  double err = 0.0;
  TS_SCOPE for (pg_edge *e = g->edges; e; e = e->next) {
    pg_entry *a = pg_find(g, e->from);
    pg_entry *b = pg_find(g, e->to);
    if (!a || !b)
      continue;
    ts_tensor *r = edge_residual(a->pose, b->pose, e);
    ts_tensor *sq = ts_sum(ts_mul(r, r));
    err += ts_item(sq);
    ts_tensor *moved = ts_sub(b->pose, ts_mul_scalar(r, step));
    ts_free(b->pose);
    b->pose = ts_keep(moved);
  }
  return err;
}

// BUG: use-after-scope: the moved pose is stored without being kept
static double pg_sweep_nokeep(pose_graph *g, double step) {
  double err = 0.0;
  TS_SCOPE for (pg_edge *e = g->edges; e; e = e->next) {
    pg_entry *a = pg_find(g, e->from);
    pg_entry *b = pg_find(g, e->to);
    if (!a || !b)
      continue;
    ts_tensor *r = edge_residual(a->pose, b->pose, e);
    err += ts_item(ts_sum(ts_mul(r, r)));
    ts_tensor *moved = ts_sub(b->pose, ts_mul_scalar(r, step));
    ts_free(b->pose);
    b->pose = moved;
  }
  pg_entry *last = pg_find(g, g->edges ? g->edges->to : 0);
  if (last)
    err += ts_item(ts_sum(last->pose)); // <- BUG
  return err;
}

// OK: n sweeps until the error stops falling
static int pg_optimise(pose_graph *g, int iters) {
  double prev = 1e30;
  int it;
  for (it = 0; it < iters; it++) {
    double e = pg_sweep(g, 0.1);
    if (e > prev * 0.999)
      break;
    prev = e;
  }
  return it;
}

// OK: chain of poses with odometry edges
static int build_chain(pose_graph *g, int n) {
  pg_init(g);
  for (int i = 0; i < n; i++) {
    if (pg_put(g, i, pose_make(i * 1.1, 0.05 * i, 0.0)) != 0)
      return -1;
    if (i > 0 && pg_add_edge(g, i - 1, i, pose_make(1.0, 0.0, 0.0), 1.0) != 0)
      return -1;
  }
  return 0;
}

// OK: loop-closure candidates by distance, all temporaries in the function scope
TS_SCOPED static int find_closure(pose_graph *g, int id, double radius) {
  pg_entry *q = pg_find(g, id);
  if (!q)
    return -1;
  for (int k = 0; k < PG_BUCKETS; k++) {
    pg_entry *e = &g->map[k];
    if (e->id < 0 || e->id >= id - 1)
      continue;
    ts_tensor *d = ts_sub(q->pose, e->pose);
    if (ts_item(ts_sum(ts_mul(d, d))) < radius * radius)
      return e->id;
  }
  return -1;
}

// OK: marginalises a pose: edges touching it and the pose itself freed
static void pg_marginalise(pose_graph *g, int id) {
  pg_edge **pp = &g->edges;
  while (*pp) {
    pg_edge *e = *pp;
    if (e->from == id || e->to == id) {
      *pp = e->next;
      ts_free(e->meas);
      ts_free(e->info);
      free(e);
    } else {
      pp = &e->next;
    }
  }
  pg_entry *p = pg_find(g, id);
  if (p) {
    ts_free(p->pose);
    p->pose = NULL;
    p->id = -2; /* tombstone */
    g->nposes--;
  }
}

// BUG: use-after-free: the removed edge's info is read after it was freed
static double pg_marginalise_weight(pose_graph *g, int id) {
  double w = 0.0;
  pg_edge **pp = &g->edges;
  while (*pp) {
    pg_edge *e = *pp;
    if (e->from == id || e->to == id) {
      *pp = e->next;
      ts_free(e->meas);
      ts_free(e->info);
      w += ts_item(ts_mean(e->info)); // <- BUG
      free(e);
    } else {
      pp = &e->next;
    }
  }
  return w;
}

// OK: copies a pose out for the caller
static ts_tensor *pg_pose_copy(pose_graph *g, int id) {
  pg_entry *e = pg_find(g, id);
  return e ? ts_clone(e->pose) : NULL;
}

// BUG: unescaped-return: the copy of the pose is made inside a scope block and returned
static ts_tensor *pg_pose_delta(pose_graph *g, int a, int b) {
  pg_entry *pa = pg_find(g, a), *pb = pg_find(g, b);
  if (!pa || !pb)
    return NULL;
  TS_SCOPE {
    ts_tensor *d = ts_sub(pb->pose, pa->pose);
    return d; // <- BUG
  }
}

// OK: delta escaped out of the block scope
static ts_tensor *pg_pose_delta_ok(pose_graph *g, int a, int b) {
  pg_entry *pa = pg_find(g, a), *pb = pg_find(g, b);
  if (!pa || !pb)
    return NULL;
  TS_SCOPE {
    ts_tensor *d = ts_sub(pb->pose, pa->pose);
    return ts_escape(d);
  }
}

typedef struct {
  ts_async_scope *scope;
  ts_tensor *last_err; /* owned by the async scope */
} bg_optim;

// OK: background step inside the async scope, result kept in it
static void bg_step(bg_optim *b, pose_graph *g) {
  if (ts_async_scope_enter(b->scope) != TS_OK)
    return;
  double e = pg_sweep(g, 0.05);
  b->last_err = ts_full(TS_SHAPE(1), TS_FLOAT32, e);
  ts_async_scope_leave(b->scope);
}

// BUG: use-after-scope: the async scope is ended, then its last error read
static double bg_finish_late(bg_optim *b) {
  ts_async_scope_end(b->scope);
  double e = b->last_err ? ts_item(b->last_err) : 0.0; // <- BUG
  b->scope = NULL;
  return e;
}

// OK: error read, then the async scope ended
static double bg_finish(bg_optim *b) {
  double e = b->last_err ? ts_item(b->last_err) : 0.0;
  ts_async_scope_end(b->scope);
  b->scope = NULL;
  b->last_err = NULL;
  return e;
}

// OK: build, optimise, find a closure, marginalise, copy, free
void pg_entry_main(void) {
  pose_graph g;
  if (build_chain(&g, 6) != 0) {
    pg_destroy(&g);
    return;
  }
  int it = pg_optimise(&g, 5);
  int c = find_closure(&g, 5, 10.0);
  ts_tensor *p = pg_pose_copy(&g, 3);
  ts_tensor *d = pg_pose_delta_ok(&g, 1, 4);
  pg_marginalise(&g, 0);
  float xy[3] = {0};
  ts_copy_to_buffer(p, xy, sizeof xy);
  printf("%d %d %d %g\n", it, c, g.nposes, xy[0]);
  ts_free(d);
  ts_free(p);
  pg_destroy(&g);
}

// OK: background optimiser in an async scope
void pg_entry_background(void) {
  pose_graph g;
  bg_optim b = {ts_async_scope_begin(), NULL};
  if (build_chain(&g, 4) == 0) {
    bg_step(&b, &g);
    bg_step(&b, &g);
  }
  printf("%g\n", bg_finish(&b));
  pg_destroy(&g);
}

// OK: drives the rejecting insert on a full table
void pg_entry_full(void) {
  pose_graph g;
  pg_init(&g);
  for (int i = 0; i < PG_BUCKETS; i++)
    pg_put(&g, i, pose_make(i, 0, 0));
  pg_put_nofree(&g, 99, pose_make(0, 0, 0));
  pg_destroy(&g);
}

// BUG: double-free: the caller frees a measurement the checked adder already freed
void pg_entry_selfloop(void) {
  pose_graph g;
  pg_init(&g);
  ts_tensor *m = pose_make(0, 0, 0);
  if (pg_add_edge_checked(&g, 2, 2, m, 1.0) != 0)
    ts_free(m); // <- BUG
  pg_destroy(&g);
}

// OK: drives the sweep that stores scoped poses
void pg_entry_nokeep(void) {
  pose_graph g;
  if (build_chain(&g, 3) == 0)
    printf("%g\n", pg_sweep_nokeep(&g, 0.1));
  pg_destroy(&g);
}

// OK: drives the marginalisation that reads freed weights
void pg_entry_weight(void) {
  pose_graph g;
  if (build_chain(&g, 3) == 0)
    printf("%g\n", pg_marginalise_weight(&g, 1));
  pg_destroy(&g);
}

// OK: uses the delta returned out of its scope
void pg_entry_delta(void) {
  pose_graph g;
  if (build_chain(&g, 3) == 0) {
    ts_tensor *d = pg_pose_delta(&g, 0, 2);
    if (d) {
      ts_tensor *m = ts_mean(d);
      printf("%g\n", ts_item(m));
      ts_free(m);
      ts_free(d);
    }
  }
  pg_destroy(&g);
}

// OK: drives the late async read
void pg_entry_bg_late(void) {
  pose_graph g;
  bg_optim b = {ts_async_scope_begin(), NULL};
  if (build_chain(&g, 3) == 0)
    bg_step(&b, &g);
  printf("%g\n", bg_finish_late(&b));
  pg_destroy(&g);
}

// BUG: leak: the pose copy is overwritten by the second copy without a free
void pg_entry_copies(void) {
  pose_graph g;
  if (build_chain(&g, 4) != 0) {
    pg_destroy(&g);
    return;
  }
  ts_tensor *p = pg_pose_copy(&g, 1); // <- BUG
  ts_tensor *m = ts_mean(p);
  double x = ts_item(m);
  ts_free(m);
  p = pg_pose_copy(&g, 2);
  x += p ? 1.0 : 0.0;
  printf("%g\n", x);
  ts_free(p);
  pg_destroy(&g);
}
