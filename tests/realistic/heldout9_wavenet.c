/* heldout9_wavenet.c - fast generation for a WaveNet-style stack of dilated
 * causal layers: each layer keeps a queue (ring) of its past inputs as deep
 * as its dilation, a step pops the delayed input, mixes it with the current
 * one through gated tanh/sigmoid units, adds a residual and a skip. Layers
 * live in a heap array; results come back in small structs by value. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>

#define WN_C 4
#define WN_LAYERS 3
#define WN_MAXDIL 4

typedef struct {
  int dilation;
  ts_tensor *w_cur;  /* [WN_C, WN_C] */
  ts_tensor *w_past; /* [WN_C, WN_C] */
  ts_tensor *queue[WN_MAXDIL]; /* past inputs [1, WN_C], the layer's */
  int qhead, qlen;
} wn_layer;

typedef struct {
  wn_layer *layers;
  int n;
  ts_tensor *w_out; /* [WN_C, 1] */
} wn_net;

typedef struct {
  ts_tensor *out; /* NULL on error */
  int err;
} wn_result;

// OK: frees one layer's weights and queue
static void wn_layer_free(wn_layer *l) {
  if (l->w_cur)
    ts_free(l->w_cur);
  if (l->w_past)
    ts_free(l->w_past);
  for (int i = 0; i < WN_MAXDIL; i++)
    if (l->queue[i])
      ts_free(l->queue[i]);
  memset(l, 0, sizeof *l);
}

// OK: builds the stack with dilations 1, 2, 4; undoes everything on failure
static int wn_net_init(wn_net *net) {
  net->n = WN_LAYERS;
  net->layers = calloc(WN_LAYERS, sizeof *net->layers);
  net->w_out = NULL;
  if (!net->layers)
    return -1;
  for (int i = 0; i < WN_LAYERS; i++) {
    wn_layer *l = &net->layers[i];
    l->dilation = 1 << i;
    l->w_cur = ts_randn(TS_SHAPE(WN_C, WN_C), TS_FLOAT32);
    l->w_past = ts_randn(TS_SHAPE(WN_C, WN_C), TS_FLOAT32);
    if (!l->w_cur || !l->w_past)
      goto fail;
  }
  net->w_out = ts_randn(TS_SHAPE(WN_C, 1), TS_FLOAT32);
  if (!net->w_out)
    goto fail;
  return 0;
fail:
  for (int i = 0; i < WN_LAYERS; i++)
    wn_layer_free(&net->layers[i]);
  free(net->layers);
  net->layers = NULL;
  return -1;
}

// OK: frees the stack
static void wn_net_free(wn_net *net) {
  if (!net->layers)
    return;
  for (int i = 0; i < net->n; i++)
    wn_layer_free(&net->layers[i]);
  free(net->layers);
  net->layers = NULL;
  if (net->w_out)
    ts_free(net->w_out);
  net->w_out = NULL;
}

// OK: pushes x (taken) and pops the input from `dilation` steps ago (given to the caller, or NULL)
static ts_tensor *wn_queue_shift(wn_layer *l, ts_tensor *x) {
  ts_tensor *old = NULL;
  if (l->qlen == l->dilation) {
    old = l->queue[l->qhead];
    l->queue[l->qhead] = x;
    l->qhead = (l->qhead + 1) % l->dilation;
    return old;
  }
  l->queue[(l->qhead + l->qlen) % l->dilation] = x;
  l->qlen++;
  return NULL;
}

// OK: one layer step; the layer's output escapes to the caller, the input copy goes into the queue
TS_SCOPED static ts_tensor *wn_layer_step(wn_layer *l, const ts_tensor *x, ts_tensor **skip) {
  ts_tensor *past = wn_queue_shift(l, ts_keep(ts_clone(x)));
  ts_tensor *pre = ts_matmul(x, l->w_cur);
  if (past) {
    pre = ts_add(pre, ts_matmul(past, l->w_past));
    ts_free(past);
  }
  ts_tensor *gated = ts_mul(ts_tanh(pre), ts_sigmoid(pre));
  *skip = ts_escape(ts_clone(gated));
  return ts_escape(ts_add(x, gated));
}

