/* heldout7_pso.c - particle swarm optimisation of test functions: a swarm
 * struct with positions, velocities and personal bests as tensors,
 * velocity/position updates (manual, scoped, ts_scope_begin/end), global
 * best bookkeeping, island swarms that fork and migrate, and summaries
 * returned by value. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define PS_MAXP 32

typedef struct {
  int P, D;
  ts_tensor *pos, *vel;     /* [P,D] */
  ts_tensor *pbest;         /* [P,D] */
  ts_tensor *pbest_val;     /* [P] */
  ts_tensor *gbest;         /* [D] */
  double gbest_val;
} ps_swarm;

typedef struct {
  ts_tensor *spread; /* [D] std of positions */
  ts_tensor *centre; /* [D] mean position */
  double best;
} ps_summary;

// OK: sphere function per particle, in the caller's scope
TS_CALLER_SCOPE static ts_tensor *ps_objective(const ts_tensor *x) {
  return ts_sum_dim_IntList(ts_square(ts_add_scalar(x, -1.0)), TS_SHAPE(1), false, TS_NO_DTYPE);
}

// OK: picks the global best from the personal bests, all temporaries in a guard scope
static void ps_refresh_gbest(ps_swarm *s) {
  TS_SCOPE_GUARD();
  ts_tensor *mm[2];
  if (ts_min_dim(mm, s->pbest_val, 0, false) != TS_OK)
    return;
  double v = ts_item(mm[0]);
  if (s->gbest && v >= s->gbest_val)
    return;
  ts_tensor *row = ts_index_select(s->pbest, 0, ts_unsqueeze(mm[1], 0));
  if (s->gbest)
    ts_free(s->gbest);
  s->gbest = ts_keep(ts_squeeze_dim(row, 0));
  s->gbest_val = v;
}

// OK: goto-cleanup init, the bests evaluated in a scope
static int ps_swarm_init(ps_swarm *s, int P, int D) {
  memset(s, 0, sizeof *s);
  s->P = P;
  s->D = D;
  if (P > PS_MAXP)
    return -1;
  s->pos = ts_rand(TS_SHAPE(P, D), TS_FLOAT32);
  if (!s->pos)
    goto fail;
  s->vel = ts_zeros(TS_SHAPE(P, D), TS_FLOAT32);
  if (!s->vel)
    goto fail;
  s->pbest = ts_clone(s->pos);
  if (!s->pbest)
    goto fail;
  TS_SCOPE {
    s->pbest_val = ts_keep(ps_objective(s->pos));
  }
  ps_refresh_gbest(s);
  return 0;
fail:
  if (s->pbest)
    ts_free(s->pbest);
  if (s->vel)
    ts_free(s->vel);
  if (s->pos)
    ts_free(s->pos);
  return -1;
}

// OK: frees every tensor of the swarm once
static void ps_swarm_free(ps_swarm *s) {
  ts_free(s->pos);
  ts_free(s->vel);
  ts_free(s->pbest);
  ts_free(s->pbest_val);
  if (s->gbest)
    ts_free(s->gbest);
  memset(s, 0, sizeof *s);
}

// BUG: leak: an empty search box jumps to the cleanup, which forgets the velocities
static int ps_swarm_init_box(ps_swarm *s, int P, int D, double lo, double hi) {
  memset(s, 0, sizeof *s);
  s->P = P;
  s->D = D;
  ts_tensor *u = ts_rand(TS_SHAPE(P, D), TS_FLOAT32);
  if (!u)
    return -1;
  s->pos = ts_add_scalar(ts_mul_Scalar_(u, hi - lo), lo);
  ts_free(u);
  s->vel = ts_zeros(TS_SHAPE(P, D), TS_FLOAT32); // <- BUG
  if (!s->pos || !s->vel || lo >= hi)
    goto fail;
  s->pbest = ts_clone(s->pos);
  TS_SCOPE {
    s->pbest_val = ts_keep(ps_objective(s->pos));
  }
  ps_refresh_gbest(s);
  return 0;
fail:
  if (s->pos)
    ts_free(s->pos);
  return -1;
}

// OK: moves every particle; the old positions freed after the new exist
static void ps_move(ps_swarm *s) {
  ts_tensor *np = ts_add(s->pos, s->vel);
  ts_free(s->pos);
  s->pos = ts_clamp(np, -5.0, 5.0);
  ts_free(np);
}

