/* heldout6_tokcache.c - a whitespace tokenizer feeding an embedding table
 * through an LRU cache of pooled sentence vectors: cache entries own their
 * tensors, lookups borrow, eviction frees, and batches are built with
 * ts_stack from borrowed rows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { TC_VOCAB = 16, TC_DIM = 4, TC_SLOTS = 3 };

typedef struct {
  char key[32];
  ts_tensor *vec; /* [1, DIM], owned by the entry */
  unsigned stamp;
} tc_entry;

typedef struct {
  tc_entry e[TC_SLOTS];
  unsigned clock;
  ts_tensor *table; /* [VOCAB, DIM] */
} tc_cache;

// OK: hashes words into ids; no tensors
static int tc_tokenize(const char *s, int64_t *ids, int max) {
  int n = 0;
  unsigned h = 0;
  int in = 0;
  for (const char *p = s;; p++) {
    if (*p && *p != ' ') {
      h = h * 31u + (unsigned char)*p;
      in = 1;
    } else if (in) {
      if (n < max)
        ids[n++] = (int64_t)(h % TC_VOCAB);
      h = 0;
      in = 0;
    }
    if (!*p)
      break;
  }
  return n;
}

// OK: the cache owns a table; entries start empty
static int tc_init(tc_cache *c) {
  memset(c, 0, sizeof *c);
  ts_manual_seed(11);
  c->table = ts_randn(TS_SHAPE(TC_VOCAB, TC_DIM), TS_FLOAT32);
  return c->table ? 0 : -1;
}

// OK: frees every entry's vector and the table
static void tc_destroy(tc_cache *c) {
  for (int i = 0; i < TC_SLOTS; i++)
    if (c->e[i].vec) {
      ts_free(c->e[i].vec);
      c->e[i].vec = NULL;
    }
  ts_free(c->table);
  c->table = NULL;
}

// OK: mean-pooled embedding of a sentence, a new tensor the caller owns
static ts_tensor *tc_embed(const tc_cache *c, const char *s) {
  int64_t ids[16];
  int n = tc_tokenize(s, ids, 16);
  if (n == 0)
    return NULL;
  ts_tensor *r = NULL;
  TS_SCOPE {
    ts_tensor *ix = ts_from_buffer(ids, TS_SHAPE(n), TS_INT64);
    ts_tensor *rows = ts_index_select(c->table, 0, ix);
    ts_tensor *m = ts_mean_dim(rows, TS_SHAPE(0), true, TS_NO_DTYPE);
    r = ts_escape(m);
  }
  return r;
}

// OK: a borrowed vector from the cache, computed and stored on a miss
static const ts_tensor *tc_lookup(tc_cache *c, const char *s) {
  c->clock++;
  int lru = 0;
  for (int i = 0; i < TC_SLOTS; i++) {
    if (c->e[i].vec && strcmp(c->e[i].key, s) == 0) {
      c->e[i].stamp = c->clock;
      return c->e[i].vec;
    }
    if (!c->e[i].vec || c->e[i].stamp < c->e[lru].stamp)
      lru = i;
  }
  ts_tensor *v = tc_embed(c, s);
  if (!v)
    return NULL;
  if (c->e[lru].vec)
    ts_free(c->e[lru].vec);
  snprintf(c->e[lru].key, sizeof c->e[lru].key, "%s", s);
  c->e[lru].vec = v;
  c->e[lru].stamp = c->clock;
  return v;
}

// BUG: leak: a replaced cache slot's old vector is overwritten without a free
static const ts_tensor *tc_lookup_nofree(tc_cache *c, const char *s) {
  int slot = (int)(c->clock++ % TC_SLOTS);
  for (int i = 0; i < TC_SLOTS; i++)
    if (c->e[i].vec && strcmp(c->e[i].key, s) == 0)
      return c->e[i].vec;
  snprintf(c->e[slot].key, sizeof c->e[slot].key, "%s", s);
  c->e[slot].vec = tc_embed(c, s); // <- BUG
  return c->e[slot].vec;
}

