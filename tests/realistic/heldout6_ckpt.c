/* heldout6_ckpt.c - an optimiser with checkpoints and rollback: momentum
 * buffers in an array parallel to the parameters, deep-copied checkpoints
 * on a malloc'd stack, rollback when the loss spikes, and a checkpoint
 * store living in an async scope. */
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { CK_P = 2, CK_DEPTH = 3 };

typedef struct {
  ts_tensor *params[CK_P]; /* [3,1] and [1,1] */
  ts_tensor *mom[CK_P];    /* same shapes, no grad */
  double lr, beta;
} ck_opt;

typedef struct {
  ts_tensor *params[CK_P];
  double loss;
} ck_point;

typedef struct {
  ck_point *items;
  int n, cap;
} ck_stack;

// OK: parameters and zeroed momentum, unwound on failure
static int ck_opt_init(ck_opt *o) {
  int i = 0;
  for (; i < CK_P; i++) {
    int64_t rows = i == 0 ? 3 : 1;
    o->params[i] = ts_full(TS_SHAPE(rows, 1), TS_FLOAT32, 0.5);
    o->mom[i] = ts_zeros(TS_SHAPE(rows, 1), TS_FLOAT32);
    if (!o->params[i] || !o->mom[i])
      goto fail;
    ts_requires_grad(o->params[i], true);
  }
  o->lr = 0.05;
  o->beta = 0.9;
  return 0;
fail:
  for (int j = 0; j <= i; j++) {
    if (o->params[j])
      ts_free(o->params[j]);
    if (o->mom[j])
      ts_free(o->mom[j]);
  }
  return -1;
}

// OK: frees parameters and momentum
static void ck_opt_free(ck_opt *o) {
  for (int i = 0; i < CK_P; i++) {
    ts_free(o->params[i]);
    ts_free(o->mom[i]);
  }
}

// OK: loss of a fixed regression batch, in the caller's scope
TS_CALLER_SCOPE static ts_tensor *ck_loss(const ck_opt *o) {
  ts_tensor *x = ts_ones(TS_SHAPE(4, 3), TS_FLOAT32);
  ts_tensor *y = ts_full(TS_SHAPE(4, 1), TS_FLOAT32, 2.0);
  ts_tensor *pred = ts_add(ts_matmul(x, o->params[0]), o->params[1]);
  return ts_mse_loss(pred, y);
}

// OK: a fresh leaf with p's values and no autograd history, a new tensor
static ts_tensor *ck_detached(const ts_tensor *p) {
  float buf[3] = {0, 0, 0};
  int64_t rows = ts_size(p, 0);
  if (rows < 1 || rows > 3 || ts_copy_to_buffer(p, buf, sizeof buf) != TS_OK)
    return NULL;
  return ts_from_buffer(buf, TS_SHAPE(rows, 1), TS_FLOAT32);
}

// OK: momentum step: m = beta m + g; p -= lr m (p rebuilt without grad history)
static double ck_step(ck_opt *o) {
  double l = 0;
  TS_SCOPE {
    ts_tensor *loss = ck_loss(o);
    l = ts_item(loss);
    ts_backward(loss);
    for (int i = 0; i < CK_P; i++) {
      ts_tensor *g = ts_grad(o->params[i]);
      ts_tensor *m = ts_add(ts_mul_scalar(o->mom[i], o->beta), g);
      ts_free(o->mom[i]);
      o->mom[i] = ts_keep(m);
      ts_tensor *np = ts_sub(o->params[i], ts_mul_scalar(m, o->lr));
      ts_tensor *leaf = ts_keep(ck_detached(np));
      ts_free(o->params[i]);
      o->params[i] = leaf;
      ts_requires_grad(o->params[i], true);
    }
  }
  return l;
}

// OK: a deep copy of the parameters, owned by the checkpoint
static int ck_save(const ck_opt *o, ck_point *cp, double loss) {
  for (int i = 0; i < CK_P; i++) {
    cp->params[i] = ts_clone(o->params[i]);
    if (!cp->params[i]) {
      while (i-- > 0)
        ts_free(cp->params[i]);
      return -1;
    }
  }
  cp->loss = loss;
  return 0;
}

