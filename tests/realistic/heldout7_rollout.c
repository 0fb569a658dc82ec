/* heldout7_rollout.c - an on-policy reinforcement-learning rollout buffer:
 * observations, rewards and values appended per step into growable heap
 * arrays of tensors, a linear policy, environments whose state lives in an
 * async scope between steps, generalised advantage estimation, shuffled
 * minibatches, and episode bookkeeping. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define RO_OBS 4
#define RO_ACT 2

typedef struct {
  ts_tensor **obs;  /* [OBS] each */
  ts_tensor **rew;  /* 0-d each */
  ts_tensor **val;  /* 0-d each */
  int n, cap;
} ro_buffer;

typedef struct {
  ts_tensor *W; /* [OBS,ACT] */
  ts_tensor *v; /* [OBS,1] value head */
} ro_policy;

typedef struct {
  ts_async_scope *scope;
  ts_tensor *state; /* [OBS], owned by the scope */
  int t;
} ro_env;

// OK: three parallel arrays grown together
static int ro_reserve(ro_buffer *b, int need) {
  if (need <= b->cap)
    return 0;
  int cap = b->cap ? b->cap * 2 : 8;
  while (cap < need)
    cap *= 2;
  ts_tensor **o = realloc(b->obs, sizeof *o * (size_t)cap);
  if (!o)
    return -1;
  b->obs = o;
  ts_tensor **r = realloc(b->rew, sizeof *r * (size_t)cap);
  if (!r)
    return -1;
  b->rew = r;
  ts_tensor **v = realloc(b->val, sizeof *v * (size_t)cap);
  if (!v)
    return -1;
  b->val = v;
  b->cap = cap;
  return 0;
}

// OK: the buffer takes all three tensors, or frees them when it cannot grow
static int ro_push(ro_buffer *b, ts_tensor *obs, ts_tensor *rew, ts_tensor *val) {
  if (ro_reserve(b, b->n + 1) != 0) {
    ts_free(obs);
    ts_free(rew);
    ts_free(val);
    return -1;
  }
  b->obs[b->n] = obs;
  b->rew[b->n] = rew;
  b->val[b->n] = val;
  b->n++;
  return 0;
}

// OK: frees each step once, then the arrays
static void ro_free(ro_buffer *b) {
  for (int i = 0; i < b->n; i++) {
    ts_free(b->obs[i]);
    ts_free(b->rew[i]);
    ts_free(b->val[i]);
  }
  free(b->obs);
  free(b->rew);
  free(b->val);
  memset(b, 0, sizeof *b);
}

// OK: frees the steps but keeps the arrays for the next rollout
static void ro_clear(ro_buffer *b) {
  for (int i = 0; i < b->n; i++) {
    ts_free(b->obs[i]);
    ts_free(b->rew[i]);
    ts_free(b->val[i]);
  }
  b->n = 0;
}

// OK: a small seeded policy
static int ro_policy_init(ro_policy *p) {
  ts_manual_seed(5);
  p->W = ts_randn(TS_SHAPE(RO_OBS, RO_ACT), TS_FLOAT32);
  if (!p->W)
    return -1;
  p->v = ts_randn(TS_SHAPE(RO_OBS, 1), TS_FLOAT32);
  if (!p->v) {
    ts_free(p->W);
    return -1;
  }
  return 0;
}

// OK: frees both heads
static void ro_policy_free(ro_policy *p) {
  ts_free(p->v);
  ts_free(p->W);
}

// OK: action scores and value for one observation, in the caller's scope
TS_CALLER_SCOPE static ts_tensor *ro_value(const ro_policy *p, const ts_tensor *obs) {
  return ts_squeeze_dim(ts_matmul(ts_unsqueeze(obs, 0), p->v), 0);
}

// OK: greedy action index for one observation
static int ro_act(const ro_policy *p, const ts_tensor *obs) {
  int a = 0;
  TS_SCOPE {
    ts_tensor *logits = ts_matmul(ts_unsqueeze(obs, 0), p->W);
    a = (int)ts_item(ts_argmax(logits));
  }
  return a;
}

