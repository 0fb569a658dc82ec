/*
 * heldout_eval.c - an evaluation harness: model snapshots copied by value,
 * optional dtype conversion that may return its input, optional outputs,
 * per-metric arrays with empty slots, a tree reduction, a verbose mode that
 * makes extra tensors only when it is on. Held-out corpus (README.md).
 *
 * Labels: `// OK: why` or `// BUG: check: why` before each function; the
 * line of the bug ends in `// <- BUG`.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define IN 5
#define NCLS 3
#define NB 6
#define METRICS 4

struct snapshot {
  ts_tensor *w; /* [IN, NCLS] */
  int step;
};

// OK: a snapshot owning a new weight matrix
static struct snapshot snap_make(int step) {
  struct snapshot s = {ts_randn(TS_SHAPE(IN, NCLS), TS_FLOAT32), step};
  return s;
}

// OK: frees the snapshot's weights
static void snap_free(struct snapshot *s) {
  ts_free(s->w);
  s->w = NULL;
}

// OK: the snapshot is copied by value; the copy is the one freed, once
void eval_snapshot_copy(void) {
  struct snapshot a = snap_make(100);
  struct snapshot best = a;
  printf("best step %d, %lld weights\n", best.step, (long long)ts_numel(a.w));
  snap_free(&best);
}

// BUG: double-free: the snapshot and its copy share one weight tensor and
// both are freed
void eval_snapshot_copy_twice(void) {
  struct snapshot a = snap_make(200);
  struct snapshot b = a;
  snap_free(&a);
  snap_free(&b); // <- BUG
}

// OK: returns x itself when it is already float32, else a converted copy
static ts_tensor *as_float(ts_tensor *x) {
  if (ts_tensor_dtype(x) == TS_FLOAT32)
    return x;
  return ts_to_dtype(x, TS_FLOAT32, false, false);
}

// OK: frees the converted tensor only when it is a copy
void eval_convert(void) {
  ts_tensor *ints = ts_randint(10, TS_SHAPE(NB), TS_INT64, NULL);
  ts_tensor *floats = ts_rand(TS_SHAPE(NB), TS_FLOAT32);
  ts_tensor *inputs[2] = {ints, floats};
  for (int i = 0; i < 2; i++) {
    ts_tensor *f = as_float(inputs[i]);
    ts_tensor *m = ts_mean(f);
    printf("mean %f\n", ts_item(m));
    ts_free(m);
    if (f != inputs[i])
      ts_free(f);
  }
  ts_free(floats);
  ts_free(ints);
}

// BUG: double-free: for a float32 input the conversion returns the input
// itself, and both are freed
void eval_convert_always_free(void) {
  ts_tensor *x = ts_rand(TS_SHAPE(NB), TS_FLOAT32);
  ts_tensor *f = as_float(x);
  printf("%lld\n", (long long)ts_numel(f));
  ts_free(f);
  ts_free(x); // <- BUG
}

// OK: fills *probs only when asked; returns the predicted classes
static ts_tensor *predict(const ts_tensor *w, const ts_tensor *x,
                          ts_tensor **probs) {
  ts_tensor *logits = ts_mm(x, w);
  if (probs)
    *probs = ts_softmax(logits, 1);
  ts_tensor *cls = ts_argmax_dim(logits, 1);
  ts_free(logits);
  return cls;
}

// OK: one call with and one without the optional output; each result is
// freed once
void eval_predict(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(IN, NCLS), TS_FLOAT32);
  ts_tensor *x = ts_randn(TS_SHAPE(NB, IN), TS_FLOAT32);
  ts_tensor *p = NULL;
  ts_tensor *c1 = predict(w, x, &p);
  ts_tensor *c2 = predict(w, x, NULL);
  printf("%lld %lld %lld\n", (long long)ts_numel(c1), (long long)ts_numel(c2),
         (long long)ts_numel(p));
  ts_free(p);
  ts_free(c2);
  ts_free(c1);
  ts_free(x);
  ts_free(w);
}

// BUG: leak: the probabilities asked for are never freed
void eval_predict_probs(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(IN, NCLS), TS_FLOAT32);
  ts_tensor *x = ts_randn(TS_SHAPE(NB, IN), TS_FLOAT32);
  ts_tensor *p = NULL;
  ts_tensor *c = predict(w, x, &p); // <- BUG
  printf("%lld\n", (long long)ts_numel(c));
  ts_free(c);
  ts_free(x);
  ts_free(w);
}