// OK: frees a checkpoint's tensors
static void ck_point_free(ck_point *cp) {
  for (int i = 0; i < CK_P; i++) {
    ts_free(cp->params[i]);
    cp->params[i] = NULL;
  }
}

// OK: replaces the parameters by clones of the checkpoint (which keeps its own)
static void ck_restore(ck_opt *o, const ck_point *cp) {
  for (int i = 0; i < CK_P; i++) {
    ts_tensor *p = ck_detached(cp->params[i]);
    ts_free(o->params[i]);
    o->params[i] = p;
    ts_requires_grad(p, true);
  }
}

// OK: the stack takes ownership; a full stack drops (frees) its oldest point
static int ck_push(ck_stack *s, ck_point cp) {
  if (s->n == CK_DEPTH) {
    ck_point_free(&s->items[0]);
    for (int i = 1; i < s->n; i++)
      s->items[i - 1] = s->items[i];
    s->n--;
  }
  if (s->n == s->cap) {
    int cap = s->cap ? s->cap * 2 : 2;
    ck_point *it = realloc(s->items, (size_t)cap * sizeof *it);
    if (!it)
      return -1;
    s->items = it;
    s->cap = cap;
  }
  s->items[s->n++] = cp;
  return 0;
}

// OK: frees every checkpoint and the array
static void ck_stack_free(ck_stack *s) {
  for (int i = 0; i < s->n; i++)
    ck_point_free(&s->items[i]);
  free(s->items);
  s->items = NULL;
  s->n = s->cap = 0;
}

// OK: training with checkpoints every step and rollback on a spike
void ck_train_rollback(void) {
  ck_opt o;
  ck_stack st = {0};
  if (ck_opt_init(&o) != 0)
    return;
  double prev = 1e30;
  for (int it = 0; it < 5; it++) {
    double l = ck_step(&o);
    if (l > 1.5 * prev && st.n > 0) {
      ck_restore(&o, &st.items[st.n - 1]);
      continue;
    }
    ck_point cp;
    if (ck_save(&o, &cp, l) == 0 && ck_push(&st, cp) != 0)
      ck_point_free(&cp);
    prev = l;
  }
  printf("ckpt: %d checkpoints\n", st.n);
  ck_stack_free(&st);
  ck_opt_free(&o);
}

// BUG: leak: a checkpoint the stack refused is neither stored nor freed
static void ck_save_or_drop(ck_opt *o, ck_stack *s, double l, int limit) {
  ck_point cp;
  if (ck_save(o, &cp, l) != 0) // <- BUG
    return;
  if (s->n >= limit)
    return;
  ck_push(s, cp);
}

// OK: drives the saver past its limit
void ck_limit(void) {
  ck_opt o;
  ck_stack st = {0};
  if (ck_opt_init(&o) != 0)
    return;
  for (int it = 0; it < 3; it++)
    ck_save_or_drop(&o, &st, ck_step(&o), 1);
  ck_stack_free(&st);
  ck_opt_free(&o);
}

// BUG: double-free: the restore hands the checkpoint's own tensors to the optimiser
static void ck_restore_shallow(ck_opt *o, const ck_point *cp) {
  for (int i = 0; i < CK_P; i++) {
    ts_free(o->params[i]);
    o->params[i] = cp->params[i]; // <- BUG
  }
}

// OK: drives the shallow restore, then frees the stack and the optimiser
void ck_rollback_shallow(void) {
  ck_opt o;
  ck_stack st = {0};
  if (ck_opt_init(&o) != 0)
    return;
  ck_point cp;
  if (ck_save(&o, &cp, 1.0) == 0 && ck_push(&st, cp) != 0)
    ck_point_free(&cp);
  ck_step(&o);
  ck_restore_shallow(&o, &st.items[0]);
  ck_stack_free(&st);
  ck_opt_free(&o);
}

