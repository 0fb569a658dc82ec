/* heldout5_crf.c - a linear-chain CRF tagger: emission scores from a
 * linear layer, a transition matrix, the forward algorithm with
 * logsumexp for the partition function, the gold path score, Viterbi
 * decoding with max_dim back-pointers, sentences in a malloc'd array and
 * a small SGD loop.
 * Labels: tests/realistic/README.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { TAGS = 3, FEATS = 5, MAXLEN = 6 };

struct crf {
  ts_tensor *W;     /* [FEATS, TAGS] emission weights */
  ts_tensor *trans; /* [TAGS, TAGS] trans[i][j]: i -> j */
  ts_tensor *start; /* [TAGS] */
};

struct sentence {
  ts_tensor *x; /* [len, FEATS], owned */
  int64_t tags[MAXLEN];
  int len;
};

// OK: parameters made outside a scope; a failure frees the earlier ones
static int crf_init(struct crf *c) {
  memset(c, 0, sizeof *c);
  if (!(c->W = ts_randn(TS_SHAPE(FEATS, TAGS), TS_FLOAT32)))
    return -1;
  if (!(c->trans = ts_zeros(TS_SHAPE(TAGS, TAGS), TS_FLOAT32))) {
    ts_free(c->W);
    return -1;
  }
  if (!(c->start = ts_zeros(TS_SHAPE(TAGS), TS_FLOAT32))) {
    ts_free(c->trans);
    ts_free(c->W);
    return -1;
  }
  return 0;
}

// OK: frees the three parameters
static void crf_free(struct crf *c) {
  ts_free(c->W);
  ts_free(c->trans);
  ts_free(c->start);
  memset(c, 0, sizeof *c);
}

// BUG: leak: the start scores are not freed with the rest
static void crf_free_partial(struct crf *c) {
  ts_free(c->W);
  ts_free(c->trans);
  memset(c, 0, sizeof *c); // <- BUG
}

// OK: a random sentence whose tag is the argmax of its first three features
static int sentence_make(struct sentence *s, int len) {
  s->len = len;
  s->x = ts_randn(TS_SHAPE(len, FEATS), TS_FLOAT32);
  if (!s->x)
    return -1;
  float buf[MAXLEN * FEATS];
  ts_copy_to_buffer(s->x, buf, sizeof(float) * (size_t)(len * FEATS));
  for (int t = 0; t < len; t++) {
    int best = 0;
    for (int k = 1; k < TAGS; k++)
      if (buf[t * FEATS + k] > buf[t * FEATS + best])
        best = k;
    s->tags[t] = best;
  }
  return 0;
}

// OK: sentences array; each owns its features; a failure frees those made
static struct sentence *sentences_make(int n) {
  struct sentence *ss = calloc((size_t)n, sizeof *ss);
  if (!ss)
    return NULL;
  for (int i = 0; i < n; i++) {
    if (sentence_make(&ss[i], 3 + i % 3) != 0) {
      for (int j = 0; j < i; j++)
        ts_free(ss[j].x);
      free(ss);
      return NULL;
    }
  }
  return ss;
}

// OK: frees each sentence's features and the array
static void sentences_free(struct sentence *ss, int n) {
  for (int i = 0; i < n; i++)
    ts_free(ss[i].x);
  free(ss);
}

// OK: emissions [len, TAGS] in the caller's scope
TS_CALLER_SCOPE static ts_tensor *emissions(const struct crf *c,
                                            const ts_tensor *x) {
  return ts_matmul(x, c->W);
}

// OK: log partition by the forward algorithm, alpha replaced at each step in a
// scope
TS_CALLER_SCOPE static ts_tensor *log_partition(const struct crf *c,
                                                const ts_tensor *em, int len) {
  ts_tensor *alpha = ts_add(c->start, ts_select_int(em, 0, 0));
  for (int t = 1; t < len; t++) {
    ts_tensor *scores = ts_add(ts_unsqueeze(alpha, 1), c->trans);
    ts_tensor *lse = ts_logsumexp(scores, TS_SHAPE(0), false);
    alpha = ts_add(lse, ts_select_int(em, 0, t));
  }
  return ts_logsumexp(alpha, TS_SHAPE(0), false);
}

