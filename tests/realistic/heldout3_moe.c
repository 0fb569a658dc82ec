/* heldout3_moe.c - a mixture of experts and a multi-task network: experts
 * in an array of structs, a softmax gate, dense and top-1 routing, a
 * load-balancing loss, pruning an expert, a shared trunk feeding task
 * heads, per-task losses.
 * Labels: tests/realistic/README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { DM = 6, DO = 3, MAXE = 4, BATCH = 12 };

struct expert {
  ts_tensor *w; /* [DM,DO] */
  ts_tensor *b; /* [DO] */
};

struct moe {
  ts_tensor *gate; /* [DM,MAXE] */
  struct expert ex[MAXE];
  int n;
};

// OK: prints the mean of a tensor from a guard scope
static void pmean(const char *what, const ts_tensor *t) {
  TS_SCOPE_GUARD();
  printf("%s %.4f\n", what, ts_item(ts_mean(t)));
}

// OK: one expert's weights into the struct; nothing kept on failure
static int expert_init(struct expert *e) {
  e->w = ts_randn(TS_SHAPE(DM, DO), TS_FLOAT32);
  if (!e->w)
    return -1;
  e->b = ts_zeros(TS_SHAPE(DO), TS_FLOAT32);
  if (!e->b) {
    ts_free(e->w);
    return -1;
  }
  return 0;
}

// OK: the gate and n experts; a failed expert rolls back the others
static int moe_init(struct moe *m, int n) {
  m->gate = ts_randn(TS_SHAPE(DM, MAXE), TS_FLOAT32);
  if (!m->gate)
    return -1;
  m->n = 0;
  for (int i = 0; i < n; i++) {
    if (expert_init(&m->ex[i]) != 0) {
      while (i-- > 0) {
        ts_free(m->ex[i].w);
        ts_free(m->ex[i].b);
      }
      ts_free(m->gate);
      return -1;
    }
    m->n++;
  }
  return 0;
}

// OK: frees the gate and every expert
static void moe_free(struct moe *m) {
  for (int i = 0; i < m->n; i++) {
    ts_free(m->ex[i].w);
    ts_free(m->ex[i].b);
  }
  ts_free(m->gate);
}

// OK: one expert on a batch, a new tensor
static ts_tensor *expert_forward(const struct expert *e, const ts_tensor *x) {
  ts_tensor *y = ts_matmul(x, e->w);
  ts_add_Tensor_(y, e->b, 1.0);
  return y;
}

// OK: gate probabilities over the live experts, in the caller's scope
TS_CALLER_SCOPE static ts_tensor *gate_probs(const struct moe *m,
                                             const ts_tensor *x) {
  ts_tensor *g = ts_narrow(m->gate, 1, 0, m->n);
  return ts_softmax(ts_matmul(x, g), 1);
}

// OK: dense mixture: every expert weighted by its gate column; the sum is
// escaped out of the block
static ts_tensor *moe_dense(const struct moe *m, const ts_tensor *x) {
  ts_tensor *out = NULL;
  TS_SCOPE {
    ts_tensor *p = gate_probs(m, x);
    ts_tensor *acc = ts_zeros(TS_SHAPE(ts_size(x, 0), DO), TS_FLOAT32);
    for (int i = 0; i < m->n; i++) {
      ts_tensor *y = expert_forward(&m->ex[i], x);
      ts_tensor *pi = ts_narrow(p, 1, i, 1);
      ts_add_Tensor_(acc, ts_mul(y, pi), 1.0);
    }
    out = ts_escape(acc);
  }
  return out;
}

// OK: dense forward on a batch
void moe_dense_run(void) {
  struct moe m;
  if (moe_init(&m, 3) != 0)
    return;
  ts_tensor *x = ts_randn(TS_SHAPE(BATCH, DM), TS_FLOAT32);
  ts_tensor *y = moe_dense(&m, x);
  pmean("dense", y);
  ts_free(y);
  ts_free(x);
  moe_free(&m);
}

// OK: the rows routed to expert e as an index vector, NULL when none
static ts_tensor *rows_for(const ts_tensor *choice, int e) {
  ts_tensor *hit = ts_eq_Scalar(choice, (double)e);
  ts_tensor *nz = ts_nonzero(hit);
  ts_free(hit);
  if (ts_size(nz, 0) == 0) {
    ts_free(nz);
    return NULL;
  }
  ts_tensor *idx = ts_reshape(nz, TS_SHAPE(-1));
  ts_free(nz);
  return idx;
}

