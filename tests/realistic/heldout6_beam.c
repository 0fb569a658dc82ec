/* heldout6_beam.c - a beam-search decoder over a toy language model: beams
 * in a fixed array of structs, hypothesis scores, top-k pruning through the
 * generated operators, a decoder cache and length normalisation. */
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { BM_VOCAB = 6, BM_HID = 4, BM_WIDTH = 3 };

typedef struct {
  ts_tensor *emb; /* [VOCAB, HID] */
  ts_tensor *out; /* [HID, VOCAB] */
} bm_model;

typedef struct {
  ts_tensor *state; /* [1, HID] */
  double score;
  int last;
  int len;
} bm_beam;

// OK: both weights or none
static int bm_model_init(bm_model *m) {
  ts_manual_seed(7);
  m->emb = ts_randn(TS_SHAPE(BM_VOCAB, BM_HID), TS_FLOAT32);
  if (!m->emb)
    return -1;
  m->out = ts_randn(TS_SHAPE(BM_HID, BM_VOCAB), TS_FLOAT32);
  if (!m->out) {
    ts_free(m->emb);
    m->emb = NULL;
    return -1;
  }
  return 0;
}

// OK: frees both weights
static void bm_model_free(bm_model *m) {
  ts_free(m->out);
  ts_free(m->emb);
  m->out = m->emb = NULL;
}

// OK: the embedding row of a token, a new tensor the caller owns
static ts_tensor *bm_embed(const bm_model *m, int tok) {
  ts_tensor *row = ts_narrow(m->emb, 0, tok, 1);
  ts_tensor *h = ts_tanh(row);
  ts_free(row);
  return h;
}

// OK: next-token log-probabilities, computed in the caller's scope
TS_CALLER_SCOPE static ts_tensor *bm_logprobs(const bm_model *m,
                                              const ts_tensor *state) {
  return ts_log_softmax(ts_matmul(state, m->out), 1);
}

// OK: every beam's state freed, slots cleared
static void bm_beams_free(bm_beam *b, int n) {
  for (int i = 0; i < n; i++) {
    if (b[i].state)
      ts_free(b[i].state);
    b[i].state = NULL;
  }
}

// OK: greedy decode, one scope per step, state escaped and the old one freed
void bm_greedy_decode(void) {
  bm_model m;
  if (bm_model_init(&m) != 0)
    return;
  ts_tensor *state = bm_embed(&m, 0);
  int tok = 0;
  for (int step = 0; step < 4; step++) {
    TS_SCOPE {
      ts_tensor *lp = bm_logprobs(&m, state);
      tok = (int)ts_item(ts_argmax(lp));
      ts_tensor *e = ts_narrow(m.emb, 0, tok, 1);
      ts_tensor *next = ts_tanh(ts_add(state, e));
      ts_free(state);
      state = ts_escape(next);
    }
  }
  printf("beam: greedy last %d\n", tok);
  ts_free(state);
  bm_model_free(&m);
}

// BUG: use-after-free: the old state is freed before the step that reads it
void bm_greedy_uaf(void) {
  bm_model m;
  if (bm_model_init(&m) != 0)
    return;
  ts_tensor *state = bm_embed(&m, 1);
  for (int step = 0; step < 2; step++) {
    TS_SCOPE {
      ts_tensor *e = ts_narrow(m.emb, 0, step, 1);
      ts_free(state);
      ts_tensor *next = ts_tanh(ts_add(state, e)); // <- BUG
      state = ts_escape(next);
    }
  }
  ts_free(state);
  bm_model_free(&m);
}

// OK: top-k candidates of one beam via ts_topk; both outputs freed
static int bm_expand(const bm_model *m, const bm_beam *b, double *scores,
                     int *toks) {
  ts_tensor *tk[2] = {NULL, NULL};
  int n = 0;
  TS_SCOPE {
    ts_tensor *lp = bm_logprobs(m, b->state);
    if (ts_topk(tk, lp, BM_WIDTH, 1, true, true) == TS_OK) {
      float v[BM_WIDTH];
      int64_t ix[BM_WIDTH];
      ts_copy_to_buffer(tk[0], v, sizeof v);
      ts_copy_to_buffer(tk[1], ix, sizeof ix);
      for (n = 0; n < BM_WIDTH; n++) {
        scores[n] = b->score + v[n];
        toks[n] = (int)ix[n];
      }
    }
  }
  return n;
}

