/* heldout4_diffusion.c - a DDPM-style diffusion model on toy vectors: a
 * noise schedule held in a struct (betas, alphas, cumulative products), the
 * forward noising q(x_t | x_0), a small denoiser on <tsmem/nn.h> trained to
 * predict the noise, ancestral and DDIM-like samplers, classifier-free
 * guidance, trajectories kept as snapshots and pooled noise buffers.
 * Labels: tests/realistic/README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/nn.h>
#include <tsmem/ops.h>

enum { T_STEPS = 12, DIM = 6, BATCH = 4, MAX_SNAPS = 8 };

struct schedule {
  ts_tensor *betas;     /* [T] */
  ts_tensor *alphas;    /* 1 - betas */
  ts_tensor *alpha_bar; /* cumulative product of alphas */
  int steps;
};

struct denoiser {
  ts_store *store;
  ts_nn_linear in, hidden, out;
  ts_optim *opt;
};

// OK: one element of a 1-d tensor as a double; the view is freed at once
static double at(const ts_tensor *v, int i) {
  ts_tensor *e = ts_select_int(v, 0, i);
  double x = ts_item(e);
  ts_free(e);
  return x;
}

// OK: a linear beta schedule; on a failure nothing stays allocated and
// the struct is left empty
static int schedule_init(struct schedule *s, int steps, double b0, double b1) {
  ts_tensor *betas = NULL, *alphas = NULL, *ab = NULL;
  s->betas = s->alphas = s->alpha_bar = NULL;
  betas = ts_linspace(b0, b1, steps, TS_FLOAT32, NULL);
  if (!betas)
    goto fail;
  alphas = ts_neg(betas);
  if (!alphas)
    goto fail;
  ts_add_Scalar_(alphas, 1.0, 1.0);
  ab = ts_cumprod(alphas, 0, TS_NO_DTYPE);
  if (!ab)
    goto fail;
  s->betas = betas;
  s->alphas = alphas;
  s->alpha_bar = ab;
  s->steps = steps;
  return 0;
fail:
  if (alphas)
    ts_free(alphas);
  if (betas)
    ts_free(betas);
  return -1;
}

// OK: frees the three tensors and clears them, so a second call is harmless
static void schedule_free(struct schedule *s) {
  if (s->betas)
    ts_free(s->betas);
  if (s->alphas)
    ts_free(s->alphas);
  if (s->alpha_bar)
    ts_free(s->alpha_bar);
  s->betas = s->alphas = s->alpha_bar = NULL;
}

// OK: x_t = sqrt(ab_t) x0 + sqrt(1 - ab_t) eps, the temporaries in the
// function's scope and the result escaped
TS_SCOPED static ts_tensor *q_sample(const struct schedule *s,
                                     const ts_tensor *x0, const ts_tensor *eps,
                                     int t) {
  double ab = at(s->alpha_bar, t);
  ts_tensor *a = ts_mul_scalar(x0, sqrt(ab));
  ts_tensor *b = ts_mul_scalar(eps, sqrt(1.0 - ab));
  return ts_escape(ts_add(a, b));
}

// OK: the time step as an extra input column, for the caller
static ts_tensor *time_column(int64_t batch, int t, int steps) {
  return ts_full(TS_SHAPE(batch, 1), TS_FLOAT32, (double)t / steps);
}

// OK: three linear layers and Adam in one store; a failed layer frees the
// store, which owns everything made so far
static int denoiser_init(struct denoiser *d) {
  d->store = ts_store_new();
  if (!d->store)
    return -1;
  if (ts_nn_linear_init(&d->in, d->store, "in", DIM + 1, 32, true) != TS_OK ||
      ts_nn_linear_init(&d->hidden, d->store, "hidden", 32, 32, true) !=
          TS_OK ||
      ts_nn_linear_init(&d->out, d->store, "out", 32, DIM, true) != TS_OK)
    goto fail;
  d->opt = ts_optim_adam(d->store, ts_adam_defaults(1e-2));
  if (!d->opt)
    goto fail;
  return 0;
fail:
  ts_store_free(d->store);
  d->store = NULL;
  return -1;
}

// OK: the store frees its parameters and the optimizer
static void denoiser_free(struct denoiser *d) {
  ts_store_free(d->store);
  d->store = NULL;
  d->opt = NULL;
}