// OK: lookups through the LRU cache, more sentences than slots
void tc_cache_queries(void) {
  tc_cache c;
  if (tc_init(&c) != 0)
    return;
  const char *qs[5] = {"the cat", "a dog runs", "the cat", "birds fly high", "a b c"};
  double acc = 0;
  for (int i = 0; i < 5; i++) {
    const ts_tensor *v = tc_lookup(&c, qs[i]);
    if (v)
      acc += (double)ts_numel(v);
  }
  printf("tokcache: %.0f\n", acc);
  tc_destroy(&c);
}

// OK: drives the non-freeing lookup (its bug) past the slot count
void tc_cache_queries_nofree(void) {
  tc_cache c;
  if (tc_init(&c) != 0)
    return;
  const char *qs[4] = {"one", "two", "three", "four"};
  for (int i = 0; i < 4; i++)
    tc_lookup_nofree(&c, qs[i]);
  tc_destroy(&c);
}

// BUG: use-after-free: a borrowed vector is evicted by a later lookup and then read
void tc_borrow_across_eviction(void) {
  tc_cache c;
  if (tc_init(&c) != 0)
    return;
  const ts_tensor *first = tc_lookup(&c, "hello world");
  tc_lookup(&c, "x y");
  tc_lookup(&c, "p q");
  tc_lookup(&c, "m n o");
  TS_SCOPE { printf("tokcache: %.3f\n", ts_item(ts_sum(first))); } // <- BUG
  tc_destroy(&c);
}

// OK: the borrowed vector is cloned before more lookups can evict it
void tc_clone_before_eviction(void) {
  tc_cache c;
  if (tc_init(&c) != 0)
    return;
  ts_tensor *first = ts_clone(tc_lookup(&c, "hello world"));
  tc_lookup(&c, "x y");
  tc_lookup(&c, "p q");
  tc_lookup(&c, "m n o");
  TS_SCOPE { printf("tokcache: %.3f\n", ts_item(ts_sum(first))); }
  ts_free(first);
  tc_destroy(&c);
}

// BUG: double-free: the caller frees a borrowed cache vector, then the cache frees it
void tc_free_borrowed(void) {
  tc_cache c;
  if (tc_init(&c) != 0)
    return;
  ts_tensor *v = (ts_tensor *)tc_lookup(&c, "free me");
  printf("tokcache: %lld\n", (long long)ts_numel(v));
  ts_free(v);
  tc_destroy(&c); // <- BUG
}

// OK: a batch of sentence vectors stacked from borrowed rows; only the stack is freed
void tc_batch_stack(void) {
  tc_cache c;
  if (tc_init(&c) != 0)
    return;
  const char *qs[3] = {"alpha beta", "gamma", "delta eps zeta"};
  const ts_tensor *rows[3];
  for (int i = 0; i < 3; i++)
    rows[i] = tc_lookup(&c, qs[i]);
  ts_tensor *batch = ts_cat(rows, 3, 0);
  printf("tokcache: batch %lldx%lld\n", (long long)ts_size(batch, 0),
         (long long)ts_size(batch, 1));
  ts_free(batch);
  tc_destroy(&c);
}

// BUG: leak: the stacked batch is rebuilt each epoch without freeing the previous one
void tc_batch_rebuild(void) {
  tc_cache c;
  if (tc_init(&c) != 0)
    return;
  const ts_tensor *rows[2] = {tc_lookup(&c, "a"), tc_lookup(&c, "b")};
  ts_tensor *batch = NULL;
  for (int ep = 0; ep < 2; ep++)
    batch = ts_stack(rows, 2, 0); // <- BUG
  ts_free(batch);
  tc_destroy(&c);
}

