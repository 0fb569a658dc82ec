/*
 * heldout_loader.c - a data loader: an in-memory dataset split into
 * shards, shuffled index orders, batches cut with narrow/index_select, a
 * double-buffered prefetch slot, label smoothing, train/validation split.
 * Held-out corpus (README.md).
 *
 * Labels: `// OK: why` or `// BUG: check: why` before each function; the
 * line of the bug ends in `// <- BUG`.
 */
#include <stdio.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define N 12
#define F 3
#define BS 4
#define CLASSES 3

struct dataset {
  ts_tensor *x; /* [N, F] */
  ts_tensor *y; /* [N] int64 */
};

struct prefetch {
  ts_tensor *ready;   /* the batch handed out next, or NULL */
  ts_tensor *loading; /* the batch being filled, or NULL */
};

// OK: both tensors move into the dataset; a failure frees the first
static int ds_load(struct dataset *d) {
  d->x = ts_randn(TS_SHAPE(N, F), TS_FLOAT32);
  if (!d->x)
    return -1;
  d->y = ts_randint(CLASSES, TS_SHAPE(N), TS_INT64, NULL);
  if (!d->y) {
    ts_free(d->x);
    return -1;
  }
  return 0;
}

// OK: frees the dataset's tensors
static void ds_unload(struct dataset *d) {
  ts_free(d->x);
  ts_free(d->y);
}

// OK: rows [start, start + len) as a new tensor (a view the caller frees)
static ts_tensor *ds_slice(const ts_tensor *t, int start, int len) {
  return ts_narrow(t, 0, start, len);
}

// OK: one epoch of sequential batches; each batch view is freed after use,
// and freeing the views leaves the dataset intact
void ds_sequential_epoch(void) {
  struct dataset d;
  if (ds_load(&d) != 0)
    return;
  for (int b = 0; b < N / BS; b++) {
    ts_tensor *xb = ds_slice(d.x, b * BS, BS);
    ts_tensor *yb = ds_slice(d.y, b * BS, BS);
    printf("batch %d: %lld rows\n", b, (long long)ts_size(xb, 0));
    ts_free(yb);
    ts_free(xb);
  }
  ds_unload(&d);
}

// BUG: leak: the label slice of each batch is never freed
void ds_sequential_labels(void) {
  struct dataset d;
  if (ds_load(&d) != 0)
    return;
  for (int b = 0; b < N / BS; b++) {
    ts_tensor *xb = ds_slice(d.x, b * BS, BS);
    ts_tensor *yb = ds_slice(d.y, b * BS, BS); // <- BUG
    printf("%lld/%lld\n", (long long)ts_numel(xb), (long long)ts_numel(yb));
    ts_free(xb);
  }
  ds_unload(&d);
}

// OK: a shuffled epoch: the order is freed after the batches that used it
void ds_shuffled_epoch(void) {
  struct dataset d;
  if (ds_load(&d) != 0)
    return;
  ts_tensor *order = ts_randperm(N, TS_INT64, NULL);
  for (int b = 0; b < N / BS; b++) {
    ts_tensor *idx = ts_narrow(order, 0, b * BS, BS);
    ts_tensor *xb = ts_index_select(d.x, 0, idx);
    ts_free(idx);
    printf("%lld\n", (long long)ts_numel(xb));
    ts_free(xb);
  }
  ts_free(order);
  ds_unload(&d);
}

// BUG: use-after-free: the order is freed after the first pass and indexed
// again for the second
void ds_two_passes(void) {
  struct dataset d;
  if (ds_load(&d) != 0)
    return;
  ts_tensor *order = ts_randperm(N, TS_INT64, NULL);
  ts_tensor *first = ts_index_select(d.x, 0, order);
  ts_free(order);
  ts_free(first);
  ts_tensor *again = ts_index_select(d.y, 0, order); // <- BUG
  ts_free(again);
  ds_unload(&d);
}

// OK: moves the loading batch to ready; the batch it replaces is freed
static void pf_swap(struct prefetch *p) {
  if (p->ready)
    ts_free(p->ready);
  p->ready = p->loading;
  p->loading = NULL;
}

// OK: takes the ready batch out of the prefetcher: the caller owns it now
static ts_tensor *pf_take(struct prefetch *p) {
  ts_tensor *b = p->ready;
  p->ready = NULL;
  return b;
}

