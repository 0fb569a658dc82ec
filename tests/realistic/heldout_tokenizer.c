/*
 * heldout_tokenizer.c - a whitespace tokenizer with hashed ids and an
 * embedding table: sentence vectors, similarity, padding masks, nearest
 * neighbour search. Held-out corpus (README.md, "Held-out files").
 *
 * Labels: `// OK: why` or `// BUG: check: why` before each function; the
 * line of the bug ends in `// <- BUG`.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define VOCAB 64
#define DIM 8
#define MAXTOK 16

struct emb_table {
  ts_tensor *weight; /* [VOCAB, DIM], owned by the table */
  int dim;
};

// OK: no tensor: hashes each word to an id
static int tok_encode(const char *text, int64_t *ids, int cap) {
  int n = 0;
  uint32_t h = 2166136261u;
  int in_word = 0;
  for (const char *p = text;; p++) {
    if (*p == ' ' || *p == '\0') {
      if (in_word && n < cap)
        ids[n++] = (int64_t)(h % VOCAB);
      h = 2166136261u;
      in_word = 0;
      if (*p == '\0')
        break;
    } else {
      h = (h ^ (uint8_t)*p) * 16777619u;
      in_word = 1;
    }
  }
  return n;
}

// OK: the weight moves into the table; emb_destroy frees it
static int emb_init(struct emb_table *e, int dim) {
  ts_tensor *w = ts_randn(TS_SHAPE(VOCAB, dim), TS_FLOAT32);
  if (!w)
    return -1;
  e->weight = w;
  e->dim = dim;
  return 0;
}

// OK: frees the table's weight and forgets it
static void emb_destroy(struct emb_table *e) {
  if (e->weight)
    ts_free(e->weight);
  e->weight = NULL;
}

// OK: the index tensor is freed, the looked-up rows go to the caller
static ts_tensor *emb_lookup(const struct emb_table *e, const int64_t *ids,
                             int n) {
  ts_tensor *idx = ts_from_buffer(ids, TS_SHAPE(n), TS_INT64);
  ts_tensor *rows = ts_embedding(e->weight, idx, -1, false, false);
  ts_free(idx);
  return rows;
}

// BUG: leak: the index tensor is never freed
static ts_tensor *emb_sentence_mean(const struct emb_table *e,
                                    const char *text) {
  int64_t ids[MAXTOK];
  int n = tok_encode(text, ids, MAXTOK);
  ts_tensor *idx = ts_from_buffer(ids, TS_SHAPE(n), TS_INT64); // <- BUG
  ts_tensor *rows = ts_embedding(e->weight, idx, -1, false, false);
  ts_tensor *mean = ts_mean_dim(rows, TS_SHAPE(0), false, TS_NO_DTYPE);
  ts_free(rows);
  return mean;
}

// OK: the index tensor and the rows are freed; the mean goes to the caller
static ts_tensor *emb_mean_of(const struct emb_table *e, const char *text) {
  int64_t ids[MAXTOK];
  int n = tok_encode(text, ids, MAXTOK);
  ts_tensor *rows = emb_lookup(e, ids, n);
  if (!rows)
    return NULL;
  ts_tensor *mean = ts_mean_dim(rows, TS_SHAPE(0), false, TS_NO_DTYPE);
  ts_free(rows);
  return mean;
}

// OK: prints the length of one sentence vector and frees it (the helper it
// calls leaks)
void tok_report(void) {
  struct emb_table e;
  if (emb_init(&e, DIM) != 0)
    return;
  ts_tensor *v = emb_sentence_mean(&e, "hello world");
  printf("dim %lld\n", (long long)ts_numel(v));
  ts_free(v);
  emb_destroy(&e);
}

// OK: the in-place fill returns the handle it was given: one tensor, freed
// once by the caller
static ts_tensor *tok_mask_padding(ts_tensor *ids, int64_t pad_id) {
  ts_tensor *is_pad = ts_eq_Scalar(ids, (double)pad_id);
  ts_tensor *masked = ts_masked_fill_Scalar_(ids, is_pad, 0.0);
  ts_free(is_pad);
  return masked;
}

// OK: the table, the rows and the padded ids are all freed once (padded is
// the ids tensor itself)
void tok_sentence_vectors(void) {
  struct emb_table e;
  if (emb_init(&e, DIM) != 0)
    return;
  int64_t ids[MAXTOK];
  int n = tok_encode("the cat sat on the mat", ids, MAXTOK);
  ts_tensor *raw = ts_from_buffer(ids, TS_SHAPE(n), TS_INT64);
  ts_tensor *padded = tok_mask_padding(raw, ids[0]);
  ts_tensor *rows = ts_embedding(e.weight, padded, -1, false, false);
  printf("rows %lld x %lld\n", (long long)ts_size(rows, 0),
         (long long)ts_size(rows, 1));
  ts_free(rows);
  ts_free(padded);
  ts_tensor *v = emb_lookup(&e, ids, n);
  ts_free(v);
  emb_destroy(&e);
}

