/* heldout8_w2v.c - a skip-gram word2vec trainer with negative sampling: a
 * chained hash map from words to input/output vectors, autograd steps in
 * scoped loops, gradient norms read through ts_grad, nearest words and a
 * vocabulary pruner. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>

#define VD 6
#define NB 8

typedef struct word {
  char text[16];
  int count;
  ts_tensor *in, *out; /* [1, VD] leaves requiring grad */
  struct word *next;
} word;

typedef struct {
  word *b[NB];
  int n;
} vocab;

// OK: FNV-style bucket
static unsigned bucket(const char *s) {
  unsigned h = 2166136261u;
  while (*s)
    h = (h ^ (unsigned char)*s++) * 16777619u;
  return h % NB;
}

// OK: a leaf vector requiring grad
static ts_tensor *leaf(double scale) {
  ts_tensor *r = ts_randn(TS_SHAPE(1, VD), TS_FLOAT32);
  if (!r)
    return NULL;
  ts_tensor *v = ts_mul_scalar(r, scale);
  ts_free(r);
  if (v)
    ts_requires_grad(v, true);
  return v;
}

// OK: finds or adds a word; vectors freed if the node cannot be made
static word *vocab_add(vocab *v, const char *text) {
  unsigned k = bucket(text);
  for (word *w = v->b[k]; w; w = w->next)
    if (strcmp(w->text, text) == 0) {
      w->count++;
      return w;
    }
  ts_tensor *in = leaf(0.1), *out = leaf(0.1);
  word *w = calloc(1, sizeof *w);
  if (!w || !in || !out) {
    if (in)
      ts_free(in);
    if (out)
      ts_free(out);
    free(w);
    return NULL;
  }
  snprintf(w->text, sizeof w->text, "%s", text);
  w->count = 1;
  w->in = in;
  w->out = out;
  w->next = v->b[k];
  v->b[k] = w;
  v->n++;
  return w;
}

// BUG: leak: a word that is too long is refused after its vectors were made
static word *vocab_add_checked(vocab *v, const char *text) {
  ts_tensor *in = leaf(0.1); // <- BUG
  ts_tensor *out = leaf(0.1);
  if (strlen(text) >= 16) {
    ts_free(out);
    return NULL;
  }
  word *w = calloc(1, sizeof *w);
  if (!w) {
    ts_free(in);
    ts_free(out);
    return NULL;
  }
  snprintf(w->text, sizeof w->text, "%s", text);
  w->count = 1;
  w->in = in;
  w->out = out;
  unsigned k = bucket(text);
  w->next = v->b[k];
  v->b[k] = w;
  v->n++;
  return w;
}

// OK: lookup, borrowed
static word *vocab_get(vocab *v, const char *text) {
  for (word *w = v->b[bucket(text)]; w; w = w->next)
    if (strcmp(w->text, text) == 0)
      return w;
  return NULL;
}

// OK: frees every node's vectors and the nodes
static void vocab_free(vocab *v) {
  for (int k = 0; k < NB; k++) {
    word *w = v->b[k];
    while (w) {
      word *n = w->next;
      ts_free(w->in);
      ts_free(w->out);
      free(w);
      w = n;
    }
    v->b[k] = NULL;
  }
  v->n = 0;
}

// OK: prunes rare words: unlinks then frees
static int vocab_prune(vocab *v, int min_count) {
  int removed = 0;
  for (int k = 0; k < NB; k++) {
    word **pp = &v->b[k];
    while (*pp) {
      word *w = *pp;
      if (w->count < min_count) {
        *pp = w->next;
        ts_free(w->in);
        ts_free(w->out);
        free(w);
        removed++;
        v->n--;
      } else {
        pp = &w->next;
      }
    }
  }
  return removed;
}

// BUG: use-after-free: the pruned word's vector norm is logged after its free
static int vocab_prune_logged(vocab *v, int min_count) {
  int removed = 0;
  for (int k = 0; k < NB; k++) {
    word **pp = &v->b[k];
    while (*pp) {
      word *w = *pp;
      if (w->count >= min_count) {
        pp = &w->next;
        continue;
      }
      *pp = w->next;
      ts_free(w->in);
      ts_free(w->out);
      ts_tensor *nrm = ts_sum(ts_mul(w->in, w->in)); // <- BUG
      printf("pruned %s %g\n", w->text, ts_item(nrm));
      free(w);
      removed++;
    }
  }
  return removed;
}