// OK: the predicted noise, every intermediate in the caller's scope
TS_CALLER_SCOPE static ts_tensor *denoise(const struct denoiser *d,
                                          const ts_tensor *xt, int t) {
  ts_tensor *tc = time_column(ts_size(xt, 0), t, T_STEPS);
  const ts_tensor *parts[2] = {xt, tc};
  ts_tensor *h = ts_relu(ts_nn_linear_forward(&d->in, ts_cat(parts, 2, 1)));
  h = ts_relu(ts_nn_linear_forward(&d->hidden, h));
  return ts_nn_linear_forward(&d->out, h);
}

// OK: one training step in a scope: everything it makes is freed at the
// closing brace, the loss read out as a double first
static double train_step(struct denoiser *d, const struct schedule *s,
                         const ts_tensor *x0, int t) {
  double loss_v = NAN;
  TS_SCOPE {
    ts_tensor *eps = ts_randn_like(x0, TS_NO_DTYPE, NULL);
    ts_tensor *xt = q_sample(s, x0, eps, t);
    ts_tensor *loss = ts_mse_loss(denoise(d, xt, t), eps);
    ts_optim_zero_grad(d->opt);
    ts_backward(loss);
    ts_optim_step(d->opt);
    loss_v = ts_item(loss);
    ts_free(xt);
  }
  return loss_v;
}

// OK: one ancestral step in the caller's scope
TS_CALLER_SCOPE static ts_tensor *p_step(const struct denoiser *d,
                                         const struct schedule *s,
                                         const ts_tensor *x, int t) {
  double a = at(s->alphas, t), b = at(s->betas, t), ab = at(s->alpha_bar, t);
  ts_tensor *eps = denoise(d, x, t);
  ts_tensor *mean = ts_sub(x, ts_mul_scalar(eps, b / sqrt(1.0 - ab)));
  mean = ts_mul_scalar(mean, 1.0 / sqrt(a));
  if (t == 0)
    return mean;
  ts_tensor *z = ts_randn_like(x, TS_NO_DTYPE, NULL);
  return ts_add(mean, ts_mul_scalar(z, sqrt(b)));
}

// OK: the sampling loop: each step's result escapes its iteration and the
// previous sample (manual) is freed before it is replaced
static ts_tensor *sample(const struct denoiser *d, const struct schedule *s) {
  ts_tensor *x = ts_randn(TS_SHAPE(BATCH, DIM), TS_FLOAT32);
  bool was = ts_set_grad_enabled(false);
  TS_SCOPE for (int t = s->steps - 1; t >= 0; t--) {
    ts_tensor *next = ts_escape(p_step(d, s, x, t));
    ts_free(x);
    x = next;
  }
  ts_set_grad_enabled(was);
  return x;
}

// OK: trains briefly, samples, frees the sample, the schedule and the model
void dif_train_and_sample(void) {
  struct schedule s;
  struct denoiser d;
  ts_manual_seed(1);
  if (schedule_init(&s, T_STEPS, 1e-4, 0.2) != 0)
    return;
  if (denoiser_init(&d) != 0) {
    schedule_free(&s);
    return;
  }
  ts_tensor *x0 = ts_randn(TS_SHAPE(BATCH, DIM), TS_FLOAT32);
  for (int it = 0; it < 6; it++)
    train_step(&d, &s, x0, it % T_STEPS);
  ts_tensor *x = sample(&d, &s);
  ts_tensor *m = ts_mean(x);
  printf("sample mean %.3f\n", ts_item(m));
  ts_free(m);
  ts_free(x);
  ts_free(x0);
  denoiser_free(&d);
  schedule_free(&s);
}

// BUG: leak: the SNR tensor is read through views and never freed
void dif_snr_report(void) {
  struct schedule s;
  if (schedule_init(&s, T_STEPS, 1e-4, 0.2) != 0)
    return;
  ts_tensor *one_minus = ts_neg(s.alpha_bar);
  ts_add_Scalar_(one_minus, 1.0, 1.0);
  ts_tensor *snr = ts_div(s.alpha_bar, one_minus); // <- BUG
  ts_free(one_minus);
  printf("snr first %.3f last %.3f\n", at(snr, 0), at(snr, s.steps - 1));
  schedule_free(&s);
}

// OK: the SNR again, freed this time, and the log-SNR range from views
void dif_snr_range(void) {
  struct schedule s;
  if (schedule_init(&s, T_STEPS, 1e-4, 0.2) != 0)
    return;
  ts_tensor *one_minus = ts_neg(s.alpha_bar);
  ts_add_Scalar_(one_minus, 1.0, 1.0);
  ts_tensor *snr = ts_div(s.alpha_bar, one_minus);
  ts_free(one_minus);
  ts_log_(snr);
  double hi = at(snr, 0), lo = at(snr, s.steps - 1);
  ts_free(snr);
  printf("log-snr %.2f .. %.2f\n", lo, hi);
  schedule_free(&s);
}

