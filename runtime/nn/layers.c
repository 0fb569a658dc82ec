/*
 * layers.c - the layers of <tsmem/nn.h>: init registers the parameters in a
 * store under PyTorch's names and initialises them as torch.nn 1.13 does
 * (the same random calls in the same order); forward checks the layer and
 * the input, then calls the generated operator torch.nn.functional calls.
 */
#include "nn/layer_util.h"
#include "nn/nn_internal.h"

#include <math.h>
#include <string.h>
#include <tsmem/ops.h>

/* --------------------------------------------------------------- linear -- */

ts_status ts_nn_linear_init(ts_nn_linear *l, ts_store *s, const char *prefix,
                            int64_t in_features, int64_t out_features,
                            bool bias) {
  static const char call[] = "ts_nn_linear_init";
  if (!check_out(l, call, "l") ||
      !check_positive(call, "in_features", in_features) ||
      !check_positive(call, "out_features", out_features))
    return ts_last_status();
  ts_nn_linear v = {NULL, NULL, in_features, out_features};
  reg r[] = {
      {"weight", {out_features, in_features}, 2, TS_FLOAT32, true, &v.weight},
      {"bias", {out_features}, 1, TS_FLOAT32, true, &v.bias}};
  size_t mark = s && ts__obj_live(s, TS__OBJ_STORE) ? ts__store_mark(s) : 0;
  if (!register_all(s, call, prefix, r, bias ? 2 : 1))
    return ts_last_status();
  /* nn.Linear.reset_parameters */
  if (!init_ok(
          ts_init_kaiming_uniform_(v.weight, sqrt(5.0), "fan_in", "leaky_relu"),
          s, mark, call) ||
      (bias &&
       !init_ok(ts_init_bias_uniform_(v.bias, v.weight), s, mark, call)))
    return ts_last_status();
  *l = v;
  ts__ok();
  return TS_OK;
}

ts_tensor *ts_nn_linear_forward(const ts_nn_linear *l, const ts_tensor *x) {
  static const char call[] = "ts_nn_linear_forward";
  if (!check_layer(l, call) ||
      !check_layer_tensor(l->weight, call, "ts_nn_linear", "weight") ||
      (l->bias && !check_layer_tensor(l->bias, call, "ts_nn_linear", "bias")))
    return NULL;
  int64_t sz[MAX_DIMS];
  int nd = input_shape(x, call, sz);
  if (nd < 0)
    return NULL;
  if (nd < 1 || sz[nd - 1] != l->in_features) {
    char want[64];
    snprintf(want, sizeof want, "[..., %lld] (in_features last)",
             (long long)l->in_features);
    return wrong_shape(call, sz, nd, want);
  }
  /* aten::linear is addmm(bias, x, W^T) for a 2-D x with a bias, matmul
   * otherwise, as torch.nn.functional.linear. */
  return result(ts_linear(x, l->weight, l->bias), call);
}

/* --------------------------------------------------------------- conv2d -- */

ts_conv2d_options ts_conv2d_defaults(void) {
  return (ts_conv2d_options){.stride = {1, 1},
                             .padding = {0, 0},
                             .dilation = {1, 1},
                             .groups = 1,
                             .bias = true};
}

ts_status ts_nn_conv2d_init(ts_nn_conv2d *c, ts_store *s, const char *prefix,
                            int64_t in_channels, int64_t out_channels,
                            int64_t kernel_h, int64_t kernel_w,
                            const ts_conv2d_options *opt) {
  static const char call[] = "ts_nn_conv2d_init";
  ts_conv2d_options o = opt ? *opt : ts_conv2d_defaults();
  if (!check_out(c, call, "c") ||
      !check_positive(call, "in_channels", in_channels) ||
      !check_positive(call, "out_channels", out_channels) ||
      !check_positive(call, "kernel_h", kernel_h) ||
      !check_positive(call, "kernel_w", kernel_w) ||
      !check_positive(call, "groups", o.groups) ||
      !check_positive(call, "stride[0]", o.stride[0]) ||
      !check_positive(call, "stride[1]", o.stride[1]) ||
      !check_positive(call, "dilation[0]", o.dilation[0]) ||
      !check_positive(call, "dilation[1]", o.dilation[1]))
    return ts_last_status();
  if (o.padding[0] < 0 || o.padding[1] < 0)
    return ts__fail(TS_ERR_ARG, call, "padding is (%lld, %lld); pass >= 0",
                    (long long)o.padding[0], (long long)o.padding[1]);
  if (in_channels % o.groups || out_channels % o.groups)
    return ts__fail(TS_ERR_ARG, call,
                    "groups %lld does not divide in_channels %lld and "
                    "out_channels %lld; pick groups that divides both",
                    (long long)o.groups, (long long)in_channels,
                    (long long)out_channels);
  ts_nn_conv2d v = {NULL, NULL, in_channels, out_channels, {kernel_h, kernel_w},
                    o};
  reg r[] = {{"weight",
              {out_channels, in_channels / o.groups, kernel_h, kernel_w},
              4,
              TS_FLOAT32,
              true,
              &v.weight},
             {"bias", {out_channels}, 1, TS_FLOAT32, true, &v.bias}};
  size_t mark = s && ts__obj_live(s, TS__OBJ_STORE) ? ts__store_mark(s) : 0;
  if (!register_all(s, call, prefix, r, o.bias ? 2 : 1))
    return ts_last_status();
  /* _ConvNd.reset_parameters */
  if (!init_ok(
          ts_init_kaiming_uniform_(v.weight, sqrt(5.0), "fan_in", "leaky_relu"),
          s, mark, call) ||
      (o.bias &&
       !init_ok(ts_init_bias_uniform_(v.bias, v.weight), s, mark, call)))
    return ts_last_status();
  *c = v;
  ts__ok();
  return TS_OK;
}

