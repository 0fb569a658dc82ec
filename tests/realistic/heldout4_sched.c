/* heldout4_sched.c - training schedules on <tsmem/nn.h>: linear warmup into
 * cosine decay set by hand each step, StepLR and CosineAnnealingLR from the
 * header, best-weight snapshots, checkpoints saved and resumed (the store
 * and a named EMA array), a ring of recent snapshots, layer freezing,
 * gradient accumulation and a curriculum that feeds the easiest examples
 * first.
 * Labels: tests/realistic/README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/checkpoint.h>
#include <tsmem/nn.h>
#include <tsmem/ops.h>
#include <unistd.h>

enum { IN = 5, HID = 8, OUT = 1, NTRAIN = 32 };

struct trainer {
  ts_store *store;
  ts_nn_linear l1, l2;
  ts_optim *opt;
  double base_lr;
  int warmup, total, step;
  ts_tensor *best_w1; /* clone of l1.weight at the best loss, or NULL */
  double best_loss;
};

struct curriculum {
  ts_tensor *order; /* example indices, easiest first (int64) */
  int64_t n;
  double pace; /* fraction added per step */
};

// OK: linear warmup, then cosine decay to zero; no tensors
static double lr_at(int step, int warmup, int total, double base) {
  if (step < warmup)
    return base * (step + 1) / warmup;
  double p = (double)(step - warmup) / (total - warmup);
  return 0.5 * base * (1.0 + cos(M_PI * (p > 1.0 ? 1.0 : p)));
}

// OK: two layers and SGD with momentum in one store; a failure frees the
// store
static int trainer_init(struct trainer *tr, double lr, int warmup, int total) {
  tr->store = ts_store_new();
  tr->best_w1 = NULL;
  tr->best_loss = INFINITY;
  tr->base_lr = lr;
  tr->warmup = warmup;
  tr->total = total;
  tr->step = 0;
  if (!tr->store)
    return -1;
  if (ts_nn_linear_init(&tr->l1, tr->store, "l1", IN, HID, true) != TS_OK)
    goto fail;
  if (ts_nn_linear_init(&tr->l2, tr->store, "l2", HID, OUT, true) != TS_OK)
    goto fail;
  ts_sgd_options o = ts_sgd_defaults(lr);
  o.momentum = 0.9;
  tr->opt = ts_optim_sgd(tr->store, o);
  if (!tr->opt)
    goto fail;
  return 0;
fail:
  ts_store_free(tr->store);
  tr->store = NULL;
  return -1;
}

// OK: the store owns the layers and the optimizer; the snapshot is ours
static void trainer_free(struct trainer *tr) {
  if (tr->best_w1)
    ts_free(tr->best_w1);
  tr->best_w1 = NULL;
  ts_store_free(tr->store);
  tr->store = NULL;
}

// OK: a regression batch in the caller's scope through out-parameters
TS_CALLER_SCOPE static void make_batch(ts_tensor **X, ts_tensor **y,
                                       int64_t n) {
  *X = ts_randn(TS_SHAPE(n, IN), TS_FLOAT32);
  *y = ts_sum_dim_IntList(*X, TS_SHAPE(1), true, TS_NO_DTYPE);
}

// OK: the forward pass in the caller's scope
TS_CALLER_SCOPE static ts_tensor *forward(const struct trainer *tr,
                                          const ts_tensor *X) {
  return ts_nn_linear_forward(&tr->l2,
                              ts_relu(ts_nn_linear_forward(&tr->l1, X)));
}

// OK: one step at the scheduled rate; everything made is freed at the
// end of the block
static double train_step(struct trainer *tr) {
  double lv = NAN;
  ts_optim_set_lr(tr->opt, lr_at(tr->step, tr->warmup, tr->total, tr->base_lr));
  TS_SCOPE {
    ts_tensor *X, *y;
    make_batch(&X, &y, 16);
    ts_tensor *loss = ts_mse_loss(forward(tr, X), y);
    ts_optim_zero_grad(tr->opt);
    ts_backward(loss);
    ts_optim_step(tr->opt);
    lv = ts_item(loss);
  }
  tr->step++;
  return lv;
}

