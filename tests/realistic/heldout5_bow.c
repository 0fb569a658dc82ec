/* heldout5_bow.c - a bag-of-words text classifier: a whitespace
 * tokenizer hashing words into a fixed vocabulary, documents as tensors
 * of token ids in a malloc'd corpus, an embedding table, mean pooling,
 * a linear head trained with cross-entropy, and prediction.
 * Labels: tests/realistic/README.md. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { VOCAB = 64, DIM = 8, CLASSES = 2, MAXTOK = 32 };

struct doc {
  ts_tensor *ids; /* [ntok] int64, owned */
  int ntok;
  int label;
};

struct corpus {
  struct doc *docs;
  int n, cap;
};

struct bow_model {
  ts_tensor *emb;   /* [VOCAB, DIM] */
  ts_tensor *w, *b; /* [DIM, CLASSES], [CLASSES] */
};

static const char *texts[] = {
    "good great fine movie", "bad awful boring plot", "great acting good story",
    "boring bad long film",  "fine good fun",         "awful plot bad acting",
};

// OK: FNV hash of a word into the vocabulary
static int64_t word_id(const char *w, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++)
    h = (h ^ (uint8_t)tolower((unsigned char)w[i])) * 16777619u;
  return (int64_t)(h % VOCAB);
}

// OK: tokenizes into a host array, then one tensor of ids the caller owns
static ts_tensor *tokenize(const char *text, int *ntok) {
  int64_t ids[MAXTOK];
  int n = 0;
  const char *p = text;
  while (*p && n < MAXTOK) {
    while (*p == ' ')
      p++;
    const char *start = p;
    while (*p && *p != ' ')
      p++;
    if (p > start)
      ids[n++] = word_id(start, (size_t)(p - start));
  }
  *ntok = n;
  if (n == 0)
    return NULL;
  return ts_from_buffer(ids, TS_SHAPE(n), TS_INT64);
}

// OK: the corpus grows by doubling; the documents' tensors move into it
static int corpus_add(struct corpus *c, ts_tensor *ids, int ntok, int label) {
  if (c->n == c->cap) {
    int cap = c->cap ? 2 * c->cap : 2;
    struct doc *d = realloc(c->docs, sizeof *d * (size_t)cap);
    if (!d)
      return -1;
    c->docs = d;
    c->cap = cap;
  }
  c->docs[c->n++] = (struct doc){ids, ntok, label};
  return 0;
}

// OK: a failed add leaves the ids with the caller, who frees them
static int corpus_load(struct corpus *c) {
  memset(c, 0, sizeof *c);
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
    int n;
    ts_tensor *ids = tokenize(texts[i], &n);
    if (!ids)
      continue;
    if (corpus_add(c, ids, n, (int)(i % 2)) != 0) {
      ts_free(ids);
      return -1;
    }
  }
  return 0;
}

// BUG: leak: a document of the dropped label is skipped after its ids were made
static int corpus_load_filtered(struct corpus *c, int drop_label) {
  memset(c, 0, sizeof *c);
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
    int n;
    ts_tensor *ids = tokenize(texts[i], &n); // <- BUG
    if (!ids)
      continue;
    if ((int)(i % 2) == drop_label)
      continue;
    if (corpus_add(c, ids, n, (int)(i % 2)) != 0) {
      ts_free(ids);
      return -1;
    }
  }
  return 0;
}

// OK: frees each document's ids and the array
static void corpus_free(struct corpus *c) {
  for (int i = 0; i < c->n; i++)
    ts_free(c->docs[i].ids);
  free(c->docs);
  memset(c, 0, sizeof *c);
}

// BUG: double-free: removing the last document frees its ids but keeps the
// count
static void corpus_drop_last(struct corpus *c) {
  if (c->n == 0)
    return;
  ts_free(c->docs[c->n - 1].ids); // <- BUG
}

// OK: removing the last document frees its ids and shrinks the count
static void corpus_pop(struct corpus *c) {
  if (c->n == 0)
    return;
  c->n--;
  ts_free(c->docs[c->n].ids);
  c->docs[c->n].ids = NULL;
}

// OK: goto-cleanup model init; the embedding is scaled into a new tensor
static int bow_init(struct bow_model *m) {
  memset(m, 0, sizeof *m);
  ts_tensor *raw = ts_randn(TS_SHAPE(VOCAB, DIM), TS_FLOAT32);
  if (!raw)
    return -1;
  m->emb = ts_mul_scalar(raw, 0.1);
  ts_free(raw);
  if (!m->emb)
    return -1;
  m->w = ts_randn(TS_SHAPE(DIM, CLASSES), TS_FLOAT32);
  if (!m->w)
    goto fail_emb;
  m->b = ts_zeros(TS_SHAPE(CLASSES), TS_FLOAT32);
  if (!m->b)
    goto fail_w;
  return 0;
fail_w:
  ts_free(m->w);
fail_emb:
  ts_free(m->emb);
  memset(m, 0, sizeof *m);
  return -1;
}

