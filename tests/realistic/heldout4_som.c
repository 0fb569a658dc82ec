/* heldout4_som.c - self-organising maps and neural gas: a codebook on a 2-d
 * grid of units, best-matching units, Gaussian neighbourhoods in the
 * caller's scope, online and batch updates, quantisation and topographic
 * errors, hit maps, a U-matrix, codebook snapshots per epoch and a
 * rank-based neural-gas update.
 * Labels: tests/realistic/README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { GW = 5, GH = 4, UNITS = GW * GH, SD = 3, NS = 48, EPOCHS = 4 };

struct som {
  ts_tensor *codebook; /* [UNITS, SD] */
  ts_tensor *grid;     /* [UNITS, 2] unit coordinates */
  double lr0, sigma0;
};

// OK: a random codebook and the grid coordinates from a C buffer; a
// failure leaves nothing allocated
static int som_init(struct som *s) {
  float xy[UNITS * 2];
  for (int u = 0; u < UNITS; u++) {
    xy[2 * u] = (float)(u % GW);
    xy[2 * u + 1] = (float)(u / GW);
  }
  s->lr0 = 0.5;
  s->sigma0 = 1.5;
  s->codebook = ts_rand(TS_SHAPE(UNITS, SD), TS_FLOAT32);
  if (!s->codebook)
    return -1;
  s->grid = ts_from_buffer(xy, TS_SHAPE(UNITS, 2), TS_FLOAT32);
  if (!s->grid) {
    ts_free(s->codebook);
    s->codebook = NULL;
    return -1;
  }
  return 0;
}

// OK: frees both and clears them
static void som_free(struct som *s) {
  if (s->codebook)
    ts_free(s->codebook);
  if (s->grid)
    ts_free(s->grid);
  s->codebook = s->grid = NULL;
}

// OK: colour-like samples in three clusters, for the caller
static ts_tensor *make_samples(int64_t n) {
  ts_tensor *X = ts_rand(TS_SHAPE(n, SD), TS_FLOAT32);
  ts_mul_Scalar_(X, 0.2);
  ts_tensor *which = ts_randint(3, TS_SHAPE(n, 1), TS_INT64, NULL);
  ts_tensor *shift = ts_to_dtype(which, TS_FLOAT32, false, false);
  ts_free(which);
  ts_add_Tensor_(X, shift, 0.4);
  ts_free(shift);
  return X;
}

// OK: the best-matching unit of x, temporaries in the function's scope
TS_SCOPED static int bmu(const struct som *s, const ts_tensor *x) {
  ts_tensor *d = ts_sub(s->codebook, x);
  ts_tensor *dist =
      ts_sum_dim_IntList(ts_mul(d, d), TS_SHAPE(1), false, TS_NO_DTYPE);
  return (int)ts_item(ts_argmin(dist, 0, false));
}

// OK: exp(-|g_u - g_b|^2 / 2 sigma^2) as a column, in the caller's scope
TS_CALLER_SCOPE static ts_tensor *neighbourhood(const struct som *s, int b,
                                                double sigma) {
  ts_tensor *gb = ts_select_int(s->grid, 0, b);
  ts_tensor *d = ts_sub(s->grid, gb);
  ts_tensor *d2 =
      ts_sum_dim_IntList(ts_mul(d, d), TS_SHAPE(1), true, TS_NO_DTYPE);
  return ts_exp(ts_mul_scalar(d2, -0.5 / (sigma * sigma)));
}

// OK: one online update in place; the temporaries in a scope
static void som_update(struct som *s, const ts_tensor *x, double lr,
                       double sigma) {
  int b = bmu(s, x);
  TS_SCOPE {
    ts_tensor *h = neighbourhood(s, b, sigma);
    ts_tensor *delta = ts_mul(h, ts_sub(x, s->codebook));
    ts_add_Tensor_(s->codebook, delta, lr);
  }
}