// OK: keeps a copy of the first layer's weight at the best loss, freeing
// the copy it replaces
static void snapshot_best(struct trainer *tr, double loss) {
  if (loss >= tr->best_loss)
    return;
  tr->best_loss = loss;
  if (tr->best_w1)
    ts_free(tr->best_w1);
  tr->best_w1 = ts_detach(tr->l1.weight);
  ts_tensor *copy = ts_clone(tr->best_w1);
  ts_free(tr->best_w1);
  tr->best_w1 = copy;
}

// OK: warmup and cosine decay over twenty steps with best snapshots
void sch_warmup_cosine(void) {
  struct trainer tr;
  ts_manual_seed(4);
  if (trainer_init(&tr, 0.05, 4, 20) != 0)
    return;
  for (int s = 0; s < 20; s++)
    snapshot_best(&tr, train_step(&tr));
  printf("best loss %.4f, final lr %.5f\n", tr.best_loss,
         ts_optim_get_lr(tr.opt));
  trainer_free(&tr);
}

// BUG: use-after-free: prev names the snapshot snapshot_best frees when a
// better loss replaces it
void sch_best_moved(void) {
  struct trainer tr;
  if (trainer_init(&tr, 0.05, 2, 10) != 0)
    return;
  snapshot_best(&tr, 10.0);
  ts_tensor *prev = tr.best_w1;
  snapshot_best(&tr, 1.0);
  ts_tensor *d = ts_sub(tr.best_w1, prev); // <- BUG
  ts_free(d);
  trainer_free(&tr);
}

// BUG: leak: a new best is stored over the old snapshot without freeing
// it
void sch_best_overwrite(void) {
  struct trainer tr;
  ts_manual_seed(8);
  if (trainer_init(&tr, 0.05, 2, 10) != 0)
    return;
  for (int s = 0; s < 6; s++) {
    double l = train_step(&tr);
    if (l < tr.best_loss) {
      tr.best_loss = l;
      tr.best_w1 = ts_clone(tr.l1.weight); // <- BUG
    }
  }
  trainer_free(&tr);
}

// OK: a checkpoint round trip: saved, weights disturbed, loaded back and
// compared with a copy taken before
void sch_checkpoint_roundtrip(void) {
  struct trainer tr;
  char path[64];
  snprintf(path, sizeof path, "/tmp/h4sched_%d.safetensors", (int)getpid());
  if (trainer_init(&tr, 0.05, 2, 10) != 0)
    return;
  train_step(&tr);
  ts_tensor *before = ts_clone(tr.l1.weight);
  if (ts_store_save(tr.store, path, TS_CHECKPOINT_SAFETENSORS) == TS_OK) {
    train_step(&tr);
    ts_store_load(tr.store, path);
    ts_tensor *d = ts_sub(tr.l1.weight, before);
    ts_tensor *n = ts_norm_Scalar(d, 2.0);
    printf("restored, difference %.2e\n", ts_item(n));
    ts_free(n);
    ts_free(d);
    unlink(path);
  }
  ts_free(before);
  trainer_free(&tr);
}

// BUG: leak: with no checkpoint to resume from, the function returns and
// the reference copy made for the comparison is lost
void sch_resume(void) {
  struct trainer tr;
  char path[64];
  snprintf(path, sizeof path, "/tmp/h4sched_none_%d.pt", (int)getpid());
  if (trainer_init(&tr, 0.05, 2, 10) != 0)
    return;
  ts_tensor *ref = ts_clone(tr.l2.weight); // <- BUG
  if (access(path, R_OK) != 0) {
    printf("no checkpoint, starting fresh\n");
    trainer_free(&tr);
    return;
  }
  ts_store_load(tr.store, path);
  ts_free(ref);
  trainer_free(&tr);
}