// OK: embeddings of many sentences into a malloc'd array, all freed
void tc_embed_corpus(void) {
  tc_cache c;
  if (tc_init(&c) != 0)
    return;
  const char *docs[4] = {"one two", "three", "four five six", "seven"};
  ts_tensor **vs = calloc(4, sizeof *vs);
  if (!vs) {
    tc_destroy(&c);
    return;
  }
  int n = 0;
  for (; n < 4; n++) {
    vs[n] = tc_embed(&c, docs[n]);
    if (!vs[n])
      break;
  }
  TS_SCOPE {
    ts_tensor *all = ts_cat((const ts_tensor *const *)vs, n, 0);
    ts_tensor *sim = ts_matmul(all, ts_transpose(all, 0, 1));
    printf("tokcache: sim %.3f\n", ts_item(ts_mean(sim)));
  }
  for (int i = 0; i < n; i++)
    ts_free(vs[i]);
  free(vs);
  tc_destroy(&c);
}

// BUG: leak: the error path frees the array but not the vectors made so far
static int tc_embed_all(tc_cache *c, const char **docs, int n, ts_tensor ***out) {
  ts_tensor **vs = calloc((size_t)n, sizeof *vs);
  if (!vs)
    return -1;
  for (int i = 0; i < n; i++) {
    vs[i] = tc_embed(c, docs[i]); // <- BUG
    if (!vs[i]) {
      free(vs);
      return -1;
    }
  }
  *out = vs;
  return 0;
}

// OK: drives the batch embedder onto its error path with an empty document
void tc_embed_all_empty_doc(void) {
  tc_cache c;
  if (tc_init(&c) != 0)
    return;
  const char *docs[3] = {"ok doc", "", "never"};
  ts_tensor **vs = NULL;
  if (tc_embed_all(&c, docs, 3, &vs) == 0) {
    for (int i = 0; i < 3; i++)
      ts_free(vs[i]);
    free(vs);
  }
  tc_destroy(&c);
}

// OK: the batch embedder that unwinds on error
static int tc_embed_all_ok(tc_cache *c, const char **docs, int n, ts_tensor ***out) {
  ts_tensor **vs = calloc((size_t)n, sizeof *vs);
  if (!vs)
    return -1;
  for (int i = 0; i < n; i++) {
    vs[i] = tc_embed(c, docs[i]);
    if (!vs[i]) {
      while (i-- > 0)
        ts_free(vs[i]);
      free(vs);
      return -1;
    }
  }
  *out = vs;
  return 0;
}

// OK: both outcomes of the unwinding embedder
void tc_embed_all_unwinds(void) {
  tc_cache c;
  if (tc_init(&c) != 0)
    return;
  const char *bad[3] = {"ok doc", "", "never"};
  const char *good[2] = {"ok doc", "fine"};
  ts_tensor **vs = NULL;
  if (tc_embed_all_ok(&c, bad, 3, &vs) != 0)
    printf("tokcache: bad corpus refused\n");
  if (tc_embed_all_ok(&c, good, 2, &vs) == 0) {
    for (int i = 0; i < 2; i++)
      ts_free(vs[i]);
    free(vs);
  }
  tc_destroy(&c);
}

// BUG: unescaped-return: the sentence vector is returned from inside the TS_SCOPE block
static ts_tensor *tc_embed_noescape(const tc_cache *c, const char *s) {
  int64_t ids[16];
  int n = tc_tokenize(s, ids, 16);
  TS_SCOPE {
    ts_tensor *ix = ts_from_buffer(ids, TS_SHAPE(n), TS_INT64);
    ts_tensor *rows = ts_index_select(c->table, 0, ix);
    return ts_mean_dim(rows, TS_SHAPE(0), true, TS_NO_DTYPE); // <- BUG
  }
  return NULL;
}

// OK: reads the vector from the non-escaping embedder (its bug)
void tc_embed_direct(void) {
  tc_cache c;
  if (tc_init(&c) != 0)
    return;
  ts_tensor *v = tc_embed_noescape(&c, "direct words here");
  if (v) {
    printf("tokcache: %lld\n", (long long)ts_numel(v));
    ts_free(v);
  }
  tc_destroy(&c);
}