// BUG: use-after-free: the best checkpoint is read after the stack dropped it as the oldest
void ck_best_evicted(void) {
  ck_opt o;
  ck_stack st = {0};
  if (ck_opt_init(&o) != 0)
    return;
  const ts_tensor *best_w = NULL;
  for (int it = 0; it < 4; it++) {
    double l = ck_step(&o);
    ck_point cp;
    if (ck_save(&o, &cp, l) != 0)
      break;
    if (it == 0)
      best_w = cp.params[0];
    if (ck_push(&st, cp) != 0)
      ck_point_free(&cp);
  }
  TS_SCOPE { printf("ckpt: best w %.3f\n", ts_item(ts_sum(best_w))); } // <- BUG
  ck_stack_free(&st);
  ck_opt_free(&o);
}

// OK: the best checkpoint is copied out before more pushes can drop it
void ck_best_copied(void) {
  ck_opt o;
  ck_stack st = {0};
  if (ck_opt_init(&o) != 0)
    return;
  ts_tensor *best_w = NULL;
  double best_l = 1e30;
  for (int it = 0; it < 4; it++) {
    double l = ck_step(&o);
    ck_point cp;
    if (ck_save(&o, &cp, l) != 0)
      break;
    if (l < best_l) {
      best_l = l;
      if (best_w)
        ts_free(best_w);
      best_w = ts_clone(cp.params[0]);
    }
    if (ck_push(&st, cp) != 0)
      ck_point_free(&cp);
  }
  if (best_w) {
    TS_SCOPE { printf("ckpt: best w %.3f\n", ts_item(ts_sum(best_w))); }
    ts_free(best_w);
  }
  ck_stack_free(&st);
  ck_opt_free(&o);
}

// BUG: leak: the momentum update overwrites the buffer without freeing the old one
static void ck_step_momentum_leak(ck_opt *o) {
  TS_SCOPE {
    ts_tensor *loss = ck_loss(o);
    ts_backward(loss);
    ts_tensor *g = ts_grad(o->params[0]);
    o->mom[0] = ts_keep(ts_add(ts_mul_scalar(o->mom[0], o->beta), g)); // <- BUG
    ts_zero_grad(o->params[0]);
    ts_zero_grad(o->params[1]);
  }
}

// OK: drives the leaking momentum step
void ck_momentum_leak(void) {
  ck_opt o;
  if (ck_opt_init(&o) != 0)
    return;
  ck_step_momentum_leak(&o);
  ck_opt_free(&o);
}

// BUG: use-after-scope: the new momentum is stored without ts_keep and read next step
static void ck_step_momentum_nokeep(ck_opt *o) {
  TS_SCOPE {
    ts_tensor *loss = ck_loss(o);
    ts_backward(loss);
    ts_tensor *g = ts_grad(o->params[0]);
    ts_tensor *m = ts_add(ts_mul_scalar(o->mom[0], o->beta), g);
    ts_free(o->mom[0]);
    o->mom[0] = m; // <- BUG
    ts_zero_grad(o->params[0]);
    ts_zero_grad(o->params[1]);
  }
}

// OK: two steps with the non-keeping momentum step (its bug)
void ck_momentum_nokeep(void) {
  ck_opt o;
  if (ck_opt_init(&o) != 0)
    return;
  ck_step_momentum_nokeep(&o);
  ck_step_momentum_nokeep(&o);
  ck_opt_free(&o);
}

/* The checkpoint store lives in an async scope: saves enter it, so clones belong to it. */
typedef struct {
  ts_async_scope *scope;
  ts_tensor *w; /* latest saved weight, owned by the scope */
  int saves;
} ck_store;

// OK: saves a clone into the store's scope and frees the previous one
static void ck_store_save(ck_store *s, const ck_opt *o) {
  ts_async_scope_enter(s->scope);
  ts_tensor *c = ts_clone(o->params[0]);
  if (s->w)
    ts_free(s->w);
  s->w = c;
  ts_async_scope_leave(s->scope);
  s->saves++;
}

