/* heldout9_spell.c - a spell checker with character-trigram embeddings: the
 * dictionary maps words to unit embeddings in a chained hash table, a query
 * is embedded the same way and the nearest words come back as a ranked
 * suggestion list (the caller's). Unknown words can be learnt. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>

#define SP_D 16
#define SP_BUCKETS 11
#define SP_TOP 3

typedef struct sp_word {
  char text[16];
  ts_tensor *emb; /* [1, SP_D], unit norm */
  struct sp_word *next;
} sp_word;

typedef struct {
  sp_word *b[SP_BUCKETS];
  int n;
} sp_dict;

typedef struct {
  const sp_word *word; /* borrowed from the dictionary */
  ts_tensor *score;    /* 0-d cosine similarity, the list's */
} sp_sugg;

// OK: a hashed trigram embedding of a word, unit length, caller owns it
static ts_tensor *sp_embed(const char *w) {
  float v[SP_D] = {0};
  char pad[24];
  snprintf(pad, sizeof pad, "^%s$", w);
  for (size_t i = 0; i + 2 < strlen(pad); i++) {
    unsigned h = (unsigned)pad[i] * 31u + (unsigned)pad[i + 1] * 7u + (unsigned)pad[i + 2];
    v[h % SP_D] += 1.0f;
  }
  float n = 0;
  for (int i = 0; i < SP_D; i++)
    n += v[i] * v[i];
  for (int i = 0; i < SP_D && n > 0; i++)
    v[i] /= n;
  return ts_from_buffer(v, TS_SHAPE(1, SP_D), TS_FLOAT32);
}

// OK: the bucket of a word
static unsigned sp_hash(const char *w) {
  unsigned h = 5381;
  while (*w)
    h = h * 33u + (unsigned char)*w++;
  return h % SP_BUCKETS;
}

// OK: adds a word (no duplicates); 0 when added or present
static int sp_add(sp_dict *d, const char *w) {
  unsigned h = sp_hash(w);
  for (sp_word *e = d->b[h]; e; e = e->next)
    if (strcmp(e->text, w) == 0)
      return 0;
  sp_word *e = calloc(1, sizeof *e);
  if (!e)
    return -1;
  snprintf(e->text, sizeof e->text, "%s", w);
  e->emb = sp_embed(w);
  e->next = d->b[h];
  d->b[h] = e;
  d->n++;
  return 0;
}

// OK: frees the dictionary
static void sp_dict_free(sp_dict *d) {
  for (int i = 0; i < SP_BUCKETS; i++) {
    sp_word *e = d->b[i];
    while (e) {
      sp_word *n = e->next;
      ts_free(e->emb);
      free(e);
      e = n;
    }
    d->b[i] = NULL;
  }
  d->n = 0;
}

// OK: a small dictionary
static void sp_dict_load(sp_dict *d) {
  memset(d, 0, sizeof *d);
  const char *words[] = {"tensor", "scope", "memory", "pool", "escape", "leak", "free", "handle"};
  for (int i = 0; i < 8; i++)
    sp_add(d, words[i]);
}

// OK: frees a suggestion list's scores
static void sp_sugg_free(sp_sugg *s, int n) {
  for (int i = 0; i < n; i++)
    if (s[i].score)
      ts_free(s[i].score);
}

// OK: the SP_TOP nearest words by cosine, sorted; each score the caller's
static int sp_suggest(const sp_dict *d, const char *q, sp_sugg *out) {
  ts_tensor *qe = sp_embed(q);
  if (!qe)
    return -1;
  ts_tensor *qt = ts_transpose(qe, 0, 1);
  int n = 0;
  for (int i = 0; i < SP_BUCKETS; i++)
    for (const sp_word *e = d->b[i]; e; e = e->next) {
      ts_tensor *m = ts_matmul(e->emb, qt);
      ts_tensor *sc = ts_sum(m);
      ts_free(m);
      double v = ts_item(sc);
      int pos = n < SP_TOP ? n : SP_TOP;
      while (pos > 0 && ts_item(out[pos - 1].score) < v)
        pos--;
      if (pos >= SP_TOP) {
        ts_free(sc);
        continue;
      }
      if (n == SP_TOP)
        ts_free(out[SP_TOP - 1].score);
      else
        n++;
      memmove(&out[pos + 1], &out[pos], sizeof *out * (size_t)(n - 1 - pos));
      out[pos] = (sp_sugg){e, sc};
    }
  ts_free(qt);
  ts_free(qe);
  return n;
}

// OK: entry: suggestions for a few misspellings
void sp_entry_suggest(void) {
  sp_dict d;
  sp_dict_load(&d);
  const char *qs[] = {"tensr", "scpoe", "memroy"};
  for (int i = 0; i < 3; i++) {
    sp_sugg s[SP_TOP];
    int n = sp_suggest(&d, qs[i], s);
    if (n > 0)
      printf("%s -> %s (%.2f)\n", qs[i], s[0].word->text, ts_item(s[0].score));
    sp_sugg_free(s, n > 0 ? n : 0);
  }
  sp_dict_free(&d);
}

// BUG: leak: only the best suggestion's score is freed, the rest of the list is dropped
static const char *sp_best(const sp_dict *d, const char *q) {
  sp_sugg s[SP_TOP];
  int n = sp_suggest(d, q, s); // <- BUG
  if (n <= 0)
    return NULL;
  const char *w = s[0].word->text;
  ts_free(s[0].score);
  return w;
}

