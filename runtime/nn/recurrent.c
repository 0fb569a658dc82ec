/*
 * recurrent.c - the LSTM and GRU layers of <tsmem/nn.h>, as layers.c's:
 * init registers the parameters under PyTorch's names and initialises them
 * as torch.nn 1.13's RNNBase does; forward checks the layer, the initial
 * states and the input, then calls the generated operator.
 */
#include "nn/layer_util.h"
#include "nn/nn_internal.h"

#include <math.h>
#include <string.h>
#include <tsmem/ops.h>

/* --------------------------------------------------------- LSTM and GRU -- */

/* RNNBase's parameters for `gates` gates (LSTM 4, GRU 3): per layer k
 * weight_ih_l<k>, weight_hh_l<k>, bias_ih_l<k>, bias_hh_l<k>, registered
 * and initialised as RNNBase does (every parameter U(-1/sqrt(H),
 * 1/sqrt(H)), in registration order) into params[0 .. 4 * num_layers). */
static ts_status rnn_init(ts_tensor **params, ts_store *s, const char *prefix,
                          int64_t input_size, int64_t hidden_size,
                          int64_t num_layers, int64_t gates, const char *what,
                          const char *call) {
  if (!check_positive(call, "input_size", input_size) ||
      !check_positive(call, "hidden_size", hidden_size) ||
      !check_positive(call, "num_layers", num_layers))
    return ts_last_status();
  if (num_layers > TS_NN_LSTM_MAX_LAYERS)
    return ts__fail(TS_ERR_ARG, call,
                    "num_layers is %lld; this %s has at most %d layers",
                    (long long)num_layers, what, TS_NN_LSTM_MAX_LAYERS);
  reg r[4 * TS_NN_LSTM_MAX_LAYERS];
  char names[4 * TS_NN_LSTM_MAX_LAYERS][24];
  int64_t G = gates * hidden_size;
  for (int64_t k = 0; k < num_layers; k++) {
    int64_t in = k ? hidden_size : input_size;
    const char *fmt[] = {"weight_ih_l%lld", "weight_hh_l%lld", "bias_ih_l%lld",
                         "bias_hh_l%lld"};
    for (int j = 0; j < 4; j++) {
      int i = (int)(4 * k + j);
      snprintf(names[i], sizeof names[i], fmt[j], (long long)k);
      r[i] = (reg){names[i],      {G, j == 0 ? in : hidden_size},
                   j < 2 ? 2 : 1, TS_FLOAT32,
                   true,          &params[i]};
    }
  }
  int n = (int)(4 * num_layers);
  size_t mark = s && ts__obj_live(s, TS__OBJ_STORE) ? ts__store_mark(s) : 0;
  if (!register_all(s, call, prefix, r, n))
    return ts_last_status();
  double stdv = 1.0 / sqrt((double)hidden_size);
  for (int i = 0; i < n; i++)
    if (!init_ok(ts_init_uniform_(params[i], -stdv, stdv), s, mark, call))
      return ts_last_status();
  return TS_OK;
}

/* What differs between the LSTM's forward and the GRU's: the names in
 * messages, how many initial states and results, and the generated
 * operator. */
typedef struct rnn_cell {
  const char *what;  /* "LSTM", as messages name it */
  const char *layer; /* "ts_nn_lstm", the struct (and its init's prefix) */
  int nstates;       /* initial states: h0 (and c0) */
  int nout;          /* results: output, h_n (and c_n) */
  /* The operator: res[0 .. nout) from x, the states hx[0 .. nstates) and
   * the flat weights (4 per layer, biases included). */
  ts_status (*op)(ts_tensor **res, const ts_tensor *x,
                  const ts_tensor *const *hx, const ts_tensor *const *params,
                  int64_t num_layers, bool batch_first);
} rnn_cell;

/* The fields ts_nn_lstm and ts_nn_gru both have. */
typedef struct rnn_layer {
  ts_tensor *const *params;
  int64_t input_size, hidden_size, num_layers;
  bool batch_first;
} rnn_layer;