// OK: the gold path score, summed on the host from two buffers
static double gold_score(const struct crf *c, const ts_tensor *em,
                         const struct sentence *s) {
  float e[MAXLEN * TAGS], tr[TAGS * TAGS], st[TAGS];
  ts_copy_to_buffer(em, e, sizeof(float) * (size_t)(s->len * TAGS));
  ts_copy_to_buffer(c->trans, tr, sizeof tr);
  ts_copy_to_buffer(c->start, st, sizeof st);
  double sc = st[s->tags[0]] + e[s->tags[0]];
  for (int t = 1; t < s->len; t++)
    sc += tr[s->tags[t - 1] * TAGS + s->tags[t]] + e[t * TAGS + s->tags[t]];
  return sc;
}

// OK: negative log-likelihood as a double, in the function's scope
TS_SCOPED static double crf_nll(const struct crf *c, const struct sentence *s) {
  ts_tensor *em = emissions(c, s->x);
  double logz = ts_item(log_partition(c, em, s->len));
  return logz - gold_score(c, em, s);
}

// OK: Viterbi: back-pointers copied to the host, every step's tensors freed
static int viterbi(const struct crf *c, const ts_tensor *x, int len,
                   int64_t *path) {
  int64_t bp[MAXLEN][TAGS];
  ts_tensor *em = ts_matmul(x, c->W);
  ts_tensor *e0 = ts_select_int(em, 0, 0);
  ts_tensor *delta = ts_add(c->start, e0);
  ts_free(e0);
  for (int t = 1; t < len; t++) {
    ts_tensor *d1 = ts_unsqueeze(delta, 1);
    ts_tensor *scores = ts_add(d1, c->trans);
    ts_free(d1);
    ts_tensor *mx[2];
    ts_max_dim(mx, scores, 0, false);
    ts_free(scores);
    ts_copy_to_buffer(mx[1], bp[t], sizeof bp[t]);
    ts_tensor *et = ts_select_int(em, 0, t);
    ts_free(delta);
    delta = ts_add(mx[0], et);
    ts_free(et);
    ts_free(mx[0]);
    ts_free(mx[1]);
  }
  ts_tensor *last = ts_argmax(delta);
  path[len - 1] = (int64_t)ts_item(last);
  ts_free(last);
  ts_free(delta);
  ts_free(em);
  for (int t = len - 1; t > 0; t--)
    path[t - 1] = bp[t][path[t]];
  return 0;
}

// BUG: leak: the indices half of each max_dim result is never freed
static int viterbi_leaky(const struct crf *c, const ts_tensor *x, int len,
                         int64_t *path) {
  ts_tensor *em = ts_matmul(x, c->W);
  ts_tensor *e0 = ts_select_int(em, 0, 0);
  ts_tensor *delta = ts_add(c->start, e0);
  ts_free(e0);
  for (int t = 1; t < len; t++) {
    ts_tensor *d1 = ts_unsqueeze(delta, 1);
    ts_tensor *scores = ts_add(d1, c->trans);
    ts_free(d1);
    ts_tensor *mx[2];
    ts_max_dim(mx, scores, 0, false); // <- BUG
    ts_free(scores);
    ts_tensor *et = ts_select_int(em, 0, t);
    ts_free(delta);
    delta = ts_add(mx[0], et);
    ts_free(et);
    ts_free(mx[0]);
  }
  ts_tensor *last = ts_argmax(delta);
  path[len - 1] = (int64_t)ts_item(last);
  ts_free(last);
  ts_free(delta);
  ts_free(em);
  return 0;
}

