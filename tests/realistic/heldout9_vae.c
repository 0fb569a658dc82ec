/* heldout9_vae.c - a small variational autoencoder trainer: encoder and
 * decoder weights in a struct passed by pointer, the reparameterisation
 * trick, a KL term, SGD with autograd, and checkpoints (detached copies of
 * the weights) kept in a fixed array with "best so far" tracking and
 * rollback. Functions return ts_status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>

#define VAE_X 6
#define VAE_Z 2
#define VAE_B 5
#define VAE_CKPTS 3
#define VAE_NPARAM 3

typedef struct {
  ts_tensor *enc_mu; /* [VAE_X, VAE_Z] */
  ts_tensor *enc_lv; /* [VAE_X, VAE_Z] */
  ts_tensor *dec;    /* [VAE_Z, VAE_X] */
} vae_model;

typedef struct {
  vae_model w; /* detached copies */
  double loss;
  int step;
  int used;
} vae_ckpt;

typedef struct {
  vae_ckpt slot[VAE_CKPTS];
  int best;
  int next;
} vae_ckpts;

// OK: a parameter field by index
static ts_tensor **vae_param(vae_model *m, int i) {
  switch (i) {
  case 0:
    return &m->enc_mu;
  case 1:
    return &m->enc_lv;
  default:
    return &m->dec;
  }
}

// OK: a detached leaf copy of t (through a host buffer), caller owns it
static ts_tensor *vae_detach(const ts_tensor *t) {
  float buf[VAE_X * VAE_Z];
  int64_t r = ts_size(t, 0), c = ts_size(t, 1);
  if (ts_copy_to_buffer(t, buf, sizeof buf) != TS_OK)
    return NULL;
  return ts_from_buffer(buf, TS_SHAPE(r, c), TS_FLOAT32);
}

// OK: random parameters that require grad; on failure nothing is left allocated
static ts_status vae_init(vae_model *m) {
  memset(m, 0, sizeof *m);
  const int64_t shp[VAE_NPARAM][2] = {{VAE_X, VAE_Z}, {VAE_X, VAE_Z}, {VAE_Z, VAE_X}};
  for (int i = 0; i < VAE_NPARAM; i++) {
    ts_tensor *r = ts_randn(shp[i], 2, TS_FLOAT32);
    ts_tensor *p = r ? ts_mul_scalar(r, 0.3) : NULL;
    if (r)
      ts_free(r);
    if (!p) {
      for (int j = 0; j < i; j++) {
        ts_free(*vae_param(m, j));
        *vae_param(m, j) = NULL;
      }
      return TS_ERR_OOM;
    }
    ts_requires_grad(p, true);
    *vae_param(m, i) = p;
  }
  return TS_OK;
}

// OK: frees the parameters
static void vae_free(vae_model *m) {
  for (int i = 0; i < VAE_NPARAM; i++) {
    ts_tensor **p = vae_param(m, i);
    if (*p)
      ts_free(*p);
    *p = NULL;
  }
}

// OK: the loss of a batch: reconstruction plus weighted KL, in the caller's scope
TS_CALLER_SCOPE static ts_tensor *vae_loss(const vae_model *m, const ts_tensor *x) {
  ts_tensor *mu = ts_matmul(x, m->enc_mu);
  ts_tensor *lv = ts_matmul(x, m->enc_lv);
  ts_tensor *eps = ts_randn(TS_SHAPE(VAE_B, VAE_Z), TS_FLOAT32);
  ts_tensor *z = ts_add(mu, ts_mul(ts_exp(ts_mul_scalar(lv, 0.5)), eps));
  ts_tensor *rec = ts_sigmoid(ts_matmul(z, m->dec));
  ts_tensor *kl_terms = ts_sub(ts_add(ts_mul(mu, mu), ts_exp(lv)), ts_add_scalar(lv, 1.0));
  ts_tensor *kl = ts_mul_scalar(ts_mean(kl_terms), 0.5);
  return ts_add(ts_mse_loss(rec, x), ts_mul_scalar(kl, 0.1));
}

// OK: one SGD step; returns the loss value through *out
static ts_status vae_step(vae_model *m, const ts_tensor *x, double lr, double *out) {
  ts_status st = TS_OK;
  TS_SCOPE {
    ts_tensor *loss = vae_loss(m, x);
    st = ts_backward(loss);
    if (st == TS_OK) {
      for (int i = 0; i < VAE_NPARAM; i++) {
        ts_sgd_step(*vae_param(m, i), lr);
        ts_zero_grad(*vae_param(m, i));
      }
      *out = ts_item(loss);
    }
  }
  return st;
}

// OK: a batch of data in [0, 1]
static ts_tensor *vae_batch(int seed) {
  ts_manual_seed((uint64_t)seed);
  return ts_rand(TS_SHAPE(VAE_B, VAE_X), TS_FLOAT32);
}

