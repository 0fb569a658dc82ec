// Precision corpus: nn.h layers, stores and optimizers, checkpoints, data
// loaders, the dist sampler and pools, as training code uses them; all
// correct.
// RUN: rm -rf %t.d && mkdir -p %t.d
// RUN: %clang %tsmem -Wall -Wextra -Werror -O0 %s -o %t0 %link_tsmem
// RUN: env TSMEM_STRICT=1 TSMEM_LEAK_REPORT=1 %t0 %t.d > %t0.out 2>&1
// RUN: %clang %tsmem -Wall -Wextra -Werror -O2 %s -o %t2 %link_tsmem
// RUN: env TSMEM_STRICT=1 TSMEM_LEAK_REPORT=1 %t2 %t.d > %t2.out 2>&1
// RUN: diff %t0.out %t2.out
// RUN: %clang %cflags -DTSMEM_EDITOR -w -O0 %s -o %te %link_tsmem
// RUN: %te %t.d | grep '^v ' > %te.v
// RUN: grep '^v ' %t0.out | diff %te.v -
// RUN: FileCheck %s < %t0.out
// CHECK-NOT: FAIL
// CHECK-NOT: tsmem:
// CHECK: clean_nn: all checks passed
// CHECK-NOT: tsmem:
#include "common.h"
#include <string.h>
#include <tsmem/checkpoint.h>
#include <tsmem/data.h>
#include <tsmem/dist.h>
#include <tsmem/nn.h>

static double sum_of(const ts_tensor *t) {
  ts_tensor *s = ts_sum(t);
  double v = ts_item(s);
  ts_free(s);
  return v;
}

/* ---- a model on a store ---- */
struct net {
  ts_store *store;
  ts_nn_linear fc1, fc2;
  ts_optim *opt;
};

static int net_init(struct net *n) {
  memset(n, 0, sizeof *n);
  n->store = ts_store_new();
  if (!n->store)
    return -1;
  if (ts_nn_linear_init(&n->fc1, n->store, "fc1", 16, 8, true) != TS_OK ||
      ts_nn_linear_init(&n->fc2, n->store, "fc2", 8, 3, true) != TS_OK)
    goto fail;
  n->opt = ts_optim_sgd(n->store, ts_sgd_defaults(0.05));
  if (!n->opt)
    goto fail;
  return 0;
fail:
  ts_store_free(n->store);
  n->store = NULL;
  return -1;
}

TS_CALLER_SCOPE static ts_tensor *net_forward(const struct net *n,
                                              const ts_tensor *x) {
  ts_tensor *h = ts_nn_linear_forward(&n->fc1, x);
  ts_tensor *a = ts_relu(h);
  return ts_nn_linear_forward(&n->fc2, a);
}

/* A manual forward that frees its temporaries. */
static ts_tensor *net_forward_manual(const struct net *n, const ts_tensor *x) {
  ts_tensor *h = ts_nn_linear_forward(&n->fc1, x);
  if (!h)
    return NULL;
  ts_tensor *a = ts_relu(h);
  ts_free(h);
  if (!a)
    return NULL;
  ts_tensor *o = ts_nn_linear_forward(&n->fc2, a);
  ts_free(a);
  return o;
}

static double train(struct net *n, int steps) {
  double last = 0;
  ts_manual_seed(1);
  for (size_t i = 0; i < ts_store_param_count(n->store); i++)
    ts_init_constant_(ts_store_param_at(n->store, i), 0.01 * (double)(i + 1));
  TS_SCOPE for (int s = 0; s < steps; s++) {
    ts_tensor *x = ts_full(TS_SHAPE(4, 16), TS_FLOAT32, 0.1 * s);
    ts_tensor *y = ts_zeros(TS_SHAPE(4), TS_INT64);
    ts_optim_zero_grad(n->opt);
    ts_tensor *logits = net_forward(n, x);
    ts_tensor *loss = ts_cross_entropy(logits, y);
    if (!loss)
      break;
    ts_backward(loss);
    ts_optim_step(n->opt);
    last = ts_item(loss);
  }
  return last;
}

