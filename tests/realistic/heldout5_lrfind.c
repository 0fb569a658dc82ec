/* heldout5_lrfind.c - a learning-rate range test: a small MLP, a snapshot
 * of its weights taken before the sweep and restored after it, the
 * learning rate raised geometrically per mini-batch, an exponentially
 * smoothed loss, early stop on divergence, the suggested rate at the
 * steepest descent, and trials run as ts_run jobs.
 * Labels: tests/realistic/README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { IN = 3, HID2 = 8, MB = 16, NPAR = 4, MAXSTEPS = 12 };

struct mlp {
  ts_tensor *par[NPAR]; /* w1 b1 w2 b2, owned */
};

struct snapshot {
  ts_tensor *saved[NPAR]; /* clones, owned */
  int valid;
};

struct finder {
  double lr0, lr1;
  int steps;
  double lrs[MAXSTEPS], losses[MAXSTEPS];
  int n;
};

struct trial {
  struct mlp *m;
  const ts_tensor *x, *y;
  double lr;
  double loss;
};

// OK: parameters made outside a scope, each requiring a gradient
static int mlp_init(struct mlp *m) {
  int64_t shp[NPAR][2] = {{IN, HID2}, {HID2, 0}, {HID2, 1}, {1, 0}};
  for (int i = 0; i < NPAR; i++) {
    m->par[i] = ts_randn(shp[i], shp[i][1] ? 2 : 1, TS_FLOAT32);
    if (!m->par[i]) {
      for (int j = 0; j < i; j++)
        ts_free(m->par[j]);
      return -1;
    }
    ts_requires_grad(m->par[i], true);
  }
  return 0;
}

// OK: frees the parameters
static void mlp_free(struct mlp *m) {
  for (int i = 0; i < NPAR; i++)
    ts_free(m->par[i]);
}

// OK: prediction [MB, 1] in the caller's scope
TS_CALLER_SCOPE static ts_tensor *mlp_forward(const struct mlp *m,
                                              const ts_tensor *x) {
  ts_tensor *h = ts_relu(ts_add(ts_matmul(x, m->par[0]), m->par[1]));
  return ts_add(ts_matmul(h, m->par[2]), m->par[3]);
}

// OK: a regression batch y = sum(x) + noise; both manual, via out-parameters
static int make_batch(ts_tensor **x, ts_tensor **y) {
  *x = ts_randn(TS_SHAPE(MB, IN), TS_FLOAT32);
  if (!*x)
    return -1;
  TS_SCOPE {
    ts_tensor *s = ts_sum_dim_IntList(*x, TS_SHAPE(1), true, TS_FLOAT32);
    *y = ts_keep(
        ts_add(s, ts_mul_scalar(ts_randn(TS_SHAPE(MB, 1), TS_FLOAT32), 0.1)));
  }
  return 0;
}

// OK: clones every parameter (detached) into the snapshot
static int snapshot_take(struct snapshot *s, const struct mlp *m) {
  for (int i = 0; i < NPAR; i++) {
    ts_tensor *d = ts_detach(m->par[i]);
    s->saved[i] = ts_clone(d);
    ts_free(d);
  }
  s->valid = 1;
  return 0;
}

// OK: the parameters are replaced by the saved clones, which the model now owns
static void snapshot_restore(struct snapshot *s, struct mlp *m) {
  for (int i = 0; i < NPAR; i++) {
    ts_free(m->par[i]);
    m->par[i] = s->saved[i];
    s->saved[i] = NULL;
    ts_requires_grad(m->par[i], true);
  }
  s->valid = 0;
}

// OK: frees whatever the snapshot still holds
static void snapshot_free(struct snapshot *s) {
  for (int i = 0; i < NPAR; i++)
    if (s->saved[i]) {
      ts_free(s->saved[i]);
      s->saved[i] = NULL;
    }
  s->valid = 0;
}

// BUG: double-free: restore moves the clones into the model but leaves them in
// the snapshot
static void snapshot_restore_keep(struct snapshot *s, struct mlp *m) {
  for (int i = 0; i < NPAR; i++) {
    ts_free(m->par[i]);
    m->par[i] = s->saved[i]; // <- BUG
    ts_requires_grad(m->par[i], true);
  }
}

// BUG: leak: restoring a second snapshot over the first loses the first's
// clones
static void snapshot_retake(struct snapshot *s, const struct mlp *m) {
  for (int i = 0; i < NPAR; i++)
    s->saved[i] = ts_clone(m->par[i]); // <- BUG
  s->valid = 1;
}

// OK: one SGD step at lr in the function's scope; returns the loss value
TS_SCOPED static double sgd_step(struct mlp *m, const ts_tensor *x,
                                 const ts_tensor *y, double lr) {
  ts_tensor *loss = ts_mse_loss(mlp_forward(m, x), y);
  double v = ts_item(loss);
  ts_backward(loss);
  ts_sgd_step_all(m->par, NPAR, lr, TS_GRAD_ZERO);
  return v;
}

