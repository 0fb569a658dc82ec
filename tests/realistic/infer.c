/*
 * infer.c - inference for a small recurrent model: hidden state carried
 * across steps, a key/value cache in a struct, greedy decoding, logits
 * post-processing, embeddings looked up into arrays.
 *
 * Labels (see README.md): `// OK: why` or `// BUG: check: why` on the line
 * before each function; the line of the bug itself ends in `// <- BUG`.
 */
#include <stdio.h>
#include <tsmem.h>

enum { H = 4, V = 5, T = 3, CACHE = 2 };

typedef struct {
  ts_tensor *keys[CACHE];
  ts_tensor *values[CACHE];
  int len;
} kv_cache;

// BUG: leak: each step's new hidden state replaces the old one without freeing
// it
void infer_rnn_leaky_state(void) {
  ts_tensor *wh = ts_randn(TS_SHAPE(H, H), TS_FLOAT32);
  ts_tensor *h = ts_zeros(TS_SHAPE(1, H), TS_FLOAT32);
  for (int t = 0; t < T; t++)
    h = ts_tanh(ts_matmul(h, wh)); // <- BUG
  printf("h %lld\n", (long long)ts_numel(h));
  ts_free(h);
  ts_free(wh);
}

// BUG: use-after-scope: the hidden state carried out of the step's scope is
// read in the next step
void infer_rnn_scoped_carry(void) {
  ts_tensor *wh = ts_randn(TS_SHAPE(H, H), TS_FLOAT32);
  ts_tensor *h = ts_zeros(TS_SHAPE(1, H), TS_FLOAT32);
  ts_tensor *h0 = h;
  TS_SCOPE for (int t = 0; t < T; t++) {
    h = ts_tanh(ts_matmul(h, wh)); // <- BUG
  }
  ts_free(h0);
  ts_free(wh);
}

// BUG: double-free: the initial hidden state is freed as the old state and
// again at the end
void infer_rnn_double_free(void) {
  ts_tensor *wh = ts_randn(TS_SHAPE(H, H), TS_FLOAT32);
  ts_tensor *h0 = ts_zeros(TS_SHAPE(1, H), TS_FLOAT32);
  ts_tensor *h = h0;
  for (int t = 0; t < T; t++) {
    ts_tensor *z = ts_matmul(h, wh);
    ts_tensor *nh = ts_tanh(z);
    ts_free(z);
    ts_free(h);
    h = nh;
  }
  ts_free(h);
  ts_free(h0); // <- BUG
  ts_free(wh);
}

// BUG: use-after-free: the logits are freed before the argmax that decodes them
void infer_greedy_decode(void) {
  ts_tensor *wo = ts_randn(TS_SHAPE(H, V), TS_FLOAT32);
  ts_tensor *h = ts_randn(TS_SHAPE(1, H), TS_FLOAT32);
  ts_tensor *logits = ts_matmul(h, wo);
  ts_free(logits);
  ts_tensor *tok = ts_argmax(logits); // <- BUG
  printf("token %f\n", ts_item(tok));
  ts_free(tok);
  ts_free(h);
  ts_free(wo);
}

// BUG: leak: the softmax made only to read the top probability is never freed
void infer_top_probability(void) {
  ts_tensor *logits = ts_randn(TS_SHAPE(1, V), TS_FLOAT32);
  ts_tensor *p = ts_softmax(logits, 1); // <- BUG
  ts_tensor *best = ts_argmax(p);
  printf("best %f\n", ts_item(best));
  ts_free(best);
  ts_free(logits);
}

// BUG: leak: the key cache is freed on teardown, the value cache is not
void infer_kv_cache_leak(void) {
  kv_cache c;
  c.len = 0;
  for (int i = 0; i < CACHE; i++) {
    c.keys[i] = ts_randn(TS_SHAPE(1, H), TS_FLOAT32);
    c.values[i] = ts_randn(TS_SHAPE(1, H), TS_FLOAT32); // <- BUG
    c.len++;
  }
  for (int i = 0; i < c.len; i++)
    ts_free(c.keys[i]);
}

// BUG: use-after-free: an evicted cache entry is read after its eviction
void infer_kv_cache_evict(void) {
  kv_cache c;
  c.keys[0] = ts_randn(TS_SHAPE(1, H), TS_FLOAT32);
  c.keys[1] = ts_randn(TS_SHAPE(1, H), TS_FLOAT32);
  ts_tensor *oldest = c.keys[0];
  ts_free(c.keys[0]);
  c.keys[0] = c.keys[1];
  printf("oldest %lld\n", (long long)ts_numel(oldest)); // <- BUG
  ts_free(c.keys[0]);
}