// OK: the mean distance of the samples to their BMUs, in the function's
// scope
TS_SCOPED static double quant_error(const struct som *s, const ts_tensor *X) {
  ts_tensor *D = ts_cdist(X, s->codebook, 2.0, 0);
  ts_tensor *m[2];
  if (ts_min_dim(m, D, 1, false) != TS_OK)
    return NAN;
  return ts_item(ts_mean(m[0]));
}

// OK: online training with decaying rate and radius; each sample view is
// freed after its update
void som_train(void) {
  struct som s;
  ts_manual_seed(61);
  if (som_init(&s) != 0)
    return;
  ts_tensor *X = make_samples(NS);
  for (int ep = 0; ep < EPOCHS; ep++) {
    double f = exp(-(double)ep / EPOCHS);
    for (int i = 0; i < NS; i++) {
      ts_tensor *x = ts_select_int(X, 0, i);
      som_update(&s, x, s.lr0 * f, s.sigma0 * f);
      ts_free(x);
    }
    printf("epoch %d quantisation error %.4f\n", ep, quant_error(&s, X));
  }
  ts_free(X);
  som_free(&s);
}

// BUG: leak: the table of decay factors is read through views and never
// freed
void som_train_decay(void) {
  struct som s;
  if (som_init(&s) != 0)
    return;
  ts_tensor *X = make_samples(NS);
  ts_tensor *ep = ts_arange(0.0, EPOCHS, 1.0, TS_FLOAT32);
  ts_tensor *decay = ts_exp(ts_mul_Scalar_(ep, -1.0 / EPOCHS)); // <- BUG
  for (int e = 0; e < EPOCHS; e++) {
    ts_tensor *f = ts_select_int(decay, 0, e);
    double fv = ts_item(f);
    ts_free(f);
    for (int i = 0; i < NS; i += 4) {
      ts_tensor *x = ts_select_int(X, 0, i);
      som_update(&s, x, s.lr0 * fv, s.sigma0 * fv);
      ts_free(x);
    }
  }
  ts_free(ep);
  ts_free(X);
  som_free(&s);
}

// OK: one batch update: every unit moves to the neighbourhood-weighted
// mean of the samples; the new codebook replaces and frees the old
static void som_batch_update(struct som *s, const ts_tensor *X, double sigma) {
  ts_tensor *fresh = NULL;
  TS_SCOPE {
    ts_tensor *D = ts_cdist(X, s->codebook, 2.0, 0);
    ts_tensor *b = ts_argmin(D, 1, false);
    ts_tensor *gb = ts_index_select(s->grid, 0, b);
    ts_tensor *gd = ts_cdist(gb, s->grid, 2.0, 0);
    ts_tensor *H =
        ts_exp(ts_mul_scalar(ts_mul(gd, gd), -0.5 / (sigma * sigma)));
    ts_tensor *num = ts_mm(ts_t(H), X);
    ts_tensor *den = ts_sum_dim_IntList(H, TS_SHAPE(0), false, TS_NO_DTYPE);
    fresh = ts_escape(ts_div(num, ts_unsqueeze(den, 1)));
  }
  ts_free(s->codebook);
  s->codebook = fresh;
}

// OK: batch training
void som_batch(void) {
  struct som s;
  if (som_init(&s) != 0)
    return;
  ts_tensor *X = make_samples(NS);
  for (int ep = 0; ep < EPOCHS; ep++)
    som_batch_update(&s, X, s.sigma0 / (ep + 1));
  printf("batch quantisation error %.4f\n", quant_error(&s, X));
  ts_free(X);
  som_free(&s);
}

// BUG: use-after-free: old names the codebook som_batch_update freed when
// it replaced it
void som_batch_shift(void) {
  struct som s;
  if (som_init(&s) != 0)
    return;
  ts_tensor *X = make_samples(NS);
  ts_tensor *old = s.codebook;
  som_batch_update(&s, X, 1.0);
  ts_tensor *d = ts_sub(s.codebook, old); // <- BUG
  ts_free(d);
  ts_free(X);
  som_free(&s);
}