// OK: checkpoint slots start empty
static void ckpt_init(vae_ckpts *c) {
  memset(c, 0, sizeof *c);
  c->best = -1;
}

// OK: frees one slot's copies
static void ckpt_clear(vae_ckpt *s) {
  if (s->used)
    vae_free(&s->w);
  s->used = 0;
}

// OK: frees every slot
static void ckpt_free(vae_ckpts *c) {
  for (int i = 0; i < VAE_CKPTS; i++)
    ckpt_clear(&c->slot[i]);
  c->best = -1;
}

// OK: saves a checkpoint into the ring, never overwriting the best one
static ts_status ckpt_save(vae_ckpts *c, const vae_model *m, double loss, int step) {
  int i = c->next;
  if (i == c->best)
    i = (i + 1) % VAE_CKPTS;
  vae_ckpt *s = &c->slot[i];
  ckpt_clear(s);
  s->w.enc_mu = vae_detach(m->enc_mu);
  s->w.enc_lv = vae_detach(m->enc_lv);
  s->w.dec = vae_detach(m->dec);
  s->used = 1;
  s->loss = loss;
  s->step = step;
  if (c->best < 0 || loss < c->slot[c->best].loss)
    c->best = i;
  c->next = (i + 1) % VAE_CKPTS;
  return TS_OK;
}

// OK: restores the model from a slot: fresh leaves requiring grad, old ones freed
static ts_status ckpt_restore(const vae_ckpts *c, int i, vae_model *m) {
  if (i < 0 || !c->slot[i].used)
    return TS_ERR_ARG;
  vae_model *src = (vae_model *)&c->slot[i].w;
  for (int k = 0; k < VAE_NPARAM; k++) {
    ts_tensor *t = vae_detach(*vae_param(src, k));
    if (!t)
      return TS_ERR_OOM;
    ts_requires_grad(t, true);
    ts_free(*vae_param(m, k));
    *vae_param(m, k) = t;
  }
  return TS_OK;
}

// OK: entry: train, checkpoint every few steps, roll back to the best
void vae_entry_train(void) {
  vae_model m;
  vae_ckpts c;
  ckpt_init(&c);
  if (vae_init(&m) != TS_OK)
    return;
  ts_tensor *x = vae_batch(1);
  for (int step = 0; step < 12; step++) {
    double l = 0;
    if (vae_step(&m, x, 0.05, &l) != TS_OK)
      break;
    if (step % 3 == 2)
      ckpt_save(&c, &m, l, step);
  }
  if (ckpt_restore(&c, c.best, &m) == TS_OK)
    printf("restored step %d\n", c.slot[c.best].step);
  ts_free(x);
  ckpt_free(&c);
  vae_free(&m);
}

// BUG: leak: a save into an occupied slot overwrites its copies without freeing them
static ts_status ckpt_save_fast(vae_ckpts *c, const vae_model *m, double loss) {
  vae_ckpt *s = &c->slot[c->next];
  s->w.enc_mu = vae_detach(m->enc_mu); // <- BUG
  s->w.enc_lv = vae_detach(m->enc_lv);
  s->w.dec = vae_detach(m->dec);
  s->used = 1;
  s->loss = loss;
  c->next = (c->next + 1) % VAE_CKPTS;
  return TS_OK;
}

// OK: entry: more fast saves than slots
void vae_entry_save_fast(void) {
  vae_model m;
  vae_ckpts c;
  ckpt_init(&c);
  if (vae_init(&m) != TS_OK)
    return;
  for (int i = 0; i < VAE_CKPTS + 1; i++)
    ckpt_save_fast(&c, &m, 1.0 / (i + 1));
  ckpt_free(&c);
  vae_free(&m);
}

// BUG: use-after-free: the restored weight is read through the alias taken before ckpt_restore freed it
static double vae_restore_delta(vae_ckpts *c, vae_model *m) {
  ts_tensor *before = m->dec;
  if (ckpt_restore(c, c->best, m) != TS_OK)
    return 0.0;
  double d = 0;
  TS_SCOPE { d = ts_item(ts_mse_loss(before, m->dec)); } // <- BUG
  return d;
}

// OK: entry: a checkpoint, a step, then vae_restore_delta
void vae_entry_restore_delta(void) {
  vae_model m;
  vae_ckpts c;
  ckpt_init(&c);
  if (vae_init(&m) != TS_OK)
    return;
  ts_tensor *x = vae_batch(2);
  double l;
  ckpt_save(&c, &m, 9.0, 0);
  vae_step(&m, x, 0.1, &l);
  printf("%.5f\n", vae_restore_delta(&c, &m));
  ts_free(x);
  ckpt_free(&c);
  vae_free(&m);
}