// BUG: use-after-free: the DDIM loop frees x before the last update reads
// it
void dif_ddim_sample(void) {
  struct schedule s;
  struct denoiser d;
  if (schedule_init(&s, T_STEPS, 1e-4, 0.2) != 0)
    return;
  if (denoiser_init(&d) != 0) {
    schedule_free(&s);
    return;
  }
  ts_tensor *x = ts_randn(TS_SHAPE(BATCH, DIM), TS_FLOAT32);
  for (int t = s.steps - 1; t > 0; t -= 3) {
    double ab = at(s.alpha_bar, t);
    ts_tensor *next = NULL;
    TS_SCOPE {
      ts_tensor *eps = denoise(&d, x, t);
      ts_tensor *x0 = ts_mul_scalar(ts_sub(x, ts_mul_scalar(eps, sqrt(1 - ab))),
                                    1.0 / sqrt(ab));
      next = ts_keep(ts_clamp(x0, -3.0, 3.0));
    }
    ts_free(x);
    if (t <= 3) {
      ts_tensor *nrm = ts_norm_Scalar(x, 2.0); // <- BUG
      printf("last x norm %.3f\n", ts_item(nrm));
      ts_free(nrm);
    }
    x = next;
  }
  ts_free(x);
  denoiser_free(&d);
  schedule_free(&s);
}

// BUG: double-free: the schedule is rebuilt by freeing its betas by hand,
// then schedule_free frees them again (the field was not cleared)
void dif_schedule_rebuild(void) {
  struct schedule s;
  if (schedule_init(&s, T_STEPS, 1e-4, 0.2) != 0)
    return;
  ts_tensor *cosine = ts_linspace(0.0, 1.0, T_STEPS, TS_FLOAT32, NULL);
  ts_free(s.betas);
  schedule_free(&s); // <- BUG
  ts_free(cosine);
}

// BUG: unescaped-return: the x0 estimate is made in the function's scope
// and returned without ts_escape
TS_SCOPED static ts_tensor *predict_x0(const struct schedule *s,
                                       const ts_tensor *xt,
                                       const ts_tensor *eps, int t) {
  double ab = at(s->alpha_bar, t);
  ts_tensor *num = ts_sub(xt, ts_mul_scalar(eps, sqrt(1.0 - ab)));
  return ts_mul_scalar(num, 1.0 / sqrt(ab)); // <- BUG
}

// OK: uses and frees what predict_x0 returns, as its contract says
void dif_x0_error(void) {
  struct schedule s;
  if (schedule_init(&s, T_STEPS, 1e-4, 0.2) != 0)
    return;
  ts_tensor *x0 = ts_randn(TS_SHAPE(BATCH, DIM), TS_FLOAT32);
  ts_tensor *eps = ts_randn(TS_SHAPE(BATCH, DIM), TS_FLOAT32);
  ts_tensor *xt = q_sample(&s, x0, eps, 5);
  ts_tensor *est = predict_x0(&s, xt, eps, 5);
  ts_tensor *err = ts_mse_loss(est, x0);
  printf("x0 error %.4f\n", ts_item(err));
  ts_free(err);
  ts_free(est);
  ts_free(xt);
  ts_free(eps);
  ts_free(x0);
  schedule_free(&s);
}

// OK: classifier-free guidance in the caller's scope: (1 + w) cond - w
// uncond, the unconditional branch fed a zeroed input
TS_CALLER_SCOPE static ts_tensor *
guided_eps(const struct denoiser *d, const ts_tensor *x, int t, double w) {
  ts_tensor *cond = denoise(d, x, t);
  ts_tensor *blank = ts_mul_scalar(x, 0.5);
  ts_tensor *uncond = denoise(d, blank, t);
  return ts_sub(ts_mul_scalar(cond, 1.0 + w), ts_mul_scalar(uncond, w));
}