// OK: the environment's state lives in its own async scope
static int ro_env_open(ro_env *e, int seed) {
  e->scope = ts_async_scope_begin();
  if (!e->scope)
    return -1;
  ts_async_scope_enter(e->scope);
  e->state = ts_full(TS_SHAPE(RO_OBS), TS_FLOAT32, 0.1 * seed);
  ts_async_scope_leave(e->scope);
  e->t = 0;
  return 0;
}

// OK: one environment step inside its scope; the observation handed out is kept
static ts_tensor *ro_env_step(ro_env *e, int action, double *reward) {
  ts_async_scope_enter(e->scope);
  ts_tensor *push = ts_full(TS_SHAPE(RO_OBS), TS_FLOAT32, action ? 0.05 : -0.05);
  e->state = ts_tanh(ts_add(e->state, push));
  *reward = 1.0 - 0.1 * e->t++;
  ts_tensor *obs = ts_keep(ts_clone(e->state));
  ts_async_scope_leave(e->scope);
  return obs;
}

// OK: the environment's scope ends with everything it owns
static void ro_env_close(ro_env *e) {
  ts_async_scope_end(e->scope);
  e->scope = NULL;
  e->state = NULL;
}

// OK: collects steps into the buffer; observations, rewards and values are manual
static int ro_collect(ro_env *e, const ro_policy *p, ro_buffer *b, int steps) {
  for (int i = 0; i < steps; i++) {
    const ts_tensor *last = b->n ? b->obs[b->n - 1] : e->state;
    int a = 0;
    if (b->n)
      a = ro_act(p, last);
    double r;
    ts_tensor *obs = ro_env_step(e, a, &r);
    ts_tensor *val = NULL;
    TS_SCOPE {
      val = ts_keep(ro_value(p, obs));
    }
    if (ro_push(b, obs, ts_full(NULL, 0, TS_FLOAT32, r), val) != 0)
      return -1;
  }
  return 0;
}

// BUG: use-after-scope: observations are taken straight from the environment's scope, then read after it ends
static double ro_collect_direct(ro_env *e, ro_buffer *b, int steps) {
  for (int i = 0; i < steps; i++) {
    ts_async_scope_enter(e->scope);
    e->state = ts_tanh(ts_add_scalar(e->state, 0.05));
    ts_tensor *obs = ts_clone(e->state);
    ts_async_scope_leave(e->scope);
    ro_push(b, obs, ts_zeros(NULL, 0, TS_FLOAT32), ts_zeros(NULL, 0, TS_FLOAT32));
  }
  ro_env_close(e);
  ts_tensor *all = ts_stack((const ts_tensor *const *)b->obs, b->n, 0); // <- BUG
  if (!all)
    return 0.0;
  ts_tensor *m = ts_mean(all);
  double v = ts_item(m);
  ts_free(m);
  ts_free(all);
  return v;
}

// OK: discounted returns and GAE advantages, built back to front in a guard scope
static ts_tensor *ro_advantages(const ro_buffer *b, double gamma, double lam) {
  TS_SCOPE_GUARD();
  float adv[256];
  double gae = 0.0;
  if (b->n > 256)
    return NULL;
  for (int t = b->n - 1; t >= 0; t--) {
    double next_v = t + 1 < b->n ? ts_item(b->val[t + 1]) : 0.0;
    double delta = ts_item(b->rew[t]) + gamma * next_v - ts_item(b->val[t]);
    gae = delta + gamma * lam * gae;
    adv[t] = (float)gae;
  }
  ts_tensor *a = ts_from_buffer(adv, TS_SHAPE(b->n), TS_FLOAT32);
  ts_tensor *z = ts_div(ts_sub(a, ts_mean(a)), ts_add_scalar(ts_std(a, false), 1e-8));
  return ts_escape(z);
}

