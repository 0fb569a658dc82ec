/* heldout8_lstmcell.c - an LSTM cell library: weights in a struct, the
 * (h, c) state in another, gate math in caller-scoped helpers, steps that
 * replace the state through out-parameters, sequences run with manual
 * ts_scope_begin/ts_scope_end and with TS_SCOPE loops, stacked cells and a
 * zoneout variant. */
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define IN 3
#define HID 4

typedef struct {
  ts_tensor *wx; /* [IN, 4*HID] */
  ts_tensor *wh; /* [HID, 4*HID] */
  ts_tensor *b;  /* [1, 4*HID] */
} lstm_w;

typedef struct {
  ts_tensor *h, *c; /* [1, HID] each, manual */
} lstm_state;

// OK: input weights only; the caller makes the rest
static int lstm_w_init(lstm_w *w) {
  w->wx = w->wh = w->b = NULL;
  w->wx = ts_randn(TS_SHAPE(IN, 4 * HID), TS_FLOAT32);
  return w->wx ? 0 : -1;
}

// OK: frees the three weights
static void lstm_w_free(lstm_w *w) {
  if (w->wx)
    ts_free(w->wx);
  if (w->wh)
    ts_free(w->wh);
  if (w->b)
    ts_free(w->b);
  w->wx = w->wh = w->b = NULL;
}

// OK: zero state
static int state_zero(lstm_state *s) {
  s->h = ts_zeros(TS_SHAPE(1, HID), TS_FLOAT32);
  s->c = ts_zeros(TS_SHAPE(1, HID), TS_FLOAT32);
  if (!s->h || !s->c) {
    if (s->h)
      ts_free(s->h);
    if (s->c)
      ts_free(s->c);
    return -1;
  }
  return 0;
}

// OK: frees both halves
static void state_free(lstm_state *s) {
  ts_free(s->h);
  ts_free(s->c);
  s->h = s->c = NULL;
}

// OK: the four gate pre-activations in the caller's scope
TS_CALLER_SCOPE static ts_tensor *gates(const lstm_w *w, const ts_tensor *x,
                                        const ts_tensor *h) {
  ts_tensor *a = ts_matmul(x, w->wx);
  ts_tensor *r = ts_matmul(h, w->wh);
  return ts_add(ts_add(a, r), w->b);
}

// OK: gate slice k of [1, 4*HID] in the caller's scope
TS_CALLER_SCOPE static ts_tensor *gate(const ts_tensor *g, int k) {
  return ts_narrow(g, 1, (int64_t)k * HID, HID);
}

// OK: one step; the new state is kept and replaces the old through the pointer
static void lstm_step(const lstm_w *w, lstm_state *s, const ts_tensor *x) {
  TS_SCOPE {
    ts_tensor *g = gates(w, x, s->h);
    ts_tensor *i = ts_sigmoid(gate(g, 0));
    ts_tensor *f = ts_sigmoid(gate(g, 1));
    ts_tensor *o = ts_sigmoid(gate(g, 2));
    ts_tensor *u = ts_tanh(gate(g, 3));
    ts_tensor *c = ts_add(ts_mul(f, s->c), ts_mul(i, u));
    ts_tensor *h = ts_mul(o, ts_tanh(c));
    ts_free(s->h);
    ts_free(s->c);
    s->h = ts_keep(h);
    s->c = ts_keep(c);
  }
}

// BUG: use-after-scope: the new cell state is stored without being kept
static void lstm_step_keep_h_only(const lstm_w *w, lstm_state *s,
                                  const ts_tensor *x) {
  TS_SCOPE {
    ts_tensor *g = gates(w, x, s->h);
    ts_tensor *c = ts_add(ts_mul(ts_sigmoid(gate(g, 1)), s->c),
                          ts_mul(ts_sigmoid(gate(g, 0)), ts_tanh(gate(g, 3))));
    ts_tensor *h = ts_mul(ts_sigmoid(gate(g, 2)), ts_tanh(c));
    ts_free(s->h);
    ts_free(s->c);
    s->h = ts_keep(h);
    s->c = c;
  }
  ts_tensor *n = ts_sum(s->c); // <- BUG
  printf("%g\n", ts_item(n));
  ts_free(n);
}

