/* heldout5_loader.c - a data loader: a dataset of features and labels,
 * a shuffled permutation per epoch, mini-batches gathered with
 * index_select, a ring of prefetch slots each filled inside its own async
 * scope, pooled batch buffers, a collate step that stacks samples, and a
 * batch handed to a training callback.
 * Labels: tests/realistic/README.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { NS = 20, NFEAT = 3, BS = 4, SLOTS = 2 };

struct dataset {
  ts_tensor *X; /* [NS, NFEAT] */
  ts_tensor *Y; /* [NS] int64 */
};

struct batch {
  ts_tensor *x, *y; /* owned by whoever holds the batch */
};

struct loader {
  const struct dataset *ds;
  int64_t perm[NS];
  int pos;
};

struct slot {
  ts_async_scope *scope; /* owns x and y while the slot is full */
  struct batch b;
  int full;
};

struct prefetcher {
  struct loader *ld;
  struct slot slots[SLOTS];
  int next;
};

typedef void (*batch_cb)(const struct batch *b, void *ctx);

// OK: random features, labels from the sign of the first feature
static int dataset_make(struct dataset *ds) {
  int64_t y[NS];
  float x[NS * NFEAT];
  ds->X = ts_randn(TS_SHAPE(NS, NFEAT), TS_FLOAT32);
  if (!ds->X)
    return -1;
  ts_copy_to_buffer(ds->X, x, sizeof x);
  for (int i = 0; i < NS; i++)
    y[i] = x[i * NFEAT] > 0;
  ds->Y = ts_from_buffer(y, TS_SHAPE(NS), TS_INT64);
  if (!ds->Y) {
    ts_free(ds->X);
    return -1;
  }
  return 0;
}

// OK: frees features and labels
static void dataset_free(struct dataset *ds) {
  ts_free(ds->X);
  ts_free(ds->Y);
  ds->X = ds->Y = NULL;
}

// OK: Fisher-Yates on the host permutation
static void loader_shuffle(struct loader *ld) {
  for (int i = 0; i < NS; i++)
    ld->perm[i] = i;
  for (int i = NS - 1; i > 0; i--) {
    int j = rand() % (i + 1);
    int64_t t = ld->perm[i];
    ld->perm[i] = ld->perm[j];
    ld->perm[j] = t;
  }
  ld->pos = 0;
}

// OK: the next batch gathered by index; 0 at the end of the epoch
static int loader_next(struct loader *ld, struct batch *b) {
  if (ld->pos + BS > NS)
    return 0;
  ts_tensor *idx = ts_from_buffer(ld->perm + ld->pos, TS_SHAPE(BS), TS_INT64);
  if (!idx)
    return -1;
  b->x = ts_index_select(ld->ds->X, 0, idx);
  b->y = ts_index_select(ld->ds->Y, 0, idx);
  ts_free(idx);
  ld->pos += BS;
  return 1;
}

// BUG: leak: the index tensor of every batch is never freed
static int loader_next_leaky(struct loader *ld, struct batch *b) {
  if (ld->pos + BS > NS)
    return 0;
  const int64_t *ids = ld->perm + ld->pos;
  ts_tensor *idx = ts_from_buffer(ids, TS_SHAPE(BS), TS_INT64); // <- BUG
  b->x = ts_index_select(ld->ds->X, 0, idx);
  b->y = ts_index_select(ld->ds->Y, 0, idx);
  ld->pos += BS;
  return 1;
}

// OK: frees both halves of a batch
static void batch_free(struct batch *b) {
  if (b->x)
    ts_free(b->x);
  if (b->y)
    ts_free(b->y);
  b->x = b->y = NULL;
}

// OK: fills a slot in its own async scope: the batch belongs to that scope
static int slot_fill(struct slot *s, struct loader *ld) {
  s->scope = ts_async_scope_begin();
  if (!s->scope)
    return -1;
  ts_async_scope_enter(s->scope);
  int r = loader_next(ld, &s->b);
  ts_async_scope_leave(s->scope);
  if (r != 1) {
    ts_async_scope_end(s->scope);
    s->scope = NULL;
    return r;
  }
  s->full = 1;
  return 1;
}

