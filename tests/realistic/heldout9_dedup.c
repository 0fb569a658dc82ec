/* heldout9_dedup.c - near-duplicate detection for document embeddings: a
 * random-hyperplane signature (SimHash) picks a bucket, each bucket keeps a
 * linked list of stored embeddings, and an incoming document is a duplicate
 * when some embedding in its bucket is close enough. Checks run as requests
 * through ts_run; a batch import runs in an async scope. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>

#define DD_D 8
#define DD_BITS 3
#define DD_BUCKETS (1 << DD_BITS)

typedef struct dd_doc {
  int id;
  ts_tensor *emb; /* [1, DD_D], the index's */
  struct dd_doc *next;
} dd_doc;

typedef struct {
  ts_tensor *planes; /* [DD_D, DD_BITS] */
  dd_doc *bucket[DD_BUCKETS];
  int count;
} dd_index;

typedef struct {
  dd_index *ix;
  const ts_tensor *q;
  double thr;
  int dup_of;
} dd_query;

// OK: an empty index with random hyperplanes
static int dd_init(dd_index *ix) {
  memset(ix, 0, sizeof *ix);
  ts_manual_seed(11);
  ix->planes = ts_randn(TS_SHAPE(DD_D, DD_BITS), TS_FLOAT32);
  return ix->planes ? 0 : -1;
}

// OK: frees the documents and the planes
static void dd_free(dd_index *ix) {
  for (int b = 0; b < DD_BUCKETS; b++)
    while (ix->bucket[b]) {
      dd_doc *d = ix->bucket[b];
      ix->bucket[b] = d->next;
      ts_free(d->emb);
      free(d);
    }
  if (ix->planes)
    ts_free(ix->planes);
  ix->planes = NULL;
}

// OK: the signature bucket of an embedding
static int dd_signature(const dd_index *ix, const ts_tensor *e) {
  float proj[DD_BITS];
  int sig = 0;
  TS_SCOPE {
    ts_tensor *p = ts_matmul(e, ix->planes);
    ts_copy_to_buffer(p, proj, sizeof proj);
  }
  for (int k = 0; k < DD_BITS; k++)
    sig |= (proj[k] > 0) << k;
  return sig;
}

// OK: a document embedding (deterministic), caller owns it
static ts_tensor *dd_embed(int id, double noise) {
  float v[DD_D];
  for (int i = 0; i < DD_D; i++)
    v[i] = (float)((id * 5 + i * 3) % 7) - 3.0f + (float)(noise * i);
  return ts_from_buffer(v, TS_SHAPE(1, DD_D), TS_FLOAT32);
}

// OK: stores a document; the index takes emb
static int dd_insert(dd_index *ix, int id, ts_tensor *emb) {
  dd_doc *d = malloc(sizeof *d);
  if (!d) {
    ts_free(emb);
    return -1;
  }
  int b = dd_signature(ix, emb);
  *d = (dd_doc){id, emb, ix->bucket[b]};
  ix->bucket[b] = d;
  ix->count++;
  return 0;
}

// OK: request body: the nearest stored document in the query's bucket under the threshold
static void *dd_check(void *arg) {
  dd_query *q = arg;
  q->dup_of = -1;
  int b = dd_signature(q->ix, q->q);
  double best = q->thr;
  for (dd_doc *d = q->ix->bucket[b]; d; d = d->next) {
    double dist = ts_item(ts_mse_loss(d->emb, q->q));
    if (dist < best) {
      best = dist;
      q->dup_of = d->id;
    }
  }
  return q;
}

// OK: entry: ten documents, some near duplicates, checked before insertion
void dd_entry_dedup(void) {
  dd_index ix;
  if (dd_init(&ix) != 0)
    return;
  int dups = 0;
  for (int i = 0; i < 10; i++) {
    ts_tensor *e = dd_embed(i % 6, 0.01 * (i / 6));
    dd_query q = {&ix, e, 0.05, -1};
    ts_run(dd_check, &q);
    if (q.dup_of >= 0) {
      dups++;
      ts_free(e);
      continue;
    }
    dd_insert(&ix, i, e);
  }
  printf("%d dups, %d stored\n", dups, ix.count);
  dd_free(&ix);
}

// BUG: leak: a duplicate is reported but its embedding is neither stored nor freed
static int dd_add_unique(dd_index *ix, int id, double noise) {
  ts_tensor *e = dd_embed(id, noise); // <- BUG
  dd_query q = {ix, e, 0.05, -1};
  ts_run(dd_check, &q);
  if (q.dup_of >= 0)
    return q.dup_of;
  dd_insert(ix, id, e);
  return -1;
}