// OK: top-1 routing: each expert runs on its rows only, the results are
// put back in place; an expert with no rows is skipped
static ts_tensor *moe_top1(const struct moe *m, const ts_tensor *x) {
  ts_tensor *choice;
  TS_SCOPE {
    ts_tensor *p = gate_probs(m, x);
    choice = ts_escape(ts_argmax_dim(p, 1));
  }
  ts_tensor *out = ts_zeros(TS_SHAPE(ts_size(x, 0), DO), TS_FLOAT32);
  for (int e = 0; e < m->n; e++) {
    ts_tensor *idx = rows_for(choice, e);
    if (!idx)
      continue;
    ts_tensor *xe = ts_index_select(x, 0, idx);
    ts_tensor *ye = expert_forward(&m->ex[e], xe);
    ts_index_put_(out, (const ts_tensor *[]){idx}, 1, ye, false);
    ts_free(ye);
    ts_free(xe);
    ts_free(idx);
  }
  ts_free(choice);
  return out;
}

// OK: top-1 routing on a batch
void moe_top1_run(void) {
  struct moe m;
  if (moe_init(&m, 3) != 0)
    return;
  ts_tensor *x = ts_randn(TS_SHAPE(BATCH, DM), TS_FLOAT32);
  ts_tensor *y = moe_top1(&m, x);
  pmean("top1", y);
  ts_free(y);
  ts_free(x);
  moe_free(&m);
}

// BUG: leak: an expert over its capacity is skipped with `continue`, and
// its row indices are not freed
static ts_tensor *moe_top1_capacity(const struct moe *m, const ts_tensor *x,
                                    int64_t capacity) {
  ts_tensor *choice;
  TS_SCOPE { choice = ts_escape(ts_argmax_dim(gate_probs(m, x), 1)); }
  ts_tensor *out = ts_zeros(TS_SHAPE(ts_size(x, 0), DO), TS_FLOAT32);
  for (int e = 0; e < m->n; e++) {
    ts_tensor *idx = rows_for(choice, e); // <- BUG
    if (!idx)
      continue;
    if (ts_numel(idx) > capacity)
      continue;
    ts_tensor *xe = ts_index_select(x, 0, idx);
    ts_tensor *ye = expert_forward(&m->ex[e], xe);
    ts_index_put_(out, (const ts_tensor *[]){idx}, 1, ye, false);
    ts_free(ye);
    ts_free(xe);
    ts_free(idx);
  }
  ts_free(choice);
  return out;
}

// OK: a tiny capacity (the routing leaks on the dropped experts)
void moe_capacity_run(void) {
  struct moe m;
  if (moe_init(&m, 3) != 0)
    return;
  ts_tensor *x = ts_randn(TS_SHAPE(BATCH, DM), TS_FLOAT32);
  ts_tensor *y = moe_top1_capacity(&m, x, 1);
  pmean("capacity", y);
  ts_free(y);
  ts_free(x);
  moe_free(&m);
}

// OK: load-balancing loss n * sum_e (fraction routed to e) * (mean prob e)
TS_SCOPED static double balance_loss(const struct moe *m, const ts_tensor *x) {
  ts_tensor *p = gate_probs(m, x);
  ts_tensor *choice = ts_argmax_dim(p, 1);
  ts_tensor *frac =
      ts_div_Scalar(ts_bincount(choice, NULL, m->n), (double)ts_size(x, 0));
  ts_tensor *meanp = ts_mean_dim(p, TS_SHAPE(0), false, TS_NO_DTYPE);
  return m->n * ts_item(ts_sum(ts_mul(frac, meanp)));
}

// OK: prints the balance loss
void moe_balance(void) {
  struct moe m;
  if (moe_init(&m, 4) != 0)
    return;
  ts_tensor *x = ts_randn(TS_SHAPE(BATCH, DM), TS_FLOAT32);
  printf("balance %.4f\n", balance_loss(&m, x));
  ts_free(x);
  moe_free(&m);
}

// OK: removes expert e: frees it, shifts the rest down, one fewer
static void moe_prune(struct moe *m, int e) {
  ts_free(m->ex[e].w);
  ts_free(m->ex[e].b);
  for (int i = e; i + 1 < m->n; i++)
    m->ex[i] = m->ex[i + 1];
  m->n--;
}

