/* heldout2_textcls.c - a bag-of-words text classifier: a hashed vocabulary
 * of malloc'd entries that may own a pretrained vector, an embedding table
 * in a model struct, scoped training, prediction, an indexing session in an
 * async scope, nearest documents. Labels: tests/realistic/README.md. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define NBUCKET 31
#define EMB 6
#define NCLASS 3
#define MAXV 64

struct entry {
  char *word;
  int id;
  ts_tensor *vec; /* owned, may be NULL */
  struct entry *next;
};

struct vocab {
  struct entry *bucket[NBUCKET];
  int size;
};

struct textcls {
  ts_tensor *emb, *w, *b;
};

// OK: string hash (no tensors)
static unsigned hash_word(const char *s) {
  unsigned h = 5381;
  while (*s)
    h = h * 33 + (unsigned char)*s++;
  return h % NBUCKET;
}

// OK: the entry for word, or NULL (no tensors)
static struct entry *vocab_find(const struct vocab *v, const char *word) {
  for (struct entry *e = v->bucket[hash_word(word)]; e; e = e->next)
    if (strcmp(e->word, word) == 0)
      return e;
  return NULL;
}

// OK: adds word, taking ownership of vec (NULL allowed); a known word gets
// the new vector and its old one is freed; on failure vec is freed here
static int vocab_add(struct vocab *v, const char *word, ts_tensor *vec) {
  struct entry *e = vocab_find(v, word);
  if (e) {
    if (e->vec)
      ts_free(e->vec);
    e->vec = vec;
    return e->id;
  }
  e = malloc(sizeof *e);
  if (!e || !(e->word = strdup(word))) {
    free(e);
    if (vec)
      ts_free(vec);
    return -1;
  }
  unsigned h = hash_word(word);
  e->id = v->size++;
  e->vec = vec;
  e->next = v->bucket[h];
  v->bucket[h] = e;
  return e->id;
}

// OK: the word's vector, borrowed from the vocabulary
static const ts_tensor *vocab_vector(const struct vocab *v, const char *word) {
  const struct entry *e = vocab_find(v, word);
  return e ? e->vec : NULL;
}

// OK: frees every entry and the vectors they own
static void vocab_free(struct vocab *v) {
  for (int i = 0; i < NBUCKET; i++) {
    struct entry *e = v->bucket[i];
    while (e) {
      struct entry *next = e->next;
      if (e->vec)
        ts_free(e->vec);
      free(e->word);
      free(e);
      e = next;
    }
    v->bucket[i] = NULL;
  }
  v->size = 0;
}

// OK: word ids of a whitespace-separated text (unknown words skipped) as an
// int64 tensor; NULL when no word is known
static ts_tensor *encode(const struct vocab *v, const char *text) {
  int64_t ids[32];
  int n = 0;
  char buf[256];
  snprintf(buf, sizeof buf, "%s", text);
  for (char *tok = strtok(buf, " "); tok && n < 32; tok = strtok(NULL, " ")) {
    const struct entry *e = vocab_find(v, tok);
    if (e)
      ids[n++] = e->id;
  }
  if (n == 0)
    return NULL;
  return ts_from_buffer(ids, TS_SHAPE(n), TS_INT64);
}

// OK: a vocabulary of a few words, some with pretrained vectors
static void vocab_fill(struct vocab *v) {
  static const char *words[] = {"good",  "bad",   "film", "plot",
                                "great", "awful", "the",  "was"};
  memset(v, 0, sizeof *v);
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
    ts_tensor *vec = i % 2 ? ts_randn(TS_SHAPE(EMB), TS_FLOAT32) : NULL;
    vocab_add(v, words[i], vec);
  }
}

// OK: the model's three tensors, each requiring grad
static int cls_init(struct textcls *m) {
  m->emb = ts_randn(TS_SHAPE(MAXV, EMB), TS_FLOAT32);
  m->w = ts_randn(TS_SHAPE(NCLASS, EMB), TS_FLOAT32);
  m->b = ts_zeros(TS_SHAPE(NCLASS), TS_FLOAT32);
  if (!m->emb || !m->w || !m->b) {
    if (m->emb)
      ts_free(m->emb);
    if (m->w)
      ts_free(m->w);
    if (m->b)
      ts_free(m->b);
    return -1;
  }
  ts_requires_grad(m->emb, true);
  ts_requires_grad(m->w, true);
  ts_requires_grad(m->b, true);
  return 0;
}

// OK: frees the model
static void cls_free(struct textcls *m) {
  ts_free(m->emb);
  ts_free(m->w);
  ts_free(m->b);
}

// OK: class logits [1, C] of a document, in the caller's scope
TS_CALLER_SCOPE static ts_tensor *cls_logits(const struct textcls *m,
                                             const ts_tensor *ids) {
  ts_tensor *e = ts_embedding(m->emb, ids, -1, false, false);
  ts_tensor *doc = ts_mean_dim(e, TS_SHAPE(0), true, TS_NO_DTYPE);
  return ts_linear(doc, m->w, m->b);
}