// OK: the same delta with a detached copy taken before the restore
static double vae_restore_delta_ok(vae_ckpts *c, vae_model *m) {
  ts_tensor *before = vae_detach(m->dec);
  double d = 0;
  if (ckpt_restore(c, c->best, m) == TS_OK) {
    TS_SCOPE { d = ts_item(ts_mse_loss(before, m->dec)); }
  }
  ts_free(before);
  return d;
}

// OK: entry: the correct delta
void vae_entry_restore_delta_ok(void) {
  vae_model m;
  vae_ckpts c;
  ckpt_init(&c);
  if (vae_init(&m) != TS_OK)
    return;
  ts_tensor *x = vae_batch(2);
  double l;
  ckpt_save(&c, &m, 9.0, 0);
  vae_step(&m, x, 0.1, &l);
  printf("%.5f\n", vae_restore_delta_ok(&c, &m));
  ts_free(x);
  ckpt_free(&c);
  vae_free(&m);
}

// BUG: double-free: dropping a checkpoint frees a by-value copy of its weights, the slot stays used, so ckpt_free frees them again
static void ckpt_drop_worst(vae_ckpts *c) {
  int worst = -1;
  for (int i = 0; i < VAE_CKPTS; i++)
    if (c->slot[i].used && (worst < 0 || c->slot[i].loss > c->slot[worst].loss))
      worst = i;
  if (worst >= 0 && worst != c->best) {
    vae_model w = c->slot[worst].w;
    vae_free(&w); // <- BUG
  }
}

// OK: entry: three checkpoints, the worst dropped
void vae_entry_drop_worst(void) {
  vae_model m;
  vae_ckpts c;
  ckpt_init(&c);
  if (vae_init(&m) != TS_OK)
    return;
  ckpt_save(&c, &m, 3.0, 0);
  ckpt_save(&c, &m, 1.0, 1);
  ckpt_save(&c, &m, 2.0, 2);
  ckpt_drop_worst(&c);
  ckpt_free(&c);
  vae_free(&m);
}

// BUG: unescaped-return: the latent means of a batch are returned from TS_SCOPED without ts_escape
TS_SCOPED static ts_tensor *vae_encode(const vae_model *m, const ts_tensor *x) {
  ts_tensor *mu = ts_matmul(x, m->enc_mu);
  return ts_tanh(mu); // <- BUG
}

// OK: the mean latent of a batch through vae_encode
static double vae_latent_mean(const vae_model *m, const ts_tensor *x) {
  ts_tensor *z = vae_encode(m, x);
  ts_tensor *s = ts_mean(z);
  double v = ts_item(s);
  ts_free(s);
  ts_free(z);
  return v;
}

// OK: entry: latent mean through vae_latent_mean
void vae_entry_latent(void) {
  vae_model m;
  if (vae_init(&m) != TS_OK)
    return;
  ts_tensor *x = vae_batch(4);
  printf("%.3f\n", vae_latent_mean(&m, x));
  ts_free(x);
  vae_free(&m);
}

// OK: samples decoded from the prior, escaped to the caller
TS_SCOPED static ts_tensor *vae_sample(const vae_model *m, int n) {
  ts_tensor *z = ts_randn(TS_SHAPE(n, VAE_Z), TS_FLOAT32);
  return ts_escape(ts_sigmoid(ts_matmul(z, m->dec)));
}

// OK: entry: samples drawn and summarised
void vae_entry_sample(void) {
  vae_model m;
  if (vae_init(&m) != TS_OK)
    return;
  for (int k = 1; k <= 3; k++) {
    ts_tensor *s = vae_sample(&m, k);
    ts_tensor *mu = ts_mean(s);
    printf("%d: %.3f\n", k, ts_item(mu));
    ts_free(mu);
    ts_free(s);
  }
  vae_free(&m);
}

// BUG: leak: when the loss turns NaN the step bails out without freeing the kept loss
static ts_status vae_step_checked(vae_model *m, const ts_tensor *x, double lr, double *out) {
  ts_tensor *loss = NULL;
  TS_SCOPE { loss = ts_keep(vae_loss(m, x)); } // <- BUG
  double v = ts_item(loss);
  if (!(v < 1e6))
    return TS_ERR_ARG;
  ts_backward(loss);
  for (int i = 0; i < VAE_NPARAM; i++) {
    ts_sgd_step(*vae_param(m, i), lr);
    ts_zero_grad(*vae_param(m, i));
  }
  ts_free(loss);
  *out = v;
  return TS_OK;
}

// OK: entry: a batch with a huge value makes the loss explode
void vae_entry_step_nan(void) {
  vae_model m;
  if (vae_init(&m) != TS_OK)
    return;
  ts_tensor *x = ts_full(TS_SHAPE(VAE_B, VAE_X), TS_FLOAT32, 1e30);
  double l = 0;
  if (vae_step_checked(&m, x, 0.1, &l) != TS_OK)
    fprintf(stderr, "diverged\n");
  ts_free(x);
  vae_free(&m);
}

