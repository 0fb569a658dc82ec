/* test_layers.c - the layers and initialisers of <tsmem/nn.h> against
 * torch.nn (python3-torch, run at test time by torch_ref.py): the same
 * weights give the same outputs, gradients and running statistics; the same
 * seed gives the same initial weights; the initialisers' distributions; the
 * ownership of forward results; bad input. */
#include "check.h"
#include "exchange.h"

#include <tsmem/nn.h>
#include <tsmem/ops.h>

/* test_layers' model: torch_ref.py's Model, under the same names. */
typedef struct model {
  ts_store *s;
  ts_nn_linear fc, fc_nobias;
  ts_nn_conv2d conv1, conv2;
  ts_nn_batch_norm bn, bn1d;
  ts_nn_layer_norm ln;
  ts_nn_embedding emb;
  ts_nn_lstm lstm, lstm_bf;
  ts_nn_gru gru, gru_h0;
  ts_nn_max_pool2d maxpool, maxpool_s1p1;
  ts_nn_avg_pool2d avgpool, avgpool_s1p1;
} model;

static bool model_init(model *m) {
  ts_store *s = m->s = ts_store_new();
  ts_conv2d_options c1 = ts_conv2d_defaults();
  c1.padding[0] = c1.padding[1] = 1;
  ts_conv2d_options c2 = {.stride = {2, 2},
                          .padding = {1, 0},
                          .dilation = {1, 2},
                          .groups = 2,
                          .bias = true};
  bool ok =
      s && ts_nn_linear_init(&m->fc, s, "fc", 5, 4, true) == TS_OK &&
      ts_nn_linear_init(&m->fc_nobias, s, "fc_nobias", 5, 3, false) == TS_OK &&
      ts_nn_conv2d_init(&m->conv1, s, "conv1", 3, 4, 3, 3, &c1) == TS_OK &&
      ts_nn_conv2d_init(&m->conv2, s, "conv2", 4, 6, 3, 2, &c2) == TS_OK &&
      ts_nn_batch_norm_init(&m->bn, s, "bn", 4) == TS_OK &&
      ts_nn_batch_norm_init(&m->bn1d, s, "bn1d", 5) == TS_OK &&
      ts_nn_layer_norm_init(&m->ln, s, "ln", TS_SHAPE(3, 4), true) == TS_OK &&
      ts_nn_embedding_init(&m->emb, s, "emb", 10, 4, 1) == TS_OK &&
      ts_nn_lstm_init(&m->lstm, s, "lstm", 4, 5, 2, false) == TS_OK &&
      ts_nn_lstm_init(&m->lstm_bf, s, "lstm_bf", 3, 2, 1, true) == TS_OK &&
      ts_nn_gru_init(&m->gru, s, "gru", 3, 4, 2, true) == TS_OK &&
      ts_nn_gru_init(&m->gru_h0, s, "gru_h0", 4, 2, 1, false) == TS_OK &&
      ts_nn_max_pool2d_init(&m->maxpool, 2, 0, 0) == TS_OK &&
      ts_nn_max_pool2d_init(&m->maxpool_s1p1, 3, 1, 1) == TS_OK &&
      ts_nn_avg_pool2d_init(&m->avgpool, 2, 0, 0) == TS_OK &&
      ts_nn_avg_pool2d_init(&m->avgpool_s1p1, 3, 1, 1) == TS_OK;
  m->bn1d.momentum = NAN; /* torch's momentum=None: cumulative average */
  return ok;
}

/* The inputs, in torch_ref.py's names. */
enum { N_IN = 11 };
static const char *const in_names[N_IN] = {
    "x_fc",  "x_fc3d",   "x_img", "x_bn1d", "x_ln",  "idx",
    "x_seq", "x_seq_bf", "h0_bf", "c0_bf",  "h0_gru"};

TS_CALLER_SCOPE static void make_inputs(ts_tensor **in) {
  in[0] = ts_randn(TS_SHAPE(7, 5), TS_FLOAT32);
  in[1] = ts_randn(TS_SHAPE(2, 3, 5), TS_FLOAT32);
  in[2] = ts_randn(TS_SHAPE(2, 3, 8, 8), TS_FLOAT32);
  in[3] = ts_randn(TS_SHAPE(6, 5), TS_FLOAT32);
  in[4] = ts_randn(TS_SHAPE(2, 3, 4), TS_FLOAT32);
  const int64_t idx[12] = {0, 1, 2, 9, 1, 1, 5, 3, 7, 8, 4, 6};
  in[5] = ts_from_buffer(idx, TS_SHAPE(3, 4), TS_INT64);
  in[6] = ts_randn(TS_SHAPE(6, 2, 4), TS_FLOAT32);
  in[7] = ts_randn(TS_SHAPE(2, 5, 3), TS_FLOAT32);
  in[8] = ts_randn(TS_SHAPE(1, 2, 2), TS_FLOAT32);
  in[9] = ts_randn(TS_SHAPE(1, 2, 2), TS_FLOAT32);
  in[10] = ts_randn(TS_SHAPE(1, 2, 2), TS_FLOAT32);
}

/* The outputs, in torch_ref.py's layers_outputs names and order. */
enum { N_OUT = 24 };
static const char *const out_names[N_OUT] = {
    "fc",      "fc3d",         "fc_nobias", "conv1",        "conv2",
    "maxpool", "maxpool_s1p1", "avgpool",   "avgpool_s1p1", "bn",
    "bn1d_a",  "bn1d_b",       "ln",        "emb",          "lstm",
    "lstm_h",  "lstm_c",       "lstm_bf",   "lstm_bf_h",    "lstm_bf_c",
    "gru",     "gru_h",        "gru_h0",    "gru_h0_h"};