// OK: empties a slot: ending its scope frees the batch
static void slot_drain(struct slot *s) {
  if (s->scope)
    ts_async_scope_end(s->scope);
  s->scope = NULL;
  s->b.x = s->b.y = NULL;
  s->full = 0;
}

// BUG: use-after-scope: the batch is freed by hand after the slot's scope ended
// and freed it
static void slot_drain_twice(struct slot *s) {
  struct batch b = s->b;
  ts_async_scope_end(s->scope);
  s->scope = NULL;
  s->full = 0;
  batch_free(&b); // <- BUG
}

// OK: prefetches every slot
static void prefetch_start(struct prefetcher *p, struct loader *ld) {
  memset(p, 0, sizeof *p);
  p->ld = ld;
  for (int i = 0; i < SLOTS; i++)
    slot_fill(&p->slots[i], ld);
}

// OK: hands the next full slot's batch to the callback, then refills the slot
static int prefetch_consume(struct prefetcher *p, batch_cb cb, void *ctx) {
  struct slot *s = &p->slots[p->next];
  if (!s->full)
    return 0;
  cb(&s->b, ctx);
  slot_drain(s);
  slot_fill(s, p->ld);
  p->next = (p->next + 1) % SLOTS;
  return 1;
}

// OK: drains every slot
static void prefetch_stop(struct prefetcher *p) {
  for (int i = 0; i < SLOTS; i++)
    slot_drain(&p->slots[i]);
}

// OK: the callback counts positives; its temporaries in a scope
static void count_cb(const struct batch *b, void *ctx) {
  int *pos = ctx;
  TS_SCOPE { *pos += (int)ts_item(ts_sum(b->y)); }
}

// BUG: use-after-scope: the callback keeps the batch's features past the slot's
// scope
static void keep_cb(const struct batch *b, void *ctx) {
  ts_tensor **keep = ctx;
  *keep = b->x; // <- BUG
}

// OK: the callback keeps a manual clone of the features, freed by the caller
static void clone_cb(const struct batch *b, void *ctx) {
  ts_tensor **keep = ctx;
  if (*keep)
    ts_free(*keep);
  *keep = ts_clone(b->x);
}

// OK: collates single samples into a batch by stacking; the samples are freed
static ts_tensor *collate(const struct dataset *ds, const int64_t *ids, int n) {
  ts_tensor *rows[BS];
  for (int i = 0; i < n; i++)
    rows[i] = ts_select_int(ds->X, 0, ids[i]);
  ts_tensor *out = ts_stack((const ts_tensor *const *)rows, n, 0);
  for (int i = 0; i < n; i++)
    ts_free(rows[i]);
  return out;
}

// BUG: double-free: the collate loop frees the samples twice when the stack
// fails its size check
static ts_tensor *collate_checked(const struct dataset *ds, const int64_t *ids,
                                  int n) {
  ts_tensor *rows[BS];
  for (int i = 0; i < n; i++)
    rows[i] = ts_select_int(ds->X, 0, ids[i]);
  ts_tensor *out = ts_stack((const ts_tensor *const *)rows, n, 0);
  if (ts_size(out, 0) != BS) {
    for (int i = 0; i < n; i++)
      ts_free(rows[i]);
  }
  for (int i = 0; i < n; i++)
    ts_free(rows[i]); // <- BUG
  return out;
}

// OK: a batch normalised in the function's scope, escaped
TS_SCOPED static ts_tensor *normalise_batch(const ts_tensor *x) {
  ts_tensor *mu = ts_mean_dim(x, TS_SHAPE(0), true, TS_FLOAT32);
  return ts_escape(ts_sub(x, mu));
}

// BUG: unescaped-return: the standardised batch is owned by the function's
// scope
TS_SCOPED static ts_tensor *standardise_batch(const ts_tensor *x) {
  ts_tensor *mu = ts_mean_dim(x, TS_SHAPE(0), true, TS_FLOAT32);
  ts_tensor *c = ts_sub(x, mu);
  ts_tensor *sd = ts_sqrt(ts_add_scalar(
      ts_mean_dim(ts_mul(c, c), TS_SHAPE(0), true, TS_FLOAT32), 1e-5));
  return ts_div(c, sd); // <- BUG
}