// BUG: use-after-scope: the reconstruction made in the block is compared with the batch after it
static double vae_recon_error(const vae_model *m, const ts_tensor *x) {
  ts_tensor *rec = NULL;
  TS_SCOPE {
    ts_tensor *z = ts_matmul(x, m->enc_mu);
    rec = ts_sigmoid(ts_matmul(z, m->dec));
  }
  double e = 0;
  TS_SCOPE { e = ts_item(ts_mse_loss(rec, x)); } // <- BUG
  return e;
}

// OK: entry: drives vae_recon_error
void vae_entry_recon(void) {
  vae_model m;
  if (vae_init(&m) != TS_OK)
    return;
  ts_tensor *x = vae_batch(5);
  printf("%.4f\n", vae_recon_error(&m, x));
  ts_free(x);
  vae_free(&m);
}

// BUG: double-free: restoring the same slot twice into a model copy shares tensors; both models are freed
static ts_status vae_clone_from(vae_model *dst, const vae_ckpts *c, int i) {
  if (i < 0 || !c->slot[i].used)
    return TS_ERR_ARG;
  *dst = c->slot[i].w; // <- BUG
  return TS_OK;
}

// OK: entry: a model cloned from the best checkpoint, then everything freed
void vae_entry_clone(void) {
  vae_model m, copy;
  vae_ckpts c;
  ckpt_init(&c);
  if (vae_init(&m) != TS_OK)
    return;
  ckpt_save(&c, &m, 1.0, 0);
  if (vae_clone_from(&copy, &c, c.best) == TS_OK)
    vae_free(&copy);
  ckpt_free(&c);
  vae_free(&m);
}

// OK: a deep clone from a checkpoint
static ts_status vae_clone_from_ok(vae_model *dst, const vae_ckpts *c, int i) {
  if (i < 0 || !c->slot[i].used)
    return TS_ERR_ARG;
  memset(dst, 0, sizeof *dst);
  vae_model *src = (vae_model *)&c->slot[i].w;
  for (int k = 0; k < VAE_NPARAM; k++) {
    ts_tensor *t = vae_detach(*vae_param(src, k));
    if (!t) {
      vae_free(dst);
      return TS_ERR_OOM;
    }
    *vae_param(dst, k) = t;
  }
  return TS_OK;
}

// OK: entry: deep clones, sampled from, freed
void vae_entry_clone_ok(void) {
  vae_model m, copy;
  vae_ckpts c;
  ckpt_init(&c);
  if (vae_init(&m) != TS_OK)
    return;
  ckpt_save(&c, &m, 1.0, 0);
  ckpt_save(&c, &m, 0.5, 1);
  if (vae_clone_from_ok(&copy, &c, c.best) == TS_OK) {
    ts_tensor *s = vae_sample(&copy, 2);
    ts_free(s);
    vae_free(&copy);
  }
  ckpt_free(&c);
  vae_free(&m);
}

// BUG: leak: an annealed KL weight schedule keeps one tensor per epoch and frees only the last
static double vae_kl_schedule(int epochs) {
  ts_tensor *w = NULL;
  for (int e = 0; e < epochs; e++)
    w = ts_full(TS_SHAPE(1), TS_FLOAT32, (double)e / epochs); // <- BUG
  double v = w ? ts_item(w) : 0.0;
  if (w)
    ts_free(w);
  return v;
}

// OK: entry: drives vae_kl_schedule
void vae_entry_kl(void) { printf("%.2f\n", vae_kl_schedule(4)); }

// BUG: use-after-free: a checkpoint's decoder is sampled from after ckpt_save recycled that slot
static double vae_sample_from_slot(vae_ckpts *c, const vae_model *m, int slot) {
  ts_tensor *dec = c->slot[slot].w.dec;
  for (int k = 0; k < VAE_CKPTS; k++)
    ckpt_save(c, m, 5.0 + k, 10 + k);
  double v = 0;
  TS_SCOPE {
    ts_tensor *z = ts_randn(TS_SHAPE(1, VAE_Z), TS_FLOAT32);
    v = ts_item(ts_sum(ts_matmul(z, dec))); // <- BUG
  }
  return v;
}

// OK: entry: a worse run of saves recycles the sampled slot
void vae_entry_sample_slot(void) {
  vae_model m;
  vae_ckpts c;
  ckpt_init(&c);
  if (vae_init(&m) != TS_OK)
    return;
  ckpt_save(&c, &m, 1.0, 0);
  ckpt_save(&c, &m, 2.0, 1);
  printf("%.3f\n", vae_sample_from_slot(&c, &m, 1));
  ckpt_free(&c);
  vae_free(&m);
}
