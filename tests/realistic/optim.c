/*
 * optim.c - optimisers: Adam's moment estimates kept in a struct of
 * arrays, gradient clipping, learning-rate warm-up, weight averaging,
 * gradient accumulation across async micro-batches.
 *
 * Labels (see README.md): `// OK: why` or `// BUG: check: why` on the line
 * before each function; the line of the bug itself ends in `// <- BUG`.
 */
#include <stdio.h>
#include <tsmem.h>

enum { NP = 2, D = 3, STEPS = 3 };

typedef struct {
  ts_tensor *m[NP], *v[NP];
  int t;
} adam_state;

// OK: Adam's moments are replaced each step and the old ones freed; all freed
// at the end
void optim_adam(void) {
  adam_state s;
  s.t = 0;
  for (int i = 0; i < NP; i++) {
    s.m[i] = ts_zeros(TS_SHAPE(D), TS_FLOAT32);
    s.v[i] = ts_zeros(TS_SHAPE(D), TS_FLOAT32);
  }
  for (int step = 0; step < STEPS; step++) {
    ts_tensor *g = ts_randn(TS_SHAPE(D), TS_FLOAT32);
    for (int i = 0; i < NP; i++) {
      ts_tensor *a = ts_mul_scalar(s.m[i], 0.9);
      ts_tensor *b = ts_mul_scalar(g, 0.1);
      ts_free(s.m[i]);
      s.m[i] = ts_add(a, b);
      ts_free(a);
      ts_free(b);
    }
    ts_free(g);
    s.t++;
  }
  for (int i = 0; i < NP; i++) {
    ts_free(s.m[i]);
    ts_free(s.v[i]);
  }
}

// BUG: leak: the second moments are made but the teardown frees only the first
// moments
void optim_adam_teardown_leak(void) {
  adam_state s;
  for (int i = 0; i < NP; i++) {
    s.m[i] = ts_zeros(TS_SHAPE(D), TS_FLOAT32);
    s.v[i] = ts_zeros(TS_SHAPE(D), TS_FLOAT32); // <- BUG
  }
  for (int i = 0; i < NP; i++)
    ts_free(s.m[i]);
}

// BUG: use-after-free: the first moment is freed before the update reads it
void optim_adam_update_order(void) {
  ts_tensor *m = ts_zeros(TS_SHAPE(D), TS_FLOAT32);
  ts_tensor *g = ts_randn(TS_SHAPE(D), TS_FLOAT32);
  ts_tensor *b = ts_mul_scalar(g, 0.1);
  ts_free(m);
  ts_tensor *nm = ts_add(b, m); // <- BUG
  ts_free(nm);
  ts_free(b);
  ts_free(g);
}

// BUG: leak: the clipped gradient replaces the raw one, which is lost
void optim_clip_leak(void) {
  ts_tensor *g = ts_full(TS_SHAPE(D), TS_FLOAT32, 2.0);
  ts_tensor *sq = ts_mul(g, g);
  ts_tensor *n = ts_sum(sq);
  double norm = ts_item(n);
  ts_free(n);
  ts_free(sq);
  if (norm > 1.0)
    g = ts_mul_scalar(g, 1.0 / norm); // <- BUG
  ts_free(g);
}

// BUG: double-free: the clipped gradient and the raw one are the same handle
// when no clipping happens
void optim_clip_double(void) {
  ts_tensor *g = ts_full(TS_SHAPE(D), TS_FLOAT32, 0.01);
  ts_tensor *clipped = g;
  ts_tensor *n = ts_sum(g);
  if (ts_item(n) > 1.0)
    clipped = ts_mul_scalar(g, 0.5);
  ts_free(n);
  ts_free(clipped);
  ts_free(g); // <- BUG
}

// BUG: use-after-scope: the warm-up learning rate tensor is read after the
// TS_SCOPE block
void optim_warmup_after(void) {
  ts_tensor *lr = NULL;
  TS_SCOPE {
    ts_tensor *base = ts_full(TS_SHAPE(1), TS_FLOAT32, 0.1);
    lr = ts_mul_scalar(base, 0.5);
  }
  printf("lr %f\n", ts_item(lr)); // <- BUG
}

// OK: a caller-scope helper: the average belongs to the caller's scope
TS_CALLER_SCOPE static ts_tensor *average(const ts_tensor *a,
                                          const ts_tensor *b) {
  return ts_mul_scalar(ts_add(a, b), 0.5);
}

