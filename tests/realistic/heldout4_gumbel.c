/* heldout4_gumbel.c - a variational autoencoder with categorical latents
 * relaxed by Gumbel-softmax, on <tsmem/nn.h>: encoder and decoder layers in
 * one store, Gumbel noise and the straight-through hard sample in the
 * caller's scope, the ELBO against a uniform prior, temperature annealing,
 * generation from prior codes, code-usage statistics, latent
 * interpolation and an interactive session in an async scope.
 * Labels: tests/realistic/README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/nn.h>
#include <tsmem/ops.h>

enum { XD = 12, LAT = 4, CAT = 3, HB = 6, HID = 16 };

struct vae {
  ts_store *store;
  ts_nn_linear enc1, enc2, dec1, dec2;
  ts_optim *opt;
  double tau;
};

// OK: four layers and Adam in one store; a failure frees the store
static int vae_init(struct vae *v) {
  v->tau = 1.0;
  v->store = ts_store_new();
  if (!v->store)
    return -1;
  if (ts_nn_linear_init(&v->enc1, v->store, "enc1", XD, HID, true) ||
      ts_nn_linear_init(&v->enc2, v->store, "enc2", HID, LAT * CAT, true) ||
      ts_nn_linear_init(&v->dec1, v->store, "dec1", LAT * CAT, HID, true) ||
      ts_nn_linear_init(&v->dec2, v->store, "dec2", HID, XD, true)) {
    ts_store_free(v->store);
    v->store = NULL;
    return -1;
  }
  v->opt = ts_optim_adam(v->store, ts_adam_defaults(5e-3));
  if (!v->opt) {
    ts_store_free(v->store);
    v->store = NULL;
    return -1;
  }
  return 0;
}

// OK: the store frees the layers and the optimizer
static void vae_free(struct vae *v) {
  ts_store_free(v->store);
  v->store = NULL;
}

// OK: binary data: pixels on with a per-pixel probability, for the caller
static ts_tensor *make_batch(int64_t n) {
  ts_tensor *p = ts_rand(TS_SHAPE(n, XD), TS_FLOAT32);
  ts_tensor *x = ts_bernoulli(p);
  ts_free(p);
  return x;
}

// OK: -log(-log U) in the caller's scope
TS_CALLER_SCOPE static ts_tensor *gumbel_noise(const ts_tensor *like) {
  ts_tensor *u =
      ts_clamp(ts_rand_like(like, TS_NO_DTYPE, NULL), 1e-6, 1.0 - 1e-6);
  return ts_neg(ts_log(ts_neg(ts_log(u))));
}

// OK: the relaxed sample, or with hard the straight-through one-hot, in
// the caller's scope
TS_CALLER_SCOPE static ts_tensor *gumbel_softmax(const ts_tensor *logits,
                                                 double tau, bool hard) {
  ts_tensor *y = ts_softmax(
      ts_mul_scalar(ts_add(logits, gumbel_noise(logits)), 1.0 / tau), -1);
  if (!hard)
    return y;
  ts_tensor *idx = ts_argmax_dim(y, -1);
  ts_tensor *oh = ts_to_dtype(ts_one_hot(idx, CAT), TS_FLOAT32, false, false);
  return ts_add(ts_sub(oh, ts_detach(y)), y);
}

// OK: logits [B, LAT, CAT] in the caller's scope
TS_CALLER_SCOPE static ts_tensor *encode(const struct vae *v,
                                         const ts_tensor *x) {
  ts_tensor *h = ts_relu(ts_nn_linear_forward(&v->enc1, x));
  ts_tensor *l = ts_nn_linear_forward(&v->enc2, h);
  return ts_reshape(l, TS_SHAPE(-1, LAT, CAT));
}

// OK: pixel logits [B, XD] in the caller's scope
TS_CALLER_SCOPE static ts_tensor *decode(const struct vae *v,
                                         const ts_tensor *z) {
  ts_tensor *flat = ts_reshape(z, TS_SHAPE(-1, LAT * CAT));
  return ts_nn_linear_forward(&v->dec2,
                              ts_relu(ts_nn_linear_forward(&v->dec1, flat)));
}

// OK: the negative ELBO: reconstruction plus KL to the uniform prior, in
// the caller's scope
TS_CALLER_SCOPE static ts_tensor *neg_elbo(const struct vae *v,
                                           const ts_tensor *x, double beta) {
  ts_tensor *logits = encode(v, x);
  ts_tensor *z = gumbel_softmax(logits, v->tau, false);
  ts_tensor *rec =
      ts_binary_cross_entropy_with_logits(decode(v, z), x, NULL, NULL, 2);
  ts_tensor *q = ts_softmax(logits, -1);
  ts_tensor *kl = ts_sum(ts_mul(q, ts_log(ts_clamp_min(q, 1e-8))));
  ts_tensor *n = ts_full(TS_SHAPE(1), TS_FLOAT32, (double)ts_size(x, 0));
  ts_tensor *klc = ts_add_scalar(kl, ts_size(x, 0) * LAT * log((double)CAT));
  return ts_div(ts_add(rec, ts_mul_scalar(klc, beta)), n);
}

// OK: one optimisation step in a scope; the loss leaves as a double
static double train_step(struct vae *v, const ts_tensor *x, double beta) {
  double lv = NAN;
  TS_SCOPE {
    ts_tensor *loss = neg_elbo(v, x, beta);
    ts_optim_zero_grad(v->opt);
    ts_backward(ts_sum(loss));
    ts_optim_step(v->opt);
    lv = ts_item(ts_sum(loss));
  }
  return lv;
}

// OK: training with the temperature annealed each epoch
void gvae_train(void) {
  struct vae v;
  ts_manual_seed(23);
  if (vae_init(&v) != 0)
    return;
  ts_tensor *x = make_batch(32);
  for (int ep = 0; ep < 10; ep++) {
    v.tau = fmax(0.5, exp(-0.1 * ep));
    double l = train_step(&v, x, 1.0);
    if (ep % 3 == 0)
      printf("epoch %d tau %.2f loss %.3f\n", ep, v.tau, l);
  }
  ts_free(x);
  vae_free(&v);
}

// BUG: leak: the annealing table is read through views and the
// exponentiated schedule is never freed
void gvae_anneal_table(void) {
  ts_tensor *steps = ts_linspace(0.0, 9.0, 10, TS_FLOAT32, NULL);
  ts_tensor *taus = ts_exp(ts_mul_scalar(steps, -0.1)); // <- BUG
  ts_free(steps);
  ts_clamp_min_(taus, 0.5);
  for (int i = 0; i < 10; i += 3) {
    ts_tensor *t = ts_select_int(taus, 0, i);
    printf("tau[%d] = %.3f\n", i, ts_item(t));
    ts_free(t);
  }
}

// BUG: use-after-scope: the reconstruction is made in a scope and
// binarised after it ended
void gvae_reconstruct(void) {
  struct vae v;
  if (vae_init(&v) != 0)
    return;
  ts_tensor *x = make_batch(4);
  ts_tensor *rec = NULL;
  TS_SCOPE {
    ts_tensor *z = gumbel_softmax(encode(&v, x), 0.5, true);
    rec = ts_sigmoid(decode(&v, z));
  }
  ts_tensor *bin = ts_gt_Scalar(rec, 0.5); // <- BUG
  ts_free(bin);
  ts_free(x);
  vae_free(&v);
}

// OK: the reconstruction escaped out of the scope, binarised and freed
void gvae_reconstruct_ok(void) {
  struct vae v;
  if (vae_init(&v) != 0)
    return;
  ts_tensor *x = make_batch(4);
  ts_tensor *rec = NULL;
  TS_SCOPE {
    ts_tensor *z = gumbel_softmax(encode(&v, x), 0.5, true);
    rec = ts_escape(ts_sigmoid(decode(&v, z)));
  }
  ts_tensor *bin = ts_gt_Scalar(rec, 0.5);
  ts_tensor *on = ts_gt_Scalar(x, 0.5);
  ts_tensor *agree = ts_eq_Tensor(bin, on);
  ts_free(agree);
  ts_free(on);
  ts_free(bin);
  ts_free(rec);
  ts_free(x);
  vae_free(&v);
}

// BUG: unescaped-return: the prior codes are made in the function's scope
// and returned as they are
TS_SCOPED static ts_tensor *prior_codes(int64_t n) {
  ts_tensor *idx = ts_randint(CAT, TS_SHAPE(n, LAT), TS_INT64, NULL);
  return ts_to_dtype(ts_one_hot(idx, CAT), TS_FLOAT32, false, false); // <- BUG
}

// OK: the same codes, escaped for the caller
TS_SCOPED static ts_tensor *sample_codes(int64_t n) {
  ts_tensor *idx = ts_randint(CAT, TS_SHAPE(n, LAT), TS_INT64, NULL);
  return ts_escape(ts_to_dtype(ts_one_hot(idx, CAT), TS_FLOAT32, false, false));
}

// OK: uses and frees what prior_codes returns
void gvae_prior_samples(void) {
  struct vae v;
  if (vae_init(&v) != 0)
    return;
  ts_tensor *z = prior_codes(5);
  ts_tensor *s = ts_sum(z);
  printf("code mass %.0f\n", ts_item(s));
  ts_free(s);
  ts_free(z);
  vae_free(&v);
}

// OK: generation from prior codes, unscoped: each result is freed
void gvae_generate(void) {
  struct vae v;
  if (vae_init(&v) != 0)
    return;
  bool was = ts_set_grad_enabled(false);
  ts_tensor *z = sample_codes(6);
  ts_tensor *flat = ts_reshape(z, TS_SHAPE(-1, LAT * CAT));
  ts_tensor *h = ts_nn_linear_forward(&v.dec1, flat);
  ts_relu_(h);
  ts_tensor *logits = ts_nn_linear_forward(&v.dec2, h);
  ts_sigmoid_(logits);
  ts_tensor *m = ts_mean(logits);
  printf("mean pixel %.3f\n", ts_item(m));
  ts_free(m);
  ts_free(logits);
  ts_free(h);
  ts_free(flat);
  ts_free(z);
  ts_set_grad_enabled(was);
  vae_free(&v);
}

// BUG: leak: the probabilities made from the logits are never freed
void gvae_generate_probs(void) {
  struct vae v;
  if (vae_init(&v) != 0)
    return;
  bool was = ts_set_grad_enabled(false);
  ts_tensor *z = sample_codes(6);
  ts_tensor *flat = ts_reshape(z, TS_SHAPE(-1, LAT * CAT));
  ts_tensor *h = ts_nn_linear_forward(&v.dec1, flat);
  ts_relu_(h);
  ts_tensor *logits = ts_nn_linear_forward(&v.dec2, h);
  ts_tensor *probs = ts_sigmoid(logits); // <- BUG
  ts_tensor *img = ts_bernoulli(probs);
  ts_free(img);
  ts_free(logits);
  ts_free(h);
  ts_free(flat);
  ts_free(z);
  ts_set_grad_enabled(was);
  vae_free(&v);
}

// BUG: use-after-free: the encoder logits are freed and then used for the
// code perplexity
void gvae_perplexity(void) {
  struct vae v;
  if (vae_init(&v) != 0)
    return;
  bool was = ts_set_grad_enabled(false);
  ts_tensor *x = make_batch(16);
  ts_tensor *h = ts_nn_linear_forward(&v.enc1, x);
  ts_tensor *logits = ts_nn_linear_forward(&v.enc2, h);
  ts_free(h);
  ts_free(logits);
  ts_tensor *q = ts_softmax(logits, -1); // <- BUG
  ts_free(q);
  ts_free(x);
  ts_set_grad_enabled(was);
  vae_free(&v);
}

// OK: how often each category is used, with one cleanup label
static int code_usage(const struct vae *v, const ts_tensor *x, double *out) {
  int rc = -1;
  ts_tensor *h = NULL, *logits = NULL, *idx = NULL, *counts = NULL;
  h = ts_nn_linear_forward(&v->enc1, x);
  if (!h)
    goto done;
  logits = ts_nn_linear_forward(&v->enc2, h);
  if (!logits)
    goto done;
  ts_tensor *l3 = ts_reshape(logits, TS_SHAPE(-1, LAT, CAT));
  idx = ts_argmax_dim(l3, -1);
  ts_free(l3);
  if (!idx)
    goto done;
  ts_tensor *flat = ts_reshape(idx, TS_SHAPE(-1));
  counts = ts_bincount(flat, NULL, CAT);
  ts_free(flat);
  if (!counts)
    goto done;
  int64_t c[CAT];
  ts_copy_to_buffer(counts, c, sizeof c);
  for (int i = 0; i < CAT; i++)
    out[i] = (double)c[i];
  rc = 0;
done:
  if (counts)
    ts_free(counts);
  if (idx)
    ts_free(idx);
  if (logits)
    ts_free(logits);
  if (h)
    ts_free(h);
  return rc;
}

// OK: drives code_usage
void gvae_code_usage(void) {
  struct vae v;
  double use[CAT];
  if (vae_init(&v) != 0)
    return;
  bool was = ts_set_grad_enabled(false);
  ts_tensor *x = make_batch(16);
  if (code_usage(&v, x, use) == 0)
    printf("usage %.0f %.0f %.0f\n", use[0], use[1], use[2]);
  ts_free(x);
  ts_set_grad_enabled(was);
  vae_free(&v);
}

// BUG: double-free: the counts are freed once read, and again at the
// cleanup label
void gvae_usage_twice(void) {
  struct vae v;
  if (vae_init(&v) != 0)
    return;
  ts_tensor *x = make_batch(8);
  ts_tensor *codes = NULL, *counts = NULL;
  TS_SCOPE {
    ts_tensor *l = encode(&v, x);
    codes = ts_keep(ts_reshape(ts_argmax_dim(l, -1), TS_SHAPE(-1)));
  }
  counts = ts_bincount(codes, NULL, CAT);
  if (!counts)
    goto out;
  printf("%lld codes counted\n", (long long)ts_numel(codes));
  ts_free(counts);
out:
  if (counts)
    ts_free(counts); // <- BUG
  ts_free(codes);
  ts_free(x);
  vae_free(&v);
}

struct elbo_job {
  struct vae *v;
  const ts_tensor *x;
  double loss;
};

// OK: the test ELBO in evaluation mode under ts_run
static void *elbo_job(void *ctx) {
  struct elbo_job *j = ctx;
  ts_store_train(j->v->store, false);
  bool was = ts_set_grad_enabled(false);
  j->loss = ts_item(ts_sum(neg_elbo(j->v, j->x, 1.0)));
  ts_set_grad_enabled(was);
  ts_store_train(j->v->store, true);
  return NULL;
}

// OK: test ELBO before and after a little training
void gvae_test_elbo(void) {
  struct vae v;
  if (vae_init(&v) != 0)
    return;
  ts_tensor *x = make_batch(16);
  ts_tensor *xt = make_batch(16);
  struct elbo_job j = {&v, xt, 0.0};
  ts_run(elbo_job, &j);
  double before = j.loss;
  for (int e = 0; e < 5; e++)
    train_step(&v, x, 0.5);
  ts_run(elbo_job, &j);
  printf("test loss %.3f -> %.3f\n", before, j.loss);
  ts_free(xt);
  ts_free(x);
  vae_free(&v);
}

// BUG: leak: the hard sample's one-hot and detached copy are made outside
// any scope and only the sample is freed
void gvae_hard_debug(void) {
  struct vae v;
  if (vae_init(&v) != 0)
    return;
  ts_tensor *logits = ts_randn(TS_SHAPE(2, LAT, CAT), TS_FLOAT32);
  ts_tensor *y = ts_softmax(logits, -1);
  ts_tensor *idx = ts_argmax_dim(y, -1);
  ts_tensor *oh =
      ts_to_dtype(ts_one_hot(idx, CAT), TS_FLOAT32, false, false); // <- BUG
  ts_tensor *st = ts_add(ts_sub(oh, ts_detach(y)), y);
  ts_tensor *s = ts_sum(st);
  printf("hard sample mass %.0f\n", ts_item(s));
  ts_free(s);
  ts_free(st);
  ts_free(oh);
  ts_free(idx);
  ts_free(y);
  ts_free(logits);
  vae_free(&v);
}

// OK: decoded images along a line between two codes, kept in an array
// and freed after they are compared
void gvae_interpolate(void) {
  struct vae v;
  ts_tensor *frames[5];
  if (vae_init(&v) != 0)
    return;
  bool was = ts_set_grad_enabled(false);
  ts_tensor *a = sample_codes(1), *b = sample_codes(1);
  for (int i = 0; i < 5; i++) {
    ts_tensor *z = ts_lerp_Scalar(a, b, i / 4.0);
    TS_SCOPE { frames[i] = ts_escape(ts_sigmoid(decode(&v, z))); }
    ts_free(z);
  }
  ts_tensor *d = ts_sub(frames[4], frames[0]);
  ts_tensor *n = ts_norm_Scalar(d, 2.0);
  printf("end-to-end change %.3f\n", ts_item(n));
  ts_free(n);
  ts_free(d);
  for (int i = 0; i < 5; i++)
    ts_free(frames[i]);
  ts_free(b);
  ts_free(a);
  ts_set_grad_enabled(was);
  vae_free(&v);
}

// BUG: use-after-free: the frames are freed in the loop and the last one
// is printed afterwards
void gvae_interpolate_late(void) {
  struct vae v;
  ts_tensor *frames[3];
  if (vae_init(&v) != 0)
    return;
  bool was = ts_set_grad_enabled(false);
  ts_tensor *a = sample_codes(1);
  for (int i = 0; i < 3; i++) {
    TS_SCOPE { frames[i] = ts_escape(ts_sigmoid(decode(&v, a))); }
  }
  for (int i = 0; i < 3; i++)
    ts_free(frames[i]);
  ts_tensor *m = ts_mean(frames[2]); // <- BUG
  printf("last frame mean %.3f\n", ts_item(m));
  ts_free(m);
  ts_free(a);
  ts_set_grad_enabled(was);
  vae_free(&v);
}

// BUG: double-free: with hard codes the sample is freed in the branch and
// again at the end
void gvae_hard_branch(void) {
  struct vae v;
  bool hard = true;
  if (vae_init(&v) != 0)
    return;
  ts_tensor *logits = ts_randn(TS_SHAPE(2, LAT, CAT), TS_FLOAT32);
  ts_tensor *y = NULL;
  TS_SCOPE { y = ts_keep(gumbel_softmax(logits, 0.5, hard)); }
  if (hard) {
    ts_tensor *s = ts_sum(y);
    printf("hard mass %.0f\n", ts_item(s));
    ts_free(s);
    ts_free(y);
  }
  ts_free(y); // <- BUG
  ts_free(logits);
  vae_free(&v);
}

// OK: a session that keeps the last encoding between requests in an async
// scope; the scope's end frees it
void gvae_session(void) {
  struct vae v;
  if (vae_init(&v) != 0)
    return;
  ts_async_scope *sess = ts_async_scope_begin();
  ts_tensor *last = NULL;
  for (int req = 0; req < 3; req++) {
    ts_tensor *x = make_batch(2);
    ts_async_scope_enter(sess);
    TS_SCOPE { last = ts_escape(encode(&v, x)); }
    ts_async_scope_leave(sess);
    ts_free(x);
  }
  printf("last encoding has %lld logits\n", (long long)ts_numel(last));
  ts_async_scope_end(sess);
  vae_free(&v);
}

// BUG: use-after-scope: the session's encoding is read after the session's
// async scope ended
void gvae_session_late(void) {
  struct vae v;
  if (vae_init(&v) != 0)
    return;
  ts_async_scope *sess = ts_async_scope_begin();
  ts_tensor *x = make_batch(2);
  ts_async_scope_enter(sess);
  ts_tensor *enc = encode(&v, x);
  ts_async_scope_leave(sess);
  ts_async_scope_end(sess);
  printf("%lld logits\n", (long long)ts_numel(enc)); // <- BUG
  ts_free(x);
  vae_free(&v);
}
