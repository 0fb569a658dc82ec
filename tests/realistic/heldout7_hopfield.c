/* heldout7_hopfield.c - a Hopfield associative memory: +-1 patterns in a
 * linked store, Hebbian training, synchronous and pooled recall, energy,
 * overlaps, a network struct that may share its weight matrix, and a probe
 * log kept across calls. Status codes and out-parameters throughout. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define HF_N 16

typedef struct hf_node {
  ts_tensor *pat; /* [N,1] of +-1 */
  struct hf_node *next;
} hf_node;

typedef struct {
  hf_node *head;
  int count;
} hf_store;

typedef struct {
  ts_tensor *W;    /* [N,N] */
  ts_tensor *Wsym; /* symmetrised weights; may be W itself */
  ts_tensor *bias; /* [N,1] */
} hf_net;

static ts_tensor *hf_last_state; /* the last probe's settled state */

static const uint16_t hf_bits[3] = {0xF0F0, 0x3C3C, 0xAAAA};

// OK: bits to a column of +-1
TS_OWNED static ts_tensor *hf_pattern(uint16_t bits) {
  float v[HF_N];
  for (int i = 0; i < HF_N; i++)
    v[i] = (bits >> i) & 1 ? 1.0f : -1.0f;
  return ts_from_buffer(v, TS_SHAPE(HF_N, 1), TS_FLOAT32);
}

// OK: prepends; the store owns the pattern from here on
static int hf_store_add(hf_store *s, ts_tensor *p) TS_CONSUMES(2);
static int hf_store_add(hf_store *s, ts_tensor *p) {
  hf_node *n = malloc(sizeof *n);
  if (!n) {
    ts_free(p);
    return -1;
  }
  n->pat = p;
  n->next = s->head;
  s->head = n;
  s->count++;
  return 0;
}

// OK: compares the pattern to every stored one in a scope
static bool hf_store_has(const hf_store *s, const ts_tensor *p) {
  bool found = false;
  for (const hf_node *n = s->head; n && !found; n = n->next) {
    TS_SCOPE {
      found = ts_item(ts_sum(ts_ne_Tensor(n->pat, p))) == 0.0;
    }
  }
  return found;
}

// BUG: leak: a duplicate is refused but the pattern the caller handed over is not freed
static int hf_store_add_unique(hf_store *s, ts_tensor *p) TS_CONSUMES(2);
static int hf_store_add_unique(hf_store *s, ts_tensor *p) {
  if (hf_store_has(s, p))
    return 1; // <- BUG
  return hf_store_add(s, p);
}

// OK: a duplicate is freed, since the function consumes its argument
static int hf_store_add_once(hf_store *s, ts_tensor *p) TS_CONSUMES(2);
static int hf_store_add_once(hf_store *s, ts_tensor *p) {
  if (hf_store_has(s, p)) {
    ts_free(p);
    return 1;
  }
  return hf_store_add(s, p);
}

// OK: replaces the i-th pattern, freeing the one it held
static int hf_store_replace(hf_store *s, int i, ts_tensor *p) TS_CONSUMES(3);
static int hf_store_replace(hf_store *s, int i, ts_tensor *p) {
  hf_node *n = s->head;
  while (n && i-- > 0)
    n = n->next;
  if (!n) {
    ts_free(p);
    return -1;
  }
  ts_free(n->pat);
  n->pat = p;
  return 0;
}

// OK: frees every node's pattern and the node
static void hf_store_free(hf_store *s) {
  hf_node *n = s->head;
  while (n) {
    hf_node *next = n->next;
    ts_free(n->pat);
    free(n);
    n = next;
  }
  s->head = NULL;
  s->count = 0;
}

// OK: loads the three fixed patterns
static int hf_store_load(hf_store *s) {
  for (int i = 0; i < 3; i++) {
    ts_tensor *p = hf_pattern(hf_bits[i]);
    if (!p || hf_store_add(s, p) != 0)
      return -1;
  }
  return 0;
}

