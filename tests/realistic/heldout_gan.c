/*
 * heldout_gan.c - a GAN-style loop over two small MLPs (a generator and a
 * discriminator): parameter structs with goto-cleanup init and a teardown
 * that forgets what it freed, a caller-scope forward pass, gradient norms,
 * label swapping. Held-out corpus (README.md).
 *
 * Labels: `// OK: why` or `// BUG: check: why` before each function; the
 * line of the bug ends in `// <- BUG`.
 */
#include <stdio.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define ZDIM 4
#define XDIM 6
#define HID 8
#define BATCH 5

struct mlp {
  ts_tensor *w1; /* [in, HID] */
  ts_tensor *w2; /* [HID, out] */
};

// OK: each weight is freed on the failure path; on success both move into
// the struct
static int mlp_init(struct mlp *m, int in, int out) {
  ts_tensor *w1 = NULL, *w2 = NULL;
  w1 = ts_randn(TS_SHAPE(in, HID), TS_FLOAT32);
  if (!w1)
    goto fail;
  w2 = ts_randn(TS_SHAPE(HID, out), TS_FLOAT32);
  if (!w2)
    goto fail;
  if (ts_requires_grad(w1, true) != TS_OK ||
      ts_requires_grad(w2, true) != TS_OK)
    goto fail;
  m->w1 = w1;
  m->w2 = w2;
  return 0;
fail:
  if (w2)
    ts_free(w2);
  if (w1)
    ts_free(w1);
  m->w1 = m->w2 = NULL;
  return -1;
}

// OK: frees what is still there and forgets it, so a second call is harmless
static void mlp_free(struct mlp *m) {
  if (m->w1) {
    ts_free(m->w1);
    m->w1 = NULL;
  }
  if (m->w2) {
    ts_free(m->w2);
    m->w2 = NULL;
  }
}

// OK: everything it makes belongs to the caller's scope
TS_CALLER_SCOPE static ts_tensor *mlp_forward(const struct mlp *m,
                                              const ts_tensor *x) {
  ts_tensor *h = ts_matmul(x, m->w1);
  ts_tensor *a = ts_relu(h);
  return ts_matmul(a, m->w2);
}

// OK: plain SGD on both weights, gradients cleared; no tensor made
static void mlp_step(struct mlp *m, double lr) {
  ts_sgd_step(m->w1, lr);
  ts_sgd_step(m->w2, lr);
  ts_zero_grad(m->w1);
  ts_zero_grad(m->w2);
}

// OK: alternating updates; each step's tensors die with its scope
void gan_train(void) {
  struct mlp g, d;
  ts_manual_seed(11);
  if (mlp_init(&g, ZDIM, XDIM) != 0)
    return;
  if (mlp_init(&d, XDIM, 1) != 0) {
    mlp_free(&g);
    return;
  }
  TS_SCOPE for (int step = 0; step < 3; step++) {
    ts_tensor *z = ts_randn(TS_SHAPE(BATCH, ZDIM), TS_FLOAT32);
    ts_tensor *fake = mlp_forward(&g, z);
    ts_tensor *score = mlp_forward(&d, fake);
    ts_tensor *loss = ts_mean(score);
    ts_backward(loss);
    mlp_step(&d, 0.01);
    mlp_step(&g, 0.01);
    printf("step %d loss %f\n", step, ts_item(loss));
  }
  mlp_free(&d);
  mlp_free(&g);
  mlp_free(&g); /* already cleared: nothing happens */
}

// BUG: leak: the gradient handle ts_grad returns is never freed
static double mlp_grad_norm(const struct mlp *m) {
  ts_tensor *g = ts_grad(m->w1); // <- BUG
  if (!g)
    return 0.0;
  ts_tensor *n = ts_norm_ScalarOpt_dim(g, 2.0, NULL, 0, false);
  double v = ts_item(n);
  ts_free(n);
  return v;
}