// OK: out-parameter step: returns new (h, c), the input state untouched
static int lstm_step_out(const lstm_w *w, const lstm_state *s,
                         const ts_tensor *x, lstm_state *out) {
  ts_scope_id sc = ts_scope_begin();
  ts_tensor *g = gates(w, x, s->h);
  ts_tensor *c = ts_add(ts_mul(ts_sigmoid(gate(g, 1)), s->c),
                        ts_mul(ts_sigmoid(gate(g, 0)), ts_tanh(gate(g, 3))));
  ts_tensor *h = ts_mul(ts_sigmoid(gate(g, 2)), ts_tanh(c));
  out->h = ts_keep(h);
  out->c = ts_keep(c);
  ts_scope_end(sc);
  return 0;
}

// BUG: leak: the previous state is replaced by the out step but never freed
static void run_out_steps(const lstm_w *w, lstm_state *s, ts_tensor *const *xs,
                          int n) {
  for (int t = 0; t < n; t++) {
    lstm_state next;
    lstm_step_out(w, s, xs[t], &next);
    *s = next; // <- BUG
  }
}

// OK: same loop, old state freed after the step
static void run_out_steps_ok(const lstm_w *w, lstm_state *s,
                             ts_tensor *const *xs, int n) {
  for (int t = 0; t < n; t++) {
    lstm_state next;
    if (lstm_step_out(w, s, xs[t], &next) != 0)
      break;
    state_free(s);
    *s = next;
  }
}

// OK: a sequence with manual scope per step; the outputs kept in an array
static int run_sequence(const lstm_w *w, lstm_state *s, ts_tensor *const *xs,
                        int n, ts_tensor **hs) {
  for (int t = 0; t < n; t++) {
    ts_scope_id sc = ts_scope_begin();
    lstm_step(w, s, xs[t]);
    hs[t] = ts_keep(ts_clone(s->h));
    ts_scope_end(sc);
  }
  return n;
}

// BUG: use-after-scope: the per-step outputs stay in the manual scopes and are stacked later
static ts_tensor *run_sequence_stack(const lstm_w *w, lstm_state *s,
                                     ts_tensor *const *xs, int n) {
  const ts_tensor *hs[8];
  for (int t = 0; t < n && t < 8; t++) {
    ts_scope_id sc = ts_scope_begin();
    lstm_step(w, s, xs[t]);
    hs[t] = ts_clone(s->h);
    ts_scope_end(sc);
  }
  return ts_cat(hs, n, 0); // <- BUG
}

// OK: outputs stacked inside the scope and escaped once
static ts_tensor *run_sequence_stack_ok(const lstm_w *w, lstm_state *s,
                                        ts_tensor *const *xs, int n) {
  ts_tensor *out;
  TS_SCOPE {
    const ts_tensor *hs[8];
    for (int t = 0; t < n && t < 8; t++) {
      lstm_step(w, s, xs[t]);
      hs[t] = ts_clone(s->h);
    }
    out = ts_escape(ts_cat(hs, n, 0));
  }
  return out;
}

// OK: zoneout: keeps a random part of the old state, in a guard scope
static void lstm_zoneout(const lstm_w *w, lstm_state *s, const ts_tensor *x,
                         double p) {
  TS_SCOPE_GUARD();
  ts_tensor *oldh = ts_clone(s->h);
  lstm_step(w, s, x);
  ts_tensor *mask = ts_relu(ts_add_scalar(ts_rand(TS_SHAPE(1, HID), TS_FLOAT32), -p));
  ts_tensor *keep = ts_mul(mask, oldh);
  ts_tensor *mixed = ts_add(ts_mul(ts_add_scalar(ts_neg(mask), 1.0), s->h), keep);
  ts_free(s->h);
  s->h = ts_keep(mixed);
}

