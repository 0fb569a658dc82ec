/* heldout4_esn.c - reservoir computing: an echo state network with input
 * and recurrent weights scaled to a spectral radius estimated by power
 * iteration, states collected into a malloc'd array by a scoped loop, a
 * ridge-regression readout, one-step prediction and free-running
 * generation, an ensemble of reservoirs and per-neuron statistics in a
 * pooled buffer.
 * Labels: tests/realistic/README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { IN = 1, RES = 20, WASH = 5, STEPS = 40, ENS = 3 };

struct esn {
  ts_tensor *Win;  /* [RES, IN] */
  ts_tensor *W;    /* [RES, RES] */
  ts_tensor *Wout; /* [1, RES], NULL until trained */
  double leak;
};

struct states {
  ts_tensor **h; /* n states [RES], owned */
  int n;
};

// OK: the spectral radius by power iteration; the vector is carried
// across scoped iterations by escaping the new one and freeing the old
static double spectral_radius(const ts_tensor *W) {
  ts_tensor *v = ts_ones(TS_SHAPE(RES), TS_FLOAT32);
  double r = 0.0;
  TS_SCOPE for (int k = 0; k < 30; k++) {
    ts_tensor *w = ts_mv(W, v);
    r = ts_item(ts_norm_Scalar(w, 2.0)) / ts_item(ts_norm_Scalar(v, 2.0));
    ts_tensor *next =
        ts_escape(ts_div_Scalar(w, ts_item(ts_norm_Scalar(w, 2.0))));
    ts_free(v);
    v = next;
  }
  ts_free(v);
  return r;
}

// OK: random weights, W rescaled to radius rho; a failure frees what was
// made and leaves the struct empty
static int esn_init(struct esn *e, double rho, double leak) {
  e->Win = e->W = e->Wout = NULL;
  e->leak = leak;
  e->Win = ts_rand(TS_SHAPE(RES, IN), TS_FLOAT32);
  if (!e->Win)
    goto fail;
  ts_add_Scalar_(e->Win, -0.5, 1.0);
  e->W = ts_randn(TS_SHAPE(RES, RES), TS_FLOAT32);
  if (!e->W)
    goto fail;
  double r = spectral_radius(e->W);
  if (!(r > 0.0))
    goto fail;
  ts_mul_Scalar_(e->W, rho / r);
  return 0;
fail:
  if (e->W)
    ts_free(e->W);
  if (e->Win)
    ts_free(e->Win);
  e->Win = e->W = NULL;
  return -1;
}

// OK: frees what is there and clears it
static void esn_free(struct esn *e) {
  if (e->Wout)
    ts_free(e->Wout);
  if (e->W)
    ts_free(e->W);
  if (e->Win)
    ts_free(e->Win);
  e->Win = e->W = e->Wout = NULL;
}

// OK: one leaky-tanh update in the caller's scope
TS_CALLER_SCOPE static ts_tensor *
esn_step(const struct esn *e, const ts_tensor *h, const ts_tensor *u) {
  ts_tensor *pre = ts_add(ts_mv(e->Win, u), ts_mv(e->W, h));
  return ts_add(ts_mul_scalar(h, 1.0 - e->leak),
                ts_mul_scalar(ts_tanh(pre), e->leak));
}

// OK: a sine input series [STEPS + 1, IN], for the caller
static ts_tensor *input_signal(int n) {
  ts_tensor *t = ts_arange(0.0, (double)n, 1.0, TS_FLOAT32);
  ts_tensor *s = ts_sin(ts_mul_Scalar_(t, 0.3));
  ts_free(t);
  ts_tensor *u = ts_unsqueeze(s, 1);
  ts_free(s);
  return u;
}

// OK: runs the reservoir over U, each new state escaped out of its
// iteration into the array, which owns it
static int collect(const struct esn *e, const ts_tensor *U, int n,
                   struct states *st) {
  st->h = malloc(sizeof *st->h * (size_t)n);
  if (!st->h)
    return -1;
  st->h[0] = ts_zeros(TS_SHAPE(RES), TS_FLOAT32);
  st->n = 1;
  TS_SCOPE for (int t = 1; t < n; t++) {
    ts_tensor *u = ts_select_int(U, 0, t - 1);
    st->h[t] = ts_escape(esn_step(e, st->h[t - 1], u));
    st->n++;
  }
  return 0;
}

// OK: frees every state and the array, and clears them
static void states_free(struct states *st) {
  for (int i = 0; i < st->n; i++)
    ts_free(st->h[i]);
  free(st->h);
  st->h = NULL;
  st->n = 0;
}