// BUG: use-after-free: the first vector is freed before its norm is taken
void tok_similarity(void) {
  struct emb_table e;
  if (emb_init(&e, DIM) != 0)
    return;
  ts_tensor *a = emb_mean_of(&e, "good morning");
  ts_tensor *b = emb_mean_of(&e, "good evening");
  ts_tensor *prod = ts_mul(a, b);
  ts_tensor *dot = ts_sum(prod);
  ts_free(prod);
  ts_free(a);
  ts_tensor *na = ts_norm_ScalarOpt_dim(a, 2.0, NULL, 0, false); // <- BUG
  ts_tensor *nb = ts_norm_ScalarOpt_dim(b, 2.0, NULL, 0, false);
  printf("cos %f\n", ts_item(dot) / (ts_item(na) * ts_item(nb)));
  ts_free(na);
  ts_free(nb);
  ts_free(dot);
  ts_free(b);
  emb_destroy(&e);
}

// BUG: double-free: the abs is in place, so clipped and ids are one
// tensor, freed twice
void tok_clip_ids(void) {
  int64_t ids[4] = {3, 70, -2, 9};
  ts_tensor *t = ts_from_buffer(ids, TS_SHAPE(4), TS_INT64);
  ts_tensor *clipped = ts_abs_(t);
  printf("%lld ids\n", (long long)ts_numel(clipped));
  ts_free(clipped);
  ts_free(t); // <- BUG
}

// BUG: leak: each sentence's vectors overwrite the previous ones; only the
// last are freed
void tok_encode_corpus(void) {
  static const char *lines[] = {"a b c", "d e", "f g h i"};
  struct emb_table e;
  if (emb_init(&e, DIM) != 0)
    return;
  ts_tensor *vecs = NULL;
  double total = 0;
  for (int i = 0; i < 3; i++) {
    int64_t ids[MAXTOK];
    int n = tok_encode(lines[i], ids, MAXTOK);
    vecs = emb_lookup(&e, ids, n); // <- BUG
    total += (double)ts_numel(vecs);
  }
  printf("%f values\n", total);
  ts_free(vecs);
  emb_destroy(&e);
}

// OK: every lookup happens inside the per-sentence scope, which frees it
void tok_scoped_lengths(void) {
  static const char *lines[] = {"one", "two words", "and three words"};
  struct emb_table e;
  if (emb_init(&e, DIM) != 0)
    return;
  TS_SCOPE for (int i = 0; i < 3; i++) {
    int64_t ids[MAXTOK];
    int n = tok_encode(lines[i], ids, MAXTOK);
    ts_tensor *rows = emb_lookup(&e, ids, n);
    ts_tensor *s = ts_sum(rows);
    printf("%d: %f\n", i, ts_item(s));
  }
  emb_destroy(&e);
}

// BUG: use-after-scope: best points at a vector of one iteration's scope,
// read after the loop
void tok_nearest_scoped(void) {
  static const char *cands[] = {"red apple", "green pear", "blue sky"};
  struct emb_table e;
  if (emb_init(&e, DIM) != 0)
    return;
  ts_tensor *query = emb_mean_of(&e, "red pear");
  ts_tensor *best = NULL;
  double best_score = -1e30;
  TS_SCOPE for (int i = 0; i < 3; i++) {
    ts_tensor *v = emb_mean_of(&e, cands[i]);
    ts_tensor *d = ts_dot(v, query);
    if (ts_item(d) > best_score) {
      best_score = ts_item(d);
      best = v;
    }
  }
  printf("best %f, %lld dims\n", best_score,
         (long long)ts_numel(best)); // <- BUG
  ts_free(query);
  emb_destroy(&e);
}

// OK: the best vector is cloned out of the iteration scope with ts_keep and
// freed after use; the one it replaces is freed first
void tok_nearest_kept(void) {
  static const char *cands[] = {"red apple", "green pear", "blue sky"};
  struct emb_table e;
  if (emb_init(&e, DIM) != 0)
    return;
  int64_t qids[MAXTOK];
  int qn = tok_encode("green apple", qids, MAXTOK);
  ts_tensor *qrows = emb_lookup(&e, qids, qn);
  ts_tensor *query = ts_mean_dim(qrows, TS_SHAPE(0), false, TS_NO_DTYPE);
  ts_free(qrows);
  ts_tensor *best = NULL;
  double best_score = -1e30;
  TS_SCOPE for (int i = 0; i < 3; i++) {
    int64_t ids[MAXTOK];
    int n = tok_encode(cands[i], ids, MAXTOK);
    ts_tensor *rows = emb_lookup(&e, ids, n);
    ts_tensor *v = ts_mean_dim(rows, TS_SHAPE(0), false, TS_NO_DTYPE);
    double s = ts_item(ts_dot(v, query));
    if (s > best_score) {
      best_score = s;
      if (best)
        ts_free(best);
      best = ts_keep(ts_clone(v));
    }
  }
  printf("best %f over %lld dims\n", best_score, (long long)ts_numel(best));
  ts_free(best);
  ts_free(query);
  emb_destroy(&e);
}