// BUG: double-free: zoneout frees the old h itself although lstm_step already replaced it
static void lstm_zoneout_free(const lstm_w *w, lstm_state *s,
                              const ts_tensor *x) {
  ts_tensor *oldh = s->h;
  lstm_step(w, s, x);
  ts_free(oldh); // <- BUG
}

typedef struct {
  lstm_w w[2];
  lstm_state s[2];
  int layers;
} lstm_stack;

// OK: a two-layer stack; the second layer's input size is HID, so its wx is [HID, 4*HID]
static int stack_init(lstm_stack *st) {
  st->layers = 0;
  for (int l = 0; l < 2; l++) {
    lstm_w *w = &st->w[l];
    w->wx = ts_randn(TS_SHAPE(l == 0 ? IN : HID, 4 * HID), TS_FLOAT32);
    w->wh = ts_randn(TS_SHAPE(HID, 4 * HID), TS_FLOAT32);
    w->b = ts_zeros(TS_SHAPE(1, 4 * HID), TS_FLOAT32);
    if (!w->wx || !w->wh || !w->b || state_zero(&st->s[l]) != 0) {
      lstm_w_free(w);
      return -1;
    }
    st->layers++;
  }
  return 0;
}

// OK: every layer's weights and state
static void stack_free(lstm_stack *st) {
  for (int l = 0; l < st->layers; l++) {
    lstm_w_free(&st->w[l]);
    state_free(&st->s[l]);
  }
  st->layers = 0;
}

// OK: one step through both layers
static void stack_step(lstm_stack *st, const ts_tensor *x) {
  lstm_step(&st->w[0], &st->s[0], x);
  lstm_step(&st->w[1], &st->s[1], st->s[0].h);
}

// BUG: unescaped-return: the top layer's readout is made in a scope block and returned
static ts_tensor *stack_readout(lstm_stack *st) {
  TS_SCOPE {
    ts_tensor *sm = ts_softmax(st->s[1].h, 1);
    return sm; // <- BUG
  }
}

// OK: readout escaped
static ts_tensor *stack_readout_ok(lstm_stack *st) {
  TS_SCOPE {
    ts_tensor *sm = ts_softmax(st->s[1].h, 1);
    return ts_escape(sm);
  }
}

// OK: inputs for a sequence, the caller frees them
static int make_inputs(ts_tensor **xs, int n) {
  for (int t = 0; t < n; t++) {
    xs[t] = ts_full(TS_SHAPE(1, IN), TS_FLOAT32, 0.1 * (t + 1));
    if (!xs[t]) {
      while (t-- > 0)
        ts_free(xs[t]);
      return -1;
    }
  }
  return 0;
}

// OK: frees n inputs
static void free_inputs(ts_tensor **xs, int n) {
  for (int t = 0; t < n; t++)
    ts_free(xs[t]);
}

// BUG: leak: a spare random matrix made for a re-init is never used or freed
static int lstm_w_init_full(lstm_w *w) {
  lstm_w_init(w);
  w->wh = ts_randn(TS_SHAPE(HID, 4 * HID), TS_FLOAT32);
  w->b = ts_zeros(TS_SHAPE(1, 4 * HID), TS_FLOAT32);
  ts_tensor *tmp = ts_randn(TS_SHAPE(IN, 4 * HID), TS_FLOAT32); // <- BUG
  return (w->wx && w->wh && w->b && tmp) ? 0 : -1;
}

// OK: one cell over a sequence, outputs and state freed
void lstm_entry_seq(void) {
  lstm_stack st;
  ts_tensor *xs[4], *hs[4];
  ts_manual_seed(11);
  if (stack_init(&st) != 0) {
    stack_free(&st);
    return;
  }
  if (make_inputs(xs, 4) != 0) {
    stack_free(&st);
    return;
  }
  run_sequence(&st.w[0], &st.s[0], xs, 4, hs);
  run_out_steps_ok(&st.w[0], &st.s[0], xs, 2);
  ts_tensor *cat = run_sequence_stack_ok(&st.w[0], &st.s[0], xs, 3);
  lstm_zoneout(&st.w[0], &st.s[0], xs[0], 0.3);
  for (int t = 0; t < 4; t++)
    stack_step(&st, xs[t]);
  ts_tensor *r = stack_readout_ok(&st);
  printf("%lld %lld\n", (long long)ts_numel(cat), (long long)ts_numel(r));
  ts_free(r);
  ts_free(cat);
  free_inputs(hs, 4);
  free_inputs(xs, 4);
  stack_free(&st);
}