// OK: the ridge readout from the states after the washout; the old readout
// is freed when replaced
static int fit_readout(struct esn *e, const struct states *st,
                       const ts_tensor *U, double lam) {
  int n = st->n - WASH - 1;
  ts_tensor *W = NULL;
  TS_SCOPE {
    ts_tensor *H = ts_stack((const ts_tensor *const *)(st->h + WASH), n, 0);
    ts_tensor *Y = ts_narrow(U, 0, WASH, n);
    ts_tensor *Ht = ts_t(H);
    ts_tensor *A =
        ts_add(ts_mm(Ht, H), ts_mul_scalar(ts_eye(RES, TS_FLOAT32, NULL), lam));
    ts_tensor *sol = ts_linalg_solve(A, ts_mm(Ht, Y), true);
    if (sol)
      W = ts_escape(ts_t(sol));
  }
  if (!W)
    return -1;
  if (e->Wout)
    ts_free(e->Wout);
  e->Wout = W;
  return 0;
}

// OK: the one-step prediction from state h, for the caller
static ts_tensor *predict(const struct esn *e, const ts_tensor *h) {
  return ts_mv(e->Wout, h);
}

// OK: fits the readout and measures the training error
void esn_fit(void) {
  struct esn e;
  struct states st;
  ts_manual_seed(53);
  if (esn_init(&e, 0.9, 0.5) != 0)
    return;
  ts_tensor *U = input_signal(STEPS + 1);
  if (collect(&e, U, STEPS, &st) == 0) {
    if (fit_readout(&e, &st, U, 1e-4) == 0) {
      ts_tensor *y = predict(&e, st.h[STEPS - 1]);
      printf("prediction %.3f\n", ts_item(y));
      ts_free(y);
    }
    states_free(&st);
  }
  ts_free(U);
  esn_free(&e);
}

// BUG: leak: the transposed state matrix is made outside any scope and
// never freed
void esn_ridge_leak(void) {
  struct esn e;
  struct states st;
  if (esn_init(&e, 0.9, 0.5) != 0)
    return;
  ts_tensor *U = input_signal(STEPS + 1);
  if (collect(&e, U, STEPS, &st) == 0) {
    ts_tensor *H = ts_stack((const ts_tensor *const *)st.h, st.n, 0);
    ts_tensor *Ht = ts_t(H); // <- BUG
    ts_tensor *G = ts_mm(Ht, H);
    ts_tensor *tr = ts_trace(G);
    printf("state energy %.3f\n", ts_item(tr));
    ts_free(tr);
    ts_free(G);
    ts_free(H);
    states_free(&st);
  }
  ts_free(U);
  esn_free(&e);
}

// BUG: use-after-free: w names the readout that the second fit freed when
// it replaced it
void esn_refit(void) {
  struct esn e;
  struct states st;
  if (esn_init(&e, 0.9, 0.5) != 0)
    return;
  ts_tensor *U = input_signal(STEPS + 1);
  if (collect(&e, U, STEPS, &st) == 0) {
    fit_readout(&e, &st, U, 1e-2);
    ts_tensor *w = e.Wout;
    fit_readout(&e, &st, U, 1e-4);
    ts_tensor *d = ts_sub(e.Wout, w); // <- BUG
    ts_free(d);
    states_free(&st);
  }
  ts_free(U);
  esn_free(&e);
}

// BUG: double-free: the washout states are freed by hand and then again
// by states_free, which frees every state
void esn_drop_washout(void) {
  struct esn e;
  struct states st;
  if (esn_init(&e, 0.9, 0.5) != 0)
    return;
  ts_tensor *U = input_signal(STEPS + 1);
  if (collect(&e, U, STEPS, &st) == 0) {
    for (int t = 0; t < WASH; t++)
      ts_free(st.h[t]);
    fit_readout(&e, &st, U, 1e-4);
    states_free(&st); // <- BUG
  }
  ts_free(U);
  esn_free(&e);
}

// BUG: unescaped-return: the residuals are made in the function's scope
// and returned as they are
TS_SCOPED static ts_tensor *readout_residuals(const struct esn *e,
                                              const struct states *st,
                                              const ts_tensor *U) {
  int n = st->n - WASH - 1;
  ts_tensor *H = ts_stack((const ts_tensor *const *)(st->h + WASH), n, 0);
  ts_tensor *pred = ts_mm(H, ts_t(e->Wout));
  return ts_sub(pred, ts_narrow(U, 0, WASH, n)); // <- BUG
}

