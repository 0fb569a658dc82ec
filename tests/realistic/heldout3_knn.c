/* heldout3_knn.c - nearest-neighbour search: a growable index of keys and
 * labels, k-NN queries through ts_topk, majority votes, cosine search on
 * normalised keys, radius counts, random-projection hashing, batched
 * queries, and a reservoir sample of a stream of feature vectors.
 * Labels: tests/realistic/README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { DK = 4, NCLS = 3, RES = 4, BITS = 6 };

struct index {
  ts_tensor *keys;   /* [n,DK] */
  ts_tensor *labels; /* int64 [n] */
  int64_t n;
};

struct reservoir {
  ts_tensor *slot[RES];
  int count;
  long seen;
};

// OK: prints a sum from a guard scope
static void psum(const char *what, const ts_tensor *t) {
  TS_SCOPE_GUARD();
  printf("%s %.4f\n", what, ts_item(ts_sum(t)));
}

// OK: an empty index
static void index_init(struct index *ix) {
  ix->keys = ts_zeros(TS_SHAPE(0, DK), TS_FLOAT32);
  ix->labels = ts_zeros(TS_SHAPE(0), TS_INT64);
  ix->n = 0;
}

// OK: appends rows; both fields replaced, the old ones freed
static void index_add(struct index *ix, const ts_tensor *k,
                      const ts_tensor *l) {
  ts_tensor *nk = ts_cat((const ts_tensor *[]){ix->keys, k}, 2, 0);
  ts_tensor *nl = ts_cat((const ts_tensor *[]){ix->labels, l}, 2, 0);
  ts_free(ix->keys);
  ts_free(ix->labels);
  ix->keys = nk;
  ix->labels = nl;
  ix->n += ts_size(k, 0);
}

// OK: frees the index
static void index_free(struct index *ix) {
  ts_free(ix->keys);
  ts_free(ix->labels);
}

// OK: fills an index with n random points of NCLS classes
static void index_fill(struct index *ix, int n) {
  index_init(ix);
  for (int b = 0; b < n / 8; b++) {
    ts_tensor *k = ts_randn(TS_SHAPE(8, DK), TS_FLOAT32);
    ts_tensor *l = ts_randint(NCLS, TS_SHAPE(8), TS_INT64, NULL);
    index_add(ix, k, l);
    ts_free(k);
    ts_free(l);
  }
}

// OK: indices [q,k] of the k nearest keys; the distances freed
static ts_tensor *knn(const struct index *ix, const ts_tensor *q, int64_t k) {
  ts_tensor *d = ts_cdist(q, ix->keys, 2.0, 0);
  ts_tensor *tk[2];
  ts_status st = ts_topk(tk, d, k, 1, false, true);
  ts_free(d);
  if (st != TS_OK)
    return NULL;
  ts_free(tk[0]);
  return tk[1];
}

// OK: majority vote of the neighbours' labels, per query
static ts_tensor *knn_classify(const struct index *ix, const ts_tensor *q,
                               int64_t k) {
  ts_tensor *nb = knn(ix, q, k);
  if (!nb)
    return NULL;
  ts_tensor *flat = ts_reshape(nb, TS_SHAPE(-1));
  ts_tensor *lab = ts_index_select(ix->labels, 0, flat);
  ts_free(flat);
  ts_free(nb);
  ts_tensor *lab2 = ts_reshape(lab, TS_SHAPE(ts_size(q, 0), k));
  ts_free(lab);
  ts_tensor *oh = ts_one_hot(lab2, NCLS);
  ts_free(lab2);
  ts_tensor *votes = ts_sum_dim_IntList(oh, TS_SHAPE(1), false, TS_NO_DTYPE);
  ts_free(oh);
  ts_tensor *cls = ts_argmax_dim(votes, 1);
  ts_free(votes);
  return cls;
}

// OK: classifies a few queries
void knn_basic(void) {
  struct index ix;
  index_fill(&ix, 64);
  ts_tensor *q = ts_randn(TS_SHAPE(5, DK), TS_FLOAT32);
  ts_tensor *cls = knn_classify(&ix, q, 5);
  if (cls) {
    psum("classes", cls);
    ts_free(cls);
  }
  ts_free(q);
  index_free(&ix);
}

// BUG: leak: without a distance output the neighbour distances are dropped
static ts_tensor *knn_dist(const struct index *ix, const ts_tensor *q,
                           int64_t k, ts_tensor **dist_out) {
  ts_tensor *d = ts_cdist(q, ix->keys, 2.0, 0);
  ts_tensor *tk[2];
  ts_status st = ts_topk(tk, d, k, 1, false, true); // <- BUG
  ts_free(d);
  if (st != TS_OK)
    return NULL;
  if (dist_out)
    *dist_out = tk[0];
  return tk[1];
}

