/* heldout3_hmm.c - hidden Markov models in log space: the forward and
 * backward recursions, Viterbi decoding with back-pointers in an array,
 * posteriors, sampling, a re-estimation step, and a CTC-style alignment
 * table filled row by row in a scoped loop.
 * Labels: tests/realistic/README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { S = 3, V = 4, T = 6 };

static const int64_t OBS[T] = {0, 1, 3, 2, 2, 0};

struct hmm {
  ts_tensor *logpi; /* [S] */
  ts_tensor *logA;  /* [S,S] rows: from */
  ts_tensor *logB;  /* [S,V] */
};

// OK: a random stochastic table in log space, for the caller
static ts_tensor *log_stochastic(int64_t rows, int64_t cols) {
  ts_tensor *r = ts_rand(TS_SHAPE(rows, cols), TS_FLOAT64);
  ts_tensor *l = ts_log_softmax(r, 1);
  ts_free(r);
  return l;
}

// OK: the model's three tables; the initial distribution from a [1,S] row
static int hmm_init(struct hmm *h) {
  ts_tensor *p = log_stochastic(1, S);
  h->logpi = ts_reshape(p, TS_SHAPE(S));
  ts_free(p);
  h->logA = log_stochastic(S, S);
  h->logB = log_stochastic(S, V);
  if (!h->logpi || !h->logA || !h->logB) {
    if (h->logpi)
      ts_free(h->logpi);
    if (h->logA)
      ts_free(h->logA);
    if (h->logB)
      ts_free(h->logB);
    return -1;
  }
  return 0;
}

// OK: frees the tables
static void hmm_free(struct hmm *h) {
  ts_free(h->logpi);
  ts_free(h->logA);
  ts_free(h->logB);
}

// OK: log emission probabilities of symbol o, a view for the caller
static ts_tensor *emission(const struct hmm *h, int64_t o) {
  return ts_select_int(h->logB, 1, o);
}

// OK: one forward step: logsumexp over the previous states
static ts_tensor *forward_step(const struct hmm *h, const ts_tensor *alpha,
                               int64_t o) {
  ts_tensor *col = ts_unsqueeze(alpha, 1);
  ts_tensor *sum = ts_add(col, h->logA);
  ts_free(col);
  ts_tensor *next = ts_logsumexp(sum, TS_SHAPE(0), false);
  ts_free(sum);
  ts_tensor *e = emission(h, o);
  ts_add_Tensor_(next, e, 1.0);
  ts_free(e);
  return next;
}

// OK: the log-likelihood of the observations; alpha replaced each step
static double hmm_loglik(const struct hmm *h, const int64_t *obs, int n) {
  ts_tensor *e0 = emission(h, obs[0]);
  ts_tensor *alpha = ts_add(h->logpi, e0);
  ts_free(e0);
  for (int t = 1; t < n; t++) {
    ts_tensor *next = forward_step(h, alpha, obs[t]);
    ts_free(alpha);
    alpha = next;
  }
  ts_tensor *ll = ts_logsumexp(alpha, TS_SHAPE(0), false);
  double v = ts_item(ll);
  ts_free(ll);
  ts_free(alpha);
  return v;
}

// OK: prints the log-likelihood
void hmm_forward(void) {
  struct hmm h;
  if (hmm_init(&h) != 0)
    return;
  printf("loglik %.4f\n", hmm_loglik(&h, OBS, T));
  hmm_free(&h);
}

// BUG: leak: the inlined step takes the emission view and never frees it
static double hmm_loglik_inline(const struct hmm *h, const int64_t *obs,
                                int n) {
  ts_tensor *alpha = ts_clone(h->logpi);
  for (int t = 0; t < n; t++) {
    if (t > 0) {
      ts_tensor *col = ts_unsqueeze(alpha, 1);
      ts_tensor *sum = ts_add(col, h->logA);
      ts_free(col);
      ts_free(alpha);
      alpha = ts_logsumexp(sum, TS_SHAPE(0), false);
      ts_free(sum);
    }
    ts_tensor *e = emission(h, obs[t]); // <- BUG
    ts_add_Tensor_(alpha, e, 1.0);
  }
  ts_tensor *ll = ts_logsumexp(alpha, TS_SHAPE(0), false);
  double v = ts_item(ll);
  ts_free(ll);
  ts_free(alpha);
  return v;
}