TS_CALLER_SCOPE static bool forward_all(const model *m, ts_tensor **in,
                                        ts_tensor **out) {
  out[0] = ts_nn_linear_forward(&m->fc, in[0]);
  out[1] = ts_nn_linear_forward(&m->fc, in[1]);
  out[2] = ts_nn_linear_forward(&m->fc_nobias, in[0]);
  ts_tensor *c1 = out[3] = ts_nn_conv2d_forward(&m->conv1, in[2]);
  out[4] = ts_nn_conv2d_forward(&m->conv2, c1);
  out[5] = ts_nn_max_pool2d_forward(&m->maxpool, c1);
  out[6] = ts_nn_max_pool2d_forward(&m->maxpool_s1p1, c1);
  out[7] = ts_nn_avg_pool2d_forward(&m->avgpool, c1);
  out[8] = ts_nn_avg_pool2d_forward(&m->avgpool_s1p1, c1);
  out[9] = ts_nn_batch_norm_forward(&m->bn, c1);
  out[10] = ts_nn_batch_norm_forward(&m->bn1d, in[3]);
  out[11] = ts_nn_batch_norm_forward(
      &m->bn1d, ts_add_scalar(ts_mul_scalar(in[3], 2.0), 1.0));
  out[12] = ts_nn_layer_norm_forward(&m->ln, in[4]);
  out[13] = ts_nn_embedding_forward(&m->emb, in[5]);
  ts_tensor *r[3];
  if (ts_nn_lstm_forward(r, &m->lstm, in[6], NULL, NULL) != TS_OK)
    return false;
  out[14] = r[0], out[15] = r[1], out[16] = r[2];
  if (ts_nn_lstm_forward(r, &m->lstm_bf, in[7], in[8], in[9]) != TS_OK)
    return false;
  out[17] = r[0], out[18] = r[1], out[19] = r[2];
  if (ts_nn_gru_forward(r, &m->gru, in[7], NULL) != TS_OK)
    return false;
  out[20] = r[0], out[21] = r[1];
  if (ts_nn_gru_forward(r, &m->gru_h0, in[6], in[10]) != TS_OK)
    return false;
  out[22] = r[0], out[23] = r[1];
  for (int i = 0; i < N_OUT; i++)
    if (!out[i])
      return false;
  return true;
}

/* The largest difference seen in the parity test, as a fraction of the
 * tolerance. */
static double worst_err;

static void check_close(const char *what, const ts_tensor *a,
                        const ts_tensor *ref, double rtol, double atol) {
  double err = xchg_compare(a, ref, rtol, atol);
  if (err > worst_err)
    worst_err = err;
  if (!(err <= 1.0))
    fprintf(stderr, "%s differs from torch's (%g of the tolerance)\n", what,
            err);
  CHECK(err <= 1.0);
}

TEST(parity_with_torch_nn) {
  TS_SCOPE_GUARD();
  ts_set_num_threads(1);
  CHECK(xchg_open());
  ts_manual_seed(99);
  model m;
  CHECK(model_init(&m));
  /* The weights, as the state_dict torch_ref.py loads (strict). */
  char path[256];
  snprintf(path, sizeof path, "%s/names.txt", xchg_dir);
  FILE *f = fopen(path, "w");
  for (size_t i = 0; f && i < ts_store_count(m.s); i++) {
    char name[96];
    snprintf(name, sizeof name, "p_%s", ts_store_name(m.s, i));
    CHECK(xchg_write(name, ts_store_at(m.s, i)));
    fprintf(f, "%s\n", ts_store_name(m.s, i));
  }
  CHECK(f && fclose(f) == 0);
  ts_tensor *in[N_IN];
  make_inputs(in);
  snprintf(path, sizeof path, "%s/inputs.txt", xchg_dir);
  f = fopen(path, "w");
  for (int i = 0; f && i < N_IN; i++) {
    char name[64];
    snprintf(name, sizeof name, "in_%s", in_names[i]);
    CHECK(xchg_write(name, in[i]));
    fprintf(f, "%s\n", in_names[i]);
  }
  CHECK(f && fclose(f) == 0);
  /* Forward in training mode, then backward of sum(out * g) over all. */
  ts_tensor *out[N_OUT];
  CHECK(forward_all(&m, in, out));
  ts_tensor *loss = ts_zeros(NULL, 0, TS_FLOAT32);
  for (int i = 0; i < N_OUT; i++) {
    const char *n = out_names[i];
    int64_t shape[8];
    int nd = ts_ndim(out[i]);
    for (int d = 0; d < nd; d++)
      shape[d] = ts_size(out[i], d);
    ts_tensor *g = ts_randn(shape, nd, TS_FLOAT32);
    char name[64];
    snprintf(name, sizeof name, "g_%s", n);
    CHECK(xchg_write(name, g));
    loss = ts_add(loss, ts_sum(ts_mul(out[i], g)));
  }
  CHECK_EQ(ts_backward(loss), TS_OK);
  CHECK(xchg_run_reference("layers"));
  for (int i = 0; i < N_OUT; i++) {
    const char *n = out_names[i];
    char name[64];
    snprintf(name, sizeof name, "out_%s", n);
    check_close(name, out[i], xchg_read(name), 1e-4, 1e-5);
  }
  /* Every parameter's gradient, every buffer after the forward. */
  for (size_t i = 0; i < ts_store_count(m.s); i++) {
    const char *n = ts_store_name(m.s, i);
    ts_tensor *t = ts_store_at(m.s, i);
    char name[96];
    if (ts_store_is_param(m.s, i)) {
      snprintf(name, sizeof name, "grad_%s", n);
      ts_tensor *g = ts_grad(t);
      CHECK(g != NULL);
      check_close(name, g, xchg_read(name), 1e-4, 1e-5);
    } else if (ts_tensor_dtype(t) == TS_INT64) {
      snprintf(name, sizeof name, "buf_%s", n);
      CHECK(ts_item(t) == ts_item(xchg_read(name)));
    } else {
      snprintf(name, sizeof name, "buf_%s", n);
      check_close(name, t, xchg_read(name), 1e-5, 1e-6);
    }
  }
  CHECK_EQ((int64_t)ts_item(m.bn1d.num_batches_tracked), 2);
  /* Evaluation mode: batch norm on its running statistics, dropout off. */
  CHECK_EQ(ts_store_train(m.s, false), TS_OK);
  ts_set_grad_enabled(false);
  check_close("eval_bn", ts_nn_batch_norm_forward(&m.bn, out[3]),
              xchg_read("eval_bn"), 1e-4, 1e-5);
  ts_set_grad_enabled(true);
  ts_nn_dropout drop;
  CHECK_EQ(ts_nn_dropout_init(&drop, m.s, 0.5), TS_OK);
  check_close("eval_dropout", ts_nn_dropout_forward(&drop, in[0]),
              xchg_read("eval_dropout"), 0, 0);
  printf("layer parity: %d outputs, %zu gradients and buffers, largest "
         "difference %.3g of the tolerance\n",
         N_OUT, ts_store_count(m.s), worst_err);
  ts_store_free(m.s);
  xchg_close();
}

