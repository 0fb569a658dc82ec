/* heldout2_ensemble.c - model ensembles: an array of member structs that
 * own tensors, built from a list of configurations with rollback, averaged
 * predictions, pruning the worst member, distillation into a student.
 * Labels: tests/realistic/README.md. */
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define NM 4
#define IN 5
#define MAXH 16

struct member {
  ts_tensor *w1, *w2; /* [H, IN], [1, H] */
  double val_loss;
};

struct ensemble {
  struct member m[NM];
  int n;
};

// OK: a member with hidden width h; fails (nothing made) when h is too wide
static int member_init(struct member *m, int h) {
  if (h > MAXH)
    return -1;
  m->w1 = ts_randn(TS_SHAPE(h, IN), TS_FLOAT32);
  m->w2 = ts_randn(TS_SHAPE(1, h), TS_FLOAT32);
  m->val_loss = 0;
  return 0;
}

// OK: frees a member's tensors
static void member_free(struct member *m) {
  ts_free(m->w1);
  ts_free(m->w2);
}

// BUG: leak: re-initialising a member overwrites its weights without freeing
// the old ones
static void member_restart(struct member *m) {
  int64_t h = ts_size(m->w1, 0);
  m->w1 = ts_randn(TS_SHAPE(h, IN), TS_FLOAT32); // <- BUG
  m->w2 = ts_randn(TS_SHAPE(1, h), TS_FLOAT32);
  m->val_loss = 0;
}

// OK: builds one member per configuration; on failure the members made so
// far are freed and the ensemble is left empty
static int ens_init(struct ensemble *e, const int *hidden, int n) {
  e->n = 0;
  for (int i = 0; i < n && i < NM; i++) {
    if (member_init(&e->m[i], hidden[i]) != 0) {
      for (int j = 0; j < i; j++)
        member_free(&e->m[j]);
      e->n = 0;
      return -1;
    }
    e->n = i + 1;
  }
  return 0;
}

// OK: frees every member
static void ens_free(struct ensemble *e) {
  for (int i = 0; i < e->n; i++)
    member_free(&e->m[i]);
  e->n = 0;
}

// OK: one member's prediction [N, 1], in the caller's scope
TS_CALLER_SCOPE static ts_tensor *member_predict(const struct member *m,
                                                 const ts_tensor *x) {
  ts_tensor *h = ts_relu(ts_linear(x, m->w1, NULL));
  return ts_linear(h, m->w2, NULL);
}

// OK: the mean of the members' predictions, escaped out of the guard's scope
static ts_tensor *ens_predict(const struct ensemble *e, const ts_tensor *x) {
  TS_SCOPE_GUARD();
  const ts_tensor *preds[NM];
  for (int i = 0; i < e->n; i++)
    preds[i] = member_predict(&e->m[i], x);
  ts_tensor *s = ts_stack(preds, e->n, 0);
  return ts_escape(ts_mean_dim(s, TS_SHAPE(0), false, TS_NO_DTYPE));
}

// BUG: leak: the per-member predictions (made without a scope) are stacked
// but never freed
static ts_tensor *ens_predict_plain(const struct ensemble *e,
                                    const ts_tensor *x) {
  ts_tensor *preds[NM];
  for (int i = 0; i < e->n; i++) {
    ts_tensor *h = ts_linear(x, e->m[i].w1, NULL);
    ts_relu_(h);
    preds[i] = ts_linear(h, e->m[i].w2, NULL); // <- BUG
    ts_free(h);
  }
  ts_tensor *s = ts_stack((const ts_tensor *const *)preds, e->n, 0);
  ts_tensor *out = ts_mean_dim(s, TS_SHAPE(0), false, TS_NO_DTYPE);
  ts_free(s);
  return out;
}

// OK: builds, predicts both ways, frees (ens_predict_plain leaks by itself)
void ens_basic(void) {
  const int hidden[3] = {4, 8, 6};
  struct ensemble e;
  if (ens_init(&e, hidden, 3) != 0)
    return;
  ts_tensor *x = ts_randn(TS_SHAPE(2, IN), TS_FLOAT32);
  ts_tensor *a = ens_predict(&e, x);
  ts_tensor *b = ens_predict_plain(&e, x);
  printf("ensemble %lld %lld\n", (long long)ts_numel(a),
         (long long)ts_numel(b));
  ts_free(b);
  ts_free(a);
  ts_free(x);
  ens_free(&e);
}

// BUG: double-free: ens_init already freed the members it made when a
// configuration failed, and the caller frees them again by hand
void ens_bad_config(void) {
  const int hidden[3] = {4, 8, 64};
  struct ensemble e;
  if (ens_init(&e, hidden, 3) != 0) {
    fprintf(stderr, "ensemble: bad configuration\n");
    for (int i = 0; i < 2; i++)
      member_free(&e.m[i]); // <- BUG
    return;
  }
  ens_free(&e);
}

// OK: a failed configuration leaves nothing to free
void ens_bad_config_ok(void) {
  const int hidden[3] = {4, 8, 64};
  struct ensemble e;
  if (ens_init(&e, hidden, 3) != 0) {
    fprintf(stderr, "ensemble: bad configuration\n");
    return;
  }
  ens_free(&e);
}