// OK: training with one scope per step; ids are made inside the step's scope
void text_train(void) {
  struct vocab v;
  vocab_fill(&v);
  struct textcls m;
  if (cls_init(&m) != 0) {
    vocab_free(&v);
    return;
  }
  static const char *docs[] = {"good film", "awful plot", "the film was great"};
  const int64_t labels[] = {0, 1, 2};
  for (int ep = 0; ep < 3; ep++) {
    TS_SCOPE for (int i = 0; i < 3; i++) {
      ts_tensor *ids = encode(&v, docs[i]);
      if (!ids)
        continue;
      ts_tensor *y = ts_from_buffer(&labels[i], TS_SHAPE(1), TS_INT64);
      ts_tensor *loss = ts_cross_entropy(cls_logits(&m, ids), y);
      ts_backward(loss);
      ts_sgd_step(m.emb, 0.1);
      ts_sgd_step(m.w, 0.1);
      ts_sgd_step(m.b, 0.1);
      ts_zero_grad(m.emb);
      ts_zero_grad(m.w);
      ts_zero_grad(m.b);
    }
  }
  puts("text: trained");
  cls_free(&m);
  vocab_free(&v);
}

// BUG: leak: the id tensor of the document is never freed
static int predict(const struct textcls *m, const struct vocab *v,
                   const char *text) {
  ts_tensor *ids = encode(v, text); // <- BUG
  if (!ids)
    return -1;
  ts_tensor *e = ts_embedding(m->emb, ids, -1, false, false);
  ts_tensor *doc = ts_mean_dim(e, TS_SHAPE(0), true, TS_NO_DTYPE);
  ts_tensor *lg = ts_linear(doc, m->w, m->b);
  ts_tensor *am = ts_argmax(lg);
  int c = (int)ts_item(am);
  ts_free(am);
  ts_free(lg);
  ts_free(doc);
  ts_free(e);
  return c;
}

// OK: drives predict (its leak is its own)
void text_predict(void) {
  struct vocab v;
  vocab_fill(&v);
  struct textcls m;
  if (cls_init(&m) == 0) {
    printf("class %d\n", predict(&m, &v, "good plot"));
    cls_free(&m);
  }
  vocab_free(&v);
}

// BUG: leak: a document made of one known word is skipped with continue
// before its ids are freed
void text_eval(void) {
  struct vocab v;
  vocab_fill(&v);
  struct textcls m;
  if (cls_init(&m) != 0) {
    vocab_free(&v);
    return;
  }
  static const char *docs[] = {"good film", "zzz", "great"};
  int seen = 0;
  for (int i = 0; i < 3; i++) {
    ts_tensor *ids = encode(&v, docs[i]); // <- BUG
    if (!ids)
      continue;
    if (ts_numel(ids) < 2)
      continue;
    ts_tensor *e = ts_embedding(m.emb, ids, -1, false, false);
    seen += (int)ts_size(e, 0);
    ts_free(e);
    ts_free(ids);
  }
  printf("eval words %d\n", seen);
  cls_free(&m);
  vocab_free(&v);
}

// BUG: double-free: the synonym shares the word's vector, and vocab_free frees
// each entry's vector
void text_synonyms(void) {
  struct vocab v;
  vocab_fill(&v);
  ts_tensor *vec = ts_randn(TS_SHAPE(EMB), TS_FLOAT32);
  vocab_add(&v, "movie", vec);
  vocab_add(&v, "picture", vec);
  printf("vocab %d\n", v.size);
  vocab_free(&v); // <- BUG
}

// OK: the synonym gets its own copy of the vector
void text_synonyms_ok(void) {
  struct vocab v;
  vocab_fill(&v);
  ts_tensor *vec = ts_randn(TS_SHAPE(EMB), TS_FLOAT32);
  vocab_add(&v, "picture", ts_clone(vec));
  vocab_add(&v, "movie", vec);
  printf("vocab %d\n", v.size);
  vocab_free(&v);
}

// BUG: use-after-free: the borrowed vector is replaced (and freed) by
// vocab_add, then read
void text_update_vector(void) {
  struct vocab v;
  vocab_fill(&v);
  const ts_tensor *old = vocab_vector(&v, "bad");
  ts_tensor *fresh = ts_randn(TS_SHAPE(EMB), TS_FLOAT32);
  vocab_add(&v, "bad", fresh);
  ts_tensor *d = ts_sub(fresh, old); // <- BUG
  printf("moved %lld\n", (long long)ts_numel(d));
  ts_free(d);
  vocab_free(&v);
}

