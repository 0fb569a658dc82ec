/* heldout6_gan.c - a tiny GAN: generator and discriminator as structs of
 * parameters, alternating updates, gradient norms read through ts_grad,
 * a sample bank for visualisation and an EMA copy of the generator. */
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>

enum { GN_Z = 3, GN_X = 2, GN_H = 4, GN_B = 5 };

typedef struct {
  ts_tensor *w1, *w2; /* [Z,H], [H,X] */
} gn_gen;

typedef struct {
  ts_tensor *w1, *w2; /* [X,H], [H,1] */
} gn_disc;

// OK: parameters made, marked for grad, goto-cleanup on failure
static int gn_gen_init(gn_gen *g) {
  g->w1 = ts_randn(TS_SHAPE(GN_Z, GN_H), TS_FLOAT32);
  if (!g->w1)
    goto fail;
  g->w2 = ts_randn(TS_SHAPE(GN_H, GN_X), TS_FLOAT32);
  if (!g->w2)
    goto fail_w1;
  ts_requires_grad(g->w1, true);
  ts_requires_grad(g->w2, true);
  return 0;
fail_w1:
  ts_free(g->w1);
fail:
  return -1;
}

// OK: the discriminator, same pattern
static int gn_disc_init(gn_disc *d) {
  d->w1 = ts_randn(TS_SHAPE(GN_X, GN_H), TS_FLOAT32);
  if (!d->w1)
    return -1;
  d->w2 = ts_randn(TS_SHAPE(GN_H, 1), TS_FLOAT32);
  if (!d->w2) {
    ts_free(d->w1);
    return -1;
  }
  ts_requires_grad(d->w1, true);
  ts_requires_grad(d->w2, true);
  return 0;
}

// OK: frees both generator weights
static void gn_gen_free(gn_gen *g) {
  ts_free(g->w1);
  ts_free(g->w2);
}

// OK: frees both discriminator weights
static void gn_disc_free(gn_disc *d) {
  ts_free(d->w1);
  ts_free(d->w2);
}

// OK: generator forward in the caller's scope
TS_CALLER_SCOPE static ts_tensor *gn_generate(const gn_gen *g, const ts_tensor *z) {
  return ts_matmul(ts_tanh(ts_matmul(z, g->w1)), g->w2);
}

// OK: discriminator forward in the caller's scope (probabilities)
TS_CALLER_SCOPE static ts_tensor *gn_discriminate(const gn_disc *d, const ts_tensor *x) {
  return ts_sigmoid(ts_matmul(ts_relu(ts_matmul(x, d->w1)), d->w2));
}

// OK: one discriminator step in a scope; grads cleared after the update
static double gn_disc_step(gn_disc *d, const gn_gen *g, const ts_tensor *real) {
  double l = 0;
  TS_SCOPE {
    ts_tensor *z = ts_randn(TS_SHAPE(GN_B, GN_Z), TS_FLOAT32);
    ts_tensor *fake = gn_generate(g, z);
    ts_tensor *pr = gn_discriminate(d, real);
    ts_tensor *pf = gn_discriminate(d, fake);
    ts_tensor *loss = ts_neg(ts_add(ts_mean(ts_log(pr)),
                                    ts_mean(ts_log(ts_add_scalar(ts_neg(pf), 1.0)))));
    ts_backward(loss);
    ts_sgd_step(d->w1, 0.05);
    ts_sgd_step(d->w2, 0.05);
    ts_zero_grad(d->w1);
    ts_zero_grad(d->w2);
    ts_zero_grad(g->w1);
    ts_zero_grad(g->w2);
    l = ts_item(loss);
  }
  return l;
}

// OK: one generator step in a scope
static double gn_gen_step(gn_gen *g, gn_disc *d) {
  double l = 0;
  TS_SCOPE {
    ts_tensor *z = ts_randn(TS_SHAPE(GN_B, GN_Z), TS_FLOAT32);
    ts_tensor *pf = gn_discriminate(d, gn_generate(g, z));
    ts_tensor *loss = ts_neg(ts_mean(ts_log(pf)));
    ts_backward(loss);
    ts_sgd_step(g->w1, 0.05);
    ts_sgd_step(g->w2, 0.05);
    ts_zero_grad(g->w1);
    ts_zero_grad(g->w2);
    ts_zero_grad(d->w1);
    ts_zero_grad(d->w2);
    l = ts_item(loss);
  }
  return l;
}