// OK: velocity update in a manual scope; the new velocity kept
static void ps_velocity(ps_swarm *s, double w, double c1, double c2) {
  ts_scope_id id = ts_scope_begin();
  ts_tensor *r1 = ts_rand(TS_SHAPE(s->P, s->D), TS_FLOAT32);
  ts_tensor *r2 = ts_rand(TS_SHAPE(s->P, s->D), TS_FLOAT32);
  ts_tensor *cog = ts_mul(ts_mul_scalar(r1, c1), ts_sub(s->pbest, s->pos));
  ts_tensor *soc = ts_mul(ts_mul_scalar(r2, c2), ts_sub(s->gbest, s->pos));
  ts_tensor *nv = ts_add(ts_add(ts_mul_scalar(s->vel, w), cog), soc);
  ts_free(s->vel);
  s->vel = ts_keep(ts_clamp(nv, -1.0, 1.0));
  ts_scope_end(id);
}

// OK: personal bests updated where the new value is lower; every temporary freed
static void ps_update_bests(ps_swarm *s) {
  TS_SCOPE {
    ts_tensor *val = ps_objective(s->pos);
    ts_tensor *better = ts_lt_Tensor(val, s->pbest_val);
    ts_tensor *nb = ts_where_self(ts_unsqueeze(better, 1), s->pos, s->pbest);
    ts_tensor *nv = ts_where_self(better, val, s->pbest_val);
    ts_free(s->pbest);
    ts_free(s->pbest_val);
    s->pbest = ts_keep(nb);
    s->pbest_val = ts_keep(nv);
  }
  ps_refresh_gbest(s);
}

// BUG: leak: the improvement mask is never freed
static void ps_update_bests_manual(ps_swarm *s) {
  ts_tensor *val = ts_sum_dim_IntList(s->pos, TS_SHAPE(1), false, TS_NO_DTYPE);
  ts_tensor *better = ts_lt_Tensor(val, s->pbest_val);
  ts_tensor *col = ts_unsqueeze(better, 1); // <- BUG
  ts_tensor *nb = ts_where_self(col, s->pos, s->pbest);
  ts_tensor *nv = ts_where_self(better, val, s->pbest_val);
  ts_free(better);
  ts_free(val);
  ts_free(s->pbest);
  ts_free(s->pbest_val);
  s->pbest = nb;
  s->pbest_val = nv;
}

// BUG: use-after-free: the previous positions are read after ps_move freed them
static void ps_step_keep_old(ps_swarm *s) {
  const ts_tensor *old = s->pos;
  ps_move(s);
  ts_tensor *moved = ts_sub(s->pos, old); // <- BUG
  ts_tensor *n = ts_linalg_vector_norm(moved, 2.0, NULL, -1, false, TS_NO_DTYPE);
  printf("pso: moved %.3f\n", ts_item(n));
  ts_free(n);
  ts_free(moved);
}

// OK: the displacement taken from the velocity instead
static void ps_step_logged(ps_swarm *s) {
  ts_tensor *n = ts_linalg_vector_norm(s->vel, 2.0, NULL, -1, false, TS_NO_DTYPE);
  ps_move(s);
  if (n) {
    printf("pso: moved %.3f\n", ts_item(n));
    ts_free(n);
  }
}

// OK: one full iteration
static void ps_iterate(ps_swarm *s, int iters) {
  for (int i = 0; i < iters; i++) {
    ps_velocity(s, 0.7, 1.5, 1.5);
    ps_move(s);
    ps_update_bests(s);
  }
}

// BUG: use-after-free: a NaN batch is reported from the values just freed
static int ps_eval_guarded(const ps_swarm *s, double *best) {
  ts_tensor *val = ts_log(s->pos);
  ts_tensor *bad = ts_isnan(val);
  ts_tensor *any = ts_any(bad);
  bool has_nan = ts_item(any) != 0.0;
  ts_free(any);
  ts_free(bad);
  if (has_nan) {
    ts_free(val);
    fprintf(stderr, "pso: NaN among %lld values\n", (long long)ts_numel(val)); // <- BUG
    return -1;
  }
  ts_tensor *m = ts_min(val);
  *best = ts_item(m);
  ts_free(m);
  ts_free(val);
  return 0;
}