// OK: a full beam search; new beams built in a second array and swapped
void bm_beam_search(void) {
  bm_model m;
  if (bm_model_init(&m) != 0)
    return;
  bm_beam cur[BM_WIDTH] = {{0}}, nxt[BM_WIDTH] = {{0}};
  cur[0].state = bm_embed(&m, 0);
  int ncur = 1;
  for (int step = 0; step < 3; step++) {
    double sc[BM_WIDTH * BM_WIDTH];
    int tk[BM_WIDTH * BM_WIDTH], from[BM_WIDTH * BM_WIDTH], nc = 0;
    for (int i = 0; i < ncur; i++) {
      int k = bm_expand(&m, &cur[i], sc + nc, tk + nc);
      for (int j = 0; j < k; j++)
        from[nc + j] = i;
      nc += k;
    }
    int nn = nc < BM_WIDTH ? nc : BM_WIDTH;
    for (int j = 0; j < nn; j++) {
      ts_tensor *e = bm_embed(&m, tk[j]);
      ts_tensor *s = ts_add(cur[from[j]].state, e);
      nxt[j].state = ts_tanh(s);
      ts_free(s);
      ts_free(e);
      nxt[j].score = sc[j];
      nxt[j].last = tk[j];
      nxt[j].len = step + 1;
    }
    bm_beams_free(cur, ncur);
    for (int j = 0; j < nn; j++) {
      cur[j] = nxt[j];
      nxt[j].state = NULL;
    }
    ncur = nn;
  }
  printf("beam: best score %.3f\n", cur[0].score);
  bm_beams_free(cur, ncur);
  bm_model_free(&m);
}

// BUG: double-free: the beams are copied into the new array without clearing, then both arrays are freed
void bm_beam_swap_twice(void) {
  bm_model m;
  if (bm_model_init(&m) != 0)
    return;
  bm_beam cur[2] = {{0}}, nxt[2] = {{0}};
  cur[0].state = bm_embed(&m, 0);
  cur[1].state = bm_embed(&m, 1);
  for (int j = 0; j < 2; j++) {
    nxt[j].state = ts_tanh(cur[j].state);
    nxt[j].score = -1.0 * j;
  }
  bm_beams_free(cur, 2);
  for (int j = 0; j < 2; j++)
    cur[j] = nxt[j];
  bm_beams_free(cur, 2);
  bm_beams_free(nxt, 2); // <- BUG
  bm_model_free(&m);
}

// BUG: leak: the pruned beams' states are dropped without being freed
void bm_prune_leak(void) {
  bm_model m;
  if (bm_model_init(&m) != 0)
    return;
  bm_beam b[BM_WIDTH] = {{0}};
  for (int i = 0; i < BM_WIDTH; i++) {
    b[i].state = bm_embed(&m, i); // <- BUG
    b[i].score = -(double)i;
  }
  int keep = 1;
  for (int i = 0; i < BM_WIDTH; i++)
    if (b[i].score > -0.5)
      b[keep - 1] = b[i];
  bm_beams_free(b, keep);
  bm_model_free(&m);
}

// OK: pruned beams freed before their slots are reused
void bm_prune_ok(void) {
  bm_model m;
  if (bm_model_init(&m) != 0)
    return;
  bm_beam b[BM_WIDTH] = {{0}};
  for (int i = 0; i < BM_WIDTH; i++) {
    b[i].state = bm_embed(&m, i);
    b[i].score = -(double)i;
  }
  int keep = 0;
  for (int i = 0; i < BM_WIDTH; i++) {
    if (b[i].score > -1.5)
      b[keep++] = b[i];
    else
      ts_free(b[i].state);
  }
  bm_beams_free(b, keep);
  bm_model_free(&m);
}