// OK: drives the step that keeps only h
void lstm_entry_keep_h(void) {
  lstm_stack st;
  ts_tensor *xs[1];
  if (stack_init(&st) != 0) {
    stack_free(&st);
    return;
  }
  if (make_inputs(xs, 1) != 0) {
    stack_free(&st);
    return;
  }
  lstm_step_keep_h_only(&st.w[0], &st.s[0], xs[0]);
  free_inputs(xs, 1);
  stack_free(&st);
}

// OK: drives the out steps that drop old states
void lstm_entry_out_steps(void) {
  lstm_stack st;
  ts_tensor *xs[2];
  if (stack_init(&st) != 0) {
    stack_free(&st);
    return;
  }
  if (make_inputs(xs, 2) == 0) {
    run_out_steps(&st.w[0], &st.s[0], xs, 2);
    free_inputs(xs, 2);
  }
  stack_free(&st);
}

// OK: drives the stacking after the manual scopes
void lstm_entry_stack(void) {
  lstm_stack st;
  ts_tensor *xs[2];
  if (stack_init(&st) != 0) {
    stack_free(&st);
    return;
  }
  if (make_inputs(xs, 2) != 0) {
    stack_free(&st);
    return;
  }
  ts_tensor *c = run_sequence_stack(&st.w[0], &st.s[0], xs, 2);
  if (c)
    ts_free(c);
  free_inputs(xs, 2);
  stack_free(&st);
}

// OK: drives the zoneout that frees the replaced h
void lstm_entry_zoneout_free(void) {
  lstm_stack st;
  ts_tensor *xs[1];
  if (stack_init(&st) != 0) {
    stack_free(&st);
    return;
  }
  if (make_inputs(xs, 1) != 0) {
    stack_free(&st);
    return;
  }
  lstm_zoneout_free(&st.w[0], &st.s[0], xs[0]);
  free_inputs(xs, 1);
  stack_free(&st);
}

// OK: uses the readout returned from its block scope
void lstm_entry_readout(void) {
  lstm_stack st;
  if (stack_init(&st) != 0) {
    stack_free(&st);
    return;
  }
  ts_tensor *r = stack_readout(&st);
  ts_tensor *s = ts_sum(r);
  printf("%g\n", ts_item(s));
  ts_free(s);
  ts_free(r);
  stack_free(&st);
}

// OK: drives the full init that loses a matrix
void lstm_entry_init_full(void) {
  lstm_w w;
  lstm_w_init_full(&w);
  lstm_w_free(&w);
}

// BUG: use-after-free: a shallow copy of the state is stepped after the original was freed
void lstm_entry_reuse(void) {
  lstm_stack st;
  ts_tensor *xs[1];
  if (stack_init(&st) != 0) {
    stack_free(&st);
    return;
  }
  if (make_inputs(xs, 1) != 0) {
    stack_free(&st);
    return;
  }
  lstm_state snap = st.s[0];
  state_free(&st.s[0]);
  lstm_step(&st.w[0], &snap, xs[0]); // <- BUG
  free_inputs(xs, 1);
  state_free(&snap);
  state_free(&st.s[1]);
  lstm_w_free(&st.w[0]);
  lstm_w_free(&st.w[1]);
}

// BUG: leak: the inputs are not freed when the stack init fails halfway
void lstm_entry_inputs_first(void) {
  lstm_stack st;
  ts_tensor *xs[2];
  if (make_inputs(xs, 2) != 0) // <- BUG
    return;
  if (stack_init(&st) != 0 || st.layers < 3) {
    stack_free(&st);
    return;
  }
  free_inputs(xs, 2);
  stack_free(&st);
}