// OK: one generation step through the stack; the sample is the caller's
static wn_result wn_step(wn_net *net, const ts_tensor *x) {
  wn_result r = {NULL, 0};
  ts_tensor *h = ts_clone(x);
  ts_tensor *skips = ts_zeros(TS_SHAPE(1, WN_C), TS_FLOAT32);
  for (int i = 0; i < net->n; i++) {
    ts_tensor *skip = NULL;
    ts_tensor *nh = wn_layer_step(&net->layers[i], h, &skip);
    ts_tensor *ns = ts_add(skips, skip);
    ts_free(skip);
    ts_free(skips);
    skips = ns;
    ts_free(h);
    h = nh;
  }
  TS_SCOPE { r.out = ts_escape(ts_tanh(ts_matmul(ts_relu(skips), net->w_out))); }
  ts_free(skips);
  ts_free(h);
  if (!r.out)
    r.err = -1;
  return r;
}

// OK: the next input frame from a sample value
static ts_tensor *wn_frame(double v) {
  return ts_full(TS_SHAPE(1, WN_C), TS_FLOAT32, v);
}

// OK: entry: twelve samples generated autoregressively
void wn_entry_generate(void) {
  wn_net net;
  if (wn_net_init(&net) != 0)
    return;
  double v = 0.1;
  for (int t = 0; t < 12; t++) {
    ts_tensor *x = wn_frame(v);
    wn_result r = wn_step(&net, x);
    ts_free(x);
    if (r.err)
      break;
    v = ts_item(r.out);
    ts_free(r.out);
  }
  printf("last %.4f\n", v);
  wn_net_free(&net);
}

// BUG: leak: the skip output of every layer is added to the sum but never freed
static wn_result wn_step_lean(wn_net *net, const ts_tensor *x) {
  wn_result r = {NULL, 0};
  ts_tensor *h = ts_clone(x);
  ts_tensor *skips = ts_zeros(TS_SHAPE(1, WN_C), TS_FLOAT32);
  for (int i = 0; i < net->n; i++) {
    ts_tensor *skip = NULL;
    ts_tensor *nh = wn_layer_step(&net->layers[i], h, &skip); // <- BUG
    ts_tensor *ns = ts_add(skips, skip);
    ts_free(skips);
    skips = ns;
    ts_free(h);
    h = nh;
  }
  TS_SCOPE { r.out = ts_escape(ts_tanh(ts_matmul(ts_relu(skips), net->w_out))); }
  ts_free(skips);
  ts_free(h);
  return r;
}

// OK: entry: two lean steps
void wn_entry_lean(void) {
  wn_net net;
  if (wn_net_init(&net) != 0)
    return;
  for (int t = 0; t < 2; t++) {
    ts_tensor *x = wn_frame(0.2 * t);
    wn_result r = wn_step_lean(&net, x);
    ts_free(x);
    if (r.out)
      ts_free(r.out);
  }
  wn_net_free(&net);
}

// BUG: unescaped-return: the layer output is returned from TS_SCOPED without ts_escape
TS_SCOPED static ts_tensor *wn_layer_apply(const wn_layer *l, const ts_tensor *x) {
  ts_tensor *pre = ts_matmul(x, l->w_cur);
  ts_tensor *gated = ts_mul(ts_tanh(pre), ts_sigmoid(pre));
  return ts_add(x, gated); // <- BUG
}

// OK: a non-causal pass over a whole frame without touching the queues
static double wn_probe(const wn_net *net, double v) {
  ts_tensor *h = wn_frame(v);
  for (int i = 0; i < net->n; i++) {
    ts_tensor *nh = wn_layer_apply(&net->layers[i], h);
    ts_free(h);
    h = nh;
  }
  ts_tensor *m = ts_mean(h);
  double out = ts_item(m);
  ts_free(m);
  ts_free(h);
  return out;
}