// OK: guided sampling, each guided noise used inside its own iteration
void dif_guided_sample(void) {
  struct schedule s;
  struct denoiser d;
  if (schedule_init(&s, T_STEPS, 1e-4, 0.2) != 0)
    return;
  if (denoiser_init(&d) != 0) {
    schedule_free(&s);
    return;
  }
  ts_tensor *x = ts_randn(TS_SHAPE(BATCH, DIM), TS_FLOAT32);
  TS_SCOPE for (int t = s.steps - 1; t >= 0; t--) {
    ts_tensor *eps = guided_eps(&d, x, t, 2.0);
    double a = at(s.alphas, t), ab = at(s.alpha_bar, t);
    ts_tensor *upd = ts_mul_scalar(eps, (1.0 - a) / sqrt(1.0 - ab));
    ts_sub_Tensor_(x, upd, 1.0);
    ts_mul_Scalar_(x, 1.0 / sqrt(a));
  }
  ts_tensor *nrm = ts_norm_Scalar(x, 2.0);
  printf("guided |x| %.3f\n", ts_item(nrm));
  ts_free(nrm);
  ts_free(x);
  denoiser_free(&d);
  schedule_free(&s);
}

// BUG: use-after-scope: the unconditional prediction is made in a scope
// and read after it ended
void dif_guidance_gap(void) {
  struct schedule s;
  struct denoiser d;
  if (schedule_init(&s, T_STEPS, 1e-4, 0.2) != 0)
    return;
  if (denoiser_init(&d) != 0) {
    schedule_free(&s);
    return;
  }
  ts_tensor *x = ts_randn(TS_SHAPE(BATCH, DIM), TS_FLOAT32);
  ts_tensor *uncond = NULL;
  double gap = 0.0;
  TS_SCOPE {
    uncond = denoise(&d, x, 3);
    ts_tensor *cond = denoise(&d, x, 4);
    gap = ts_item(ts_mse_loss(cond, uncond));
  }
  ts_tensor *um = ts_mean(uncond); // <- BUG
  printf("gap %.4f, uncond mean %.3f\n", gap, ts_item(um));
  ts_free(um);
  ts_free(x);
  denoiser_free(&d);
  schedule_free(&s);
}

// BUG: leak: the loss of a skipped step is not freed on the `continue`
void dif_loss_curve(void) {
  struct schedule s;
  if (schedule_init(&s, T_STEPS, 1e-4, 0.2) != 0)
    return;
  ts_tensor *x0 = ts_randn(TS_SHAPE(BATCH, DIM), TS_FLOAT32);
  double sum = 0.0;
  for (int t = 0; t < s.steps; t++) {
    ts_tensor *eps = ts_randn_like(x0, TS_NO_DTYPE, NULL);
    ts_tensor *xt = q_sample(&s, x0, eps, t);
    ts_tensor *loss = ts_mse_loss(xt, x0); // <- BUG
    ts_free(xt);
    ts_free(eps);
    if (t % 4 == 0)
      continue;
    sum += ts_item(loss);
    ts_free(loss);
  }
  printf("mean distortion %.3f\n", sum / s.steps);
  ts_free(x0);
  schedule_free(&s);
}

// BUG: double-free: eps is freed after noising, then again on the check
// that rejects a noisy sample with a large norm
void dif_noisy_batch(void) {
  struct schedule s;
  if (schedule_init(&s, T_STEPS, 1e-4, 0.2) != 0)
    return;
  ts_tensor *x0 = ts_randn(TS_SHAPE(BATCH, DIM), TS_FLOAT32);
  ts_tensor *eps = ts_randn_like(x0, TS_NO_DTYPE, NULL);
  ts_tensor *xt = q_sample(&s, x0, eps, s.steps - 1);
  ts_free(eps);
  if (at(s.alpha_bar, s.steps - 1) < 0.9) {
    ts_free(eps); // <- BUG
    ts_free(xt);
    ts_free(x0);
    schedule_free(&s);
    return;
  }
  ts_free(xt);
  ts_free(x0);
  schedule_free(&s);
}

struct snr_job {
  const struct schedule *s;
  double mean_snr;
};

// OK: a ts_run job: everything it makes is freed when the job returns
static void *mean_snr_job(void *ctx) {
  struct snr_job *j = ctx;
  ts_tensor *om = ts_neg(j->s->alpha_bar);
  ts_add_Scalar_(om, 1.0, 1.0);
  j->mean_snr = ts_item(ts_mean(ts_div(j->s->alpha_bar, om)));
  return NULL;
}

// OK: the job's result read from its context
void dif_mean_snr(void) {
  struct schedule s;
  if (schedule_init(&s, T_STEPS, 1e-4, 0.2) != 0)
    return;
  struct snr_job j = {&s, 0.0};
  ts_run(mean_snr_job, &j);
  printf("mean snr %.3f\n", j.mean_snr);
  schedule_free(&s);
}