/* Same seed, same construction order: the same initial weights as torch.nn
 * (and the same dropout mask). */
TEST(initial_weights_equal_torch_nn) {
  TS_SCOPE_GUARD();
  CHECK(xchg_open());
  const int seed = 2024;
  char path[128];
  snprintf(path, sizeof path, "%s/seed.txt", xchg_dir);
  FILE *f = fopen(path, "w");
  CHECK(f != NULL);
  if (f) {
    fprintf(f, "%d\n", seed);
    fclose(f);
  }
  CHECK(xchg_run_reference("init"));
  ts_manual_seed(seed);
  ts_store *s = ts_store_new();
  ts_nn_linear fc;
  ts_nn_conv2d conv;
  ts_nn_embedding emb;
  ts_nn_lstm lstm;
  ts_nn_batch_norm bn;
  ts_nn_layer_norm ln;
  CHECK_EQ(ts_nn_linear_init(&fc, s, "fc", 20, 30, true), TS_OK);
  CHECK_EQ(ts_nn_conv2d_init(&conv, s, "conv", 3, 8, 5, 5, NULL), TS_OK);
  CHECK_EQ(ts_nn_embedding_init(&emb, s, "emb", 7, 3, 2), TS_OK);
  CHECK_EQ(ts_nn_lstm_init(&lstm, s, "lstm", 4, 6, 1, false), TS_OK);
  CHECK_EQ(ts_nn_batch_norm_init(&bn, s, "bn", 3), TS_OK);
  CHECK_EQ(ts_nn_layer_norm_init(&ln, s, "ln", TS_SHAPE(5), true), TS_OK);
  ts_nn_gru gru;
  CHECK_EQ(ts_nn_gru_init(&gru, s, "gru", 4, 6, 2, false), TS_OK);
  for (size_t i = 0; i < ts_store_count(s); i++) {
    ts_tensor *t = ts_store_at(s, i);
    char name[96];
    snprintf(name, sizeof name, "init_%s", ts_store_name(s, i));
    ts_tensor *ref = xchg_read(name);
    CHECK(ref != NULL);
    if (ts_tensor_dtype(t) == TS_INT64)
      CHECK(ts_item(t) == ts_item(ref));
    else
      check_close(name, t, ref, 0, 0); /* bit for bit */
  }
  ts_manual_seed(seed + 1);
  ts_nn_dropout drop;
  CHECK_EQ(ts_nn_dropout_init(&drop, s, 0.3), TS_OK);
  check_close(
      "dropout mask",
      ts_nn_dropout_forward(&drop, ts_ones(TS_SHAPE(64, 64), TS_FLOAT32)),
      xchg_read("dropout"), 0, 0);
  ts_store_free(s);
  xchg_close();
}

/* min, max, mean, std of a float tensor. */
static void stats_of(const ts_tensor *t, double *mn, double *mx, double *mean,
                     double *sd) {
  TS_SCOPE_GUARD();
  *mn = ts_item(ts_min(t));
  *mx = ts_item(ts_max(t));
  *mean = ts_item(ts_mean(t));
  *sd = ts_item(ts_std(t, true));
}

