/* heldout8_embdb.c - a small embedding database: records keyed by 64-bit ids
 * in a sorted index of fixed-size pages (split when full), each record
 * owning a normalised embedding; nearest-neighbour queries run under
 * ts_run with pooled query buffers; deletes, upserts and compaction. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define EDIM 8
#define PAGE_CAP 4
#define MAX_PAGES 16

typedef struct {
  uint64_t key;
  ts_tensor *emb; /* [EDIM] unit norm */
  int dead;
} rec;

typedef struct {
  rec r[PAGE_CAP];
  int n;
} page;

typedef struct {
  page *pages[MAX_PAGES];
  int npages;
  size_t live;
  ts_pool *qpool;
} embdb;

// OK: unit-normalised copy of a buffer, caller owns it
static ts_tensor *normalise(const float *v) {
  ts_tensor *out = NULL;
  TS_SCOPE {
    ts_tensor *x = ts_from_buffer(v, TS_SHAPE(EDIM), TS_FLOAT32);
    ts_tensor *n2 = ts_sum(ts_mul(x, x));
    ts_tensor *inv = ts_exp(ts_mul_scalar(ts_log(ts_add_scalar(n2, 1e-12)), -0.5));
    out = ts_escape(ts_mul(x, inv));
  }
  return out;
}

// OK: one empty page and a query pool
static ts_status db_open(embdb *db) {
  memset(db, 0, sizeof *db);
  db->pages[0] = calloc(1, sizeof(page));
  if (!db->pages[0])
    return TS_ERR_OOM;
  db->npages = 1;
  db->qpool = ts_pool_new(2);
  if (!db->qpool) {
    free(db->pages[0]);
    return TS_ERR_OOM;
  }
  return TS_OK;
}

// OK: every record's embedding, the pages, the pool
static void db_close(embdb *db) {
  for (int p = 0; p < db->npages; p++) {
    for (int i = 0; i < db->pages[p]->n; i++)
      if (db->pages[p]->r[i].emb)
        ts_free(db->pages[p]->r[i].emb);
    free(db->pages[p]);
  }
  db->npages = 0;
  ts_pool_destroy(db->qpool);
}

// OK: the page whose key range holds key
static int page_for(const embdb *db, uint64_t key) {
  int p = 0;
  while (p + 1 < db->npages && db->pages[p + 1]->n > 0 &&
         db->pages[p + 1]->r[0].key <= key)
    p++;
  return p;
}

// OK: splits a full page in two; records move, nothing is freed
static int page_split(embdb *db, int p) {
  if (db->npages == MAX_PAGES)
    return -1;
  page *np = calloc(1, sizeof *np);
  if (!np)
    return -1;
  page *old = db->pages[p];
  int half = old->n / 2;
  memcpy(np->r, old->r + half, (size_t)(old->n - half) * sizeof(rec));
  np->n = old->n - half;
  old->n = half;
  memmove(&db->pages[p + 2], &db->pages[p + 1],
          (size_t)(db->npages - p - 1) * sizeof(page *));
  db->pages[p + 1] = np;
  db->npages++;
  return 0;
}

// OK: upsert takes the embedding: replaces (freeing the old) or inserts in order
static int db_upsert(embdb *db, uint64_t key, ts_tensor *emb) {
  int p = page_for(db, key);
  page *pg = db->pages[p];
  for (int i = 0; i < pg->n; i++)
    if (pg->r[i].key == key) {
      if (pg->r[i].emb)
        ts_free(pg->r[i].emb);
      pg->r[i].emb = emb;
      if (pg->r[i].dead)
        db->live++;
      pg->r[i].dead = 0;
      return 0;
    }
  if (pg->n == PAGE_CAP) {
    if (page_split(db, p) != 0) {
      ts_free(emb);
      return -1;
    }
    return db_upsert(db, key, emb);
  }
  int i = pg->n;
  while (i > 0 && pg->r[i - 1].key > key) {
    pg->r[i] = pg->r[i - 1];
    i--;
  }
  pg->r[i] = (rec){key, emb, 0};
  pg->n++;
  db->live++;
  return 0;
}

// BUG: leak: a replaced record's old embedding is overwritten without a free
static int db_upsert_fast(embdb *db, uint64_t key, ts_tensor *emb) {
  page *pg = db->pages[page_for(db, key)];
  for (int i = 0; i < pg->n; i++)
    if (pg->r[i].key == key) {
      pg->r[i].emb = emb; // <- BUG
      pg->r[i].dead = 0;
      return 0;
    }
  return db_upsert(db, key, emb);
}

