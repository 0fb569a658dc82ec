/* heldout2_pipeline.c - a multi-stage preprocessing pipeline: stages
 * through function pointers, a plugin-style table of named operators (some
 * in place), standardisation with goto cleanup, GNU cleanup variables, a
 * scoped debug dump. Labels: tests/realistic/README.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

typedef ts_tensor *(*stage_fn)(const ts_tensor *in);

struct op {
  const char *name;
  ts_tensor *(*fn)(ts_tensor *x, double arg);
  int in_place; /* fn returns x itself */
};

// OK: centring stage: a new tensor
static ts_tensor *stage_center(const ts_tensor *in) {
  ts_tensor *mu = ts_mean(in);
  ts_tensor *out = ts_sub(in, mu);
  ts_free(mu);
  return out;
}

// OK: scaling stage: a new tensor
static ts_tensor *stage_scale(const ts_tensor *in) {
  return ts_mul_scalar(in, 0.5);
}

// OK: log stage: refuses non-positive input (NULL), else a new tensor
static ts_tensor *stage_log(const ts_tensor *in) {
  ts_tensor *mn = ts_min(in);
  double m = ts_item(mn);
  ts_free(mn);
  if (m <= 0)
    return NULL;
  return ts_log(in);
}

// OK: runs the stages in order; each intermediate is freed when replaced;
// NULL when a stage refuses (the intermediate is freed)
static ts_tensor *run_stages(const stage_fn *st, int n, const ts_tensor *x) {
  ts_tensor *cur = ts_clone(x);
  for (int i = 0; i < n && cur; i++) {
    ts_tensor *next = st[i](cur);
    ts_free(cur);
    cur = next;
  }
  return cur;
}

// BUG: use-after-free: when a stage refuses, the current tensor is freed and
// then returned anyway
static ts_tensor *run_stages_keep_last(const stage_fn *st, int n,
                                       const ts_tensor *x) {
  ts_tensor *cur = ts_clone(x);
  for (int i = 0; i < n; i++) {
    ts_tensor *next = st[i](cur);
    if (!next) {
      fprintf(stderr, "stage %d refused its input\n", i);
      ts_free(cur);
      break;
    }
    ts_free(cur);
    cur = next;
  }
  printf("pipeline output: %lld values\n", (long long)ts_numel(cur)); // <- BUG
  return cur;
}

// OK: both pipelines on good input; the results are freed
void pipe_stages(void) {
  const stage_fn st[] = {stage_scale, stage_log, stage_center};
  ts_tensor *x = ts_rand(TS_SHAPE(8), TS_FLOAT32);
  ts_add_Scalar_(x, 0.1, 1.0);
  ts_tensor *y = run_stages(st, 3, x);
  printf("pipeline %s\n", y ? "ok" : "refused");
  if (y)
    ts_free(y);
  ts_free(x);
}

// OK: drives the keep-last pipeline into a refusal (its bug is its own)
void pipe_stages_refused(void) {
  const stage_fn st[] = {stage_center, stage_log};
  ts_tensor *x = ts_randn(TS_SHAPE(8), TS_FLOAT32);
  ts_tensor *y = run_stages_keep_last(st, 2, x);
  ts_free(y);
  ts_free(x);
}

// OK: standardises raw values into *out; every exit goes through one cleanup
// that frees whatever is still set
static int standardize(const float *raw, int n, ts_tensor **out) {
  int rc = -1;
  ts_tensor *x = NULL, *mu = NULL, *sd = NULL, *c = NULL;
  x = ts_from_buffer(raw, TS_SHAPE(n), TS_FLOAT32);
  if (!x)
    goto done;
  mu = ts_mean(x);
  sd = ts_std(x, true);
  if (!mu || !sd || ts_item(sd) == 0)
    goto done;
  c = ts_sub(x, mu);
  if (!c)
    goto done;
  *out = ts_div(c, sd);
  rc = *out ? 0 : -1;
done:
  if (c)
    ts_free(c);
  if (sd)
    ts_free(sd);
  if (mu)
    ts_free(mu);
  if (x)
    ts_free(x);
  return rc;
}

// BUG: double-free: the constant-input path frees x before jumping to the
// cleanup, which frees it again
static int standardize_early(const float *raw, int n, ts_tensor **out) {
  int rc = -1;
  ts_tensor *x = NULL, *mu = NULL, *sd = NULL;
  x = ts_from_buffer(raw, TS_SHAPE(n), TS_FLOAT32);
  if (!x)
    goto done;
  sd = ts_std(x, true);
  if (!sd)
    goto done;
  if (ts_item(sd) == 0) {
    fprintf(stderr, "standardize: constant input\n");
    ts_free(x);
    goto done;
  }
  mu = ts_mean(x);
  ts_tensor *c = ts_sub(x, mu);
  *out = ts_div(c, sd);
  ts_free(c);
  rc = 0;
done:
  if (mu)
    ts_free(mu);
  if (sd)
    ts_free(sd);
  if (x)
    ts_free(x); // <- BUG
  return rc;
}

