/* heldout9_ppo.c - proximal policy optimisation on a toy bandit-like
 * environment: a rollout buffer of per-step tensors (observations, action
 * log-probabilities, values), generalised advantage estimation, a clipped
 * surrogate objective and minibatch updates. The rollout buffer is a heap
 * array grown on demand; the policy is a pair of weight matrices. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>

#define PPO_OBS 4
#define PPO_ACT 3

typedef struct {
  ts_tensor *obs;  /* [1, PPO_OBS] */
  ts_tensor *logp; /* 0-d log-probability of the action taken */
  double value, reward;
  int action, done;
} ppo_step;

typedef struct {
  ppo_step *steps;
  int n, cap;
} ppo_buffer;

typedef struct {
  ts_tensor *pi; /* [PPO_OBS, PPO_ACT] requires grad */
  ts_tensor *v;  /* [PPO_OBS, 1] requires grad */
} ppo_policy;

// OK: a policy with small random weights requiring grad
static int ppo_policy_init(ppo_policy *p) {
  ts_tensor *a = ts_randn(TS_SHAPE(PPO_OBS, PPO_ACT), TS_FLOAT32);
  ts_tensor *b = ts_randn(TS_SHAPE(PPO_OBS, 1), TS_FLOAT32);
  if (!a || !b) {
    if (a)
      ts_free(a);
    if (b)
      ts_free(b);
    return -1;
  }
  p->pi = ts_mul_scalar(a, 0.1);
  p->v = ts_mul_scalar(b, 0.1);
  ts_free(a);
  ts_free(b);
  ts_requires_grad(p->pi, true);
  ts_requires_grad(p->v, true);
  return 0;
}

// OK: frees the policy
static void ppo_policy_free(ppo_policy *p) {
  ts_free(p->pi);
  ts_free(p->v);
  p->pi = p->v = NULL;
}

// OK: an empty buffer
static void ppo_buf_init(ppo_buffer *b) { memset(b, 0, sizeof *b); }

// OK: frees every step's tensors and the array
static void ppo_buf_free(ppo_buffer *b) {
  for (int i = 0; i < b->n; i++) {
    ts_free(b->steps[i].obs);
    ts_free(b->steps[i].logp);
  }
  free(b->steps);
  memset(b, 0, sizeof *b);
}

// OK: appends a step; the buffer takes obs and logp, or frees them if it cannot grow
static int ppo_buf_push(ppo_buffer *b, ts_tensor *obs, ts_tensor *logp,
                        int action, double value) {
  if (b->n == b->cap) {
    int nc = b->cap ? 2 * b->cap : 4;
    ppo_step *ns = realloc(b->steps, sizeof *ns * (size_t)nc);
    if (!ns) {
      ts_free(obs);
      ts_free(logp);
      return -1;
    }
    b->steps = ns;
    b->cap = nc;
  }
  b->steps[b->n++] = (ppo_step){obs, logp, value, 0.0, action, 0};
  return 0;
}

// OK: an observation for step t
static ts_tensor *ppo_observe(int t) {
  float o[PPO_OBS];
  for (int i = 0; i < PPO_OBS; i++)
    o[i] = (float)((t * 3 + i) % 5) * 0.2f;
  return ts_from_buffer(o, TS_SHAPE(1, PPO_OBS), TS_FLOAT32);
}

// OK: the environment: reward for matching the observation's argmax
static double ppo_reward(int t, int action) { return action == (t * 3) % PPO_ACT ? 1.0 : 0.0; }

// OK: acts greedily; the action's log-probability is kept for the buffer
static int ppo_act(const ppo_policy *p, const ts_tensor *obs, ts_tensor **logp, double *value) {
  int a = 0;
  TS_SCOPE {
    ts_tensor *lp = ts_log_softmax(ts_matmul(obs, p->pi), 1);
    float buf[PPO_ACT];
    ts_copy_to_buffer(lp, buf, sizeof buf);
    for (int i = 1; i < PPO_ACT; i++)
      if (buf[i] > buf[a])
        a = i;
    *logp = ts_keep(ts_full(TS_SHAPE(1), TS_FLOAT32, buf[a]));
    *value = ts_item(ts_matmul(obs, p->v));
  }
  return a;
}