// OK: a store across steps; ending its scope frees what it holds
void ck_async_store(void) {
  ck_opt o;
  if (ck_opt_init(&o) != 0)
    return;
  ck_store s = {ts_async_scope_begin(), NULL, 0};
  for (int i = 0; i < 3; i++) {
    ck_step(&o);
    ck_store_save(&s, &o);
  }
  TS_SCOPE { printf("ckpt: stored %.3f after %d\n", ts_item(ts_sum(s.w)), s.saves); }
  ts_async_scope_end(s.scope);
  ck_opt_free(&o);
}

// BUG: double-free: the stored weight is freed through an alias and then again through the store
void ck_async_store_double(void) {
  ck_opt o;
  if (ck_opt_init(&o) != 0)
    return;
  ck_store s = {ts_async_scope_begin(), NULL, 0};
  ck_store_save(&s, &o);
  ts_tensor *w = s.w;
  ts_free(w);
  ck_opt_free(&o);
  ts_free(s.w); // <- BUG
  ts_async_scope_end(s.scope);
}

// BUG: use-after-scope: the stored weight is restored after the store's scope ended
void ck_async_restore_late(void) {
  ck_opt o;
  if (ck_opt_init(&o) != 0)
    return;
  ck_store s = {ts_async_scope_begin(), NULL, 0};
  ck_store_save(&s, &o);
  ck_step(&o);
  ts_async_scope_end(s.scope);
  ts_tensor *p = ts_clone(s.w); // <- BUG
  ts_free(o.params[0]);
  o.params[0] = p;
  ck_opt_free(&o);
}

// OK: the restore takes a clone while the store is alive
void ck_async_restore(void) {
  ck_opt o;
  if (ck_opt_init(&o) != 0)
    return;
  ck_store s = {ts_async_scope_begin(), NULL, 0};
  ck_store_save(&s, &o);
  ck_step(&o);
  ts_tensor *p = ts_clone(s.w);
  ts_async_scope_end(s.scope);
  ts_free(o.params[0]);
  o.params[0] = p;
  ck_opt_free(&o);
}

// BUG: unescaped-return: the parameter distance is returned from the guard's scope
static ts_tensor *ck_distance(const ck_opt *o, const ck_point *cp) {
  TS_SCOPE_GUARD();
  ts_tensor *d0 = ts_sum(ts_mul(ts_sub(o->params[0], cp->params[0]), ts_sub(o->params[0], cp->params[0])));
  ts_tensor *d1 = ts_sum(ts_mul(ts_sub(o->params[1], cp->params[1]), ts_sub(o->params[1], cp->params[1])));
  return ts_add(d0, d1); // <- BUG
}

// OK: reads the distance (the helper's bug)
void ck_drift(void) {
  ck_opt o;
  if (ck_opt_init(&o) != 0)
    return;
  ck_point cp;
  if (ck_save(&o, &cp, 0) != 0) {
    ck_opt_free(&o);
    return;
  }
  ck_step(&o);
  ts_tensor *d = ck_distance(&o, &cp);
  printf("ckpt: drift %.4f\n", ts_item(d));
  ts_free(d);
  ck_point_free(&cp);
  ck_opt_free(&o);
}

// BUG: use-after-free: the rollback frees the current parameters, then logs their norm
void ck_rollback_log(void) {
  ck_opt o;
  if (ck_opt_init(&o) != 0)
    return;
  ck_point cp;
  if (ck_save(&o, &cp, 0) != 0) {
    ck_opt_free(&o);
    return;
  }
  ck_step(&o);
  ts_tensor *cur = o.params[0];
  ck_restore(&o, &cp);
  TS_SCOPE { printf("ckpt: undone %.3f\n", ts_item(ts_sum(ts_abs(cur)))); } // <- BUG
  ck_point_free(&cp);
  ck_opt_free(&o);
}