// OK: entry: a probe through wn_probe
void wn_entry_probe(void) {
  wn_net net;
  if (wn_net_init(&net) != 0)
    return;
  printf("%.4f\n", wn_probe(&net, 0.5));
  wn_net_free(&net);
}

// BUG: double-free: clearing the queues frees the entries but leaves the pointers, and wn_layer_free frees them again
static void wn_queues_clear(wn_net *net) {
  for (int i = 0; i < net->n; i++) {
    wn_layer *l = &net->layers[i];
    for (int k = 0; k < l->qlen; k++)
      ts_free(l->queue[(l->qhead + k) % l->dilation]); // <- BUG
    l->qlen = 0;
    l->qhead = 0;
  }
}

// OK: entry: generate, clear the queues, free the net
void wn_entry_clear(void) {
  wn_net net;
  if (wn_net_init(&net) != 0)
    return;
  ts_tensor *x = wn_frame(0.3);
  wn_result r = wn_step(&net, x);
  if (r.out)
    ts_free(r.out);
  ts_free(x);
  wn_queues_clear(&net);
  wn_net_free(&net);
}

// OK: clearing that also empties the slots
static void wn_queues_clear_ok(wn_net *net) {
  for (int i = 0; i < net->n; i++) {
    wn_layer *l = &net->layers[i];
    for (int k = 0; k < WN_MAXDIL; k++)
      if (l->queue[k]) {
        ts_free(l->queue[k]);
        l->queue[k] = NULL;
      }
    l->qlen = 0;
    l->qhead = 0;
  }
}

// OK: entry: two utterances with the queues cleared between them
void wn_entry_two_utterances(void) {
  wn_net net;
  if (wn_net_init(&net) != 0)
    return;
  for (int u = 0; u < 2; u++) {
    double v = 0.1 * (u + 1);
    for (int t = 0; t < 6; t++) {
      ts_tensor *x = wn_frame(v);
      wn_result r = wn_step(&net, x);
      ts_free(x);
      if (r.err)
        break;
      v = ts_item(r.out);
      ts_free(r.out);
    }
    wn_queues_clear_ok(&net);
  }
  wn_net_free(&net);
}

// BUG: use-after-free: the oldest queued input is borrowed, then the shift hands it out and the caller frees it
static double wn_delay_energy(wn_layer *l, const ts_tensor *x) {
  ts_tensor *oldest = l->qlen ? l->queue[l->qhead] : NULL;
  ts_tensor *popped = wn_queue_shift(l, ts_clone(x));
  if (popped)
    ts_free(popped);
  if (!oldest)
    return 0.0;
  ts_tensor *e = ts_sum(ts_mul(oldest, oldest)); // <- BUG
  double v = ts_item(e);
  ts_free(e);
  return v;
}

// OK: entry: a full first-layer queue, then wn_delay_energy
void wn_entry_delay_energy(void) {
  wn_net net;
  if (wn_net_init(&net) != 0)
    return;
  ts_tensor *x = wn_frame(0.4);
  wn_result r = wn_step(&net, x);
  if (r.out)
    ts_free(r.out);
  printf("%.3f\n", wn_delay_energy(&net.layers[0], x));
  ts_free(x);
  wn_net_free(&net);
}

// BUG: leak: when the output weight cannot be made the layers built so far are not freed
static int wn_net_init_sized(wn_net *net, int out_dim) {
  net->n = WN_LAYERS;
  net->layers = calloc(WN_LAYERS, sizeof *net->layers);
  net->w_out = NULL;
  if (!net->layers)
    return -1;
  for (int i = 0; i < WN_LAYERS; i++) {
    net->layers[i].dilation = 1 << i;
    net->layers[i].w_cur = ts_randn(TS_SHAPE(WN_C, WN_C), TS_FLOAT32); // <- BUG
    net->layers[i].w_past = ts_randn(TS_SHAPE(WN_C, WN_C), TS_FLOAT32);
  }
  if (out_dim <= 0) {
    free(net->layers);
    net->layers = NULL;
    return -1;
  }
  net->w_out = ts_randn(TS_SHAPE(WN_C, out_dim), TS_FLOAT32);
  return 0;
}