// BUG: double-free: the replaced pattern was already freed by hf_store_replace
static int hf_store_perturb(hf_store *s, double flip) {
  ts_tensor *old = s->head->pat;
  ts_tensor *mask = ts_bernoulli_p(old, flip);
  ts_tensor *signs = ts_add_scalar(ts_mul_Scalar_(mask, -2.0), 1.0);
  ts_tensor *noisy = ts_mul(old, signs);
  ts_free(signs);
  ts_free(mask);
  int rc = hf_store_replace(s, 0, noisy);
  ts_free(old); // <- BUG
  return rc;
}

// OK: W = sum p p^T / N with a zero diagonal; the accumulator replaced and freed each time
TS_OWNED static ts_tensor *hf_train(const hf_store *s) {
  ts_tensor *W = ts_zeros(TS_SHAPE(HF_N, HF_N), TS_FLOAT32);
  for (const hf_node *n = s->head; n && W; n = n->next) {
    ts_tensor *pt = ts_t(n->pat);
    ts_tensor *outer = ts_matmul(n->pat, pt);
    ts_free(pt);
    ts_tensor *next = ts_add(W, outer);
    ts_free(outer);
    ts_free(W);
    W = next;
  }
  if (!W)
    return NULL;
  ts_fill_diagonal_(W, 0.0, false);
  ts_tensor *scaled = ts_mul_scalar(W, 1.0 / HF_N);
  ts_free(W);
  return scaled;
}

// BUG: leak: each pass overwrites the accumulator without freeing the previous sum
TS_OWNED static ts_tensor *hf_train_fast(const hf_store *s) {
  ts_tensor *W = ts_zeros(TS_SHAPE(HF_N, HF_N), TS_FLOAT32);
  for (const hf_node *n = s->head; n; n = n->next) {
    ts_tensor *outer = ts_outer(ts_squeeze_dim(n->pat, 1), ts_squeeze_dim(n->pat, 1));
    W = ts_add(W, outer); // <- BUG
    ts_free(outer);
  }
  ts_fill_diagonal_(W, 0.0, false);
  return W;
}

// OK: -0.5 s^T W s, all temporaries in the function's scope
TS_SCOPED static double hf_energy(const ts_tensor *W, const ts_tensor *s) {
  return -0.5 * ts_item(ts_matmul(ts_t(s), ts_matmul(W, s)));
}

// OK: synchronous updates; the state replaced and freed each step
static ts_status hf_recall(const ts_tensor *W, const ts_tensor *probe, int iters, ts_tensor **out) {
  ts_tensor *s = ts_clone(probe);
  if (!s)
    return ts_last_status();
  for (int i = 0; i < iters; i++) {
    ts_tensor *h = ts_matmul(W, s);
    if (!h)
      break;
    /* h >= 0 fires the unit: +1 where not negative, -1 elsewhere */
    ts_tensor *neg = ts_lt_Scalar(h, 0.0);
    ts_tensor *ones = ts_ones_like(h, TS_NO_DTYPE, NULL);
    ts_free(h);
    ts_tensor *next = ts_masked_fill_Scalar(ones, neg, -1.0);
    ts_free(ones);
    ts_free(neg);
    ts_free(s);
    s = next;
  }
  *out = s;
  return TS_OK;
}

// OK: pooled state buffers; the overlap read before the final release
static double hf_recall_pooled(ts_pool *pool, const ts_tensor *W, const ts_tensor *probe,
                               const ts_tensor *target) {
  ts_tensor *s = ts_pool_acquire(pool, TS_SHAPE(HF_N, 1), TS_FLOAT32);
  if (!s)
    s = ts_empty(TS_SHAPE(HF_N, 1), TS_FLOAT32);
  ts_copy_(s, probe, false);
  for (int i = 0; i < 4; i++) {
    TS_SCOPE {
      ts_copy_(s, ts_sign(ts_matmul(W, s)), false);
    }
  }
  double ov;
  TS_SCOPE {
    ov = ts_item(ts_matmul(ts_t(s), target)) / HF_N;
  }
  ts_pool_release(pool, s);
  return ov;
}