// BUG: leak: the neighbourhood matrix of the hand-written batch step is
// never freed
void som_batch_by_hand(void) {
  struct som s;
  if (som_init(&s) != 0)
    return;
  ts_tensor *X = make_samples(NS);
  ts_tensor *D = ts_cdist(X, s.codebook, 2.0, 0);
  ts_tensor *b = ts_argmin(D, 1, false);
  ts_tensor *gb = ts_index_select(s.grid, 0, b);
  ts_tensor *gd = ts_cdist(gb, s.grid, 2.0, 0);
  ts_tensor *H = ts_exp(ts_neg_(gd)); // <- BUG
  ts_tensor *den = ts_sum_dim_IntList(H, TS_SHAPE(0), false, TS_NO_DTYPE);
  ts_tensor *mn = ts_min(den);
  printf("least covered unit weight %.3f\n", ts_item(mn));
  ts_free(mn);
  ts_free(den);
  ts_free(gd);
  ts_free(gb);
  ts_free(b);
  ts_free(D);
  ts_free(X);
  som_free(&s);
}

// OK: the U-matrix: each unit's mean codebook distance to its grid
// neighbours, as [GH, GW] for the caller
static ts_tensor *u_matrix(const struct som *s) {
  TS_SCOPE_GUARD();
  ts_tensor *C = ts_cdist(s->codebook, s->codebook, 2.0, 0);
  ts_tensor *G = ts_cdist(s->grid, s->grid, 2.0, 0);
  ts_tensor *adj =
      ts_to_dtype(ts_logical_and(ts_gt_Scalar(G, 0.5), ts_lt_Scalar(G, 1.5)),
                  TS_FLOAT32, false, false);
  ts_tensor *num =
      ts_sum_dim_IntList(ts_mul(C, adj), TS_SHAPE(1), false, TS_NO_DTYPE);
  ts_tensor *den = ts_sum_dim_IntList(adj, TS_SHAPE(1), false, TS_NO_DTYPE);
  return ts_keep(ts_reshape(ts_div(num, den), TS_SHAPE(GH, GW)));
}

// OK: the U-matrix of a trained map
void som_umatrix(void) {
  struct som s;
  if (som_init(&s) != 0)
    return;
  ts_tensor *X = make_samples(NS);
  som_batch_update(&s, X, 1.0);
  ts_tensor *U = u_matrix(&s);
  ts_tensor *mx = ts_max(U);
  printf("largest U value %.3f\n", ts_item(mx));
  ts_free(mx);
  ts_free(U);
  ts_free(X);
  som_free(&s);
}

// BUG: unescaped-return: the hit counts are made in the function's scope
// and returned as they are
TS_SCOPED static ts_tensor *hit_map(const struct som *s, const ts_tensor *X) {
  ts_tensor *D = ts_cdist(X, s->codebook, 2.0, 0);
  return ts_bincount(ts_argmin(D, 1, false), NULL, UNITS); // <- BUG
}

// OK: the hit counts, escaped for the caller
TS_SCOPED static ts_tensor *hits(const struct som *s, const ts_tensor *X) {
  ts_tensor *D = ts_cdist(X, s->codebook, 2.0, 0);
  return ts_escape(ts_bincount(ts_argmin(D, 1, false), NULL, UNITS));
}

// OK: uses and frees what hit_map returns
void som_hit_map(void) {
  struct som s;
  if (som_init(&s) != 0)
    return;
  ts_tensor *X = make_samples(NS);
  ts_tensor *h = hit_map(&s, X);
  ts_tensor *dead = ts_eq_Scalar(h, 0.0);
  ts_tensor *nd = ts_count_nonzero(dead, TS_NO_INT);
  printf("%lld dead units\n", (long long)ts_item(nd));
  ts_free(nd);
  ts_free(dead);
  ts_free(h);
  ts_free(X);
  som_free(&s);
}