// OK: the NaN report is printed before the values are freed
static int ps_eval_checked(const ps_swarm *s, double *best) {
  ts_tensor *val = ts_log(s->pos);
  if (!val)
    return -1;
  ts_tensor *bad = ts_isnan(val);
  ts_tensor *any = ts_any(bad);
  bool has_nan = ts_item(any) != 0.0;
  ts_free(any);
  ts_free(bad);
  if (has_nan) {
    fprintf(stderr, "pso: NaN among %lld values\n", (long long)ts_numel(val));
    ts_free(val);
    return -1;
  }
  ts_tensor *m = ts_min(val);
  *best = ts_item(m);
  ts_free(m);
  ts_free(val);
  return 0;
}

// BUG: double-free: the struct copy shares the personal bests with the source swarm
static int ps_swarm_fork(ps_swarm *dst, const ps_swarm *src) {
  *dst = *src; // <- BUG
  dst->pos = ts_clone(src->pos);
  dst->vel = ts_clone(src->vel);
  dst->pbest_val = ts_clone(src->pbest_val);
  dst->gbest = ts_clone(src->gbest);
  if (!dst->pos || !dst->vel || !dst->pbest_val || !dst->gbest)
    return -1;
  return 0;
}

// OK: a deep copy: every tensor of the source is cloned
static int ps_swarm_copy(ps_swarm *dst, const ps_swarm *src) {
  memset(dst, 0, sizeof *dst);
  dst->P = src->P;
  dst->D = src->D;
  dst->gbest_val = src->gbest_val;
  dst->pos = ts_clone(src->pos);
  dst->vel = ts_clone(src->vel);
  dst->pbest = ts_clone(src->pbest);
  dst->pbest_val = ts_clone(src->pbest_val);
  dst->gbest = ts_clone(src->gbest);
  if (dst->pos && dst->vel && dst->pbest && dst->pbest_val && dst->gbest)
    return 0;
  ts_tensor *all[5] = {dst->pos, dst->vel, dst->pbest, dst->pbest_val, dst->gbest};
  for (int i = 0; i < 5; i++)
    if (all[i])
      ts_free(all[i]);
  return -1;
}

// OK: the better island's best replaces the worse one's, as a copy
static void ps_migrate(ps_swarm *a, ps_swarm *b) {
  ps_swarm *from = a->gbest_val < b->gbest_val ? a : b;
  ps_swarm *to = from == a ? b : a;
  ts_tensor *g = ts_clone(from->gbest);
  if (!g)
    return;
  ts_free(to->gbest);
  to->gbest = g;
  to->gbest_val = from->gbest_val;
}

// BUG: use-after-scope: the positions' objective is read after the block that owned it
static double ps_probe(const ps_swarm *s) {
  ts_tensor *vals = NULL;
  TS_SCOPE {
    vals = ps_objective(s->pos);
  }
  float v[PS_MAXP];
  if (ts_copy_to_buffer(vals, v, sizeof(float) * (size_t)s->P) != TS_OK) // <- BUG
    return NAN;
  double m = v[0];
  for (int i = 1; i < s->P; i++)
    m = fmin(m, v[i]);
  return m;
}

// OK: the buffer copy happens inside the block
static double ps_probe_ok(const ps_swarm *s) {
  float v[PS_MAXP];
  ts_status st;
  TS_SCOPE {
    st = ts_copy_to_buffer(ps_objective(s->pos), v, sizeof(float) * (size_t)s->P);
  }
  if (st != TS_OK)
    return NAN;
  double m = v[0];
  for (int i = 1; i < s->P; i++)
    m = fmin(m, v[i]);
  return m;
}

// BUG: use-after-scope: the ranking written to the out-parameter belongs to the function's scope
TS_SCOPED static int ps_rank(const ps_swarm *s, ts_tensor **order) {
  ts_tensor *vals = ps_objective(s->pos);
  *order = ts_argsort(vals, 0, false); // <- BUG
  return s->P;
}

// OK: the ranking escaped before it goes to the out-parameter
TS_SCOPED static int ps_rank_ok(const ps_swarm *s, ts_tensor **order) {
  ts_tensor *vals = ps_objective(s->pos);
  *order = ts_escape(ts_argsort(vals, 0, false));
  return s->P;
}

