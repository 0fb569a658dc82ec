/*
 * heldout_beam.c - beam search over a toy language model: per-step
 * log-probabilities, top-k expansion, hypotheses kept in an array of
 * structs, early stopping on an end token, greedy decoding for
 * comparison. Held-out corpus (README.md).
 *
 * Labels: `// OK: why` or `// BUG: check: why` before each function; the
 * line of the bug ends in `// <- BUG`.
 */
#include <stdio.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define V 10
#define H 6
#define BEAMS 3
#define STEPS 4

struct hyp {
  ts_tensor *state; /* [1, H] hidden state, owned by the hypothesis */
  double score;
  int last;
};

// OK: log-probabilities over the vocabulary; the logits are freed
static ts_tensor *lm_logprobs(const ts_tensor *w_out, const ts_tensor *state) {
  ts_tensor *logits = ts_matmul(state, w_out);
  if (!logits)
    return NULL;
  ts_tensor *lp = ts_log_softmax(logits, 1);
  ts_free(logits);
  return lp;
}

// OK: a new hidden state; the input is only read
static ts_tensor *lm_advance(const ts_tensor *w_rec, const ts_tensor *state) {
  ts_tensor *pre = ts_matmul(state, w_rec);
  ts_tensor *next = ts_tanh_(pre);
  return next;
}

// OK: both top-k results (values and indices) are read and freed
static int lm_best_token(const ts_tensor *lp, double *score) {
  ts_tensor *out[2];
  if (ts_topk(out, lp, 1, 1, true, true) != TS_OK)
    return -1;
  *score = ts_item(out[0]);
  int tok = (int)ts_item(out[1]);
  ts_free(out[0]);
  ts_free(out[1]);
  return tok;
}

// OK: greedy decoding; each state replaces the previous one, which is freed
void beam_greedy(void) {
  ts_manual_seed(5);
  ts_tensor *w_out = ts_randn(TS_SHAPE(H, V), TS_FLOAT32);
  ts_tensor *w_rec = ts_randn(TS_SHAPE(H, H), TS_FLOAT32);
  ts_tensor *state = ts_randn(TS_SHAPE(1, H), TS_FLOAT32);
  double total = 0;
  for (int s = 0; s < STEPS; s++) {
    ts_tensor *lp = lm_logprobs(w_out, state);
    double sc;
    int tok = lm_best_token(lp, &sc);
    ts_free(lp);
    total += sc;
    ts_tensor *next = lm_advance(w_rec, state);
    ts_free(state);
    state = next;
    printf("%d ", tok);
  }
  printf("score %f\n", total);
  ts_free(state);
  ts_free(w_rec);
  ts_free(w_out);
}

// BUG: leak: only the indices of the top-k are freed, the values are lost
static int lm_topk_tokens(const ts_tensor *lp, int *toks, int k) {
  ts_tensor *out[2];
  if (ts_topk(out, lp, k, 1, true, true) != TS_OK) // <- BUG
    return -1;
  ts_tensor *idx = out[1];
  int64_t buf[BEAMS];
  ts_copy_to_buffer(idx, buf, sizeof buf);
  for (int i = 0; i < k; i++)
    toks[i] = (int)buf[i];
  ts_free(idx);
  return k;
}

// OK: frees every hypothesis state that is still set
static void beam_clear(struct hyp *beams, int n) {
  for (int i = 0; i < n; i++) {
    if (beams[i].state)
      ts_free(beams[i].state);
    beams[i].state = NULL;
  }
}

// OK: expands the first hypothesis into BEAMS children, each with its own
// state; the array frees them (the top-k helper leaks)
void beam_expand(void) {
  ts_tensor *w_out = ts_randn(TS_SHAPE(H, V), TS_FLOAT32);
  ts_tensor *w_rec = ts_randn(TS_SHAPE(H, H), TS_FLOAT32);
  struct hyp beams[BEAMS] = {{NULL, 0, 0}};
  ts_tensor *root = ts_randn(TS_SHAPE(1, H), TS_FLOAT32);
  ts_tensor *lp = lm_logprobs(w_out, root);
  int toks[BEAMS];
  lm_topk_tokens(lp, toks, BEAMS);
  for (int b = 0; b < BEAMS; b++) {
    beams[b].state = lm_advance(w_rec, root);
    beams[b].last = toks[b];
  }
  ts_free(lp);
  ts_free(root);
  beam_clear(beams, BEAMS);
  ts_free(w_rec);
  ts_free(w_out);
}

