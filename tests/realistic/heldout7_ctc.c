/* heldout7_ctc.c - CTC decoding of per-frame log-probabilities: greedy
 * decoding with confidences, a prefix beam search whose hypotheses carry
 * their score as a 0-d tensor, prefix merging, a decoder chosen by mode in
 * a switch, and batch decoding of several utterances. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define CTC_T 6
#define CTC_V 5
#define CTC_BLANK 0
#define CTC_MAXB 8

typedef struct {
  int ids[CTC_T];
  int len;
  int last; /* last emitted frame token, for repeats */
  ts_tensor *score; /* 0-d log-probability */
} ctc_hyp;

typedef struct {
  ctc_hyp h[CTC_MAXB * CTC_V];
  int n;
} ctc_beam;

typedef struct {
  ts_tensor *lp; /* [T,V] log-probabilities */
  int ids[CTC_T];
  int len;
} ctc_utt;

enum ctc_mode { CTC_GREEDY, CTC_BEAM };

// OK: a fixed logits pattern per utterance id, turned into log-probabilities
static ts_tensor *ctc_log_probs(int utt) {
  float z[CTC_T * CTC_V];
  for (int t = 0; t < CTC_T; t++)
    for (int v = 0; v < CTC_V; v++)
      z[t * CTC_V + v] = (float)(((t + utt) % CTC_V == v) ? 3.0 : 0.1 * v);
  ts_tensor *logits = ts_from_buffer(z, TS_SHAPE(CTC_T, CTC_V), TS_FLOAT32);
  if (!logits)
    return NULL;
  ts_tensor *lp = ts_log_softmax(logits, 1);
  ts_free(logits);
  return lp;
}

// OK: argmax per frame, collapsed in C; the index tensor freed
static int ctc_greedy(const ts_tensor *lp, int *out) {
  int64_t best[CTC_T];
  ts_tensor *am = ts_argmax_dim(lp, 1);
  if (!am)
    return -1;
  ts_status st = ts_copy_to_buffer(am, best, sizeof best);
  ts_free(am);
  if (st != TS_OK)
    return -1;
  int n = 0, prev = -1;
  for (int t = 0; t < CTC_T; t++) {
    if (best[t] != prev && best[t] != CTC_BLANK)
      out[n++] = (int)best[t];
    prev = (int)best[t];
  }
  return n;
}

// BUG: leak: max_dim makes values and indices; only the indices are freed
static double ctc_greedy_confidence(const ts_tensor *lp) {
  ts_tensor *mx[2];
  if (ts_max_dim(mx, lp, 1, false) != TS_OK)
    return 0.0;
  ts_free(mx[1]);
  ts_tensor *s = ts_sum(mx[0]); // <- BUG
  double c = ts_item(s);
  ts_free(s);
  return c;
}

// OK: both results of max_dim freed
static double ctc_greedy_confidence_ok(const ts_tensor *lp) {
  ts_tensor *mx[2];
  if (ts_max_dim(mx, lp, 1, false) != TS_OK)
    return 0.0;
  ts_tensor *s = ts_sum(mx[0]);
  ts_free(mx[1]);
  ts_free(mx[0]);
  double c = s ? ts_item(s) : 0.0;
  if (s)
    ts_free(s);
  return c;
}

// OK: the score of token tok at frame t added to the parent's, as a new tensor
static int ctc_extend(const ctc_hyp *parent, int t, int tok, const ts_tensor *lp, ctc_hyp *child) {
  ts_tensor *row = ts_select_int(lp, 0, t);
  ts_tensor *p = row ? ts_select_int(row, 0, tok) : NULL;
  if (row)
    ts_free(row);
  if (!p)
    return -1;
  *child = *parent;
  child->score = ts_add(parent->score, p);
  ts_free(p);
  if (tok != CTC_BLANK && tok != parent->last)
    child->ids[child->len++] = tok;
  child->last = tok;
  return child->score ? 0 : -1;
}

