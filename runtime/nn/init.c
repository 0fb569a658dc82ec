/*
 * init.c - torch.nn.init's initialisers, in place, with gradient mode off
 * (as torch.nn.init runs them under torch.no_grad). Same formulas and the
 * same random calls (uniform_, normal_ on libtorch's default generator), so
 * that after ts_manual_seed(k) and torch.manual_seed(k) a C layer starts
 * from the very weights torch.nn's would.
 */
#include "nn/nn_internal.h"

#include <math.h>
#include <string.h>
#include <tsmem/ops.h>

/* Checks t (live, floating) for call; false with the error set. */
static bool check_init_tensor(ts_tensor *t, const char *call) {
  tsc_tensor *impl = ts__unwrap(t, call, "t");
  if (!impl)
    return false;
  ts_dtype d = tsc_dtype(impl);
  ts__unpin(t);
  if (d != TS_FLOAT32 && d != TS_FLOAT64 && d != TS_FLOAT16 &&
      d != TS_BFLOAT16) {
    ts__fail(TS_ERR_DTYPE, call,
             "t has dtype %s; initialisers need a floating tensor (a "
             "parameter)",
             tsc_dtype_name(d));
    return false;
  }
  return true;
}

/* Runs the in-place op `expr` (a ts_*_ call on t) with gradient mode off. */
#define INIT_NO_GRAD(call, expr)                                               \
  do {                                                                         \
    bool was_ = tsc_grad_enabled();                                            \
    tsc_set_grad_enabled(false);                                               \
    ts_tensor *r_ = (expr);                                                    \
    tsc_set_grad_enabled(was_);                                                \
    if (!r_)                                                                   \
      return ts__refail(call);                                                 \
  } while (0)

ts_status ts_init_uniform_(ts_tensor *t, double a, double b) {
  static const char call[] = "ts_init_uniform_";
  if (!check_init_tensor(t, call))
    return ts_last_status();
  if (!isfinite(a) || !isfinite(b) || a > b)
    return ts__fail(TS_ERR_ARG, call,
                    "the bounds are [%g, %g]; pass finite a <= b", a, b);
  INIT_NO_GRAD(call, ts_uniform_(t, a, b));
  ts__ok();
  return TS_OK;
}

ts_status ts_init_normal_(ts_tensor *t, double mean, double std) {
  static const char call[] = "ts_init_normal_";
  if (!check_init_tensor(t, call))
    return ts_last_status();
  if (!isfinite(mean) || !isfinite(std) || std < 0.0)
    return ts__fail(TS_ERR_ARG, call,
                    "mean %g, std %g; pass a finite mean and std >= 0", mean,
                    std);
  INIT_NO_GRAD(call, ts_normal_(t, mean, std));
  ts__ok();
  return TS_OK;
}

ts_status ts_init_constant_(ts_tensor *t, double value) {
  static const char call[] = "ts_init_constant_";
  if (!check_init_tensor(t, call))
    return ts_last_status();
  INIT_NO_GRAD(call, ts_fill_Scalar_(t, value));
  ts__ok();
  return TS_OK;
}

ts_status ts_init_zeros_(ts_tensor *t) {
  static const char call[] = "ts_init_zeros_";
  if (!check_init_tensor(t, call))
    return ts_last_status();
  INIT_NO_GRAD(call, ts_zero_(t));
  ts__ok();
  return TS_OK;
}

ts_status ts_init_ones_(ts_tensor *t) {
  static const char call[] = "ts_init_ones_";
  if (!check_init_tensor(t, call))
    return ts_last_status();
  INIT_NO_GRAD(call, ts_fill_Scalar_(t, 1.0));
  ts__ok();
  return TS_OK;
}

ts_status ts_init_fans(const ts_tensor *t, int64_t *fan_in, int64_t *fan_out) {
  static const char call[] = "ts_init_fans";
  int64_t sz[64];
  int nd = ts__shape_of(t, call, "t", sz, 64);
  if (nd < 0)
    return ts_last_status();
  if (nd < 2)
    return ts__fail(TS_ERR_SHAPE, call,
                    "t has %d dims; fan in and fan out need at least 2 "
                    "(a weight [out, in, ...]), as in torch.nn.init",
                    nd);
  int64_t receptive = 1;
  for (int i = 2; i < nd; i++)
    receptive *= sz[i];
  if (fan_in)
    *fan_in = sz[1] * receptive;
  if (fan_out)
    *fan_out = sz[0] * receptive;
  ts__ok();
  return TS_OK;
}