// OK: collects a rollout of n steps into the buffer
static int ppo_collect(const ppo_policy *p, ppo_buffer *b, int n) {
  for (int t = 0; t < n; t++) {
    ts_tensor *obs = ppo_observe(t);
    ts_tensor *lp;
    double v;
    int a = ppo_act(p, obs, &lp, &v);
    if (ppo_buf_push(b, obs, lp, a, v) != 0)
      return -1;
    b->steps[b->n - 1].reward = ppo_reward(t, a);
    b->steps[b->n - 1].done = (t % 5) == 4;
  }
  return 0;
}

// OK: advantages by GAE into a plain array
static void ppo_gae(const ppo_buffer *b, double gamma, double lam, double *adv) {
  double next_v = 0, run = 0;
  for (int i = b->n - 1; i >= 0; i--) {
    const ppo_step *s = &b->steps[i];
    if (s->done)
      next_v = run = 0;
    double delta = s->reward + gamma * next_v - s->value;
    run = delta + gamma * lam * run;
    adv[i] = run;
    next_v = s->value;
  }
}

// OK: the clipped surrogate loss of a minibatch, in the caller's scope
TS_CALLER_SCOPE static ts_tensor *ppo_surrogate(const ppo_policy *p, const ppo_buffer *b,
                                               const double *adv, int lo, int hi) {
  ts_tensor *loss = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
  for (int i = lo; i < hi; i++) {
    const ppo_step *s = &b->steps[i];
    ts_tensor *lp = ts_log_softmax(ts_matmul(s->obs, p->pi), 1);
    float oh[PPO_ACT] = {0};
    oh[s->action] = 1.0f;
    ts_tensor *onehot = ts_from_buffer(oh, TS_SHAPE(PPO_ACT, 1), TS_FLOAT32);
    ts_tensor *new_lp = ts_reshape(ts_matmul(lp, onehot), TS_SHAPE(1));
    ts_tensor *ratio = ts_exp(ts_sub(new_lp, s->logp));
    ts_tensor *term = ts_mul_scalar(ratio, -adv[i]);
    loss = ts_add(loss, term);
  }
  return ts_mul_scalar(ts_sum(loss), 1.0 / (hi - lo));
}

// OK: one epoch of minibatch updates
static void ppo_update(ppo_policy *p, const ppo_buffer *b, const double *adv, int mb, double lr) {
  TS_SCOPE for (int lo = 0; lo < b->n; lo += mb) {
    int hi = lo + mb < b->n ? lo + mb : b->n;
    ts_tensor *loss = ppo_surrogate(p, b, adv, lo, hi);
    if (ts_backward(loss) != TS_OK)
      break;
    ts_sgd_step(p->pi, lr);
    ts_zero_grad(p->pi);
  }
}

// OK: entry: collect, estimate advantages, update, twice
void ppo_entry_train(void) {
  ppo_policy p;
  if (ppo_policy_init(&p) != 0)
    return;
  for (int it = 0; it < 2; it++) {
    ppo_buffer b;
    ppo_buf_init(&b);
    if (ppo_collect(&p, &b, 10) == 0) {
      double adv[10];
      ppo_gae(&b, 0.99, 0.95, adv);
      ppo_update(&p, &b, adv, 4, 0.05);
    }
    ppo_buf_free(&b);
  }
  ppo_policy_free(&p);
}

// BUG: leak: when the episode ends the step's observation is dropped instead of pushed
static int ppo_collect_episode(const ppo_policy *p, ppo_buffer *b, int max) {
  for (int t = 0; t < max; t++) {
    ts_tensor *obs = ppo_observe(t); // <- BUG
    if (t > 0 && b->steps[b->n - 1].done)
      return t;
    ts_tensor *lp;
    double v;
    int a = ppo_act(p, obs, &lp, &v);
    if (ppo_buf_push(b, obs, lp, a, v) != 0)
      return -1;
    b->steps[b->n - 1].done = t == 2;
  }
  return max;
}