// OK: delete marks the record dead and frees its embedding now
static int db_delete(embdb *db, uint64_t key) {
  page *pg = db->pages[page_for(db, key)];
  for (int i = 0; i < pg->n; i++)
    if (pg->r[i].key == key && !pg->r[i].dead) {
      ts_free(pg->r[i].emb);
      pg->r[i].emb = NULL;
      pg->r[i].dead = 1;
      db->live--;
      return 0;
    }
  return -1;
}

// BUG: double-free: delete frees the embedding but leaves the handle in the record for close to free again
static int db_delete_lazy(embdb *db, uint64_t key) {
  page *pg = db->pages[page_for(db, key)];
  for (int i = 0; i < pg->n; i++)
    if (pg->r[i].key == key && !pg->r[i].dead) {
      ts_free(pg->r[i].emb); // <- BUG
      pg->r[i].dead = 1;
      db->live--;
      return 0;
    }
  return -1;
}

// OK: compaction drops dead records from every page
static void db_compact(embdb *db) {
  for (int p = 0; p < db->npages; p++) {
    page *pg = db->pages[p];
    int w = 0;
    for (int i = 0; i < pg->n; i++) {
      if (pg->r[i].dead)
        continue;
      pg->r[w++] = pg->r[i];
    }
    pg->n = w;
  }
}

// OK: borrowed lookup, NULL for missing or dead
static const ts_tensor *db_get(const embdb *db, uint64_t key) {
  const page *pg = db->pages[page_for(db, key)];
  for (int i = 0; i < pg->n; i++)
    if (pg->r[i].key == key)
      return pg->r[i].dead ? NULL : pg->r[i].emb;
  return NULL;
}

typedef struct {
  embdb *db;
  const float *q;
  uint64_t best_key;
  double best_sim;
  ts_tensor *best_emb; /* copy of the best embedding, the caller's */
} query;

// OK: nearest neighbour in ts_run's scope; the copy of the best escapes into the query
static void *nn_job(void *ctx) {
  query *qq = ctx;
  ts_tensor *q = normalise(qq->q);
  if (!q)
    return NULL;
  qq->best_sim = -2.0;
  const ts_tensor *best = NULL;
  for (int p = 0; p < qq->db->npages; p++) {
    page *pg = qq->db->pages[p];
    for (int i = 0; i < pg->n; i++) {
      if (pg->r[i].dead)
        continue;
      double s = ts_item(ts_sum(ts_mul(q, pg->r[i].emb)));
      if (s > qq->best_sim) {
        qq->best_sim = s;
        qq->best_key = pg->r[i].key;
        best = pg->r[i].emb;
      }
    }
  }
  ts_free(q);
  qq->best_emb = best ? ts_escape(ts_clone(best)) : NULL;
  return qq;
}

// OK: the best similarity value goes out in best_sim; best_emb is only for use inside the job
static void *nn_job_noescape(void *ctx) {
  query *qq = ctx;
  ts_tensor *q = normalise(qq->q);
  qq->best_sim = -2.0;
  qq->best_emb = NULL;
  for (int p = 0; p < qq->db->npages; p++) {
    page *pg = qq->db->pages[p];
    for (int i = 0; i < pg->n; i++) {
      if (pg->r[i].dead)
        continue;
      ts_tensor *sim = ts_sum(ts_mul(q, pg->r[i].emb));
      if (ts_item(sim) > qq->best_sim) {
        qq->best_sim = ts_item(sim);
        qq->best_key = pg->r[i].key;
        qq->best_emb = sim;
      }
    }
  }
  ts_free(q);
  return qq;
}

// BUG: use-after-scope: reads the job's similarity tensor after ts_run ended its scope
static double nn_query_sim(embdb *db, const float *qv) {
  query qq = {db, qv, 0, 0.0, NULL};
  ts_run(nn_job_noescape, &qq);
  return qq.best_emb ? ts_item(qq.best_emb) : -2.0; // <- BUG
}