// OK: entry: drives sp_best
void sp_entry_best(void) {
  sp_dict d;
  sp_dict_load(&d);
  const char *w = sp_best(&d, "poool");
  printf("%s\n", w ? w : "-");
  sp_dict_free(&d);
}

// BUG: use-after-free: the suggestion's score is printed after the list was freed
static void sp_report(const sp_dict *d, const char *q) {
  sp_sugg s[SP_TOP];
  int n = sp_suggest(d, q, s);
  if (n <= 0)
    return;
  ts_tensor *top = s[0].score;
  sp_sugg_free(s, n);
  printf("%s: %.3f\n", q, ts_item(top)); // <- BUG
}

// OK: entry: drives sp_report
void sp_entry_report(void) {
  sp_dict d;
  sp_dict_load(&d);
  sp_report(&d, "lek");
  sp_dict_free(&d);
}

// BUG: double-free: removing a word frees its embedding, then the dictionary teardown frees it again through the stale node
static int sp_forget(sp_dict *d, const char *w) {
  for (sp_word *e = d->b[sp_hash(w)]; e; e = e->next)
    if (strcmp(e->text, w) == 0) {
      ts_free(e->emb); // <- BUG
      d->n--;
      return 0;
    }
  return -1;
}

// OK: entry: forget a word, then free the dictionary
void sp_entry_forget(void) {
  sp_dict d;
  sp_dict_load(&d);
  sp_forget(&d, "leak");
  sp_dict_free(&d);
}

// OK: unlinks and frees a word
static int sp_forget_ok(sp_dict *d, const char *w) {
  sp_word **pp = &d->b[sp_hash(w)];
  for (; *pp; pp = &(*pp)->next)
    if (strcmp((*pp)->text, w) == 0) {
      sp_word *e = *pp;
      *pp = e->next;
      ts_free(e->emb);
      free(e);
      d->n--;
      return 0;
    }
  return -1;
}

// OK: entry: forget and re-learn, suggest again
void sp_entry_forget_ok(void) {
  sp_dict d;
  sp_dict_load(&d);
  sp_forget_ok(&d, "leak");
  sp_forget_ok(&d, "nothere");
  sp_add(&d, "leek");
  sp_sugg s[SP_TOP];
  int n = sp_suggest(&d, "lek", s);
  sp_sugg_free(s, n > 0 ? n : 0);
  sp_dict_free(&d);
}

// BUG: unescaped-return: the centroid of the dictionary is returned from TS_SCOPED without ts_escape
TS_SCOPED static ts_tensor *sp_centroid(const sp_dict *d) {
  ts_tensor *acc = ts_zeros(TS_SHAPE(1, SP_D), TS_FLOAT32);
  for (int i = 0; i < SP_BUCKETS; i++)
    for (const sp_word *e = d->b[i]; e; e = e->next)
      acc = ts_add(acc, e->emb);
  return ts_mul_scalar(acc, 1.0 / (d->n ? d->n : 1)); // <- BUG
}

// OK: entry: the centroid's norm
void sp_entry_centroid(void) {
  sp_dict d;
  sp_dict_load(&d);
  ts_tensor *c = sp_centroid(&d);
  float v[SP_D];
  ts_copy_to_buffer(c, v, sizeof v);
  ts_free(c);
  sp_dict_free(&d);
}

// BUG: use-after-scope: the query embedding made in the block is compared with the dictionary after it
static int sp_known(const sp_dict *d, const char *q) {
  ts_tensor *qe = NULL;
  TS_SCOPE { qe = sp_embed(q); }
  for (const sp_word *e = d->b[sp_hash(q)]; e; e = e->next) {
    double diff;
    TS_SCOPE { diff = ts_item(ts_mse_loss(qe, e->emb)); } // <- BUG
    if (diff < 1e-9)
      return 1;
  }
  return 0;
}

// OK: entry: a known word through sp_known
void sp_entry_known(void) {
  sp_dict d;
  sp_dict_load(&d);
  printf("%d\n", sp_known(&d, "scope"));
  sp_dict_free(&d);
}

// BUG: leak: a word too long for the table is rejected after its embedding was made
static int sp_learn(sp_dict *d, const char *w) {
  ts_tensor *e = sp_embed(w); // <- BUG
  if (strlen(w) >= sizeof(((sp_word *)0)->text))
    return -1;
  unsigned h = sp_hash(w);
  sp_word *n = calloc(1, sizeof *n);
  if (!n) {
    ts_free(e);
    return -1;
  }
  snprintf(n->text, sizeof n->text, "%s", w);
  n->emb = e;
  n->next = d->b[h];
  d->b[h] = n;
  d->n++;
  return 0;
}

// OK: entry: learns a short and a too-long word
void sp_entry_learn(void) {
  sp_dict d;
  sp_dict_load(&d);
  sp_learn(&d, "arena");
  sp_learn(&d, "supercalifragilistic");
  sp_dict_free(&d);
}

// BUG: leak: re-embedding a word replaces its embedding without freeing the old one
static void sp_reembed(sp_dict *d, const char *w, const char *as) {
  for (sp_word *e = d->b[sp_hash(w)]; e; e = e->next)
    if (strcmp(e->text, w) == 0)
      e->emb = sp_embed(as); // <- BUG
}

// OK: entry: drives sp_reembed
void sp_entry_reembed(void) {
  sp_dict d;
  sp_dict_load(&d);
  sp_reembed(&d, "pool", "pools");
  sp_dict_free(&d);
}
