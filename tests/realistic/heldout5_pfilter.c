/* heldout5_pfilter.c - a bootstrap particle filter tracking a 2-D random
 * walk from noisy observations: particles and log-weights in a filter
 * struct, propagation with process noise, Gaussian likelihood updates,
 * effective sample size, systematic resampling with index_select, the
 * weighted-mean estimate, and a history of estimates in a growable array.
 * Labels: tests/realistic/README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { NP = 64, DS = 2, STEPS = 4 };

struct pfilter {
  ts_tensor *x;    /* [NP, DS] particles, owned */
  ts_tensor *logw; /* [NP] log-weights, owned */
  double q, r;     /* process and observation noise */
};

struct track {
  ts_tensor **est; /* [DS] estimates, owned */
  int n, cap;
};

// OK: particles drawn around the origin, uniform log-weights
static int pf_init(struct pfilter *pf, double q, double r) {
  pf->q = q;
  pf->r = r;
  pf->x = ts_randn(TS_SHAPE(NP, DS), TS_FLOAT32);
  if (!pf->x)
    return -1;
  pf->logw = ts_full(TS_SHAPE(NP), TS_FLOAT32, -log((double)NP));
  if (!pf->logw) {
    ts_free(pf->x);
    pf->x = NULL;
    return -1;
  }
  return 0;
}

// OK: frees both tensors and clears them
static void pf_free(struct pfilter *pf) {
  if (pf->x)
    ts_free(pf->x);
  if (pf->logw)
    ts_free(pf->logw);
  pf->x = pf->logw = NULL;
}

// OK: x += q * noise, the old particles freed
static void pf_predict(struct pfilter *pf) {
  ts_tensor *noise = ts_randn(TS_SHAPE(NP, DS), TS_FLOAT32);
  ts_tensor *step = ts_mul_scalar(noise, pf->q);
  ts_free(noise);
  ts_tensor *x = ts_add(pf->x, step);
  ts_free(step);
  ts_free(pf->x);
  pf->x = x;
}

// BUG: leak: the noise tensor is scaled into a new one and never freed
static void pf_predict_leaky(struct pfilter *pf) {
  ts_tensor *noise = ts_randn(TS_SHAPE(NP, DS), TS_FLOAT32); // <- BUG
  ts_tensor *step = ts_mul_scalar(noise, pf->q);
  ts_tensor *x = ts_add(pf->x, step);
  ts_free(step);
  ts_free(pf->x);
  pf->x = x;
}

// OK: the in-place propagation through add_ returns the particles' own handle
static void pf_predict_inplace(struct pfilter *pf) {
  TS_SCOPE {
    ts_tensor *step =
        ts_mul_scalar(ts_randn(TS_SHAPE(NP, DS), TS_FLOAT32), pf->q);
    ts_add_Tensor_(pf->x, step, 1.0);
  }
}

// OK: log-likelihood of the observation per particle, in the caller's scope
TS_CALLER_SCOPE static ts_tensor *loglik(const struct pfilter *pf,
                                         const ts_tensor *z) {
  ts_tensor *d = ts_sub(pf->x, z);
  ts_tensor *sq =
      ts_sum_dim_IntList(ts_mul(d, d), TS_SHAPE(1), false, TS_FLOAT32);
  return ts_mul_scalar(sq, -0.5 / (pf->r * pf->r));
}

// OK: log-weights updated and normalised with log_softmax; the old ones freed
static void pf_update(struct pfilter *pf, const ts_tensor *z) {
  ts_tensor *lw;
  TS_SCOPE { lw = ts_keep(ts_log_softmax(ts_add(pf->logw, loglik(pf, z)), 0)); }
  ts_free(pf->logw);
  pf->logw = lw;
}

// BUG: use-after-scope: the new log-weights are stored from inside a scope
static void pf_update_scoped(struct pfilter *pf, const ts_tensor *z) {
  ts_tensor *old = pf->logw;
  TS_SCOPE { pf->logw = ts_log_softmax(ts_add(old, loglik(pf, z)), 0); }
  ts_free(old);
  ts_tensor *m = ts_max(pf->logw); // <- BUG
  ts_free(m);
}

// OK: effective sample size 1 / sum w^2, in the function's scope
TS_SCOPED static double pf_ess(const struct pfilter *pf) {
  ts_tensor *w = ts_exp(pf->logw);
  return 1.0 / ts_item(ts_sum(ts_mul(w, w)));
}