// BUG: double-free: a blank extension shares its parent's score tensor, so both are freed
static int ctc_extend_cheap(const ctc_hyp *parent, int t, int tok, const ts_tensor *lp, ctc_hyp *child) {
  *child = *parent;
  child->last = tok;
  if (tok == CTC_BLANK)
    return 0; // <- BUG
  ts_tensor *row = ts_select_int(lp, 0, t);
  ts_tensor *p = ts_select_int(row, 0, tok);
  ts_free(row);
  child->score = ts_add(parent->score, p);
  ts_free(p);
  if (tok != parent->last)
    child->ids[child->len++] = tok;
  return 0;
}

// OK: frees every hypothesis' score once
static void ctc_beam_clear(ctc_beam *b) {
  for (int i = 0; i < b->n; i++)
    ts_free(b->h[i].score);
  b->n = 0;
}

// OK: qsort comparator, higher score first; reads the scores only
static int ctc_by_score(const void *a, const void *b) {
  double x = ts_item(((const ctc_hyp *)a)->score), y = ts_item(((const ctc_hyp *)b)->score);
  return (x < y) - (x > y);
}

// OK: keeps the best width hypotheses, frees the rest
static void ctc_prune(ctc_beam *b, int width) {
  qsort(b->h, (size_t)b->n, sizeof b->h[0], ctc_by_score);
  for (int i = width; i < b->n; i++)
    ts_free(b->h[i].score);
  if (b->n > width)
    b->n = width;
}

// OK: merges hypotheses with the same prefix with logaddexp; the absorbed score freed once
static void ctc_merge(ctc_beam *b) {
  for (int i = 0; i < b->n; i++)
    for (int j = i + 1; j < b->n; j++) {
      if (b->h[i].len != b->h[j].len || b->h[i].last != b->h[j].last ||
          memcmp(b->h[i].ids, b->h[j].ids, sizeof(int) * (size_t)b->h[i].len) != 0)
        continue;
      ts_tensor *sum = ts_logaddexp(b->h[i].score, b->h[j].score);
      ts_free(b->h[i].score);
      ts_free(b->h[j].score);
      b->h[i].score = sum;
      b->h[j--] = b->h[--b->n];
    }
}

// BUG: use-after-free: the absorbed score is read after it was freed
static void ctc_merge_fast(ctc_beam *b) {
  for (int i = 0; i < b->n; i++)
    for (int j = i + 1; j < b->n; j++) {
      if (b->h[i].len != b->h[j].len || b->h[i].last != b->h[j].last ||
          memcmp(b->h[i].ids, b->h[j].ids, sizeof(int) * (size_t)b->h[i].len) != 0)
        continue;
      ts_free(b->h[j].score);
      ts_tensor *sum = ts_logaddexp(b->h[i].score, b->h[j].score); // <- BUG
      ts_free(b->h[i].score);
      b->h[i].score = sum;
      b->h[j--] = b->h[--b->n];
    }
}

// OK: one frame of beam search; the old beam cleared after the new one is built
static int ctc_beam_step(ctc_beam *cur, int t, const ts_tensor *lp, int width,
                         void (*merge)(ctc_beam *)) {
  ctc_beam *next = calloc(1, sizeof *next);
  if (!next)
    return -1;
  for (int i = 0; i < cur->n; i++)
    for (int v = 0; v < CTC_V; v++)
      if (ctc_extend(&cur->h[i], t, v, lp, &next->h[next->n]) == 0)
        next->n++;
  merge(next);
  ctc_prune(next, width);
  ctc_beam_clear(cur);
  *cur = *next;
  free(next);
  return 0;
}

// BUG: use-after-free: the old best score is read after the old beam was cleared
static double ctc_beam_step_gain(ctc_beam *cur, int t, const ts_tensor *lp, int width) {
  ts_tensor *before = cur->h[0].score;
  ctc_beam *next = calloc(1, sizeof *next);
  for (int i = 0; i < cur->n; i++)
    for (int v = 0; v < CTC_V; v++)
      if (ctc_extend(&cur->h[i], t, v, lp, &next->h[next->n]) == 0)
        next->n++;
  ctc_prune(next, width);
  ctc_beam_clear(cur);
  *cur = *next;
  free(next);
  return ts_item(cur->h[0].score) - ts_item(before); // <- BUG
}