// BUG: use-after-free: delta is freed before the step that reads it
static int viterbi_early_free(const struct crf *c, const ts_tensor *x,
                              int len) {
  ts_tensor *em = ts_matmul(x, c->W);
  ts_tensor *e0 = ts_select_int(em, 0, 0);
  ts_tensor *delta = ts_add(c->start, e0);
  ts_free(e0);
  for (int t = 1; t < len; t++) {
    ts_free(delta);
    ts_tensor *d1 = ts_unsqueeze(delta, 1); // <- BUG
    ts_tensor *scores = ts_add(d1, c->trans);
    ts_free(d1);
    delta = ts_amax(scores, TS_SHAPE(0), false);
    ts_free(scores);
  }
  ts_free(delta);
  ts_free(em);
  return 0;
}

// OK: Viterbi scores only, all in the function's scope; only the best score
// leaves
TS_SCOPED static double viterbi_score(const struct crf *c, const ts_tensor *x,
                                      int len) {
  ts_tensor *em = emissions(c, x);
  ts_tensor *delta = ts_add(c->start, ts_select_int(em, 0, 0));
  for (int t = 1; t < len; t++)
    delta = ts_add(
        ts_amax(ts_add(ts_unsqueeze(delta, 1), c->trans), TS_SHAPE(0), false),
        ts_select_int(em, 0, t));
  return ts_item(ts_max(delta));
}

// BUG: unescaped-return: the marginals are owned by the function's scope
TS_SCOPED static ts_tensor *first_marginal(const struct crf *c,
                                           const ts_tensor *x) {
  ts_tensor *em = emissions(c, x);
  ts_tensor *a0 = ts_add(c->start, ts_select_int(em, 0, 0));
  return ts_softmax(a0, 0); // <- BUG
}

// OK: the same marginal escaped
TS_SCOPED static ts_tensor *first_marginal_ok(const struct crf *c,
                                              const ts_tensor *x) {
  ts_tensor *em = emissions(c, x);
  ts_tensor *a0 = ts_add(c->start, ts_select_int(em, 0, 0));
  return ts_escape(ts_softmax(a0, 0));
}

// OK: an SGD step on the emission weights through autograd, per sentence scope
static double train_epoch(struct crf *c, const struct sentence *ss, int n,
                          double lr) {
  double total = 0;
  for (int i = 0; i < n; i++)
    TS_SCOPE {
      ts_tensor *em = emissions(c, ss[i].x);
      ts_tensor *y = ts_from_buffer(ss[i].tags, TS_SHAPE(ss[i].len), TS_INT64);
      ts_tensor *loss = ts_cross_entropy(em, y);
      total += ts_item(loss);
      ts_backward(loss);
      ts_sgd_step(c->W, lr);
      ts_zero_grad(c->W);
    }
  return total / n;
}

// OK: trains, decodes, reports accuracy; everything torn down
void crf5_train(void) {
  struct crf c;
  int n = 4;
  ts_manual_seed(21);
  if (crf_init(&c) != 0)
    return;
  struct sentence *ss = sentences_make(n);
  if (!ss) {
    crf_free(&c);
    return;
  }
  ts_requires_grad(c.W, true);
  for (int e = 0; e < 3; e++)
    printf("epoch %d loss %.3f\\n", e, train_epoch(&c, ss, n, 0.2));
  int right = 0, total = 0;
  for (int i = 0; i < n; i++) {
    int64_t path[MAXLEN];
    viterbi(&c, ss[i].x, ss[i].len, path);
    for (int t = 0; t < ss[i].len; t++, total++)
      right += path[t] == ss[i].tags[t];
  }
  printf("accuracy %d/%d nll %.3f vscore %.3f\\n", right, total,
         crf_nll(&c, &ss[0]), viterbi_score(&c, ss[0].x, ss[0].len));
  sentences_free(ss, n);
  crf_free(&c);
}