// OK: entry: a net with a zero output dimension
void wn_entry_init_sized(void) {
  wn_net net;
  if (wn_net_init_sized(&net, 0) != 0)
    fprintf(stderr, "bad output size\n");
  wn_net_free(&net);
}

// BUG: double-free: the result is copied into the history and both copies are freed at the end
static double wn_history_run(wn_net *net, int steps) {
  wn_result hist[8];
  int n = 0;
  double v = 0.2;
  for (int t = 0; t < steps && n < 8; t++) {
    ts_tensor *x = wn_frame(v);
    wn_result r = wn_step(net, x);
    ts_free(x);
    if (r.err)
      break;
    hist[n++] = r;
    v = ts_item(r.out);
    ts_free(r.out);
  }
  for (int i = 0; i < n; i++)
    ts_free(hist[i].out); // <- BUG
  return v;
}

// OK: entry: drives wn_history_run
void wn_entry_history(void) {
  wn_net net;
  if (wn_net_init(&net) != 0)
    return;
  printf("%.3f\n", wn_history_run(&net, 3));
  wn_net_free(&net);
}

// BUG: use-after-scope: the receptive-field summary made in the block is read after it
static double wn_receptive_summary(const wn_net *net) {
  ts_tensor *summary = NULL;
  TS_SCOPE {
    ts_tensor *acc = ts_zeros(TS_SHAPE(WN_C, WN_C), TS_FLOAT32);
    for (int i = 0; i < net->n; i++)
      acc = ts_add(acc, ts_mul_scalar(net->layers[i].w_past, net->layers[i].dilation));
    summary = ts_mean(acc);
  }
  return ts_item(summary); // <- BUG
}

// OK: entry: drives wn_receptive_summary
void wn_entry_receptive(void) {
  wn_net net;
  if (wn_net_init(&net) != 0)
    return;
  printf("%.3f\n", wn_receptive_summary(&net));
  wn_net_free(&net);
}

// OK: a teacher-forced loss over a short waveform, all scoped, the value returned
TS_SCOPED static double wn_teacher_loss(wn_net *net, const float *wave, int n) {
  double tot = 0;
  for (int t = 0; t + 1 < n; t++) {
    ts_tensor *x = wn_frame(wave[t]);
    wn_result r = wn_step(net, x);
    if (r.err)
      break;
    ts_tensor *target = ts_full(TS_SHAPE(1, 1), TS_FLOAT32, wave[t + 1]);
    tot += ts_item(ts_mse_loss(r.out, target));
  }
  return tot / (n - 1);
}

// OK: entry: teacher-forced loss, then queues cleared and the net freed
void wn_entry_teacher(void) {
  wn_net net;
  if (wn_net_init(&net) != 0)
    return;
  const float wave[6] = {0.0f, 0.3f, 0.5f, 0.2f, -0.1f, -0.4f};
  printf("%.4f\n", wn_teacher_loss(&net, wave, 6));
  wn_queues_clear_ok(&net);
  wn_net_free(&net);
}

// BUG: leak: generation stops early on silence and drops the sample it just made
static int wn_generate_until_silence(wn_net *net, double eps, int max) {
  double v = 0.5;
  int t;
  for (t = 0; t < max; t++) {
    ts_tensor *x = wn_frame(v);
    wn_result r = wn_step(net, x);
    ts_free(x);
    if (r.err)
      break;
    v = ts_item(r.out);
    if (v < eps && v > -eps)
      break; // <- BUG
    ts_free(r.out);
  }
  return t;
}

// OK: entry: a silence threshold every sample passes
void wn_entry_silence(void) {
  wn_net net;
  if (wn_net_init(&net) != 0)
    return;
  printf("%d\n", wn_generate_until_silence(&net, 10.0, 5));
  wn_net_free(&net);
}