// OK: asks for neighbours only (the helper leaks the distances)
void knn_no_dist(void) {
  struct index ix;
  index_fill(&ix, 32);
  ts_tensor *q = ts_randn(TS_SHAPE(2, DK), TS_FLOAT32);
  ts_tensor *nb = knn_dist(&ix, q, 3, NULL);
  if (nb)
    ts_free(nb);
  ts_free(q);
  index_free(&ix);
}

// OK: neighbours with their distances, both freed
void knn_with_dist(void) {
  struct index ix;
  index_fill(&ix, 32);
  ts_tensor *q = ts_randn(TS_SHAPE(2, DK), TS_FLOAT32);
  ts_tensor *dist = NULL;
  ts_tensor *nb = knn(&ix, q, 3);
  ts_free(nb);
  TS_SCOPE {
    ts_tensor *d = ts_cdist(q, ix.keys, 2.0, 0);
    ts_tensor *tk[2];
    if (ts_topk(tk, d, 3, 1, false, true) == TS_OK)
      dist = ts_escape(tk[0]);
  }
  if (dist) {
    psum("distances", dist);
    ts_free(dist);
  }
  ts_free(q);
  index_free(&ix);
}

// BUG: use-after-free: the neighbour indices are freed before the labels
// are gathered with them
static ts_tensor *knn_labels(const struct index *ix, const ts_tensor *q,
                             int64_t k) {
  ts_tensor *nb = knn(ix, q, k);
  ts_tensor *flat = ts_reshape(nb, TS_SHAPE(-1));
  ts_free(nb);
  ts_free(flat);
  ts_tensor *lab = ts_index_select(ix->labels, 0, flat); // <- BUG
  return lab;
}

// OK: the neighbours' labels (the helper is wrong)
void knn_neighbour_labels(void) {
  struct index ix;
  index_fill(&ix, 32);
  ts_tensor *q = ts_randn(TS_SHAPE(1, DK), TS_FLOAT32);
  ts_tensor *lab = knn_labels(&ix, q, 4);
  ts_free(lab);
  ts_free(q);
  index_free(&ix);
}

// OK: row-normalised keys, escaped from the scoped helper
TS_SCOPED static ts_tensor *unit_rows(const ts_tensor *x) {
  ts_tensor *n = ts_linalg_vector_norm(x, 2.0, TS_SHAPE(1), true, TS_NO_DTYPE);
  return ts_escape(ts_div(x, ts_clamp_min(n, 1e-8)));
}

// BUG: unescaped-return: the centred keys are returned from the scoped
// helper without ts_escape
TS_SCOPED static ts_tensor *centred_rows(const ts_tensor *x) {
  ts_tensor *m = ts_mean_dim(x, TS_SHAPE(0), true, TS_NO_DTYPE);
  return ts_sub(x, m); // <- BUG
}

// OK: cosine search: the best key per query from normalised products
void knn_cosine(void) {
  struct index ix;
  index_fill(&ix, 40);
  ts_tensor *q = ts_randn(TS_SHAPE(3, DK), TS_FLOAT32);
  ts_tensor *uk = unit_rows(ix.keys);
  ts_tensor *uq = unit_rows(q);
  ts_tensor *ukt = ts_t(uk);
  ts_tensor *sim = ts_matmul(uq, ukt);
  ts_free(ukt);
  ts_tensor *best = ts_argmax_dim(sim, 1);
  psum("cosine best", best);
  ts_free(best);
  ts_free(sim);
  ts_free(uq);
  ts_free(uk);
  ts_free(q);
  index_free(&ix);
}

// OK: centred search (the centring helper is wrong)
void knn_centred(void) {
  struct index ix;
  index_fill(&ix, 24);
  ts_tensor *c = centred_rows(ix.keys);
  psum("centred", c);
  ts_free(c);
  index_free(&ix);
}

// OK: how many keys lie within r of each query, through an out-parameter
static int radius_count(const struct index *ix, const ts_tensor *q, double r,
                        int64_t *count) {
  TS_SCOPE {
    ts_tensor *d = ts_cdist(q, ix->keys, 2.0, 0);
    ts_tensor *in = ts_le_Scalar(d, r);
    *count = (int64_t)ts_item(ts_sum(in));
  }
  return 0;
}

// OK: radius counts for growing radii
void knn_radius(void) {
  struct index ix;
  index_fill(&ix, 48);
  ts_tensor *q = ts_zeros(TS_SHAPE(1, DK), TS_FLOAT32);
  for (double r = 0.5; r <= 2.0; r += 0.5) {
    int64_t c = 0;
    radius_count(&ix, q, r, &c);
    printf("r %.1f: %lld\n", r, (long long)c);
  }
  ts_free(q);
  index_free(&ix);
}