// BUG: use-after-scope: the vector of the longest sentence is remembered from a loop scope
void tc_longest_sentence(void) {
  tc_cache c;
  if (tc_init(&c) != 0)
    return;
  const char *docs[3] = {"a", "a b c", "a b"};
  const ts_tensor *vecs[3];
  for (int i = 0; i < 3; i++)
    vecs[i] = tc_lookup(&c, docs[i]);
  const ts_tensor *best = NULL;
  int best_n = 0;
  TS_SCOPE for (int i = 0; i < 3; i++) {
    int64_t ids[16];
    int n = tc_tokenize(docs[i], ids, 16);
    ts_tensor *v = ts_mul_scalar(vecs[i], (double)n);
    if (n > best_n) {
      best_n = n;
      best = v;
    }
  }
  if (best)
    printf("tokcache: %.3f\n", ts_item(ts_sum(best))); // <- BUG
  tc_destroy(&c);
}

// OK: the longest sentence's vector escaped out of the loop, the previous freed
void tc_longest_sentence_ok(void) {
  tc_cache c;
  if (tc_init(&c) != 0)
    return;
  const char *docs[3] = {"a", "a b c", "a b"};
  const ts_tensor *vecs[3];
  for (int i = 0; i < 3; i++)
    vecs[i] = tc_lookup(&c, docs[i]);
  ts_tensor *best = NULL;
  int best_n = 0;
  TS_SCOPE for (int i = 0; i < 3; i++) {
    int64_t ids[16];
    int n = tc_tokenize(docs[i], ids, 16);
    ts_tensor *v = ts_mul_scalar(vecs[i], (double)n);
    if (n > best_n) {
      best_n = n;
      if (best)
        ts_free(best);
      best = ts_escape(v);
    }
  }
  if (best) {
    TS_SCOPE { printf("tokcache: %.3f\n", ts_item(ts_sum(best))); }
    ts_free(best);
  }
  tc_destroy(&c);
}

// BUG: double-free: the table is freed for a resize, and the failed resize leaves it for destroy
static int tc_resize_table(tc_cache *c, int64_t dim) {
  ts_free(c->table); // <- BUG
  if (dim <= 0)
    return -1;
  c->table = ts_randn(TS_SHAPE(TC_VOCAB, dim), TS_FLOAT32);
  return 0;
}

// OK: drives the resize with a bad dimension, then destroys the cache
void tc_resize_bad(void) {
  tc_cache c;
  if (tc_init(&c) != 0)
    return;
  if (tc_resize_table(&c, 0) != 0)
    printf("tokcache: resize failed\n");
  tc_destroy(&c);
}

// OK: a pooled scratch row for the query, released after the similarity
static double tc_query_sim(tc_cache *c, ts_pool *pool, const char *q, const char *d) {
  ts_tensor *scratch = ts_pool_acquire(pool, TS_SHAPE(1, TC_DIM), TS_FLOAT32);
  if (!scratch)
    scratch = ts_empty(TS_SHAPE(1, TC_DIM), TS_FLOAT32);
  double s = 0;
  ts_copy_(scratch, tc_lookup(c, q), false);
  const ts_tensor *dvec = tc_lookup(c, d);
  TS_SCOPE {
    ts_tensor *dv = ts_transpose(dvec, 0, 1);
    s = ts_item(ts_matmul(scratch, dv));
  }
  ts_pool_release(pool, scratch);
  return s;
}

// OK: similarities through the global pool
void tc_similarities(void) {
  tc_cache c;
  if (tc_init(&c) != 0)
    return;
  printf("tokcache: %.3f %.3f\n", tc_query_sim(&c, ts_global_pool(), "a b", "b c"),
         tc_query_sim(&c, ts_global_pool(), "x", "y"));
  tc_destroy(&c);
}