// BUG: double-free: the duplicate's vectors are freed, then the node is freed with vocab_free too
static void vocab_merge_dup(vocab *v, word *keep, word *dup) {
  keep->count += dup->count;
  ts_free(dup->in);
  ts_free(dup->out); // <- BUG
  dup->count = 0;
  (void)v;
}

// OK: one skip-gram pair with k negatives: loss, backward, SGD, grads zeroed
static double sg_step(word *c, word *o, word **neg, int k, double lr) {
  double l = 0.0;
  TS_SCOPE {
    ts_tensor *ct = ts_transpose(o->out, 0, 1);
    ts_tensor *pos = ts_matmul(c->in, ct);
    ts_tensor *loss = ts_neg(ts_log(ts_sigmoid(pos)));
    for (int i = 0; i < k; i++) {
      ts_tensor *s = ts_matmul(c->in, ts_transpose(neg[i]->out, 0, 1));
      loss = ts_add(loss, ts_neg(ts_log(ts_sigmoid(ts_neg(s)))));
    }
    ts_tensor *tot = ts_sum(loss);
    l = ts_item(tot);
    ts_backward(tot);
    ts_sgd_step(c->in, lr);
    ts_sgd_step(o->out, lr);
    ts_zero_grad(c->in);
    ts_zero_grad(o->out);
    for (int i = 0; i < k; i++) {
      ts_sgd_step(neg[i]->out, lr);
      ts_zero_grad(neg[i]->out);
    }
  }
  return l;
}

// OK: gradient norm of a word's input vector; the grad handle freed
static double grad_norm(const word *w) {
  ts_tensor *g = ts_grad(w->in);
  if (!g)
    return 0.0;
  ts_tensor *sq = ts_mul(g, g);
  ts_tensor *s = sq ? ts_sum(sq) : NULL;
  double v = s ? ts_item(s) : 0.0;
  if (s)
    ts_free(s);
  if (sq)
    ts_free(sq);
  ts_free(g);
  return v;
}

// BUG: leak: the gradient handle from ts_grad is never freed
static double grad_norm_leaky(const word *w) {
  ts_tensor *g = ts_grad(w->in); // <- BUG
  if (!g)
    return 0.0;
  double v;
  TS_SCOPE {
    v = ts_item(ts_sum(ts_mul(g, g)));
  }
  return v;
}

// OK: trains over a token stream with window 1
static double train(vocab *v, const char **toks, int n, double lr) {
  double tot = 0.0;
  for (int i = 1; i < n; i++) {
    word *c = vocab_get(v, toks[i]);
    word *o = vocab_get(v, toks[i - 1]);
    word *neg[1] = {vocab_get(v, toks[(i * 7) % n])};
    if (c && o && neg[0])
      tot += sg_step(c, o, neg, 1, lr);
  }
  return tot;
}

// OK: cosine similarity in a TS_SCOPED helper
TS_SCOPED static double cosine(const ts_tensor *a, const ts_tensor *b) {
  ts_tensor *d = ts_sum(ts_mul(a, b));
  ts_tensor *na = ts_sum(ts_mul(a, a));
  ts_tensor *nb = ts_sum(ts_mul(b, b));
  double den = ts_item(na) * ts_item(nb);
  return den > 0 ? ts_item(d) / den : 0.0;
}

// OK: nearest word to a query by cosine
static const word *nearest(vocab *v, const word *q) {
  const word *best = NULL;
  double bs = -2.0;
  for (int k = 0; k < NB; k++)
    for (word *w = v->b[k]; w; w = w->next) {
      if (w == q)
        continue;
      double s = cosine(q->in, w->in);
      if (s > bs) {
        bs = s;
        best = w;
      }
    }
  return best;
}

// BUG: unescaped-return: the analogy vector a - b + c is returned from the scoped function
TS_SCOPED static ts_tensor *analogy(const word *a, const word *b,
                                    const word *c) {
  ts_tensor *d = ts_sub(a->in, b->in);
  ts_tensor *r = ts_add(d, c->in);
  return r; // <- BUG
}

// OK: analogy escaped
TS_SCOPED static ts_tensor *analogy_ok(const word *a, const word *b,
                                       const word *c) {
  ts_tensor *d = ts_sub(a->in, b->in);
  return ts_escape(ts_add(d, c->in));
}