// OK: entry: the same document added twice through dd_add_unique
void dd_entry_add_unique(void) {
  dd_index ix;
  if (dd_init(&ix) != 0)
    return;
  dd_add_unique(&ix, 3, 0.0);
  printf("dup of %d\n", dd_add_unique(&ix, 3, 0.001));
  dd_free(&ix);
}

// BUG: unescaped-return: the request returns the nearest embedding's difference from ts_run's scope without ts_escape
static void *dd_check_delta(void *arg) {
  dd_query *q = arg;
  int b = dd_signature(q->ix, q->q);
  dd_doc *d = q->ix->bucket[b];
  if (!d)
    return NULL;
  return ts_sub(d->emb, q->q); // <- BUG
}

// OK: entry: the delta of a near duplicate through dd_check_delta
void dd_entry_delta(void) {
  dd_index ix;
  if (dd_init(&ix) != 0)
    return;
  dd_insert(&ix, 1, dd_embed(1, 0.0));
  ts_tensor *e = dd_embed(1, 0.001);
  dd_query q = {&ix, e, 0.05, -1};
  ts_tensor *delta = ts_run(dd_check_delta, &q);
  if (delta) {
    float v[DD_D];
    ts_copy_to_buffer(delta, v, sizeof v);
    ts_free(delta);
  }
  ts_free(e);
  dd_free(&ix);
}

// BUG: use-after-free: a removed document's embedding is returned to the caller after being freed
static double dd_remove_norm(dd_index *ix, int id) {
  for (int b = 0; b < DD_BUCKETS; b++)
    for (dd_doc **pp = &ix->bucket[b]; *pp; pp = &(*pp)->next)
      if ((*pp)->id == id) {
        dd_doc *d = *pp;
        *pp = d->next;
        ts_tensor *e = d->emb;
        ts_free(e);
        free(d);
        ix->count--;
        double n = 0;
        TS_SCOPE { n = ts_item(ts_sum(ts_mul(e, e))); } // <- BUG
        return n;
      }
  return -1.0;
}

// OK: entry: drives dd_remove_norm
void dd_entry_remove(void) {
  dd_index ix;
  if (dd_init(&ix) != 0)
    return;
  dd_insert(&ix, 4, dd_embed(4, 0.0));
  printf("%.2f\n", dd_remove_norm(&ix, 4));
  dd_free(&ix);
}

// BUG: double-free: an alias id is inserted with the stored document's own embedding, which the index then owns twice
static int dd_alias(dd_index *ix, int id, int new_id) {
  for (int b = 0; b < DD_BUCKETS; b++)
    for (dd_doc *d = ix->bucket[b]; d; d = d->next)
      if (d->id == id)
        return dd_insert(ix, new_id, d->emb); // <- BUG
  return -1;
}

// OK: entry: an alias added, then the index freed
void dd_entry_alias(void) {
  dd_index ix;
  if (dd_init(&ix) != 0)
    return;
  dd_insert(&ix, 7, dd_embed(7, 0.0));
  dd_alias(&ix, 7, 70);
  dd_free(&ix);
}

// OK: an import whose embeddings are kept out of the async scope
static int dd_import_ok(dd_index *ix, int first, int n) {
  ts_async_scope *as = ts_async_scope_begin();
  if (!as)
    return -1;
  ts_async_scope_enter(as);
  for (int i = 0; i < n; i++)
    dd_insert(ix, first + i, ts_keep(dd_embed(first + i, 0.0)));
  ts_async_scope_leave(as);
  ts_async_scope_end(as);
  return n;
}

// OK: entry: the kept import
void dd_entry_import_ok(void) {
  dd_index ix;
  if (dd_init(&ix) != 0)
    return;
  dd_import_ok(&ix, 20, 3);
  printf("%d stored\n", ix.count);
  dd_free(&ix);
}

// BUG: leak: the bucket sizes are gathered into a tensor that the empty-index path never frees
static int dd_fullest(const dd_index *ix) {
  float sz[DD_BUCKETS];
  for (int b = 0; b < DD_BUCKETS; b++) {
    sz[b] = 0;
    for (dd_doc *d = ix->bucket[b]; d; d = d->next)
      sz[b]++;
  }
  ts_tensor *t = ts_from_buffer(sz, TS_SHAPE(DD_BUCKETS), TS_FLOAT32); // <- BUG
  if (ix->count == 0)
    return -1;
  ts_tensor *am = ts_argmax(t);
  int r = (int)ts_item(am);
  ts_free(am);
  ts_free(t);
  return r;
}

// OK: entry: the fullest bucket of an empty index
void dd_entry_fullest(void) {
  dd_index ix;
  if (dd_init(&ix) != 0)
    return;
  printf("%d\n", dd_fullest(&ix));
  dd_free(&ix);
}
