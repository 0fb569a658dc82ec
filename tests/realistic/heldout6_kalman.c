/* heldout6_kalman.c - a constant-velocity Kalman filter tracking several
 * targets: a filter struct with init/teardown, predict and update steps
 * (manual and scoped), a track table, gating and smoothing. */
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>

typedef struct {
  ts_tensor *x; /* [2,1] position, velocity */
  ts_tensor *P; /* [2,2] covariance */
  ts_tensor *F; /* [2,2] transition */
  ts_tensor *Q; /* [2,2] process noise */
  ts_tensor *H; /* [1,2] measurement */
  ts_tensor *R; /* [1,1] measurement noise */
} kf_t;

typedef struct {
  int id;
  int misses;
  kf_t f;
} kf_track;

// OK: goto-cleanup init, every tensor made so far freed on failure
static int kf_init(kf_t *k, double dt, double q, double r) {
  const float F[4] = {1.0f, (float)dt, 0.0f, 1.0f};
  const float H[2] = {1.0f, 0.0f};
  k->x = k->P = k->F = k->Q = k->H = k->R = NULL;
  k->x = ts_zeros(TS_SHAPE(2, 1), TS_FLOAT32);
  if (!k->x)
    goto fail;
  k->P = ts_full(TS_SHAPE(2, 2), TS_FLOAT32, 1.0);
  if (!k->P)
    goto fail;
  k->F = ts_from_buffer(F, TS_SHAPE(2, 2), TS_FLOAT32);
  if (!k->F)
    goto fail;
  k->Q = ts_full(TS_SHAPE(2, 2), TS_FLOAT32, q);
  if (!k->Q)
    goto fail;
  k->H = ts_from_buffer(H, TS_SHAPE(1, 2), TS_FLOAT32);
  if (!k->H)
    goto fail;
  k->R = ts_full(TS_SHAPE(1, 1), TS_FLOAT32, r);
  if (!k->R)
    goto fail;
  return 0;
fail:
  ts_free(k->H);
  ts_free(k->Q);
  ts_free(k->F);
  ts_free(k->P);
  ts_free(k->x);
  return -1;
}

// OK: frees every field once and clears it
static void kf_teardown(kf_t *k) {
  ts_tensor **fields[6] = {&k->x, &k->P, &k->F, &k->Q, &k->H, &k->R};
  for (int i = 0; i < 6; i++) {
    if (*fields[i])
      ts_free(*fields[i]);
    *fields[i] = NULL;
  }
}

// OK: temporaries in a scope, the new state escaped into the struct
static void kf_predict(kf_t *k) {
  TS_SCOPE {
    ts_tensor *xp = ts_matmul(k->F, k->x);
    ts_tensor *fp = ts_matmul(k->F, k->P);
    ts_tensor *pp = ts_add(ts_matmul(fp, ts_transpose(k->F, 0, 1)), k->Q);
    ts_free(k->x);
    ts_free(k->P);
    k->x = ts_escape(xp);
    k->P = ts_escape(pp);
  }
}

// OK: manual predict, every temporary freed, old state replaced
static void kf_predict_manual(kf_t *k) {
  ts_tensor *xp = ts_matmul(k->F, k->x);
  ts_tensor *ft = ts_transpose(k->F, 0, 1);
  ts_tensor *fp = ts_matmul(k->F, k->P);
  ts_tensor *fpf = ts_matmul(fp, ft);
  ts_tensor *pp = ts_add(fpf, k->Q);
  ts_free(fpf);
  ts_free(fp);
  ts_free(ft);
  ts_free(k->x);
  ts_free(k->P);
  k->x = xp;
  k->P = pp;
}

// OK: scalar measurement update in a guard scope; new x and P kept
static void kf_update(kf_t *k, double z) {
  TS_SCOPE_GUARD();
  ts_tensor *zt = ts_full(TS_SHAPE(1, 1), TS_FLOAT32, z);
  ts_tensor *ht = ts_transpose(k->H, 0, 1);
  ts_tensor *s = ts_add(ts_matmul(ts_matmul(k->H, k->P), ht), k->R);
  ts_tensor *gain = ts_div(ts_matmul(k->P, ht), s);
  ts_tensor *innov = ts_sub(zt, ts_matmul(k->H, k->x));
  ts_tensor *x = ts_add(k->x, ts_matmul(gain, innov));
  ts_tensor *p = ts_sub(k->P, ts_matmul(ts_matmul(gain, k->H), k->P));
  ts_free(k->x);
  ts_free(k->P);
  k->x = ts_keep(x);
  k->P = ts_keep(p);
}

