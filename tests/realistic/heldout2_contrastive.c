/* heldout2_contrastive.c - contrastive learning (InfoNCE with a queue of
 * negatives, MoCo style): two augmented views, query and momentum key
 * encoders, a negative queue replaced through an out-parameter, hardest
 * negatives, a temperature schedule. Labels: tests/realistic/README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define IN 6
#define E 4
#define QLEN 8

// OK: L2-normalised embedding of x through w; the raw product is freed
static ts_tensor *embed(const ts_tensor *w, const ts_tensor *x) {
  ts_tensor *z = ts_matmul(x, w);
  ts_tensor *n = ts_linalg_vector_norm(z, 2.0, TS_SHAPE(1), true, TS_NO_DTYPE);
  ts_tensor *out = ts_div(z, n);
  ts_free(n);
  ts_free(z);
  return out;
}

// OK: a noisy view of x, or x itself when strength is 0
static ts_tensor *augment(ts_tensor *x, double strength) {
  if (strength == 0)
    return x;
  ts_tensor *noise = ts_randn(TS_SHAPE(ts_size(x, 0), IN), TS_FLOAT32);
  ts_mul_Scalar_(noise, strength);
  ts_tensor *v = ts_add(x, noise);
  ts_free(noise);
  return v;
}

// OK: InfoNCE of queries q against their keys k and the queued negatives
static ts_tensor *info_nce(const ts_tensor *q, const ts_tensor *k,
                           const ts_tensor *negs, double tau) {
  ts_tensor *qk = ts_mul(q, k);
  ts_tensor *pos = ts_sum_dim_IntList(qk, TS_SHAPE(1), true, TS_NO_DTYPE);
  ts_tensor *nt = ts_transpose(negs, 0, 1);
  ts_tensor *neg = ts_matmul(q, nt);
  const ts_tensor *parts[2] = {pos, neg};
  ts_tensor *logits = ts_cat(parts, 2, 1);
  ts_div_Scalar_(logits, tau);
  ts_tensor *target = ts_zeros(TS_SHAPE(ts_size(q, 0)), TS_INT64);
  ts_tensor *loss = ts_cross_entropy(logits, target);
  ts_free(target);
  ts_free(logits);
  ts_free(neg);
  ts_free(nt);
  ts_free(pos);
  ts_free(qk);
  return loss;
}

// BUG: leak: the scaled logits are a new tensor, and the unscaled ones are
// never freed
static ts_tensor *info_nce_fast(const ts_tensor *q, const ts_tensor *k,
                                const ts_tensor *negs, double tau) {
  ts_tensor *qk = ts_mul(q, k);
  ts_tensor *pos = ts_sum_dim_IntList(qk, TS_SHAPE(1), true, TS_NO_DTYPE);
  ts_tensor *nt = ts_transpose(negs, 0, 1);
  ts_tensor *neg = ts_matmul(q, nt);
  const ts_tensor *parts[2] = {pos, neg};
  ts_tensor *logits = ts_cat(parts, 2, 1); // <- BUG
  ts_tensor *scaled = ts_div_Scalar(logits, tau);
  ts_tensor *target = ts_zeros(TS_SHAPE(ts_size(q, 0)), TS_INT64);
  ts_tensor *loss = ts_cross_entropy(scaled, target);
  ts_free(target);
  ts_free(scaled);
  ts_free(neg);
  ts_free(nt);
  ts_free(pos);
  ts_free(qk);
  return loss;
}

// OK: pushes the keys in front of the queue, keeps QLEN rows; the old queue
// is freed and *Q replaced
static void queue_push(ts_tensor **Q, const ts_tensor *k) {
  const ts_tensor *parts[2] = {k, *Q};
  ts_tensor *all = ts_cat(parts, 2, 0);
  ts_tensor *kept = ts_narrow(all, 0, 0, QLEN);
  ts_tensor *next = ts_contiguous(kept);
  ts_free(kept);
  ts_free(all);
  ts_free(*Q);
  *Q = next;
}

// OK: a few training steps: views, embeddings, loss, queue update
void cl_train(void) {
  ts_manual_seed(9);
  ts_tensor *wq = ts_randn(TS_SHAPE(IN, E), TS_FLOAT32);
  ts_tensor *wk = ts_clone(wq);
  ts_tensor *Q = ts_randn(TS_SHAPE(QLEN, E), TS_FLOAT32);
  for (int step = 0; step < 3; step++) {
    ts_tensor *x = ts_randn(TS_SHAPE(2, IN), TS_FLOAT32);
    ts_tensor *x1 = augment(x, 0.1);
    ts_tensor *x2 = augment(x, 0.1);
    ts_tensor *q = embed(wq, x1);
    ts_tensor *k = embed(wk, x2);
    ts_tensor *loss = info_nce(q, k, Q, 0.2);
    ts_tensor *loss2 = info_nce_fast(q, k, Q, 0.2);
    printf("step %d loss %.3f\n", step, ts_item(loss));
    queue_push(&Q, k);
    ts_free(loss2);
    ts_free(loss);
    ts_free(k);
    ts_free(q);
    ts_free(x2);
    ts_free(x1);
    ts_free(x);
  }
  ts_free(Q);
  ts_free(wk);
  ts_free(wq);
}

// BUG: use-after-free: the negatives are an alias of the queue, which
// queue_push frees and replaces before the loss is computed
void cl_queue_alias(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(IN, E), TS_FLOAT32);
  ts_tensor *Q = ts_randn(TS_SHAPE(QLEN, E), TS_FLOAT32);
  ts_tensor *x = ts_randn(TS_SHAPE(2, IN), TS_FLOAT32);
  ts_tensor *q = embed(w, x);
  ts_tensor *negs = Q;
  queue_push(&Q, q);
  ts_tensor *loss = info_nce(q, q, negs, 0.2); // <- BUG
  ts_free(loss);
  ts_free(q);
  ts_free(x);
  ts_free(Q);
  ts_free(w);
}

// BUG: double-free: with strength 0 both views are the input itself, and
// both views are freed
void cl_no_augment(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(2, IN), TS_FLOAT32);
  ts_tensor *x1 = augment(x, 0.0);
  ts_tensor *x2 = augment(x, 0.0);
  printf("views %lld %lld\n", (long long)ts_numel(x1), (long long)ts_numel(x2));
  ts_free(x1);
  ts_free(x2); // <- BUG
}

// BUG: leak: a NaN loss stops training before the step's embeddings are freed
void cl_stop_on_nan(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(IN, E), TS_FLOAT32);
  ts_tensor *Q = ts_randn(TS_SHAPE(QLEN, E), TS_FLOAT32);
  for (int step = 0; step < 3; step++) {
    ts_tensor *x = ts_randn(TS_SHAPE(2, IN), TS_FLOAT32);
    ts_tensor *q = embed(w, x); // <- BUG
    ts_free(x);
    ts_tensor *loss = info_nce(q, q, Q, step == 1 ? 0.0 : 0.2);
    double l = ts_item(loss);
    ts_free(loss);
    if (isnan(l) || isinf(l))
      break;
    queue_push(&Q, q);
    ts_free(q);
  }
  ts_free(Q);
  ts_free(w);
}

// BUG: leak: the key is recomputed after the momentum update and the first
// key is overwritten without being freed
void cl_momentum(void) {
  ts_tensor *wq = ts_randn(TS_SHAPE(IN, E), TS_FLOAT32);
  ts_tensor *wk = ts_clone(wq);
  ts_tensor *x = ts_randn(TS_SHAPE(2, IN), TS_FLOAT32);
  ts_tensor *k = embed(wk, x); // <- BUG
  ts_lerp_Scalar_(wk, wq, 0.01);
  k = embed(wk, x);
  printf("key %lld\n", (long long)ts_numel(k));
  ts_free(k);
  ts_free(x);
  ts_free(wk);
  ts_free(wq);
}

// BUG: double-free: the pair array holds q and k, freed in a loop and again
// by name
void cl_pair_cleanup(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(IN, E), TS_FLOAT32);
  ts_tensor *x = ts_randn(TS_SHAPE(2, IN), TS_FLOAT32);
  ts_tensor *q = embed(w, x);
  ts_tensor *k = embed(w, x);
  ts_tensor *pair[2] = {q, k};
  for (int i = 0; i < 2; i++)
    printf("view %d: %lld\n", i, (long long)ts_numel(pair[i]));
  for (int i = 0; i < 2; i++)
    ts_free(pair[i]);
  ts_free(q); // <- BUG
  ts_free(x);
  ts_free(w);
}

// BUG: use-after-free: the temperature tensor is freed before the annealed
// one is computed from it
void cl_temperature(void) {
  ts_tensor *tau = ts_full(TS_SHAPE(), TS_FLOAT32, 0.5);
  for (int epoch = 0; epoch < 4; epoch++) {
    if (epoch == 2) {
      ts_free(tau);
      tau = ts_mul_scalar(tau, 0.5); // <- BUG
    }
    printf("epoch %d tau %.3f\n", epoch, ts_item(tau));
  }
  ts_free(tau);
}

// BUG: use-after-scope: the hardest negative is picked inside a scoped loop
// and compared after the loop
void cl_hardest(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(IN, E), TS_FLOAT32);
  ts_tensor *Q = ts_randn(TS_SHAPE(QLEN, E), TS_FLOAT32);
  ts_tensor *hard = NULL;
  double best = -2;
  TS_SCOPE for (int i = 0; i < 2; i++) {
    ts_tensor *x = ts_randn(TS_SHAPE(1, IN), TS_FLOAT32);
    ts_tensor *q = embed(w, x);
    ts_tensor *qt = ts_transpose(q, 0, 1);
    ts_tensor *sim = ts_matmul(Q, qt);
    ts_tensor *mx = ts_max(sim);
    if (ts_item(mx) > best) {
      best = ts_item(mx);
      hard = ts_argmax(sim);
    }
  }
  printf("hardest negative %lld\n", (long long)ts_item(hard)); // <- BUG
  ts_free(Q);
  ts_free(w);
}

// BUG: unescaped-return: the hardest negatives are returned from the
// TS_SCOPED body without ts_escape
TS_SCOPED static ts_tensor *hard_negatives(const ts_tensor *Q,
                                           const ts_tensor *q, int k) {
  ts_tensor *sim = ts_matmul(Q, ts_transpose(q, 0, 1));
  ts_tensor *flat = ts_flatten_using_ints(sim, 0, -1);
  ts_tensor *top[2];
  if (ts_topk(top, flat, k, 0, true, true) != TS_OK)
    return NULL;
  return ts_index_select(Q, 0, top[1]); // <- BUG
}

// OK: uses and frees the hard negatives (hard_negatives is wrong)
void cl_hard_negatives(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(IN, E), TS_FLOAT32);
  ts_tensor *Q = ts_randn(TS_SHAPE(QLEN, E), TS_FLOAT32);
  ts_tensor *x = ts_randn(TS_SHAPE(1, IN), TS_FLOAT32);
  ts_tensor *q = embed(w, x);
  ts_tensor *h = hard_negatives(Q, q, 3);
  if (h) {
    printf("hard negatives %lld\n", (long long)ts_numel(h));
    ts_free(h);
  }
  ts_free(q);
  ts_free(x);
  ts_free(Q);
  ts_free(w);
}