// OK: a ts_run job: one step, the loss stored in the trial
static void *trial_job(void *ctx) {
  struct trial *t = ctx;
  ts_tensor *loss = ts_mse_loss(mlp_forward(t->m, t->x), t->y);
  t->loss = ts_item(loss);
  ts_backward(loss);
  ts_sgd_step_all(t->m->par, NPAR, t->lr, TS_GRAD_ZERO);
  return NULL;
}

// BUG: unescaped-return: the job returns its loss tensor, owned by the run's
// scope
static void *trial_job_loss(void *ctx) {
  struct trial *t = ctx;
  ts_tensor *loss = ts_mse_loss(mlp_forward(t->m, t->x), t->y);
  ts_backward(loss);
  ts_sgd_step_all(t->m->par, NPAR, t->lr, TS_GRAD_ZERO);
  return loss; // <- BUG
}

// OK: the range test: smoothed losses recorded until divergence; weights
// restored
static int range_test(struct finder *f, struct mlp *m) {
  struct snapshot snap = {{NULL}, 0};
  snapshot_take(&snap, m);
  double q = pow(f->lr1 / f->lr0, 1.0 / (f->steps - 1)), lr = f->lr0;
  double avg = 0, best = 1e30;
  f->n = 0;
  for (int s = 0; s < f->steps && s < MAXSTEPS; s++, lr *= q) {
    ts_tensor *x, *y;
    if (make_batch(&x, &y) != 0)
      break;
    struct trial t = {m, x, y, lr, 0};
    ts_run(trial_job, &t);
    ts_free(x);
    ts_free(y);
    avg = s == 0 ? t.loss : 0.7 * avg + 0.3 * t.loss;
    f->lrs[f->n] = lr;
    f->losses[f->n++] = avg;
    if (avg < best)
      best = avg;
    if (avg > 4 * best || isnan(avg))
      break;
  }
  snapshot_restore(&snap, m);
  snapshot_free(&snap);
  return f->n;
}

// BUG: leak: the divergence exit skips the batch frees
static int range_test_leaky(struct finder *f, struct mlp *m) {
  double q = pow(f->lr1 / f->lr0, 1.0 / (f->steps - 1)), lr = f->lr0;
  double best = 1e30;
  f->n = 0;
  for (int s = 0; s < f->steps && s < MAXSTEPS; s++, lr *= q) {
    ts_tensor *x, *y;
    if (make_batch(&x, &y) != 0) // <- BUG
      break;
    struct trial t = {m, x, y, lr, 0};
    ts_run(trial_job, &t);
    f->lrs[f->n] = lr;
    f->losses[f->n++] = t.loss;
    if (t.loss < best)
      best = t.loss;
    if (t.loss > 2 * best || isnan(t.loss) || s == 1)
      break;
    ts_free(x);
    ts_free(y);
  }
  return f->n;
}

// OK: the rate with the steepest loss drop, from the host arrays
static double suggest(const struct finder *f) {
  double best = 0, lr = f->n ? f->lrs[0] : 0;
  for (int i = 1; i < f->n; i++) {
    double d = f->losses[i - 1] - f->losses[i];
    if (d > best) {
      best = d;
      lr = f->lrs[i];
    }
  }
  return lr;
}

// OK: the full finder: model, sweep, suggestion, teardown
void lr5_find(void) {
  struct mlp m;
  struct finder f = {1e-4, 1.0, 8, {0}, {0}, 0};
  ts_manual_seed(17);
  if (mlp_init(&m) != 0)
    return;
  range_test(&f, &m);
  printf("%d steps, suggested lr %.4g\n", f.n, suggest(&f));
  mlp_free(&m);
}

// OK: steps through sgd_step with a fixed rate; batch freed each time
void lr5_fixed(void) {
  struct mlp m;
  if (mlp_init(&m) != 0)
    return;
  for (int s = 0; s < 3; s++) {
    ts_tensor *x, *y;
    if (make_batch(&x, &y) != 0)
      break;
    printf("loss %.4f\n", sgd_step(&m, x, y, 0.01));
    ts_free(x);
    ts_free(y);
  }
  mlp_free(&m);
}

// OK: drives snapshot_restore_keep followed by the snapshot's teardown
void lr5_restore_keep(void) {
  struct mlp m;
  struct snapshot s = {{NULL}, 0};
  mlp_init(&m);
  snapshot_take(&s, &m);
  snapshot_restore_keep(&s, &m);
  snapshot_free(&s);
  mlp_free(&m);
}

// OK: drives snapshot_retake twice on one snapshot
void lr5_retake(void) {
  struct mlp m;
  struct snapshot s = {{NULL}, 0};
  mlp_init(&m);
  snapshot_retake(&s, &m);
  snapshot_retake(&s, &m);
  snapshot_free(&s);
  mlp_free(&m);
}