// BUG: use-after-scope: the centroid is computed in the loop's scope and read after it
static double centroid_norm(vocab *v) {
  ts_tensor *acc = NULL;
  TS_SCOPE for (int k = 0; k < NB; k++) {
    for (word *w = v->b[k]; w; w = w->next)
      acc = acc ? ts_add(acc, w->in) : ts_clone(w->in);
    if (acc)
      break;
  }
  return acc ? cosine(acc, acc) : 0.0; // <- BUG
}

static const char *TOKS[10] = {"the", "cat", "sat", "on", "the",
                               "mat", "the", "dog", "sat", "down"};

// OK: builds the vocabulary from the tokens
static int build(vocab *v) {
  memset(v, 0, sizeof *v);
  for (int i = 0; i < 10; i++)
    if (!vocab_add(v, TOKS[i]))
      return -1;
  return 0;
}

// OK: train, inspect gradients, nearest, analogy, prune, free
void w2v_entry_train(void) {
  vocab v;
  ts_manual_seed(2);
  if (build(&v) != 0) {
    vocab_free(&v);
    return;
  }
  double l = train(&v, TOKS, 10, 0.05);
  word *cat = vocab_get(&v, "cat");
  const word *nn = nearest(&v, cat);
  ts_tensor *an = analogy_ok(cat, vocab_get(&v, "dog"), vocab_get(&v, "mat"));
  double an_cos = cosine(an, cat->in);
  printf("%g %s %g %g\n", l, nn ? nn->text : "-", grad_norm(cat), an_cos);
  ts_free(an);
  vocab_prune(&v, 2);
  vocab_free(&v);
}

// OK: drives the length-checked add
void w2v_entry_long_word(void) {
  vocab v;
  memset(&v, 0, sizeof v);
  vocab_add_checked(&v, "a-very-long-token-indeed");
  vocab_add_checked(&v, "ok");
  vocab_free(&v);
}

// OK: drives the logged pruning
void w2v_entry_prune_log(void) {
  vocab v;
  if (build(&v) == 0)
    vocab_prune_logged(&v, 2);
  vocab_free(&v);
}

// OK: drives the merge, then frees the vocabulary
void w2v_entry_merge(void) {
  vocab v;
  if (build(&v) != 0)
    return;
  vocab_merge_dup(&v, vocab_get(&v, "the"), vocab_get(&v, "sat"));
  vocab_free(&v);
}

// OK: drives the leaky gradient norm after one step
void w2v_entry_grad(void) {
  vocab v;
  if (build(&v) != 0)
    return;
  word *c = vocab_get(&v, "cat"), *o = vocab_get(&v, "the");
  ts_tensor *loss = ts_sum(ts_mul(c->in, o->out));
  ts_backward(loss);
  ts_free(loss);
  printf("%g\n", grad_norm_leaky(c));
  vocab_free(&v);
}

// OK: uses the scoped analogy
void w2v_entry_analogy(void) {
  vocab v;
  if (build(&v) != 0)
    return;
  word *a = vocab_get(&v, "cat");
  ts_tensor *r = analogy(a, vocab_get(&v, "dog"), vocab_get(&v, "mat"));
  printf("%g\n", cosine(r, a->in));
  ts_free(r);
  vocab_free(&v);
}

// OK: drives the centroid read after its scope
void w2v_entry_centroid(void) {
  vocab v;
  if (build(&v) != 0)
    return;
  printf("%g\n", centroid_norm(&v));
  vocab_free(&v);
}

// BUG: leak: the loss of the probe step is never freed
void w2v_entry_probe(void) {
  vocab v;
  if (build(&v) != 0)
    return;
  word *c = vocab_get(&v, "sat"), *o = vocab_get(&v, "on");
  ts_tensor *loss = ts_sum(ts_mul(c->in, o->out)); // <- BUG
  ts_backward(loss);
  printf("%g\n", grad_norm(c));
  vocab_free(&v);
}

// BUG: double-free: a pruned word's vector saved earlier is freed again by the caller
void w2v_entry_saved(void) {
  vocab v;
  if (build(&v) != 0)
    return;
  ts_tensor *saved = vocab_get(&v, "down")->in;
  vocab_prune(&v, 2);
  ts_free(saved); // <- BUG
  vocab_free(&v);
}
