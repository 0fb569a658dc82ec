/* heldout2_autoenc.c - a dense autoencoder with a best-checkpoint struct:
 * goto-chain init, scoped training steps, checkpoints that copy or borrow
 * the weights, restore by replacement, latent codes and reconstructions.
 * Labels: tests/realistic/README.md. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define IN 12
#define LAT 3
#define MAX_LAT 8

struct ae {
  ts_tensor *enc_w, *enc_b, *dec_w, *dec_b;
};

struct ckpt {
  ts_tensor *t[4]; /* enc_w, enc_b, dec_w, dec_b */
  double loss;
  int epoch;
};

// OK: the model's four tensors by index (borrowed slots)
static ts_tensor **ae_slot(struct ae *m, int i) {
  switch (i) {
  case 0:
    return &m->enc_w;
  case 1:
    return &m->enc_b;
  case 2:
    return &m->dec_w;
  default:
    return &m->dec_b;
  }
}

// OK: a goto chain that frees in reverse order what was made before a failure
static int ae_init(struct ae *m, int latent) {
  if (latent > MAX_LAT)
    return -1;
  m->enc_w = ts_randn(TS_SHAPE(latent, IN), TS_FLOAT32);
  if (!m->enc_w)
    goto fail;
  m->enc_b = ts_zeros(TS_SHAPE(latent), TS_FLOAT32);
  if (!m->enc_b)
    goto fail_enc_w;
  m->dec_w = ts_randn(TS_SHAPE(IN, latent), TS_FLOAT32);
  if (!m->dec_w)
    goto fail_enc_b;
  m->dec_b = ts_zeros(TS_SHAPE(IN), TS_FLOAT32);
  if (!m->dec_b)
    goto fail_dec_w;
  for (int i = 0; i < 4; i++)
    ts_requires_grad(*ae_slot(m, i), true);
  return 0;
fail_dec_w:
  ts_free(m->dec_w);
fail_enc_b:
  ts_free(m->enc_b);
fail_enc_w:
  ts_free(m->enc_w);
fail:
  return -1;
}

// BUG: leak: the width check comes after the encoder is made, and its
// error path frees only the bias
static int ae_init_checked(struct ae *m, int latent, int width) {
  m->enc_w = ts_randn(TS_SHAPE(latent, IN), TS_FLOAT32); // <- BUG
  m->enc_b = ts_zeros(TS_SHAPE(latent), TS_FLOAT32);
  if (width != IN) {
    fprintf(stderr, "ae: input width %d, model expects %d\n", width, IN);
    ts_free(m->enc_b);
    return -1;
  }
  m->dec_w = ts_randn(TS_SHAPE(IN, latent), TS_FLOAT32);
  m->dec_b = ts_zeros(TS_SHAPE(IN), TS_FLOAT32);
  return 0;
}

// OK: frees the four tensors through their slots
static void ae_free(struct ae *m) {
  for (int i = 0; i < 4; i++) {
    ts_tensor **s = ae_slot(m, i);
    ts_free(*s);
    *s = NULL;
  }
}

// OK: the code, in the caller's scope
TS_CALLER_SCOPE static ts_tensor *ae_encode(const struct ae *m,
                                            const ts_tensor *x) {
  return ts_tanh(ts_linear(x, m->enc_w, m->enc_b));
}

// OK: the reconstruction, in the caller's scope
TS_CALLER_SCOPE static ts_tensor *ae_decode(const struct ae *m,
                                            const ts_tensor *z) {
  return ts_linear(z, m->dec_w, m->dec_b);
}

// OK: one scoped training step; only the loss value leaves
TS_SCOPED static double ae_step(struct ae *m, const ts_tensor *x, double lr) {
  ts_tensor *y = ae_decode(m, ae_encode(m, x));
  ts_tensor *loss = ts_mse_loss(y, x);
  ts_backward(loss);
  for (int i = 0; i < 4; i++) {
    ts_tensor *p = *ae_slot(m, i);
    ts_sgd_step(p, lr);
    ts_zero_grad(p);
  }
  return ts_item(loss);
}

// OK: replaces the snapshot with detached copies; the old ones are freed
static void ckpt_save(struct ckpt *c, struct ae *m, double loss, int epoch) {
  for (int i = 0; i < 4; i++) {
    if (c->t[i])
      ts_free(c->t[i]);
    c->t[i] = ts_detach(*ae_slot(m, i));
    ts_tensor *copy = ts_clone(c->t[i]);
    ts_free(c->t[i]);
    c->t[i] = copy;
  }
  c->loss = loss;
  c->epoch = epoch;
}