// BUG: unescaped-return: escaped out of the block only, the centroid still dies with the function's scope
TS_SCOPED static ts_tensor *ps_elite_centroid(const ps_swarm *s, int k) {
  ts_tensor *order = ts_argsort(s->pbest_val, 0, false);
  TS_SCOPE {
    ts_tensor *top = ts_narrow(order, 0, 0, k);
    ts_tensor *elite = ts_index_select(s->pbest, 0, top);
    return ts_escape(ts_mean_dim(elite, TS_SHAPE(0), false, TS_NO_DTYPE)); // <- BUG
  }
  return NULL;
}

// OK: escaped out of the block, then out of the function's scope
TS_SCOPED static ts_tensor *ps_elite_centroid_ok(const ps_swarm *s, int k) {
  ts_tensor *order = ts_argsort(s->pbest_val, 0, false);
  ts_tensor *c = NULL;
  TS_SCOPE {
    ts_tensor *top = ts_narrow(order, 0, 0, k);
    ts_tensor *elite = ts_index_select(s->pbest, 0, top);
    c = ts_escape(ts_mean_dim(elite, TS_SHAPE(0), false, TS_NO_DTYPE));
  }
  return ts_escape(c);
}

// OK: summary returned by value; the caller owns both tensors
static ps_summary ps_summarise(const ps_swarm *s) {
  ps_summary r = {NULL, NULL, s->gbest_val};
  r.centre = ts_mean_dim(s->pos, TS_SHAPE(0), false, TS_NO_DTYPE);
  ts_tensor *v = ts_var_dim(s->pos, TS_SHAPE(0), false, false);
  if (v) {
    r.spread = ts_sqrt(v);
    ts_free(v);
  }
  return r;
}

// OK: a swarm optimised and summarised; everything freed
void ps_run_optimise(void) {
  ps_swarm s, t;
  double best;
  ts_manual_seed(3);
  if (ps_swarm_init(&s, 12, 3) != 0)
    return;
  ps_iterate(&s, 10);
  ps_step_logged(&s);
  if (ps_eval_checked(&s, &best) == 0)
    printf("pso: min log %.3f\n", best);
  printf("pso: probe %.3f\n", ps_probe_ok(&s));
  if (ps_swarm_copy(&t, &s) == 0) {
    ps_iterate(&t, 3);
    ps_migrate(&s, &t);
    ps_swarm_free(&t);
  }
  ts_tensor *order = NULL;
  ps_rank_ok(&s, &order);
  ts_free(order);
  ts_tensor *c = ps_elite_centroid_ok(&s, 4);
  ts_free(c);
  ps_summary r = ps_summarise(&s);
  printf("pso: best %.4f\n", r.best);
  ts_free(r.spread);
  ts_free(r.centre);
  ps_swarm_free(&s);
}

// OK: an empty box
void ps_run_box(void) {
  ps_swarm s;
  if (ps_swarm_init_box(&s, 8, 2, 1.0, 1.0) == 0)
    ps_swarm_free(&s);
}

// OK: the manual bests update
void ps_run_bests_manual(void) {
  ps_swarm s;
  if (ps_swarm_init(&s, 8, 2) != 0)
    return;
  ps_velocity(&s, 0.7, 1.5, 1.5);
  ps_move(&s);
  ps_update_bests_manual(&s);
  ps_swarm_free(&s);
}

// OK: a step that keeps the old positions
void ps_run_keep_old(void) {
  ps_swarm s;
  if (ps_swarm_init(&s, 8, 2) != 0)
    return;
  ps_velocity(&s, 0.7, 1.5, 1.5);
  ps_step_keep_old(&s);
  ps_swarm_free(&s);
}

// OK: positions shifted negative so the log has NaNs
void ps_run_nan(void) {
  ps_swarm s;
  double best;
  if (ps_swarm_init(&s, 8, 2) != 0)
    return;
  ts_tensor *shifted = ts_add_scalar(s.pos, -2.0);
  ts_free(s.pos);
  s.pos = shifted;
  if (ps_eval_guarded(&s, &best) != 0)
    printf("pso: bad batch\n");
  ps_swarm_free(&s);
}