// OK: drives crf_free_partial
void crf5_free_partial(void) {
  struct crf c;
  if (crf_init(&c) == 0)
    crf_free_partial(&c);
}

// OK: drives viterbi_leaky
void crf5_viterbi_leaky(void) {
  struct crf c;
  struct sentence s;
  int64_t path[MAXLEN];
  crf_init(&c);
  sentence_make(&s, 4);
  viterbi_leaky(&c, s.x, s.len, path);
  ts_free(s.x);
  crf_free(&c);
}

// OK: drives viterbi_early_free
void crf5_viterbi_early(void) {
  struct crf c;
  struct sentence s;
  crf_init(&c);
  sentence_make(&s, 4);
  viterbi_early_free(&c, s.x, s.len);
  ts_free(s.x);
  crf_free(&c);
}

// OK: uses and frees first_marginal's result
void crf5_marginal(void) {
  struct crf c;
  struct sentence s;
  crf_init(&c);
  sentence_make(&s, 3);
  ts_tensor *m = first_marginal(&c, s.x);
  printf("marginal %lld\\n", (long long)ts_numel(m));
  ts_free(m);
  ts_free(s.x);
  crf_free(&c);
}

// OK: the escaped marginal is freed by hand
void crf5_marginal_ok(void) {
  struct crf c;
  struct sentence s;
  crf_init(&c);
  sentence_make(&s, 3);
  ts_tensor *m = first_marginal_ok(&c, s.x);
  printf("marginal %lld\\n", (long long)ts_numel(m));
  ts_free(m);
  ts_free(s.x);
  crf_free(&c);
}

// BUG: use-after-scope: the partition function is kept from a scope and read
// after it
void crf5_logz_scope(void) {
  struct crf c;
  struct sentence s;
  crf_init(&c);
  sentence_make(&s, 5);
  ts_tensor *logz;
  TS_SCOPE { logz = log_partition(&c, emissions(&c, s.x), s.len); }
  printf("logZ %.3f\\n", ts_item(logz)); // <- BUG
  ts_free(s.x);
  crf_free(&c);
}

// BUG: double-free: a sentence's features are freed on the short-sentence path
// and by sentences_free
void crf5_skip_short(void) {
  int n = 3;
  struct sentence *ss = sentences_make(n);
  if (!ss)
    return;
  for (int i = 0; i < n; i++) {
    if (ss[i].len < 4) {
      ts_free(ss[i].x);
      continue;
    }
    printf("sentence %d len %d\\n", i, ss[i].len);
  }
  sentences_free(ss, n); // <- BUG
}

// OK: short sentences are freed and cleared; the teardown skips the cleared
// ones
void crf5_skip_short_ok(void) {
  int n = 3;
  struct sentence *ss = sentences_make(n);
  if (!ss)
    return;
  for (int i = 0; i < n; i++) {
    if (ss[i].len < 4) {
      ts_free(ss[i].x);
      ss[i].x = NULL;
    }
  }
  for (int i = 0; i < n; i++)
    if (ss[i].x)
      ts_free(ss[i].x);
  free(ss);
}

// BUG: leak: the emission scores computed for the printout are never freed
void crf5_emission_print(void) {
  struct crf c;
  struct sentence s;
  crf_init(&c);
  sentence_make(&s, 3);
  ts_tensor *em = ts_matmul(s.x, c.W); // <- BUG
  printf("emissions %lld x %lld\\n", (long long)ts_size(em, 0),
         (long long)ts_size(em, 1));
  ts_free(s.x);
  crf_free(&c);
}

// BUG: use-after-free: the transition matrix is read through an alias after
// crf_free
void crf5_trans_after_free(void) {
  struct crf c;
  crf_init(&c);
  ts_tensor *tr = c.trans;
  crf_free(&c);
  float buf[TAGS * TAGS];
  ts_copy_to_buffer(tr, buf, sizeof buf); // <- BUG
  printf("t00 %.3f\\n", buf[0]);
}