// BUG: use-after-scope: the average from the caller-scope helper is read after
// its block ended
void optim_average_after(void) {
  ts_tensor *a = ts_ones(TS_SHAPE(D), TS_FLOAT32);
  ts_tensor *b = ts_zeros(TS_SHAPE(D), TS_FLOAT32);
  ts_tensor *avg = NULL;
  TS_SCOPE { avg = average(a, b); }
  printf("avg %lld\n", (long long)ts_numel(avg)); // <- BUG
  ts_free(b);
  ts_free(a);
}

// BUG: use-after-scope: an accumulated gradient is read after its async scope
// ended
void optim_async_accumulate(void) {
  ts_async_scope *micro = ts_async_scope_begin();
  ts_tensor *acc = NULL;
  for (int i = 0; i < 2; i++) {
    ts_async_scope_enter(micro);
    ts_tensor *g = ts_randn(TS_SHAPE(D), TS_FLOAT32);
    acc = acc ? ts_add(acc, g) : ts_clone(g);
    ts_async_scope_leave(micro);
  }
  ts_async_scope_end(micro);
  ts_tensor *step = ts_mul_scalar(acc, 0.5); // <- BUG
  ts_free(step);
}

// BUG: leak: the accumulated gradient is kept out of the async scope and never
// freed
void optim_async_keep_leak(void) {
  ts_async_scope *micro = ts_async_scope_begin();
  ts_tensor *acc = NULL;
  ts_async_scope_enter(micro);
  ts_tensor *g = ts_randn(TS_SHAPE(D), TS_FLOAT32);
  acc = ts_keep(ts_mul_scalar(g, 2.0)); // <- BUG
  ts_async_scope_leave(micro);
  ts_async_scope_end(micro);
  printf("acc %lld\n", (long long)ts_numel(acc));
}

// BUG: double-free: the parameter list frees one parameter twice through an
// alias in the array
void optim_param_list(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(D, D), TS_FLOAT32);
  ts_tensor *b = ts_zeros(TS_SHAPE(D), TS_FLOAT32);
  ts_tensor *params[3] = {w, b, w};
  for (int i = 0; i < 3; i++)
    ts_free(params[i]); // <- BUG
}

// BUG: use-after-free: the weight average reads the snapshot freed on the
// previous line
void optim_swa(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(D), TS_FLOAT32);
  ts_tensor *snap = ts_clone(w);
  ts_free(snap);
  ts_tensor *avg = ts_add(w, snap); // <- BUG
  ts_free(avg);
  ts_free(w);
}

// BUG: leak: the scheduler's learning-rate tensor is remade each epoch without
// freeing
void optim_schedule_leak(void) {
  ts_tensor *lr = NULL;
  for (int e = 0; e < STEPS; e++) {
    lr = ts_full(TS_SHAPE(1), TS_FLOAT32, 0.1 / (e + 1)); // <- BUG
    printf("lr %f\n", ts_item(lr));
  }
  ts_free(lr);
}

// BUG: use-after-free: the gradient is freed by zeroing code and then applied
void optim_apply_after_free(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(D), TS_FLOAT32);
  ts_tensor *g = ts_randn(TS_SHAPE(D), TS_FLOAT32);
  ts_free(g);
  ts_tensor *scaled = ts_mul_scalar(g, 0.1); // <- BUG
  ts_tensor *nw = ts_sub(w, scaled);
  ts_free(nw);
  ts_free(scaled);
  ts_free(w);
}

// BUG: double-free: on the NaN path the step is skipped, and the update is
// freed twice
void optim_nan_skip(void) {
  ts_tensor *u = ts_full(TS_SHAPE(D), TS_FLOAT32, 1.0);
  ts_tensor *s = ts_sum(u);
  int skip = ts_item(s) > 0;
  ts_free(s);
  if (skip)
    ts_free(u);
  ts_free(u); // <- BUG
}

// BUG: leak: an update made in a TS_SCOPE block is kept out of it and never
// freed
void optim_keep_drop(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(D), TS_FLOAT32);
  ts_tensor *kept = NULL;
  TS_SCOPE {
    ts_tensor *u = ts_mul_scalar(w, 0.1);
    kept = ts_keep(ts_sub(w, u)); // <- BUG
  }
  printf("kept %lld\n", (long long)ts_numel(kept));
  ts_free(w);
}

// OK: gradient clipping with the replaced gradient freed
void optim_clip(void) {
  ts_tensor *g = ts_randn(TS_SHAPE(D), TS_FLOAT32);
  ts_tensor *sq = ts_mul(g, g);
  ts_tensor *n = ts_sum(sq);
  double norm = ts_item(n);
  ts_free(n);
  ts_free(sq);
  if (norm > 1.0) {
    ts_tensor *c = ts_mul_scalar(g, 1.0 / norm);
    ts_free(g);
    g = c;
  }
  ts_free(g);
}
