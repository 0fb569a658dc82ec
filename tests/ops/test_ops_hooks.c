/*
 * test_ops_hooks.c - SPEC section 3's statuses on the generated section 3
 * calls (tools/gen-ops/hooks.txt): one bad call per hook, each giving the
 * hook's status and the hook's words, which libtorch's own message does not
 * have. So a hook dropped from hooks.txt (or from the generator) fails here:
 * a pre: hook's bad call would reach libtorch (and for most of them libtorch
 * accepts it: floating targets, broadcasting losses, an infinite step, an
 * empty integer softmax), an err: hook's would keep libtorch's message.
 * Given hooks.txt's path, it also checks that every hook there has a case
 * here and every case's hook is there.
 */
#include "../runtime/check.h"

#include <math.h>
#include <stdlib.h>
#include <tsmem/ops.h>

static ts_tensor *f32(int64_t n, int64_t m) {
  return ts_ones(TS_SHAPE(n, m), TS_FLOAT32);
}
static ts_tensor *i64(int64_t n) { return ts_zeros(TS_SHAPE(n), TS_INT64); }

typedef ts_tensor *(*factory)(const int64_t *, int, ts_dtype);
static ts_tensor *full1(const int64_t *s, int n, ts_dtype d) {
  return ts_full(s, n, d, 1.0);
}
static factory factory_of(const char *call) {
  static const struct {
    const char *call;
    factory fn;
  } f[] = {{"ts_empty", ts_empty}, {"ts_zeros", ts_zeros},
           {"ts_ones", ts_ones},   {"ts_rand", ts_rand},
           {"ts_randn", ts_randn}, {"ts_full", full1}};
  for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
    if (!strcmp(f[i].call, call))
      return f[i].fn;
  abort();
}

/* The factory of the case being run. */
static const char *cur;

static ts_tensor *fac_ndim(void) {
  return factory_of(cur)((const int64_t[]){2, 3}, -1, TS_FLOAT32);
}
static ts_tensor *fac_null(void) {
  return factory_of(cur)(NULL, 2, TS_FLOAT32);
}
static ts_tensor *fac_neg(void) {
  return factory_of(cur)(TS_SHAPE(2, -3), TS_FLOAT32);
}
static ts_tensor *fac_overflow(void) {
  return factory_of(cur)(TS_SHAPE(INT64_MAX / 2, 4), TS_FLOAT32);
}
static ts_tensor *fac_int(void) {
  return factory_of(cur)(TS_SHAPE(2, 3), TS_INT64);
}

static ts_tensor *arange_inf_step(void) {
  return ts_arange(0, 10, INFINITY, TS_FLOAT32); /* libtorch: empty */
}
static ts_tensor *arange_step0(void) {
  return ts_arange(0, 10, 0, TS_FLOAT32);
}
static ts_tensor *arange_sign(void) {
  return ts_arange(0, 10, -1, TS_FLOAT32);
}

#define BROADCAST(op)                                                          \
  static ts_tensor *op##_bcast(void) { return ts_##op(f32(2, 3), f32(3, 2)); }
BROADCAST(add)
BROADCAST(sub)
BROADCAST(mul)
BROADCAST(div)

static ts_tensor *matmul_inner(void) { return ts_matmul(f32(2, 3), f32(2, 3)); }
static ts_tensor *matmul_0d(void) {
  return ts_matmul(ts_full(NULL, 0, TS_FLOAT32, 2), f32(2, 3));
}
static ts_tensor *matmul_dtype(void) {
  return ts_matmul(f32(2, 3), ts_ones(TS_SHAPE(3, 2), TS_FLOAT64));
}
static ts_tensor *mean_int(void) { return ts_mean(i64(3)); }
static ts_tensor *argmax_dim(void) { return ts_argmax_dim(f32(2, 3), 2); }
/* libtorch's softmax takes an empty integer tensor; SPEC does not. */
static ts_tensor *softmax_int(void) { return ts_softmax(i64(0), 0); }
static ts_tensor *softmax_dim(void) { return ts_softmax(f32(2, 3), -3); }
static ts_tensor *log_softmax_int(void) { return ts_log_softmax(i64(0), 0); }
static ts_tensor *log_softmax_dim(void) {
  return ts_log_softmax(f32(2, 3), 2);
}
static ts_tensor *reshape_ndim(void) {
  return ts_reshape(f32(2, 3), (const int64_t[]){6}, -2);
}
static ts_tensor *reshape_null(void) { return ts_reshape(f32(2, 3), NULL, 2); }
static ts_tensor *reshape_numel(void) {
  return ts_reshape(f32(2, 3), TS_SHAPE(4));
}
static ts_tensor *transpose_d0(void) { return ts_transpose(f32(2, 3), 2, 0); }
static ts_tensor *transpose_d1(void) { return ts_transpose(f32(2, 3), 0, -3); }
/* libtorch takes floating targets of the logits' shape as probabilities. */
static ts_tensor *ce_float_targets(void) {
  return ts_cross_entropy(f32(2, 3), f32(2, 3));
}
static ts_tensor *ce_shape(void) { return ts_cross_entropy(f32(2, 3), i64(5)); }
static ts_tensor *ce_int_logits(void) {
  return ts_cross_entropy(ts_zeros(TS_SHAPE(2, 3), TS_INT64), i64(2));
}
/* libtorch promotes an integer operand and broadcasts shapes. */
static ts_tensor *mse_int_a(void) {
  return ts_mse_loss(ts_zeros(TS_SHAPE(2, 3), TS_INT64), f32(2, 3));
}
static ts_tensor *mse_int_b(void) {
  return ts_mse_loss(f32(2, 3), ts_zeros(TS_SHAPE(2, 3), TS_INT64));
}
static ts_tensor *mse_bcast(void) {
  return ts_mse_loss(f32(2, 3), ts_ones(TS_SHAPE(3), TS_FLOAT32));
}

