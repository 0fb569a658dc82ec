/* heldout7_featstore.c - an in-memory feature store: string keys mapped to
 * embedding tensors in an open-addressing hash map that grows, puts that
 * take ownership, borrowed gets, takes that hand ownership back, deletes
 * with tombstones, batch gathers, per-entry normalisation, and ingestion
 * through ts_run. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define FS_DIM 6

typedef struct {
  char *key;    /* NULL: empty slot */
  ts_tensor *val;
  bool dead;    /* tombstone */
} fs_entry;

typedef struct {
  fs_entry *slots;
  size_t cap, live, used;
} fs_store;

typedef struct {
  fs_store *store;
  const char *prefix;
  int count;
} fs_ingest;

// OK: FNV-1a over the key
static uint64_t fs_hash(const char *k) {
  uint64_t h = 1469598103934665603ull;
  while (*k)
    h = (h ^ (unsigned char)*k++) * 1099511628211ull;
  return h;
}

// OK: an empty table of a power-of-two size
static int fs_init(fs_store *s, size_t cap) {
  s->slots = calloc(cap, sizeof *s->slots);
  s->cap = cap;
  s->live = s->used = 0;
  return s->slots ? 0 : -1;
}

// OK: the slot holding key, or the first free slot of its probe sequence
static fs_entry *fs_slot(const fs_store *s, const char *key) {
  size_t i = fs_hash(key) & (s->cap - 1);
  fs_entry *tomb = NULL;
  for (;;) {
    fs_entry *e = &s->slots[i];
    if (!e->key)
      return tomb ? tomb : e;
    if (e->dead) {
      if (!tomb)
        tomb = e;
    } else if (strcmp(e->key, key) == 0) {
      return e;
    }
    i = (i + 1) & (s->cap - 1);
  }
}

// OK: moves every live entry to a table twice as big; tensors move, nothing is freed
static int fs_grow(fs_store *s) {
  fs_store bigger;
  if (fs_init(&bigger, s->cap * 2) != 0)
    return -1;
  for (size_t i = 0; i < s->cap; i++) {
    fs_entry *e = &s->slots[i];
    if (!e->key)
      continue;
    if (e->dead) {
      free(e->key);
      continue;
    }
    *fs_slot(&bigger, e->key) = *e;
    bigger.live++;
    bigger.used++;
  }
  free(s->slots);
  *s = bigger;
  return 0;
}

// OK: the store takes val; an existing value under the key is freed
static int fs_put(fs_store *s, const char *key, ts_tensor *val) TS_CONSUMES(3);
static int fs_put(fs_store *s, const char *key, ts_tensor *val) {
  if (2 * (s->used + 1) > s->cap && fs_grow(s) != 0) {
    ts_free(val);
    return -1;
  }
  fs_entry *e = fs_slot(s, key);
  if (e->key && !e->dead) {
    ts_free(e->val);
    e->val = val;
    return 0;
  }
  if (!e->key)
    s->used++;
  free(e->key);
  e->key = strdup(key);
  e->val = val;
  e->dead = false;
  s->live++;
  return 0;
}

// BUG: leak: an update overwrites the previous embedding without freeing it
static int fs_upsert(fs_store *s, const char *key, ts_tensor *val) TS_CONSUMES(3);
static int fs_upsert(fs_store *s, const char *key, ts_tensor *val) {
  if (2 * (s->used + 1) > s->cap && fs_grow(s) != 0) {
    ts_free(val);
    return -1;
  }
  fs_entry *e = fs_slot(s, key);
  if (!e->key || e->dead) {
    if (!e->key)
      s->used++;
    free(e->key);
    e->key = strdup(key);
    e->dead = false;
    s->live++;
  }
  e->val = val; // <- BUG
  return 0;
}

// OK: borrowed value, or NULL
static const ts_tensor *fs_get(const fs_store *s, const char *key) {
  fs_entry *e = fs_slot(s, key);
  return e->key && !e->dead ? e->val : NULL;
}