TEST(initialiser_distributions) {
  ts_manual_seed(7);
  ts_store *s = ts_store_new();
  ts_nn_linear fc;
  CHECK_EQ(ts_nn_linear_init(&fc, s, "fc", 400, 500, true), TS_OK);
  double mn, mx, mean, sd, b = 1.0 / 20.0; /* 1/sqrt(400) */
  stats_of(fc.weight, &mn, &mx, &mean, &sd);
  CHECK(mn >= -b && mx <= b);
  CHECK(mn < -0.99 * b && mx > 0.99 * b); /* the whole range is used */
  CHECK(fabs(mean) < 0.002);
  CHECK(fabs(sd - b / sqrt(3.0)) < 0.01 * b / sqrt(3.0));
  stats_of(fc.bias, &mn, &mx, &mean, &sd);
  CHECK(mn >= -b && mx <= b);
  /* Conv: fan_in = in_channels * kh * kw = 4 * 5 * 5. */
  ts_nn_conv2d conv;
  CHECK_EQ(ts_nn_conv2d_init(&conv, s, "conv", 4, 64, 5, 5, NULL), TS_OK);
  b = 1.0 / 10.0;
  stats_of(conv.weight, &mn, &mx, &mean, &sd);
  CHECK(mn >= -b && mx <= b && mn < -0.99 * b && mx > 0.99 * b);
  CHECK(fabs(sd - b / sqrt(3.0)) < 0.03 * b / sqrt(3.0));
  stats_of(conv.bias, &mn, &mx, &mean, &sd);
  CHECK(mn >= -b && mx <= b);
  /* Embedding N(0, 1). */
  ts_nn_embedding emb;
  CHECK_EQ(ts_nn_embedding_init(&emb, s, "emb", 1000, 100, TS_NN_NO_PADDING),
           TS_OK);
  stats_of(emb.weight, &mn, &mx, &mean, &sd);
  CHECK(fabs(mean) < 0.02 && fabs(sd - 1.0) < 0.02);
  /* LSTM U(-1/sqrt(H), 1/sqrt(H)), H = 64. */
  ts_nn_lstm lstm;
  CHECK_EQ(ts_nn_lstm_init(&lstm, s, "lstm", 32, 64, 1, false), TS_OK);
  for (int i = 0; i < 4; i++) {
    stats_of(lstm.params[i], &mn, &mx, &mean, &sd);
    CHECK(mn >= -0.125 && mx <= 0.125 && fabs(mean) < 0.01);
  }
  /* Batch norm, layer norm: ones and zeros. */
  ts_nn_batch_norm bn;
  CHECK_EQ(ts_nn_batch_norm_init(&bn, s, "bn", 3), TS_OK);
  ts_nn_layer_norm ln;
  CHECK_EQ(ts_nn_layer_norm_init(&ln, s, "ln", TS_SHAPE(2, 3), true), TS_OK);
  {
    TS_SCOPE_GUARD();
    CHECK(ts_item(ts_sum(bn.weight)) == 3.0 && ts_item(ts_sum(bn.bias)) == 0);
    CHECK(ts_item(ts_sum(bn.running_var)) == 3.0);
    CHECK(ts_item(ts_sum(bn.running_mean)) == 0.0);
    CHECK(ts_item(ts_sum(ln.weight)) == 6.0 && ts_item(ts_sum(ln.bias)) == 0);
  }
  /* The public initialisers. */
  ts_tensor *w = ts_store_param(s, "w", TS_SHAPE(300, 200), TS_FLOAT32);
  CHECK_EQ(ts_init_kaiming_normal_(w, 0.0, "fan_in", "relu"), TS_OK);
  stats_of(w, &mn, &mx, &mean, &sd);
  CHECK(fabs(sd - sqrt(2.0 / 200)) < 0.02 * sqrt(2.0 / 200));
  CHECK_EQ(ts_init_xavier_uniform_(w, 1.0), TS_OK);
  stats_of(w, &mn, &mx, &mean, &sd);
  b = sqrt(6.0 / 500);
  CHECK(mn >= -b && mx <= b && fabs(sd - b / sqrt(3.0)) < 0.02 * b);
  CHECK_EQ(ts_init_constant_(w, 0.25), TS_OK);
  stats_of(w, &mn, &mx, &mean, &sd);
  CHECK(mn == 0.25 && mx == 0.25);
  int64_t fi = 0, fo = 0;
  CHECK_EQ(ts_init_fans(conv.weight, &fi, &fo), TS_OK);
  CHECK_EQ(fi, 100);
  CHECK_EQ(fo, 64 * 25);
  CHECK(fabs(ts_init_calculate_gain("leaky_relu", sqrt(5.0)) -
             sqrt(1.0 / 3.0)) < 1e-12);
  CHECK(ts_init_calculate_gain("tanh", NAN) == 5.0 / 3);
  CHECK(isnan(ts_init_calculate_gain("swish", NAN)));
  CHECK_ERROR(TS_ERR_ARG, "ts_init_calculate_gain");
  CHECK_EQ(ts_init_fans(bn.weight, NULL, NULL), TS_ERR_SHAPE);
  CHECK_EQ(ts_init_kaiming_uniform_(w, 0, "fan_sideways", "relu"), TS_ERR_ARG);
  CHECK_EQ(ts_init_uniform_(bn.num_batches_tracked, 0, 1), TS_ERR_DTYPE);
  CHECK_EQ(ts_init_uniform_(w, 1, 0), TS_ERR_ARG);
  ts_store_free(s);
  CHECK_EQ(ts_init_ones_(w), TS_ERR_STALE_HANDLE);
}