// OK: compares the two (the inline one leaks)
void hmm_forward_inline(void) {
  struct hmm h;
  if (hmm_init(&h) != 0)
    return;
  printf("loglik %.4f vs %.4f\n", hmm_loglik(&h, OBS, T),
         hmm_loglik_inline(&h, OBS, T));
  hmm_free(&h);
}

// OK: Viterbi: back-pointers in an array, the best path read back, all
// freed
static void viterbi(const struct hmm *h, const int64_t *obs, int n,
                    int64_t *path) {
  ts_tensor *bp[T] = {NULL};
  ts_tensor *e0 = emission(h, obs[0]);
  ts_tensor *delta = ts_add(h->logpi, e0);
  ts_free(e0);
  for (int t = 1; t < n; t++) {
    ts_tensor *col = ts_unsqueeze(delta, 1);
    ts_tensor *sc = ts_add(col, h->logA);
    ts_free(col);
    ts_tensor *mx[2];
    ts_max_dim(mx, sc, 0, false);
    ts_free(sc);
    ts_tensor *e = emission(h, obs[t]);
    ts_add_Tensor_(mx[0], e, 1.0);
    ts_free(e);
    ts_free(delta);
    delta = mx[0];
    bp[t] = mx[1];
  }
  ts_tensor *last = ts_argmax(delta);
  path[n - 1] = (int64_t)ts_item(last);
  ts_free(last);
  ts_free(delta);
  for (int t = n - 1; t > 0; t--) {
    int64_t buf[S];
    ts_copy_to_buffer(bp[t], buf, sizeof buf);
    path[t - 1] = buf[path[t]];
    ts_free(bp[t]);
  }
}

// OK: decodes and prints the path
void hmm_viterbi(void) {
  struct hmm h;
  if (hmm_init(&h) != 0)
    return;
  int64_t path[T];
  viterbi(&h, OBS, T, path);
  for (int t = 0; t < T; t++)
    printf("%lld ", (long long)path[t]);
  printf("\n");
  hmm_free(&h);
}

// BUG: leak: the state of the final argmax is read and the tensor dropped
static int64_t viterbi_last_state(const struct hmm *h, const int64_t *obs,
                                  int n) {
  ts_tensor *e0 = emission(h, obs[0]);
  ts_tensor *delta = ts_add(h->logpi, e0);
  ts_free(e0);
  for (int t = 1; t < n; t++) {
    ts_tensor *col = ts_unsqueeze(delta, 1);
    ts_tensor *sc = ts_add(col, h->logA);
    ts_free(col);
    ts_tensor *mx[2];
    ts_max_dim(mx, sc, 0, false);
    ts_free(sc);
    ts_free(mx[1]);
    ts_tensor *e = emission(h, obs[t]);
    ts_add_Tensor_(mx[0], e, 1.0);
    ts_free(e);
    ts_free(delta);
    delta = mx[0];
  }
  int64_t s = (int64_t)ts_item(ts_argmax(delta)); // <- BUG
  ts_free(delta);
  return s;
}

// OK: prints the most likely final state (the helper leaks)
void hmm_last_state(void) {
  struct hmm h;
  if (hmm_init(&h) != 0)
    return;
  printf("last state %lld\n", (long long)viterbi_last_state(&h, OBS, T));
  hmm_free(&h);
}

// OK: all forward messages stacked [T,S]; the per-step ones freed
static ts_tensor *forward_all(const struct hmm *h, const int64_t *obs, int n) {
  ts_tensor *alphas[T];
  ts_tensor *e0 = emission(h, obs[0]);
  alphas[0] = ts_add(h->logpi, e0);
  ts_free(e0);
  for (int t = 1; t < n; t++)
    alphas[t] = forward_step(h, alphas[t - 1], obs[t]);
  ts_tensor *all = ts_stack((const ts_tensor *const *)alphas, n, 0);
  for (int t = 0; t < n; t++)
    ts_free(alphas[t]);
  return all;
}