static double eval_manual(struct net *n) {
  bool was = ts_set_grad_enabled(false);
  ts_tensor *x = ts_ones(TS_SHAPE(2, 16), TS_FLOAT32);
  ts_tensor *o = net_forward_manual(n, x);
  double r = o ? sum_of(o) : -1;
  ts_free(o);
  ts_free(x);
  ts_set_grad_enabled(was);
  return r;
}

TS_SCOPED static double eval_scoped(struct net *n) {
  ts_tensor *x = ts_ones(TS_SHAPE(2, 16), TS_FLOAT32);
  ts_tensor *o = net_forward(n, x);
  ts_tensor *p = ts_softmax(o, 1);
  ts_tensor *am = ts_argmax_dim(p, 1);
  return sum_of(am) + sum_of(p);
}

/* ---- checkpoints ---- */
static int save_and_reload(struct net *n, const char *dir) {
  char path[512];
  snprintf(path, sizeof path, "%s/net.safetensors", dir);
  if (ts_store_save(n->store, path, TS_CHECKPOINT_SAFETENSORS) != TS_OK)
    return -1;
  struct net m;
  if (net_init(&m) != 0)
    return -1;
  int rc = ts_store_load(m.store, path) == TS_OK ? 0 : -1;
  ts_tensor *a = ts_store_find(n->store, "fc1.weight");
  ts_tensor *b = ts_store_find(m.store, "fc1.weight");
  if (rc == 0 && a && b) {
    ts_tensor *d = ts_sub(a, b);
    rc = sum_of(d) == 0 ? 0 : -1;
    ts_free(d);
  }
  ts_store_free(m.store);
  return rc;
}

static int tensors_roundtrip(const char *dir) {
  char path[512];
  snprintf(path, sizeof path, "%s/ts.pt", dir);
  const char *names[2] = {"a", "b"};
  ts_tensor *t[2];
  t[0] = ts_arange(0, 4, 1, TS_FLOAT32);
  t[1] = ts_full(TS_SHAPE(2, 2), TS_FLOAT64, 3);
  int rc = -1;
  if (ts_tensors_save(path, names, t, 2, TS_CHECKPOINT_TORCH) != TS_OK)
    goto out;
  ts_tensor *back[2] = {ts_zeros(TS_SHAPE(4), TS_FLOAT32),
                        ts_zeros(TS_SHAPE(2, 2), TS_FLOAT64)};
  if (ts_tensors_load(path, names, back, 2) == TS_OK)
    rc = (int)(sum_of(back[0]) + sum_of(back[1]));
  ts_free(back[0]);
  ts_free(back[1]);
out:
  ts_free(t[1]);
  ts_free(t[0]);
  return rc;
}

/* ---- a data set written as IDX files, read by a loader ---- */
static void put_be32(FILE *f, uint32_t v) {
  unsigned char b[4] = {v >> 24, v >> 16, v >> 8, v};
  fwrite(b, 1, 4, f);
}

static int write_idx(const char *dir, char *img, char *lab, size_t len) {
  snprintf(img, len, "%s/img.idx", dir);
  snprintf(lab, len, "%s/lab.idx", dir);
  FILE *f = fopen(img, "wb");
  if (!f)
    return -1;
  put_be32(f, 0x803);
  put_be32(f, 10);
  put_be32(f, 2);
  put_be32(f, 2);
  for (int i = 0; i < 40; i++)
    fputc(i * 5, f);
  fclose(f);
  f = fopen(lab, "wb");
  if (!f)
    return -1;
  put_be32(f, 0x801);
  put_be32(f, 10);
  for (int i = 0; i < 10; i++)
    fputc(i % 3, f);
  fclose(f);
  return 0;
}

