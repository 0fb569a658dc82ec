/* heldout2_kalman.c - a constant-velocity Kalman filter: the filter's
 * matrices in a struct, predict/update replacing the state and covariance,
 * gating of outliers, a track history, residual statistics.
 * Labels: tests/realistic/README.md. */
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

struct kf {
  ts_tensor *x, *P;  /* state [4,1], covariance [4,4] */
  ts_tensor *F, *Q;  /* transition, process noise */
  ts_tensor *Hm, *R; /* measurement model [2,4], noise [2,2] */
};

// OK: frees every matrix the filter holds (does not clear the fields)
static void kf_free(struct kf *k) {
  if (k->x)
    ts_free(k->x);
  if (k->P)
    ts_free(k->P);
  if (k->F)
    ts_free(k->F);
  if (k->Q)
    ts_free(k->Q);
  if (k->Hm)
    ts_free(k->Hm);
  if (k->R)
    ts_free(k->R);
}

// OK: builds the filter; on failure what was made is freed through kf_free
static int kf_init(struct kf *k, double dt) {
  const float f[16] = {1, 0, (float)dt, 0, 0, 1, 0, (float)dt,
                       0, 0, 1,         0, 0, 0, 0, 1};
  const float h[8] = {1, 0, 0, 0, 0, 1, 0, 0};
  *k = (struct kf){0};
  k->x = ts_zeros(TS_SHAPE(4, 1), TS_FLOAT32);
  k->P = ts_eye(4, TS_FLOAT32, NULL);
  k->F = ts_from_buffer(f, TS_SHAPE(4, 4), TS_FLOAT32);
  k->Hm = ts_from_buffer(h, TS_SHAPE(2, 4), TS_FLOAT32);
  ts_tensor *i4 = ts_eye(4, TS_FLOAT32, NULL);
  ts_tensor *i2 = ts_eye(2, TS_FLOAT32, NULL);
  if (i4)
    k->Q = ts_mul_scalar(i4, 0.01);
  if (i2)
    k->R = ts_mul_scalar(i2, 0.1);
  if (i4)
    ts_free(i4);
  if (i2)
    ts_free(i2);
  if (!k->x || !k->P || !k->F || !k->Hm || !k->Q || !k->R) {
    kf_free(k);
    return -1;
  }
  return 0;
}

// OK: x = F x, P = F P F^T + Q; the old state and covariance are freed
static void kf_predict(struct kf *k) {
  ts_tensor *nx = ts_matmul(k->F, k->x);
  ts_tensor *Ft = ts_transpose(k->F, 0, 1);
  ts_tensor *FP = ts_matmul(k->F, k->P);
  ts_tensor *FPFt = ts_matmul(FP, Ft);
  ts_tensor *nP = ts_add(FPFt, k->Q);
  ts_free(FPFt);
  ts_free(FP);
  ts_free(Ft);
  ts_free(k->x);
  ts_free(k->P);
  k->x = nx;
  k->P = nP;
}

// BUG: use-after-free: the old covariance is freed early and then multiplied
// instead of F P (a slip in the hand-inlined product)
static void kf_predict_fast(struct kf *k) {
  ts_tensor *nx = ts_matmul(k->F, k->x);
  ts_free(k->x);
  k->x = nx;
  ts_tensor *Ft = ts_transpose(k->F, 0, 1);
  ts_tensor *FP = ts_matmul(k->F, k->P);
  ts_free(k->P);
  ts_tensor *FPFt = ts_matmul(k->P, Ft); // <- BUG
  k->P = ts_add(FPFt, k->Q);
  ts_free(FPFt);
  ts_free(FP);
  ts_free(Ft);
}

// OK: the full update; every temporary is freed through one array
static int kf_update(struct kf *k, const ts_tensor *z) {
  ts_tensor *hx = ts_matmul(k->Hm, k->x);
  ts_tensor *y = ts_sub(z, hx);
  ts_tensor *Ht = ts_transpose(k->Hm, 0, 1);
  ts_tensor *PHt = ts_matmul(k->P, Ht);
  ts_tensor *HPHt = ts_matmul(k->Hm, PHt);
  ts_tensor *S = ts_add(HPHt, k->R);
  ts_tensor *Si = ts_linalg_inv(S);
  ts_tensor *K = ts_matmul(PHt, Si);
  ts_tensor *Ky = ts_matmul(K, y);
  ts_tensor *nx = ts_add(k->x, Ky);
  ts_tensor *KH = ts_matmul(K, k->Hm);
  ts_tensor *KHP = ts_matmul(KH, k->P);
  ts_tensor *nP = ts_sub(k->P, KHP);
  ts_tensor *tmp[] = {hx, y, Ht, PHt, HPHt, S, Si, K, Ky, KH, KHP};
  for (size_t i = 0; i < sizeof tmp / sizeof tmp[0]; i++)
    ts_free(tmp[i]);
  ts_free(k->x);
  ts_free(k->P);
  k->x = nx;
  k->P = nP;
  return 0;
}