// OK: all backward messages stacked [T,S], computed from the end
static ts_tensor *backward_all(const struct hmm *h, const int64_t *obs, int n) {
  ts_tensor *betas[T];
  betas[n - 1] = ts_zeros(TS_SHAPE(S), TS_FLOAT64);
  for (int t = n - 2; t >= 0; t--) {
    ts_tensor *e = emission(h, obs[t + 1]);
    ts_tensor *eb = ts_add(e, betas[t + 1]);
    ts_free(e);
    ts_tensor *sum = ts_add(h->logA, eb);
    ts_free(eb);
    betas[t] = ts_logsumexp(sum, TS_SHAPE(1), false);
    ts_free(sum);
  }
  ts_tensor *all = ts_stack((const ts_tensor *const *)betas, n, 0);
  for (int t = 0; t < n; t++)
    ts_free(betas[t]);
  return all;
}

// OK: state posteriors gamma = softmax(alpha + beta) per step
void hmm_posteriors(void) {
  struct hmm h;
  if (hmm_init(&h) != 0)
    return;
  ts_tensor *a = forward_all(&h, OBS, T);
  ts_tensor *b = backward_all(&h, OBS, T);
  ts_tensor *ab = ts_add(a, b);
  ts_tensor *gamma = ts_softmax(ab, 1);
  ts_free(ab);
  ts_free(b);
  ts_free(a);
  TS_SCOPE { printf("gamma row sums %.3f\n", ts_item(ts_sum(gamma)) / T); }
  ts_free(gamma);
  hmm_free(&h);
}

// BUG: use-after-free: the messages are freed after stacking, then the last
// one is read for the likelihood
static double forward_all_ll(const struct hmm *h, const int64_t *obs, int n,
                             ts_tensor **stacked) {
  ts_tensor *alphas[T];
  ts_tensor *e0 = emission(h, obs[0]);
  alphas[0] = ts_add(h->logpi, e0);
  ts_free(e0);
  for (int t = 1; t < n; t++)
    alphas[t] = forward_step(h, alphas[t - 1], obs[t]);
  *stacked = ts_stack((const ts_tensor *const *)alphas, n, 0);
  for (int t = 0; t < n; t++)
    ts_free(alphas[t]);
  ts_tensor *ll = ts_logsumexp(alphas[n - 1], TS_SHAPE(0), false); // <- BUG
  double v = ts_item(ll);
  ts_free(ll);
  return v;
}

// OK: drives it (the helper is wrong)
void hmm_forward_all_ll(void) {
  struct hmm h;
  if (hmm_init(&h) != 0)
    return;
  ts_tensor *st = NULL;
  printf("ll %.4f\n", forward_all_ll(&h, OBS, T, &st));
  ts_free(st);
  hmm_free(&h);
}

// OK: normalises rows of a log table; frees the input when `consume` is set
static ts_tensor *renormalise(ts_tensor *logt, int consume) {
  ts_tensor *out = ts_log_softmax(logt, 1);
  if (consume)
    ts_free(logt);
  return out;
}

// OK: re-estimates the transition table from expected counts; the old table
// is freed and replaced
static void reestimate_A(struct hmm *h, const ts_tensor *gamma) {
  ts_tensor *g0 = ts_narrow(gamma, 0, 0, T - 1);
  ts_tensor *g1 = ts_narrow(gamma, 0, 1, T - 1);
  ts_tensor *g0t = ts_t(g0);
  ts_tensor *counts = ts_matmul(g0t, g1);
  ts_free(g0t);
  ts_free(g1);
  ts_free(g0);
  ts_add_Scalar_(counts, 1e-6, 1.0);
  ts_log_(counts);
  ts_tensor *A = renormalise(counts, 1);
  ts_free(h->logA);
  h->logA = A;
}

// OK: one EM-style update of the transitions
void hmm_reestimate(void) {
  struct hmm h;
  if (hmm_init(&h) != 0)
    return;
  ts_tensor *a = forward_all(&h, OBS, T);
  ts_tensor *b = backward_all(&h, OBS, T);
  ts_tensor *ab = ts_add(a, b);
  ts_tensor *gamma = ts_softmax(ab, 1);
  ts_free(ab);
  ts_free(b);
  ts_free(a);
  double before = hmm_loglik(&h, OBS, T);
  reestimate_A(&h, gamma);
  printf("loglik %.4f -> %.4f\n", before, hmm_loglik(&h, OBS, T));
  ts_free(gamma);
  hmm_free(&h);
}

