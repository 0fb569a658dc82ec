/*
 * heldout_errors.c - a feature-preprocessing stage written in the classic
 * C error style: ts_status results, out-parameters, goto cleanup chains,
 * helpers that consume their argument only when they fail, and GNU
 * cleanup attributes. Held-out corpus (README.md).
 *
 * Labels: `// OK: why` or `// BUG: check: why` before each function; the
 * line of the bug ends in `// <- BUG`.
 */
#include <math.h>
#include <stdio.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define ROWS 4
#define COLS 3

// OK: frees a tensor variable going out of scope (for the cleanup attribute)
static void tensor_drop(ts_tensor **t) {
  if (*t)
    ts_free(*t);
}

// OK: on success *out owns the features; on failure nothing is left behind
static ts_status load_features(const float *buf, int rows, ts_tensor **out) {
  *out = NULL;
  if (rows <= 0)
    return TS_ERR_ARG;
  ts_tensor *t = ts_from_buffer(buf, TS_SHAPE(rows, COLS), TS_FLOAT32);
  if (!t)
    return ts_last_status();
  for (int i = 0; i < rows * COLS; i++) {
    if (isnan(buf[i])) {
      ts_free(t);
      return TS_ERR_ARG;
    }
  }
  *out = t;
  return TS_OK;
}

// BUG: leak: a NaN in the input returns an error status without freeing the
// tensor already made
static ts_status load_features_fast(const float *buf, int rows,
                                    ts_tensor **out) {
  ts_tensor *t = ts_from_buffer(buf, TS_SHAPE(rows, COLS), TS_FLOAT32);
  if (!t)
    return ts_last_status();
  for (int i = 0; i < rows * COLS; i++)
    if (isnan(buf[i]))
      return TS_ERR_ARG; // <- BUG
  *out = t;
  return TS_OK;
}

// OK: replaces *x by its standardised version (frees the old one); on
// failure *x is untouched
static ts_status standardize(ts_tensor **x) {
  ts_tensor *mu = ts_mean_dim(*x, TS_SHAPE(0), true, TS_NO_DTYPE);
  if (!mu)
    return ts_last_status();
  ts_tensor *centered = ts_sub(*x, mu);
  ts_free(mu);
  if (!centered)
    return ts_last_status();
  ts_free(*x);
  *x = centered;
  return TS_OK;
}

// OK: appends a bias column; when the bias is rejected the input is freed
// here (documented: the caller must not touch it again)
static ts_status attach_bias(ts_tensor **x, double bias) {
  if (bias != bias || bias > 1e3) {
    ts_free(*x);
    *x = NULL;
    return TS_ERR_ARG;
  }
  ts_tensor *col = ts_full(TS_SHAPE(ts_size(*x, 0), 1), TS_FLOAT32, bias);
  const ts_tensor *parts[2] = {*x, col};
  ts_tensor *wide = ts_cat(parts, 2, 1);
  ts_free(col);
  ts_free(*x);
  *x = wide;
  return TS_OK;
}

// OK: a goto chain; each tensor is NULL until made and freed once at the
// end whatever the path
void prep_pipeline(void) {
  float raw[ROWS * COLS];
  for (int i = 0; i < ROWS * COLS; i++)
    raw[i] = (float)i;
  ts_tensor *x = NULL, *w = NULL, *y = NULL;
  ts_status st = load_features(raw, ROWS, &x);
  if (st != TS_OK)
    goto done;
  st = standardize(&x);
  if (st != TS_OK)
    goto done;
  st = attach_bias(&x, 1.0);
  if (st != TS_OK)
    goto done;
  w = ts_randn(TS_SHAPE(COLS + 1, 1), TS_FLOAT32);
  if (!w)
    goto done;
  y = ts_matmul(x, w);
  printf("y %lld\n", (long long)ts_numel(y));
done:
  if (y)
    ts_free(y);
  if (w)
    ts_free(w);
  if (x)
    ts_free(x);
}