// OK: the real batch the caller owns
static ts_tensor *gn_real_batch(void) {
  ts_tensor *n = ts_randn(TS_SHAPE(GN_B, GN_X), TS_FLOAT32);
  ts_tensor *r = ts_add_scalar(n, 2.0);
  ts_free(n);
  return r;
}

// OK: alternating training, every batch freed
void gn_train(void) {
  gn_gen g;
  gn_disc d;
  ts_manual_seed(3);
  if (gn_gen_init(&g) != 0)
    return;
  if (gn_disc_init(&d) != 0) {
    gn_gen_free(&g);
    return;
  }
  for (int it = 0; it < 3; it++) {
    ts_tensor *real = gn_real_batch();
    double ld = gn_disc_step(&d, &g, real);
    double lg = gn_gen_step(&g, &d);
    printf("gan: %d d=%.3f g=%.3f\n", it, ld, lg);
    ts_free(real);
  }
  gn_disc_free(&d);
  gn_gen_free(&g);
}

// BUG: leak: the real batch of every iteration is never freed
void gn_train_leak_batches(void) {
  gn_gen g;
  gn_disc d;
  if (gn_gen_init(&g) != 0)
    return;
  if (gn_disc_init(&d) != 0) {
    gn_gen_free(&g);
    return;
  }
  for (int it = 0; it < 2; it++) {
    ts_tensor *real = gn_real_batch(); // <- BUG
    gn_disc_step(&d, &g, real);
  }
  gn_disc_free(&d);
  gn_gen_free(&g);
}

// OK: gradient norm of one parameter; the ts_grad handle freed
static double gn_grad_norm(const ts_tensor *w) {
  ts_tensor *gr = ts_grad(w);
  if (!gr)
    return 0.0;
  ts_tensor *sq = ts_mul(gr, gr);
  ts_tensor *s = ts_sum(sq);
  double v = ts_item(s);
  ts_free(s);
  ts_free(sq);
  ts_free(gr);
  return v;
}

// BUG: leak: the gradient handle from ts_grad is never freed
static double gn_grad_norm_leaky(const ts_tensor *w) {
  ts_tensor *gr = ts_grad(w); // <- BUG
  if (!gr)
    return 0.0;
  double v = 0;
  TS_SCOPE { v = ts_item(ts_sum(ts_mul(gr, gr))); }
  return v;
}

// OK: backward then gradient norms of the discriminator, both helpers
void gn_grad_report(void) {
  gn_disc d;
  if (gn_disc_init(&d) != 0)
    return;
  ts_tensor *x = gn_real_batch();
  TS_SCOPE {
    ts_tensor *loss = ts_mean(gn_discriminate(&d, x));
    ts_backward(loss);
  }
  printf("gan: |g1|^2 %.4f\n", gn_grad_norm(d.w1));
  ts_free(x);
  gn_disc_free(&d);
}

// OK: the same report through the leaky norm helper (its bug)
void gn_grad_report_leaky(void) {
  gn_disc d;
  if (gn_disc_init(&d) != 0)
    return;
  ts_tensor *x = gn_real_batch();
  TS_SCOPE {
    ts_tensor *loss = ts_mean(gn_discriminate(&d, x));
    ts_backward(loss);
  }
  printf("gan: |g2|^2 %.4f\n", gn_grad_norm_leaky(d.w2));
  ts_free(x);
  gn_disc_free(&d);
}

// OK: an EMA copy of the generator (detached clones), updated in place by replacement
static void gn_ema_update(gn_gen *ema, const gn_gen *g, double decay) {
  TS_SCOPE {
    ts_tensor *a = ts_add(ts_mul_scalar(ema->w1, decay), ts_mul_scalar(g->w1, 1 - decay));
    ts_tensor *b = ts_add(ts_mul_scalar(ema->w2, decay), ts_mul_scalar(g->w2, 1 - decay));
    ts_free(ema->w1);
    ts_free(ema->w2);
    ema->w1 = ts_keep(a);
    ema->w2 = ts_keep(b);
  }
}

// OK: EMA init by clones, a few updates, both generators freed
void gn_ema(void) {
  gn_gen g, ema;
  if (gn_gen_init(&g) != 0)
    return;
  ema.w1 = ts_clone(g.w1);
  ema.w2 = ts_clone(g.w2);
  for (int i = 0; i < 3; i++)
    gn_ema_update(&ema, &g, 0.9);
  gn_gen_free(&ema);
  gn_gen_free(&g);
}