// OK: dead units through hits
void som_dead_units(void) {
  struct som s;
  if (som_init(&s) != 0)
    return;
  ts_tensor *X = make_samples(NS);
  som_batch_update(&s, X, 1.0);
  ts_tensor *h = hits(&s, X);
  ts_tensor *dead = ts_eq_Scalar(h, 0.0);
  ts_tensor *nd = ts_count_nonzero(dead, TS_NO_INT);
  printf("%lld dead units after training\n", (long long)ts_item(nd));
  ts_free(nd);
  ts_free(dead);
  ts_free(h);
  ts_free(X);
  som_free(&s);
}

// BUG: use-after-scope: the sample-to-unit distances are made inside a
// scope and reduced after it
void som_distances(void) {
  struct som s;
  if (som_init(&s) != 0)
    return;
  ts_tensor *X = make_samples(NS);
  ts_tensor *D = NULL;
  TS_SCOPE {
    D = ts_cdist(X, s.codebook, 2.0, 0);
    printf("distance matrix %lld x %lld\n", (long long)ts_size(D, 0),
           (long long)ts_size(D, 1));
  }
  ts_tensor *mn = ts_min(D); // <- BUG
  ts_free(mn);
  ts_free(X);
  som_free(&s);
}

// OK: a copy of the codebook after each epoch, compared and freed
void som_snapshots(void) {
  struct som s;
  ts_tensor *snap[EPOCHS];
  if (som_init(&s) != 0)
    return;
  ts_tensor *X = make_samples(NS);
  for (int ep = 0; ep < EPOCHS; ep++) {
    som_batch_update(&s, X, s.sigma0 / (ep + 1));
    snap[ep] = ts_clone(s.codebook);
  }
  ts_tensor *d = ts_sub(snap[EPOCHS - 1], snap[0]);
  ts_tensor *n = ts_norm_Scalar(d, 2.0);
  printf("codebook moved %.3f\n", ts_item(n));
  ts_free(n);
  ts_free(d);
  for (int ep = 0; ep < EPOCHS; ep++)
    ts_free(snap[ep]);
  ts_free(X);
  som_free(&s);
}

// BUG: double-free: the final snapshot is freed through its own name and
// again by the loop over all snapshots
void som_snapshots_final(void) {
  struct som s;
  ts_tensor *snap[EPOCHS];
  if (som_init(&s) != 0)
    return;
  ts_tensor *X = make_samples(NS);
  for (int ep = 0; ep < EPOCHS; ep++) {
    som_batch_update(&s, X, 1.0);
    snap[ep] = ts_clone(s.codebook);
  }
  ts_tensor *final = snap[EPOCHS - 1];
  ts_tensor *n = ts_norm_Scalar(final, 2.0);
  printf("final norm %.3f\n", ts_item(n));
  ts_free(n);
  ts_free(final);
  for (int ep = 0; ep < EPOCHS; ep++)
    ts_free(snap[ep]); // <- BUG
  ts_free(X);
  som_free(&s);
}

// BUG: leak: each sample's view is taken for its BMU and never freed
void som_map_samples(void) {
  struct som s;
  int counts[UNITS] = {0};
  if (som_init(&s) != 0)
    return;
  ts_tensor *X = make_samples(NS);
  for (int i = 0; i < NS; i++) {
    ts_tensor *x = ts_select_int(X, 0, i); // <- BUG
    counts[bmu(&s, x)]++;
  }
  printf("unit 0 has %d samples\n", counts[0]);
  ts_free(X);
  som_free(&s);
}

// OK: the same mapping with each view freed
void som_map_samples_ok(void) {
  struct som s;
  int counts[UNITS] = {0};
  if (som_init(&s) != 0)
    return;
  ts_tensor *X = make_samples(NS);
  for (int i = 0; i < NS; i++) {
    ts_tensor *x = ts_select_int(X, 0, i);
    counts[bmu(&s, x)]++;
    ts_free(x);
  }
  int used = 0;
  for (int u = 0; u < UNITS; u++)
    used += counts[u] > 0;
  printf("%d units used\n", used);
  ts_free(X);
  som_free(&s);
}