// OK: prunes the expert with the smallest weight norm
void moe_prune_weakest(void) {
  struct moe m;
  if (moe_init(&m, 4) != 0)
    return;
  int weakest = 0;
  double best = INFINITY;
  for (int i = 0; i < m.n; i++) {
    ts_tensor *nrm = ts_norm_Scalar(m.ex[i].w, 2.0);
    double v = ts_item(nrm);
    ts_free(nrm);
    if (v < best) {
      best = v;
      weakest = i;
    }
  }
  moe_prune(&m, weakest);
  ts_tensor *x = ts_randn(TS_SHAPE(BATCH, DM), TS_FLOAT32);
  ts_tensor *y = moe_dense(&m, x);
  pmean("pruned", y);
  ts_free(y);
  ts_free(x);
  moe_free(&m);
}

// BUG: double-free: the shift leaves the count unchanged, so the last slot
// still holds its tensors and a copy of them sits one slot down
void moe_prune_first(void) {
  struct moe m;
  if (moe_init(&m, 3) != 0)
    return;
  ts_free(m.ex[0].w);
  ts_free(m.ex[0].b);
  for (int i = 0; i + 1 < m.n; i++)
    m.ex[i] = m.ex[i + 1];
  moe_free(&m); // <- BUG
}

struct mt_net {
  ts_tensor *trunk;   /* [DM,DM] */
  ts_tensor *head[3]; /* classification [DM,3], regression [DM,1], aux [DM,2] */
};

// OK: the trunk and three heads; goto cleanup on failure
static int mt_init(struct mt_net *n) {
  const int64_t outs[3] = {3, 1, 2};
  int made = 0;
  n->trunk = ts_randn(TS_SHAPE(DM, DM), TS_FLOAT32);
  if (!n->trunk)
    return -1;
  for (; made < 3; made++) {
    n->head[made] = ts_randn(TS_SHAPE(DM, outs[made]), TS_FLOAT32);
    if (!n->head[made])
      goto fail;
  }
  return 0;
fail:
  while (made-- > 0)
    ts_free(n->head[made]);
  ts_free(n->trunk);
  return -1;
}

// OK: frees the trunk and the heads
static void mt_free(struct mt_net *n) {
  ts_free(n->trunk);
  for (int i = 0; i < 3; i++)
    ts_free(n->head[i]);
}

// OK: shared features tanh(x W)
static ts_tensor *mt_features(const struct mt_net *n, const ts_tensor *x) {
  ts_tensor *h = ts_matmul(x, n->trunk);
  ts_tanh_(h);
  return h;
}

// OK: the three task losses from one trunk pass; features freed last
void mt_losses(void) {
  struct mt_net n;
  if (mt_init(&n) != 0)
    return;
  ts_tensor *x = ts_randn(TS_SHAPE(BATCH, DM), TS_FLOAT32);
  ts_tensor *cls = ts_randint(3, TS_SHAPE(BATCH), TS_INT64, NULL);
  ts_tensor *reg = ts_randn(TS_SHAPE(BATCH, 1), TS_FLOAT32);
  ts_tensor *h = mt_features(&n, x);
  ts_tensor *logits = ts_matmul(h, n.head[0]);
  ts_tensor *yhat = ts_matmul(h, n.head[1]);
  ts_free(h);
  ts_tensor *l1 = ts_cross_entropy(logits, cls);
  ts_tensor *l2 = ts_mse_loss(yhat, reg);
  printf("losses %.3f %.3f\n", ts_item(l1), ts_item(l2));
  ts_free(l1);
  ts_free(l2);
  ts_free(yhat);
  ts_free(logits);
  ts_free(reg);
  ts_free(cls);
  ts_free(x);
  mt_free(&n);
}

// BUG: use-after-free: the features are freed after the first head, and the
// second head still reads them
void mt_losses_reordered(void) {
  struct mt_net n;
  if (mt_init(&n) != 0)
    return;
  ts_tensor *x = ts_randn(TS_SHAPE(BATCH, DM), TS_FLOAT32);
  ts_tensor *h = mt_features(&n, x);
  ts_tensor *logits = ts_matmul(h, n.head[0]);
  ts_free(h);
  ts_tensor *aux = ts_matmul(h, n.head[2]); // <- BUG
  ts_free(aux);
  ts_free(logits);
  ts_free(x);
  mt_free(&n);
}