// OK: EMA copies of the two weights saved and loaded as a named array
void sch_ema_checkpoint(void) {
  struct trainer tr;
  char path[64];
  snprintf(path, sizeof path, "/tmp/h4sched_ema_%d.pt", (int)getpid());
  if (trainer_init(&tr, 0.05, 2, 10) != 0)
    return;
  const char *names[2] = {"ema.l1", "ema.l2"};
  ts_tensor *ema[2] = {ts_clone(tr.l1.weight), ts_clone(tr.l2.weight)};
  for (int s = 0; s < 3; s++) {
    train_step(&tr);
    bool was = ts_set_grad_enabled(false);
    ts_lerp_Scalar_(ema[0], tr.l1.weight, 0.1);
    ts_lerp_Scalar_(ema[1], tr.l2.weight, 0.1);
    ts_set_grad_enabled(was);
  }
  if (ts_tensors_save(path, names, ema, 2, TS_CHECKPOINT_TORCH) == TS_OK) {
    ts_zero_(ema[0]);
    ts_tensors_load(path, names, ema, 2);
    unlink(path);
  }
  for (int i = 0; i < 2; i++)
    ts_free(ema[i]);
  trainer_free(&tr);
}

// BUG: double-free: the second EMA is dropped early when it is not needed
// and then freed again by the cleanup loop
void sch_ema_drop(void) {
  struct trainer tr;
  if (trainer_init(&tr, 0.05, 2, 10) != 0)
    return;
  ts_tensor *ema[2] = {ts_clone(tr.l1.weight), ts_clone(tr.l2.weight)};
  int track_head = 0;
  if (!track_head)
    ts_free(ema[1]);
  for (int i = 0; i < 2; i++)
    ts_free(ema[i]); // <- BUG
  trainer_free(&tr);
}

// OK: difficulty scores sorted into an order; the scores are freed
static int curriculum_init(struct curriculum *c, const ts_tensor *X,
                           double pace) {
  ts_tensor *mag =
      ts_linalg_vector_norm(X, 2.0, TS_SHAPE(1), false, TS_NO_DTYPE);
  if (!mag)
    return -1;
  c->order = ts_argsort(mag, 0, false);
  ts_free(mag);
  if (!c->order)
    return -1;
  c->n = ts_size(X, 0);
  c->pace = pace;
  return 0;
}

// OK: frees the order
static void curriculum_free(struct curriculum *c) {
  ts_free(c->order);
  c->order = NULL;
}

// OK: the easiest examples at this step, for the caller; the index view
// is freed
static ts_tensor *curriculum_batch(const struct curriculum *c,
                                   const ts_tensor *X, int step) {
  int64_t k = (int64_t)(c->n * c->pace * (step + 1));
  if (k > c->n)
    k = c->n;
  if (k < 1)
    k = 1;
  ts_tensor *idx = ts_narrow(c->order, 0, 0, k);
  ts_tensor *b = ts_index_select(X, 0, idx);
  ts_free(idx);
  return b;
}

// BUG: leak: the narrowed index view is made and never freed
static ts_tensor *curriculum_batch_fast(const struct curriculum *c,
                                        const ts_tensor *X, int64_t k) {
  ts_tensor *idx = ts_narrow(c->order, 0, 0, k); // <- BUG
  return ts_index_select(X, 0, idx);
}

// OK: training on a growing curriculum; each batch is freed after its
// step
void sch_curriculum(void) {
  struct trainer tr;
  struct curriculum c;
  ts_tensor *X = ts_randn(TS_SHAPE(NTRAIN, IN), TS_FLOAT32);
  if (trainer_init(&tr, 0.05, 2, 8) != 0) {
    ts_free(X);
    return;
  }
  if (curriculum_init(&c, X, 0.25) == 0) {
    for (int s = 0; s < 4; s++) {
      ts_tensor *xb = curriculum_batch(&c, X, s);
      TS_SCOPE {
        ts_tensor *y = ts_sum_dim_IntList(xb, TS_SHAPE(1), true, TS_NO_DTYPE);
        ts_tensor *loss = ts_mse_loss(forward(&tr, xb), y);
        ts_optim_zero_grad(tr.opt);
        ts_backward(loss);
        ts_optim_step(tr.opt);
      }
      printf("step %d on %lld examples\n", s, (long long)ts_size(xb, 0));
      ts_free(xb);
    }
    curriculum_free(&c);
  }
  trainer_free(&tr);
  ts_free(X);
}

