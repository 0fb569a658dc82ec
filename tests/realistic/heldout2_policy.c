/* heldout2_policy.c - REINFORCE: a policy MLP returned by value, sampled
 * actions whose log-probabilities go into a growable episode buffer,
 * discounted returns, a running baseline, gradient clipping.
 * Labels: tests/realistic/README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define OBS 4
#define HID 16
#define ACT 2

struct policy {
  ts_tensor *w1, *b1, *w2;
};

struct episode {
  ts_tensor **logp; /* owned, one per step */
  double *rewards;
  int n, cap;
};

struct baseline {
  ts_tensor *value;
};

// OK: a policy by value; every field requires grad; the caller owns them
static struct policy policy_new(void) {
  struct policy p;
  p.w1 = ts_randn(TS_SHAPE(HID, OBS), TS_FLOAT32);
  p.b1 = ts_zeros(TS_SHAPE(HID), TS_FLOAT32);
  p.w2 = ts_randn(TS_SHAPE(ACT, HID), TS_FLOAT32);
  ts_requires_grad(p.w1, true);
  ts_requires_grad(p.b1, true);
  ts_requires_grad(p.w2, true);
  return p;
}

// OK: frees the three parameters
static void policy_free(struct policy *p) {
  ts_free(p->w1);
  ts_free(p->b1);
  ts_free(p->w2);
}

// OK: logits in the caller's scope
TS_CALLER_SCOPE static ts_tensor *policy_logits(const struct policy *p,
                                                const ts_tensor *obs) {
  ts_tensor *h = ts_relu(ts_linear(obs, p->w1, p->b1));
  return ts_linear(h, p->w2, NULL);
}

// OK: samples an action; its log-probability leaves the guard's scope through
// the out-parameter, escaped
static int sample_action(const struct policy *p, const ts_tensor *obs,
                         ts_tensor **logp) {
  TS_SCOPE_GUARD();
  ts_tensor *logits = policy_logits(p, obs);
  ts_tensor *lsm = ts_log_softmax(logits, -1);
  ts_tensor *probs = ts_exp(lsm);
  ts_tensor *a = ts_multinomial(probs, 1, false);
  int act = (int)ts_item(a);
  ts_tensor *lp = ts_select_int(lsm, 1, act);
  *logp = ts_escape(lp);
  return act;
}

// BUG: leak: the greedy action frees the logits but not the probabilities
static int greedy_action(const struct policy *p, const ts_tensor *obs) {
  ts_tensor *h = ts_linear(obs, p->w1, p->b1);
  ts_relu_(h);
  ts_tensor *logits = ts_linear(h, p->w2, NULL);
  ts_free(h);
  ts_tensor *probs = ts_softmax(logits, -1); // <- BUG
  ts_tensor *a = ts_argmax(probs);
  int act = (int)ts_item(a);
  ts_free(a);
  ts_free(logits);
  return act;
}

// OK: a toy environment: reward 1 until step 5, then -1 (episode over)
static double env_step(int t, int act) {
  (void)act;
  return t < 5 ? 1.0 : -1.0;
}

// OK: takes ownership of logp; on allocation failure it is freed here
static int episode_push(struct episode *e, ts_tensor *logp, double r) {
  if (e->n == e->cap) {
    int cap = e->cap ? 2 * e->cap : 4;
    ts_tensor **lp = realloc(e->logp, cap * sizeof *lp);
    if (!lp) {
      ts_free(logp);
      return -1;
    }
    e->logp = lp;
    double *rw = realloc(e->rewards, cap * sizeof *rw);
    if (!rw) {
      ts_free(logp);
      return -1;
    }
    e->rewards = rw;
    e->cap = cap;
  }
  e->logp[e->n] = logp;
  e->rewards[e->n] = r;
  e->n++;
  return 0;
}

// OK: frees every stored log-probability and the arrays
static void episode_clear(struct episode *e) {
  for (int i = 0; i < e->n; i++)
    ts_free(e->logp[i]);
  free(e->logp);
  free(e->rewards);
  *e = (struct episode){0};
}

// OK: discounted, normalised returns as a new tensor; temporaries freed
static ts_tensor *discounted_returns(const double *r, int n, double gamma) {
  float *g = malloc(n * sizeof *g);
  if (!g)
    return NULL;
  double acc = 0;
  for (int i = n - 1; i >= 0; i--) {
    acc = r[i] + gamma * acc;
    g[i] = (float)acc;
  }
  ts_tensor *ret = ts_from_buffer(g, TS_SHAPE(n), TS_FLOAT32);
  free(g);
  ts_tensor *mu = ts_mean(ret);
  ts_tensor *c = ts_sub(ret, mu);
  ts_tensor *sd = ts_std(ret, true);
  ts_tensor *sd_eps = ts_add_scalar(sd, 1e-6);
  ts_tensor *out = ts_div(c, sd_eps);
  ts_free(sd_eps);
  ts_free(sd);
  ts_free(c);
  ts_free(mu);
  ts_free(ret);
  return out;
}