typedef struct hook_case {
  const char *call, *hook; /* as hooks.txt names them */
  ts_status want;
  const char *says; /* the hook's words */
  ts_tensor *(*run)(void);
} hook_case;

#define FACTORY(call)                                                          \
  {call, "pre:shape_arg", TS_ERR_ARG, "ndim is -1", fac_ndim},                 \
      {call, "pre:shape_arg", TS_ERR_NULL, "shape is NULL", fac_null},         \
      {call, "err:shape", TS_ERR_SHAPE, "sizes must be >= 0", fac_neg},        \
      {call, "err:shape", TS_ERR_ARG, "more bytes than a tensor can address",  \
       fac_overflow}

static const hook_case CASES[] = {
    FACTORY("ts_empty"),
    FACTORY("ts_zeros"),
    FACTORY("ts_ones"),
    FACTORY("ts_rand"),
    FACTORY("ts_randn"),
    FACTORY("ts_full"),
    {"ts_rand", "err:float_dtype", TS_ERR_DTYPE, "no random floating values",
     fac_int},
    {"ts_randn", "err:float_dtype", TS_ERR_DTYPE, "no random floating values",
     fac_int},
    {"ts_arange", "pre:finite_step", TS_ERR_ARG, "must be finite",
     arange_inf_step},
    {"ts_arange", "err:arange", TS_ERR_ARG, "step nonzero", arange_step0},
    {"ts_arange", "err:arange", TS_ERR_ARG, "flip the step's sign",
     arange_sign},
    {"ts_add", "err:broadcast", TS_ERR_SHAPE, "cannot broadcast", add_bcast},
    {"ts_sub", "err:broadcast", TS_ERR_SHAPE, "cannot broadcast", sub_bcast},
    {"ts_mul", "err:broadcast", TS_ERR_SHAPE, "cannot broadcast", mul_bcast},
    {"ts_div", "err:broadcast", TS_ERR_SHAPE, "cannot broadcast", div_bcast},
    {"ts_matmul", "err:matmul", TS_ERR_SHAPE, "inner dims differ",
     matmul_inner},
    {"ts_matmul", "err:matmul", TS_ERR_SHAPE, "both need at least one dim",
     matmul_0d},
    {"ts_matmul", "err:matmul", TS_ERR_DTYPE, "matmul takes one dtype",
     matmul_dtype},
    {"ts_mean", "err:float", TS_ERR_DTYPE, "needs a floating-point tensor",
     mean_int},
    {"ts_argmax_dim", "err:dim", TS_ERR_SHAPE, "dim 2 is out of range",
     argmax_dim},
    {"ts_softmax", "pre:float", TS_ERR_DTYPE, "needs a floating-point tensor",
     softmax_int},
    {"ts_softmax", "err:dim", TS_ERR_SHAPE, "dim -3 is out of range",
     softmax_dim},
    {"ts_log_softmax", "pre:float", TS_ERR_DTYPE,
     "needs a floating-point tensor", log_softmax_int},
    {"ts_log_softmax", "err:dim", TS_ERR_SHAPE, "dim 2 is out of range",
     log_softmax_dim},
    {"ts_reshape", "pre:shape_arg", TS_ERR_ARG, "ndim is -2", reshape_ndim},
    {"ts_reshape", "pre:shape_arg", TS_ERR_NULL, "shape is NULL",
     reshape_null},
    {"ts_reshape", "err:reshape", TS_ERR_SHAPE, "cannot reshape [2,3]",
     reshape_numel},
    {"ts_transpose", "err:dim", TS_ERR_SHAPE, "dim 2 is out of range",
     transpose_d0},
    {"ts_transpose", "err:dim", TS_ERR_SHAPE, "dim -3 is out of range",
     transpose_d1},
    {"ts_cross_entropy", "pre:targets", TS_ERR_DTYPE,
     "must be int64 class indices", ce_float_targets},
    {"ts_cross_entropy", "err:cross_entropy", TS_ERR_SHAPE,
     "do not fit targets", ce_shape},
    {"ts_cross_entropy", "err:cross_entropy", TS_ERR_DTYPE,
     "logits has dtype int64", ce_int_logits},
    {"ts_mse_loss", "pre:float", TS_ERR_DTYPE, "a has dtype int64", mse_int_a},
    {"ts_mse_loss", "pre:float", TS_ERR_DTYPE, "b has dtype int64", mse_int_b},
    {"ts_mse_loss", "pre:same_shape", TS_ERR_SHAPE, "the shapes must be equal",
     mse_bcast},
};
enum { NCASES = sizeof CASES / sizeof CASES[0] };