// OK: a metrics table with empty slots; only the filled ones are freed, in
// reverse order
void eval_metric_slots(void) {
  ts_tensor *m[METRICS] = {NULL};
  ts_tensor *x = ts_rand(TS_SHAPE(NB), TS_FLOAT32);
  m[0] = ts_mean(x);
  m[2] = ts_std(x, true);
  for (int i = 0; i < METRICS; i++)
    if (m[i])
      printf("metric %d = %f\n", i, ts_item(m[i]));
  for (int i = METRICS - 1; i >= 0; i--)
    if (m[i])
      ts_free(m[i]);
  ts_free(x);
}

// OK: pairwise tree reduction of an array of partial sums; every level's
// inputs are freed, the root goes to the caller
static ts_tensor *tree_sum(ts_tensor **parts, int n) {
  if (n == 1)
    return parts[0];
  int half = (n + 1) / 2;
  for (int i = 0; i < n / 2; i++) {
    ts_tensor *s = ts_add(parts[2 * i], parts[2 * i + 1]);
    ts_free(parts[2 * i]);
    ts_free(parts[2 * i + 1]);
    parts[i] = s;
  }
  if (n % 2)
    parts[half - 1] = parts[n - 1];
  return tree_sum(parts, half);
}

// OK: five partial sums reduced to one; the root is freed
void eval_tree_reduce(void) {
  ts_tensor *parts[5];
  for (int i = 0; i < 5; i++)
    parts[i] = ts_full(TS_SHAPE(NCLS), TS_FLOAT32, (double)i);
  ts_tensor *total = tree_sum(parts, 5);
  printf("total %lld\n", (long long)ts_numel(total));
  ts_free(total);
}

// OK: the confusion tensors exist only in verbose mode, and are freed under
// the same test
static void eval_report(const ts_tensor *pred, const ts_tensor *target,
                        bool verbose) {
  ts_tensor *eq = ts_eq_Tensor(pred, target);
  ts_tensor *acc = NULL;
  if (verbose)
    acc = ts_to_dtype(eq, TS_FLOAT32, false, false);
  ts_free(eq);
  if (verbose) {
    ts_tensor *m = ts_mean(acc);
    printf("accuracy %f\n", ts_item(m));
    ts_free(m);
    ts_free(acc);
  }
}

// OK: reports quietly and verbosely
void eval_report_modes(void) {
  ts_tensor *a = ts_randint(NCLS, TS_SHAPE(NB), TS_INT64, NULL);
  ts_tensor *b = ts_randint(NCLS, TS_SHAPE(NB), TS_INT64, NULL);
  eval_report(a, b, false);
  eval_report(a, b, true);
  ts_free(b);
  ts_free(a);
}

// BUG: leak: the verbose accuracy tensor is made when verbose is on but
// freed under a different flag
static void eval_report_mixed(const ts_tensor *pred, const ts_tensor *target,
                              bool verbose, bool debug) {
  ts_tensor *eq = ts_eq_Tensor(pred, target);
  ts_tensor *acc = NULL;
  if (verbose)
    acc = ts_to_dtype(eq, TS_FLOAT32, false, false); // <- BUG
  ts_free(eq);
  if (debug) {
    printf("acc %lld\n", (long long)ts_numel(acc));
    ts_free(acc);
  }
}

// OK: verbose without debug (the helper leaks then)
void eval_report_mixed_driver(void) {
  ts_tensor *a = ts_randint(NCLS, TS_SHAPE(NB), TS_INT64, NULL);
  ts_tensor *b = ts_randint(NCLS, TS_SHAPE(NB), TS_INT64, NULL);
  eval_report_mixed(a, b, true, false);
  ts_free(b);
  ts_free(a);
}

// OK: the batch structs are malloc'd; each batch tensor is freed before its
// struct
void eval_heap_batches(void) {
  struct snapshot **list = malloc(3 * sizeof *list);
  for (int i = 0; i < 3; i++) {
    list[i] = malloc(sizeof **list);
    *list[i] = snap_make(i);
  }
  for (int i = 0; i < 3; i++) {
    printf("snap %d: %lld\n", list[i]->step, (long long)ts_numel(list[i]->w));
    snap_free(list[i]);
    free(list[i]);
  }
  free(list);
}

// BUG: use-after-free: the weights of the newest snapshot are freed in the
// loop and read by the summary after it
void eval_heap_latest(void) {
  struct snapshot snaps[3];
  for (int i = 0; i < 3; i++)
    snaps[i] = snap_make(i);
  ts_tensor *latest = snaps[2].w;
  for (int i = 0; i < 3; i++)
    snap_free(&snaps[i]);
  printf("latest %lld\n", (long long)ts_numel(latest)); // <- BUG
}