// OK: forks an island and frees both
void ps_run_fork(void) {
  ps_swarm s, t;
  if (ps_swarm_init(&s, 8, 2) != 0)
    return;
  if (ps_swarm_fork(&t, &s) == 0)
    ps_swarm_free(&t);
  ps_swarm_free(&s);
}

// BUG: double-free: the global bests gathered from the islands are borrowed, yet freed here and by ps_swarm_free
void ps_run_islands(void) {
  ps_swarm isl[3];
  ts_tensor *best[3];
  int n = 0;
  for (int i = 0; i < 3; i++)
    if (ps_swarm_init(&isl[n], 8, 2) == 0)
      n++;
  for (int i = 0; i < n; i++) {
    ps_iterate(&isl[i], 2);
    best[i] = isl[i].gbest;
  }
  ts_tensor *all = ts_stack((const ts_tensor **)best, n, 0);
  printf("pso: %lld island bests\n", (long long)ts_size(all, 0));
  ts_free(all);
  for (int i = 0; i < n; i++)
    ts_free(best[i]); // <- BUG
  for (int i = 0; i < n; i++)
    ps_swarm_free(&isl[i]);
}

// OK: a probe whose values died with their block
void ps_run_probe(void) {
  ps_swarm s;
  if (ps_swarm_init(&s, 8, 2) != 0)
    return;
  printf("pso: probe %.3f\n", ps_probe(&s));
  ps_swarm_free(&s);
}

// OK: ranks through the scoped out-parameter
void ps_run_rank(void) {
  ps_swarm s;
  ts_tensor *order = NULL;
  if (ps_swarm_init(&s, 8, 2) != 0)
    return;
  ps_rank(&s, &order);
  printf("pso: %lld ranked\n", (long long)ts_numel(order));
  ts_free(order);
  ps_swarm_free(&s);
}

// OK: the elite centroid, used and freed
void ps_run_centroid(void) {
  ps_swarm s;
  if (ps_swarm_init(&s, 8, 2) != 0)
    return;
  ts_tensor *c = ps_elite_centroid(&s, 3);
  printf("pso: centroid %lld\n", (long long)ts_numel(c));
  ts_free(c);
  ps_swarm_free(&s);
}

// BUG: leak: only the centre of the summary is freed
void ps_run_summary(void) {
  ps_swarm s;
  if (ps_swarm_init(&s, 8, 2) != 0)
    return;
  ps_iterate(&s, 2);
  ps_summary r = ps_summarise(&s); // <- BUG
  printf("pso: centre %lld best %.3f\n", (long long)ts_numel(r.centre), r.best);
  ts_free(r.centre);
  ps_swarm_free(&s);
}

// BUG: use-after-free: the worse island's best is read after the migration replaced it
void ps_run_migrate_alias(void) {
  ps_swarm s, t;
  if (ps_swarm_init(&s, 8, 2) != 0)
    return;
  if (ps_swarm_copy(&t, &s) == 0) {
    t.gbest_val = 1e9;
    const ts_tensor *old = t.gbest;
    ps_migrate(&s, &t);
    ts_tensor *d = ts_sub(t.gbest, old); // <- BUG
    ts_free(d);
    ps_swarm_free(&t);
  }
  ps_swarm_free(&s);
}

// BUG: use-after-free: the centre is printed after it was freed
void ps_run_summary_order(void) {
  ps_swarm s;
  if (ps_swarm_init(&s, 8, 2) != 0)
    return;
  ps_summary r = ps_summarise(&s);
  ts_free(r.spread);
  ts_free(r.centre);
  printf("pso: centre of %lld dims\n", (long long)ts_numel(r.centre)); // <- BUG
  ps_swarm_free(&s);
}

// BUG: unescaped-return: ts_run's callback returns the objective values without escaping them
static void *ps_eval_cb(void *ctx) {
  const ps_swarm *s = ctx;
  ts_tensor *v = ps_objective(s->pos);
  return ts_neg(v); // <- BUG
}

// OK: evaluates through ts_run and frees the result
void ps_run_eval_cb(void) {
  ps_swarm s;
  if (ps_swarm_init(&s, 8, 2) != 0)
    return;
  ts_tensor *fit = ts_run(ps_eval_cb, &s);
  printf("pso: %lld fitness values\n", (long long)ts_numel(fit));
  ts_free(fit);
  ps_swarm_free(&s);
}
