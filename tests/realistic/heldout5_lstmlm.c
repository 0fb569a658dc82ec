/* heldout5_lstmlm.c - a character LSTM language model trained with
 * truncated backpropagation through time: an embedding table, one LSTM
 * cell with its gates cut out by narrow, a recurrent state struct that is
 * detached at every window boundary, an output projection, greedy
 * generation, and perplexity on a held-out string.
 * Labels: tests/realistic/README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { V = 8, E = 6, HS = 10, BPTT = 4 };

struct lstm {
  ts_tensor *emb;     /* [V, E] */
  ts_tensor *wx, *wh; /* [E, 4HS], [HS, 4HS] */
  ts_tensor *b;       /* [4HS] */
  ts_tensor *wo;      /* [HS, V] */
};

struct state {
  ts_tensor *h, *c; /* [1, HS], owned */
};

static const char text[] = "abcabdabcabdaabbccdd";

// OK: a character's id in the tiny alphabet
static int64_t char_id(char ch) { return (int64_t)((ch - 'a') % V); }

// OK: every parameter made outside a scope and kept in the array-backed
// teardown list
static int lstm_init(struct lstm *m) {
  ts_tensor **slots[5] = {&m->emb, &m->wx, &m->wh, &m->b, &m->wo};
  int64_t shapes[5][2] = {
      {V, E}, {E, 4 * HS}, {HS, 4 * HS}, {4 * HS, 0}, {HS, V}};
  memset(m, 0, sizeof *m);
  for (int i = 0; i < 5; i++) {
    ts_tensor *raw = ts_randn(shapes[i], shapes[i][1] ? 2 : 1, TS_FLOAT32);
    if (!raw)
      goto fail;
    *slots[i] = ts_mul_scalar(raw, 0.3);
    ts_free(raw);
    if (!*slots[i])
      goto fail;
  }
  return 0;
fail:
  for (int i = 0; i < 5; i++)
    if (*slots[i])
      ts_free(*slots[i]);
  memset(m, 0, sizeof *m);
  return -1;
}

// OK: frees the five parameters
static void lstm_free(struct lstm *m) {
  ts_tensor *p[5] = {m->emb, m->wx, m->wh, m->b, m->wo};
  for (int i = 0; i < 5; i++)
    if (p[i])
      ts_free(p[i]);
  memset(m, 0, sizeof *m);
}

// BUG: double-free: the output projection is listed twice in the teardown array
static void lstm_free_dup(struct lstm *m) {
  ts_tensor *p[6] = {m->emb, m->wx, m->wh, m->b, m->wo, m->wo};
  for (int i = 0; i < 6; i++)
    ts_free(p[i]); // <- BUG
  memset(m, 0, sizeof *m);
}

// OK: parameters require gradients
static void lstm_train_mode(struct lstm *m) {
  ts_tensor *p[5] = {m->emb, m->wx, m->wh, m->b, m->wo};
  for (int i = 0; i < 5; i++)
    ts_requires_grad(p[i], true);
}

// OK: a zero state, manual
static int state_zero(struct state *s) {
  s->h = ts_zeros(TS_SHAPE(1, HS), TS_FLOAT32);
  s->c = ts_zeros(TS_SHAPE(1, HS), TS_FLOAT32);
  return s->h && s->c ? 0 : -1;
}

// OK: frees both halves of the state
static void state_free(struct state *s) {
  if (s->h)
    ts_free(s->h);
  if (s->c)
    ts_free(s->c);
  s->h = s->c = NULL;
}

// OK: the state cut from the graph: detached copies replace the old handles
static void state_detach(struct state *s) {
  ts_tensor *h = ts_detach(s->h);
  ts_tensor *c = ts_detach(s->c);
  ts_free(s->h);
  ts_free(s->c);
  s->h = h;
  s->c = c;
}

// BUG: leak: detaching overwrites the cell state without freeing the old one
static void state_detach_leaky(struct state *s) {
  ts_tensor *h = ts_detach(s->h);
  ts_free(s->h);
  s->h = h;
  s->c = ts_detach(s->c); // <- BUG
}

// OK: one LSTM step in the caller's scope; the new h and c are escaped by the
// caller
TS_CALLER_SCOPE static void lstm_cell(const struct lstm *m, int64_t tok,
                                      const ts_tensor *h, const ts_tensor *c,
                                      ts_tensor **h2, ts_tensor **c2) {
  ts_tensor *idx = ts_from_buffer(&tok, TS_SHAPE(1), TS_INT64);
  ts_tensor *x = ts_embedding(m->emb, idx, -1, false, false);
  ts_tensor *g = ts_add(ts_add(ts_matmul(x, m->wx), ts_matmul(h, m->wh)), m->b);
  ts_tensor *i = ts_sigmoid(ts_narrow(g, 1, 0, HS));
  ts_tensor *f = ts_sigmoid(ts_narrow(g, 1, HS, HS));
  ts_tensor *o = ts_sigmoid(ts_narrow(g, 1, 2 * HS, HS));
  ts_tensor *u = ts_tanh(ts_narrow(g, 1, 3 * HS, HS));
  *c2 = ts_add(ts_mul(f, c), ts_mul(i, u));
  *h2 = ts_mul(o, ts_tanh(*c2));
}