// OK: a beam with the empty hypothesis
static int ctc_beam_init(ctc_beam *b) {
  memset(b, 0, sizeof *b);
  b->h[0].last = -1;
  b->h[0].score = ts_zeros(NULL, 0, TS_FLOAT32);
  if (!b->h[0].score)
    return -1;
  b->n = 1;
  return 0;
}

// OK: full beam search; the beam cleared at the end
static int ctc_beam_search(const ts_tensor *lp, int width, int *out, void (*merge)(ctc_beam *)) {
  ctc_beam b;
  if (ctc_beam_init(&b) != 0)
    return -1;
  for (int t = 0; t < CTC_T; t++)
    if (ctc_beam_step(&b, t, lp, width, merge) != 0)
      break;
  int n = b.h[0].len;
  memcpy(out, b.h[0].ids, sizeof(int) * (size_t)n);
  ctc_beam_clear(&b);
  return n;
}

// OK: greedy or beam by mode; each arm frees what it made
static int ctc_decode(enum ctc_mode mode, int utt, int width, int *out) {
  int n = -1;
  ts_tensor *lp = ctc_log_probs(utt);
  if (!lp)
    return -1;
  switch (mode) {
  case CTC_GREEDY:
    n = ctc_greedy(lp, out);
    break;
  case CTC_BEAM:
    if (width <= 0)
      break;
    n = ctc_beam_search(lp, width, out, ctc_merge);
    break;
  }
  ts_free(lp);
  return n;
}

// BUG: leak: the beam arm breaks out on a bad width before the probabilities are freed
static int ctc_decode_mode(enum ctc_mode mode, int utt, int width, int *out) {
  int n = -1;
  switch (mode) {
  case CTC_GREEDY: {
    ts_tensor *lp = ctc_log_probs(utt);
    n = ctc_greedy(lp, out);
    ts_free(lp);
    break;
  }
  case CTC_BEAM: {
    ts_tensor *lp = ctc_log_probs(utt); // <- BUG
    if (width <= 0)
      break;
    n = ctc_beam_search(lp, width, out, ctc_merge);
    ts_free(lp);
    break;
  }
  }
  return n;
}

// OK: every utterance decoded in its own scope; the probabilities kept for rescoring
static int ctc_decode_batch(ctc_utt *u, int n) {
  int total = 0;
  for (int i = 0; i < n; i++) {
    TS_SCOPE {
      ts_tensor *lp = ctc_log_probs(i);
      u[i].len = ctc_greedy(lp, u[i].ids);
      u[i].lp = ts_keep(lp);
    }
    total += u[i].len;
  }
  return total;
}

// BUG: use-after-scope: the probabilities stored for rescoring belong to each iteration's scope
static double ctc_decode_batch_rescored(ctc_utt *u, int n) {
  TS_SCOPE for (int i = 0; i < n; i++) {
    u[i].lp = ctc_log_probs(i);
    u[i].len = ctc_greedy(u[i].lp, u[i].ids);
  }
  double best = -1e30;
  for (int i = 0; i < n; i++) {
    double c = ctc_greedy_confidence_ok(u[i].lp); // <- BUG
    if (c > best)
      best = c;
  }
  return best;
}

// OK: greedy and beam decoding of a few utterances
void ctc_run_decode(void) {
  int out[CTC_T];
  for (int u = 0; u < 3; u++) {
    int g = ctc_decode(CTC_GREEDY, u, 0, out);
    int b = ctc_decode(CTC_BEAM, u, 3, out);
    printf("ctc: utt %d greedy %d beam %d\n", u, g, b);
  }
  ts_tensor *lp = ctc_log_probs(1);
  printf("ctc: confidence %.3f\n", ctc_greedy_confidence_ok(lp));
  ts_free(lp);
}