// OK: a ts_run job that gathers one batch and returns its features escaped
static void *fetch_job(void *ctx) {
  struct loader *ld = ctx;
  struct batch b;
  if (loader_next(ld, &b) != 1)
    return NULL;
  return ts_escape(b.x);
}

// BUG: unescaped-return: the job returns the gathered features without escaping
// them
static void *fetch_job_noescape(void *ctx) {
  struct loader *ld = ctx;
  struct batch b;
  if (loader_next(ld, &b) != 1)
    return NULL;
  return b.x; // <- BUG
}

// OK: pooled buffers: acquire or make, copy the batch in, release both
static double pooled_epoch(ts_pool *pool, struct loader *ld) {
  struct batch b;
  double acc = 0;
  while (loader_next(ld, &b) == 1) {
    ts_tensor *buf = ts_pool_acquire(pool, TS_SHAPE(BS, NFEAT), TS_FLOAT32);
    if (!buf)
      buf = ts_empty(TS_SHAPE(BS, NFEAT), TS_FLOAT32);
    ts_copy_(buf, b.x, false);
    ts_tensor *s = ts_sum(buf);
    acc += ts_item(s);
    ts_free(s);
    ts_pool_release(pool, buf);
    batch_free(&b);
  }
  return acc;
}

// BUG: use-after-free: the pooled buffer is read after it went back to the pool
static double pooled_epoch_stale(ts_pool *pool, struct loader *ld) {
  struct batch b;
  double acc = 0;
  while (loader_next(ld, &b) == 1) {
    ts_tensor *buf = ts_pool_acquire(pool, TS_SHAPE(BS, NFEAT), TS_FLOAT32);
    if (!buf)
      buf = ts_empty(TS_SHAPE(BS, NFEAT), TS_FLOAT32);
    ts_copy_(buf, b.x, false);
    ts_pool_release(pool, buf);
    ts_tensor *s = ts_sum(buf); // <- BUG
    acc += ts_item(s);
    ts_free(s);
    batch_free(&b);
  }
  return acc;
}

// BUG: leak: the pooled buffer is neither released nor freed on the early exit
static double pooled_first_batch(ts_pool *pool, struct loader *ld) {
  struct batch b;
  if (loader_next(ld, &b) != 1)
    return 0;
  ts_tensor *buf = ts_pool_acquire(pool, TS_SHAPE(BS, NFEAT), TS_FLOAT32);
  if (!buf)
    buf = ts_zeros(TS_SHAPE(BS, NFEAT), TS_FLOAT32); // <- BUG
  ts_copy_(buf, b.x, false);
  batch_free(&b);
  ts_tensor *s = ts_sum(buf);
  double v = ts_item(s);
  ts_free(s);
  if (v > -1e30)
    return v;
  ts_pool_release(pool, buf);
  return 0;
}

// OK: one epoch through the prefetcher with the counting callback
void ld5_prefetch(void) {
  struct dataset ds;
  struct loader ld;
  struct prefetcher p;
  int positives = 0;
  srand(2);
  if (dataset_make(&ds) != 0)
    return;
  ld.ds = &ds;
  loader_shuffle(&ld);
  prefetch_start(&p, &ld);
  while (prefetch_consume(&p, count_cb, &positives))
    ;
  prefetch_stop(&p);
  printf("positives %d\n", positives);
  dataset_free(&ds);
}

// OK: the clone callback keeps the last features, freed afterwards
void ld5_prefetch_clone(void) {
  struct dataset ds;
  struct loader ld;
  struct prefetcher p;
  ts_tensor *last = NULL;
  dataset_make(&ds);
  ld.ds = &ds;
  loader_shuffle(&ld);
  prefetch_start(&p, &ld);
  while (prefetch_consume(&p, clone_cb, &last))
    ;
  prefetch_stop(&p);
  if (last) {
    printf("last %lld\n", (long long)ts_numel(last));
    ts_free(last);
  }
  dataset_free(&ds);
}