// BUG: unescaped-return: the normalised scores stay in the guard's scope
static ts_tensor *bm_length_norm(const ts_tensor *scores, const ts_tensor *lens) {
  TS_SCOPE_GUARD();
  ts_tensor *pen = ts_exp(ts_mul_scalar(ts_log(lens), 0.6));
  return ts_div(scores, pen); // <- BUG
}

// OK: calls the normaliser (its bug) and reads the result
void bm_rescore(void) {
  float s[3] = {-1.0f, -2.5f, -3.0f}, l[3] = {2, 4, 5};
  ts_tensor *sc = ts_from_buffer(s, TS_SHAPE(3), TS_FLOAT32);
  ts_tensor *ln = ts_from_buffer(l, TS_SHAPE(3), TS_FLOAT32);
  ts_tensor *n = bm_length_norm(sc, ln);
  ts_tensor *best = ts_argmax(n);
  printf("beam: best %lld\n", (long long)ts_item(best));
  ts_free(best);
  ts_free(n);
  ts_free(ln);
  ts_free(sc);
}

// OK: the normaliser with its result escaped out of the guard scope
static ts_tensor *bm_length_norm_ok(const ts_tensor *scores,
                                    const ts_tensor *lens) {
  TS_SCOPE_GUARD();
  ts_tensor *pen = ts_exp(ts_mul_scalar(ts_log(lens), 0.6));
  return ts_escape(ts_div(scores, pen));
}

// OK: caller of the escaping normaliser frees everything
void bm_rescore_ok(void) {
  float s[3] = {-1.0f, -2.5f, -3.0f}, l[3] = {2, 4, 5};
  ts_tensor *sc = ts_from_buffer(s, TS_SHAPE(3), TS_FLOAT32);
  ts_tensor *ln = ts_from_buffer(l, TS_SHAPE(3), TS_FLOAT32);
  ts_tensor *n = bm_length_norm_ok(sc, ln);
  TS_SCOPE { printf("beam: best %lld\n", (long long)ts_item(ts_argmax(n))); }
  ts_free(n);
  ts_free(ln);
  ts_free(sc);
}

// BUG: leak: ts_max_dim's index output is never freed
void bm_best_token_per_row(void) {
  ts_tensor *logits = ts_randn(TS_SHAPE(BM_WIDTH, BM_VOCAB), TS_FLOAT32);
  ts_tensor *mx[2] = {NULL, NULL};
  if (ts_max_dim(mx, logits, 1, false) != TS_OK) { // <- BUG
    ts_free(logits);
    return;
  }
  float v[BM_WIDTH];
  ts_copy_to_buffer(mx[0], v, sizeof v);
  printf("beam: row max %.3f\n", v[0]);
  ts_free(mx[0]);
  ts_free(logits);
}

// OK: both outputs of ts_max_dim freed
void bm_best_token_ok(void) {
  ts_tensor *logits = ts_randn(TS_SHAPE(BM_WIDTH, BM_VOCAB), TS_FLOAT32);
  ts_tensor *mx[2] = {NULL, NULL};
  if (ts_max_dim(mx, logits, 1, false) == TS_OK) {
    int64_t ix[BM_WIDTH];
    ts_copy_to_buffer(mx[1], ix, sizeof ix);
    printf("beam: argmax row0 %lld\n", (long long)ix[0]);
    for (int i = 0; i < 2; i++)
      ts_free(mx[i]);
  }
  ts_free(logits);
}

typedef struct {
  ts_tensor *keys[8];
  int n;
} bm_cache;

// OK: appends a key; the cache owns it
static int bm_cache_push(bm_cache *c, ts_tensor *k) {
  if (c->n == 8)
    return -1;
  c->keys[c->n++] = k;
  return 0;
}

// OK: frees every cached key
static void bm_cache_clear(bm_cache *c) {
  while (c->n > 0)
    ts_free(c->keys[--c->n]);
}

// BUG: leak: a full cache refuses the key and the caller drops it
void bm_cache_overflow(void) {
  bm_cache c = {{0}, 0};
  for (int i = 0; i < 9; i++) {
    ts_tensor *k = ts_full(TS_SHAPE(1, BM_HID), TS_FLOAT32, i); // <- BUG
    if (bm_cache_push(&c, k) != 0)
      break;
  }
  bm_cache_clear(&c);
}