TEST(forward_results_are_owned_as_any_result) {
  ts_store *s = ts_store_new();
  ts_nn_linear fc;
  ts_nn_lstm lstm;
  CHECK_EQ(ts_nn_linear_init(&fc, s, "fc", 3, 2, true), TS_OK);
  CHECK_EQ(ts_nn_lstm_init(&lstm, s, "lstm", 3, 4, 1, false), TS_OK);
  size_t base = ts_memory().live_tensors;
  {
    TS_SCOPE_GUARD();
    ts_tensor *x = ts_ones(TS_SHAPE(5, 3), TS_FLOAT32);
    CHECK(ts_nn_linear_forward(&fc, x) != NULL);
    CHECK_EQ(ts_scope_tensor_count(), 2);
    ts_tensor *r[3];
    CHECK_EQ(ts_nn_lstm_forward(
                 r, &lstm, ts_ones(TS_SHAPE(2, 5, 3), TS_FLOAT32), NULL, NULL),
             TS_OK);
    CHECK_EQ(ts_scope_tensor_count(), 6); /* 3 results, no temporaries */
  }
  CHECK_EQ(ts_memory().live_tensors, base);
  /* Outside any scope the results are the caller's. */
  ts_tensor *x = ts_ones(TS_SHAPE(1, 5, 3), TS_FLOAT32);
  ts_tensor *r[3];
  CHECK_EQ(ts_nn_lstm_forward(r, &lstm, x, NULL, NULL), TS_OK);
  CHECK_EQ(ts_memory().live_tensors, base + 4);
  for (int i = 0; i < 3; i++)
    CHECK_EQ(ts_free(r[i]), TS_OK);
  ts_tensor *y = ts_nn_linear_forward(&fc, x);
  CHECK_EQ(ts_memory().live_tensors, base + 2);
  CHECK_EQ(ts_free(y), TS_OK);
  CHECK_EQ(ts_free(x), TS_OK);
  ts_store_free(s);
}

TEST(dropout_follows_train_and_eval) {
  TS_SCOPE_GUARD();
  ts_store *s = ts_store_new();
  ts_nn_dropout d;
  CHECK_EQ(ts_nn_dropout_init(&d, s, 0.25), TS_OK);
  ts_tensor *x = ts_ones(TS_SHAPE(200, 100), TS_FLOAT32);
  ts_tensor *y = ts_nn_dropout_forward(&d, x);
  double zeros = ts_item(ts_sum(ts_eq_Scalar(y, 0.0)));
  double kept = ts_item(ts_sum(ts_eq_Scalar(y, 1.0 / 0.75)));
  CHECK(zeros + kept == 20000.0);
  CHECK(fabs(zeros / 20000.0 - 0.25) < 0.02);
  CHECK_EQ(ts_store_train(s, false), TS_OK);
  y = ts_nn_dropout_forward(&d, x);
  CHECK(ts_item(ts_sum(y)) == 20000.0);
  CHECK_EQ(ts_nn_dropout_init(&d, s, 1.5), TS_ERR_ARG);
  CHECK(d.p == 0.25); /* unchanged */
  ts_store_free(s);
  CHECK(ts_nn_dropout_forward(&d, x) == NULL);
  CHECK_ERROR(TS_ERR_STALE_HANDLE, "ts_nn_dropout_forward");
}