ts_tensor *ts_nn_conv2d_forward(const ts_nn_conv2d *c, const ts_tensor *x) {
  static const char call[] = "ts_nn_conv2d_forward";
  if (!check_layer(c, call) ||
      !check_layer_tensor(c->weight, call, "ts_nn_conv2d", "weight") ||
      (c->bias && !check_layer_tensor(c->bias, call, "ts_nn_conv2d", "bias")))
    return NULL;
  int64_t sz[MAX_DIMS];
  int nd = input_shape(x, call, sz);
  if (nd < 0)
    return NULL;
  if ((nd != 3 && nd != 4) || sz[nd - 3] != c->in_channels) {
    char want[96];
    snprintf(want, sizeof want,
             "[N, %lld, H, W] or [%lld, H, W] (in_channels %lld)",
             (long long)c->in_channels, (long long)c->in_channels,
             (long long)c->in_channels);
    return wrong_shape(call, sz, nd, want);
  }
  const ts_conv2d_options *o = &c->opt;
  return result(ts_conv2d(x, c->weight, c->bias, o->stride, 2, o->padding, 2,
                          o->dilation, 2, o->groups),
                call);
}

/* -------------------------------------------------------------- pooling -- */

static ts_status pool_check(const char *call, const void *p, int64_t kernel,
                            int64_t stride, int64_t padding) {
  if (!check_out(p, call, "p") || !check_positive(call, "kernel", kernel))
    return ts_last_status();
  if (stride < 0)
    return ts__fail(TS_ERR_ARG, call,
                    "stride is %lld; pass >= 1, or 0 for the kernel size",
                    (long long)stride);
  if (padding < 0 || padding > kernel / 2)
    return ts__fail(TS_ERR_ARG, call,
                    "padding is %lld; torch needs 0 <= padding <= kernel / 2 "
                    "(%lld)",
                    (long long)padding, (long long)(kernel / 2));
  return TS_OK;
}

ts_status ts_nn_max_pool2d_init(ts_nn_max_pool2d *p, int64_t kernel,
                                int64_t stride, int64_t padding) {
  if (pool_check("ts_nn_max_pool2d_init", p, kernel, stride, padding) != TS_OK)
    return ts_last_status();
  int64_t st = stride ? stride : kernel;
  *p = (ts_nn_max_pool2d){.kernel = {kernel, kernel},
                          .stride = {st, st},
                          .padding = {padding, padding},
                          .dilation = {1, 1},
                          .ceil_mode = false};
  ts__ok();
  return TS_OK;
}

ts_status ts_nn_avg_pool2d_init(ts_nn_avg_pool2d *p, int64_t kernel,
                                int64_t stride, int64_t padding) {
  if (pool_check("ts_nn_avg_pool2d_init", p, kernel, stride, padding) != TS_OK)
    return ts_last_status();
  int64_t st = stride ? stride : kernel;
  *p = (ts_nn_avg_pool2d){.kernel = {kernel, kernel},
                          .stride = {st, st},
                          .padding = {padding, padding},
                          .ceil_mode = false,
                          .count_include_pad = true};
  ts__ok();
  return TS_OK;
}