// BUG: use-after-free: the raw returns are freed once centred, then their
// standard deviation is taken
static ts_tensor *returns_scaled(const double *r, int n, double gamma) {
  float g[64];
  double acc = 0;
  for (int i = n - 1; i >= 0; i--) {
    acc = r[i] + gamma * acc;
    g[i] = (float)acc;
  }
  ts_tensor *ret = ts_from_buffer(g, TS_SHAPE(n), TS_FLOAT32);
  ts_tensor *mu = ts_mean(ret);
  ts_tensor *c = ts_sub(ret, mu);
  ts_free(mu);
  ts_free(ret);
  ts_tensor *sd = ts_std(ret, true); // <- BUG
  ts_tensor *out = ts_div(c, sd);
  ts_free(sd);
  ts_free(c);
  return out;
}

// OK: -mean(logp * G); the stacked log-probabilities are freed here
static ts_tensor *pg_loss(const struct episode *e, const ts_tensor *returns) {
  ts_tensor *lp = ts_stack((const ts_tensor *const *)e->logp, e->n, 0);
  ts_tensor *lpv = ts_reshape(lp, TS_SHAPE(e->n));
  ts_tensor *w = ts_mul(lpv, returns);
  ts_tensor *m = ts_mean(w);
  ts_tensor *loss = ts_neg(m);
  ts_free(m);
  ts_free(w);
  ts_free(lpv);
  ts_free(lp);
  return loss;
}

// OK: one SGD step on the three parameters, gradients zeroed after
static void policy_step(struct policy *p, double lr) {
  ts_sgd_step(p->w1, lr);
  ts_sgd_step(p->b1, lr);
  ts_sgd_step(p->w2, lr);
  ts_zero_grad(p->w1);
  ts_zero_grad(p->b1);
  ts_zero_grad(p->w2);
}

// OK: a full REINFORCE episode: the buffer owns the log-probabilities; the
// terminal step's log-probability is freed before the break
void pg_episode(void) {
  struct policy p = policy_new();
  struct episode e = {0};
  for (int t = 0; t < 10; t++) {
    ts_tensor *obs = ts_randn(TS_SHAPE(1, OBS), TS_FLOAT32);
    ts_tensor *lp = NULL;
    int a = sample_action(&p, obs, &lp);
    ts_free(obs);
    double r = env_step(t, a);
    if (r < 0) {
      ts_free(lp);
      break;
    }
    if (episode_push(&e, lp, r) != 0)
      break;
  }
  ts_tensor *g = discounted_returns(e.rewards, e.n, 0.99);
  ts_tensor *loss = pg_loss(&e, g);
  ts_backward(loss);
  policy_step(&p, 0.01);
  printf("pg loss %.3f over %d steps\n", ts_item(loss), e.n);
  ts_free(loss);
  ts_free(g);
  episode_clear(&e);
  policy_free(&p);
}

// BUG: leak: the terminal step breaks out before its log-probability is
// pushed or freed
void pg_episode_early_stop(void) {
  struct policy p = policy_new();
  struct episode e = {0};
  for (int t = 0; t < 10; t++) {
    ts_tensor *obs = ts_randn(TS_SHAPE(1, OBS), TS_FLOAT32);
    ts_tensor *lp = NULL;
    int a = sample_action(&p, obs, &lp); // <- BUG
    ts_free(obs);
    double r = env_step(t, a);
    if (r < 0)
      break;
    episode_push(&e, lp, r);
  }
  printf("episode of %d steps\n", e.n);
  episode_clear(&e);
  policy_free(&p);
}

// BUG: double-free: the caller frees the log-probability after pushing it, as
// if the buffer copied it; episode_clear frees it again
void pg_episode_copy_assumed(void) {
  struct policy p = policy_new();
  struct episode e = {0};
  for (int t = 0; t < 3; t++) {
    ts_tensor *obs = ts_randn(TS_SHAPE(1, OBS), TS_FLOAT32);
    ts_tensor *lp = NULL;
    int a = sample_action(&p, obs, &lp);
    episode_push(&e, lp, env_step(t, a));
    ts_free(lp);
    ts_free(obs);
  }
  episode_clear(&e); // <- BUG
  policy_free(&p);
}

// OK: greedy evaluation (the helper's leak is its own) and scaled returns
void pg_greedy(void) {
  struct policy p = policy_new();
  ts_tensor *obs = ts_randn(TS_SHAPE(1, OBS), TS_FLOAT32);
  printf("greedy action %d\n", greedy_action(&p, obs));
  ts_free(obs);
  policy_free(&p);
}