// OK: a refused key is freed by the caller
void bm_cache_overflow_ok(void) {
  bm_cache c = {{0}, 0};
  for (int i = 0; i < 9; i++) {
    ts_tensor *k = ts_full(TS_SHAPE(1, BM_HID), TS_FLOAT32, i);
    if (bm_cache_push(&c, k) != 0) {
      ts_free(k);
      break;
    }
  }
  TS_SCOPE {
    ts_tensor *all = ts_cat((const ts_tensor *const *)c.keys, c.n, 0);
    printf("beam: cache rows %lld\n", (long long)ts_size(all, 0));
  }
  bm_cache_clear(&c);
}

// BUG: use-after-free: a key is freed for eviction but still read through the cache
void bm_cache_evict_uaf(void) {
  bm_cache c = {{0}, 0};
  for (int i = 0; i < 3; i++) {
    ts_tensor *k = ts_full(TS_SHAPE(1, BM_HID), TS_FLOAT32, i);
    if (bm_cache_push(&c, k) != 0)
      ts_free(k);
  }
  ts_free(c.keys[0]);
  TS_SCOPE {
    ts_tensor *all = ts_cat((const ts_tensor *const *)c.keys, c.n, 0); // <- BUG
    printf("beam: %lld\n", (long long)ts_numel(all));
  }
  bm_cache_clear(&c);
}

// OK: eviction shifts the remaining keys down after freeing the oldest
void bm_cache_evict_ok(void) {
  bm_cache c = {{0}, 0};
  for (int i = 0; i < 3; i++) {
    ts_tensor *k = ts_full(TS_SHAPE(1, BM_HID), TS_FLOAT32, i);
    if (bm_cache_push(&c, k) != 0)
      ts_free(k);
  }
  ts_free(c.keys[0]);
  for (int i = 1; i < c.n; i++)
    c.keys[i - 1] = c.keys[i];
  c.n--;
  TS_SCOPE {
    ts_tensor *all = ts_cat((const ts_tensor *const *)c.keys, c.n, 0);
    printf("beam: %lld\n", (long long)ts_numel(all));
  }
  bm_cache_clear(&c);
}

// BUG: use-after-scope: the hypothesis state is kept in a struct past its scope
void bm_hypothesis_scope(void) {
  bm_model m;
  if (bm_model_init(&m) != 0)
    return;
  bm_beam h = {0};
  TS_SCOPE {
    ts_tensor *e = ts_narrow(m.emb, 0, 2, 1);
    h.state = ts_tanh(e);
    h.score = ts_item(ts_sum(h.state));
  }
  ts_tensor *lp = ts_log_softmax(h.state, 1); // <- BUG
  ts_free(lp);
  bm_model_free(&m);
}

// OK: the hypothesis state is kept (taken out of the scope) and freed later
void bm_hypothesis_keep(void) {
  bm_model m;
  if (bm_model_init(&m) != 0)
    return;
  bm_beam h = {0};
  TS_SCOPE {
    ts_tensor *e = ts_narrow(m.emb, 0, 2, 1);
    h.state = ts_keep(ts_tanh(e));
    h.score = ts_item(ts_sum(h.state));
  }
  ts_tensor *lp = ts_log_softmax(h.state, 1);
  ts_free(lp);
  bm_beams_free(&h, 1);
  bm_model_free(&m);
}

// BUG: double-free: an error path frees the state and the cleanup label frees it again
static int bm_step_checked(const bm_model *m, int tok, double *out) {
  int rc = -1;
  ts_tensor *st = bm_embed(m, tok);
  ts_tensor *lp = ts_log_softmax(st, 1);
  if (ts_size(lp, 1) != BM_VOCAB + 1) {
    ts_free(st);
    goto done;
  }
  *out = 0;
  rc = 0;
done:
  ts_free(lp);
  ts_free(st); // <- BUG
  return rc;
}

// OK: drives the checked step onto its error path
void bm_step_error(void) {
  bm_model m;
  double v = 0;
  if (bm_model_init(&m) != 0)
    return;
  if (bm_step_checked(&m, 1, &v) != 0)
    printf("beam: step failed\n");
  bm_model_free(&m);
}