static bool pool_input(const ts_tensor *x, const char *call) {
  int64_t sz[MAX_DIMS];
  int nd = input_shape(x, call, sz);
  if (nd < 0)
    return false;
  if (nd != 3 && nd != 4) {
    wrong_shape(call, sz, nd, "[N, C, H, W] or [C, H, W]");
    return false;
  }
  return true;
}

ts_tensor *ts_nn_max_pool2d_forward(const ts_nn_max_pool2d *p,
                                    const ts_tensor *x) {
  static const char call[] = "ts_nn_max_pool2d_forward";
  if (!check_layer(p, call) || !pool_input(x, call))
    return NULL;
  if (p->kernel[0] < 1 || p->kernel[1] < 1) {
    ts__fail(TS_ERR_ARG, call,
             "the pool's kernel is %lldx%lld: not initialised; call "
             "ts_nn_max_pool2d_init first",
             (long long)p->kernel[0], (long long)p->kernel[1]);
    return NULL;
  }
  return result(ts_max_pool2d(x, p->kernel, 2, p->stride, 2, p->padding, 2,
                              p->dilation, 2, p->ceil_mode),
                call);
}

ts_tensor *ts_nn_avg_pool2d_forward(const ts_nn_avg_pool2d *p,
                                    const ts_tensor *x) {
  static const char call[] = "ts_nn_avg_pool2d_forward";
  if (!check_layer(p, call) || !pool_input(x, call))
    return NULL;
  if (p->kernel[0] < 1 || p->kernel[1] < 1) {
    ts__fail(TS_ERR_ARG, call,
             "the pool's kernel is %lldx%lld: not initialised; call "
             "ts_nn_avg_pool2d_init first",
             (long long)p->kernel[0], (long long)p->kernel[1]);
    return NULL;
  }
  return result(ts_avg_pool2d(x, p->kernel, 2, p->stride, 2, p->padding, 2,
                              p->ceil_mode, p->count_include_pad, TS_NO_INT),
                call);
}

/* ----------------------------------------------------------- batch norm -- */

ts_status ts_nn_batch_norm_init(ts_nn_batch_norm *b, ts_store *s,
                                const char *prefix, int64_t num_features) {
  static const char call[] = "ts_nn_batch_norm_init";
  if (!check_out(b, call, "b") ||
      !check_positive(call, "num_features", num_features))
    return ts_last_status();
  ts_nn_batch_norm v = {
      .store = s, .num_features = num_features, .eps = 1e-5, .momentum = 0.1};
  reg r[] = {
      {"weight", {num_features}, 1, TS_FLOAT32, true, &v.weight},
      {"bias", {num_features}, 1, TS_FLOAT32, true, &v.bias},
      {"running_mean", {num_features}, 1, TS_FLOAT32, false, &v.running_mean},
      {"running_var", {num_features}, 1, TS_FLOAT32, false, &v.running_var},
      {"num_batches_tracked", {0}, 0, TS_INT64, false, &v.num_batches_tracked}};
  size_t mark = s && ts__obj_live(s, TS__OBJ_STORE) ? ts__store_mark(s) : 0;
  if (!register_all(s, call, prefix, r, 5))
    return ts_last_status();
  /* reset_running_stats + reset_parameters: the rest stays zero. */
  if (!init_ok(ts_init_ones_(v.running_var), s, mark, call) ||
      !init_ok(ts_init_ones_(v.weight), s, mark, call))
    return ts_last_status();
  *b = v;
  ts__ok();
  return TS_OK;
}