// OK: sign codes of a random projection [n,BITS] as 0/1 floats
static ts_tensor *lsh_codes(const ts_tensor *x, const ts_tensor *planes) {
  ts_tensor *p = ts_matmul(x, planes);
  ts_tensor *bits = ts_gt_Scalar(p, 0.0);
  ts_free(p);
  ts_tensor *f = ts_to_dtype(bits, TS_FLOAT32, false, false);
  ts_free(bits);
  return f;
}

// OK: how many keys share the query's code; every temporary freed on every
// path through one cleanup label
static int lsh_hits(const struct index *ix, const ts_tensor *q, int64_t *hits) {
  int rc = -1;
  ts_tensor *planes = NULL, *codes = NULL, *qc = NULL, *diff = NULL,
            *ham = NULL;
  planes = ts_randn(TS_SHAPE(DK, BITS), TS_FLOAT32);
  if (!planes)
    goto out;
  codes = lsh_codes(ix->keys, planes);
  qc = lsh_codes(q, planes);
  if (!codes || !qc)
    goto out;
  diff = ts_sub(codes, qc);
  ts_abs_(diff);
  ham = ts_sum_dim_IntList(diff, TS_SHAPE(1), false, TS_NO_DTYPE);
  if (!ham)
    goto out;
  ts_tensor *zero = ts_le_Scalar(ham, 0.0);
  ts_tensor *cnt = ts_sum(zero);
  *hits = (int64_t)ts_item(cnt);
  ts_free(cnt);
  ts_free(zero);
  rc = 0;
out:
  if (ham)
    ts_free(ham);
  if (diff)
    ts_free(diff);
  if (qc)
    ts_free(qc);
  if (codes)
    ts_free(codes);
  if (planes)
    ts_free(planes);
  return rc;
}

// OK: bucket hits of one query
void knn_lsh(void) {
  struct index ix;
  index_fill(&ix, 64);
  ts_tensor *q = ts_randn(TS_SHAPE(1, DK), TS_FLOAT32);
  int64_t hits = 0;
  if (lsh_hits(&ix, q, &hits) == 0)
    printf("lsh hits %lld\n", (long long)hits);
  ts_free(q);
  index_free(&ix);
}

// BUG: leak: asking for more candidates than the index holds returns after
// the codes were made, without freeing them
static int lsh_candidates(const struct index *ix, const ts_tensor *q,
                          int64_t want, ts_tensor **out) {
  ts_tensor *planes = ts_randn(TS_SHAPE(DK, BITS), TS_FLOAT32);
  ts_tensor *codes = lsh_codes(ix->keys, planes); // <- BUG
  if (want > ix->n) {
    ts_free(planes);
    return -1;
  }
  ts_tensor *qc = lsh_codes(q, planes);
  ts_free(planes);
  ts_tensor *d = ts_cdist(qc, codes, 1.0, 0);
  ts_free(qc);
  ts_free(codes);
  ts_tensor *tk[2];
  ts_status st = ts_topk(tk, d, want, 1, false, true);
  ts_free(d);
  if (st != TS_OK)
    return -1;
  ts_free(tk[0]);
  *out = tk[1];
  return 0;
}

// OK: asks for too many candidates (the helper leaks on that path)
void knn_lsh_too_many(void) {
  struct index ix;
  index_fill(&ix, 16);
  ts_tensor *q = ts_randn(TS_SHAPE(1, DK), TS_FLOAT32);
  ts_tensor *cand = NULL;
  if (lsh_candidates(&ix, q, 100, &cand) == 0)
    ts_free(cand);
  ts_free(q);
  index_free(&ix);
}

// OK: batched queries; only the per-batch accuracy leaves each scope
void knn_batched(void) {
  struct index ix;
  index_fill(&ix, 64);
  double correct = 0;
  TS_SCOPE for (int b = 0; b < 3; b++) {
    ts_tensor *q =
        ts_index_select(ix.keys, 0, ts_arange(b * 8, b * 8 + 8, 1, TS_INT64));
    ts_tensor *truth = ts_narrow(ix.labels, 0, b * 8, 8);
    ts_tensor *cls = knn_classify(&ix, q, 1);
    correct += ts_item(ts_sum(ts_eq_Tensor(cls, truth)));
  }
  printf("self accuracy %.3f\n", correct / 24);
  index_free(&ix);
}

// BUG: use-after-scope: the predicted classes of each batch are kept from
// the scoped loop
void knn_batched_keep(void) {
  struct index ix;
  index_fill(&ix, 32);
  ts_tensor *pred[2];
  TS_SCOPE for (int b = 0; b < 2; b++) {
    ts_tensor *q = ts_randn(TS_SHAPE(4, DK), TS_FLOAT32);
    pred[b] = knn_classify(&ix, q, 3);
  }
  ts_tensor *all = ts_cat((const ts_tensor *const *)pred, 2, 0); // <- BUG
  ts_free(all);
  index_free(&ix);
}