// BUG: double-free: the cache is cleared twice, by the loop and by an explicit
// free
void infer_kv_cache_double_clear(void) {
  kv_cache c;
  for (int i = 0; i < CACHE; i++)
    c.keys[i] = ts_randn(TS_SHAPE(1, H), TS_FLOAT32);
  for (int i = 0; i < CACHE; i++)
    ts_free(c.keys[i]);
  ts_free(c.keys[CACHE - 1]); // <- BUG
}

// BUG: unescaped-return: the embedding lookup returns a tensor of its own
// TS_SCOPED body
TS_SCOPED static ts_tensor *embed(const ts_tensor *table, int token) {
  ts_tensor *onehot = ts_zeros(TS_SHAPE(1, V), TS_FLOAT32);
  ts_tensor *shifted = ts_add_scalar(onehot, token == 0 ? 1.0 : 0.0);
  return ts_matmul(shifted, table); // <- BUG
}

// OK: looks a token up (the lookup's bug is its own) and frees the embedding
void infer_embed(void) {
  ts_tensor *table = ts_randn(TS_SHAPE(V, H), TS_FLOAT32);
  ts_tensor *e = embed(table, 0);
  printf("embedding %lld\n", (long long)ts_numel(e));
  ts_free(e);
  ts_free(table);
}

// BUG: unescaped-return: a TS_SCOPE block returns its normalised logits without
// ts_escape
static ts_tensor *normalise_logits(const ts_tensor *logits) {
  TS_SCOPE {
    ts_tensor *m = ts_mean(logits);
    ts_tensor *n = ts_sub(logits, m);
    return ts_log_softmax(n, 1); // <- BUG
  }
}

// OK: uses the normaliser (its bug is its own) and frees the result
void infer_normalise(void) {
  ts_tensor *logits = ts_randn(TS_SHAPE(1, V), TS_FLOAT32);
  ts_tensor *n = normalise_logits(logits);
  printf("normalised %lld\n", (long long)ts_numel(n));
  ts_free(n);
  ts_free(logits);
}

// BUG: use-after-scope: the temperature-scaled logits of a TS_SCOPE block are
// sampled after it
void infer_temperature_after(void) {
  ts_tensor *logits = ts_randn(TS_SHAPE(1, V), TS_FLOAT32);
  ts_tensor *scaled = NULL;
  TS_SCOPE { scaled = ts_mul_scalar(logits, 1.0 / 0.7); }
  ts_tensor *tok = ts_argmax(scaled); // <- BUG
  ts_free(tok);
  ts_free(logits);
}

// BUG: leak: the decoded tokens are collected in an array and only the last one
// freed
void infer_collect_tokens(void) {
  ts_tensor *toks[T];
  ts_tensor *logits = ts_randn(TS_SHAPE(1, V), TS_FLOAT32);
  for (int t = 0; t < T; t++)
    toks[t] = ts_argmax(logits); // <- BUG
  printf("last %f\n", ts_item(toks[T - 1]));
  ts_free(toks[T - 1]);
  ts_free(logits);
}

// BUG: use-after-free: the prompt is freed on the long-prompt path and read on
// the join
void infer_prompt_truncate(void) {
  ts_tensor *prompt = ts_ones(TS_SHAPE(1, 8), TS_FLOAT32);
  ts_tensor *used = prompt;
  if (ts_size(prompt, 1) > 4) {
    used = ts_mul_scalar(prompt, 0.5);
    ts_free(prompt);
  }
  printf("prompt %lld\n", (long long)ts_numel(prompt)); // <- BUG
  ts_free(used);
}

// OK: the prompt is replaced on the long-prompt path; only the live handle is
// read
void infer_prompt_truncate_ok(void) {
  ts_tensor *prompt = ts_ones(TS_SHAPE(1, 8), TS_FLOAT32);
  if (ts_size(prompt, 1) > 4) {
    ts_tensor *shorter = ts_mul_scalar(prompt, 0.5);
    ts_free(prompt);
    prompt = shorter;
  }
  printf("prompt %lld\n", (long long)ts_numel(prompt));
  ts_free(prompt);
}

// BUG: double-free: the beam's two candidates alias when the scores tie, and
// both are freed
void infer_beam_alias(void) {
  ts_tensor *a = ts_ones(TS_SHAPE(1, V), TS_FLOAT32);
  ts_tensor *b = ts_ones(TS_SHAPE(1, V), TS_FLOAT32);
  ts_tensor *best = a, *second = b;
  ts_tensor *sa = ts_sum(a), *sb = ts_sum(b);
  if (ts_item(sa) >= ts_item(sb))
    second = a;
  ts_free(sa);
  ts_free(sb);
  ts_free(best);
  ts_free(b);
  ts_free(second); // <- BUG
}