// BUG: leak: the per-step deltas stacked into the result are never freed
static ts_tensor *ro_td_errors(const ro_buffer *b, double gamma) {
  ts_tensor *parts[256];
  if (b->n > 256)
    return NULL;
  for (int t = 0; t < b->n; t++) {
    ts_tensor *next_v = t + 1 < b->n ? ts_mul_scalar(b->val[t + 1], gamma) : ts_zeros(NULL, 0, TS_FLOAT32);
    ts_tensor *target = ts_add(b->rew[t], next_v);
    ts_free(next_v);
    parts[t] = ts_sub(target, b->val[t]); // <- BUG
    ts_free(target);
  }
  return ts_stack((const ts_tensor *const *)parts, b->n, 0);
}

// OK: the same stack with every part freed after it
static ts_tensor *ro_td_errors_ok(const ro_buffer *b, double gamma) {
  ts_tensor *parts[256];
  if (b->n > 256)
    return NULL;
  for (int t = 0; t < b->n; t++) {
    TS_SCOPE {
      ts_tensor *next_v = t + 1 < b->n ? ts_mul_scalar(b->val[t + 1], gamma) : ts_zeros(NULL, 0, TS_FLOAT32);
      parts[t] = ts_keep(ts_sub(ts_add(b->rew[t], next_v), b->val[t]));
    }
  }
  ts_tensor *out = ts_stack((const ts_tensor *const *)parts, b->n, 0);
  for (int t = 0; t < b->n; t++)
    ts_free(parts[t]);
  return out;
}

// OK: a shuffled minibatch of observations; the permutation and slice freed
static ts_tensor *ro_minibatch(const ro_buffer *b, int size) {
  ts_tensor *all = ts_stack((const ts_tensor *const *)b->obs, b->n, 0);
  if (!all)
    return NULL;
  ts_tensor *perm = ts_randperm(b->n, TS_INT64, NULL);
  ts_tensor *idx = perm ? ts_narrow(perm, 0, 0, size) : NULL;
  ts_tensor *mb = idx ? ts_index_select(all, 0, idx) : NULL;
  if (idx)
    ts_free(idx);
  if (perm)
    ts_free(perm);
  ts_free(all);
  return mb;
}

// BUG: leak: the best return is kept out of the scope for safety and never freed
static double ro_best_return(const ro_buffer *b) {
  ts_tensor *best = NULL;
  TS_SCOPE {
    ts_tensor *r = ts_stack((const ts_tensor *const *)b->rew, b->n, 0);
    best = ts_keep(ts_max(r)); // <- BUG
  }
  return ts_item(best);
}

// OK: the kept maximum is freed after it is read
static double ro_best_return_ok(const ro_buffer *b) {
  ts_tensor *best = NULL;
  TS_SCOPE {
    ts_tensor *r = ts_stack((const ts_tensor *const *)b->rew, b->n, 0);
    best = ts_keep(ts_max(r));
  }
  double v = ts_item(best);
  ts_free(best);
  return v;
}

// BUG: double-free: the frame-skipped steps share one observation, freed once per step
static int ro_push_skipped(ro_buffer *b, ts_tensor *obs, double reward, int skip) {
  for (int k = 0; k < skip; k++) {
    if (ro_push(b, obs, ts_full(NULL, 0, TS_FLOAT32, reward), ts_zeros(NULL, 0, TS_FLOAT32)) != 0) // <- BUG
      return -1;
  }
  return 0;
}

// OK: every skipped frame gets its own copy of the observation
static int ro_push_skipped_ok(ro_buffer *b, const ts_tensor *obs, double reward, int skip) {
  for (int k = 0; k < skip; k++) {
    ts_tensor *o = ts_clone(obs);
    if (!o || ro_push(b, o, ts_full(NULL, 0, TS_FLOAT32, reward), ts_zeros(NULL, 0, TS_FLOAT32)) != 0)
      return -1;
  }
  return 0;
}