// BUG: leak: the innovation is made outside any scope and never freed
static void kf_update_manual(kf_t *k, double z) {
  ts_tensor *zt = ts_full(TS_SHAPE(1, 1), TS_FLOAT32, z);
  ts_tensor *hx = ts_matmul(k->H, k->x);
  ts_tensor *innov = ts_sub(zt, hx); // <- BUG
  ts_tensor *scaled = ts_mul_scalar(innov, 0.5);
  ts_tensor *col = ts_transpose(k->H, 0, 1);
  ts_tensor *step = ts_matmul(col, scaled);
  ts_tensor *x = ts_add(k->x, step);
  ts_free(step);
  ts_free(col);
  ts_free(scaled);
  ts_free(hx);
  ts_free(zt);
  ts_free(k->x);
  k->x = x;
}

// OK: predict/update loop over a measurement series, filter torn down
void kf_track_series(void) {
  const double zs[5] = {0.1, 1.2, 1.9, 3.1, 4.0};
  kf_t k;
  if (kf_init(&k, 1.0, 0.01, 0.5) != 0)
    return;
  for (int i = 0; i < 5; i++) {
    kf_predict(&k);
    kf_update(&k, zs[i]);
  }
  kf_predict_manual(&k);
  TS_SCOPE { printf("kalman: pos+vel %.3f\n", ts_item(ts_sum(k.x))); }
  kf_teardown(&k);
}

// OK: drives the manual update once; the leak is the helper's
void kf_manual_update_once(void) {
  kf_t k;
  if (kf_init(&k, 0.5, 0.02, 1.0) != 0)
    return;
  kf_update_manual(&k, 2.0);
  kf_teardown(&k);
}

// OK: a borrowed read of the covariance trace, temporaries in a scope
static double kf_trace(const kf_t *k) {
  double tr = 0.0;
  TS_SCOPE {
    ts_tensor *eye = ts_from_buffer((const float[]){1, 0, 0, 1},
                                    TS_SHAPE(2, 2), TS_FLOAT32);
    tr = ts_item(ts_sum(ts_mul(k->P, eye)));
  }
  return tr;
}

// OK: returns a fresh gate value the caller owns (made outside any scope)
static ts_tensor *kf_innovation(const kf_t *k, double z) {
  ts_tensor *hx = ts_matmul(k->H, k->x);
  ts_tensor *n = ts_neg(hx);
  ts_free(hx);
  ts_tensor *d = ts_add_scalar(n, z);
  ts_free(n);
  return d;
}

// BUG: leak: ts_neg's result is an unnamed temporary nobody frees
static ts_tensor *kf_innovation_sq(const kf_t *k, double z) {
  ts_tensor *hx = ts_matmul(k->H, k->x);
  ts_tensor *d = ts_add_scalar(ts_neg(hx), z); // <- BUG
  ts_tensor *sq = ts_mul(d, d);
  ts_free(d);
  ts_free(hx);
  return sq;
}

// OK: gating with the caller-owned innovation, freed on both branches
void kf_gate_measurements(void) {
  kf_t k;
  if (kf_init(&k, 1.0, 0.01, 0.5) != 0)
    return;
  int accepted = 0;
  const double zs[3] = {0.2, 9.0, -0.1};
  for (int i = 0; i < 3; i++) {
    ts_tensor *d = kf_innovation(&k, zs[i]);
    double v = ts_item(d);
    if (v * v > 4.0 * kf_trace(&k)) {
      ts_free(d);
      continue;
    }
    accepted++;
    ts_free(d);
    kf_update(&k, zs[i]);
  }
  printf("kalman: %d gated in\n", accepted);
  kf_teardown(&k);
}

// OK: drives the squared innovation helper (its own bug) and frees the result
void kf_gate_squared(void) {
  kf_t k;
  if (kf_init(&k, 1.0, 0.01, 0.5) != 0)
    return;
  ts_tensor *sq = kf_innovation_sq(&k, 1.5);
  printf("kalman: d2 %.3f\n", ts_item(sq));
  ts_free(sq);
  kf_teardown(&k);
}

// BUG: use-after-free: the old state is freed before the blend reads it
static void kf_blend_state(kf_t *k, const ts_tensor *other, double w) {
  ts_tensor *a = ts_mul_scalar(other, w);
  ts_tensor *old = k->x;
  ts_free(k->x);
  ts_tensor *b = ts_mul_scalar(old, 1.0 - w); // <- BUG
  k->x = ts_add(a, b);
  ts_free(a);
  ts_free(b);
}

// OK: runs the blend (the helper's bug) on two filters
void kf_fuse_two(void) {
  kf_t a, b;
  if (kf_init(&a, 1.0, 0.01, 0.5) != 0)
    return;
  if (kf_init(&b, 1.0, 0.01, 0.5) != 0) {
    kf_teardown(&a);
    return;
  }
  kf_blend_state(&a, b.x, 0.3);
  kf_teardown(&b);
  kf_teardown(&a);
}

