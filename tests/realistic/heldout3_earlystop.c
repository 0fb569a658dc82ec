/* heldout3_earlystop.c - a small regression net on <tsmem/nn.h>: a
 * learning-rate finder, early stopping with best-weight snapshots, and
 * checkpoint rotation through <tsmem/checkpoint.h>.
 * Labels: tests/realistic/README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/checkpoint.h>
#include <tsmem/nn.h>
#include <tsmem/ops.h>

enum { IN = 4, HID = 8, MAXT = 8, KEEP = 2 };

struct net {
  ts_store *s;
  ts_nn_linear l1, l2;
  ts_optim *opt;
};

struct snapshot {
  ts_tensor *t[MAXT];
  size_t n;
};

struct data {
  ts_tensor *x, *y;
};

// OK: the net, its layers and an Adam optimiser; goto unwinds on failure
static int net_init(struct net *n, double lr) {
  n->s = ts_store_new();
  if (!n->s)
    return -1;
  if (ts_nn_linear_init(&n->l1, n->s, "fc1", IN, HID, true) != TS_OK)
    goto fail;
  if (ts_nn_linear_init(&n->l2, n->s, "fc2", HID, 1, true) != TS_OK)
    goto fail;
  n->opt = ts_optim_adam(n->s, ts_adam_defaults(lr));
  if (!n->opt)
    goto fail;
  return 0;
fail:
  ts_store_free(n->s);
  return -1;
}

// OK: the optimiser, then the store with its parameters
static void net_free(struct net *n) {
  ts_optim_free(n->opt);
  ts_store_free(n->s);
}

// OK: forward pass in the caller's scope
TS_CALLER_SCOPE static ts_tensor *net_forward(const struct net *n,
                                              const ts_tensor *x) {
  ts_tensor *h = ts_nn_linear_forward(&n->l1, x);
  ts_relu_(h);
  return ts_nn_linear_forward(&n->l2, h);
}

// OK: a data set y = sum(x) + noise, handed to the struct
static void data_make(struct data *d, int n) {
  d->x = ts_randn(TS_SHAPE(n, IN), TS_FLOAT32);
  ts_tensor *s = ts_sum_dim_IntList(d->x, TS_SHAPE(1), true, TS_NO_DTYPE);
  ts_tensor *noise = ts_randn(TS_SHAPE(n, 1), TS_FLOAT32);
  d->y = ts_add_Tensor(s, noise, 0.1);
  ts_free(noise);
  ts_free(s);
}

// OK: frees the data
static void data_free(struct data *d) {
  ts_free(d->x);
  ts_free(d->y);
}

// OK: one training step in a scope of its own; the loss as a double
static double train_step(struct net *n, const struct data *d) {
  double v;
  TS_SCOPE {
    ts_optim_zero_grad(n->opt);
    ts_tensor *pred = net_forward(n, d->x);
    ts_tensor *loss = ts_mse_loss(pred, d->y);
    ts_backward(loss);
    ts_optim_step(n->opt);
    v = ts_item(loss);
  }
  return v;
}

// OK: validation loss without gradients, the whole body one scope
TS_SCOPED static double val_loss(const struct net *n, const struct data *d) {
  bool was = ts_set_grad_enabled(false);
  ts_tensor *pred = net_forward(n, d->x);
  double v = ts_item(ts_mse_loss(pred, d->y));
  ts_set_grad_enabled(was);
  return v;
}

// OK: copies of every parameter, returned by value
static struct snapshot snapshot_take(const struct net *n) {
  struct snapshot s = {{NULL}, 0};
  size_t count = ts_store_count(n->s);
  for (size_t i = 0; i < count && i < MAXT; i++)
    s.t[s.n++] = ts_detach(ts_store_at(n->s, i));
  for (size_t i = 0; i < s.n; i++) {
    ts_tensor *c = ts_clone(s.t[i]);
    ts_free(s.t[i]);
    s.t[i] = c;
  }
  return s;
}

// OK: frees the copies and empties the snapshot
static void snapshot_free(struct snapshot *s) {
  for (size_t i = 0; i < s->n; i++)
    ts_free(s->t[i]);
  s->n = 0;
}

// OK: writes the copies back into the store's tensors, gradients off
static void snapshot_restore(const struct snapshot *s, struct net *n) {
  bool was = ts_set_grad_enabled(false);
  for (size_t i = 0; i < s->n; i++)
    ts_copy_(ts_store_at(n->s, i), s->t[i], false);
  ts_set_grad_enabled(was);
}

// OK: a learning-rate sweep from a snapshot; the weights are put back and
// the snapshot freed on both ways out of the loop
void es_lr_finder(void) {
  struct net n;
  if (net_init(&n, 1e-5) != 0)
    return;
  struct data d;
  data_make(&d, 64);
  struct snapshot start = snapshot_take(&n);
  double best_lr = 1e-5, best = INFINITY;
  for (double lr = 1e-5; lr < 10.0; lr *= 3.0) {
    ts_optim_set_lr(n.opt, lr);
    double l = train_step(&n, &d);
    if (!isfinite(l) || l > 4 * best)
      break;
    if (l < best) {
      best = l;
      best_lr = lr;
    }
  }
  snapshot_restore(&start, &n);
  snapshot_free(&start);
  printf("suggested lr %.2g\n", best_lr / 10);
  data_free(&d);
  net_free(&n);
}

// BUG: leak: a diverging sweep restores the weights and returns without
// freeing the snapshot
void es_lr_finder_diverge(void) {
  struct net n;
  if (net_init(&n, 1e-5) != 0)
    return;
  struct data d;
  data_make(&d, 64);
  struct snapshot start = snapshot_take(&n); // <- BUG
  double best = INFINITY;
  for (double lr = 1e-3; lr < 1e6; lr *= 10.0) {
    ts_optim_set_lr(n.opt, lr);
    double l = train_step(&n, &d);
    if (!isfinite(l) || l > 4 * best) {
      snapshot_restore(&start, &n);
      data_free(&d);
      net_free(&n);
      return;
    }
    if (l < best)
      best = l;
  }
  snapshot_restore(&start, &n);
  snapshot_free(&start);
  data_free(&d);
  net_free(&n);
}

// OK: early stopping: a better validation loss replaces the best snapshot,
// patience runs out, the best weights are restored
void es_early_stop(void) {
  struct net n;
  if (net_init(&n, 0.05) != 0)
    return;
  struct data tr, va;
  data_make(&tr, 64);
  data_make(&va, 32);
  struct snapshot best = snapshot_take(&n);
  double best_val = val_loss(&n, &va);
  int patience = 3, bad = 0;
  for (int epoch = 0; epoch < 40 && bad < patience; epoch++) {
    train_step(&n, &tr);
    double v = val_loss(&n, &va);
    if (v < best_val - 1e-4) {
      best_val = v;
      snapshot_free(&best);
      best = snapshot_take(&n);
      bad = 0;
    } else {
      bad++;
    }
  }
  snapshot_restore(&best, &n);
  snapshot_free(&best);
  printf("best val %.4f\n", best_val);
  data_free(&va);
  data_free(&tr);
  net_free(&n);
}

// BUG: double-free: patience running out frees the best snapshot inside
// the loop (the struct still lists the tensors), and it is freed again after
void es_early_stop_twice(void) {
  struct net n;
  if (net_init(&n, 5.0) != 0)
    return;
  struct data tr, va;
  data_make(&tr, 32);
  data_make(&va, 16);
  struct snapshot best = snapshot_take(&n);
  double best_val = val_loss(&n, &va);
  int bad = 0;
  for (int epoch = 0; epoch < 40; epoch++) {
    train_step(&n, &tr);
    double v = val_loss(&n, &va);
    if (v < best_val) {
      best_val = v;
      bad = 0;
      continue;
    }
    if (++bad == 2) {
      snapshot_restore(&best, &n);
      for (size_t i = 0; i < best.n; i++)
        ts_free(best.t[i]);
      break;
    }
  }
  snapshot_free(&best); // <- BUG
  data_free(&va);
  data_free(&tr);
  net_free(&n);
}

// BUG: use-after-free: the best snapshot is freed before it is restored
void es_restore_after_free(void) {
  struct net n;
  if (net_init(&n, 0.05) != 0)
    return;
  struct data tr;
  data_make(&tr, 32);
  struct snapshot best = snapshot_take(&n);
  struct snapshot keep = best;
  for (int epoch = 0; epoch < 3; epoch++)
    train_step(&n, &tr);
  snapshot_free(&best);
  snapshot_restore(&keep, &n); // <- BUG
  data_free(&tr);
  net_free(&n);
}

static char ring_names[KEEP][64];

// OK: the checkpoint file of round r, from a ring of KEEP names
static const char *ckpt_name(int r) {
  char *p = ring_names[r % KEEP];
  snprintf(p, 64, "/tmp/tsmem_h3_es_%d.pt", r % KEEP);
  return p;
}

// OK: saves the snapshot's tensors under their store names; the snapshot
// is the caller's
static int save_snapshot(const struct snapshot *s, const struct net *n,
                         const char *path) {
  const char *names[MAXT];
  for (size_t i = 0; i < s->n; i++)
    names[i] = ts_store_name(n->s, i);
  return ts_tensors_save(path, names, s->t, s->n, TS_CHECKPOINT_SAFETENSORS) ==
                 TS_OK
             ? 0
             : -1;
}

// OK: a rotation of two checkpoints; every snapshot freed after its save,
// the last one loaded back into the store
void es_rotation(void) {
  struct net n;
  if (net_init(&n, 0.01) != 0)
    return;
  struct data tr;
  data_make(&tr, 32);
  const char *last = NULL;
  for (int r = 0; r < 4; r++) {
    train_step(&n, &tr);
    struct snapshot s = snapshot_take(&n);
    const char *path = ckpt_name(r);
    int rc = save_snapshot(&s, &n, path);
    snapshot_free(&s);
    if (rc != 0)
      break;
    last = path;
  }
  if (last && ts_store_load(n.s, last) == TS_OK)
    printf("reloaded %s\n", last);
  remove(ckpt_name(0));
  remove(ckpt_name(1));
  data_free(&tr);
  net_free(&n);
}

// BUG: leak: refusing to overwrite an existing checkpoint returns without
// freeing the snapshot
static int checkpoint_to(struct net *n, const char *path) {
  struct snapshot s = snapshot_take(n); // <- BUG
  FILE *f = fopen(path, "rb");
  if (f) {
    fclose(f);
    fprintf(stderr, "%s exists; not overwritten\n", path);
    return -1;
  }
  int rc = save_snapshot(&s, n, path);
  snapshot_free(&s);
  return rc;
}

// OK: saves over an existing file (the helper leaks when it refuses)
void es_save_existing(void) {
  struct net n;
  if (net_init(&n, 0.01) != 0)
    return;
  const char *path = "/tmp/tsmem_h3_es_existing.safetensors";
  FILE *f = fopen(path, "wb");
  if (f)
    fclose(f);
  if (checkpoint_to(&n, path) != 0)
    fprintf(stderr, "kept the old checkpoint\n");
  remove(path);
  net_free(&n);
}

// OK: a whole-store checkpoint saved and loaded through the store
void es_store_roundtrip(void) {
  struct net n;
  if (net_init(&n, 0.01) != 0)
    return;
  const char *path = "/tmp/tsmem_h3_es_store.pt";
  if (ts_store_save(n.s, path, TS_CHECKPOINT_TORCH) == TS_OK) {
    struct data tr;
    data_make(&tr, 16);
    train_step(&n, &tr);
    ts_store_load(n.s, path);
    data_free(&tr);
    remove(path);
  }
  net_free(&n);
}

// BUG: use-after-scope: the validation predictions are kept out of the
// block for a later report
void es_keep_predictions(void) {
  struct net n;
  if (net_init(&n, 0.01) != 0)
    return;
  struct data va;
  data_make(&va, 16);
  ts_tensor *pred = NULL;
  TS_SCOPE {
    pred = net_forward(&n, va.x);
    printf("val %.4f\n", val_loss(&n, &va));
  }
  ts_tensor *err = ts_sub(pred, va.y); // <- BUG
  ts_free(err);
  data_free(&va);
  net_free(&n);
}

// OK: predictions escaped from a scoped helper, the caller frees them
TS_SCOPED static ts_tensor *predict(const struct net *n, const ts_tensor *x) {
  bool was = ts_set_grad_enabled(false);
  ts_tensor *p = net_forward(n, x);
  ts_set_grad_enabled(was);
  return ts_escape(p);
}

// BUG: unescaped-return: the residuals are returned out of the scoped helper
// without ts_escape
TS_SCOPED static ts_tensor *residuals(const struct net *n,
                                      const struct data *d) {
  ts_tensor *p = net_forward(n, d->x);
  return ts_sub(p, d->y); // <- BUG
}

// OK: uses the escaped predictions
void es_predict(void) {
  struct net n;
  if (net_init(&n, 0.01) != 0)
    return;
  struct data va;
  data_make(&va, 16);
  ts_tensor *p = predict(&n, va.x);
  TS_SCOPE { printf("mean prediction %.4f\n", ts_item(ts_mean(p))); }
  ts_free(p);
  data_free(&va);
  net_free(&n);
}

// OK: uses the residuals as if escaped (the helper is wrong)
void es_residuals(void) {
  struct net n;
  if (net_init(&n, 0.01) != 0)
    return;
  struct data va;
  data_make(&va, 16);
  ts_tensor *r = residuals(&n, &va);
  ts_tensor *a = ts_abs(r);
  ts_free(a);
  ts_free(r);
  data_free(&va);
  net_free(&n);
}

// BUG: leak: the held-out split's targets are forgotten by the cleanup
void es_holdout_split(void) {
  struct net n;
  if (net_init(&n, 0.02) != 0)
    return;
  struct data all;
  data_make(&all, 48);
  struct data tr = {ts_narrow(all.x, 0, 0, 32), ts_narrow(all.y, 0, 0, 32)};
  struct data va = {ts_narrow(all.x, 0, 32, 16), ts_narrow(all.y, 0, 32, 16)};
  for (int e = 0; e < 5; e++)
    train_step(&n, &tr);
  printf("holdout %.4f\n", val_loss(&n, &va));
  data_free(&tr);
  ts_free(va.x); // <- BUG
  data_free(&all);
  net_free(&n);
}

// OK: the same split with both views freed through the helper
void es_holdout_split_ok(void) {
  struct net n;
  if (net_init(&n, 0.02) != 0)
    return;
  struct data all;
  data_make(&all, 48);
  struct data tr = {ts_narrow(all.x, 0, 0, 32), ts_narrow(all.y, 0, 0, 32)};
  struct data va = {ts_narrow(all.x, 0, 32, 16), ts_narrow(all.y, 0, 32, 16)};
  data_free(&all);
  for (int e = 0; e < 5; e++)
    train_step(&n, &tr);
  printf("holdout %.4f\n", val_loss(&n, &va));
  data_free(&tr);
  data_free(&va);
  net_free(&n);
}

// BUG: leak: the snapshot taken before a risky learning rate is never freed
void es_snapshot_leak(void) {
  struct net n;
  if (net_init(&n, 0.01) != 0)
    return;
  struct data tr;
  data_make(&tr, 16);
  struct snapshot s = snapshot_take(&n); // <- BUG
  printf("snapshot of %zu tensors\n", s.n);
  ts_optim_set_lr(n.opt, 0.1);
  train_step(&n, &tr);
  data_free(&tr);
  net_free(&n);
}

// BUG: use-after-free: the data are freed before the validation loss
void es_val_after_free(void) {
  struct net n;
  if (net_init(&n, 0.01) != 0)
    return;
  struct data va;
  data_make(&va, 16);
  data_free(&va);
  printf("val %.4f\n", val_loss(&n, &va)); // <- BUG
  net_free(&n);
}

// BUG: double-free: the snapshot is freed after the restore and again by
// the shared cleanup
void es_snapshot_twice(void) {
  struct net n;
  if (net_init(&n, 0.01) != 0)
    return;
  struct data tr;
  data_make(&tr, 16);
  struct snapshot s = snapshot_take(&n);
  train_step(&n, &tr);
  snapshot_restore(&s, &n);
  for (size_t i = 0; i < s.n; i++)
    ts_free(s.t[i]);
  data_free(&tr);
  snapshot_free(&s); // <- BUG
  net_free(&n);
}

// BUG: leak: the training targets are not freed with the inputs
void es_targets_leak(void) {
  struct net n;
  if (net_init(&n, 0.01) != 0)
    return;
  struct data tr;
  data_make(&tr, 16); // <- BUG
  train_step(&n, &tr);
  ts_free(tr.x);
  net_free(&n);
}

// BUG: use-after-free: the snapshot's first tensor is read after the
// snapshot was freed
void es_snapshot_peek(void) {
  struct net n;
  if (net_init(&n, 0.01) != 0)
    return;
  struct snapshot s = snapshot_take(&n);
  ts_tensor *first = s.t[0];
  snapshot_free(&s);
  TS_SCOPE {
    printf("first %.4f\n", ts_item(ts_sum(first))); // <- BUG
  }
  net_free(&n);
}