// OK: entry: an episode that ends before max
void ppo_entry_episode(void) {
  ppo_policy p;
  if (ppo_policy_init(&p) != 0)
    return;
  ppo_buffer b;
  ppo_buf_init(&b);
  printf("%d steps\n", ppo_collect_episode(&p, &b, 8));
  ppo_buf_free(&b);
  ppo_policy_free(&p);
}

// BUG: use-after-free: the last observation is read after ppo_buf_free released the buffer
static double ppo_last_obs_sum(ppo_buffer *b) {
  ts_tensor *last = b->n ? b->steps[b->n - 1].obs : NULL;
  ppo_buf_free(b);
  if (!last)
    return 0.0;
  ts_tensor *s = ts_sum(last); // <- BUG
  double v = ts_item(s);
  ts_free(s);
  return v;
}

// OK: entry: a rollout summarised through ppo_last_obs_sum
void ppo_entry_last_obs(void) {
  ppo_policy p;
  if (ppo_policy_init(&p) != 0)
    return;
  ppo_buffer b;
  ppo_buf_init(&b);
  ppo_collect(&p, &b, 3);
  printf("%.2f\n", ppo_last_obs_sum(&b));
  ppo_policy_free(&p);
}

// OK: pushes up to max steps; it takes obs and logp in every case (a refused push frees them)
static int ppo_push_limited(ppo_buffer *b, ts_tensor *obs, ts_tensor *logp, int max) {
  if (b->n >= max) {
    ts_free(obs);
    ts_free(logp);
    return -1;
  }
  return ppo_buf_push(b, obs, logp, 0, 0.0);
}

// BUG: double-free: the collector frees what ppo_push_limited already freed when it refused the push
void ppo_entry_push_limited(void) {
  ppo_buffer b;
  ppo_buf_init(&b);
  for (int t = 0; t < 4; t++) {
    ts_tensor *obs = ppo_observe(t);
    ts_tensor *lp = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
    if (ppo_push_limited(&b, obs, lp, 2) != 0) {
      ts_free(obs); // <- BUG
      ts_free(lp);
      break;
    }
  }
  ppo_buf_free(&b);
}

// OK: entry: a limited collector that relies on ppo_push_limited's ownership
void ppo_entry_push_limited_ok(void) {
  ppo_buffer b;
  ppo_buf_init(&b);
  for (int t = 0; t < 4; t++)
    if (ppo_push_limited(&b, ppo_observe(t), ts_zeros(TS_SHAPE(1), TS_FLOAT32), 2) != 0)
      break;
  printf("%d kept\n", b.n);
  ppo_buf_free(&b);
}

// BUG: unescaped-return: the value estimates are returned from TS_SCOPED without ts_escape
TS_SCOPED static ts_tensor *ppo_values(const ppo_policy *p, const ppo_buffer *b) {
  ts_tensor *rows[16];
  int n = b->n < 16 ? b->n : 16;
  for (int i = 0; i < n; i++)
    rows[i] = ts_matmul(b->steps[i].obs, p->v);
  ts_tensor *all = ts_zeros(TS_SHAPE(1, 1), TS_FLOAT32);
  for (int i = 0; i < n; i++)
    all = ts_add(all, rows[i]);
  return ts_mul_scalar(all, 1.0 / (n ? n : 1)); // <- BUG
}

// OK: entry: mean value estimate through ppo_values
void ppo_entry_values(void) {
  ppo_policy p;
  if (ppo_policy_init(&p) != 0)
    return;
  ppo_buffer b;
  ppo_buf_init(&b);
  ppo_collect(&p, &b, 4);
  ts_tensor *v = ppo_values(&p, &b);
  printf("%.4f\n", ts_item(v));
  ts_free(v);
  ppo_buf_free(&b);
  ppo_policy_free(&p);
}

// BUG: use-after-scope: the minibatch loss is logged after its iteration's scope ended
static double ppo_update_logged(ppo_policy *p, const ppo_buffer *b, const double *adv, int mb) {
  ts_tensor *last = NULL;
  TS_SCOPE for (int lo = 0; lo < b->n; lo += mb) {
    int hi = lo + mb < b->n ? lo + mb : b->n;
    last = ppo_surrogate(p, b, adv, lo, hi);
    ts_backward(last);
    ts_sgd_step(p->pi, 0.01);
    ts_zero_grad(p->pi);
  }
  return last ? ts_item(last) : 0.0; // <- BUG
}