// BUG: use-after-free: the bootstrap observation is cloned after the buffer was cleared
static ts_tensor *ro_next_rollout(ro_buffer *b) {
  const ts_tensor *last = b->obs[b->n - 1];
  ro_clear(b);
  return ts_clone(last); // <- BUG
}

// OK: the bootstrap observation copied before the clear
static ts_tensor *ro_next_rollout_ok(ro_buffer *b) {
  ts_tensor *boot = b->n ? ts_clone(b->obs[b->n - 1]) : NULL;
  ro_clear(b);
  return boot;
}

// BUG: double-free: the episode's rewards are freed after summing, but the buffer still owns them
static double ro_finish_episode(ro_buffer *b, int start) {
  double total = 0.0;
  for (int i = start; i < b->n; i++) {
    total += ts_item(b->rew[i]);
    ts_free(b->rew[i]); // <- BUG
  }
  return total;
}

// OK: the episode's rewards summed, the buffer keeps them
static double ro_episode_return(const ro_buffer *b, int start) {
  double total = 0.0;
  for (int i = start; i < b->n; i++)
    total += ts_item(b->rew[i]);
  return total;
}

// BUG: unescaped-return: the first observation over the threshold is returned out of the iteration's scope
static ts_tensor *ro_first_high(ro_env *e, double thresh, int max_steps) {
  int i = 0;
  TS_SCOPE do {
    double r;
    ts_tensor *obs = ro_env_step(e, 1, &r);
    ts_tensor *norm = ts_linalg_vector_norm(obs, 2.0, NULL, -1, false, TS_NO_DTYPE);
    ts_free(obs);
    ts_tensor *scaled = ts_mul_scalar(norm, 0.5);
    if (ts_item(scaled) > thresh)
      return scaled; // <- BUG
  } while (++i < max_steps);
  return NULL;
}

// OK: the same search, the result escaped out of the iteration's scope
static ts_tensor *ro_first_high_ok(ro_env *e, double thresh, int max_steps) {
  int i = 0;
  TS_SCOPE do {
    double r;
    ts_tensor *obs = ro_env_step(e, 1, &r);
    ts_tensor *norm = ts_linalg_vector_norm(obs, 2.0, NULL, -1, false, TS_NO_DTYPE);
    ts_free(obs);
    if (ts_item(norm) > thresh)
      return ts_escape(norm);
  } while (++i < max_steps);
  return NULL;
}

// OK: a rollout, advantages, a minibatch, and a second rollout bootstrapped from the first
void ro_run_rollout(void) {
  ro_policy p;
  ro_env e;
  ro_buffer b = {0};
  if (ro_policy_init(&p) != 0)
    return;
  if (ro_env_open(&e, 1) == 0) {
    ro_collect(&e, &p, &b, 12);
    ts_tensor *adv = ro_advantages(&b, 0.99, 0.95);
    ts_tensor *td = ro_td_errors_ok(&b, 0.99);
    ts_tensor *mb = ro_minibatch(&b, 4);
    printf("ro: %d steps, adv %lld, td %lld, mb %lld, best %.2f, ep %.2f\n", b.n,
           (long long)ts_numel(adv), (long long)ts_numel(td), (long long)ts_size(mb, 0),
           ro_best_return_ok(&b), ro_episode_return(&b, 0));
    ts_free(mb);
    ts_free(td);
    ts_free(adv);
    ts_tensor *boot = ro_next_rollout_ok(&b);
    if (boot) {
      ro_push_skipped_ok(&b, boot, 0.5, 3);
      ts_free(boot);
    }
    ts_tensor *hi = ro_first_high_ok(&e, 0.1, 5);
    if (hi)
      ts_free(hi);
    ro_env_close(&e);
  }
  ro_free(&b);
  ro_policy_free(&p);
}

// OK: direct collection
void ro_run_direct(void) {
  ro_env e;
  ro_buffer b = {0};
  if (ro_env_open(&e, 2) != 0)
    return;
  printf("ro: mean obs %.3f\n", ro_collect_direct(&e, &b, 3));
  ro_free(&b);
}