// OK: systematic resampling indices computed on the host
static ts_tensor *systematic_indices(const ts_tensor *logw) {
  float w[NP];
  int64_t idx[NP];
  ts_tensor *e = ts_exp(logw);
  ts_copy_to_buffer(e, w, sizeof w);
  ts_free(e);
  double u0 = (double)rand() / RAND_MAX / NP, c = w[0];
  int j = 0;
  for (int i = 0; i < NP; i++) {
    double u = u0 + (double)i / NP;
    while (u > c && j < NP - 1)
      c += w[++j];
    idx[i] = j;
  }
  return ts_from_buffer(idx, TS_SHAPE(NP), TS_INT64);
}

// OK: particles replaced by the resampled ones, weights reset; old handles
// freed once
static void pf_resample(struct pfilter *pf) {
  ts_tensor *idx = systematic_indices(pf->logw);
  ts_tensor *x = ts_index_select(pf->x, 0, idx);
  ts_free(idx);
  ts_free(pf->x);
  pf->x = x;
  ts_free(pf->logw);
  pf->logw = ts_full(TS_SHAPE(NP), TS_FLOAT32, -log((double)NP));
}

// BUG: double-free: the old particles are freed, then freed again through the
// saved alias
static void pf_resample_bad(struct pfilter *pf) {
  ts_tensor *old = pf->x;
  ts_tensor *idx = systematic_indices(pf->logw);
  pf->x = ts_index_select(old, 0, idx);
  ts_free(idx);
  ts_free(old);
  ts_free(pf->logw);
  pf->logw = ts_full(TS_SHAPE(NP), TS_FLOAT32, -log((double)NP));
  if (old)
    ts_free(old); // <- BUG
}

// BUG: use-after-free: the indices are freed before the gather that needs them
static void pf_resample_early_free(struct pfilter *pf) {
  ts_tensor *idx = systematic_indices(pf->logw);
  ts_free(idx);
  ts_tensor *x = ts_index_select(pf->x, 0, idx); // <- BUG
  ts_free(pf->x);
  pf->x = x;
}

// OK: the weighted mean sum_i w_i x_i, escaped to the caller
TS_SCOPED static ts_tensor *pf_estimate(const struct pfilter *pf) {
  ts_tensor *w = ts_unsqueeze(ts_exp(pf->logw), 1);
  return ts_escape(
      ts_sum_dim_IntList(ts_mul(pf->x, w), TS_SHAPE(0), false, TS_FLOAT32));
}

// BUG: unescaped-return: the estimate is left to the function's scope
TS_SCOPED static ts_tensor *pf_estimate_noescape(const struct pfilter *pf) {
  ts_tensor *w = ts_unsqueeze(ts_exp(pf->logw), 1);
  ts_tensor *est =
      ts_sum_dim_IntList(ts_mul(pf->x, w), TS_SHAPE(0), false, TS_FLOAT32);
  return est; // <- BUG
}

// OK: appends an estimate the track takes over; on failure the caller keeps it
static int track_push(struct track *t, ts_tensor *est) {
  if (t->n == t->cap) {
    int cap = t->cap ? t->cap * 2 : 4;
    ts_tensor **e = realloc(t->est, sizeof *e * (size_t)cap);
    if (!e)
      return -1;
    t->est = e;
    t->cap = cap;
  }
  t->est[t->n++] = est;
  return 0;
}

// OK: frees every estimate and the array
static void track_free(struct track *t) {
  for (int i = 0; i < t->n; i++)
    ts_free(t->est[i]);
  free(t->est);
  memset(t, 0, sizeof *t);
}

// BUG: leak: the track frees the array but not the estimates in it
static void track_reset(struct track *t) {
  free(t->est); // <- BUG
  t->est = NULL;
  t->n = t->cap = 0;
}

// OK: observation = truth + noise; the truth is the caller's
static ts_tensor *observe(const ts_tensor *truth, double r) {
  ts_tensor *n = ts_randn(TS_SHAPE(DS), TS_FLOAT32);
  ts_tensor *sn = ts_mul_scalar(n, r);
  ts_free(n);
  ts_tensor *z = ts_add(truth, sn);
  ts_free(sn);
  return z;
}

// OK: one filtering step with resampling when the ESS is low
static int pf_step(struct pfilter *pf, const ts_tensor *z, struct track *t) {
  pf_predict(pf);
  pf_update(pf, z);
  if (pf_ess(pf) < NP / 2)
    pf_resample(pf);
  ts_tensor *est = pf_estimate(pf);
  if (track_push(t, est) != 0) {
    ts_free(est);
    return -1;
  }
  return 0;
}

// OK: tracks a random walk; truth, observations, filter and track cleaned up
void pf5_track(void) {
  struct pfilter pf;
  struct track t = {NULL, 0, 0};
  ts_manual_seed(3);
  if (pf_init(&pf, 0.3, 0.5) != 0)
    return;
  ts_tensor *truth = ts_zeros(TS_SHAPE(DS), TS_FLOAT32);
  for (int s = 0; s < STEPS; s++) {
    ts_tensor *z = observe(truth, 0.5);
    if (pf_step(&pf, z, &t) != 0) {
      ts_free(z);
      break;
    }
    ts_free(z);
  }
  printf("track length %d\\n", t.n);
  track_free(&t);
  ts_free(truth);
  pf_free(&pf);
}