// OK: frees the three parameters
static void bow_free(struct bow_model *m) {
  ts_free(m->emb);
  ts_free(m->w);
  ts_free(m->b);
  memset(m, 0, sizeof *m);
}

// OK: parameters require gradients
static void bow_train_mode(struct bow_model *m) {
  ts_requires_grad(m->emb, true);
  ts_requires_grad(m->w, true);
  ts_requires_grad(m->b, true);
}

// OK: mean-pooled embedding of one document in the caller's scope, as [1, DIM]
TS_CALLER_SCOPE static ts_tensor *doc_vector(const struct bow_model *m,
                                             const ts_tensor *ids) {
  ts_tensor *rows = ts_embedding(m->emb, ids, -1, false, false);
  return ts_mean_dim(rows, TS_SHAPE(0), true, TS_FLOAT32);
}

// OK: logits [1, CLASSES] in the caller's scope
TS_CALLER_SCOPE static ts_tensor *doc_logits(const struct bow_model *m,
                                             const ts_tensor *ids) {
  return ts_add(ts_matmul(doc_vector(m, ids), m->w), m->b);
}

// OK: one epoch, a scope per document; SGD on each parameter
static double train_epoch(struct bow_model *m, const struct corpus *c,
                          double lr) {
  ts_tensor *params[3] = {m->emb, m->w, m->b};
  double total = 0;
  for (int i = 0; i < c->n; i++)
    TS_SCOPE {
      int64_t y = c->docs[i].label;
      ts_tensor *target = ts_from_buffer(&y, TS_SHAPE(1), TS_INT64);
      ts_tensor *loss = ts_cross_entropy(doc_logits(m, c->docs[i].ids), target);
      total += ts_item(loss);
      ts_backward(loss);
      for (int k = 0; k < 3; k++) {
        ts_sgd_step(params[k], lr);
        ts_zero_grad(params[k]);
      }
    }
  return total / (c->n ? c->n : 1);
}

// OK: predicted class as an int; the logits die with the function's scope
TS_SCOPED static int predict(const struct bow_model *m, const char *text) {
  int n;
  ts_tensor *ids = tokenize(text, &n);
  if (!ids)
    return -1;
  return (int)ts_item(ts_argmax(doc_logits(m, ids)));
}

// BUG: unescaped-return: the probabilities are owned by the function's scope
TS_SCOPED static ts_tensor *predict_proba(const struct bow_model *m,
                                          const char *text) {
  int n;
  ts_tensor *ids = tokenize(text, &n);
  if (!ids)
    return NULL;
  return ts_softmax(doc_logits(m, ids), 1); // <- BUG
}

// OK: the probabilities escaped to the caller
TS_SCOPED static ts_tensor *predict_proba_ok(const struct bow_model *m,
                                             const char *text) {
  int n;
  ts_tensor *ids = tokenize(text, &n);
  if (!ids)
    return NULL;
  return ts_escape(ts_softmax(doc_logits(m, ids), 1));
}

// BUG: leak: the token ids of the query are never freed
static double score_positive(const struct bow_model *m, const char *text) {
  int n;
  ts_tensor *ids = tokenize(text, &n); // <- BUG
  if (!ids)
    return 0;
  double p;
  TS_SCOPE {
    p = ts_item(ts_select_int(ts_softmax(doc_logits(m, ids), 1), 1, 1));
  }
  return p;
}

// OK: the same score with the ids freed after the scope
static double score_positive_ok(const struct bow_model *m, const char *text) {
  int n;
  ts_tensor *ids = tokenize(text, &n);
  if (!ids)
    return 0;
  double p;
  TS_SCOPE {
    p = ts_item(ts_select_int(ts_softmax(doc_logits(m, ids), 1), 1, 1));
  }
  ts_free(ids);
  return p;
}

// BUG: use-after-free: the document vector is computed from ids freed a line
// before
static ts_tensor *doc_vector_manual(const struct bow_model *m,
                                    const char *text) {
  int n;
  ts_tensor *ids = tokenize(text, &n);
  if (!ids)
    return NULL;
  ts_tensor *rows = ts_embedding(m->emb, ids, -1, false, false);
  ts_free(ids);
  ts_tensor *more = ts_embedding(m->emb, ids, -1, false, false); // <- BUG
  ts_tensor *v = ts_add(rows, more);
  ts_free(rows);
  ts_free(more);
  return v;
}