// OK: pooled query buffer for batch scoring; released on every path
static double batch_score(embdb *db, const float *qv) {
  ts_tensor *buf = ts_pool_acquire(db->qpool, TS_SHAPE(EDIM), TS_FLOAT32);
  if (!buf)
    buf = ts_from_buffer(qv, TS_SHAPE(EDIM), TS_FLOAT32);
  if (!buf)
    return 0.0;
  double total = 0.0;
  for (int p = 0; p < db->npages; p++)
    for (int i = 0; i < db->pages[p]->n; i++) {
      const ts_tensor *e = db->pages[p]->r[i].emb;
      if (!e)
        continue;
      ts_tensor *d = ts_mul(buf, e);
      if (!d) {
        ts_pool_release(db->qpool, buf);
        return total;
      }
      ts_tensor *s = ts_sum(d);
      total += ts_item(s);
      ts_free(s);
      ts_free(d);
    }
  ts_pool_release(db->qpool, buf);
  return total;
}

// BUG: use-after-free: the pooled buffer is released inside the loop and reused next time round
static double batch_score_release_early(embdb *db, const float *qv) {
  ts_tensor *buf = ts_from_buffer(qv, TS_SHAPE(EDIM), TS_FLOAT32);
  double total = 0.0;
  for (int p = 0; p < db->npages; p++) {
    for (int i = 0; i < db->pages[p]->n; i++) {
      const ts_tensor *e = db->pages[p]->r[i].emb;
      if (!e)
        continue;
      ts_tensor *s = ts_sum(ts_mul_scalar(e, 1.0));
      total += ts_item(s);
      ts_free(s);
    }
    ts_tensor *s2 = ts_sum(buf); // <- BUG
    total += ts_item(s2);
    ts_free(s2);
    ts_pool_release(db->qpool, buf);
  }
  return total;
}

// BUG: leak: the dump's stacked matrix is lost when there are fewer than two records
static ts_tensor *db_dump_matrix(const embdb *db) {
  const ts_tensor *rows[64];
  int n = 0;
  for (int p = 0; p < db->npages; p++)
    for (int i = 0; i < db->pages[p]->n && n < 64; i++)
      if (db->pages[p]->r[i].emb)
        rows[n++] = db->pages[p]->r[i].emb;
  if (n == 0)
    return NULL;
  ts_tensor *m = ts_stack(rows, n, 0); // <- BUG
  if (n < 2)
    return NULL;
  return m;
}

// OK: the twin that frees the stack when it refuses it
static ts_tensor *db_dump_rows(const embdb *db, int min_rows) {
  const ts_tensor *rows[64];
  int n = 0;
  for (int p = 0; p < db->npages; p++)
    for (int i = 0; i < db->pages[p]->n && n < 64; i++)
      if (db->pages[p]->r[i].emb)
        rows[n++] = db->pages[p]->r[i].emb;
  if (n == 0)
    return NULL;
  ts_tensor *m = ts_stack(rows, n, 0);
  if (m && n < min_rows) {
    ts_free(m);
    return NULL;
  }
  return m;
}

// OK: column means of the dump under a guard scope
static double db_centroid_norm(const embdb *db) {
  ts_tensor *m = db_dump_rows(db, 2);
  if (!m)
    return 0.0;
  double v;
  {
    TS_SCOPE_GUARD();
    ts_tensor *ones = ts_full(TS_SHAPE(1, ts_size(m, 0)), TS_FLOAT32, 1.0);
    ts_tensor *c = ts_matmul(ones, m);
    v = ts_item(ts_sum(ts_mul(c, c)));
  }
  ts_free(m);
  return v;
}

// OK: gram matrix of the dump, all temporaries freed
static double db_gram_trace(const embdb *db) {
  ts_tensor *m = db_dump_matrix(db);
  if (!m)
    return 0.0;
  ts_tensor *mt = ts_transpose(m, 0, 1);
  ts_tensor *g = ts_matmul(m, mt);
  ts_tensor *s = ts_sum(g);
  double v = ts_item(s);
  ts_free(s);
  ts_free(g);
  ts_free(mt);
  ts_free(m);
  return v;
}

// OK: loads n records with deterministic vectors
static int db_load(embdb *db, int n) {
  for (int k = 0; k < n; k++) {
    float v[EDIM];
    for (int j = 0; j < EDIM; j++)
      v[j] = (float)((k * 3 + j * 5) % 7) - 3.0f;
    if (db_upsert(db, (uint64_t)(k * 10 + 1), normalise(v)) != 0)
      return -1;
  }
  return 0;
}

