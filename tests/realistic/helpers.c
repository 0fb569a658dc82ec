/*
 * helpers.c - a preprocessing library with same-file helpers that carry no
 * annotation: makers, borrowers, helpers that free or consume their
 * argument (always, or only on an error path), out-parameters; and
 * functions declared TS_CONSUMES.
 *
 * Labels (see README.md): `// OK: why` or `// BUG: check: why` on the line
 * before each function; the line of the bug itself ends in `// <- BUG`.
 */
#include <stdio.h>
#include <tsmem.h>

enum { ROWS = 4, COLS = 3 };

/* A consumer that takes ownership of its tensor: it logs and frees it. */
void sink_tensor(ts_tensor *t) TS_CONSUMES(1);

// OK: frees the tensor it was handed, as its declaration says
void sink_tensor(ts_tensor *t) {
  printf("sink %lld\n", (long long)ts_numel(t));
  ts_free(t);
}

// OK: makes a tensor and hands it to the caller
static ts_tensor *make_features(void) {
  return ts_rand(TS_SHAPE(ROWS, COLS), TS_FLOAT32);
}

// OK: only reads its argument
static double feature_norm(const ts_tensor *t) {
  ts_tensor *sq = ts_mul(t, t);
  ts_tensor *s = ts_sum(sq);
  double v = ts_item(s);
  ts_free(s);
  ts_free(sq);
  return v;
}

// OK: frees its argument on every path
static void drop_features(ts_tensor *t) {
  if (ts_numel(t) > 100)
    printf("dropping a big tensor\n");
  ts_free(t);
}

// OK: normalises into a new tensor and frees the input on every path
static ts_tensor *normalise_consuming(ts_tensor *t) {
  double n = feature_norm(t);
  ts_tensor *r = ts_mul_scalar(t, n > 0 ? 1.0 / n : 1.0);
  ts_free(t);
  return r;
}

// OK: on a bad input frees the input and returns NULL; else returns it
// unchanged
static ts_tensor *validate_or_drop(ts_tensor *t, int bad) {
  if (bad) {
    ts_free(t);
    return NULL;
  }
  return t;
}

// OK: hands a new tensor back through an out-parameter
static int load_features(ts_tensor **out, int fail) {
  if (fail)
    return -1;
  *out = ts_ones(TS_SHAPE(ROWS, COLS), TS_FLOAT32);
  return 0;
}

// OK: uses a maker, a borrower and a freeing helper in turn
void helpers_pipeline(void) {
  ts_tensor *f = make_features();
  printf("norm %f\n", feature_norm(f));
  drop_features(f);
}

// BUG: leak: the maker's tensor is only borrowed, never freed
void helpers_maker_leak(void) {
  ts_tensor *f = make_features(); // <- BUG
  printf("norm %f\n", feature_norm(f));
}

// BUG: use-after-free: the freeing helper is called before the last read
void helpers_read_after_drop(void) {
  ts_tensor *f = make_features();
  drop_features(f);
  printf("norm %f\n", feature_norm(f)); // <- BUG
}

// BUG: double-free: the helper already freed the input
void helpers_double_drop(void) {
  ts_tensor *f = make_features();
  printf("norm %f\n", feature_norm(f));
  drop_features(f);
  ts_free(f); // <- BUG
}

// OK: the consuming normaliser replaces the variable, the result is freed
void helpers_normalise(void) {
  ts_tensor *f = make_features();
  f = normalise_consuming(f);
  printf("norm %f\n", feature_norm(f));
  ts_free(f);
}

// BUG: use-after-free: the input is read after the consuming normaliser took it
void helpers_normalise_reuse(void) {
  ts_tensor *f = make_features();
  ts_tensor *g = normalise_consuming(f);
  printf("before %f after %f\n", feature_norm(f), feature_norm(g)); // <- BUG
  ts_free(g);
}