// BUG: use-after-scope: the EMA update stores the blends without keeping them
static void gn_ema_update_nokeep(gn_gen *ema, const gn_gen *g, double decay) {
  TS_SCOPE {
    ts_tensor *a = ts_add(ts_mul_scalar(ema->w1, decay), ts_mul_scalar(g->w1, 1 - decay));
    ts_free(ema->w1);
    ema->w1 = a; // <- BUG
  }
}

// OK: drives the no-keep EMA update and then samples with the EMA weights
void gn_ema_nokeep(void) {
  gn_gen g, ema;
  if (gn_gen_init(&g) != 0)
    return;
  ema.w1 = ts_clone(g.w1);
  ema.w2 = ts_clone(g.w2);
  gn_ema_update_nokeep(&ema, &g, 0.9);
  TS_SCOPE {
    ts_tensor *z = ts_randn(TS_SHAPE(1, GN_Z), TS_FLOAT32);
    printf("gan: ema sample %.3f\n", ts_item(ts_sum(gn_generate(&ema, z))));
  }
  gn_gen_free(&ema);
  gn_gen_free(&g);
}

typedef struct {
  ts_tensor *samples[4];
  int n;
} gn_bank;

// OK: the bank takes the escaped sample; evicts (frees) the oldest when full
static void gn_bank_add(gn_bank *b, ts_tensor *s) {
  if (b->n == 4) {
    ts_free(b->samples[0]);
    for (int i = 1; i < 4; i++)
      b->samples[i - 1] = b->samples[i];
    b->n--;
  }
  b->samples[b->n++] = s;
}

// OK: frees every banked sample
static void gn_bank_clear(gn_bank *b) {
  for (int i = 0; i < b->n; i++)
    ts_free(b->samples[i]);
  b->n = 0;
}

// OK: samples generated in a scope and escaped into the bank
void gn_sample_bank(void) {
  gn_gen g;
  gn_bank bank = {{0}, 0};
  if (gn_gen_init(&g) != 0)
    return;
  TS_SCOPE for (int i = 0; i < 6; i++) {
    ts_tensor *z = ts_randn(TS_SHAPE(1, GN_Z), TS_FLOAT32);
    gn_bank_add(&bank, ts_escape(gn_generate(&g, z)));
  }
  printf("gan: bank %d\n", bank.n);
  gn_bank_clear(&bank);
  gn_gen_free(&g);
}

// BUG: use-after-scope: samples are banked without escaping out of the loop scope
void gn_sample_bank_noescape(void) {
  gn_gen g;
  gn_bank bank = {{0}, 0};
  if (gn_gen_init(&g) != 0)
    return;
  TS_SCOPE for (int i = 0; i < 2; i++) {
    ts_tensor *z = ts_randn(TS_SHAPE(1, GN_Z), TS_FLOAT32);
    gn_bank_add(&bank, gn_generate(&g, z)); // <- BUG
  }
  gn_bank_clear(&bank);
  gn_gen_free(&g);
}

// BUG: double-free: a banked sample is freed by the caller and again by the bank
void gn_bank_double(void) {
  gn_gen g;
  gn_bank bank = {{0}, 0};
  if (gn_gen_init(&g) != 0)
    return;
  ts_tensor *z = ts_randn(TS_SHAPE(1, GN_Z), TS_FLOAT32);
  ts_tensor *h = ts_matmul(z, g.w1);
  ts_tensor *s = ts_matmul(h, g.w2);
  ts_free(h);
  gn_bank_add(&bank, s);
  ts_free(z);
  ts_free(s);
  gn_bank_clear(&bank); // <- BUG
  gn_gen_free(&g);
}

// BUG: use-after-free: the eviction frees the oldest sample the caller still compares with
void gn_bank_evicted_read(void) {
  gn_gen g;
  gn_bank bank = {{0}, 0};
  if (gn_gen_init(&g) != 0)
    return;
  ts_tensor *first = ts_zeros(TS_SHAPE(1, GN_X), TS_FLOAT32);
  gn_bank_add(&bank, first);
  for (int i = 0; i < 4; i++)
    gn_bank_add(&bank, ts_ones(TS_SHAPE(1, GN_X), TS_FLOAT32));
  TS_SCOPE {
    ts_tensor *d = ts_sub(bank.samples[3], first); // <- BUG
    printf("gan: drift %.3f\n", ts_item(ts_sum(d)));
  }
  gn_bank_clear(&bank);
  gn_gen_free(&g);
}