// BUG: leak: the zero-variance path jumps past the label that frees sd
static int standardize_chain(const float *raw, int n, ts_tensor **out) {
  ts_tensor *x = ts_from_buffer(raw, TS_SHAPE(n), TS_FLOAT32);
  if (!x)
    goto fail;
  ts_tensor *mu = ts_mean(x);
  if (!mu)
    goto fail_x;
  ts_tensor *sd = ts_std(x, true); // <- BUG
  if (!sd)
    goto fail_mu;
  if (ts_item(sd) == 0)
    goto fail_mu;
  ts_tensor *c = ts_sub(x, mu);
  *out = ts_div(c, sd);
  ts_free(c);
  ts_free(sd);
  ts_free(mu);
  ts_free(x);
  return 0;
fail_mu:
  ts_free(mu);
fail_x:
  ts_free(x);
fail:
  return -1;
}

// OK: standardises good input, then constant input through all three
// versions (the early and chain versions have bugs of their own)
static void standardize_both(int (*fn)(const float *, int, ts_tensor **)) {
  const float good[4] = {1, 2, 3, 4};
  const float flat[4] = {2, 2, 2, 2};
  ts_tensor *z = NULL;
  if (fn(good, 4, &z) == 0) {
    printf("z %lld\n", (long long)ts_numel(z));
    ts_free(z);
  }
  z = NULL;
  if (fn(flat, 4, &z) != 0)
    puts("flat input refused");
  else
    ts_free(z);
}

// OK: the correct standardisation
void pipe_standardize(void) { standardize_both(standardize); }

// OK: the early-free standardisation (its bug is its own)
void pipe_standardize_early(void) { standardize_both(standardize_early); }

// OK: the label-chain standardisation (its bug is its own)
void pipe_standardize_chain(void) { standardize_both(standardize_chain); }

// OK: scale by arg: a new tensor
static ts_tensor *op_scale(ts_tensor *x, double arg) {
  return ts_mul_scalar(x, arg);
}

// OK: clamp to [-arg, arg] in place: returns x itself
static ts_tensor *op_clamp_(ts_tensor *x, double arg) {
  return ts_clamp_(x, -arg, arg);
}

// OK: shift by arg in place: returns x itself
static ts_tensor *op_shift_(ts_tensor *x, double arg) {
  return ts_add_Scalar_(x, arg, 1.0);
}

// OK: the table entry named name, or NULL
static const struct op *find_op(const char *name) {
  static const struct op OPS[] = {
      {"scale", op_scale, 0},
      {"clamp", op_clamp_, 1},
      {"shift", op_shift_, 1},
  };
  for (size_t i = 0; i < sizeof OPS / sizeof OPS[0]; i++)
    if (strcmp(OPS[i].name, name) == 0)
      return &OPS[i];
  return NULL;
}

// OK: applies named ops to a copy of x; an in-place op's result is the same
// handle and is not freed, other results replace (and free) the old one
static ts_tensor *apply_chain(const ts_tensor *x, const char **names, int n) {
  ts_tensor *cur = ts_clone(x);
  for (int i = 0; i < n; i++) {
    const struct op *op = find_op(names[i]);
    if (!op)
      continue;
    ts_tensor *next = op->fn(cur, 2.0);
    if (!op->in_place)
      ts_free(cur);
    cur = next;
  }
  return cur;
}

// BUG: use-after-free: every op's input is freed, in-place ones included, so
// the handle an in-place op handed back is already freed
static ts_tensor *apply_chain_naive(const ts_tensor *x, const char **names,
                                    int n) {
  ts_tensor *cur = ts_clone(x);
  for (int i = 0; i < n; i++) {
    const struct op *op = find_op(names[i]);
    if (!op)
      continue;
    ts_tensor *next = op->fn(cur, 2.0);
    ts_free(cur);
    cur = next;
  }
  ts_tensor *out = ts_contiguous(cur); // <- BUG
  ts_free(cur);
  return out;
}

// BUG: leak: an unknown op name returns NULL after the copy was made
static ts_tensor *apply_one(const ts_tensor *x, const char *name) {
  ts_tensor *cur = ts_clone(x); // <- BUG
  const struct op *op = find_op(name);
  if (!op) {
    fprintf(stderr, "no op named %s\n", name);
    return NULL;
  }
  ts_tensor *next = op->fn(cur, 1.0);
  if (!op->in_place)
    ts_free(cur);
  return next;
}

