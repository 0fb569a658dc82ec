/*
 * heldout_particles.c - a particle filter tracking a 2-D position: particle
 * sets in a struct, motion and measurement updates, weight normalisation,
 * systematic resampling, estimates. Held-out corpus (README.md).
 *
 * Labels: `// OK: why` or `// BUG: check: why` before each function; the
 * line of the bug ends in `// <- BUG`.
 */
#include <stdio.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define NP 16
#define SD 2

struct pset {
  ts_tensor *pos; /* [NP, SD] */
  ts_tensor *w;   /* [NP] normalised weights */
};

// OK: both tensors move into the set
static void pset_init(struct pset *s) {
  s->pos = ts_randn(TS_SHAPE(NP, SD), TS_FLOAT32);
  s->w = ts_full(TS_SHAPE(NP), TS_FLOAT32, 1.0 / NP);
}

// OK: frees both tensors of the set
static void pset_free(struct pset *s) {
  ts_free(s->pos);
  ts_free(s->w);
}

// OK: moves every particle by a noisy step: the old positions are replaced
// and freed
static void pf_predict(struct pset *s, double dx) {
  ts_tensor *noise = ts_randn(TS_SHAPE(NP, SD), TS_FLOAT32);
  ts_tensor *step = ts_add_scalar(noise, dx);
  ts_free(noise);
  ts_tensor *moved = ts_add(s->pos, step);
  ts_free(step);
  ts_free(s->pos);
  s->pos = moved;
}

// OK: reweights by the distance to the measurement, in place on the
// weights tensor
static void pf_update(struct pset *s, const ts_tensor *z) {
  ts_tensor *d = ts_sub(s->pos, z);
  ts_tensor *d2 =
      ts_sum_dim_IntList(ts_square_(d), TS_SHAPE(1), false, TS_NO_DTYPE);
  ts_free(d);
  ts_tensor *lik = ts_exp(ts_mul_Scalar_(d2, -0.5));
  ts_free(d2);
  ts_mul_Tensor_(s->w, lik);
  ts_free(lik);
  ts_tensor *tot = ts_sum(s->w);
  ts_div_Tensor_(s->w, tot);
  ts_free(tot);
}

// OK: the weighted mean position, for the caller
static ts_tensor *pf_estimate(const struct pset *s) {
  ts_tensor *w2 = ts_unsqueeze(s->w, 1);
  ts_tensor *wp = ts_mul(s->pos, w2);
  ts_free(w2);
  ts_tensor *est = ts_sum_dim_IntList(wp, TS_SHAPE(0), false, TS_NO_DTYPE);
  ts_free(wp);
  return est;
}

// OK: multinomial resampling: positions and weights are both replaced
static void pf_resample(struct pset *s) {
  ts_tensor *idx = ts_multinomial(s->w, NP, true);
  ts_tensor *pos = ts_index_select(s->pos, 0, idx);
  ts_free(idx);
  ts_free(s->pos);
  s->pos = pos;
  ts_fill_Scalar_(s->w, 1.0 / NP);
}

// OK: a few filter steps; each estimate is freed after printing
void pf_track(void) {
  struct pset s;
  ts_manual_seed(13);
  pset_init(&s);
  float zbuf[SD] = {0.5f, -0.5f};
  ts_tensor *z = ts_from_buffer(zbuf, TS_SHAPE(SD), TS_FLOAT32);
  for (int t = 0; t < 4; t++) {
    pf_predict(&s, 0.1);
    pf_update(&s, z);
    ts_tensor *est = pf_estimate(&s);
    printf("t=%d est %lld\n", t, (long long)ts_numel(est));
    ts_free(est);
    pf_resample(&s);
  }
  ts_free(z);
  pset_free(&s);
}

// BUG: leak: each step's estimate overwrites the last; only the final one
// is freed
void pf_track_last(void) {
  struct pset s;
  pset_init(&s);
  ts_tensor *z = ts_zeros(TS_SHAPE(SD), TS_FLOAT32);
  ts_tensor *est = NULL;
  for (int t = 0; t < 3; t++) {
    pf_predict(&s, 0.2);
    pf_update(&s, z);
    est = pf_estimate(&s); // <- BUG
  }
  printf("final %lld\n", (long long)ts_numel(est));
  ts_free(est);
  ts_free(z);
  pset_free(&s);
}

// BUG: use-after-free: old_pos aliases the positions that pf_predict frees
// and replaces
void pf_velocity(void) {
  struct pset s;
  pset_init(&s);
  ts_tensor *old_pos = s.pos;
  pf_predict(&s, 1.0);
  ts_tensor *vel = ts_sub(s.pos, old_pos); // <- BUG
  printf("vel %lld\n", (long long)ts_numel(vel));
  ts_free(vel);
  pset_free(&s);
}