// OK: the validation loss of each member, temporaries in a scope per member
static void ens_validate(struct ensemble *e, const ts_tensor *x,
                         const ts_tensor *y) {
  TS_SCOPE for (int i = 0; i < e->n; i++) {
    ts_tensor *p = member_predict(&e->m[i], x);
    e->m[i].val_loss = ts_item(ts_mse_loss(p, y));
  }
}

// OK: index of the member with the highest validation loss
static int ens_worst(const struct ensemble *e) {
  int w = 0;
  for (int i = 1; i < e->n; i++)
    if (e->m[i].val_loss > e->m[w].val_loss)
      w = i;
  return w;
}

// BUG: double-free: the worst member is freed and the last one moved into its
// slot, but the count is not decreased, so ens_free frees the last one twice
void ens_prune(void) {
  const int hidden[3] = {4, 4, 4};
  struct ensemble e;
  if (ens_init(&e, hidden, 3) != 0)
    return;
  ts_tensor *x = ts_randn(TS_SHAPE(8, IN), TS_FLOAT32);
  ts_tensor *y = ts_randn(TS_SHAPE(8, 1), TS_FLOAT32);
  ens_validate(&e, x, y);
  int w = ens_worst(&e);
  member_free(&e.m[w]);
  if (w != e.n - 1)
    e.m[w] = e.m[e.n - 1];
  ts_free(y);
  ts_free(x);
  ens_free(&e); // <- BUG
}

// OK: the same pruning with the count decreased
void ens_prune_ok(void) {
  const int hidden[3] = {4, 4, 4};
  struct ensemble e;
  if (ens_init(&e, hidden, 3) != 0)
    return;
  ts_tensor *x = ts_randn(TS_SHAPE(8, IN), TS_FLOAT32);
  ts_tensor *y = ts_randn(TS_SHAPE(8, 1), TS_FLOAT32);
  ens_validate(&e, x, y);
  int w = ens_worst(&e);
  member_free(&e.m[w]);
  e.m[w] = e.m[e.n - 1];
  e.n--;
  ts_free(y);
  ts_free(x);
  ens_free(&e);
}

// BUG: use-after-free: the pruned member's weight norm is logged after the
// member was freed
void ens_prune_logged(void) {
  const int hidden[2] = {4, 4};
  struct ensemble e;
  if (ens_init(&e, hidden, 2) != 0)
    return;
  int w = 1;
  member_free(&e.m[w]);
  ts_tensor *n = ts_norm_Scalar(e.m[w].w1, 2.0); // <- BUG
  printf("pruned member norm %.2f\n", ts_item(n));
  ts_free(n);
  e.m[w] = e.m[e.n - 1];
  e.n--;
  ens_free(&e);
}

// BUG: use-after-scope: the members' predictions are made in a scoped loop
// and averaged after it
void ens_average_scoped(void) {
  const int hidden[2] = {4, 6};
  struct ensemble e;
  if (ens_init(&e, hidden, 2) != 0)
    return;
  ts_tensor *x = ts_randn(TS_SHAPE(3, IN), TS_FLOAT32);
  ts_tensor *preds[NM];
  TS_SCOPE for (int i = 0; i < e.n; i++) {
    preds[i] = member_predict(&e.m[i], x);
  }
  ts_tensor *avg = ts_add(preds[0], preds[1]); // <- BUG
  ts_mul_Scalar_(avg, 0.5);
  printf("avg %lld\n", (long long)ts_numel(avg));
  ts_free(avg);
  ts_free(x);
  ens_free(&e);
}

// OK: restarts member 0 (member_restart leaks by itself)
void ens_restart(void) {
  const int hidden[2] = {4, 6};
  struct ensemble e;
  if (ens_init(&e, hidden, 2) != 0)
    return;
  member_restart(&e.m[0]);
  ens_free(&e);
}

// BUG: leak: when the student already matches the teacher, the function
// returns before freeing the teacher's predictions
static double distill_step(const struct ensemble *e, struct member *student,
                           const ts_tensor *x, double tol) {
  ts_tensor *teacher = ens_predict(e, x); // <- BUG
  ts_tensor *h = ts_linear(x, student->w1, NULL);
  ts_relu_(h);
  ts_tensor *p = ts_linear(h, student->w2, NULL);
  ts_free(h);
  ts_tensor *loss = ts_mse_loss(p, teacher);
  ts_free(p);
  double l = ts_item(loss);
  ts_free(loss);
  if (l < tol)
    return l;
  ts_free(teacher);
  return l;
}

// OK: distils with a tolerance that always ends early (the helper's leak)
void ens_distill(void) {
  const int hidden[2] = {4, 6};
  struct ensemble e;
  if (ens_init(&e, hidden, 2) != 0)
    return;
  struct member student;
  if (member_init(&student, 3) != 0) {
    ens_free(&e);
    return;
  }
  ts_tensor *x = ts_randn(TS_SHAPE(4, IN), TS_FLOAT32);
  printf("distill loss %.3f\n", distill_step(&e, &student, x, 1e9));
  ts_free(x);
  member_free(&student);
  ens_free(&e);
}