// OK: the correct chain, plus a lookup of an unknown op (apply_one's leak is
// its own)
void pipe_ops(void) {
  const char *names[] = {"scale", "clamp", "shift", "nope"};
  ts_tensor *x = ts_randn(TS_SHAPE(5), TS_FLOAT32);
  ts_tensor *y = apply_chain(x, names, 4);
  ts_tensor *z = apply_one(x, "nope");
  printf("ops %lld %s\n", (long long)ts_numel(y), z ? "?" : "refused");
  if (z)
    ts_free(z);
  ts_free(y);
  ts_free(x);
}

// OK: drives the naive chain (its bug is its own)
void pipe_ops_naive(void) {
  const char *names[] = {"scale", "clamp"};
  ts_tensor *x = ts_randn(TS_SHAPE(5), TS_FLOAT32);
  ts_tensor *y = apply_chain_naive(x, names, 2);
  ts_free(y);
  ts_free(x);
}

// OK: frees the tensor a cleanup variable holds
static void tensor_drop(ts_tensor **p) {
  if (*p)
    ts_free(*p);
}

// OK: cleanup variables free the temporaries on every exit
static double robust_scale(const ts_tensor *x) {
  __attribute__((cleanup(tensor_drop))) ts_tensor *med = ts_median(x);
  __attribute__((cleanup(tensor_drop))) ts_tensor *dev = ts_sub(x, med);
  __attribute__((cleanup(tensor_drop))) ts_tensor *ad = ts_abs(dev);
  __attribute__((cleanup(tensor_drop))) ts_tensor *mad = ts_median(ad);
  if (!mad)
    return 0;
  return ts_item(mad);
}

// BUG: leak: the cleanup variable is overwritten by ts_relu, so the first
// tensor is never dropped
static double positive_mass(const ts_tensor *x) {
  __attribute__((cleanup(tensor_drop))) ts_tensor *t =
      ts_sub_Scalar(x, 0.5, 1.0); // <- BUG
  t = ts_relu(t);
  __attribute__((cleanup(tensor_drop))) ts_tensor *s = ts_sum(t);
  return ts_item(s);
}

// BUG: double-free: the cleanup variable is also freed by hand, and the
// cleanup frees it again when the block ends
static double max_abs(const ts_tensor *x) {
  __attribute__((cleanup(tensor_drop))) ts_tensor *a = ts_abs(x);
  ts_tensor *m = ts_max(a);
  double v = ts_item(m);
  ts_free(m);
  ts_free(a); // <- BUG
  return v;
}

// OK: the cleanup-variable helpers (two of them have bugs of their own)
void pipe_cleanup(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(9), TS_FLOAT32);
  printf("mad %.3f\n", robust_scale(x));
  printf("mass %.3f\n", positive_mass(x));
  ts_free(x);
}

// OK: drives max_abs
void pipe_max_abs(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(9), TS_FLOAT32);
  printf("max abs %.3f\n", max_abs(x));
  ts_free(x);
}

// BUG: use-after-scope: the stage outputs are collected for a debug dump
// inside a TS_SCOPE block and dumped after it
void pipe_debug_dump(void) {
  const stage_fn st[] = {stage_center, stage_scale};
  ts_tensor *x = ts_randn(TS_SHAPE(6), TS_FLOAT32);
  ts_tensor *outs[2];
  TS_SCOPE {
    const ts_tensor *cur = x;
    for (int i = 0; i < 2; i++) {
      outs[i] = st[i](cur);
      cur = outs[i];
    }
  }
  for (int i = 0; i < 2; i++)
    printf("stage %d: %lld\n", i, (long long)ts_numel(outs[i])); // <- BUG
  ts_free(x);
}

// BUG: unescaped-return: the whitened tensor is returned through an alias
// without ts_escape from the TS_SCOPED body
TS_SCOPED static ts_tensor *whiten(const ts_tensor *x) {
  ts_tensor *c = stage_center(x);
  ts_tensor *n = ts_norm_Scalar(c, 2.0);
  ts_tensor *out = ts_div(c, n);
  ts_tensor *result = out;
  return result; // <- BUG
}

// OK: uses and frees what whiten returned (whiten is wrong)
void pipe_whiten(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(6), TS_FLOAT32);
  ts_tensor *w = whiten(x);
  printf("white %lld\n", (long long)ts_numel(w));
  ts_free(w);
  ts_free(x);
}