// OK: drives returns_scaled
void pg_returns_scaled(void) {
  double r[6] = {1, 1, 1, 1, 1, -1};
  ts_tensor *g = returns_scaled(r, 6, 0.9);
  printf("returns %lld\n", (long long)ts_numel(g));
  ts_free(g);
}

// BUG: use-after-scope: the baseline is updated inside a TS_SCOPE block and
// read by the next episode's advantage after the block ended
void pg_baseline(void) {
  struct baseline b = {NULL};
  double r[4] = {1, 0.5, 0.25, 1};
  for (int ep = 0; ep < 2; ep++) {
    ts_tensor *g = discounted_returns(r, 4, 0.9);
    if (b.value) {
      ts_tensor *adv = ts_sub(g, b.value); // <- BUG
      printf("advantage %lld\n", (long long)ts_numel(adv));
      ts_free(adv);
    }
    TS_SCOPE {
      ts_tensor *m = ts_mean(g);
      b.value = ts_mul_scalar(m, 0.9);
    }
    ts_free(g);
  }
}

// OK: the baseline is kept out of the block's scope; the old one is freed
void pg_baseline_kept(void) {
  struct baseline b = {NULL};
  double r[4] = {1, 0.5, 0.25, 1};
  for (int ep = 0; ep < 3; ep++) {
    ts_tensor *g = discounted_returns(r, 4, 0.9);
    if (b.value) {
      ts_tensor *adv = ts_sub(g, b.value);
      printf("advantage %lld\n", (long long)ts_numel(adv));
      ts_free(adv);
    }
    TS_SCOPE {
      ts_tensor *m = ts_mean(g);
      ts_tensor *nb = ts_keep(ts_mul_scalar(m, 0.9));
      if (b.value)
        ts_free(b.value);
      b.value = nb;
    }
    ts_free(g);
  }
  if (b.value)
    ts_free(b.value);
}

// BUG: unescaped-return: the entropy bonus is returned from the TS_SCOPED
// body without ts_escape
TS_SCOPED static ts_tensor *entropy_bonus(const ts_tensor *logits,
                                          double beta) {
  ts_tensor *lsm = ts_log_softmax(logits, -1);
  ts_tensor *p = ts_exp(lsm);
  ts_tensor *h = ts_neg(ts_sum(ts_mul(p, lsm)));
  return ts_mul_scalar(h, beta); // <- BUG
}

// OK: uses and frees the bonus (the helper is wrong)
void pg_entropy(void) {
  ts_tensor *logits = ts_randn(TS_SHAPE(1, ACT), TS_FLOAT32);
  ts_tensor *h = entropy_bonus(logits, 0.01);
  printf("entropy %.4f\n", ts_item(h));
  ts_free(h);
  ts_free(logits);
}

// OK: a gradient's norm, clipped in place through the gradient handle
static void clip_grad(ts_tensor *param, double max_norm) {
  ts_tensor *g = ts_grad(param);
  if (!g)
    return;
  ts_tensor *n = ts_norm_Scalar(g, 2.0);
  double norm = ts_item(n);
  ts_free(n);
  if (norm > max_norm)
    ts_mul_Scalar_(g, max_norm / norm);
  ts_free(g);
}

// BUG: use-after-free: the gradient handle is freed right after its norm is
// read and then scaled in place
static void clip_grad_early(ts_tensor *param, double max_norm) {
  ts_tensor *g = ts_grad(param);
  if (!g)
    return;
  ts_tensor *n = ts_norm_Scalar(g, 2.0);
  double norm = ts_item(n);
  ts_free(n);
  ts_free(g);
  if (norm > max_norm)
    ts_mul_Scalar_(g, max_norm / norm); // <- BUG
}

// OK: a loss with gradients, clipped both ways (the early one is buggy)
static void clip_demo(void (*clip)(ts_tensor *, double)) {
  ts_tensor *w = ts_randn(TS_SHAPE(8), TS_FLOAT32);
  ts_requires_grad(w, true);
  ts_tensor *sq = ts_mul(w, w);
  ts_tensor *s = ts_sum(sq);
  ts_tensor *loss = ts_mul_scalar(s, 100.0);
  ts_backward(loss);
  clip(w, 1.0);
  ts_free(loss);
  ts_free(s);
  ts_free(sq);
  ts_free(w);
}

// OK: clips with the correct helper
void pg_clip(void) { clip_demo(clip_grad); }

// OK: clips with the early-free helper (its bug is its own)
void pg_clip_early(void) { clip_demo(clip_grad_early); }