// OK: advances the state by one token; the new halves are escaped out of the
// step scope
static void state_step(const struct lstm *m, struct state *s, int64_t tok) {
  ts_tensor *h2, *c2;
  TS_SCOPE {
    lstm_cell(m, tok, s->h, s->c, &h2, &c2);
    ts_escape(h2);
    ts_escape(c2);
  }
  ts_free(s->h);
  ts_free(s->c);
  s->h = h2;
  s->c = c2;
}

// BUG: use-after-scope: the new state halves are not escaped from the step
// scope
static void state_step_noescape(const struct lstm *m, struct state *s,
                                int64_t tok) {
  ts_tensor *h2, *c2;
  TS_SCOPE { lstm_cell(m, tok, s->h, s->c, &h2, &c2); }
  ts_free(s->h);
  ts_free(s->c);
  s->h = h2;
  s->c = c2;
  printf("h %lld\n", (long long)ts_numel(s->h)); // <- BUG
}

// OK: next-token log-probabilities [1, V] in the caller's scope
TS_CALLER_SCOPE static ts_tensor *next_logp(const struct lstm *m,
                                            const ts_tensor *h) {
  return ts_log_softmax(ts_matmul(h, m->wo), 1);
}

// OK: one truncated window: losses summed in the window's scope, backward, SGD;
// the state leaves the scope as kept detached copies (the stepped ones die with
// it)
static double train_window(struct lstm *m, struct state *s, const char *w,
                           int n, double lr) {
  ts_tensor *p[5] = {m->emb, m->wx, m->wh, m->b, m->wo};
  double l = 0;
  TS_SCOPE {
    ts_tensor *loss = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
    for (int t = 0; t + 1 < n; t++) {
      state_step(m, s, char_id(w[t]));
      int64_t y = char_id(w[t + 1]);
      ts_tensor *tgt = ts_from_buffer(&y, TS_SHAPE(1), TS_INT64);
      loss = ts_add(loss, ts_nll_loss(next_logp(m, s->h), tgt, NULL, 1, -100));
    }
    l = ts_item(loss) / (n - 1);
    ts_backward(ts_sum(loss));
    for (int i = 0; i < 5; i++) {
      ts_sgd_step(p[i], lr);
      ts_zero_grad(p[i]);
    }
    /* the stepped state belongs to this scope: keep detached copies */
    s->h = ts_keep(ts_detach(s->h));
    s->c = ts_keep(ts_detach(s->c));
  }
  return l;
}

// OK: greedy generation into a char buffer; each step's scores die with their
// scope
static void generate(const struct lstm *m, char first, char *out, int n) {
  struct state s;
  if (state_zero(&s) != 0) {
    state_free(&s);
    return;
  }
  int64_t tok = char_id(first);
  for (int i = 0; i < n; i++) {
    out[i] = (char)('a' + tok);
    state_step(m, &s, tok);
    TS_SCOPE { tok = (int64_t)ts_item(ts_argmax(next_logp(m, s.h))); }
  }
  out[n] = 0;
  state_free(&s);
}

// BUG: unescaped-return: the logits for the prompt are owned by the function's
// scope
TS_SCOPED static ts_tensor *prompt_logits(const struct lstm *m,
                                          const char *prompt) {
  struct state s;
  state_zero(&s);
  for (const char *p = prompt; *p; p++)
    state_step(m, &s, char_id(*p));
  ts_tensor *logits = ts_matmul(s.h, m->wo);
  ts_free(s.h);
  ts_free(s.c);
  return logits; // <- BUG
}

// OK: perplexity over a string, one scope per character
static double perplexity(const struct lstm *m, const char *w) {
  struct state s;
  state_zero(&s);
  double nll = 0;
  int n = (int)strlen(w);
  for (int t = 0; t + 1 < n; t++) {
    state_step(m, &s, char_id(w[t]));
    TS_SCOPE {
      ts_tensor *lp = next_logp(m, s.h);
      nll -=
          ts_item(ts_select_int(ts_select_int(lp, 0, 0), 0, char_id(w[t + 1])));
    }
  }
  state_free(&s);
  return exp(nll / (n - 1));
}