// OK: removes and frees the entry's value, leaving a tombstone
static int fs_delete(fs_store *s, const char *key) {
  fs_entry *e = fs_slot(s, key);
  if (!e->key || e->dead)
    return -1;
  ts_free(e->val);
  e->val = NULL;
  e->dead = true;
  s->live--;
  return 0;
}

// BUG: leak: the tombstone is set but the value is never freed
static int fs_forget(fs_store *s, const char *key) {
  fs_entry *e = fs_slot(s, key);
  if (!e->key || e->dead)
    return -1;
  e->dead = true; // <- BUG
  s->live--;
  return 0;
}

// OK: hands the value to the caller and clears the slot
static ts_tensor *fs_take(fs_store *s, const char *key) {
  fs_entry *e = fs_slot(s, key);
  if (!e->key || e->dead)
    return NULL;
  ts_tensor *v = e->val;
  e->val = NULL;
  e->dead = true;
  s->live--;
  return v;
}

// BUG: double-free: the value goes to the caller but stays in the slot, which fs_destroy frees again
static ts_tensor *fs_pop(fs_store *s, const char *key) {
  fs_entry *e = fs_slot(s, key);
  if (!e->key || e->dead)
    return NULL;
  s->live--;
  return e->val; // <- BUG
}

// OK: frees every live value and every key
static void fs_destroy(fs_store *s) {
  for (size_t i = 0; i < s->cap; i++) {
    fs_entry *e = &s->slots[i];
    if (e->key && !e->dead && e->val)
      ts_free(e->val);
    free(e->key);
  }
  free(s->slots);
  memset(s, 0, sizeof *s);
}

// OK: a deterministic embedding for a key
static ts_tensor *fs_embed(const char *key) {
  float v[FS_DIM];
  uint64_t h = fs_hash(key);
  for (int i = 0; i < FS_DIM; i++, h >>= 7)
    v[i] = (float)((h & 0x7f) / 64.0 - 1.0);
  return ts_from_buffer(v, TS_SHAPE(FS_DIM), TS_FLOAT32);
}

// OK: stacks the rows of the keys; a missing key frees the copies made so far
static ts_tensor *fs_gather(const fs_store *s, const char *const *keys, int n) {
  ts_tensor **rows = calloc((size_t)n, sizeof *rows);
  ts_tensor *batch = NULL;
  int made = 0;
  if (!rows)
    return NULL;
  for (; made < n; made++) {
    const ts_tensor *v = fs_get(s, keys[made]);
    if (!v)
      goto out;
    rows[made] = ts_contiguous(v);
  }
  batch = ts_stack((const ts_tensor *const *)rows, n, 0);
out:
  for (int i = 0; i < made; i++)
    ts_free(rows[i]);
  free(rows);
  return batch;
}

// BUG: leak: a missing key returns with the row copies made so far still alive
static ts_tensor *fs_gather_fast(const fs_store *s, const char *const *keys, int n) {
  ts_tensor *rows[16];
  for (int i = 0; i < n; i++) {
    const ts_tensor *v = fs_get(s, keys[i]);
    if (!v)
      return NULL;
    rows[i] = ts_contiguous(v); // <- BUG
  }
  ts_tensor *batch = ts_stack((const ts_tensor *const *)rows, n, 0);
  for (int i = 0; i < n; i++)
    ts_free(rows[i]);
  return batch;
}

// OK: unit-normalises every value, replacing and freeing the old one
static void fs_normalise(fs_store *s) {
  for (size_t i = 0; i < s->cap; i++) {
    fs_entry *e = &s->slots[i];
    if (!e->key || e->dead)
      continue;
    ts_tensor *norm = ts_linalg_vector_norm(e->val, 2.0, NULL, -1, false, TS_NO_DTYPE);
    if (!norm)
      continue;
    ts_tensor *safe = ts_clamp_min(norm, 1e-8);
    ts_free(norm);
    ts_tensor *unit = ts_div(e->val, safe);
    ts_free(safe);
    if (!unit)
      continue;
    ts_free(e->val);
    e->val = unit;
  }
}