// OK: entry: drives ppo_update_logged
void ppo_entry_update_logged(void) {
  ppo_policy p;
  if (ppo_policy_init(&p) != 0)
    return;
  ppo_buffer b;
  ppo_buf_init(&b);
  ppo_collect(&p, &b, 6);
  double adv[6];
  ppo_gae(&b, 0.9, 0.9, adv);
  printf("%.4f\n", ppo_update_logged(&p, &b, adv, 3));
  ppo_buf_free(&b);
  ppo_policy_free(&p);
}

// BUG: leak: the normalised advantage tensor is only freed when its spread is large enough
static int ppo_normalise(double *adv, int n) {
  ts_tensor *a = ts_from_buffer(adv, TS_SHAPE(n), TS_FLOAT64); // <- BUG
  double mu, sd;
  TS_SCOPE {
    ts_tensor *m = ts_mean(a);
    mu = ts_item(m);
    ts_tensor *d = ts_add_scalar(a, -mu);
    sd = ts_item(ts_mean(ts_mul(d, d)));
  }
  if (sd < 1e-8)
    return -1;
  for (int i = 0; i < n; i++)
    adv[i] = (adv[i] - mu) / sd;
  ts_free(a);
  return 0;
}

// OK: entry: constant advantages have no spread
void ppo_entry_normalise_flat(void) {
  double adv[4] = {1, 1, 1, 1};
  ppo_normalise(adv, 4);
}

// BUG: double-free: dropping finished episodes frees a step's tensors and then compacts without removing them
static void ppo_drop_done(ppo_buffer *b) {
  for (int i = 0; i < b->n; i++)
    if (b->steps[i].done) {
      ts_free(b->steps[i].obs); // <- BUG
      ts_free(b->steps[i].logp);
    }
}

// OK: entry: a rollout with done steps, dropped, then freed
void ppo_entry_drop_done(void) {
  ppo_policy p;
  if (ppo_policy_init(&p) != 0)
    return;
  ppo_buffer b;
  ppo_buf_init(&b);
  ppo_collect(&p, &b, 6);
  ppo_drop_done(&b);
  ppo_buf_free(&b);
  ppo_policy_free(&p);
}

// OK: drops finished steps and compacts the array
static void ppo_drop_done_ok(ppo_buffer *b) {
  int k = 0;
  for (int i = 0; i < b->n; i++) {
    if (b->steps[i].done) {
      ts_free(b->steps[i].obs);
      ts_free(b->steps[i].logp);
      continue;
    }
    b->steps[k++] = b->steps[i];
  }
  b->n = k;
}

// OK: entry: the compacting drop
void ppo_entry_drop_done_ok(void) {
  ppo_policy p;
  if (ppo_policy_init(&p) != 0)
    return;
  ppo_buffer b;
  ppo_buf_init(&b);
  ppo_collect(&p, &b, 11);
  ppo_drop_done_ok(&b);
  printf("%d left\n", b.n);
  ppo_buf_free(&b);
  ppo_policy_free(&p);
}

// BUG: use-after-free: the old policy weights are compared after the swap freed them
static double ppo_swap_policy(ppo_policy *p, ppo_policy *fresh) {
  ts_tensor *old_pi = p->pi;
  ppo_policy_free(p);
  *p = *fresh;
  double d = 0;
  TS_SCOPE { d = ts_item(ts_mse_loss(p->pi, old_pi)); } // <- BUG
  return d;
}

// OK: entry: two policies swapped through ppo_swap_policy
void ppo_entry_swap(void) {
  ppo_policy a, b;
  if (ppo_policy_init(&a) != 0)
    return;
  if (ppo_policy_init(&b) != 0) {
    ppo_policy_free(&a);
    return;
  }
  printf("%.4f\n", ppo_swap_policy(&a, &b));
  ppo_policy_free(&a);
}