// OK: uses and frees trial_job_loss's result
void lr5_trial_loss(void) {
  struct mlp m;
  ts_tensor *x, *y;
  mlp_init(&m);
  make_batch(&x, &y);
  struct trial t = {&m, x, y, 0.01, 0};
  ts_tensor *loss = ts_run(trial_job_loss, &t);
  printf("loss %.4f\n", ts_item(loss));
  ts_free(loss);
  ts_free(x);
  ts_free(y);
  mlp_free(&m);
}

// OK: drives range_test_leaky, which leaves on its second step
void lr5_range_leaky(void) {
  struct mlp m;
  struct finder f = {1e-3, 10.0, 6, {0}, {0}, 0};
  mlp_init(&m);
  range_test_leaky(&f, &m);
  mlp_free(&m);
}

// BUG: use-after-free: the batch is freed before the trial that reads it
void lr5_batch_early(void) {
  struct mlp m;
  ts_tensor *x, *y;
  mlp_init(&m);
  make_batch(&x, &y);
  ts_free(y);
  struct trial t = {&m, x, y, 0.01, 0};
  ts_run(trial_job, &t); // <- BUG
  ts_free(x);
  mlp_free(&m);
}

// BUG: use-after-free: a parameter alias is read after the snapshot restore
// replaced it
void lr5_stale_param(void) {
  struct mlp m;
  struct snapshot s = {{NULL}, 0};
  mlp_init(&m);
  ts_tensor *w1 = m.par[0];
  snapshot_take(&s, &m);
  snapshot_restore(&s, &m);
  printf("w1 %lld\n", (long long)ts_numel(w1)); // <- BUG
  snapshot_free(&s);
  mlp_free(&m);
}

// BUG: double-free: the snapshot's clone is freed by hand and again by
// snapshot_free
void lr5_snapshot_twice(void) {
  struct mlp m;
  struct snapshot s = {{NULL}, 0};
  mlp_init(&m);
  snapshot_take(&s, &m);
  ts_free(s.saved[0]);
  snapshot_free(&s); // <- BUG
  mlp_free(&m);
}

// OK: the clone is freed by hand and cleared, so snapshot_free skips it
void lr5_snapshot_once(void) {
  struct mlp m;
  struct snapshot s = {{NULL}, 0};
  mlp_init(&m);
  snapshot_take(&s, &m);
  ts_free(s.saved[0]);
  s.saved[0] = NULL;
  snapshot_free(&s);
  mlp_free(&m);
}

// BUG: use-after-scope: the prediction of a scoped block is compared after it
void lr5_pred_scope(void) {
  struct mlp m;
  ts_tensor *x, *y;
  mlp_init(&m);
  make_batch(&x, &y);
  ts_tensor *pred;
  TS_SCOPE { pred = mlp_forward(&m, x); }
  ts_tensor *err = ts_mse_loss(pred, y); // <- BUG
  ts_free(err);
  ts_free(x);
  ts_free(y);
  mlp_free(&m);
}

// BUG: leak: the gradient handle fetched for the log is never freed
void lr5_grad_norm(void) {
  struct mlp m;
  ts_tensor *x, *y;
  mlp_init(&m);
  make_batch(&x, &y);
  TS_SCOPE { ts_backward(ts_mse_loss(mlp_forward(&m, x), y)); }
  ts_tensor *g = ts_grad(m.par[0]); // <- BUG
  if (g)
    printf("grad numel %lld\n", (long long)ts_numel(g));
  ts_free(x);
  ts_free(y);
  mlp_free(&m);
}

// OK: the gradient handle is freed after the log
void lr5_grad_norm_ok(void) {
  struct mlp m;
  ts_tensor *x, *y;
  mlp_init(&m);
  make_batch(&x, &y);
  TS_SCOPE { ts_backward(ts_mse_loss(mlp_forward(&m, x), y)); }
  ts_tensor *g = ts_grad(m.par[0]);
  if (g) {
    printf("grad numel %lld\n", (long long)ts_numel(g));
    ts_free(g);
  }
  ts_free(x);
  ts_free(y);
  mlp_free(&m);
}

// BUG: use-after-free: the error path logs a weight's size after tearing the
// model down
void lr5_error_path(void) {
  struct mlp m;
  struct finder f = {1.0, 1e-3, 4, {0}, {0}, 0};
  if (mlp_init(&m) != 0)
    return;
  if (f.lr1 < f.lr0) {
    fprintf(stderr, "lr range reversed\n");
    mlp_free(&m);
    printf("w2 was %lld\n", (long long)ts_numel(m.par[2])); // <- BUG
    return;
  }
  range_test(&f, &m);
  mlp_free(&m);
}

// OK: the reversed range returns right after the teardown
void lr5_error_path_ok(void) {
  struct mlp m;
  struct finder f = {1.0, 1e-3, 4, {0}, {0}, 0};
  if (mlp_init(&m) != 0)
    return;
  if (f.lr1 < f.lr0) {
    fprintf(stderr, "lr range reversed\n");
    mlp_free(&m);
    return;
  }
  range_test(&f, &m);
  mlp_free(&m);
}