// BUG: leak: each value is replaced by its scaled copy without freeing the original
static void fs_scale_all(fs_store *s, double k) {
  for (size_t i = 0; i < s->cap; i++) {
    fs_entry *e = &s->slots[i];
    if (e->key && !e->dead)
      e->val = ts_mul_scalar(e->val, k); // <- BUG
  }
}

// BUG: use-after-free: the borrowed old value is blended after the put replaced and freed it
static int fs_blend(fs_store *s, const char *key, const ts_tensor *update, double a) {
  const ts_tensor *old = fs_get(s, key);
  if (!old)
    return -1;
  fs_put(s, key, ts_mul_scalar(update, a));
  ts_tensor *rest = ts_mul_scalar(old, 1.0 - a); // <- BUG
  ts_tensor *mix = ts_add(fs_get(s, key), rest);
  ts_free(rest);
  return fs_put(s, key, mix);
}

// OK: the old value's share is computed before the put frees it
static int fs_blend_ok(fs_store *s, const char *key, const ts_tensor *update, double a) {
  const ts_tensor *old = fs_get(s, key);
  if (!old)
    return -1;
  ts_tensor *rest = ts_mul_scalar(old, 1.0 - a);
  ts_tensor *part = ts_mul_scalar(update, a);
  ts_tensor *mix = ts_add(rest, part);
  ts_free(part);
  ts_free(rest);
  return fs_put(s, key, mix);
}

// BUG: use-after-free: the evicted bytes are counted after the value was freed
static size_t fs_evict_prefix(fs_store *s, const char *prefix) {
  size_t bytes = 0, plen = strlen(prefix);
  for (size_t i = 0; i < s->cap; i++) {
    fs_entry *e = &s->slots[i];
    if (!e->key || e->dead || strncmp(e->key, prefix, plen) != 0)
      continue;
    ts_free(e->val);
    bytes += ts_nbytes(e->val); // <- BUG
    e->val = NULL;
    e->dead = true;
    s->live--;
  }
  return bytes;
}

// OK: bytes counted, then the value freed
static size_t fs_evict_matching(fs_store *s, const char *prefix) {
  size_t bytes = 0, plen = strlen(prefix);
  for (size_t i = 0; i < s->cap; i++) {
    fs_entry *e = &s->slots[i];
    if (!e->key || e->dead || strncmp(e->key, prefix, plen) != 0)
      continue;
    bytes += ts_nbytes(e->val);
    ts_free(e->val);
    e->val = NULL;
    e->dead = true;
    s->live--;
  }
  return bytes;
}

// OK: ts_run callback; embeddings are kept out of its scope before the store takes them
static void *fs_ingest_cb(void *ctx) {
  fs_ingest *in = ctx;
  char key[32];
  for (int i = 0; i < in->count; i++) {
    snprintf(key, sizeof key, "%s%d", in->prefix, i);
    ts_tensor *e = ts_tanh(fs_embed(key));
    fs_put(in->store, key, ts_keep(e));
  }
  return NULL;
}

// BUG: use-after-scope: the embeddings stored by this callback belong to ts_run's scope
static void *fs_ingest_cb_fast(void *ctx) {
  fs_ingest *in = ctx;
  char key[32];
  for (int i = 0; i < in->count; i++) {
    snprintf(key, sizeof key, "%s%d", in->prefix, i);
    fs_put(in->store, key, ts_tanh(fs_embed(key))); // <- BUG
  }
  return NULL;
}

// BUG: unescaped-return: a missing key's default embedding is returned from the function's scope
TS_SCOPED static ts_tensor *fs_lookup_or_default(const fs_store *s, const char *key) {
  const ts_tensor *v = fs_get(s, key);
  if (v)
    return ts_escape(ts_clone(v));
  ts_tensor *avg = ts_zeros(TS_SHAPE(FS_DIM), TS_FLOAT32);
  return ts_add_scalar(avg, 0.5); // <- BUG
}