// OK: three batches through the double buffer; the caller frees what it
// takes, the prefetcher what is left
void ds_prefetch(void) {
  struct dataset d;
  if (ds_load(&d) != 0)
    return;
  struct prefetch p = {NULL, NULL};
  for (int b = 0; b < 3; b++) {
    p.loading = ds_slice(d.x, b * BS, BS);
    pf_swap(&p);
    if (b % 2 == 0) {
      ts_tensor *batch = pf_take(&p);
      printf("took %lld\n", (long long)ts_numel(batch));
      ts_free(batch);
    }
  }
  if (p.ready)
    ts_free(p.ready);
  ds_unload(&d);
}

// BUG: double-free: the taken batch is freed by the caller, and the
// prefetcher (which still points at it) frees it at the next swap
void ds_prefetch_peek(void) {
  struct dataset d;
  if (ds_load(&d) != 0)
    return;
  struct prefetch p = {NULL, NULL};
  p.loading = ds_slice(d.x, 0, BS);
  pf_swap(&p);
  ts_tensor *batch = p.ready;
  printf("peeked %lld\n", (long long)ts_numel(batch));
  ts_free(batch);
  p.loading = ds_slice(d.x, BS, BS);
  pf_swap(&p); // <- BUG
  ts_free(p.ready);
  ds_unload(&d);
}

// OK: smoothed one-hot targets; the integer one-hot is freed
static ts_tensor *smooth_targets(const ts_tensor *y, double eps) {
  ts_tensor *oh = ts_one_hot(y, CLASSES);
  ts_tensor *f = ts_to_dtype(oh, TS_FLOAT32, false, false);
  ts_free(oh);
  ts_mul_Scalar_(f, 1.0 - eps);
  ts_add_Scalar_(f, eps / CLASSES, 1.0);
  return f;
}

// BUG: leak: the smoothed targets of a batch that fails the size check are
// dropped
void ds_smoothed_batches(void) {
  struct dataset d;
  if (ds_load(&d) != 0)
    return;
  int bs = 5; /* does not divide N: the last batch is short */
  for (int start = 0; start < N; start += bs) {
    int len = N - start < bs ? N - start : bs;
    ts_tensor *yb = ds_slice(d.y, start, len);
    ts_tensor *t = smooth_targets(yb, 0.1); // <- BUG
    ts_free(yb);
    if (len < bs) {
      fprintf(stderr, "short batch at %d\n", start);
      break;
    }
    ts_free(t);
  }
  ds_unload(&d);
}

// OK: the split views are returned by value in a struct; the caller frees
// both
static struct dataset ds_split(const struct dataset *d, int n_train) {
  struct dataset tr;
  tr.x = ts_narrow(d->x, 0, 0, n_train);
  tr.y = ts_narrow(d->y, 0, 0, n_train);
  return tr;
}

// OK: a training split used after the full dataset is unloaded (views keep
// their storage alive)
void ds_split_train(void) {
  struct dataset d;
  if (ds_load(&d) != 0)
    return;
  struct dataset tr = ds_split(&d, 8);
  ds_unload(&d);
  printf("train %lld rows\n", (long long)ts_size(tr.x, 0));
  ds_unload(&tr);
}

// BUG: double-free: the split's labels are freed by hand and again by the
// unload
void ds_split_labels_only(void) {
  struct dataset d;
  if (ds_load(&d) != 0)
    return;
  struct dataset tr = ds_split(&d, 8);
  printf("labels %lld\n", (long long)ts_numel(tr.y));
  ts_free(tr.y);
  ds_unload(&tr); // <- BUG
  ds_unload(&d);
}

// BUG: use-after-scope: the validation batch is cut inside a scope block
// and evaluated after it
void ds_validation(void) {
  struct dataset d;
  if (ds_load(&d) != 0)
    return;
  ts_tensor *val;
  TS_SCOPE {
    ts_tensor *order = ts_randperm(N, TS_INT64, NULL);
    ts_tensor *idx = ts_narrow(order, 0, 0, BS);
    val = ts_index_select(d.x, 0, idx);
  }
  ts_tensor *m = ts_mean(val); // <- BUG
  printf("val mean %f\n", ts_item(m));
  ts_free(m);
  ds_unload(&d);
}