// OK: uses and frees what readout_residuals returns
void esn_residuals(void) {
  struct esn e;
  struct states st;
  if (esn_init(&e, 0.9, 0.5) != 0)
    return;
  ts_tensor *U = input_signal(STEPS + 1);
  if (collect(&e, U, STEPS, &st) == 0) {
    if (fit_readout(&e, &st, U, 1e-4) == 0) {
      ts_tensor *r = readout_residuals(&e, &st, U);
      ts_tensor *m = ts_mean(ts_abs_(r));
      printf("mean |r| %.4f\n", ts_item(m));
      ts_free(m);
      ts_free(r);
    }
    states_free(&st);
  }
  ts_free(U);
  esn_free(&e);
}

// BUG: use-after-scope: the last activation is made inside the scoped
// loop and read after it
void esn_last_state(void) {
  struct esn e;
  if (esn_init(&e, 0.9, 0.5) != 0)
    return;
  ts_tensor *U = input_signal(10);
  ts_tensor *h = ts_zeros(TS_SHAPE(RES), TS_FLOAT32);
  ts_tensor *act = NULL;
  TS_SCOPE for (int t = 0; t < 10; t++) {
    ts_tensor *u = ts_select_int(U, 0, t);
    ts_tensor *next = ts_escape(esn_step(&e, h, u));
    ts_free(h);
    h = next;
    act = ts_tanh(h);
  }
  ts_tensor *n = ts_norm_Scalar(act, 2.0); // <- BUG
  printf("|tanh h| %.3f\n", ts_item(n));
  ts_free(n);
  ts_free(h);
  ts_free(U);
  esn_free(&e);
}

// OK: free-running generation: the prediction is fed back, each new state
// escaped and the previous one freed
void esn_generate(void) {
  struct esn e;
  struct states st;
  if (esn_init(&e, 0.9, 0.5) != 0)
    return;
  ts_tensor *U = input_signal(STEPS + 1);
  if (collect(&e, U, STEPS, &st) == 0 && fit_readout(&e, &st, U, 1e-4) == 0) {
    ts_tensor *h = ts_clone(st.h[st.n - 1]);
    double out[10];
    TS_SCOPE for (int k = 0; k < 10; k++) {
      ts_tensor *y = predict(&e, h);
      out[k] = ts_item(y);
      ts_tensor *next = ts_escape(esn_step(&e, h, y));
      ts_free(h);
      h = next;
    }
    printf("generated %.3f .. %.3f\n", out[0], out[9]);
    ts_free(h);
  }
  if (st.h)
    states_free(&st);
  ts_free(U);
  esn_free(&e);
}

// BUG: leak: each generated state replaces h without the old one being
// freed
void esn_generate_leak(void) {
  struct esn e;
  struct states st;
  if (esn_init(&e, 0.9, 0.5) != 0)
    return;
  ts_tensor *U = input_signal(STEPS + 1);
  if (collect(&e, U, STEPS, &st) == 0) {
    if (fit_readout(&e, &st, U, 1e-4) == 0) {
      ts_tensor *h = ts_clone(st.h[st.n - 1]); // <- BUG
      TS_SCOPE for (int k = 0; k < 5; k++) {
        ts_tensor *y = predict(&e, h);
        h = ts_escape(esn_step(&e, h, y));
      }
      ts_free(h);
    }
    states_free(&st);
  }
  ts_free(U);
  esn_free(&e);
}

// BUG: leak: the scaled time axis is made by an out-of-place multiply and
// never freed
static ts_tensor *input_chirp(int n) {
  ts_tensor *t = ts_arange(0.0, (double)n, 1.0, TS_FLOAT32);
  ts_tensor *tt = ts_mul(t, t); // <- BUG
  ts_tensor *s = ts_sin(ts_mul_Scalar_(tt, 0.01));
  ts_free(t);
  ts_tensor *u = ts_unsqueeze(s, 1);
  ts_free(s);
  return u;
}

// OK: a chirp through the reservoir, driven by input_chirp
void esn_chirp(void) {
  struct esn e;
  struct states st;
  if (esn_init(&e, 0.9, 0.3) != 0)
    return;
  ts_tensor *U = input_chirp(STEPS + 1);
  if (collect(&e, U, STEPS, &st) == 0)
    states_free(&st);
  ts_free(U);
  esn_free(&e);
}

// OK: an ensemble: all members made or, on a failure, the made ones freed
static int ensemble_init(struct esn *ens, int n) {
  for (int i = 0; i < n; i++) {
    if (esn_init(&ens[i], 0.8 + 0.05 * i, 0.5) != 0) {
      while (i-- > 0)
        esn_free(&ens[i]);
      return -1;
    }
  }
  return 0;
}

// OK: frees every member
static void ensemble_free(struct esn *ens, int n) {
  for (int i = 0; i < n; i++)
    esn_free(&ens[i]);
}