// OK: in-place prediction and a scoped estimate
void pf5_inplace(void) {
  struct pfilter pf;
  if (pf_init(&pf, 0.1, 0.5) != 0)
    return;
  for (int s = 0; s < 3; s++)
    pf_predict_inplace(&pf);
  ts_tensor *est = pf_estimate(&pf);
  printf("estimate %lld\\n", (long long)ts_numel(est));
  ts_free(est);
  pf_free(&pf);
  pf_free(&pf);
}

// OK: drives pf_predict_leaky
void pf5_predict_leaky(void) {
  struct pfilter pf;
  pf_init(&pf, 0.2, 0.5);
  pf_predict_leaky(&pf);
  pf_free(&pf);
}

// OK: drives pf_update_scoped
void pf5_update_scoped(void) {
  struct pfilter pf;
  pf_init(&pf, 0.2, 0.5);
  ts_tensor *z = ts_zeros(TS_SHAPE(DS), TS_FLOAT32);
  pf_update_scoped(&pf, z);
  ts_free(z);
  pf_free(&pf);
}

// OK: drives pf_resample_bad
void pf5_resample_bad(void) {
  struct pfilter pf;
  pf_init(&pf, 0.2, 0.5);
  pf_resample_bad(&pf);
  pf_free(&pf);
}

// OK: drives pf_resample_early_free
void pf5_resample_early(void) {
  struct pfilter pf;
  pf_init(&pf, 0.2, 0.5);
  pf_resample_early_free(&pf);
  pf_free(&pf);
}

// OK: uses and frees pf_estimate_noescape's result
void pf5_estimate_noescape(void) {
  struct pfilter pf;
  pf_init(&pf, 0.2, 0.5);
  ts_tensor *e = pf_estimate_noescape(&pf);
  printf("estimate %lld\\n", (long long)ts_numel(e));
  ts_free(e);
  pf_free(&pf);
}

// OK: drives track_reset on a track holding estimates
void pf5_track_reset(void) {
  struct pfilter pf;
  struct track t = {NULL, 0, 0};
  pf_init(&pf, 0.2, 0.5);
  for (int i = 0; i < 2; i++)
    track_push(&t, pf_estimate(&pf));
  track_reset(&t);
  pf_free(&pf);
}

// BUG: use-after-free: the last estimate is printed after the track was freed
void pf5_last_after_free(void) {
  struct pfilter pf;
  struct track t = {NULL, 0, 0};
  pf_init(&pf, 0.2, 0.5);
  track_push(&t, pf_estimate(&pf));
  ts_tensor *last = t.est[t.n - 1];
  track_free(&t);
  pf_free(&pf);
  printf("last %lld\\n", (long long)ts_numel(last)); // <- BUG
}

// BUG: leak: an observation per step is made and only the last one freed
void pf5_obs_leak(void) {
  struct pfilter pf;
  pf_init(&pf, 0.2, 0.5);
  ts_tensor *truth = ts_zeros(TS_SHAPE(DS), TS_FLOAT32);
  ts_tensor *z = NULL;
  for (int s = 0; s < 3; s++) {
    z = observe(truth, 0.5); // <- BUG
    pf_update(&pf, z);
  }
  ts_free(z);
  ts_free(truth);
  pf_free(&pf);
}

// BUG: double-free: the filter is freed by hand field by field and then by
// pf_free
void pf5_teardown_twice(void) {
  struct pfilter pf;
  pf_init(&pf, 0.2, 0.5);
  ts_free(pf.x);
  ts_free(pf.logw);
  pf_free(&pf); // <- BUG
}

// OK: the fields are freed by hand and cleared, so pf_free has nothing left to
// do
void pf5_teardown_manual(void) {
  struct pfilter pf;
  pf_init(&pf, 0.2, 0.5);
  ts_free(pf.x);
  pf.x = NULL;
  ts_free(pf.logw);
  pf.logw = NULL;
  pf_free(&pf);
}

// BUG: use-after-scope: the likelihood computed in a scope is summed after it
void pf5_lik_scope(void) {
  struct pfilter pf;
  pf_init(&pf, 0.2, 0.5);
  ts_tensor *z = ts_zeros(TS_SHAPE(DS), TS_FLOAT32);
  ts_tensor *ll;
  TS_SCOPE { ll = loglik(&pf, z); }
  ts_tensor *s = ts_sum(ll); // <- BUG
  ts_free(s);
  ts_free(z);
  pf_free(&pf);
}