ts_tensor *ts_nn_batch_norm_forward(const ts_nn_batch_norm *b,
                                    const ts_tensor *x) {
  static const char call[] = "ts_nn_batch_norm_forward";
  if (!check_layer(b, call))
    return NULL;
  bool ok;
  bool training = layer_training(b->store, call, &ok);
  if (!ok)
    return NULL;
  const char *const fields[] = {"weight", "bias", "running_mean", "running_var",
                                "num_batches_tracked"};
  const ts_tensor *const ts[] = {b->weight, b->bias, b->running_mean,
                                 b->running_var, b->num_batches_tracked};
  for (int i = 0; i < 5; i++)
    if (!check_layer_tensor(ts[i], call, "ts_nn_batch_norm", fields[i]))
      return NULL;
  int64_t sz[MAX_DIMS];
  int nd = input_shape(x, call, sz);
  if (nd < 0)
    return NULL;
  if (nd < 2 || nd > 5 || sz[1] != b->num_features) {
    char want[96];
    snprintf(want, sizeof want,
             "[N, %lld, ...] (num_features %lld, 2 to 5 "
             "dims)",
             (long long)b->num_features, (long long)b->num_features);
    return wrong_shape(call, sz, nd, want);
  }
  double factor = isnan(b->momentum) ? 0.0 : b->momentum;
  if (training) {
    int64_t per_channel = sz[0];
    for (int i = 2; i < nd; i++)
      per_channel *= sz[i];
    if (per_channel <= 1) {
      char buf[128];
      ts__fail(TS_ERR_SHAPE, call,
               "x has shape %s: one value per channel, no batch statistics; "
               "train with batches of more than one value per channel, or "
               "use evaluation mode (ts_store_train(s, false))",
               shape_str(buf, sizeof buf, sz, nd));
      return NULL;
    }
    /* num_batches_tracked.add_(1), in the buffer's int64. */
    double n = ts_item(b->num_batches_tracked) + 1.0;
    bool was = tsc_grad_enabled();
    tsc_set_grad_enabled(false);
    ts_tensor *r = ts_fill_Scalar_(b->num_batches_tracked, n);
    tsc_set_grad_enabled(was);
    if (!r)
      return result(NULL, call);
    if (isnan(b->momentum))
      factor = 1.0 / n;
  }
  return result(ts_batch_norm(x, b->weight, b->bias, b->running_mean,
                              b->running_var, training, factor, b->eps, true),
                call);
}

/* ----------------------------------------------------------- layer norm -- */

ts_status ts_nn_layer_norm_init(ts_nn_layer_norm *l, ts_store *s,
                                const char *prefix,
                                const int64_t *normalized_shape, int ndim,
                                bool elementwise_affine) {
  static const char call[] = "ts_nn_layer_norm_init";
  if (!check_out(l, call, "l"))
    return ts_last_status();
  if (ndim < 1 || ndim > TS_NN_LAYER_NORM_MAX_DIMS)
    return ts__fail(TS_ERR_ARG, call,
                    "ndim is %d; pass 1 to %d normalized dims", ndim,
                    TS_NN_LAYER_NORM_MAX_DIMS);
  if (!normalized_shape)
    return ts__fail(TS_ERR_NULL, call,
                    "normalized_shape is NULL; pass ndim sizes "
                    "(TS_SHAPE(...) writes both)");
  ts_nn_layer_norm v = {.ndim = ndim, .eps = 1e-5};
  reg r[] = {{"weight", {0}, ndim, TS_FLOAT32, true, &v.weight},
             {"bias", {0}, ndim, TS_FLOAT32, true, &v.bias}};
  for (int i = 0; i < ndim; i++) {
    if (!check_positive(call, "a normalized_shape size", normalized_shape[i]))
      return ts_last_status();
    v.shape[i] = r[0].shape[i] = r[1].shape[i] = normalized_shape[i];
  }
  if (!elementwise_affine) {
    if (!ts__store_check(s, call, "s") || !check_prefix(prefix, call))
      return ts_last_status();
    *l = v;
    ts__ok();
    return TS_OK;
  }
  size_t mark = s && ts__obj_live(s, TS__OBJ_STORE) ? ts__store_mark(s) : 0;
  if (!register_all(s, call, prefix, r, 2))
    return ts_last_status();
  if (!init_ok(ts_init_ones_(v.weight), s, mark, call))
    return ts_last_status();
  *l = v;
  ts__ok();
  return TS_OK;
}

ts_tensor *ts_nn_layer_norm_forward(const ts_nn_layer_norm *l,
                                    const ts_tensor *x) {
  static const char call[] = "ts_nn_layer_norm_forward";
  if (!check_layer(l, call))
    return NULL;
  if (l->ndim < 1 || l->ndim > TS_NN_LAYER_NORM_MAX_DIMS) {
    ts__fail(TS_ERR_ARG, call,
             "the layer has %d normalized dims: not initialised; call "
             "ts_nn_layer_norm_init first",
             l->ndim);
    return NULL;
  }
  if ((l->weight &&
       !check_layer_tensor(l->weight, call, "ts_nn_layer_norm", "weight")) ||
      (l->bias &&
       !check_layer_tensor(l->bias, call, "ts_nn_layer_norm", "bias")))
    return NULL;
  int64_t sz[MAX_DIMS];
  int nd = input_shape(x, call, sz);
  if (nd < 0)
    return NULL;
  bool fits = nd >= l->ndim;
  for (int i = 0; fits && i < l->ndim; i++)
    fits = sz[nd - l->ndim + i] == l->shape[i];
  if (!fits) {
    char want[160], shp[128];
    snprintf(want, sizeof want, "[..., %s (normalized_shape last)",
             shape_str(shp, sizeof shp, l->shape, l->ndim) + 1);
    return wrong_shape(call, sz, nd, want);
  }
  return result(
      ts_layer_norm(x, l->shape, l->ndim, l->weight, l->bias, l->eps, true),
      call);
}