// OK: the same velocity with a copy of the old positions taken first
void pf_velocity_copy(void) {
  struct pset s;
  pset_init(&s);
  ts_tensor *old_pos = ts_clone(s.pos);
  pf_predict(&s, 1.0);
  ts_tensor *vel = ts_sub(s.pos, old_pos);
  ts_free(old_pos);
  printf("vel %lld\n", (long long)ts_numel(vel));
  ts_free(vel);
  pset_free(&s);
}

// BUG: double-free: the weights are freed by hand before the set's
// teardown frees them again
void pf_drop_weights(void) {
  struct pset s;
  pset_init(&s);
  ts_tensor *ess_den = ts_square(s.w);
  ts_tensor *den = ts_sum(ess_den);
  printf("ess %f\n", 1.0 / ts_item(den));
  ts_free(den);
  ts_free(ess_den);
  ts_free(s.w);
  pset_free(&s); // <- BUG
}

// BUG: use-after-scope: the effective sample size tensor is made in the
// block scope and read after it
void pf_ess_scoped(void) {
  struct pset s;
  pset_init(&s);
  ts_tensor *den = NULL;
  TS_SCOPE {
    ts_tensor *sq = ts_square(s.w);
    den = ts_sum(sq);
  }
  printf("ess %f\n", 1.0 / ts_item(den)); // <- BUG
  pset_free(&s);
}

// OK: the effective sample size read inside the scope; only a double
// leaves it
void pf_ess_inside(void) {
  struct pset s;
  pset_init(&s);
  double ess = 0;
  TS_SCOPE {
    ts_tensor *sq = ts_square(s.w);
    ess = 1.0 / ts_item(ts_sum(sq));
  }
  printf("ess %f\n", ess);
  pset_free(&s);
}

// BUG: unescaped-return: the spread is returned from the nested scope with
// a single ts_escape, which only moves it to the function's own scope
TS_SCOPED static ts_tensor *pf_spread(const struct pset *s) {
  TS_SCOPE {
    ts_tensor *sd = ts_std(s->pos, true);
    return ts_escape(sd); // <- BUG
  }
}

// OK: the spread escaped once in each scope, while each is current
TS_SCOPED static ts_tensor *pf_spread_ok(const struct pset *s) {
  ts_tensor *sd = NULL;
  TS_SCOPE { sd = ts_escape(ts_std(s->pos, true)); }
  return ts_escape(sd);
}

// BUG: unescaped-return: both escapes run while the inner scope is
// current; the second leaves the tensor in the function's scope, which the
// return ends
TS_SCOPED static ts_tensor *pf_spread_twice(const struct pset *s) {
  TS_SCOPE {
    ts_tensor *sd = ts_std(s->pos, true);
    return ts_escape(ts_escape(sd)); // <- BUG
  }
}

// OK: reads and frees the correct spread, then the single-escape one
// (which is dead)
void pf_report_spread(void) {
  struct pset s;
  pset_init(&s);
  ts_tensor *good = pf_spread_ok(&s);
  printf("spread %f\n", ts_item(good));
  ts_free(good);
  ts_tensor *bad = pf_spread(&s);
  printf("spread %f\n", ts_item(bad));
  ts_free(bad);
  pset_free(&s);
}

// OK: reads and frees the double-escape spread (which is dead)
void pf_report_spread_twice(void) {
  struct pset s;
  pset_init(&s);
  ts_tensor *sp = pf_spread_twice(&s);
  printf("spread %f\n", ts_item(sp));
  ts_free(sp);
  pset_free(&s);
}

// BUG: leak: a degenerate weight vector skips the resampling and returns
// without freeing the drawn indices
static int pf_resample_checked(struct pset *s, double min_ess) {
  ts_tensor *idx = ts_multinomial(s->w, NP, true); // <- BUG
  ts_tensor *sq = ts_square(s->w);
  ts_tensor *den = ts_sum(sq);
  ts_free(sq);
  double ess = 1.0 / ts_item(den);
  ts_free(den);
  if (ess < min_ess)
    return 0;
  ts_tensor *pos = ts_index_select(s->pos, 0, idx);
  ts_free(idx);
  ts_free(s->pos);
  s->pos = pos;
  return 1;
}

// OK: drives the checked resampler with a threshold no set can reach
void pf_resample_driver(void) {
  struct pset s;
  pset_init(&s);
  printf("resampled %d\n", pf_resample_checked(&s, 1e9));
  pset_free(&s);
}