// OK: drives keep_cb and reads what it kept
void ld5_prefetch_keep(void) {
  struct dataset ds;
  struct loader ld;
  struct prefetcher p;
  ts_tensor *kept = NULL;
  dataset_make(&ds);
  ld.ds = &ds;
  loader_shuffle(&ld);
  prefetch_start(&p, &ld);
  prefetch_consume(&p, keep_cb, &kept);
  printf("kept %lld\n", (long long)ts_numel(kept));
  prefetch_stop(&p);
  dataset_free(&ds);
}

// OK: drives loader_next_leaky over one epoch
void ld5_leaky_epoch(void) {
  struct dataset ds;
  struct loader ld;
  struct batch b;
  dataset_make(&ds);
  ld.ds = &ds;
  loader_shuffle(&ld);
  while (loader_next_leaky(&ld, &b) == 1)
    batch_free(&b);
  dataset_free(&ds);
}

// OK: drives slot_drain_twice
void ld5_drain_twice(void) {
  struct dataset ds;
  struct loader ld;
  struct slot s = {NULL, {NULL, NULL}, 0};
  dataset_make(&ds);
  ld.ds = &ds;
  loader_shuffle(&ld);
  if (slot_fill(&s, &ld) == 1)
    slot_drain_twice(&s);
  dataset_free(&ds);
}

// OK: collates and normalises; each result freed once
void ld5_collate(void) {
  struct dataset ds;
  int64_t ids[BS] = {0, 3, 5, 7};
  dataset_make(&ds);
  ts_tensor *x = collate(&ds, ids, BS);
  ts_tensor *n = normalise_batch(x);
  printf("collated %lld\n", (long long)ts_numel(n));
  ts_free(n);
  ts_free(x);
  dataset_free(&ds);
}

// OK: drives collate_checked with a short batch
void ld5_collate_short(void) {
  struct dataset ds;
  int64_t ids[BS] = {1, 2, 4, 8};
  dataset_make(&ds);
  ts_tensor *x = collate_checked(&ds, ids, 3);
  ts_free(x);
  dataset_free(&ds);
}

// OK: uses and frees standardise_batch's result
void ld5_standardise(void) {
  struct dataset ds;
  dataset_make(&ds);
  ts_tensor *s = standardise_batch(ds.X);
  printf("std %lld\n", (long long)ts_numel(s));
  ts_free(s);
  dataset_free(&ds);
}

// OK: batches fetched through ts_run; each escaped result freed
void ld5_fetch(void) {
  struct dataset ds;
  struct loader ld;
  dataset_make(&ds);
  ld.ds = &ds;
  loader_shuffle(&ld);
  ts_tensor *x;
  int n = 0;
  while ((x = ts_run(fetch_job, &ld)) != NULL) {
    n++;
    ts_free(x);
  }
  printf("fetched %d\n", n);
  dataset_free(&ds);
}

// OK: uses and frees fetch_job_noescape's result
void ld5_fetch_noescape(void) {
  struct dataset ds;
  struct loader ld;
  dataset_make(&ds);
  ld.ds = &ds;
  loader_shuffle(&ld);
  ts_tensor *x = ts_run(fetch_job_noescape, &ld);
  if (x) {
    printf("x %lld\n", (long long)ts_numel(x));
    ts_free(x);
  }
  dataset_free(&ds);
}

// OK: a pooled epoch; the pool is destroyed with whatever it holds
void ld5_pooled(void) {
  struct dataset ds;
  struct loader ld;
  ts_pool *pool = ts_pool_new(0);
  dataset_make(&ds);
  ld.ds = &ds;
  loader_shuffle(&ld);
  printf("acc %.3f\n", pooled_epoch(pool, &ld));
  ts_pool_destroy(pool);
  dataset_free(&ds);
}

// OK: drives pooled_epoch_stale
void ld5_pooled_stale(void) {
  struct dataset ds;
  struct loader ld;
  ts_pool *pool = ts_pool_new(0);
  dataset_make(&ds);
  ld.ds = &ds;
  loader_shuffle(&ld);
  printf("acc %.3f\n", pooled_epoch_stale(pool, &ld));
  ts_pool_destroy(pool);
  dataset_free(&ds);
}