// OK: loads a clean and a corrupt buffer with the fast loader (which leaks
// on the corrupt one)
void prep_fast_loader(void) {
  float good[COLS] = {1, 2, 3};
  float bad[COLS] = {1, NAN, 3};
  ts_tensor *a = NULL, *b = NULL;
  if (load_features_fast(good, 1, &a) == TS_OK)
    ts_free(a);
  if (load_features_fast(bad, 1, &b) == TS_OK)
    ts_free(b);
}

// BUG: double-free: attach_bias already freed x when it failed
void prep_bad_bias(void) {
  float raw[COLS] = {0.5f, 1.5f, 2.5f};
  ts_tensor *x = NULL;
  if (load_features(raw, 1, &x) != TS_OK)
    return;
  ts_tensor *keep = x;
  if (attach_bias(&x, 1e9) != TS_OK) {
    fprintf(stderr, "bias rejected\n");
    ts_free(keep); // <- BUG
    return;
  }
  ts_free(x);
}

// OK: the same failure, handled as the helper documents
void prep_bad_bias_ok(void) {
  float raw[COLS] = {0.5f, 1.5f, 2.5f};
  ts_tensor *x = NULL;
  if (load_features(raw, 1, &x) != TS_OK)
    return;
  if (attach_bias(&x, 1e9) != TS_OK) {
    fprintf(stderr, "bias rejected\n");
    return;
  }
  ts_free(x);
}

// BUG: use-after-free: the error path frees the weights and then logs their
// size
static int prep_fit(const ts_tensor *x, double lr) {
  ts_tensor *w = ts_zeros(TS_SHAPE(COLS, 1), TS_FLOAT32);
  if (lr <= 0.0) {
    ts_free(w);
    goto fail;
  }
  ts_tensor *pred = ts_matmul(x, w);
  ts_free(pred);
  ts_free(w);
  return 0;
fail:
  fprintf(stderr, "fit failed with %lld weights\n",
          (long long)ts_numel(w)); // <- BUG
  return -1;
}

// OK: fits once with a bad learning rate
void prep_fit_driver(void) {
  ts_tensor *x = ts_rand(TS_SHAPE(ROWS, COLS), TS_FLOAT32);
  printf("rc %d\n", prep_fit(x, -1.0));
  ts_free(x);
}

// OK: temporaries held in cleanup-attributed variables are freed when they
// go out of scope
void prep_auto_cleanup(void) {
  __attribute__((cleanup(tensor_drop))) ts_tensor *x =
      ts_rand(TS_SHAPE(ROWS, COLS), TS_FLOAT32);
  __attribute__((cleanup(tensor_drop))) ts_tensor *m = ts_mean(x);
  __attribute__((cleanup(tensor_drop))) ts_tensor *s = ts_std(x, true);
  printf("mean %f std %f\n", ts_item(m), ts_item(s));
}

// BUG: leak: the cleanup variable is reassigned, so only the second tensor
// is freed when it goes out of scope
void prep_auto_reassign(void) {
  __attribute__((cleanup(tensor_drop))) ts_tensor *x =
      ts_rand(TS_SHAPE(ROWS, COLS), TS_FLOAT32);
  x = ts_relu(x); // <- BUG
  printf("relu %lld\n", (long long)ts_numel(x));
}

// OK: status-checked standardisation of two inputs; each path frees what
// it made
void prep_two_inputs(void) {
  float raw[ROWS * COLS] = {0};
  ts_tensor *a = NULL, *b = NULL;
  if (load_features(raw, ROWS, &a) != TS_OK)
    return;
  if (load_features(raw, 0, &b) != TS_OK) { /* rows == 0: rejected */
    ts_free(a);
    return;
  }
  standardize(&a);
  standardize(&b);
  ts_free(b);
  ts_free(a);
}

// BUG: leak: the standardised tensor that replaces x is never freed (only
// compared with the old handle)
void prep_standardize_alias(void) {
  ts_tensor *x = ts_rand(TS_SHAPE(ROWS, COLS), TS_FLOAT32);
  ts_tensor *orig = x;
  if (standardize(&x) != TS_OK) // <- BUG
    return;
  printf("%s\n", orig == x ? "same" : "replaced");
}