// OK: drives curriculum_batch_fast and frees the batch it returns
void sch_curriculum_fast(void) {
  struct curriculum c;
  ts_tensor *X = ts_randn(TS_SHAPE(NTRAIN, IN), TS_FLOAT32);
  if (curriculum_init(&c, X, 0.5) == 0) {
    ts_tensor *xb = curriculum_batch_fast(&c, X, 8);
    printf("fast batch of %lld\n", (long long)ts_size(xb, 0));
    ts_free(xb);
    curriculum_free(&c);
  }
  ts_free(X);
}

// BUG: unescaped-return: the per-example losses are made in the
// function's scope and returned without ts_escape
TS_SCOPED static ts_tensor *example_losses(const struct trainer *tr,
                                           const ts_tensor *X) {
  ts_tensor *y = ts_sum_dim_IntList(X, TS_SHAPE(1), true, TS_NO_DTYPE);
  ts_tensor *r = ts_sub(forward(tr, X), y);
  return ts_detach(ts_mul(r, r)); // <- BUG
}

// OK: a curriculum by loss: uses and frees what example_losses returns
void sch_loss_curriculum(void) {
  struct trainer tr;
  ts_tensor *X = ts_randn(TS_SHAPE(NTRAIN, IN), TS_FLOAT32);
  if (trainer_init(&tr, 0.05, 2, 8) == 0) {
    ts_tensor *l = example_losses(&tr, X);
    ts_tensor *flat = ts_reshape(l, TS_SHAPE(-1));
    ts_tensor *order = ts_argsort(flat, 0, false);
    printf("%lld examples ordered\n", (long long)ts_numel(order));
    ts_free(order);
    ts_free(flat);
    ts_free(l);
    trainer_free(&tr);
  }
  ts_free(X);
}

// BUG: use-after-scope: the last loss tensor is remembered from the scoped
// loop and read after it
void sch_last_loss(void) {
  struct trainer tr;
  if (trainer_init(&tr, 0.05, 2, 8) != 0)
    return;
  ts_tensor *last = NULL;
  TS_SCOPE for (int s = 0; s < 3; s++) {
    ts_tensor *X, *y;
    make_batch(&X, &y, 8);
    last = ts_mse_loss(forward(&tr, X), y);
  }
  printf("last loss %.4f\n", ts_item(last)); // <- BUG
  trainer_free(&tr);
}

// OK: StepLR from the header, stepped once per epoch after the optimizer
void sch_steplr(void) {
  struct trainer tr;
  ts_lr_scheduler sch;
  if (trainer_init(&tr, 0.1, 1, 9) != 0)
    return;
  if (ts_lr_step_init(&sch, tr.opt, 3, 0.5) == TS_OK) {
    for (int ep = 0; ep < 9; ep++) {
      TS_SCOPE {
        ts_tensor *X, *y;
        make_batch(&X, &y, 8);
        ts_optim_zero_grad(tr.opt);
        ts_backward(ts_mse_loss(forward(&tr, X), y));
        ts_optim_step(tr.opt);
      }
      ts_lr_scheduler_step(&sch);
    }
    printf("lr after 9 epochs %.4f\n", ts_optim_get_lr(tr.opt));
  }
  trainer_free(&tr);
}

// OK: cosine annealing with a ring of the two latest weight snapshots:
// the slot being overwritten is freed first, both are freed at the end
void sch_cosine_ring(void) {
  struct trainer tr;
  ts_lr_scheduler sch;
  ts_tensor *ring[2] = {NULL, NULL};
  if (trainer_init(&tr, 0.1, 1, 6) != 0)
    return;
  ts_lr_cosine_init(&sch, tr.opt, 6, 0.001);
  for (int ep = 0; ep < 6; ep++) {
    TS_SCOPE {
      ts_tensor *X, *y;
      make_batch(&X, &y, 8);
      ts_optim_zero_grad(tr.opt);
      ts_backward(ts_mse_loss(forward(&tr, X), y));
      ts_optim_step(tr.opt);
    }
    ts_lr_scheduler_step(&sch);
    if (ring[ep % 2])
      ts_free(ring[ep % 2]);
    ring[ep % 2] = ts_clone(tr.l2.weight);
  }
  for (int i = 0; i < 2; i++)
    if (ring[i])
      ts_free(ring[i]);
  trainer_free(&tr);
}