// OK: neural gas: units ranked by distance, each moved by exp(-rank /
// lambda), one scope per sample
void som_neural_gas(void) {
  struct som s;
  if (som_init(&s) != 0)
    return;
  ts_tensor *X = make_samples(NS);
  TS_SCOPE for (int i = 0; i < NS; i++) {
    ts_tensor *x = ts_select_int(X, 0, i);
    ts_tensor *d = ts_linalg_vector_norm(ts_sub(s.codebook, x), 2.0,
                                         TS_SHAPE(1), false, TS_NO_DTYPE);
    ts_tensor *rank = ts_argsort(ts_argsort(d, 0, false), 0, false);
    ts_tensor *w = ts_exp(
        ts_mul_scalar(ts_to_dtype(rank, TS_FLOAT32, false, false), -1.0 / 2.0));
    ts_add_Tensor_(s.codebook,
                   ts_mul(ts_unsqueeze(w, 1), ts_sub(x, s.codebook)), 0.1);
  }
  printf("neural gas error %.4f\n", quant_error(&s, X));
  ts_free(X);
  som_free(&s);
}

// BUG: double-free: the ranks are freed inside the loop body and again
// after the loop for the last sample
void som_gas_ranks(void) {
  struct som s;
  if (som_init(&s) != 0)
    return;
  ts_tensor *X = make_samples(8);
  ts_tensor *rank = NULL;
  for (int i = 0; i < 8; i++) {
    ts_tensor *x = ts_select_int(X, 0, i);
    ts_tensor *diff = ts_sub(s.codebook, x);
    ts_tensor *d =
        ts_linalg_vector_norm(diff, 2.0, TS_SHAPE(1), false, TS_NO_DTYPE);
    rank = ts_argsort(d, 0, false);
    ts_free(d);
    ts_free(diff);
    ts_free(x);
    ts_free(rank);
  }
  ts_free(rank); // <- BUG
  ts_free(X);
  som_free(&s);
}

// BUG: use-after-free: the codebook is summed after som_free freed it
// through the struct
void som_sum_after_free(void) {
  struct som s;
  if (som_init(&s) != 0)
    return;
  ts_tensor *cb = s.codebook;
  som_free(&s);
  ts_tensor *t = ts_sum(cb); // <- BUG
  ts_free(t);
}

struct topo_job {
  const struct som *s;
  const ts_tensor *X;
  double err;
};

// OK: the topographic error (first and second BMU not grid neighbours)
// inside a ts_run job
static void *topo_job(void *ctx) {
  struct topo_job *j = ctx;
  ts_tensor *D = ts_cdist(j->X, j->s->codebook, 2.0, 0);
  ts_tensor *tk[2];
  if (ts_topk(tk, D, 2, 1, false, true) != TS_OK)
    return NULL;
  ts_tensor *first = ts_select_int(tk[1], 1, 0);
  ts_tensor *second = ts_select_int(tk[1], 1, 1);
  ts_tensor *g1 = ts_index_select(j->s->grid, 0, first);
  ts_tensor *g2 = ts_index_select(j->s->grid, 0, second);
  ts_tensor *gd = ts_pairwise_distance(g1, g2, 2.0, 1e-6, false);
  j->err = ts_item(
      ts_mean(ts_to_dtype(ts_gt_Scalar(gd, 1.5), TS_FLOAT32, false, false)));
  return NULL;
}

// OK: the topographic error through ts_run
void som_topographic(void) {
  struct som s;
  if (som_init(&s) != 0)
    return;
  ts_tensor *X = make_samples(NS);
  som_batch_update(&s, X, 1.0);
  struct topo_job j = {&s, X, 0.0};
  ts_run(topo_job, &j);
  printf("topographic error %.3f\n", j.err);
  ts_free(X);
  som_free(&s);
}