// OK: drives pooled_first_batch
void ld5_pooled_first(void) {
  struct dataset ds;
  struct loader ld;
  ts_pool *pool = ts_pool_new(0);
  dataset_make(&ds);
  ld.ds = &ds;
  loader_shuffle(&ld);
  printf("first %.3f\n", pooled_first_batch(pool, &ld));
  ts_pool_destroy(pool);
  dataset_free(&ds);
}

// BUG: use-after-free: the labels are freed with the batch and then counted
void ld5_labels_after_free(void) {
  struct dataset ds;
  struct loader ld;
  struct batch b;
  dataset_make(&ds);
  ld.ds = &ds;
  loader_shuffle(&ld);
  loader_next(&ld, &b);
  ts_tensor *labels = b.y;
  batch_free(&b);
  ts_tensor *s = ts_sum(labels); // <- BUG
  ts_free(s);
  dataset_free(&ds);
}

// BUG: use-after-free: the dataset is freed while a batch is still gathered
// from it
void ld5_dataset_early(void) {
  struct dataset ds;
  struct loader ld;
  struct batch b;
  dataset_make(&ds);
  ld.ds = &ds;
  loader_shuffle(&ld);
  ts_tensor *X = ds.X;
  dataset_free(&ds);
  ds.X = X;
  loader_next(&ld, &b); // <- BUG
  batch_free(&b);
}

// BUG: leak: the last, partial epoch's batch is gathered and dropped at the
// break
void ld5_epoch_break(void) {
  struct dataset ds;
  struct loader ld;
  struct batch b;
  dataset_make(&ds);
  ld.ds = &ds;
  loader_shuffle(&ld);
  int seen = 0;
  while (loader_next(&ld, &b) == 1) { // <- BUG
    if (++seen == 3)
      break;
    batch_free(&b);
  }
  printf("seen %d\n", seen);
  dataset_free(&ds);
}

// OK: the break path frees the batch it holds first
void ld5_epoch_break_ok(void) {
  struct dataset ds;
  struct loader ld;
  struct batch b;
  dataset_make(&ds);
  ld.ds = &ds;
  loader_shuffle(&ld);
  int seen = 0;
  while (loader_next(&ld, &b) == 1) {
    batch_free(&b);
    if (++seen == 3)
      break;
  }
  printf("seen %d\n", seen);
  dataset_free(&ds);
}

// BUG: use-after-scope: a batch gathered in a loop scope is used after the loop
void ld5_scoped_loop(void) {
  struct dataset ds;
  struct loader ld;
  struct batch b = {NULL, NULL};
  dataset_make(&ds);
  ld.ds = &ds;
  loader_shuffle(&ld);
  for (int i = 0; i < 2; i++)
    TS_SCOPE { loader_next(&ld, &b); }
  printf("last labels %lld\n", (long long)ts_numel(b.y)); // <- BUG
  dataset_free(&ds);
}

// BUG: double-free: the batch features are freed by hand and then by batch_free
void ld5_free_twice(void) {
  struct dataset ds;
  struct loader ld;
  struct batch b;
  dataset_make(&ds);
  ld.ds = &ds;
  loader_shuffle(&ld);
  loader_next(&ld, &b);
  ts_free(b.x);
  batch_free(&b); // <- BUG
  dataset_free(&ds);
}

// BUG: use-after-free: the normalised batch replaces the features, which are
// then read again
void ld5_normalise_stale(void) {
  struct dataset ds;
  struct loader ld;
  struct batch b;
  dataset_make(&ds);
  ld.ds = &ds;
  loader_shuffle(&ld);
  loader_next(&ld, &b);
  ts_tensor *raw = b.x;
  b.x = normalise_batch(raw);
  ts_free(raw);
  ts_tensor *d = ts_sub(b.x, raw); // <- BUG
  ts_free(d);
  batch_free(&b);
  dataset_free(&ds);
}

// BUG: leak: the shuffled epoch's second batch overwrites the first one
void ld5_overwrite(void) {
  struct dataset ds;
  struct loader ld;
  struct batch b;
  dataset_make(&ds);
  ld.ds = &ds;
  loader_shuffle(&ld);
  loader_next(&ld, &b); // <- BUG
  loader_next(&ld, &b);
  batch_free(&b);
  dataset_free(&ds);
}