// OK: the old vector is copied before the replacement frees it
void text_update_vector_ok(void) {
  struct vocab v;
  vocab_fill(&v);
  ts_tensor *old = ts_clone(vocab_vector(&v, "bad"));
  ts_tensor *fresh = ts_randn(TS_SHAPE(EMB), TS_FLOAT32);
  vocab_add(&v, "bad", fresh);
  ts_tensor *d = ts_sub(fresh, old);
  printf("moved %lld\n", (long long)ts_numel(d));
  ts_free(d);
  ts_free(old);
  vocab_free(&v);
}

struct index_session {
  ts_async_scope *scope;
  ts_tensor *docs[4];
  int n;
};

// OK: indexes documents in the session's async scope (entered and left here)
static void index_docs(struct index_session *s, const struct textcls *m,
                       const struct vocab *v, const char **texts, int n) {
  ts_async_scope_enter(s->scope);
  for (int i = 0; i < n && s->n < 4; i++) {
    ts_tensor *ids = encode(v, texts[i]);
    if (!ids)
      continue;
    ts_tensor *e = ts_embedding(m->emb, ids, -1, false, false);
    s->docs[s->n++] = ts_mean_dim(e, TS_SHAPE(0), false, TS_NO_DTYPE);
  }
  ts_async_scope_leave(s->scope);
}

// OK: the session's document vectors are used before the async scope ends
void text_index(void) {
  struct vocab v;
  vocab_fill(&v);
  struct textcls m;
  if (cls_init(&m) != 0) {
    vocab_free(&v);
    return;
  }
  const char *texts[] = {"good film", "bad plot", "the film"};
  struct index_session s = {ts_async_scope_begin(), {NULL}, 0};
  index_docs(&s, &m, &v, texts, 3);
  for (int i = 0; i < s.n; i++)
    printf("doc %d: %lld\n", i, (long long)ts_numel(s.docs[i]));
  ts_async_scope_end(s.scope);
  cls_free(&m);
  vocab_free(&v);
}

// BUG: use-after-scope: the document vectors are read after the session's
// async scope was ended
void text_index_late(void) {
  struct vocab v;
  vocab_fill(&v);
  struct textcls m;
  if (cls_init(&m) != 0) {
    vocab_free(&v);
    return;
  }
  const char *texts[] = {"good film", "bad plot"};
  struct index_session s = {ts_async_scope_begin(), {NULL}, 0};
  index_docs(&s, &m, &v, texts, 2);
  ts_async_scope_end(s.scope);
  ts_tensor *first = s.docs[0];
  printf("doc 0: %lld\n", (long long)ts_numel(first)); // <- BUG
  cls_free(&m);
  vocab_free(&v);
}

// OK: the first stored vector whose norm passes the threshold, escaped out
// of the loop's scope; NULL when none does
static ts_tensor *first_strong(const struct vocab *v, const char **words, int n,
                               double thr) {
  TS_SCOPE for (int i = 0; i < n; i++) {
    const ts_tensor *vec = vocab_vector(v, words[i]);
    if (!vec)
      continue;
    ts_tensor *nrm = ts_norm_Scalar(vec, 2.0);
    if (ts_item(nrm) > thr)
      return ts_escape(ts_mul_scalar(vec, 1.0 / ts_item(nrm)));
  }
  return NULL;
}

// BUG: unescaped-return: the normalised vector is returned from inside the
// scoped loop without ts_escape
static ts_tensor *first_strong_fast(const struct vocab *v, const char **words,
                                    int n, double thr) {
  TS_SCOPE for (int i = 0; i < n; i++) {
    const ts_tensor *vec = vocab_vector(v, words[i]);
    if (!vec)
      continue;
    ts_tensor *nrm = ts_norm_Scalar(vec, 2.0);
    if (ts_item(nrm) > thr)
      return ts_div(vec, nrm); // <- BUG
  }
  return NULL;
}

// OK: both helpers' results are freed (the fast one is wrong)
void text_strong(void) {
  struct vocab v;
  vocab_fill(&v);
  const char *words[] = {"good", "bad", "film", "plot"};
  ts_tensor *a = first_strong(&v, words, 4, 0.0);
  ts_tensor *b = first_strong_fast(&v, words, 4, 0.0);
  if (a)
    printf("strong %lld\n", (long long)ts_numel(a));
  if (b)
    printf("strong %lld\n", (long long)ts_numel(b));
  if (a)
    ts_free(a);
  if (b)
    ts_free(b);
  vocab_free(&v);
}

// OK: the k largest embedding norms through ts_topk; both results freed
void text_top_words(void) {
  struct textcls m;
  if (cls_init(&m) != 0)
    return;
  ts_tensor *n =
      ts_linalg_vector_norm(m.emb, 2.0, TS_SHAPE(1), false, TS_NO_DTYPE);
  ts_tensor *top[2];
  if (ts_topk(top, n, 3, 0, true, true) == TS_OK) {
    printf("top id %lld\n", (long long)ts_numel(top[1]));
    ts_free(top[0]);
    ts_free(top[1]);
  }
  ts_free(n);
  cls_free(&m);
}