// OK: per-task losses collected as doubles from a scoped loop
void mt_task_table(void) {
  struct mt_net n;
  if (mt_init(&n) != 0)
    return;
  ts_tensor *x = ts_randn(TS_SHAPE(BATCH, DM), TS_FLOAT32);
  double loss[3];
  TS_SCOPE for (int t = 0; t < 3; t++) {
    ts_tensor *h = mt_features(&n, x);
    ts_tensor *out = ts_matmul(h, n.head[t]);
    loss[t] = ts_item(ts_mean(ts_mul(out, out)));
  }
  printf("tasks %.3f %.3f %.3f\n", loss[0], loss[1], loss[2]);
  ts_free(x);
  mt_free(&n);
}

// BUG: use-after-scope: per-task outputs are kept in an array from the
// scoped loop and reduced after it
void mt_task_outputs(void) {
  struct mt_net n;
  if (mt_init(&n) != 0)
    return;
  ts_tensor *x = ts_randn(TS_SHAPE(BATCH, DM), TS_FLOAT32);
  ts_tensor *outs[3];
  TS_SCOPE for (int t = 0; t < 3; t++) {
    ts_tensor *h = mt_features(&n, x);
    outs[t] = ts_matmul(h, n.head[t]);
  }
  for (int t = 0; t < 3; t++)
    pmean("task", outs[t]); // <- BUG
  ts_free(x);
  mt_free(&n);
}

// BUG: unescaped-return: the auxiliary head's output is returned from the
// scoped helper without ts_escape
TS_SCOPED static ts_tensor *mt_aux(const struct mt_net *n, const ts_tensor *x) {
  ts_tensor *h = mt_features(n, x);
  return ts_log_softmax(ts_matmul(h, n->head[2]), 1); // <- BUG
}

// OK: the classification head escaped from the scoped helper
TS_SCOPED static ts_tensor *mt_cls(const struct mt_net *n, const ts_tensor *x) {
  ts_tensor *h = mt_features(n, x);
  return ts_escape(ts_softmax(ts_matmul(h, n->head[0]), 1));
}

// OK: both heads' outputs (the auxiliary helper is wrong)
void mt_heads(void) {
  struct mt_net n;
  if (mt_init(&n) != 0)
    return;
  ts_tensor *x = ts_randn(TS_SHAPE(BATCH, DM), TS_FLOAT32);
  ts_tensor *c = mt_cls(&n, x);
  pmean("cls", c);
  ts_free(c);
  ts_tensor *a = mt_aux(&n, x);
  pmean("aux", a);
  ts_free(a);
  ts_free(x);
  mt_free(&n);
}

// OK: the classification head only
void mt_cls_only(void) {
  struct mt_net n;
  if (mt_init(&n) != 0)
    return;
  ts_tensor *x = ts_randn(TS_SHAPE(BATCH, DM), TS_FLOAT32);
  ts_tensor *c = mt_cls(&n, x);
  ts_tensor *pred = ts_argmax_dim(c, 1);
  ts_free(c);
  ts_tensor *pf = ts_to_dtype(pred, TS_FLOAT32, false, false);
  ts_free(pred);
  pmean("pred", pf);
  ts_free(pf);
  ts_free(x);
  mt_free(&n);
}

// BUG: leak: the regression targets are made for a task that the switch
// then skips, and nothing frees them there
static double mt_task_loss(const struct mt_net *n, const ts_tensor *x,
                           int task) {
  ts_tensor *target = ts_randn(TS_SHAPE(BATCH, 1), TS_FLOAT32); // <- BUG
  double v = 0.0;
  switch (task) {
  case 1: {
    ts_tensor *h = mt_features(n, x);
    ts_tensor *y = ts_matmul(h, n->head[1]);
    ts_tensor *l = ts_mse_loss(y, target);
    v = ts_item(l);
    ts_free(l);
    ts_free(y);
    ts_free(h);
    break;
  }
  case 0:
  case 2:
    return NAN;
  default:
    break;
  }
  ts_free(target);
  return v;
}

// OK: asks for every task (the helper leaks on tasks 0 and 2)
void mt_task_switch(void) {
  struct mt_net n;
  if (mt_init(&n) != 0)
    return;
  ts_tensor *x = ts_randn(TS_SHAPE(BATCH, DM), TS_FLOAT32);
  for (int t = 0; t < 3; t++)
    printf("task %d %.3f\n", t, mt_task_loss(&n, x, t));
  ts_free(x);
  mt_free(&n);
}

struct route_job {
  const struct moe *m;
  const ts_tensor *x;
  int64_t counts[MAXE];
};

// OK: routing counts in a run's scope
static void *route_count_job(void *ctx) {
  struct route_job *j = ctx;
  ts_tensor *choice = ts_argmax_dim(gate_probs(j->m, j->x), 1);
  for (int e = 0; e < j->m->n; e++)
    j->counts[e] = (int64_t)ts_item(ts_sum(ts_eq_Scalar(choice, e)));
  return NULL;
}