static const char *const state_names[] = {"h0", "c0"};

/* The cell's work inside its own scope; the results escape to the
 * caller's. */
static bool rnn_run(ts_tensor **out, const rnn_cell *cell, const rnn_layer *l,
                    const ts_tensor *x, const ts_tensor *const *states,
                    const int64_t *sz, const char *call) {
  int64_t L = l->num_layers, H = l->hidden_size;
  int64_t batch = l->batch_first ? sz[0] : sz[1];
  const ts_tensor *hx[2] = {NULL, NULL};
  if (!states[0]) {
    ts_tensor *z = ts_zeros(TS_SHAPE(L, batch, H), TS_FLOAT32);
    if (!z)
      return false;
    for (int i = 0; i < cell->nstates; i++)
      hx[i] = z;
  } else {
    for (int i = 0; i < cell->nstates; i++) {
      int64_t hs[MAX_DIMS];
      int hn = ts__shape_of(states[i], call, state_names[i], hs, MAX_DIMS);
      if (hn < 0)
        return false;
      if (hn != 3 || hs[0] != L || hs[1] != batch || hs[2] != H) {
        char buf[128];
        ts__fail(TS_ERR_SHAPE, call,
                 "%s has shape %s; it must be [num_layers %lld, batch %lld, "
                 "hidden %lld]",
                 state_names[i], shape_str(buf, sizeof buf, hs, hn),
                 (long long)L, (long long)batch, (long long)H);
        return false;
      }
      hx[i] = states[i];
    }
  }
  ts_tensor *res[3] = {NULL, NULL, NULL};
  if (cell->op(res, x, hx, (const ts_tensor *const *)l->params, L,
               l->batch_first) != TS_OK)
    return false;
  for (int i = 0; i < cell->nout; i++)
    out[i] = ts_escape(res[i]);
  return true;
}

/* The forward of an LSTM or a GRU: checks the layer, the initial states
 * (all NULL or none) and the input, runs the cell in a scope of its own,
 * and reports an error from inside under `call`. l is NULL when the
 * caller's layer is. */
static ts_status rnn_forward(ts_tensor **out, const rnn_cell *cell,
                             const rnn_layer *l, const ts_tensor *x,
                             const ts_tensor *const *states, const char *call) {
  if (!out)
    return ts__fail(TS_ERR_NULL, call,
                    "out is NULL; pass an array of %d tensor pointers",
                    cell->nout);
  for (int i = 0; i < cell->nout; i++)
    out[i] = NULL;
  if (!check_layer(l, call))
    return ts_last_status();
  if (l->num_layers < 1 || l->num_layers > TS_NN_LSTM_MAX_LAYERS)
    return ts__fail(TS_ERR_ARG, call,
                    "the %s has %lld layers: not initialised; call "
                    "%s_init first",
                    cell->what, (long long)l->num_layers, cell->layer);
  for (int64_t i = 0; i < 4 * l->num_layers; i++)
    if (!check_layer_tensor(l->params[i], call, cell->layer, "parameter"))
      return ts_last_status();
  for (int i = 1; i < cell->nstates; i++)
    if (!states[0] != !states[i])
      return ts__fail(TS_ERR_NULL, call,
                      "%s is NULL but %s is not; pass both initial states or "
                      "neither (zeros)",
                      state_names[states[0] ? i : 0],
                      state_names[states[0] ? 0 : i]);
  int64_t sz[MAX_DIMS];
  int nd = input_shape(x, call, sz);
  if (nd < 0)
    return ts_last_status();
  if (nd != 3 || sz[2] != l->input_size) {
    char want[96];
    snprintf(want, sizeof want, "%s (input_size %lld)",
             l->batch_first ? "[N, T, input_size]" : "[T, N, input_size]",
             (long long)l->input_size);
    wrong_shape(call, sz, nd, want);
    return ts_last_status();
  }
  ts_scope_id scope = ts_scope_begin();
  bool ok = rnn_run(out, cell, l, x, states, sz, call);
  ts_status st = ok ? TS_OK : ts_last_status();
  char msg[1024];
  snprintf(msg, sizeof msg, "%s", ts_last_error());
  (void)ts_scope_end(scope);
  if (!ok) {
    for (int i = 0; i < cell->nout; i++)
      out[i] = NULL;
    size_t n = strlen(call);
    if (strncmp(msg, call, n) == 0 && msg[n] == ':')
      return ts__fail(st, call, "%s", msg + n + 2);
    return ts__fail(st, call, "%s", msg);
  }
  ts__ok();
  return TS_OK;
}