TEST(every_hook_gives_its_status_and_words) {
  for (int i = 0; i < NCASES; i++) {
    const hook_case *c = &CASES[i];
    cur = c->call;
    size_t live = ts_memory().live_tensors;
    ts_scope_id s = ts_scope_begin();
    ts_tensor *r = c->run();
    ts_status st = ts_last_status();
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", ts_last_error());
    ts_scope_end(s);
    size_t n = strlen(c->call);
    /* "<call>: <cause>; <fix>", or a cause that says what must hold. */
    const char *semi = strstr(msg, "; ");
    bool ok = !r && st == c->want && !strncmp(msg, c->call, n) &&
              !strncmp(msg + n, ": ", 2) && strstr(msg, c->says) &&
              ((semi && strlen(semi) > 10) || strstr(msg, " must ")) &&
              ts_memory().live_tensors == live;
    if (!ok) {
      fprintf(stderr,
              "%s (%s): want status %d and \"%s\"; got %s, status %d: %s\n",
              c->call, c->hook, (int)c->want, c->says,
              r ? "a tensor" : "NULL", (int)st, msg);
      check_failures++;
    }
  }
  printf("%d hook cases\n", NCASES);
}

/* The success path of every generated section 3 call (values, dtypes,
 * shapes, ownership), against what the hand-written calls gave. */
static double item(ts_tensor *t) { return t ? ts_item(t) : NAN; }