// OK: the track table (malloc'd array of structs) torn down element by element
void kf_track_table(void) {
  int n = 3;
  kf_track *tr = calloc((size_t)n, sizeof *tr);
  if (!tr)
    return;
  int made = 0;
  for (; made < n; made++) {
    tr[made].id = made;
    if (kf_init(&tr[made].f, 1.0, 0.01, 0.5 + made) != 0)
      break;
  }
  for (int s = 0; s < 2; s++)
    for (int i = 0; i < made; i++) {
      kf_predict(&tr[i].f);
      kf_update(&tr[i].f, (double)(s + i));
    }
  for (int i = 0; i < made; i++)
    kf_teardown(&tr[i].f);
  free(tr);
}

// BUG: double-free: a dropped track is torn down, then again by the final sweep
void kf_drop_stale_tracks(void) {
  kf_track tr[3];
  int n = 0;
  for (int i = 0; i < 3; i++) {
    if (kf_init(&tr[n].f, 1.0, 0.01, 0.5) != 0)
      break;
    tr[n].id = i;
    tr[n].misses = i * 2;
    n++;
  }
  for (int i = 0; i < n; i++)
    if (tr[i].misses > 3)
      ts_free(tr[i].f.x);
  for (int i = 0; i < n; i++)
    kf_teardown(&tr[i].f); // <- BUG
}

// OK: a dropped track is torn down and its slot compacted away first
void kf_drop_and_compact(void) {
  kf_track tr[3];
  int n = 0;
  for (int i = 0; i < 3; i++) {
    if (kf_init(&tr[n].f, 1.0, 0.01, 0.5) != 0)
      break;
    tr[n].id = i;
    tr[n].misses = i * 2;
    n++;
  }
  int w = 0;
  for (int i = 0; i < n; i++) {
    if (tr[i].misses > 3) {
      kf_teardown(&tr[i].f);
      continue;
    }
    tr[w++] = tr[i];
  }
  for (int i = 0; i < w; i++)
    kf_teardown(&tr[i].f);
}

// BUG: unescaped-return: the smoothed estimate belongs to the function's scope
TS_SCOPED static ts_tensor *kf_smoothed(const kf_t *k, const ts_tensor *prev) {
  ts_tensor *avg = ts_mul_scalar(ts_add(k->x, prev), 0.5);
  return avg; // <- BUG
}

// OK: uses the smoothed estimate (the helper's bug) and frees it
void kf_smooth_step(void) {
  kf_t k;
  if (kf_init(&k, 1.0, 0.01, 0.5) != 0)
    return;
  ts_tensor *prev = ts_ones(TS_SHAPE(2, 1), TS_FLOAT32);
  ts_tensor *s = kf_smoothed(&k, prev);
  ts_tensor *d = ts_sub(s, prev);
  ts_free(d);
  ts_free(s);
  ts_free(prev);
  kf_teardown(&k);
}

// OK: the smoothed estimate escaped out of the function's scope
TS_SCOPED static ts_tensor *kf_smoothed_ok(const kf_t *k, const ts_tensor *prev) {
  ts_tensor *avg = ts_mul_scalar(ts_add(k->x, prev), 0.5);
  return ts_escape(avg);
}

// OK: caller frees the escaped estimate
void kf_smooth_ok(void) {
  kf_t k;
  if (kf_init(&k, 1.0, 0.01, 0.5) != 0)
    return;
  ts_tensor *prev = ts_ones(TS_SHAPE(2, 1), TS_FLOAT32);
  ts_tensor *s = kf_smoothed_ok(&k, prev);
  printf("kalman: smoothed numel %lld\n", (long long)ts_numel(s));
  ts_free(s);
  ts_free(prev);
  kf_teardown(&k);
}

// BUG: use-after-scope: the residual made in the loop scope is read after it
void kf_last_residual(void) {
  kf_t k;
  if (kf_init(&k, 1.0, 0.01, 0.5) != 0)
    return;
  ts_tensor *last = NULL;
  for (int i = 0; i < 3; i++) {
    kf_predict(&k);
    TS_SCOPE {
      ts_tensor *z = ts_full(TS_SHAPE(1, 1), TS_FLOAT32, i);
      last = ts_sub(ts_matmul(k.H, k.x), z);
    }
  }
  if (last)
    printf("kalman: residual %.3f\n", ts_item(last)); // <- BUG
  kf_teardown(&k);
}