// OK: the ensemble's mean prediction
void esn_ensemble(void) {
  struct esn ens[ENS];
  if (ensemble_init(ens, ENS) != 0)
    return;
  ts_tensor *U = input_signal(STEPS + 1);
  double sum = 0.0;
  for (int i = 0; i < ENS; i++) {
    struct states st;
    if (collect(&ens[i], U, STEPS, &st) != 0)
      continue;
    if (fit_readout(&ens[i], &st, U, 1e-4) == 0) {
      ts_tensor *y = predict(&ens[i], st.h[st.n - 1]);
      sum += ts_item(y);
      ts_free(y);
    }
    states_free(&st);
  }
  printf("ensemble prediction %.3f\n", sum / ENS);
  ts_free(U);
  ensemble_free(ens, ENS);
}

// BUG: double-free: member 0's input weights are freed by hand and the
// field still names them when ensemble_free runs
void esn_ensemble_trim(void) {
  struct esn ens[ENS];
  if (ensemble_init(ens, ENS) != 0)
    return;
  ts_free(ens[0].Win);
  ensemble_free(ens, ENS); // <- BUG
}

struct nrmse_job {
  const struct esn *e;
  const struct states *st;
  const ts_tensor *U;
  double nrmse;
};

// OK: the normalised error of the readout inside a ts_run job
static void *nrmse_job(void *ctx) {
  struct nrmse_job *j = ctx;
  int n = j->st->n - WASH - 1;
  ts_tensor *H = ts_stack((const ts_tensor *const *)(j->st->h + WASH), n, 0);
  ts_tensor *Y = ts_narrow(j->U, 0, WASH, n);
  ts_tensor *r = ts_sub(ts_mm(H, ts_t(j->e->Wout)), Y);
  j->nrmse = sqrt(ts_item(ts_mean(ts_mul(r, r))) / ts_item(ts_var(Y, true)));
  return NULL;
}

// OK: the NRMSE through ts_run
void esn_nrmse(void) {
  struct esn e;
  struct states st;
  if (esn_init(&e, 0.9, 0.5) != 0)
    return;
  ts_tensor *U = input_signal(STEPS + 1);
  if (collect(&e, U, STEPS, &st) == 0) {
    if (fit_readout(&e, &st, U, 1e-4) == 0) {
      struct nrmse_job j = {&e, &st, U, 0.0};
      ts_run(nrmse_job, &j);
      printf("NRMSE %.4f\n", j.nrmse);
    }
    states_free(&st);
  }
  ts_free(U);
  esn_free(&e);
}

// OK: per-neuron mean activation accumulated in a pooled buffer, released
// after it is read
void esn_activation_stats(void) {
  struct esn e;
  struct states st;
  ts_pool *pool = ts_pool_new(2);
  if (esn_init(&e, 0.9, 0.5) != 0) {
    ts_pool_destroy(pool);
    return;
  }
  ts_tensor *U = input_signal(STEPS + 1);
  if (collect(&e, U, STEPS, &st) == 0) {
    ts_tensor *acc = ts_pool_acquire(pool, TS_SHAPE(RES), TS_FLOAT32);
    if (!acc)
      acc = ts_empty(TS_SHAPE(RES), TS_FLOAT32);
    ts_zero_(acc);
    for (int t = 0; t < st.n; t++)
      ts_add_Tensor_(acc, st.h[t], 1.0 / st.n);
    ts_tensor *mx = ts_max(acc);
    printf("most active neuron %.3f\n", ts_item(mx));
    ts_free(mx);
    ts_pool_release(pool, acc);
    states_free(&st);
  }
  ts_free(U);
  esn_free(&e);
  ts_pool_destroy(pool);
}

// BUG: use-after-free: the accumulator goes back to the pool before its
// maximum is read
void esn_stats_released(void) {
  struct esn e;
  struct states st;
  ts_pool *pool = ts_pool_new(2);
  if (esn_init(&e, 0.9, 0.5) != 0) {
    ts_pool_destroy(pool);
    return;
  }
  ts_tensor *U = input_signal(STEPS + 1);
  if (collect(&e, U, STEPS, &st) == 0) {
    ts_tensor *acc = ts_zeros(TS_SHAPE(RES), TS_FLOAT32);
    for (int t = 0; t < st.n; t++)
      ts_add_Tensor_(acc, st.h[t], 1.0 / st.n);
    ts_pool_release(pool, acc);
    ts_tensor *mx = ts_max(acc); // <- BUG
    ts_free(mx);
    states_free(&st);
  }
  ts_free(U);
  esn_free(&e);
  ts_pool_destroy(pool);
}