// OK: TD errors through the leaky helper
void ro_run_td(void) {
  ro_policy p;
  ro_env e;
  ro_buffer b = {0};
  if (ro_policy_init(&p) != 0)
    return;
  if (ro_env_open(&e, 1) == 0) {
    ro_collect(&e, &p, &b, 3);
    ts_tensor *td = ro_td_errors(&b, 0.9);
    ts_free(td);
    ro_env_close(&e);
  }
  ro_free(&b);
  ro_policy_free(&p);
}

// OK: the best return through the kept maximum
void ro_run_best(void) {
  ro_buffer b = {0};
  for (int i = 0; i < 3; i++)
    ro_push(&b, ts_zeros(TS_SHAPE(RO_OBS), TS_FLOAT32), ts_full(NULL, 0, TS_FLOAT32, i), ts_zeros(NULL, 0, TS_FLOAT32));
  printf("ro: best %.1f\n", ro_best_return(&b));
  ro_free(&b);
}

// OK: frame skipping sharing one observation
void ro_run_skip(void) {
  ro_buffer b = {0};
  ro_push_skipped(&b, ts_ones(TS_SHAPE(RO_OBS), TS_FLOAT32), 1.0, 2);
  ro_free(&b);
}

// OK: a bootstrap through the stale alias
void ro_run_next(void) {
  ro_buffer b = {0};
  ro_push(&b, ts_ones(TS_SHAPE(RO_OBS), TS_FLOAT32), ts_zeros(NULL, 0, TS_FLOAT32), ts_zeros(NULL, 0, TS_FLOAT32));
  ts_tensor *boot = ro_next_rollout(&b);
  if (boot)
    ts_free(boot);
  ro_free(&b);
}

// OK: finishes an episode, then frees the buffer
void ro_run_finish(void) {
  ro_buffer b = {0};
  for (int i = 0; i < 2; i++)
    ro_push(&b, ts_ones(TS_SHAPE(RO_OBS), TS_FLOAT32), ts_full(NULL, 0, TS_FLOAT32, 1.0), ts_zeros(NULL, 0, TS_FLOAT32));
  printf("ro: episode %.1f\n", ro_finish_episode(&b, 0));
  ro_free(&b);
}

// OK: the first high observation, used and freed
void ro_run_first_high(void) {
  ro_env e;
  if (ro_env_open(&e, 3) != 0)
    return;
  ts_tensor *hi = ro_first_high(&e, 0.1, 5);
  if (hi) {
    printf("ro: high %.3f\n", ts_item(hi));
    ts_free(hi);
  }
  ro_env_close(&e);
}

// BUG: use-after-free: the first value estimate is read after the buffer was cleared for the next rollout
void ro_run_value_alias(void) {
  ro_buffer b = {0};
  ro_push(&b, ts_ones(TS_SHAPE(RO_OBS), TS_FLOAT32), ts_zeros(NULL, 0, TS_FLOAT32), ts_full(NULL, 0, TS_FLOAT32, 0.5));
  const ts_tensor *v0 = b.val[0];
  ro_clear(&b);
  ro_push(&b, ts_ones(TS_SHAPE(RO_OBS), TS_FLOAT32), ts_zeros(NULL, 0, TS_FLOAT32), ts_zeros(NULL, 0, TS_FLOAT32));
  printf("ro: baseline %.2f\n", ts_item(v0)); // <- BUG
  ro_free(&b);
}

// BUG: leak: the kept observations returned by the environment are ignored
void ro_run_warm_env(void) {
  ro_env e;
  double r, total = 0.0;
  if (ro_env_open(&e, 1) != 0)
    return;
  for (int i = 0; i < 3; i++) {
    ro_env_step(&e, i % 2, &r); // <- BUG
    total += r;
  }
  printf("ro: warm-up reward %.2f\n", total);
  ro_env_close(&e);
}