// OK: training and evaluation with corpus and model torn down
void bow5_train(void) {
  struct corpus c;
  struct bow_model m;
  ts_manual_seed(11);
  if (corpus_load(&c) != 0)
    return;
  if (bow_init(&m) != 0) {
    corpus_free(&c);
    return;
  }
  bow_train_mode(&m);
  for (int e = 0; e < 3; e++)
    printf("epoch %d loss %.3f\n", e, train_epoch(&m, &c, 0.1));
  printf("predict %d\n", predict(&m, "good fun story"));
  printf("p+ %.3f\n", score_positive_ok(&m, "great movie"));
  corpus_pop(&c);
  corpus_pop(&c);
  corpus_free(&c);
  bow_free(&m);
}

// OK: drives corpus_load_filtered
void bow5_filtered(void) {
  struct corpus c;
  corpus_load_filtered(&c, 1);
  printf("kept %d\n", c.n);
  corpus_free(&c);
}

// OK: drives corpus_drop_last followed by the normal teardown
void bow5_drop_last(void) {
  struct corpus c;
  corpus_load(&c);
  corpus_drop_last(&c);
  corpus_free(&c);
}

// OK: uses and frees predict_proba's result
void bow5_proba(void) {
  struct bow_model m;
  bow_init(&m);
  ts_tensor *p = predict_proba(&m, "bad plot");
  if (p) {
    printf("proba %lld\n", (long long)ts_numel(p));
    ts_free(p);
  }
  bow_free(&m);
}

// OK: the escaped probabilities freed by hand
void bow5_proba_ok(void) {
  struct bow_model m;
  bow_init(&m);
  ts_tensor *p = predict_proba_ok(&m, "bad plot");
  if (p) {
    printf("proba %lld\n", (long long)ts_numel(p));
    ts_free(p);
  }
  bow_free(&m);
}

// OK: drives score_positive
void bow5_score(void) {
  struct bow_model m;
  bow_init(&m);
  printf("p+ %.3f\n", score_positive(&m, "good acting"));
  bow_free(&m);
}

// OK: drives doc_vector_manual
void bow5_docvec(void) {
  struct bow_model m;
  bow_init(&m);
  ts_tensor *v = doc_vector_manual(&m, "fine film");
  if (v)
    ts_free(v);
  bow_free(&m);
}

// BUG: use-after-scope: the pooled vector is compared after its scope ended
void bow5_similarity(void) {
  struct bow_model m;
  bow_init(&m);
  int n1, n2;
  ts_tensor *a = tokenize("good great", &n1);
  ts_tensor *b = tokenize("bad awful", &n2);
  ts_tensor *va;
  TS_SCOPE { va = doc_vector(&m, a); }
  TS_SCOPE {
    ts_tensor *vb = doc_vector(&m, b);
    printf("dot %.3f\n", ts_item(ts_sum(ts_mul(va, vb)))); // <- BUG
  }
  ts_free(a);
  ts_free(b);
  bow_free(&m);
}

// OK: both vectors in one scope
void bow5_similarity_ok(void) {
  struct bow_model m;
  bow_init(&m);
  int n1, n2;
  ts_tensor *a = tokenize("good great", &n1);
  ts_tensor *b = tokenize("bad awful", &n2);
  TS_SCOPE {
    ts_tensor *va = doc_vector(&m, a);
    ts_tensor *vb = doc_vector(&m, b);
    printf("dot %.3f\n", ts_item(ts_sum(ts_mul(va, vb))));
  }
  ts_free(a);
  ts_free(b);
  bow_free(&m);
}

// OK: loads the corpus; fewer than min_docs documents is a failure with the
// corpus freed
static int corpus_load_min(struct corpus *c, int min_docs) {
  if (corpus_load(c) != 0)
    return -1;
  if (c->n < min_docs) {
    corpus_free(c);
    return -1;
  }
  return 0;
}

// BUG: double-free: the failed-load path frees the embedding, and the shared
// exit frees it again
void bow5_load_fail(void) {
  struct corpus c;
  struct bow_model m;
  if (bow_init(&m) != 0)
    return;
  if (corpus_load_min(&c, 100) != 0) {
    fprintf(stderr, "corpus too small\n");
    ts_free(m.emb);
    goto done;
  }
  printf("loss %.3f\n", train_epoch(&m, &c, 0.1));
  corpus_free(&c);
done:
  bow_free(&m); // <- BUG
}

// OK: the failed-load path clears the embedding handle, and the exit frees what
// is left
void bow5_load_fail_ok(void) {
  struct corpus c;
  struct bow_model m;
  if (bow_init(&m) != 0)
    return;
  if (corpus_load_min(&c, 100) != 0) {
    fprintf(stderr, "corpus too small\n");
    ts_free(m.emb);
    m.emb = NULL;
    goto done;
  }
  corpus_free(&c);
done:
  if (m.emb)
    ts_free(m.emb);
  ts_free(m.w);
  ts_free(m.b);
}