// BUG: leak: the snapshot is overwritten without freeing the previous one
static void ckpt_save_fast(struct ckpt *c, struct ae *m, double loss) {
  for (int i = 0; i < 4; i++)
    c->t[i] = ts_clone(*ae_slot(m, i)); // <- BUG
  c->loss = loss;
}

// OK: frees the snapshot (present or not) and clears it
static void ckpt_free(struct ckpt *c) {
  for (int i = 0; i < 4; i++) {
    if (c->t[i])
      ts_free(c->t[i]);
    c->t[i] = NULL;
  }
}

// OK: a checkpoint that borrows the model's tensors, for a quick look; it
// owns nothing
static void ckpt_borrow(struct ckpt *c, struct ae *m) {
  for (int i = 0; i < 4; i++)
    c->t[i] = *ae_slot(m, i);
  c->loss = -1;
  c->epoch = -1;
}

// OK: replaces each model tensor by a fresh copy of the snapshot
static void ckpt_restore(struct ae *m, const struct ckpt *c) {
  for (int i = 0; i < 4; i++) {
    ts_tensor **s = ae_slot(m, i);
    ts_tensor *old = *s;
    *s = ts_clone(c->t[i]);
    ts_requires_grad(*s, true);
    ts_free(old);
  }
}

// BUG: use-after-free: the old decoder weight is freed and then marked as
// requiring grad instead of the new one
static void restore_decoder(struct ae *m, const struct ckpt *c) {
  ts_tensor *old = m->dec_w;
  m->dec_w = ts_clone(c->t[2]);
  ts_free(old);
  ts_requires_grad(old, true); // <- BUG
}

// OK: trains, keeps the best checkpoint, restores it, frees everything
void ae_train(void) {
  ts_manual_seed(3);
  struct ae m;
  if (ae_init(&m, LAT) != 0)
    return;
  struct ckpt best = {{NULL}, 1e30, -1};
  ts_tensor *x = ts_randn(TS_SHAPE(16, IN), TS_FLOAT32);
  for (int ep = 0; ep < 5; ep++) {
    double l = ae_step(&m, x, 0.05);
    if (l < best.loss)
      ckpt_save(&best, &m, l, ep);
  }
  ckpt_restore(&m, &best);
  printf("best loss %.3f at epoch %d\n", best.loss, best.epoch);
  ckpt_free(&best);
  ts_free(x);
  ae_free(&m);
}

// OK: a model that refuses its input width (ae_init_checked's leak is its own)
void ae_train_bad_width(void) {
  struct ae m;
  if (ae_init_checked(&m, LAT, IN + 1) != 0) {
    puts("ae: not trained");
    return;
  }
  ae_free(&m);
}

// OK: two saves through the fast checkpoint (its leak is its own)
void ae_train_fast_ckpt(void) {
  struct ae m;
  if (ae_init(&m, LAT) != 0)
    return;
  struct ckpt c = {{NULL}, 0, 0};
  ts_tensor *x = ts_randn(TS_SHAPE(8, IN), TS_FLOAT32);
  for (int ep = 0; ep < 2; ep++)
    ckpt_save_fast(&c, &m, ae_step(&m, x, 0.05));
  ckpt_free(&c);
  ts_free(x);
  ae_free(&m);
}

// OK: drives restore_decoder (its bug is its own)
void ae_restore_decoder(void) {
  struct ae m;
  if (ae_init(&m, LAT) != 0)
    return;
  struct ckpt c = {{NULL}, 0, 0};
  ckpt_save(&c, &m, 1.0, 0);
  restore_decoder(&m, &c);
  ckpt_free(&c);
  ae_free(&m);
}

// BUG: double-free: a borrowed checkpoint is torn down with ckpt_free, and the
// model it borrowed from with ae_free
void ae_quick_look(void) {
  struct ae m;
  if (ae_init(&m, LAT) != 0)
    return;
  struct ckpt view;
  ckpt_borrow(&view, &m);
  printf("encoder %lld x %lld\n", (long long)ts_size(view.t[0], 0),
         (long long)ts_size(view.t[0], 1));
  ckpt_free(&view);
  ae_free(&m); // <- BUG
}

// OK: the borrowed checkpoint is only read; the model is freed once
void ae_quick_look_ok(void) {
  struct ae m;
  if (ae_init(&m, LAT) != 0)
    return;
  struct ckpt view;
  ckpt_borrow(&view, &m);
  printf("encoder %lld x %lld\n", (long long)ts_size(view.t[0], 0),
         (long long)ts_size(view.t[0], 1));
  ae_free(&m);
}