// BUG: double-free: on the end-token path the best state is freed inside
// the loop and again after it
void beam_early_stop(void) {
  ts_tensor *w_out = ts_randn(TS_SHAPE(H, V), TS_FLOAT32);
  ts_tensor *w_rec = ts_zeros(TS_SHAPE(H, H), TS_FLOAT32);
  ts_tensor *best = ts_zeros(TS_SHAPE(1, H), TS_FLOAT32);
  for (int s = 0; s < STEPS; s++) {
    ts_tensor *lp = lm_logprobs(w_out, best);
    double sc;
    int tok = lm_best_token(lp, &sc);
    ts_free(lp);
    if (tok >= 0) { /* every token ends this toy model */
      printf("end at %d\n", s);
      ts_free(best);
      break;
    }
    ts_tensor *next = lm_advance(w_rec, best);
    ts_free(best);
    best = next;
  }
  ts_free(best); // <- BUG
  ts_free(w_rec);
  ts_free(w_out);
}

// OK: the same early stop, with best cleared after the free in the loop
void beam_early_stop_cleared(void) {
  ts_tensor *w_out = ts_randn(TS_SHAPE(H, V), TS_FLOAT32);
  ts_tensor *w_rec = ts_zeros(TS_SHAPE(H, H), TS_FLOAT32);
  ts_tensor *best = ts_zeros(TS_SHAPE(1, H), TS_FLOAT32);
  for (int s = 0; s < STEPS; s++) {
    ts_tensor *lp = lm_logprobs(w_out, best);
    double sc;
    int tok = lm_best_token(lp, &sc);
    ts_free(lp);
    if (tok >= 0) {
      ts_free(best);
      best = NULL;
      break;
    }
    ts_tensor *next = lm_advance(w_rec, best);
    ts_free(best);
    best = next;
  }
  if (best)
    ts_free(best);
  ts_free(w_rec);
  ts_free(w_out);
}

// BUG: use-after-free: finishing a hypothesis frees its state, which is
// then measured
void beam_finish_report(void) {
  struct hyp h = {ts_randn(TS_SHAPE(1, H), TS_FLOAT32), -1.5, 2};
  beam_clear(&h, 1);
  h.state = ts_zeros(TS_SHAPE(1, H), TS_FLOAT32);
  ts_tensor *st = h.state;
  beam_clear(&h, 1);
  int64_t width = ts_size(st, 1); // <- BUG
  printf("final width %lld score %f\n", (long long)width, h.score);
}

// BUG: use-after-scope: each step's best tokens are stored in an array
// from inside a guarded block and read after the loop
void beam_tokens_guarded(void) {
  ts_tensor *w_out = ts_randn(TS_SHAPE(H, V), TS_FLOAT32);
  ts_tensor *state = ts_randn(TS_SHAPE(1, H), TS_FLOAT32);
  ts_tensor *picked[STEPS];
  for (int s = 0; s < STEPS; s++) {
    TS_SCOPE_GUARD();
    ts_tensor *lp = lm_logprobs(w_out, state);
    picked[s] = ts_argmax_dim(lp, 1);
  }
  for (int s = 0; s < STEPS; s++)
    printf("%f ", ts_item(picked[s])); // <- BUG
  ts_free(state);
  ts_free(w_out);
}

// OK: the same, with each step's tokens escaped out of the guarded block
// and freed at the end
void beam_tokens_escaped(void) {
  ts_tensor *w_out = ts_randn(TS_SHAPE(H, V), TS_FLOAT32);
  ts_tensor *state = ts_randn(TS_SHAPE(1, H), TS_FLOAT32);
  ts_tensor *picked[STEPS];
  for (int s = 0; s < STEPS; s++) {
    TS_SCOPE_GUARD();
    ts_tensor *lp = lm_logprobs(w_out, state);
    picked[s] = ts_escape(ts_argmax_dim(lp, 1));
  }
  for (int s = 0; s < STEPS; s++) {
    printf("%f ", ts_item(picked[s]));
    ts_free(picked[s]);
  }
  printf("\n");
  ts_free(state);
  ts_free(w_out);
}