// BUG: use-after-free: the overlap is read from the state already handed back to the pool
static double hf_recall_pooled_late(ts_pool *pool, const ts_tensor *W, const ts_tensor *probe,
                                    const ts_tensor *target) {
  ts_tensor *s = ts_pool_acquire(pool, TS_SHAPE(HF_N, 1), TS_FLOAT32);
  if (!s)
    s = ts_empty(TS_SHAPE(HF_N, 1), TS_FLOAT32);
  ts_copy_(s, probe, false);
  TS_SCOPE {
    ts_copy_(s, ts_sign(ts_matmul(W, s)), false);
  }
  ts_pool_release(pool, s);
  double ov;
  TS_SCOPE {
    ov = ts_item(ts_matmul(ts_t(s), target)) / HF_N; // <- BUG
  }
  return ov;
}

// BUG: use-after-scope: the settled state is made in the function's scope but kept in a static for the report
TS_SCOPED static double hf_probe(const ts_tensor *W, const ts_tensor *probe) {
  ts_tensor *s = ts_sign(ts_matmul(W, probe));
  s = ts_sign(ts_matmul(W, s));
  hf_last_state = s; // <- BUG
  return hf_energy(W, s);
}

// OK: the settled state kept out of the function's scope before it is stored
TS_SCOPED static double hf_probe_kept(const ts_tensor *W, const ts_tensor *probe) {
  ts_tensor *s = ts_sign(ts_matmul(W, probe));
  s = ts_sign(ts_matmul(W, s));
  if (hf_last_state)
    ts_free(hf_last_state);
  hf_last_state = ts_keep(s);
  return hf_energy(W, s);
}

// OK: prints and drops the stored state
static void hf_report_last(void) {
  if (!hf_last_state)
    return;
  float v[HF_N];
  if (ts_copy_to_buffer(hf_last_state, v, sizeof v) == TS_OK)
    printf("hopfield: last state starts %+.0f %+.0f\n", v[0], v[1]);
  ts_free(hf_last_state);
  hf_last_state = NULL;
}

// BUG: unescaped-return: a probe that is already a fixed point is returned without escaping
TS_SCOPED static ts_tensor *hf_clean(const ts_tensor *W, const ts_tensor *probe) {
  ts_tensor *s = ts_sign(probe);
  ts_tensor *next = ts_sign(ts_matmul(W, s));
  if (ts_item(ts_sum(ts_ne_Tensor(next, s))) == 0.0)
    return s; // <- BUG
  for (int i = 0; i < 5; i++)
    next = ts_sign(ts_matmul(W, next));
  return ts_escape(next);
}

// OK: every path escapes what it returns
TS_SCOPED static ts_tensor *hf_clean_ok(const ts_tensor *W, const ts_tensor *probe) {
  ts_tensor *s = ts_sign(probe);
  ts_tensor *next = ts_sign(ts_matmul(W, s));
  if (ts_item(ts_sum(ts_ne_Tensor(next, s))) == 0.0)
    return ts_escape(s);
  for (int i = 0; i < 5; i++)
    next = ts_sign(ts_matmul(W, next));
  return ts_escape(next);
}

// BUG: leak: a weak overlap skips to the next pattern past the free
static int hf_overlaps(const hf_store *s, const ts_tensor *state, double thresh, double *ov) {
  int strong = 0, i = 0;
  for (const hf_node *n = s->head; n; n = n->next, i++) {
    ts_tensor *pt = ts_t(n->pat);
    ts_tensor *m = ts_matmul(pt, state); // <- BUG
    ts_free(pt);
    ov[i] = ts_item(m) / HF_N;
    if (ov[i] < thresh)
      continue;
    strong++;
    ts_free(m);
  }
  return strong;
}