// OK: a measurement at time t on a straight line
static ts_tensor *measurement(int t) {
  const float z[2] = {(float)t, 0.5f * (float)t};
  return ts_from_buffer(z, TS_SHAPE(2, 1), TS_FLOAT32);
}

// OK: predict/update over a short track; each measurement is freed
void kf_track(void) {
  struct kf k;
  if (kf_init(&k, 1.0) != 0)
    return;
  for (int t = 1; t <= 5; t++) {
    kf_predict(&k);
    ts_tensor *z = measurement(t);
    kf_update(&k, z);
    ts_free(z);
  }
  printf("kf: x numel %lld\n", (long long)ts_numel(k.x));
  kf_free(&k);
}

// OK: drives kf_predict_fast (the bug is the helper's)
void kf_track_fast(void) {
  struct kf k;
  if (kf_init(&k, 0.5) != 0)
    return;
  kf_predict_fast(&k);
  kf_free(&k);
}

// BUG: leak: the outlier path frees the innovation but not S^-1
static int kf_update_gated(struct kf *k, const ts_tensor *z, double gate) {
  ts_tensor *hx = ts_matmul(k->Hm, k->x);
  ts_tensor *y = ts_sub(z, hx);
  ts_free(hx);
  ts_tensor *Ht = ts_transpose(k->Hm, 0, 1);
  ts_tensor *PHt = ts_matmul(k->P, Ht);
  ts_tensor *HPHt = ts_matmul(k->Hm, PHt);
  ts_tensor *S = ts_add(HPHt, k->R);
  ts_free(HPHt);
  ts_free(Ht);
  ts_tensor *Si = ts_linalg_inv(S); // <- BUG
  ts_free(S);
  ts_tensor *yt = ts_transpose(y, 0, 1);
  ts_tensor *ySi = ts_matmul(yt, Si);
  ts_tensor *d2 = ts_matmul(ySi, y);
  double m = ts_item(d2);
  ts_free(d2);
  ts_free(ySi);
  ts_free(yt);
  if (m > gate) {
    ts_free(PHt);
    ts_free(y);
    return 1;
  }
  ts_tensor *K = ts_matmul(PHt, Si);
  ts_tensor *Ky = ts_matmul(K, y);
  ts_tensor *nx = ts_add(k->x, Ky);
  ts_free(Ky);
  ts_free(K);
  ts_free(Si);
  ts_free(PHt);
  ts_free(y);
  ts_free(k->x);
  k->x = nx;
  return 0;
}

// OK: a far-off measurement is gated out (the helper's leak is its own)
void kf_gate_outlier(void) {
  struct kf k;
  if (kf_init(&k, 1.0) != 0)
    return;
  const float far[2] = {1000.f, -1000.f};
  ts_tensor *z = ts_from_buffer(far, TS_SHAPE(2, 1), TS_FLOAT32);
  if (kf_update_gated(&k, z, 9.0) != 0)
    puts("kf: outlier gated");
  ts_free(z);
  kf_free(&k);
}

// OK: the covariance's trace, a temporary freed
static double kf_trace(const struct kf *k) {
  ts_tensor *d = ts_diagonal(k->P, 0, 0, 1);
  ts_tensor *s = ts_sum(d);
  double v = ts_item(s);
  ts_free(s);
  ts_free(d);
  return v;
}

// BUG: double-free: on divergence the filter is freed inside the loop, and
// again after it
void kf_diverge(void) {
  struct kf k;
  if (kf_init(&k, 1.0) != 0)
    return;
  for (int t = 0; t < 10; t++) {
    kf_predict(&k);
    if (kf_trace(&k) > 5.0) {
      fprintf(stderr, "kf: diverged at %d\n", t);
      kf_free(&k);
      break;
    }
  }
  kf_free(&k); // <- BUG
}