// BUG: double-free: the counts are given to the consuming normaliser and
// then freed here as well
void hmm_reestimate_B(void) {
  struct hmm h;
  if (hmm_init(&h) != 0)
    return;
  ts_tensor *counts = ts_rand(TS_SHAPE(S, V), TS_FLOAT64);
  ts_log_(counts);
  ts_tensor *B = renormalise(counts, 1);
  ts_free(counts); // <- BUG
  ts_free(h.logB);
  h.logB = B;
  hmm_free(&h);
}

// BUG: leak: the new initial distribution replaces the field without the old
// one being freed
static void reestimate_pi(struct hmm *h, const ts_tensor *gamma) {
  ts_tensor *g0 = ts_select_int(gamma, 0, 0);
  h->logpi = ts_log(g0); // <- BUG
  ts_free(g0);
}

// OK: updates the initial distribution (the helper leaks the old one)
void hmm_reestimate_pi(void) {
  struct hmm h;
  if (hmm_init(&h) != 0)
    return;
  ts_tensor *a = forward_all(&h, OBS, T);
  ts_tensor *gamma = ts_softmax(a, 1);
  ts_free(a);
  reestimate_pi(&h, gamma);
  ts_free(gamma);
  hmm_free(&h);
}

// OK: samples a state sequence and its symbols with multinomial draws
void hmm_sample(void) {
  struct hmm h;
  if (hmm_init(&h) != 0)
    return;
  ts_tensor *p = ts_exp(h.logpi);
  int64_t s = 0;
  for (int t = 0; t < T; t++) {
    ts_tensor *draw = ts_multinomial(p, 1, false);
    s = (int64_t)ts_item(draw);
    ts_free(draw);
    ts_tensor *row = ts_select_int(h.logA, 0, s);
    ts_tensor *next = ts_exp(row);
    ts_free(row);
    ts_free(p);
    p = next;
    printf("%lld ", (long long)s);
  }
  printf("\n");
  ts_free(p);
  hmm_free(&h);
}

// OK: log emission table over the observations [T,S], escaped
TS_SCOPED static ts_tensor *obs_table(const struct hmm *h, const int64_t *obs,
                                      int n) {
  ts_tensor *idx = ts_from_buffer(obs, TS_SHAPE(n), TS_INT64);
  ts_tensor *cols = ts_index_select(h->logB, 1, idx);
  return ts_escape(ts_t(cols));
}

// BUG: unescaped-return: the emission probabilities (not logs) are returned
// from the scoped helper without ts_escape
TS_SCOPED static ts_tensor *obs_probs(const struct hmm *h, const int64_t *obs,
                                      int n) {
  ts_tensor *idx = ts_from_buffer(obs, TS_SHAPE(n), TS_INT64);
  ts_tensor *cols = ts_index_select(h->logB, 1, idx);
  return ts_exp(ts_t(cols)); // <- BUG
}

// OK: CTC-style alignment scores: one row per frame, the previous row
// carried out of each iteration's scope by an escape and freed by hand
void hmm_ctc_table(void) {
  struct hmm h;
  if (hmm_init(&h) != 0)
    return;
  ts_tensor *em = obs_table(&h, OBS, T);
  ts_tensor *prev = ts_select_int(em, 0, 0);
  TS_SCOPE for (int t = 1; t < T; t++) {
    ts_tensor *shifted = ts_roll(prev, TS_SHAPE(1), TS_SHAPE(0));
    ts_tensor *stay =
        ts_logsumexp(ts_stack((const ts_tensor *[]){prev, shifted}, 2, 0),
                     TS_SHAPE(0), false);
    ts_tensor *row = ts_select_int(em, 0, t);
    ts_tensor *next = ts_add(stay, row);
    ts_free(prev);
    prev = ts_escape(next);
  }
  TS_SCOPE {
    printf("ctc score %.4f\n", ts_item(ts_logsumexp(prev, TS_SHAPE(0), false)));
  }
  ts_free(prev);
  ts_free(em);
  hmm_free(&h);
}