// OK: network from trained weights; the symmetric copy may alias them
static ts_status hf_net_init(hf_net *net, const hf_store *s, bool symmetric) {
  net->W = hf_train(s);
  if (!net->W)
    return ts_last_status();
  if (symmetric) {
    net->Wsym = net->W;
  } else {
    ts_tensor *wt = ts_t(net->W);
    ts_tensor *sum = ts_add(net->W, wt);
    ts_free(wt);
    net->Wsym = ts_mul_scalar(sum, 0.5);
    ts_free(sum);
  }
  net->bias = ts_zeros(TS_SHAPE(HF_N, 1), TS_FLOAT32);
  return TS_OK;
}

// BUG: double-free: when the symmetric weights alias W, W is freed twice
static void hf_net_free(hf_net *net) {
  ts_free(net->bias);
  ts_free(net->Wsym);
  ts_free(net->W); // <- BUG
  memset(net, 0, sizeof *net);
}

// OK: frees the symmetric weights only when they are a tensor of their own
static void hf_net_release(hf_net *net) {
  ts_free(net->bias);
  if (net->Wsym != net->W)
    ts_free(net->Wsym);
  ts_free(net->W);
  memset(net, 0, sizeof *net);
}

// OK: trains, recalls a noisy probe, reports energy and overlaps
void hf_run_recall(void) {
  hf_store s = {0};
  ts_tensor *W = NULL, *out = NULL;
  if (hf_store_load(&s) != 0)
    goto done;
  W = hf_train(&s);
  if (!W)
    goto done;
  ts_tensor *probe = hf_pattern(hf_bits[0] ^ 0x0003);
  if (hf_recall(W, probe, 4, &out) == TS_OK) {
    printf("hopfield: energy %.2f\n", hf_energy(W, out));
    ts_free(out);
  }
  ts_free(probe);
done:
  if (W)
    ts_free(W);
  hf_store_free(&s);
}

// OK: unique adds through both helpers, the duplicate case hit by the leaky one
void hf_run_unique(void) {
  hf_store s = {0};
  hf_store_load(&s);
  hf_store_add_once(&s, hf_pattern(hf_bits[1]));
  hf_store_add_once(&s, hf_pattern(0x1234));
  hf_store_add_unique(&s, hf_pattern(hf_bits[2]));
  printf("hopfield: %d patterns\n", s.count);
  hf_store_free(&s);
}

// OK: perturbs the newest pattern
void hf_run_perturb(void) {
  hf_store s = {0};
  hf_store_load(&s);
  hf_store_perturb(&s, 0.1);
  hf_store_free(&s);
}

// OK: the fast trainer's weights freed by the caller
void hf_run_train_fast(void) {
  hf_store s = {0};
  hf_store_load(&s);
  ts_tensor *W = hf_train_fast(&s);
  ts_free(W);
  hf_store_free(&s);
}

// OK: pooled recall both ways
void hf_run_pooled(void) {
  hf_store s = {0};
  ts_pool *pool = ts_pool_new(2);
  hf_store_load(&s);
  ts_tensor *W = hf_train(&s);
  ts_tensor *probe = hf_pattern(hf_bits[1] ^ 0x0100);
  for (int i = 0; i < 3; i++)
    printf("hopfield: overlap %.2f\n", hf_recall_pooled(pool, W, probe, s.head->pat));
  ts_free(probe);
  ts_free(W);
  hf_store_free(&s);
  ts_pool_destroy(pool);
}

// OK: pooled recall with the late read
void hf_run_pooled_late(void) {
  hf_store s = {0};
  ts_pool *pool = ts_pool_new(2);
  hf_store_load(&s);
  ts_tensor *W = hf_train(&s);
  printf("hopfield: overlap %.2f\n", hf_recall_pooled_late(pool, W, s.head->pat, s.head->pat));
  ts_free(W);
  hf_store_free(&s);
  ts_pool_destroy(pool);
}