// OK: the codes are made inside the function's scope (the caller reads them)
TS_SCOPED static void encode_into(const struct ae *m, const ts_tensor *x,
                                  ts_tensor **codes) {
  *codes = ae_encode(m, x);
}

// BUG: use-after-scope: encode_into's codes belonged to its scope, which ended
// when it returned
void ae_codes(void) {
  struct ae m;
  if (ae_init(&m, LAT) != 0)
    return;
  ts_tensor *x = ts_randn(TS_SHAPE(4, IN), TS_FLOAT32);
  ts_tensor *codes = NULL;
  encode_into(&m, x, &codes);
  printf("codes %lld\n", (long long)ts_numel(codes)); // <- BUG
  ts_free(x);
  ae_free(&m);
}

// BUG: use-after-scope: the reconstruction is returned after ts_scope_end
// freed it
static ts_tensor *ae_reconstruct(const struct ae *m, const ts_tensor *x) {
  ts_scope_id s = ts_scope_begin();
  ts_tensor *z = ae_encode(m, x);
  ts_tensor *y = ae_decode(m, z);
  ts_scope_end(s);
  return y; // <- BUG
}

// OK: the reconstruction escapes its manual scope before the scope ends
static ts_tensor *ae_reconstruct_ok(const struct ae *m, const ts_tensor *x) {
  ts_scope_id s = ts_scope_begin();
  ts_tensor *z = ae_encode(m, x);
  ts_tensor *y = ts_escape(ae_decode(m, z));
  ts_scope_end(s);
  return y;
}

// OK: the correct reconstruction is freed after use
void ae_recon_ok(void) {
  struct ae m;
  if (ae_init(&m, LAT) != 0)
    return;
  ts_tensor *x = ts_randn(TS_SHAPE(4, IN), TS_FLOAT32);
  ts_tensor *y = ae_reconstruct_ok(&m, x);
  ts_tensor *e = ts_mse_loss(y, x);
  printf("recon error %.3f\n", ts_item(e));
  ts_free(e);
  ts_free(y);
  ts_free(x);
  ae_free(&m);
}

// OK: uses what ae_reconstruct returned (the helper is wrong)
void ae_recon(void) {
  struct ae m;
  if (ae_init(&m, LAT) != 0)
    return;
  ts_tensor *x = ts_randn(TS_SHAPE(4, IN), TS_FLOAT32);
  ts_tensor *y = ae_reconstruct(&m, x);
  printf("recon %lld\n", (long long)ts_numel(y));
  ts_free(y);
  ts_free(x);
  ae_free(&m);
}

// BUG: unescaped-return: the sampled latent is returned without ts_escape on
// the sampling path (the plain path escapes)
TS_SCOPED static ts_tensor *ae_latent(const struct ae *m, const ts_tensor *x,
                                      bool sample) {
  ts_tensor *z = ae_encode(m, x);
  if (!sample)
    return ts_escape(z);
  ts_tensor *eps = ts_randn(TS_SHAPE(ts_size(z, 0), LAT), TS_FLOAT32);
  ts_mul_Scalar_(eps, 0.1);
  return ts_add(z, eps); // <- BUG
}

// OK: samples a latent and frees it (the helper is wrong on this path)
void ae_sample(void) {
  struct ae m;
  if (ae_init(&m, LAT) != 0)
    return;
  ts_tensor *x = ts_randn(TS_SHAPE(2, IN), TS_FLOAT32);
  ts_tensor *z = ae_latent(&m, x, true);
  printf("latent %lld\n", (long long)ts_numel(z));
  ts_free(z);
  ts_free(x);
  ae_free(&m);
}

// OK: snapshots taken inside a scoped loop are kept; the kept copies are the
// checkpoint's and are freed by ckpt_free
void ae_ckpt_in_scope(void) {
  struct ae m;
  if (ae_init(&m, LAT) != 0)
    return;
  struct ckpt c = {{NULL}, 0, 0};
  TS_SCOPE for (int ep = 0; ep < 2; ep++) {
    for (int i = 0; i < 4; i++) {
      if (c.t[i])
        ts_free(c.t[i]);
      c.t[i] = ts_keep(ts_clone(*ae_slot(&m, i)));
    }
    c.epoch = ep;
  }
  printf("snapshot of epoch %d\n", c.epoch);
  ckpt_free(&c);
  ae_free(&m);
}