// BUG: use-after-free: the previous sample is freed through an alias and
// then read for the step-size statistic
void dif_step_sizes(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(BATCH, DIM), TS_FLOAT32);
  for (int k = 0; k < 3; k++) {
    ts_tensor *prev = x;
    x = ts_mul_scalar(prev, 0.9);
    ts_free(prev);
    ts_tensor *d = ts_sub(x, prev); // <- BUG
    ts_tensor *nrm = ts_norm_Scalar(d, 2.0);
    printf("step %d size %.3f\n", k, ts_item(nrm));
    ts_free(nrm);
    ts_free(d);
  }
  ts_free(x);
}

struct trajectory {
  ts_tensor *snaps[MAX_SNAPS];
  int n;
};

// OK: appends a copy while there is room; the caller's tensor stays its own
static void traj_push(struct trajectory *tr, const ts_tensor *x) {
  if (tr->n < MAX_SNAPS)
    tr->snaps[tr->n++] = ts_clone(x);
}

// OK: frees the n snapshots it holds
static void traj_free(struct trajectory *tr) {
  for (int i = 0; i < tr->n; i++)
    ts_free(tr->snaps[i]);
  tr->n = 0;
}

// OK: a noising trajectory kept every other step, stacked and freed
void dif_trajectory(void) {
  struct schedule s;
  struct trajectory tr = {.n = 0};
  if (schedule_init(&s, T_STEPS, 1e-4, 0.2) != 0)
    return;
  ts_tensor *x0 = ts_randn(TS_SHAPE(BATCH, DIM), TS_FLOAT32);
  ts_tensor *eps = ts_randn_like(x0, TS_NO_DTYPE, NULL);
  for (int t = 0; t < s.steps; t += 2) {
    ts_tensor *xt = q_sample(&s, x0, eps, t);
    traj_push(&tr, xt);
    ts_free(xt);
  }
  ts_tensor *stack = ts_stack((const ts_tensor *const *)tr.snaps, tr.n, 0);
  printf("trajectory %lld x %lld\n", (long long)ts_size(stack, 0),
         (long long)ts_size(stack, 1));
  ts_free(stack);
  traj_free(&tr);
  ts_free(eps);
  ts_free(x0);
  schedule_free(&s);
}

// BUG: leak: the final sample is stored past the count, so traj_free never
// frees it
void dif_trajectory_final(void) {
  struct trajectory tr = {.n = 0};
  ts_tensor *x = ts_randn(TS_SHAPE(BATCH, DIM), TS_FLOAT32);
  for (int k = 0; k < 3; k++) {
    traj_push(&tr, x);
    ts_mul_Scalar_(x, 0.5);
  }
  tr.snaps[tr.n] = x; // <- BUG
  printf("kept %d snapshots\n", tr.n);
  traj_free(&tr);
}

// OK: noise buffers from a pool: acquire or make, fill in place, release on
// every path
static double pooled_noise_energy(ts_pool *pool, int rounds) {
  double e = 0.0;
  for (int r = 0; r < rounds; r++) {
    ts_tensor *z = ts_pool_acquire(pool, TS_SHAPE(BATCH, DIM), TS_FLOAT32);
    if (!z)
      z = ts_empty(TS_SHAPE(BATCH, DIM), TS_FLOAT32);
    ts_normal_(z, 0.0, 1.0);
    ts_tensor *sq = ts_mul(z, z);
    ts_tensor *m = ts_mean(sq);
    e += ts_item(m);
    ts_free(m);
    ts_free(sq);
    ts_pool_release(pool, z);
  }
  return e / rounds;
}

// OK: drives the pooled noise and destroys the pool
void dif_pooled_noise(void) {
  ts_pool *pool = ts_pool_new(4);
  printf("energy %.3f\n", pooled_noise_energy(pool, 5));
  ts_pool_destroy(pool);
}

// BUG: use-after-free: the noise buffer is released to the pool and then
// scaled
void dif_pool_reuse(void) {
  ts_pool *pool = ts_pool_new(4);
  ts_tensor *z = ts_empty(TS_SHAPE(BATCH, DIM), TS_FLOAT32);
  ts_normal_(z, 0.0, 1.0);
  ts_pool_release(pool, z);
  ts_mul_Scalar_(z, 0.5); // <- BUG
  ts_pool_destroy(pool);
}