// BUG: double-free: three snapshots went through a ring of two, and the
// cleanup loop counts the snapshots instead of the slots
void sch_ring_count(void) {
  struct trainer tr;
  ts_tensor *ring[2] = {NULL, NULL};
  int saved = 0;
  if (trainer_init(&tr, 0.1, 1, 6) != 0)
    return;
  for (int ep = 0; ep < 3; ep++) {
    if (ring[ep % 2])
      ts_free(ring[ep % 2]);
    ring[ep % 2] = ts_clone(tr.l2.weight);
    saved++;
  }
  for (int i = 0; i < saved; i++)
    ts_free(ring[i % 2]); // <- BUG
  trainer_free(&tr);
}

// BUG: use-after-free: the weight handle belongs to the store, which
// trainer_free has freed by the time it is summed
void sch_weight_after_teardown(void) {
  struct trainer tr;
  if (trainer_init(&tr, 0.1, 1, 6) != 0)
    return;
  train_step(&tr);
  ts_tensor *w = tr.l1.weight;
  trainer_free(&tr);
  ts_tensor *s = ts_sum(w); // <- BUG
  printf("sum %.3f\n", ts_item(s));
  ts_free(s);
}

// OK: fine-tuning the head only: the first layer frozen by prefix, the
// weights compared with a copy to show it did not move
void sch_freeze(void) {
  struct trainer tr;
  size_t changed = 0;
  if (trainer_init(&tr, 0.1, 1, 6) != 0)
    return;
  ts_store_set_requires_grad(tr.store, "l1", false, &changed);
  ts_tensor *w0 = ts_clone(tr.l1.weight);
  for (int s = 0; s < 3; s++)
    train_step(&tr);
  ts_tensor *d = ts_sub(tr.l1.weight, w0);
  ts_tensor *n = ts_norm_Scalar(d, 2.0);
  printf("%zu frozen, first layer moved %.2e\n", changed, ts_item(n));
  ts_free(n);
  ts_free(d);
  ts_free(w0);
  trainer_free(&tr);
}

// OK: gradient accumulation: four micro-batches per update in one scoped
// loop, the losses scaled down
void sch_accumulate(void) {
  struct trainer tr;
  if (trainer_init(&tr, 0.05, 1, 4) != 0)
    return;
  for (int upd = 0; upd < 3; upd++) {
    ts_optim_zero_grad(tr.opt);
    TS_SCOPE for (int mb = 0; mb < 4; mb++) {
      ts_tensor *X, *y;
      make_batch(&X, &y, 4);
      ts_backward(ts_mul_scalar(ts_mse_loss(forward(&tr, X), y), 0.25));
    }
    ts_optim_set_lr(tr.opt, lr_at(upd, 1, 4, 0.05));
    ts_optim_step(tr.opt);
  }
  printf("accumulated 3 updates\n");
  trainer_free(&tr);
}

struct eval_job {
  const struct trainer *tr;
  double loss;
};

// OK: an evaluation job under ts_run, with gradients off
static void *eval_job(void *ctx) {
  struct eval_job *j = ctx;
  bool was = ts_set_grad_enabled(false);
  ts_tensor *X, *y;
  make_batch(&X, &y, 64);
  j->loss = ts_item(ts_mse_loss(forward(j->tr, X), y));
  ts_set_grad_enabled(was);
  return NULL;
}

// OK: evaluates before and after training
void sch_eval(void) {
  struct trainer tr;
  if (trainer_init(&tr, 0.05, 2, 10) != 0)
    return;
  struct eval_job j = {&tr, 0.0};
  ts_run(eval_job, &j);
  double before = j.loss;
  for (int s = 0; s < 10; s++)
    train_step(&tr);
  ts_run(eval_job, &j);
  printf("eval %.4f -> %.4f\n", before, j.loss);
  trainer_free(&tr);
}