TEST(generated_section3_calls_compute) {
  ts_scope_id s = ts_scope_begin();
  float v[6] = {1, -2, 3, -4, 5, -6};
  ts_tensor *a = ts_from_buffer(v, TS_SHAPE(2, 3), TS_FLOAT32);
  ts_tensor *b = ts_full(TS_SHAPE(3), TS_FLOAT32, 2.0);
  CHECK_EQ(ts_scope_tensor_count(), 2);
  CHECK(item(ts_sum(ts_add(a, b))) == -3 + 12);
  CHECK(item(ts_sum(ts_sub(a, b))) == -3 - 12);
  CHECK(item(ts_sum(ts_mul(a, b))) == -6);
  CHECK(item(ts_sum(ts_div(a, b))) == -1.5);
  CHECK(item(ts_sum(ts_add_scalar(a, 1))) == 3);
  CHECK(item(ts_sum(ts_mul_scalar(a, 3))) == -9);
  CHECK(item(ts_sum(ts_relu(a))) == 9);
  CHECK(item(ts_sum(ts_neg(a))) == 3);
  CHECK(fabs(item(ts_mean(a)) + 0.5) < 1e-6);
  CHECK(item(ts_argmax(a)) == 4);
  CHECK(ts_tensor_dtype(ts_argmax(a)) == TS_INT64);
  CHECK(item(ts_sum(ts_argmax_dim(a, -1))) == 2 + 1);
  CHECK(fabs(item(ts_sum(ts_softmax(a, 1))) - 2) < 1e-5);
  CHECK(fabs(item(ts_sum(ts_exp(ts_log_softmax(a, 0)))) - 3) < 1e-5);
  CHECK(fabs(item(ts_sum(ts_sigmoid(ts_zeros(TS_SHAPE(4), TS_FLOAT64)))) -
             2) < 1e-12);
  CHECK(item(ts_sum(ts_tanh(ts_zeros(TS_SHAPE(4), TS_FLOAT32)))) == 0);
  CHECK(fabs(item(ts_log(ts_exp(ts_full(NULL, 0, TS_FLOAT64, 1.5)))) - 1.5) <
        1e-12);
  ts_tensor *m = ts_matmul(a, ts_ones(TS_SHAPE(3, 4), TS_FLOAT32));
  CHECK(ts_ndim(m) == 2 && ts_size(m, 0) == 2 && ts_size(m, 1) == 4);
  CHECK(item(ts_sum(m)) == -12);
  ts_tensor *r = ts_reshape(a, TS_SHAPE(-1));
  CHECK(ts_ndim(r) == 1 && ts_numel(r) == 6);
  ts_tensor *t = ts_transpose(a, 0, -1);
  CHECK(ts_size(t, 0) == 3 && ts_size(t, 1) == 2);
  ts_tensor *c = ts_clone(a);
  CHECK(c != a && item(ts_sum(c)) == -3);
  ts_tensor *ar = ts_arange(0, 5, 1, TS_INT64);
  CHECK(ts_tensor_dtype(ar) == TS_INT64 && item(ts_sum(ar)) == 10);
  CHECK(ts_tensor_dtype(ts_empty(TS_SHAPE(2), TS_INT16)) == TS_INT16);
  CHECK(item(ts_sum(ts_ones(TS_SHAPE(2, 2), TS_UINT8))) == 4);
  ts_tensor *rn = ts_randn(TS_SHAPE(64), TS_FLOAT32);
  ts_tensor *ru = ts_rand(TS_SHAPE(64), TS_FLOAT64);
  CHECK(rn && ru && item(ts_sum(ts_relu(ts_neg(ru)))) == 0);
  ts_tensor *lg = ts_zeros(TS_SHAPE(2, 4), TS_FLOAT32);
  ts_tensor *tg = ts_from_buffer((const int64_t[]){1, 3}, TS_SHAPE(2),
                                 TS_INT64);
  CHECK(fabs(item(ts_cross_entropy(lg, tg)) - log(4.0)) < 1e-6);
  CHECK(item(ts_mse_loss(a, a)) == 0);
  CHECK_EQ(ts_last_status(), TS_OK);
  ts_scope_end(s);
}

/* Every hook of hooks.txt has a case above, and every case's hook is in
 * hooks.txt. */
static bool has_case(const char *call, const char *hook) {
  for (int i = 0; i < NCASES; i++)
    if (!strcmp(CASES[i].call, call) && !strcmp(CASES[i].hook, hook))
      return true;
  return false;
}

static const char *hooks_txt;

TEST(cases_match_hooks_txt) {
  FILE *f = fopen(hooks_txt, "r");
  CHECK(f != NULL);
  if (!f)
    return;
  char line[512];
  bool listed[NCASES] = {0};
  int hooks = 0;
  while (fgets(line, sizeof line, f)) {
    char *hash = strchr(line, '#');
    if (hash)
      *hash = 0;
    char *save, *call = strtok_r(line, " \t\n", &save);
    if (!call || !strtok_r(NULL, " \t\n", &save))
      continue;
    for (char *w; (w = strtok_r(NULL, " \t\n", &save));) {
      if (strncmp(w, "pre:", 4) && strncmp(w, "err:", 4))
        continue;
      w[strcspn(w, "(")] = 0;
      hooks++;
      if (!has_case(call, w)) {
        fprintf(stderr, "hooks.txt: %s %s has no case here\n", call, w);
        check_failures++;
      }
      for (int i = 0; i < NCASES; i++)
        if (!strcmp(CASES[i].call, call) && !strcmp(CASES[i].hook, w))
          listed[i] = true;
    }
  }
  fclose(f);
  for (int i = 0; i < NCASES; i++)
    if (!listed[i]) {
      fprintf(stderr, "%s %s: not in hooks.txt\n", CASES[i].call,
              CASES[i].hook);
      check_failures++;
    }
  printf("%d hooks in hooks.txt\n", hooks);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s tools/gen-ops/hooks.txt\n", argv[0]);
    return 2;
  }
  hooks_txt = argv[1];
  static const check_test tests[] = {T(every_hook_gives_its_status_and_words),
                                     T(generated_section3_calls_compute),
                                     T(cases_match_hooks_txt)};
  return check_run(tests, sizeof tests / sizeof tests[0]);
}