// OK: the same divergence check, but the filter is freed once on each path
void kf_diverge_ok(void) {
  struct kf k;
  if (kf_init(&k, 1.0) != 0)
    return;
  for (int t = 0; t < 10; t++) {
    kf_predict(&k);
    if (kf_trace(&k) > 5.0) {
      fprintf(stderr, "kf: diverged at %d\n", t);
      kf_free(&k);
      return;
    }
  }
  kf_free(&k);
}

// BUG: use-after-scope: each position snapshot is made in a scoped block, so
// it dies with the block; the final report reads the first one
void kf_history(void) {
  struct kf k;
  if (kf_init(&k, 1.0) != 0)
    return;
  ts_tensor *hist[4] = {NULL};
  for (int t = 0; t < 4; t++) {
    kf_predict(&k);
    TS_SCOPE {
      ts_tensor *pos = ts_narrow(k.x, 0, 0, 2);
      hist[t] = ts_contiguous(pos);
    }
  }
  printf("first snapshot %lld\n", (long long)ts_numel(hist[0])); // <- BUG
  kf_free(&k);
}

// OK: snapshots kept out of the block's scope and freed after the report
void kf_history_kept(void) {
  struct kf k;
  if (kf_init(&k, 1.0) != 0)
    return;
  ts_tensor *hist[4] = {NULL};
  for (int t = 0; t < 4; t++) {
    kf_predict(&k);
    TS_SCOPE {
      ts_tensor *pos = ts_narrow(k.x, 0, 0, 2);
      hist[t] = ts_keep(ts_contiguous(pos));
    }
  }
  printf("first snapshot %lld\n", (long long)ts_numel(hist[0]));
  for (int t = 0; t < 4; t++)
    ts_free(hist[t]);
  kf_free(&k);
}

// BUG: unescaped-return: the innovation is made under the guard and returned
// without ts_escape, so the guard's scope frees it on return
static ts_tensor *innovation(const struct kf *k, const ts_tensor *z) {
  TS_SCOPE_GUARD();
  ts_tensor *hx = ts_matmul(k->Hm, k->x);
  return ts_sub(z, hx); // <- BUG
}

// OK: uses and frees what innovation returned (the helper is wrong)
void kf_innovation(void) {
  struct kf k;
  if (kf_init(&k, 1.0) != 0)
    return;
  ts_tensor *z = measurement(2);
  ts_tensor *y = innovation(&k, z);
  printf("innovation %lld\n", (long long)ts_numel(y));
  ts_free(y);
  ts_free(z);
  kf_free(&k);
}

// OK: both results of ts_std_mean are freed
static void residual_stats(const ts_tensor *res, double *sd, double *mu) {
  ts_tensor *sm[2];
  if (ts_std_mean(sm, res, true) != TS_OK)
    return;
  *sd = ts_item(sm[0]);
  *mu = ts_item(sm[1]);
  ts_free(sm[0]);
  ts_free(sm[1]);
}

// BUG: leak: only the mean of ts_var_mean is freed, the variance is not
static double residual_var(const ts_tensor *res) {
  ts_tensor *vm[2];
  if (ts_var_mean(vm, res, true) != TS_OK) // <- BUG
    return -1;
  double v = ts_item(vm[0]);
  printf("residual mean %.3f\n", ts_item(vm[1]));
  ts_free(vm[1]);
  return v;
}

// OK: residual statistics of a random track (drives both helpers)
void kf_residuals(void) {
  ts_tensor *res = ts_randn(TS_SHAPE(32), TS_FLOAT32);
  double sd = 0, mu = 0;
  residual_stats(res, &sd, &mu);
  printf("sd %.2f mean %.2f var %.2f\n", sd, mu, residual_var(res));
  ts_free(res);
}

// OK: a borrowed view of the filter's state (the filter keeps it)
static const ts_tensor *kf_state(const struct kf *k) { return k->x; }

// OK: the borrowed state is read before anything replaces it, never freed
void kf_state_peek(void) {
  struct kf k;
  if (kf_init(&k, 1.0) != 0)
    return;
  kf_predict(&k);
  const ts_tensor *s = kf_state(&k);
  printf("state %lld\n", (long long)ts_numel(s));
  kf_free(&k);
}

// BUG: use-after-free: the borrowed state is kept across kf_predict, which
// frees it and puts a new state in the struct
void kf_state_stale(void) {
  struct kf k;
  if (kf_init(&k, 1.0) != 0)
    return;
  const ts_tensor *before = kf_state(&k);
  kf_predict(&k);
  ts_tensor *moved = ts_sub(k.x, before); // <- BUG
  printf("moved %lld\n", (long long)ts_numel(moved));
  ts_free(moved);
  kf_free(&k);
}