// OK: prints how many rows each expert gets
void moe_route_counts(void) {
  struct moe m;
  if (moe_init(&m, 3) != 0)
    return;
  ts_tensor *x = ts_randn(TS_SHAPE(BATCH, DM), TS_FLOAT32);
  struct route_job j = {&m, x, {0}};
  ts_run(route_count_job, &j);
  printf("routes %lld %lld %lld\n", (long long)j.counts[0],
         (long long)j.counts[1], (long long)j.counts[2]);
  ts_free(x);
  moe_free(&m);
}

// BUG: leak: the gate probabilities computed for a report are never freed
void moe_gate_report(void) {
  struct moe m;
  if (moe_init(&m, 3) != 0)
    return;
  ts_tensor *x = ts_randn(TS_SHAPE(BATCH, DM), TS_FLOAT32);
  ts_tensor *g = ts_narrow(m.gate, 1, 0, m.n);
  ts_tensor *logits = ts_matmul(x, g);
  ts_free(g);
  ts_tensor *p = ts_softmax(logits, 1); // <- BUG
  ts_free(logits);
  pmean("gate", p);
  ts_free(x);
  moe_free(&m);
}

// BUG: double-free: one expert's output is freed in the accumulation loop
// and again after it
void moe_accumulate(void) {
  struct moe m;
  if (moe_init(&m, 2) != 0)
    return;
  ts_tensor *x = ts_randn(TS_SHAPE(BATCH, DM), TS_FLOAT32);
  ts_tensor *acc = ts_zeros(TS_SHAPE(BATCH, DO), TS_FLOAT32);
  ts_tensor *last = NULL;
  for (int i = 0; i < m.n; i++) {
    last = expert_forward(&m.ex[i], x);
    ts_add_Tensor_(acc, last, 1.0);
    ts_free(last);
  }
  pmean("sum", acc);
  ts_free(last); // <- BUG
  ts_free(acc);
  ts_free(x);
  moe_free(&m);
}

// BUG: use-after-free: an expert's weights are read after its pruning freed
// them
void moe_pruned_read(void) {
  struct moe m;
  if (moe_init(&m, 3) != 0)
    return;
  ts_tensor *w1 = m.ex[1].w;
  moe_prune(&m, 1);
  pmean("pruned weight", w1); // <- BUG
  moe_free(&m);
}

// BUG: leak: the trunk features are not freed after the heads
void mt_features_leak(void) {
  struct mt_net n;
  if (mt_init(&n) != 0)
    return;
  ts_tensor *x = ts_randn(TS_SHAPE(BATCH, DM), TS_FLOAT32);
  ts_tensor *h = mt_features(&n, x); // <- BUG
  ts_tensor *y = ts_matmul(h, n.head[1]);
  pmean("regression", y);
  ts_free(y);
  ts_free(x);
  mt_free(&n);
}

// BUG: double-free: a head replaced by a copy of another keeps the old
// handle in a second slot, and the teardown frees it twice
void mt_tie_heads(void) {
  struct mt_net n;
  if (mt_init(&n) != 0)
    return;
  ts_free(n.head[2]);
  n.head[2] = n.head[0];
  ts_tensor *x = ts_randn(TS_SHAPE(BATCH, DM), TS_FLOAT32);
  ts_tensor *h = mt_features(&n, x);
  ts_tensor *y = ts_matmul(h, n.head[2]);
  ts_free(h);
  pmean("tied", y);
  ts_free(y);
  ts_free(x);
  mt_free(&n); // <- BUG
}

// BUG: use-after-free: the routing choice is freed before the last expert
// reads it
void moe_choice_freed(void) {
  struct moe m;
  if (moe_init(&m, 2) != 0)
    return;
  ts_tensor *x = ts_randn(TS_SHAPE(BATCH, DM), TS_FLOAT32);
  ts_tensor *g = ts_narrow(m.gate, 1, 0, m.n);
  ts_tensor *logits = ts_matmul(x, g);
  ts_free(g);
  ts_tensor *choice = ts_argmax_dim(logits, 1);
  ts_free(logits);
  for (int e = 0; e < m.n; e++) {
    if (e == m.n - 1)
      ts_free(choice);
    ts_tensor *idx = rows_for(choice, e); // <- BUG
    if (idx)
      ts_free(idx);
  }
  ts_free(x);
  moe_free(&m);
}