TEST(wrong_shapes_and_dtypes) {
  TS_SCOPE_GUARD();
  ts_store *s = ts_store_new();
  ts_nn_linear fc;
  CHECK_EQ(ts_nn_linear_init(&fc, s, "fc", 5, 4, true), TS_OK);
  CHECK(ts_nn_linear_forward(&fc, ts_ones(TS_SHAPE(7, 6), TS_FLOAT32)) == NULL);
  CHECK_ERROR(TS_ERR_SHAPE, "ts_nn_linear_forward");
  CHECK(strstr(ts_last_error(), "[7, 6]") != NULL);
  CHECK(strstr(ts_last_error(), "[..., 5]") != NULL);
  ts_nn_conv2d conv;
  CHECK_EQ(ts_nn_conv2d_init(&conv, s, "conv", 3, 4, 3, 3, NULL), TS_OK);
  CHECK(ts_nn_conv2d_forward(
            &conv, ts_ones(TS_SHAPE(1, 2, 8, 8), TS_FLOAT32)) == NULL);
  CHECK_ERROR(TS_ERR_SHAPE, "ts_nn_conv2d_forward");
  CHECK(strstr(ts_last_error(), "[1, 2, 8, 8]") != NULL);
  /* Too small for the kernel: libtorch's message, under our call. */
  CHECK(ts_nn_conv2d_forward(
            &conv, ts_ones(TS_SHAPE(1, 3, 2, 2), TS_FLOAT32)) == NULL);
  CHECK_ERROR(TS_ERR_SHAPE, "ts_nn_conv2d_forward");
  ts_nn_max_pool2d mp;
  CHECK_EQ(ts_nn_max_pool2d_init(&mp, 2, 0, 0), TS_OK);
  CHECK(ts_nn_max_pool2d_forward(&mp, ts_ones(TS_SHAPE(8, 8), TS_FLOAT32)) ==
        NULL);
  CHECK_ERROR(TS_ERR_SHAPE, "ts_nn_max_pool2d_forward");
  CHECK_EQ(ts_nn_avg_pool2d_init(NULL, 2, 0, 0), TS_ERR_NULL);
  CHECK_EQ(ts_nn_max_pool2d_init(&mp, 2, 0, 2), TS_ERR_ARG);
  CHECK(strstr(ts_last_error(), "padding") != NULL);
  ts_nn_batch_norm bn;
  CHECK_EQ(ts_nn_batch_norm_init(&bn, s, "bn", 4), TS_OK);
  CHECK(ts_nn_batch_norm_forward(&bn, ts_ones(TS_SHAPE(2, 3), TS_FLOAT32)) ==
        NULL);
  CHECK_ERROR(TS_ERR_SHAPE, "ts_nn_batch_norm_forward");
  CHECK(ts_nn_batch_norm_forward(&bn, ts_ones(TS_SHAPE(1, 4), TS_FLOAT32)) ==
        NULL);
  CHECK_ERROR(TS_ERR_SHAPE, "ts_nn_batch_norm_forward");
  CHECK(strstr(ts_last_error(), "more than one value per channel") != NULL);
  CHECK(ts_item(bn.num_batches_tracked) == 0); /* nothing counted */
  ts_nn_layer_norm ln;
  CHECK_EQ(ts_nn_layer_norm_init(&ln, s, "ln", TS_SHAPE(3, 4), true), TS_OK);
  CHECK(ts_nn_layer_norm_forward(&ln, ts_ones(TS_SHAPE(2, 4, 3), TS_FLOAT32)) ==
        NULL);
  CHECK_ERROR(TS_ERR_SHAPE, "ts_nn_layer_norm_forward");
  CHECK(strstr(ts_last_error(), "[..., 3, 4]") != NULL);
  ts_nn_embedding emb;
  CHECK_EQ(ts_nn_embedding_init(&emb, s, "emb", 10, 3, -1), TS_OK);
  CHECK_EQ(emb.padding_idx, 9);
  CHECK(ts_nn_embedding_forward(&emb, ts_ones(TS_SHAPE(2), TS_FLOAT32)) ==
        NULL);
  CHECK_ERROR(TS_ERR_DTYPE, "ts_nn_embedding_forward");
  CHECK(ts_nn_embedding_forward(&emb, ts_full(TS_SHAPE(2), TS_INT64, 10)) ==
        NULL);
  CHECK_ERROR(TS_ERR_ARG, "ts_nn_embedding_forward");
  CHECK_EQ(ts_nn_embedding_init(&emb, s, "emb2", 10, 3, 10), TS_ERR_ARG);
  ts_nn_lstm lstm;
  CHECK_EQ(ts_nn_lstm_init(&lstm, s, "lstm", 3, 4, 1, false), TS_OK);
  ts_tensor *r[3];
  CHECK_EQ(ts_nn_lstm_forward(r, &lstm, ts_ones(TS_SHAPE(2, 5, 4), TS_FLOAT32),
                              NULL, NULL),
           TS_ERR_SHAPE);
  CHECK(r[0] == NULL && r[1] == NULL && r[2] == NULL);
  ts_tensor *h = ts_zeros(TS_SHAPE(1, 5, 4), TS_FLOAT32);
  CHECK_EQ(ts_nn_lstm_forward(r, &lstm, ts_ones(TS_SHAPE(2, 5, 3), TS_FLOAT32),
                              h, NULL),
           TS_ERR_NULL);
  CHECK_EQ(ts_nn_lstm_forward(r, &lstm, ts_ones(TS_SHAPE(2, 5, 3), TS_FLOAT32),
                              h, ts_zeros(TS_SHAPE(1, 4, 4), TS_FLOAT32)),
           TS_ERR_SHAPE);
  CHECK(strstr(ts_last_error(), "c0 has shape [1, 4, 4]") != NULL);
  CHECK_EQ(ts_nn_lstm_forward(NULL, &lstm, h, h, h), TS_ERR_NULL);
  ts_nn_gru gru;
  CHECK_EQ(ts_nn_gru_init(&gru, s, "gru", 3, 4, 1, true), TS_OK);
  CHECK_EQ(
      ts_nn_gru_forward(r, &gru, ts_ones(TS_SHAPE(5, 2, 4), TS_FLOAT32), NULL),
      TS_ERR_SHAPE);
  CHECK_ERROR(TS_ERR_SHAPE, "ts_nn_gru_forward");
  CHECK(strstr(ts_last_error(), "[N, T, input_size]") != NULL);
  CHECK_EQ(ts_nn_gru_forward(r, &gru, ts_ones(TS_SHAPE(5, 2, 3), TS_FLOAT32),
                             ts_zeros(TS_SHAPE(1, 2, 4), TS_FLOAT32)),
           TS_ERR_SHAPE);
  CHECK(strstr(ts_last_error(), "h0 has shape [1, 2, 4]") != NULL);
  CHECK(r[0] == NULL && r[1] == NULL);
  CHECK_EQ(ts_nn_gru_forward(r, &gru, ts_ones(TS_SHAPE(5, 2, 3), TS_FLOAT32),
                             ts_zeros(TS_SHAPE(1, 5, 4), TS_FLOAT32)),
           TS_OK);
  CHECK_EQ(ts_size(r[0], 2), 4);
  CHECK_EQ(ts_nn_gru_init(&gru, s, "gru", 3, 4, 1, true), TS_ERR_ARG);
  ts_store_free(s);
}