// OK: offers one vector to the reservoir; the reservoir takes it or frees it
static void reservoir_offer(struct reservoir *r, ts_tensor *x) {
  r->seen++;
  if (r->count < RES) {
    r->slot[r->count++] = x;
    return;
  }
  long j = rand() % r->seen;
  if (j < RES) {
    ts_free(r->slot[j]);
    r->slot[j] = x;
  } else {
    ts_free(x);
  }
}

// OK: frees what the reservoir holds
static void reservoir_free(struct reservoir *r) {
  for (int i = 0; i < r->count; i++)
    ts_free(r->slot[i]);
  r->count = 0;
}

// OK: a stream of 20 vectors into a reservoir of 4
void knn_reservoir(void) {
  struct reservoir r = {{NULL}, 0, 0};
  srand(3);
  for (int i = 0; i < 20; i++)
    reservoir_offer(&r, ts_full(TS_SHAPE(DK), TS_FLOAT32, i));
  ts_tensor *s = ts_stack((const ts_tensor *const *)r.slot, r.count, 0);
  psum("reservoir", s);
  ts_free(s);
  reservoir_free(&r);
}

// BUG: leak: a vector the reservoir does not keep is never freed
static void reservoir_offer_fast(struct reservoir *r, ts_tensor *x) {
  r->seen++;
  if (r->count < RES) {
    r->slot[r->count++] = x;
    return;
  }
  long j = rand() % r->seen;
  if (j < RES) {
    ts_free(r->slot[j]);
    r->slot[j] = x;
  }
} // <- BUG

// OK: a stream through the fast offer (the offer leaks)
void knn_reservoir_fast(void) {
  struct reservoir r = {{NULL}, 0, 0};
  srand(5);
  for (int i = 0; i < 30; i++)
    reservoir_offer_fast(&r, ts_randn(TS_SHAPE(DK), TS_FLOAT32));
  reservoir_free(&r);
}

// BUG: double-free: the caller frees the vectors it handed to the reservoir
void knn_reservoir_caller_frees(void) {
  struct reservoir r = {{NULL}, 0, 0};
  for (int i = 0; i < 2; i++) {
    ts_tensor *x = ts_randn(TS_SHAPE(DK), TS_FLOAT32);
    reservoir_offer(&r, x);
    psum("offered", x);
    ts_free(x); // <- BUG
  }
  reservoir_free(&r);
}

// BUG: leak: the query batch is not freed after classification
void knn_query_leak(void) {
  struct index ix;
  index_fill(&ix, 32);
  ts_tensor *q = ts_randn(TS_SHAPE(3, DK), TS_FLOAT32); // <- BUG
  ts_tensor *cls = knn_classify(&ix, q, 3);
  if (cls)
    ts_free(cls);
  index_free(&ix);
}

// BUG: double-free: the caller frees the keys it handed to the index, and
// the index teardown frees them again
void knn_index_borrow(void) {
  struct index ix;
  index_init(&ix);
  ts_tensor *k = ts_randn(TS_SHAPE(8, DK), TS_FLOAT32);
  ts_tensor *l = ts_randint(NCLS, TS_SHAPE(8), TS_INT64, NULL);
  ts_free(ix.keys);
  ix.keys = k;
  ix.n = 8;
  ts_free(ix.labels);
  ix.labels = l;
  ts_free(k);
  index_free(&ix); // <- BUG
}

// BUG: use-after-free: the neighbour indices are read after they were freed
void knn_indices_freed(void) {
  struct index ix;
  index_fill(&ix, 32);
  ts_tensor *q = ts_randn(TS_SHAPE(2, DK), TS_FLOAT32);
  ts_tensor *nb = knn(&ix, q, 2);
  ts_free(nb);
  psum("neighbours", nb); // <- BUG
  ts_free(q);
  index_free(&ix);
}

// BUG: leak: the cosine similarity matrix is not freed
void knn_cosine_leak(void) {
  struct index ix;
  index_fill(&ix, 16);
  ts_tensor *uk = unit_rows(ix.keys);
  ts_tensor *ukt = ts_t(uk);
  ts_tensor *sim = ts_matmul(uk, ukt); // <- BUG
  psum("similarity", sim);
  ts_free(ukt);
  ts_free(uk);
  index_free(&ix);
}

// BUG: double-free: the reservoir is freed, then its slots freed again by
// hand
void knn_reservoir_twice(void) {
  struct reservoir r = {{NULL}, 0, 0};
  for (int i = 0; i < 3; i++)
    reservoir_offer(&r, ts_full(TS_SHAPE(DK), TS_FLOAT32, i));
  int n = r.count;
  reservoir_free(&r);
  for (int i = 0; i < n; i++)
    ts_free(r.slot[i]); // <- BUG
}