/* -------------------------------------------------------------- dropout -- */

ts_status ts_nn_dropout_init(ts_nn_dropout *d, ts_store *s, double p) {
  static const char call[] = "ts_nn_dropout_init";
  if (!check_out(d, call, "d") || !ts__store_check(s, call, "s"))
    return ts_last_status();
  if (!(p >= 0.0 && p <= 1.0))
    return ts__fail(TS_ERR_ARG, call, "p is %g; pass a probability in [0, 1]",
                    p);
  *d = (ts_nn_dropout){s, p};
  ts__ok();
  return TS_OK;
}

ts_tensor *ts_nn_dropout_forward(const ts_nn_dropout *d, const ts_tensor *x) {
  static const char call[] = "ts_nn_dropout_forward";
  if (!check_layer(d, call))
    return NULL;
  bool ok;
  bool training = layer_training(d->store, call, &ok);
  if (!ok)
    return NULL;
  return result(ts_dropout(x, d->p, training), call);
}

/* ------------------------------------------------------------ embedding -- */

ts_status ts_nn_embedding_init(ts_nn_embedding *e, ts_store *s,
                               const char *prefix, int64_t num_embeddings,
                               int64_t embedding_dim, int64_t padding_idx) {
  static const char call[] = "ts_nn_embedding_init";
  if (!check_out(e, call, "e") ||
      !check_positive(call, "num_embeddings", num_embeddings) ||
      !check_positive(call, "embedding_dim", embedding_dim))
    return ts_last_status();
  int64_t pad = padding_idx;
  if (pad != TS_NN_NO_PADDING) {
    if (pad < -num_embeddings || pad >= num_embeddings)
      return ts__fail(TS_ERR_ARG, call,
                      "padding_idx is %lld; pass an index in [-%lld, %lld) "
                      "or TS_NN_NO_PADDING",
                      (long long)pad, (long long)num_embeddings,
                      (long long)num_embeddings);
    if (pad < 0)
      pad += num_embeddings;
  }
  ts_nn_embedding v = {NULL, num_embeddings, embedding_dim, pad};
  reg r[] = {{"weight",
              {num_embeddings, embedding_dim},
              2,
              TS_FLOAT32,
              true,
              &v.weight}};
  size_t mark = s && ts__obj_live(s, TS__OBJ_STORE) ? ts__store_mark(s) : 0;
  if (!register_all(s, call, prefix, r, 1))
    return ts_last_status();
  /* reset_parameters: normal_, then _fill_padding_idx_with_zero. */
  if (!init_ok(ts_init_normal_(v.weight, 0.0, 1.0), s, mark, call))
    return ts_last_status();
  if (pad != TS_NN_NO_PADDING) {
    ts_scope_id scope = ts_scope_begin();
    bool was = tsc_grad_enabled();
    tsc_set_grad_enabled(false);
    ts_tensor *row = ts_select_int(v.weight, 0, pad);
    bool zeroed = row && ts_zero_(row);
    tsc_set_grad_enabled(was);
    ts_status st = zeroed ? TS_OK : ts_last_status();
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", ts_last_error());
    (void)ts_scope_end(scope);
    if (st != TS_OK) {
      ts__fail(st, call, "%s", msg);
      ts__store_rollback(s, mark);
      return st;
    }
  }
  *e = v;
  ts__ok();
  return TS_OK;
}

ts_tensor *ts_nn_embedding_forward(const ts_nn_embedding *e,
                                   const ts_tensor *indices) {
  static const char call[] = "ts_nn_embedding_forward";
  if (!check_layer(e, call) ||
      !check_layer_tensor(e->weight, call, "ts_nn_embedding", "weight"))
    return NULL;
  tsc_tensor *impl = ts__unwrap(indices, call, "indices");
  if (!impl)
    return NULL;
  ts_dtype d = tsc_dtype(impl);
  ts__unpin(indices);
  if (d != TS_INT64 && d != TS_INT32) {
    ts__fail(TS_ERR_DTYPE, call,
             "indices have dtype %s; pass int64 (or int32) row indices",
             tsc_dtype_name(d));
    return NULL;
  }
  int64_t pad = e->padding_idx == TS_NN_NO_PADDING ? -1 : e->padding_idx;
  return result(ts_embedding(e->weight, indices, pad, false, false), call);
}