static double loader_demo(const char *dir) {
  char img[512], lab[512];
  if (write_idx(dir, img, lab, sizeof img) != 0)
    return -1;
  ts_dataset *d = ts_dataset_load_idx(img, lab);
  if (!d)
    return -2;
  ts_loader_opts o = ts_loader_defaults(4);
  ts_loader *l = ts_loader_new(d, &o);
  if (!l) {
    ts_dataset_free(d);
    return -3;
  }
  double acc = 0;
  ts_tensor *x, *y;
  /* manual: free each batch */
  while (ts_loader_next(l, &x, &y)) {
    acc += sum_of(y);
    ts_free(x);
    ts_free(y);
  }
  /* scoped: one scope per batch */
  ts_loader_set_epoch(l, 1);
  int64_t nb = ts_loader_num_batches(l);
  TS_SCOPE for (int64_t b = 0; b < nb; b++) {
    ts_tensor *bx, *by;
    if (!ts_loader_next(l, &bx, &by))
      break;
    ts_tensor *m = ts_mean(bx);
    acc += ts_item(m) > 0;
  }
  /* the dist sampler's indices */
  ts_tensor *idx = ts_dist_sampler(10, 1, 2, false, 0, 0, false);
  if (idx) {
    int64_t buf[16];
    int64_t n = ts_numel(idx);
    if (n <= 16 && ts_copy_to_buffer(idx, buf, sizeof buf) == TS_OK &&
        ts_loader_set_indices(l, buf, n) == TS_OK) {
      ts_tensor *bx = NULL, *by = NULL;
      if (ts_loader_next(l, &bx, &by)) {
        acc += 1000 * ts_numel(by);
        ts_free(bx);
        ts_free(by);
      }
    }
    ts_free(idx);
  }
  ts_loader_free(l);
  ts_dataset_free(d);
  return acc;
}

/* ---- pools ---- */
static ts_tensor *acquire_or_make(ts_pool *p, int n) {
  ts_tensor *t = ts_pool_acquire(p, TS_SHAPE(n), TS_FLOAT32);
  if (!t)
    t = ts_zeros(TS_SHAPE(n), TS_FLOAT32);
  return t;
}

static double pool_demo(void) {
  ts_pool *p = ts_pool_new(4);
  double acc = 0;
  for (int round = 0; round < 3; round++) {
    ts_tensor *bufs[3];
    for (int i = 0; i < 3; i++)
      bufs[i] = acquire_or_make(p, 8);
    for (int i = 0; i < 3; i++) {
      ts_init_constant_(bufs[i], i);
      acc += sum_of(bufs[i]);
    }
    for (int i = 0; i < 3; i++)
      ts_pool_release(p, bufs[i]);
  }
  ts_pool_stats st = ts_pool_get_stats(p);
  acc += (double)st.hit_count * 1000;
  /* a scoped acquire released before the scope ends */
  TS_SCOPE {
    ts_tensor *t = acquire_or_make(p, 8);
    ts_tensor *u = ts_add_scalar(t, 1);
    acc += sum_of(u);
    ts_pool_release(p, t);
  }
  ts_pool_destroy(p);
  return acc;
}

/* ---- an LSTM with out[] results ---- */
static double lstm_demo(void) {
  ts_store *s = ts_store_new();
  ts_nn_lstm l;
  double r = -1;
  if (ts_nn_lstm_init(&l, s, "lstm", 3, 4, 1, true) != TS_OK)
    goto out;
  for (size_t i = 0; i < ts_store_param_count(s); i++)
    ts_init_constant_(ts_store_param_at(s, i), 0.1);
  ts_tensor *x = ts_ones(TS_SHAPE(2, 5, 3), TS_FLOAT32);
  ts_tensor *res[3];
  if (ts_nn_lstm_forward(res, &l, x, NULL, NULL) == TS_OK) {
    r = sum_of(res[1]) + sum_of(res[2]);
    for (int i = 0; i < 3; i++)
      ts_free(res[i]);
  }
  ts_free(x);
out:
  ts_store_free(s);
  return r;
}

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : ".";
  size_t base = pc_live();
  struct net n;
  if (net_init(&n) != 0)
    return 2;
  size_t with_params = pc_live();
  V("train %.4f", train(&n, 5));
  EXPECT_MEM(pc_live() == with_params);
  V("eval_manual %.4f", eval_manual(&n));
  V("eval_scoped %.4f", eval_scoped(&n));
  EXPECT_MEM(pc_live() == with_params);
  V("save_and_reload %d", save_and_reload(&n, dir));
  ts_store_free(n.store);
  V("tensors_roundtrip %d", tensors_roundtrip(dir));
  V("loader %.1f", loader_demo(dir));
  V("pool %.1f", pool_demo());
  V("lstm %.4f", lstm_demo());
  EXPECT_MEM(pc_live() == base);
  return pc_done("clean_nn");
}