// OK: logs the gradient norm after one backward pass (the helper leaks)
void gan_log_grads(void) {
  struct mlp d;
  if (mlp_init(&d, XDIM, 1) != 0)
    return;
  ts_tensor *x = ts_randn(TS_SHAPE(BATCH, XDIM), TS_FLOAT32);
  ts_tensor *h = ts_matmul(x, d.w1);
  ts_tensor *out = ts_matmul(h, d.w2);
  ts_tensor *loss = ts_mean(out);
  ts_backward(loss);
  printf("grad norm %f\n", mlp_grad_norm(&d));
  ts_free(loss);
  ts_free(out);
  ts_free(h);
  ts_free(x);
  mlp_free(&d);
}

// BUG: use-after-scope: the last fake batch belongs to the iteration scope
// and is copied out after the loop
void gan_sample_last(void) {
  struct mlp g;
  if (mlp_init(&g, ZDIM, XDIM) != 0)
    return;
  ts_tensor *last_fake = NULL;
  TS_SCOPE for (int i = 0; i < 2; i++) {
    ts_tensor *z = ts_randn(TS_SHAPE(BATCH, ZDIM), TS_FLOAT32);
    last_fake = mlp_forward(&g, z);
  }
  float buf[BATCH * XDIM];
  ts_copy_to_buffer(last_fake, buf, sizeof buf); // <- BUG
  printf("%f\n", buf[0]);
  mlp_free(&g);
}

// BUG: double-free: w2 is freed by hand but left in the struct, and the
// teardown frees it again
void gan_shrink_disc(void) {
  struct mlp d;
  if (mlp_init(&d, XDIM, 1) != 0)
    return;
  ts_tensor *w2_small = ts_randn(TS_SHAPE(HID, 1), TS_FLOAT32);
  ts_free(d.w2);
  printf("replaced %lld\n", (long long)ts_numel(w2_small));
  ts_free(w2_small);
  mlp_free(&d); // <- BUG
}

// OK: real and fake label tensors are swapped by pointer; each is freed once
void gan_label_swap(void) {
  ts_tensor *real = ts_ones(TS_SHAPE(BATCH, 1), TS_FLOAT32);
  ts_tensor *fake = ts_zeros(TS_SHAPE(BATCH, 1), TS_FLOAT32);
  for (int flip = 0; flip < 3; flip++) {
    ts_tensor *tmp = real;
    real = fake;
    fake = tmp;
  }
  printf("real %lld fake %lld\n", (long long)ts_numel(real),
         (long long)ts_numel(fake));
  ts_free(real);
  ts_free(fake);
}

// BUG: use-after-free: the loss is freed right after backward and printed
// afterwards
void gan_disc_step(void) {
  struct mlp d;
  if (mlp_init(&d, XDIM, 1) != 0)
    return;
  ts_tensor *x = ts_randn(TS_SHAPE(BATCH, XDIM), TS_FLOAT32);
  ts_tensor *score = NULL, *loss = NULL;
  TS_SCOPE {
    ts_tensor *h = ts_relu(ts_matmul(x, d.w1));
    score = ts_escape(ts_matmul(h, d.w2));
  }
  loss = ts_mean(score);
  ts_backward(loss);
  ts_free(loss);
  mlp_step(&d, 0.05);
  printf("loss %f\n", ts_item(loss)); // <- BUG
  ts_free(score);
  ts_free(x);
  mlp_free(&d);
}

// OK: the detached copy stays valid after the generator output is freed
void gan_detach_fake(void) {
  struct mlp g;
  if (mlp_init(&g, ZDIM, XDIM) != 0)
    return;
  ts_tensor *z = ts_randn(TS_SHAPE(BATCH, ZDIM), TS_FLOAT32);
  ts_tensor *h = ts_matmul(z, g.w1);
  ts_tensor *fake = ts_matmul(h, g.w2);
  ts_free(h);
  ts_tensor *frozen = ts_detach(fake);
  ts_free(fake);
  printf("frozen %lld\n", (long long)ts_numel(frozen));
  ts_free(frozen);
  ts_free(z);
  mlp_free(&g);
}