// OK: the confidence through the leaky helper
void ctc_run_confidence(void) {
  ts_tensor *lp = ctc_log_probs(2);
  printf("ctc: confidence %.3f\n", ctc_greedy_confidence(lp));
  ts_free(lp);
}

// OK: extends the empty hypothesis cheaply with a blank
void ctc_run_cheap(void) {
  ctc_beam b;
  ctc_hyp child;
  ts_tensor *lp = ctc_log_probs(0);
  if (ctc_beam_init(&b) != 0)
    return;
  ctc_extend_cheap(&b.h[0], 0, CTC_BLANK, lp, &child);
  ts_free(child.score);
  ctc_beam_clear(&b);
  ts_free(lp);
}

// OK: a beam search with the fast merge
void ctc_run_fast_merge(void) {
  int out[CTC_T];
  ts_tensor *lp = ctc_log_probs(1);
  printf("ctc: %d tokens\n", ctc_beam_search(lp, 3, out, ctc_merge_fast));
  ts_free(lp);
}

// OK: the per-step gain
void ctc_run_gain(void) {
  ctc_beam b;
  ts_tensor *lp = ctc_log_probs(1);
  if (ctc_beam_init(&b) == 0) {
    printf("ctc: gain %.3f\n", ctc_beam_step_gain(&b, 0, lp, 2));
    ctc_beam_clear(&b);
  }
  ts_free(lp);
}

// OK: a beam mode with no width
void ctc_run_mode(void) {
  int out[CTC_T];
  if (ctc_decode_mode(CTC_BEAM, 1, 0, out) < 0)
    printf("ctc: no width\n");
}

// OK: batch decoding with kept probabilities, freed afterwards
void ctc_run_batch(void) {
  ctc_utt u[3];
  printf("ctc: %d tokens\n", ctc_decode_batch(u, 3));
  for (int i = 0; i < 3; i++)
    ts_free(u[i].lp);
}

// OK: the rescored batch
void ctc_run_batch_rescored(void) {
  ctc_utt u[2];
  printf("ctc: best %.3f\n", ctc_decode_batch_rescored(u, 2));
}

// BUG: double-free: the copied beam shares its score tensors, and both beams are cleared
void ctc_run_beam_snapshot(void) {
  ctc_beam *a = malloc(sizeof *a), *b = malloc(sizeof *b);
  ts_tensor *lp = ctc_log_probs(2);
  if (a && b && lp && ctc_beam_init(a) == 0) {
    ctc_beam_step(a, 0, lp, 2, ctc_merge);
    *b = *a;
    ctc_beam_clear(a);
    ctc_beam_clear(b); // <- BUG
  }
  if (lp)
    ts_free(lp);
  free(b);
  free(a);
}

// BUG: leak: the loop that frees the kept probabilities stops one utterance short
void ctc_run_batch_free(void) {
  ctc_utt u[3];
  printf("ctc: %d tokens\n", ctc_decode_batch(u, 3));
  for (int i = 0; i < 3 - 1; i++) // <- BUG
    ts_free(u[i].lp);
}

// BUG: use-after-free: a short decoding reports its confidence from the probabilities already freed
void ctc_run_short_report(void) {
  int out[CTC_T];
  ts_tensor *lp = ctc_log_probs(4);
  int n = ctc_greedy(lp, out);
  ts_free(lp);
  if (n < CTC_T)
    printf("ctc: short decode %d, confidence %.3f\n", n, ctc_greedy_confidence_ok(lp)); // <- BUG
}

// BUG: use-after-scope: the probabilities found in the loop's scope are read after the break
void ctc_run_first_long(void) {
  int out[CTC_T];
  ts_tensor *lp = NULL;
  TS_SCOPE for (int u = 0; u < 4; u++) {
    lp = ctc_log_probs(u);
    if (ctc_greedy(lp, out) > 1)
      break;
  }
  printf("ctc: confidence %.3f\n", ctc_greedy_confidence_ok(lp)); // <- BUG
}