TEST(bad_layers_and_bad_inits_leave_the_store_unchanged) {
  TS_SCOPE_GUARD();
  ts_store *s = ts_store_new();
  ts_tensor *x = ts_ones(TS_SHAPE(2, 3), TS_FLOAT32);
  /* Uninitialised (zeroed) and NULL layers. */
  ts_nn_linear zero = {0};
  CHECK(ts_nn_linear_forward(&zero, x) == NULL);
  CHECK_ERROR(TS_ERR_NULL, "ts_nn_linear_forward");
  CHECK(strstr(ts_last_error(), "ts_nn_linear_init") != NULL);
  CHECK(ts_nn_linear_forward(NULL, x) == NULL);
  CHECK_ERROR(TS_ERR_NULL, "ts_nn_linear_forward");
  ts_nn_batch_norm zbn = {0};
  CHECK(ts_nn_batch_norm_forward(&zbn, x) == NULL);
  CHECK_ERROR(TS_ERR_NULL, "ts_nn_batch_norm_forward");
  ts_nn_lstm zl = {0};
  ts_tensor *r[3];
  CHECK_EQ(ts_nn_lstm_forward(r, &zl, x, NULL, NULL), TS_ERR_ARG);
  ts_nn_max_pool2d zp = {0};
  CHECK(ts_nn_max_pool2d_forward(&zp, ts_ones(TS_SHAPE(1, 2, 2), TS_FLOAT32)) ==
        NULL);
  CHECK_ERROR(TS_ERR_ARG, "ts_nn_max_pool2d_forward");
  /* A stale input handle. */
  ts_nn_linear fc;
  CHECK_EQ(ts_nn_linear_init(&fc, s, "fc", 3, 2, true), TS_OK);
  ts_tensor *dead = ts_keep(ts_ones(TS_SHAPE(2, 3), TS_FLOAT32));
  ts_free(dead);
  // tsmem: ignore use-after-free (on purpose: a stale handle)
  CHECK(ts_nn_linear_forward(&fc, dead) == NULL);
  CHECK_ERROR(TS_ERR_STALE_HANDLE, "ts_nn_linear_forward");
  /* Foreign handles: an input, and a layer field, that never were tensors. */
  int not_a_tensor = 0;
  CHECK(ts_nn_linear_forward(&fc, (ts_tensor *)&not_a_tensor) == NULL);
  CHECK_ERROR(TS_ERR_STALE_HANDLE, "ts_nn_linear_forward");
  ts_nn_linear forged = fc;
  forged.bias = (ts_tensor *)&not_a_tensor;
  CHECK(ts_nn_linear_forward(&forged, x) == NULL);
  CHECK_ERROR(TS_ERR_STALE_HANDLE, "ts_nn_linear_forward");
  CHECK(strstr(ts_last_error(), "bias") != NULL);
  /* Duplicate names: nothing registered, the struct untouched. */
  size_t n = ts_store_count(s), live = ts_memory().live_tensors;
  ts_nn_linear fc2 = fc;
  CHECK_EQ(ts_nn_linear_init(&fc2, s, "fc", 3, 2, true), TS_ERR_ARG);
  CHECK(strstr(ts_last_error(), "\"fc.weight\"") != NULL);
  CHECK(fc2.weight == fc.weight);
  CHECK(ts_store_buffer(s, "bn.running_var", TS_SHAPE(4), TS_FLOAT32));
  n++, live++;
  ts_nn_batch_norm bn;
  CHECK_EQ(ts_nn_batch_norm_init(&bn, s, "bn", 4), TS_ERR_ARG);
  CHECK_ERROR(TS_ERR_ARG, "ts_nn_batch_norm_init");
  CHECK(strstr(ts_last_error(), "\"bn.running_var\"") != NULL);
  CHECK(ts_store_param(s, "lstm.bias_hh_l1", TS_SHAPE(4), TS_FLOAT32));
  n++, live++;
  ts_nn_lstm lstm;
  CHECK_EQ(ts_nn_lstm_init(&lstm, s, "lstm", 3, 4, 2, false), TS_ERR_ARG);
  CHECK(strstr(ts_last_error(), "\"lstm.bias_hh_l1\"") != NULL);
  CHECK_EQ(ts_store_count(s), n);
  CHECK_EQ(ts_memory().live_tensors, live);
  /* Bad sizes, NULL prefix, NULL / stale / foreign store. */
  CHECK_EQ(ts_nn_linear_init(&fc2, s, "fc3", 0, 2, true), TS_ERR_ARG);
  CHECK(strstr(ts_last_error(), "in_features is 0") != NULL);
  CHECK_EQ(ts_nn_conv2d_init(NULL, s, "c", 3, 2, 3, 3, NULL), TS_ERR_NULL);
  ts_nn_conv2d conv;
  ts_conv2d_options co = ts_conv2d_defaults();
  co.groups = 2;
  CHECK_EQ(ts_nn_conv2d_init(&conv, s, "c", 3, 2, 3, 3, &co), TS_ERR_ARG);
  CHECK(strstr(ts_last_error(), "groups") != NULL);
  CHECK_EQ(ts_nn_linear_init(&fc2, s, NULL, 3, 2, true), TS_ERR_NULL);
  CHECK_EQ(ts_nn_linear_init(&fc2, NULL, "x", 3, 2, true), TS_ERR_NULL);
  int not_a_store;
  CHECK_EQ(ts_nn_linear_init(&fc2, (ts_store *)&not_a_store, "x", 3, 2, true),
           TS_ERR_STALE_HANDLE);
  CHECK_EQ(ts_nn_lstm_init(&lstm, s, "l", 3, 4, 99, false), TS_ERR_ARG);
  CHECK_EQ(ts_nn_layer_norm_init(NULL, s, "ln", TS_SHAPE(3), true),
           TS_ERR_NULL);
  ts_nn_layer_norm ln;
  CHECK_EQ(ts_nn_layer_norm_init(&ln, s, "ln", NULL, 1, true), TS_ERR_NULL);
  CHECK_EQ(ts_store_count(s), n);
  /* An empty prefix gives PyTorch's top-level names. */
  ts_store *top = ts_store_new();
  CHECK_EQ(ts_nn_linear_init(&fc2, top, "", 3, 2, true), TS_OK);
  CHECK(strcmp(ts_store_name(top, 0), "weight") == 0);
  CHECK(strcmp(ts_store_name(top, 1), "bias") == 0);
  ts_store_free(top);
  /* A layer whose store is gone. */
  ts_store_free(s);
  CHECK(ts_nn_linear_forward(&fc, x) == NULL);
  CHECK_ERROR(TS_ERR_STALE_HANDLE, "ts_nn_linear_forward");
  CHECK(strstr(ts_last_error(), "ts_store_free") != NULL);
  CHECK_EQ(ts_nn_linear_init(&fc2, s, "x", 3, 2, true), TS_ERR_STALE_HANDLE);
}