// OK: both paths escape their result
TS_SCOPED static ts_tensor *fs_lookup(const fs_store *s, const char *key) {
  const ts_tensor *v = fs_get(s, key);
  if (v)
    return ts_escape(ts_clone(v));
  return ts_escape(ts_full(TS_SHAPE(FS_DIM), TS_FLOAT32, 0.5));
}

// OK: loads n keys with a prefix
static void fs_load(fs_store *s, const char *prefix, int n) {
  char key[32];
  for (int i = 0; i < n; i++) {
    snprintf(key, sizeof key, "%s%d", prefix, i);
    fs_put(s, key, fs_embed(key));
  }
}

// OK: a store grown past its first size, queried, updated, evicted and destroyed
void fs_run_store(void) {
  fs_store s;
  if (fs_init(&s, 4) != 0)
    return;
  fs_load(&s, "user", 10);
  fs_load(&s, "item", 5);
  fs_normalise(&s);
  const char *keys[3] = {"user1", "user2", "item3"};
  ts_tensor *b = fs_gather(&s, keys, 3);
  if (b) {
    printf("featstore: batch %lld x %lld\n", (long long)ts_size(b, 0), (long long)ts_size(b, 1));
    ts_free(b);
  }
  ts_tensor *u = fs_embed("fresh");
  fs_blend_ok(&s, "user3", u, 0.1);
  ts_free(u);
  fs_delete(&s, "user4");
  ts_tensor *t = fs_take(&s, "user5");
  if (t)
    ts_free(t);
  printf("featstore: evicted %zu bytes\n", fs_evict_matching(&s, "item"));
  ts_tensor *d = fs_lookup(&s, "nobody");
  ts_free(d);
  fs_destroy(&s);
}

// OK: updates an existing key through upsert
void fs_run_upsert(void) {
  fs_store s;
  if (fs_init(&s, 8) != 0)
    return;
  fs_upsert(&s, "a", fs_embed("a"));
  fs_upsert(&s, "a", fs_embed("b"));
  fs_destroy(&s);
}

// OK: forgets a key
void fs_run_forget(void) {
  fs_store s;
  if (fs_init(&s, 8) != 0)
    return;
  fs_load(&s, "k", 3);
  fs_forget(&s, "k1");
  fs_destroy(&s);
}

// OK: pops a key and frees what it got
void fs_run_pop(void) {
  fs_store s;
  if (fs_init(&s, 8) != 0)
    return;
  fs_load(&s, "k", 3);
  ts_tensor *v = fs_pop(&s, "k2");
  if (v)
    ts_free(v);
  fs_destroy(&s);
}

// OK: gathers with a missing key
void fs_run_gather_missing(void) {
  fs_store s;
  const char *keys[3] = {"k0", "k1", "zzz"};
  if (fs_init(&s, 8) != 0)
    return;
  fs_load(&s, "k", 3);
  ts_tensor *b = fs_gather_fast(&s, keys, 3);
  if (b)
    ts_free(b);
  fs_destroy(&s);
}

// OK: scales the whole store
void fs_run_scale(void) {
  fs_store s;
  if (fs_init(&s, 8) != 0)
    return;
  fs_load(&s, "k", 2);
  fs_scale_all(&s, 2.0);
  fs_destroy(&s);
}

// OK: blends through the stale borrow
void fs_run_blend(void) {
  fs_store s;
  if (fs_init(&s, 8) != 0)
    return;
  fs_load(&s, "k", 2);
  ts_tensor *u = fs_embed("u");
  fs_blend(&s, "k0", u, 0.3);
  ts_free(u);
  fs_destroy(&s);
}

// OK: evicts by prefix, counting late
void fs_run_evict(void) {
  fs_store s;
  if (fs_init(&s, 8) != 0)
    return;
  fs_load(&s, "k", 2);
  printf("featstore: %zu bytes\n", fs_evict_prefix(&s, "k"));
  fs_destroy(&s);
}