// OK: probes with the kept state, then the report
void hf_run_probe_kept(void) {
  hf_store s = {0};
  hf_store_load(&s);
  ts_tensor *W = hf_train(&s);
  hf_probe_kept(W, s.head->pat);
  hf_probe_kept(W, s.head->next->pat);
  hf_report_last();
  ts_free(W);
  hf_store_free(&s);
}

// OK: probes with the scoped state, then the report
void hf_run_probe(void) {
  hf_store s = {0};
  hf_store_load(&s);
  ts_tensor *W = hf_train(&s);
  hf_probe(W, s.head->pat);
  hf_report_last();
  ts_free(W);
  hf_store_free(&s);
}

// OK: cleans a stored pattern (a fixed point) and a noisy one
void hf_run_clean(void) {
  hf_store s = {0};
  hf_store_load(&s);
  ts_tensor *W = hf_train(&s);
  ts_tensor *a = hf_clean_ok(W, s.head->pat);
  ts_tensor *b = hf_clean(W, s.head->pat);
  printf("hopfield: cleaned %lld %lld\n", (long long)ts_numel(a), (long long)ts_numel(b));
  ts_free(b);
  ts_free(a);
  ts_free(W);
  hf_store_free(&s);
}

// OK: overlaps of a probe against the store
void hf_run_overlaps(void) {
  hf_store s = {0};
  double ov[3];
  hf_store_load(&s);
  ts_tensor *probe = hf_pattern(hf_bits[2]);
  printf("hopfield: %d strong\n", hf_overlaps(&s, probe, 0.5, ov));
  ts_free(probe);
  hf_store_free(&s);
}

// OK: networks built both ways and released correctly
void hf_run_net(void) {
  hf_store s = {0};
  hf_net a, b;
  hf_store_load(&s);
  if (hf_net_init(&a, &s, true) == TS_OK)
    hf_net_release(&a);
  if (hf_net_init(&b, &s, false) == TS_OK)
    hf_net_release(&b);
  hf_store_free(&s);
}

// OK: a symmetric network through the plain teardown
void hf_run_net_free(void) {
  hf_store s = {0};
  hf_net a;
  hf_store_load(&s);
  if (hf_net_init(&a, &s, true) == TS_OK)
    hf_net_free(&a);
  hf_store_free(&s);
}

// BUG: use-after-scope: the weights trained inside the block are used after it
void hf_run_block_weights(void) {
  hf_store s = {0};
  ts_tensor *W = NULL;
  hf_store_load(&s);
  TS_SCOPE {
    W = hf_train(&s);
  }
  printf("hopfield: energy %.2f\n", hf_energy(W, s.head->pat)); // <- BUG
  hf_store_free(&s);
}

// BUG: leak: the first recall's state is overwritten by the second and never freed
void hf_run_two_probes(void) {
  hf_store s = {0};
  ts_tensor *out = NULL;
  hf_store_load(&s);
  ts_tensor *W = hf_train(&s);
  for (int i = 0; i < 2; i++) {
    ts_tensor *probe = hf_pattern(hf_bits[i] ^ 0x0001);
    hf_recall(W, probe, 3, &out); // <- BUG
    ts_free(probe);
  }
  printf("hopfield: last energy %.2f\n", hf_energy(W, out));
  ts_free(out);
  ts_free(W);
  hf_store_free(&s);
}

// BUG: double-free: the weights are freed by hand, then again by the network's release
void hf_run_net_rebuild(void) {
  hf_store s = {0};
  hf_net n;
  hf_store_load(&s);
  if (hf_net_init(&n, &s, false) == TS_OK) {
    ts_free(n.W);
    hf_net_release(&n); // <- BUG
  }
  hf_store_free(&s);
}