// OK: open, load through splits, query, delete, compact, close
void embdb_entry_main(void) {
  embdb db;
  const float q[EDIM] = {1, 0, 0, 1, 0, 0, 1, 0};
  if (db_open(&db) != TS_OK)
    return;
  db_load(&db, 11);
  query qq = {&db, q, 0, 0.0, NULL};
  ts_run(nn_job, &qq);
  db_delete(&db, 21);
  db_delete(&db, 9999);
  db_compact(&db);
  double b = batch_score(&db, q);
  double t = db_centroid_norm(&db);
  printf("%llu %g %g %g %zu %d\n", (unsigned long long)qq.best_key,
         qq.best_sim, b, t, db.live, db_get(&db, 31) != NULL);
  if (qq.best_emb)
    ts_free(qq.best_emb);
  db_close(&db);
}

// OK: upserts replace records in place
void embdb_entry_upsert(void) {
  embdb db;
  const float v[EDIM] = {1, 1, 1, 1, 1, 1, 1, 1};
  if (db_open(&db) != TS_OK)
    return;
  db_load(&db, 3);
  db_upsert(&db, 11, normalise(v));
  db_delete(&db, 1);
  db_upsert(&db, 1, normalise(v));
  db_close(&db);
}

// OK: drives the fast upsert over an existing key
void embdb_entry_fast(void) {
  embdb db;
  const float v[EDIM] = {0, 1, 0, 1, 0, 1, 0, 1};
  if (db_open(&db) != TS_OK)
    return;
  db_load(&db, 2);
  db_upsert_fast(&db, 1, normalise(v));
  db_close(&db);
}

// OK: drives the lazy delete, then close
void embdb_entry_lazy(void) {
  embdb db;
  if (db_open(&db) != TS_OK)
    return;
  db_load(&db, 2);
  db_delete_lazy(&db, 11);
  db_close(&db);
}

// OK: drives the similarity read after the job
void embdb_entry_sim(void) {
  embdb db;
  const float q[EDIM] = {1, 2, 3, 4, 5, 6, 7, 8};
  if (db_open(&db) != TS_OK)
    return;
  db_load(&db, 3);
  printf("%g\n", nn_query_sim(&db, q));
  db_close(&db);
}

// OK: drives the scoring that releases its buffer per page
void embdb_entry_release(void) {
  embdb db;
  const float q[EDIM] = {1, 2, 3, 4, 5, 6, 7, 8};
  if (db_open(&db) != TS_OK)
    return;
  db_load(&db, 6);
  printf("%g\n", batch_score_release_early(&db, q));
  db_close(&db);
}

// OK: a one-record dump
void embdb_entry_dump_one(void) {
  embdb db;
  if (db_open(&db) != TS_OK)
    return;
  db_load(&db, 1);
  printf("%g\n", db_gram_trace(&db));
  db_close(&db);
}

// BUG: double-free: a record's embedding borrowed through db_get is freed by the caller
void embdb_entry_borrow(void) {
  embdb db;
  if (db_open(&db) != TS_OK)
    return;
  db_load(&db, 2);
  ts_tensor *e = (ts_tensor *)db_get(&db, 11);
  if (e) {
    printf("%lld\n", (long long)ts_numel(e));
    ts_free(e); // <- BUG
  }
  db_close(&db);
}

// BUG: leak: the query's best copy is never freed
void embdb_entry_query_leak(void) {
  embdb db;
  const float q[EDIM] = {0, 0, 1, 0, 0, 0, 0, 1};
  if (db_open(&db) != TS_OK)
    return;
  db_load(&db, 4);
  query qq = {&db, q, 0, 0.0, NULL};
  ts_run(nn_job, &qq); // <- BUG
  printf("%llu\n", (unsigned long long)qq.best_key);
  db_close(&db);
}

// BUG: use-after-free: an embedding borrowed through db_get is read after the record was deleted
void embdb_entry_stale_borrow(void) {
  embdb db;
  if (db_open(&db) != TS_OK)
    return;
  db_load(&db, 3);
  const ts_tensor *e = db_get(&db, 11);
  db_delete(&db, 11);
  if (e) {
    ts_tensor *s = ts_sum(e); // <- BUG
    printf("%g\n", ts_item(s));
    ts_free(s);
  }
  db_close(&db);
}