// OK: ingests through ts_run with kept embeddings
void fs_run_ingest(void) {
  fs_store s;
  if (fs_init(&s, 8) != 0)
    return;
  fs_ingest in = {&s, "doc", 6};
  ts_run(fs_ingest_cb, &in);
  const ts_tensor *v = fs_get(&s, "doc3");
  if (v)
    printf("featstore: doc3 has %lld values\n", (long long)ts_numel(v));
  fs_destroy(&s);
}

// OK: ingests through the fast callback, then reads
void fs_run_ingest_fast(void) {
  fs_store s;
  if (fs_init(&s, 8) != 0)
    return;
  fs_ingest in = {&s, "doc", 3};
  ts_run(fs_ingest_cb_fast, &in);
  const ts_tensor *v = fs_get(&s, "doc1");
  if (v)
    printf("featstore: doc1 has %lld values\n", (long long)ts_numel(v));
  fs_destroy(&s);
}

// OK: a default for a missing key, used and freed
void fs_run_default(void) {
  fs_store s;
  if (fs_init(&s, 8) != 0)
    return;
  ts_tensor *d = fs_lookup_or_default(&s, "missing");
  printf("featstore: default %lld\n", (long long)ts_numel(d));
  ts_free(d);
  fs_destroy(&s);
}

// BUG: double-free: one tensor is put under two keys, and the store frees it for each
void fs_run_alias_keys(void) {
  fs_store s;
  if (fs_init(&s, 8) != 0)
    return;
  ts_tensor *shared = fs_embed("shared");
  fs_put(&s, "left", shared);
  fs_put(&s, "right", shared); // <- BUG
  fs_destroy(&s);
}

// BUG: leak: the value handed over by fs_take is dropped
void fs_run_take_ignored(void) {
  fs_store s;
  if (fs_init(&s, 8) != 0)
    return;
  fs_load(&s, "k", 3);
  if (fs_take(&s, "k1")) // <- BUG
    printf("featstore: took k1, %zu left\n", s.live);
  fs_destroy(&s);
}

// BUG: use-after-scope: the embedding put inside the block is owned by its scope and read after it
void fs_run_scoped_put(void) {
  fs_store s;
  if (fs_init(&s, 8) != 0)
    return;
  TS_SCOPE {
    fs_put(&s, "tmp", ts_sigmoid(fs_embed("tmp")));
  }
  const ts_tensor *v = fs_get(&s, "tmp");
  printf("featstore: tmp %lld\n", (long long)ts_numel(v)); // <- BUG
  fs_destroy(&s);
}

// BUG: use-after-free: the borrowed value is read after the key was deleted
void fs_run_delete_alias(void) {
  fs_store s;
  if (fs_init(&s, 8) != 0)
    return;
  fs_load(&s, "k", 2);
  const ts_tensor *v = fs_get(&s, "k0");
  fs_delete(&s, "k0");
  printf("featstore: deleted %lld values\n", (long long)ts_numel(v)); // <- BUG
  fs_destroy(&s);
}

// BUG: unescaped-return: the centroid belongs to the guard scope
static ts_tensor *fs_centroid(const fs_store *s, const char *const *keys, int n) {
  TS_SCOPE_GUARD();
  ts_tensor *b = fs_gather(s, keys, n);
  if (!b)
    return NULL;
  return ts_mean_dim(b, TS_SHAPE(0), false, TS_NO_DTYPE); // <- BUG
}

// OK: uses and frees the centroid it is handed
void fs_run_centroid(void) {
  fs_store s;
  const char *keys[2] = {"k0", "k1"};
  if (fs_init(&s, 8) != 0)
    return;
  fs_load(&s, "k", 2);
  ts_tensor *c = fs_centroid(&s, keys, 2);
  if (c) {
    printf("featstore: centroid %lld\n", (long long)ts_numel(c));
    ts_free(c);
  }
  fs_destroy(&s);
}