double ts_init_calculate_gain(const char *nonlinearity, double param) {
  static const char call[] = "ts_init_calculate_gain";
  if (!nonlinearity) {
    ts__fail(TS_ERR_NULL, call,
             "nonlinearity is NULL; pass \"linear\", \"relu\", "
             "\"leaky_relu\", \"tanh\", \"sigmoid\", \"selu\", \"conv2d\"...");
    return NAN;
  }
  static const char *const one[] = {
      "linear",           "conv1d",           "conv2d",           "conv3d",
      "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "sigmoid"};
  for (size_t i = 0; i < sizeof one / sizeof one[0]; i++) {
    if (strcmp(nonlinearity, one[i]) == 0) {
      ts__ok();
      return 1.0;
    }
  }
  double gain = NAN;
  if (strcmp(nonlinearity, "tanh") == 0)
    gain = 5.0 / 3;
  else if (strcmp(nonlinearity, "relu") == 0)
    gain = sqrt(2.0);
  else if (strcmp(nonlinearity, "selu") == 0)
    gain = 3.0 / 4;
  else if (strcmp(nonlinearity, "leaky_relu") == 0) {
    double slope = isnan(param) ? 0.01 : param;
    gain = sqrt(2.0 / (1 + pow(slope, 2)));
  }
  if (isnan(gain)) {
    ts__fail(TS_ERR_ARG, call,
             "unsupported nonlinearity \"%s\"; pass one torch.nn.init."
             "calculate_gain knows (\"linear\", \"relu\", \"leaky_relu\", "
             "\"tanh\", \"sigmoid\", \"selu\", \"conv2d\", ...)",
             nonlinearity);
    return NAN;
  }
  ts__ok();
  return gain;
}

/* torch.nn.init._calculate_correct_fan then the gain: the std of the
 * kaiming initialisers. */
static bool kaiming_std(const ts_tensor *t, double a, const char *mode,
                        const char *nonlinearity, const char *call,
                        double *std) {
  if (!mode || (strcmp(mode, "fan_in") != 0 && strcmp(mode, "fan_out") != 0)) {
    ts__fail(mode ? TS_ERR_ARG : TS_ERR_NULL, call,
             "mode is %s%s%s; pass \"fan_in\" or \"fan_out\"", mode ? "\"" : "",
             mode ? mode : "NULL", mode ? "\"" : "");
    return false;
  }
  int64_t fan_in, fan_out;
  if (ts_init_fans(t, &fan_in, &fan_out) != TS_OK) {
    ts__refail(call);
    return false;
  }
  int64_t fan = strcmp(mode, "fan_in") == 0 ? fan_in : fan_out;
  double gain = ts_init_calculate_gain(nonlinearity, a);
  if (isnan(gain)) {
    ts__refail(call);
    return false;
  }
  /* A tensor with no elements: nothing to fill (torch warns). */
  *std = fan > 0 ? gain / sqrt((double)fan) : 0.0;
  return true;
}

ts_status ts_init_kaiming_uniform_(ts_tensor *t, double a, const char *mode,
                                   const char *nonlinearity) {
  static const char call[] = "ts_init_kaiming_uniform_";
  if (!check_init_tensor(t, call))
    return ts_last_status();
  double std;
  if (!kaiming_std(t, a, mode, nonlinearity, call, &std))
    return ts_last_status();
  double bound = sqrt(3.0) * std;
  INIT_NO_GRAD(call, ts_uniform_(t, -bound, bound));
  ts__ok();
  return TS_OK;
}

ts_status ts_init_kaiming_normal_(ts_tensor *t, double a, const char *mode,
                                  const char *nonlinearity) {
  static const char call[] = "ts_init_kaiming_normal_";
  if (!check_init_tensor(t, call))
    return ts_last_status();
  double std;
  if (!kaiming_std(t, a, mode, nonlinearity, call, &std))
    return ts_last_status();
  INIT_NO_GRAD(call, ts_normal_(t, 0.0, std));
  ts__ok();
  return TS_OK;
}

ts_status ts_init_xavier_uniform_(ts_tensor *t, double gain) {
  static const char call[] = "ts_init_xavier_uniform_";
  if (!check_init_tensor(t, call))
    return ts_last_status();
  int64_t fan_in, fan_out;
  if (ts_init_fans(t, &fan_in, &fan_out) != TS_OK)
    return ts__refail(call);
  double std = gain * sqrt(2.0 / (double)(fan_in + fan_out));
  double a = sqrt(3.0) * std;
  INIT_NO_GRAD(call, ts_uniform_(t, -a, a));
  ts__ok();
  return TS_OK;
}

ts_status ts_init_xavier_normal_(ts_tensor *t, double gain) {
  static const char call[] = "ts_init_xavier_normal_";
  if (!check_init_tensor(t, call))
    return ts_last_status();
  int64_t fan_in, fan_out;
  if (ts_init_fans(t, &fan_in, &fan_out) != TS_OK)
    return ts__refail(call);
  double std = gain * sqrt(2.0 / (double)(fan_in + fan_out));
  INIT_NO_GRAD(call, ts_normal_(t, 0.0, std));
  ts__ok();
  return TS_OK;
}

ts_status ts_init_bias_uniform_(ts_tensor *bias, const ts_tensor *weight) {
  static const char call[] = "ts_init_bias_uniform_";
  if (!check_init_tensor(bias, call))
    return ts_last_status();
  int64_t fan_in;
  if (ts_init_fans(weight, &fan_in, NULL) != TS_OK)
    return ts__refail(call);
  double bound = fan_in > 0 ? 1.0 / sqrt((double)fan_in) : 0.0;
  INIT_NO_GRAD(call, ts_uniform_(bias, -bound, bound));
  ts__ok();
  return TS_OK;
}