// BUG: leak: the initial state of the perplexity pass is never freed
static double perplexity_leaky(const struct lstm *m, const char *w) {
  struct state s;
  state_zero(&s); // <- BUG
  double nll = 0;
  int n = (int)strlen(w);
  for (int t = 0; t + 1 < n; t++) {
    state_step(m, &s, char_id(w[t]));
    TS_SCOPE { nll -= ts_item(ts_max(next_logp(m, s.h))); }
  }
  return exp(nll / (n - 1));
}

// OK: trains over windows of the text, generates, evaluates, frees everything
void lm5_train(void) {
  struct lstm m;
  struct state s;
  char out[12];
  ts_manual_seed(8);
  if (lstm_init(&m) != 0)
    return;
  if (state_zero(&s) != 0) {
    state_free(&s);
    lstm_free(&m);
    return;
  }
  lstm_train_mode(&m);
  int n = (int)strlen(text);
  for (int off = 0; off + BPTT <= n; off += BPTT)
    printf("window %d loss %.3f\n", off,
           train_window(&m, &s, text + off, BPTT, 0.05));
  state_detach(&s);
  generate(&m, 'a', out, 10);
  printf("generated %s ppl %.3f\n", out, perplexity(&m, "abcabd"));
  state_free(&s);
  lstm_free(&m);
}

// OK: drives lstm_free_dup
void lm5_free_dup(void) {
  struct lstm m;
  if (lstm_init(&m) == 0)
    lstm_free_dup(&m);
}

// OK: drives state_detach_leaky
void lm5_detach_leaky(void) {
  struct state s;
  state_zero(&s);
  state_detach_leaky(&s);
  state_free(&s);
}

// OK: drives state_step_noescape
void lm5_step_noescape(void) {
  struct lstm m;
  struct state s;
  lstm_init(&m);
  state_zero(&s);
  state_step_noescape(&m, &s, 1);
  state_free(&s);
  lstm_free(&m);
}

// OK: uses and frees prompt_logits's result
void lm5_prompt(void) {
  struct lstm m;
  lstm_init(&m);
  ts_tensor *l = prompt_logits(&m, "abc");
  printf("logits %lld\n", (long long)ts_numel(l));
  ts_free(l);
  lstm_free(&m);
}

// OK: drives perplexity_leaky
void lm5_ppl_leaky(void) {
  struct lstm m;
  lstm_init(&m);
  printf("ppl %.3f\n", perplexity_leaky(&m, "abab"));
  lstm_free(&m);
}

// BUG: use-after-free: the hidden state is read after state_free in the report
void lm5_state_report(void) {
  struct lstm m;
  struct state s;
  lstm_init(&m);
  state_zero(&s);
  state_step(&m, &s, 2);
  ts_tensor *h = s.h;
  state_free(&s);
  ts_tensor *mh = ts_mean(h); // <- BUG
  printf("mean h %.3f\n", ts_item(mh));
  ts_free(mh);
  lstm_free(&m);
}

// BUG: double-free: the state is freed on the early exit and again at the end
void lm5_early_exit(void) {
  struct lstm m;
  struct state s;
  lstm_init(&m);
  state_zero(&s);
  int steps = 0;
  for (const char *p = text; *p; p++) {
    state_step(&m, &s, char_id(*p));
    if (++steps == 3) {
      ts_free(s.h);
      ts_free(s.c);
      break;
    }
  }
  state_free(&s); // <- BUG
  lstm_free(&m);
}

// OK: the early exit frees through state_free, which clears the handles
void lm5_early_exit_ok(void) {
  struct lstm m;
  struct state s;
  lstm_init(&m);
  state_zero(&s);
  int steps = 0;
  for (const char *p = text; *p; p++) {
    state_step(&m, &s, char_id(*p));
    if (++steps == 3) {
      state_free(&s);
      break;
    }
  }
  state_free(&s);
  lstm_free(&m);
}

// BUG: leak: the detached hidden state taken for logging is never freed
void lm5_log_hidden(void) {
  struct lstm m;
  struct state s;
  lstm_init(&m);
  state_zero(&s);
  state_step(&m, &s, 0);
  ts_tensor *snap = ts_detach(s.h); // <- BUG
  printf("snapshot %lld\n", (long long)ts_numel(snap));
  state_free(&s);
  lstm_free(&m);
}

// BUG: use-after-free: the embedding row is gathered with an index freed just
// before
void lm5_embed_row(void) {
  struct lstm m;
  lstm_init(&m);
  int64_t tok = 3;
  ts_tensor *idx = ts_from_buffer(&tok, TS_SHAPE(1), TS_INT64);
  ts_tensor *row = ts_index_select(m.emb, 0, idx);
  ts_free(idx);
  ts_tensor *row2 = ts_index_select(m.emb, 0, idx); // <- BUG
  ts_free(row);
  ts_free(row2);
  lstm_free(&m);
}