// BUG: use-after-scope: the carried row is not escaped, so the next frame
// reads a row its scope already freed
void hmm_ctc_table_noescape(void) {
  struct hmm h;
  if (hmm_init(&h) != 0)
    return;
  ts_tensor *em = obs_table(&h, OBS, T);
  ts_tensor *prev = ts_select_int(em, 0, 0);
  int first = 1;
  TS_SCOPE for (int t = 1; t < T; t++) {
    ts_tensor *shifted = ts_roll(prev, TS_SHAPE(1), TS_SHAPE(0)); // <- BUG
    ts_tensor *row = ts_select_int(em, 0, t);
    ts_tensor *next = ts_add(ts_maximum(prev, shifted), row);
    if (first)
      ts_free(prev);
    first = 0;
    prev = next;
  }
  ts_free(em);
  hmm_free(&h);
}

// OK: the emission table, used and freed
void hmm_obs_table(void) {
  struct hmm h;
  if (hmm_init(&h) != 0)
    return;
  ts_tensor *em = obs_table(&h, OBS, T);
  ts_tensor *s = ts_sum(em);
  printf("emission sum %.3f\n", ts_item(s));
  ts_free(s);
  ts_free(em);
  hmm_free(&h);
}

// OK: the probabilities used as if escaped (the helper is wrong)
void hmm_obs_probs(void) {
  struct hmm h;
  if (hmm_init(&h) != 0)
    return;
  ts_tensor *p = obs_probs(&h, OBS, T);
  ts_tensor *s = ts_sum(p);
  ts_free(s);
  ts_free(p);
  hmm_free(&h);
}

// BUG: leak: the forward messages are stacked and never freed
void hmm_forward_all_leak(void) {
  struct hmm h;
  if (hmm_init(&h) != 0)
    return;
  ts_tensor *a = forward_all(&h, OBS, T); // <- BUG
  printf("first row %.4f\n", hmm_loglik(&h, OBS, 1));
  (void)a;
  hmm_free(&h);
}

// BUG: double-free: the transition table is freed before the teardown
void hmm_free_A_first(void) {
  struct hmm h;
  if (hmm_init(&h) != 0)
    return;
  printf("ll %.4f\n", hmm_loglik(&h, OBS, T));
  ts_free(h.logA);
  hmm_free(&h); // <- BUG
}

// BUG: use-after-free: the emission table is freed before the likelihood
// reads it
void hmm_loglik_after_free(void) {
  struct hmm h;
  if (hmm_init(&h) != 0)
    return;
  ts_free(h.logB);
  printf("ll %.4f\n", hmm_loglik(&h, OBS, T)); // <- BUG
  ts_free(h.logA);
  ts_free(h.logpi);
}

// BUG: leak: the posterior's alpha + beta sum is not freed
void hmm_posterior_leak(void) {
  struct hmm h;
  if (hmm_init(&h) != 0)
    return;
  ts_tensor *a = forward_all(&h, OBS, T);
  ts_tensor *b = backward_all(&h, OBS, T);
  ts_tensor *ab = ts_add(a, b); // <- BUG
  ts_tensor *gamma = ts_softmax(ab, 1);
  ts_free(b);
  ts_free(a);
  ts_free(gamma);
  hmm_free(&h);
}

// BUG: double-free: the sampled distribution is freed in the loop's last
// pass and again after the loop
void hmm_sample_twice(void) {
  struct hmm h;
  if (hmm_init(&h) != 0)
    return;
  ts_tensor *p = ts_exp(h.logpi);
  for (int t = 0; t < 3; t++) {
    ts_tensor *draw = ts_multinomial(p, 1, false);
    int64_t s = (int64_t)ts_item(draw);
    ts_free(draw);
    ts_tensor *row = ts_select_int(h.logA, 0, s);
    ts_free(p);
    p = ts_exp(row);
    ts_free(row);
    if (t == 2)
      ts_free(p);
  }
  ts_free(p); // <- BUG
  hmm_free(&h);
}