/* ----------------------------------------------------------------- LSTM -- */

ts_status ts_nn_lstm_init(ts_nn_lstm *l, ts_store *s, const char *prefix,
                          int64_t input_size, int64_t hidden_size,
                          int64_t num_layers, bool batch_first) {
  static const char call[] = "ts_nn_lstm_init";
  if (!check_out(l, call, "l"))
    return ts_last_status();
  ts_nn_lstm v = {.input_size = input_size,
                  .hidden_size = hidden_size,
                  .num_layers = num_layers,
                  .batch_first = batch_first};
  if (rnn_init(v.params, s, prefix, input_size, hidden_size, num_layers, 4,
               "LSTM", call) != TS_OK)
    return ts_last_status();
  *l = v;
  ts__ok();
  return TS_OK;
}

static ts_status lstm_op(ts_tensor **res, const ts_tensor *x,
                         const ts_tensor *const *hx,
                         const ts_tensor *const *params, int64_t num_layers,
                         bool batch_first) {
  return ts_lstm_input(res, x, hx, 2, params, (int)(4 * num_layers), true,
                       num_layers, 0.0, false, false, batch_first);
}

static const rnn_cell lstm_cell = {"LSTM", "ts_nn_lstm", 2, 3, lstm_op};

ts_status ts_nn_lstm_forward(ts_tensor **out, const ts_nn_lstm *l,
                             const ts_tensor *x, const ts_tensor *h0,
                             const ts_tensor *c0) {
  const ts_tensor *states[2] = {h0, c0};
  rnn_layer v;
  if (l)
    v = (rnn_layer){l->params, l->input_size, l->hidden_size, l->num_layers,
                    l->batch_first};
  return rnn_forward(out, &lstm_cell, l ? &v : NULL, x, states,
                     "ts_nn_lstm_forward");
}

/* ------------------------------------------------------------------ GRU -- */

ts_status ts_nn_gru_init(ts_nn_gru *g, ts_store *s, const char *prefix,
                         int64_t input_size, int64_t hidden_size,
                         int64_t num_layers, bool batch_first) {
  static const char call[] = "ts_nn_gru_init";
  if (!check_out(g, call, "g"))
    return ts_last_status();
  ts_nn_gru v = {.input_size = input_size,
                 .hidden_size = hidden_size,
                 .num_layers = num_layers,
                 .batch_first = batch_first};
  if (rnn_init(v.params, s, prefix, input_size, hidden_size, num_layers, 3,
               "GRU", call) != TS_OK)
    return ts_last_status();
  *g = v;
  ts__ok();
  return TS_OK;
}

static ts_status gru_op(ts_tensor **res, const ts_tensor *x,
                        const ts_tensor *const *hx,
                        const ts_tensor *const *params, int64_t num_layers,
                        bool batch_first) {
  return ts_gru_input(res, x, hx[0], params, (int)(4 * num_layers), true,
                      num_layers, 0.0, false, false, batch_first);
}

static const rnn_cell gru_cell = {"GRU", "ts_nn_gru", 1, 2, gru_op};

ts_status ts_nn_gru_forward(ts_tensor **out, const ts_nn_gru *g,
                            const ts_tensor *x, const ts_tensor *h0) {
  const ts_tensor *states[1] = {h0};
  rnn_layer v;
  if (g)
    v = (rnn_layer){g->params, g->input_size, g->hidden_size, g->num_layers,
                    g->batch_first};
  return rnn_forward(out, &gru_cell, g ? &v : NULL, x, states,
                     "ts_nn_gru_forward");
}