// OK: the residual is escaped out of each iteration and the previous one freed
void kf_last_residual_ok(void) {
  kf_t k;
  if (kf_init(&k, 1.0, 0.01, 0.5) != 0)
    return;
  ts_tensor *last = NULL;
  for (int i = 0; i < 3; i++) {
    kf_predict(&k);
    TS_SCOPE {
      ts_tensor *z = ts_full(TS_SHAPE(1, 1), TS_FLOAT32, i);
      ts_tensor *r = ts_sub(ts_matmul(k.H, k.x), z);
      if (last)
        ts_free(last);
      last = ts_escape(r);
    }
  }
  if (last) {
    printf("kalman: residual %.3f\n", ts_item(last));
    ts_free(last);
  }
  kf_teardown(&k);
}

// BUG: leak: the early return on a bad noise level skips the covariance free
static int kf_reset_cov(kf_t *k, double scale) {
  ts_tensor *p = ts_full(TS_SHAPE(2, 2), TS_FLOAT32, scale); // <- BUG
  if (scale <= 0.0)
    return -1;
  ts_free(k->P);
  k->P = p;
  return 0;
}

// OK: drives the reset onto its error path
void kf_reset_bad_scale(void) {
  kf_t k;
  if (kf_init(&k, 1.0, 0.01, 0.5) != 0)
    return;
  if (kf_reset_cov(&k, -1.0) != 0)
    printf("kalman: reset refused\n");
  kf_teardown(&k);
}

// OK: reset with the check before the allocation
static int kf_reset_cov_ok(kf_t *k, double scale) {
  if (scale <= 0.0)
    return -1;
  ts_tensor *p = ts_full(TS_SHAPE(2, 2), TS_FLOAT32, scale);
  if (!p)
    return -1;
  ts_free(k->P);
  k->P = p;
  return 0;
}

// OK: both paths of the checked reset
void kf_reset_ok(void) {
  kf_t k;
  if (kf_init(&k, 1.0, 0.01, 0.5) != 0)
    return;
  kf_reset_cov_ok(&k, -1.0);
  kf_reset_cov_ok(&k, 2.0);
  printf("kalman: trace %.2f\n", kf_trace(&k));
  kf_teardown(&k);
}

// BUG: leak: the noise field is overwritten without freeing the old tensor
void kf_retune_noise(void) {
  kf_t k;
  if (kf_init(&k, 1.0, 0.01, 0.5) != 0)
    return;
  for (int i = 1; i <= 2; i++)
    k.Q = ts_full(TS_SHAPE(2, 2), TS_FLOAT32, 0.01 * i); // <- BUG
  kf_predict(&k);
  kf_teardown(&k);
}

// OK: covariance history in a fixed array, freed from the newest
void kf_cov_history(void) {
  kf_t k;
  ts_tensor *hist[4] = {0};
  if (kf_init(&k, 1.0, 0.01, 0.5) != 0)
    return;
  int n = 0;
  for (; n < 4; n++) {
    kf_predict_manual(&k);
    hist[n] = ts_clone(k.P);
    if (!hist[n])
      break;
  }
  TS_SCOPE {
    ts_tensor *growth = ts_sub(hist[n - 1], hist[0]);
    printf("kalman: growth %.3f\n", ts_item(ts_sum(growth)));
  }
  while (n-- > 0)
    ts_free(hist[n]);
  kf_teardown(&k);
}

// BUG: use-after-free: the clone is freed on the divergence branch and read at the join
void kf_check_divergence(void) {
  kf_t k;
  if (kf_init(&k, 1.0, 0.5, 0.5) != 0)
    return;
  ts_tensor *before = ts_clone(k.P);
  kf_predict(&k);
  double tr = kf_trace(&k);
  if (tr > 1.0)
    ts_free(before);
  TS_SCOPE {
    ts_tensor *d = ts_sub(k.P, before); // <- BUG
    printf("kalman: dP %.3f\n", ts_item(ts_sum(d)));
  }
  if (tr <= 1.0)
    ts_free(before);
  kf_teardown(&k);
}

// OK: same shape as above, the free moved after the last read on both branches
void kf_check_divergence_ok(void) {
  kf_t k;
  if (kf_init(&k, 1.0, 0.5, 0.5) != 0)
    return;
  ts_tensor *before = ts_clone(k.P);
  kf_predict(&k);
  double tr = kf_trace(&k);
  TS_SCOPE {
    ts_tensor *d = ts_sub(k.P, before);
    printf("kalman: dP %.3f (trace %.2f)\n", ts_item(ts_sum(d)), tr);
  }
  if (tr > 1.0) {
    ts_free(before);
    before = NULL;
  }
  if (before)
    ts_free(before);
  kf_teardown(&k);
}