// BUG: unescaped-return: the interpolated latent walk is returned from TS_SCOPED without escape
TS_SCOPED static ts_tensor *gn_interp(const gn_gen *g, double t) {
  ts_tensor *za = ts_zeros(TS_SHAPE(1, GN_Z), TS_FLOAT32);
  ts_tensor *zb = ts_ones(TS_SHAPE(1, GN_Z), TS_FLOAT32);
  ts_tensor *z = ts_add(ts_mul_scalar(za, 1 - t), ts_mul_scalar(zb, t));
  return gn_generate(g, z); // <- BUG
}

// OK: walks the latent line through the interpolator (its bug)
void gn_latent_walk(void) {
  gn_gen g;
  if (gn_gen_init(&g) != 0)
    return;
  ts_tensor *x = gn_interp(&g, 0.5);
  TS_SCOPE { printf("gan: walk %.3f\n", ts_item(ts_sum(x))); }
  ts_free(x);
  gn_gen_free(&g);
}

// BUG: leak: the discriminator is not freed when the generator init fails later in setup
static int gn_setup(gn_gen *g, gn_disc *d, int fail_gen) {
  if (gn_disc_init(d) != 0) // <- BUG
    return -1;
  if (fail_gen || gn_gen_init(g) != 0)
    return -1;
  return 0;
}

// OK: drives the setup onto its failing generator path
void gn_setup_fails(void) {
  gn_gen g;
  gn_disc d;
  if (gn_setup(&g, &d, 1) != 0) {
    printf("gan: setup failed\n");
    return;
  }
  gn_gen_free(&g);
  gn_disc_free(&d);
}

// OK: the setup that unwinds the discriminator on failure
static int gn_setup_ok(gn_gen *g, gn_disc *d, int fail_gen) {
  if (gn_disc_init(d) != 0)
    return -1;
  if (fail_gen || gn_gen_init(g) != 0) {
    gn_disc_free(d);
    return -1;
  }
  return 0;
}

// OK: both outcomes of the unwinding setup
void gn_setup_unwinds(void) {
  gn_gen g;
  gn_disc d;
  if (gn_setup_ok(&g, &d, 1) != 0)
    printf("gan: setup failed cleanly\n");
  if (gn_setup_ok(&g, &d, 0) == 0) {
    gn_gen_free(&g);
    gn_disc_free(&d);
  }
}

// BUG: leak: the squared-gradient intermediate is manual and dropped on the no-penalty path
static double gn_grad_penalty(const gn_disc *d, double target) {
  ts_tensor *gr = ts_grad(d->w1);
  if (!gr)
    return 0.0;
  ts_tensor *sq = ts_mul(gr, gr); // <- BUG
  ts_free(gr);
  double n = 0;
  TS_SCOPE { n = ts_item(ts_sum(sq)); }
  if (n < target)
    return 0.0;
  ts_free(sq);
  return n - target;
}

// OK: backward, then the penalty helper on its early path
void gn_penalty(void) {
  gn_disc d;
  if (gn_disc_init(&d) != 0)
    return;
  ts_tensor *x = gn_real_batch();
  TS_SCOPE { ts_backward(ts_mean(gn_discriminate(&d, x))); }
  printf("gan: penalty %.3f\n", gn_grad_penalty(&d, 1e9));
  ts_free(x);
  gn_disc_free(&d);
}

// OK: the penalty computed entirely in a scope, grad handle included
static double gn_grad_penalty_ok(const gn_disc *d, double target) {
  double n = 0;
  TS_SCOPE {
    ts_tensor *gr = ts_grad(d->w1);
    if (gr)
      n = ts_item(ts_sum(ts_mul(gr, gr)));
  }
  return n < target ? 0.0 : n - target;
}

// OK: backward, then the scoped penalty
void gn_penalty_ok(void) {
  gn_disc d;
  if (gn_disc_init(&d) != 0)
    return;
  ts_tensor *x = gn_real_batch();
  TS_SCOPE { ts_backward(ts_mean(gn_discriminate(&d, x))); }
  printf("gan: penalty %.3f\n", gn_grad_penalty_ok(&d, 0.0));
  ts_free(x);
  gn_disc_free(&d);
}