/* The LSTM and the GRU share one forward (layers.c's rnn_forward): each
 * error names the public call once, with the layer's own names. */
TEST(lstm_and_gru_errors_name_their_call) {
  TS_SCOPE_GUARD();
  ts_store *s = ts_store_new();
  ts_nn_lstm lstm;
  ts_nn_gru gru;
  CHECK_EQ(ts_nn_lstm_init(&lstm, s, "lstm", 3, 4, 2, false), TS_OK);
  CHECK_EQ(ts_nn_gru_init(&gru, s, "gru", 3, 4, 1, false), TS_OK);
  ts_tensor *x = ts_ones(TS_SHAPE(2, 5, 3), TS_FLOAT32);
  ts_tensor *r[3] = {x, x, x};
  CHECK_EQ(ts_nn_lstm_forward(NULL, &lstm, x, NULL, NULL), TS_ERR_NULL);
  CHECK(strcmp(ts_last_error(), "ts_nn_lstm_forward: out is NULL; pass an "
                                "array of 3 tensor pointers") == 0);
  CHECK_EQ(ts_nn_gru_forward(NULL, &gru, x, NULL), TS_ERR_NULL);
  CHECK(strcmp(ts_last_error(), "ts_nn_gru_forward: out is NULL; pass an "
                                "array of 2 tensor pointers") == 0);
  CHECK_EQ(ts_nn_gru_forward(r, NULL, x, NULL), TS_ERR_NULL);
  CHECK_ERROR(TS_ERR_NULL, "ts_nn_gru_forward: the layer is NULL");
  CHECK(r[0] == NULL && r[1] == NULL && r[2] == x);
  ts_nn_gru zg = {0};
  CHECK_EQ(ts_nn_gru_forward(r, &zg, x, NULL), TS_ERR_ARG);
  CHECK(strcmp(ts_last_error(),
               "ts_nn_gru_forward: the GRU has 0 layers: not initialised; "
               "call ts_nn_gru_init first") == 0);
  ts_nn_lstm zl = {0};
  CHECK_EQ(ts_nn_lstm_forward(r, &zl, x, NULL, NULL), TS_ERR_ARG);
  CHECK(strcmp(ts_last_error(),
               "ts_nn_lstm_forward: the LSTM has 0 layers: not initialised; "
               "call ts_nn_lstm_init first") == 0);
  ts_tensor *h = ts_zeros(TS_SHAPE(2, 5, 4), TS_FLOAT32);
  CHECK_EQ(ts_nn_lstm_forward(r, &lstm, x, NULL, h), TS_ERR_NULL);
  CHECK(strcmp(ts_last_error(), "ts_nn_lstm_forward: h0 is NULL but c0 is "
                                "not; pass both initial states or neither "
                                "(zeros)") == 0);
  /* A state's shape, checked inside the layer's scope and relayed. */
  CHECK_EQ(ts_nn_lstm_forward(r, &lstm, x,
                              ts_zeros(TS_SHAPE(1, 5, 4), TS_FLOAT32), h),
           TS_ERR_SHAPE);
  CHECK(strcmp(ts_last_error(),
               "ts_nn_lstm_forward: h0 has shape [1, 5, 4]; it must be "
               "[num_layers 2, batch 5, hidden 4]") == 0);
  CHECK(r[0] == NULL && r[1] == NULL && r[2] == NULL);
  CHECK_EQ(ts_nn_gru_forward(r, &gru, x, h), TS_ERR_SHAPE);
  CHECK(strcmp(ts_last_error(),
               "ts_nn_gru_forward: h0 has shape [2, 5, 4]; it must be "
               "[num_layers 1, batch 5, hidden 4]") == 0);
  /* libtorch's own error, from the operator inside, under the layer's name
   * once. */
  ts_tensor *h64 = ts_zeros(TS_SHAPE(1, 5, 4), TS_FLOAT64);
  CHECK_EQ(ts_nn_gru_forward(r, &gru, x, h64), TS_ERR_DTYPE);
  CHECK(strncmp(ts_last_error(), "ts_nn_gru_forward: ", 19) == 0);
  CHECK(strstr(ts_last_error() + 19, "ts_nn_gru_forward") == NULL);
  CHECK(r[0] == NULL && r[1] == NULL);
  size_t live = ts_memory().live_tensors;
  CHECK_EQ(ts_nn_gru_forward(r, &gru, x, NULL), TS_OK);
  CHECK_EQ(ts_memory().live_tensors, live + 2);
  CHECK_EQ(ts_size(r[1], 0), 1);
  CHECK_EQ(ts_nn_lstm_forward(r, &lstm, x, h, h), TS_OK);
  CHECK_EQ(ts_memory().live_tensors, live + 5);
  CHECK_EQ(ts_size(r[2], 0), 2);
  ts_store_free(s);
}

RUN_TESTS(T(parity_with_torch_nn), T(initial_weights_equal_torch_nn),
          T(initialiser_distributions),
          T(forward_results_are_owned_as_any_result),
          T(dropout_follows_train_and_eval), T(wrong_shapes_and_dtypes),
          T(bad_layers_and_bad_inits_leave_the_store_unchanged),
          T(lstm_and_gru_errors_name_their_call))