// OK: when validation fails the helper has freed the tensor; when it passes the
// caller frees it
void helpers_validate(void) {
  ts_tensor *f = make_features();
  ts_tensor *v = validate_or_drop(f, 0);
  if (!v)
    return;
  printf("valid %f\n", feature_norm(v));
  ts_free(v);
}

// BUG: double-free: the caller frees the input again after validation dropped
// it
void helpers_validate_double(void) {
  ts_tensor *f = make_features();
  ts_tensor *v = validate_or_drop(f, 1);
  if (!v) {
    ts_free(f); // <- BUG
    return;
  }
  ts_free(v);
}

// OK: the out-parameter is freed only when the load succeeded
void helpers_out_param(void) {
  ts_tensor *f = NULL;
  if (load_features(&f, 0) != 0)
    return;
  printf("loaded %f\n", feature_norm(f));
  ts_free(f);
}

// BUG: leak: the tensor loaded through the out-parameter is never freed
void helpers_out_param_leak(void) {
  ts_tensor *f = NULL;
  if (load_features(&f, 0) != 0)
    return;
  printf("loaded %f\n", feature_norm(f));
} // <- BUG

// OK: TS_CONSUMES hands the tensor on; nothing is left
void helpers_consumes(void) {
  ts_tensor *f = make_features();
  sink_tensor(f);
}

// BUG: use-after-free: the tensor is read after the TS_CONSUMES call took it
void helpers_consumes_then_read(void) {
  ts_tensor *f = make_features();
  sink_tensor(f);
  printf("after sink %f\n", feature_norm(f)); // <- BUG
}

// BUG: double-free: the tensor is freed after the TS_CONSUMES call took it
void helpers_consumes_then_free(void) {
  ts_tensor *f = make_features();
  ts_tensor *g = ts_clone(f);
  sink_tensor(f);
  ts_free(g);
  ts_free(f); // <- BUG
}

// OK: a recursive helper that sums a chain of made tensors and frees each
static double chain_sum(int depth) {
  if (depth == 0)
    return 0;
  ts_tensor *t = ts_full(TS_SHAPE(1), TS_FLOAT32, depth);
  double v = ts_item(t);
  ts_free(t);
  return v + chain_sum(depth - 1);
}

// BUG: leak: the recursive builder forgets the partial result at each level
static ts_tensor *chain_build(int depth) {
  ts_tensor *t = ts_full(TS_SHAPE(1), TS_FLOAT32, depth);
  if (depth == 0)
    return t;
  ts_tensor *rest = chain_build(depth - 1); // <- BUG
  ts_tensor *r = ts_add(t, rest);
  ts_free(t);
  return r;
}

// OK: recursion that frees as it goes
void helpers_recursion(void) { printf("chain %f\n", chain_sum(3)); }

// OK: uses the leaky builder (its bug is the builder's) and frees what it
// returns
void helpers_recursion_leaky(void) {
  ts_tensor *t = chain_build(2);
  printf("chain %f\n", ts_item(t));
  ts_free(t);
}

// OK: two makers, the second's result stored through an out-parameter; both
// freed
void helpers_two_outputs(void) {
  ts_tensor *a = make_features();
  ts_tensor *b = NULL;
  if (load_features(&b, 0) != 0) {
    ts_free(a);
    return;
  }
  ts_tensor *c = ts_add(a, b);
  printf("sum %f\n", feature_norm(c));
  ts_free(c);
  ts_free(b);
  ts_free(a);
}

// BUG: leak: the early return after the failed load forgets the first tensor
void helpers_two_outputs_leak(void) {
  ts_tensor *a = make_features();
  ts_tensor *b = NULL;
  if (load_features(&b, 1) != 0)
    return; // <- BUG
  ts_free(b);
  ts_free(a);
}

// BUG: use-after-free: validation dropped the tensor, and the caller still
// reads it
void helpers_validate_read(void) {
  ts_tensor *f = make_features();
  ts_tensor *v = validate_or_drop(f, 1);
  if (!v)
    printf("rejected %f\n", feature_norm(f)); // <- BUG
  else
    ts_free(v);
}
