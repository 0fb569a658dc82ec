/*
 * model.c - a two-layer model kept in a struct: init with goto-cleanup
 * error chains, teardown, forward passes, layers kept in arrays,
 * checkpoints copied into structs returned by value.
 *
 * Labels (see README.md): `// OK: why` or `// BUG: check: why` on the line
 * before each function; the line of the bug itself ends in `// <- BUG`.
 */
#include <stdio.h>
#include <string.h>
#include <tsmem.h>

enum { IN = 4, HID = 6, OUT = 2, BATCH = 5, NLAYERS = 3 };

typedef struct {
  ts_tensor *w1, *b1, *w2, *b2;
} mlp;

typedef struct {
  ts_tensor *w[NLAYERS];
  int n;
} stack_model;

typedef struct {
  ts_tensor *weights;
  double loss;
} checkpoint;

/* How many parameters init may make before it "fails" (0: never). */
static int fail_after;

// OK: makes a parameter, or fails on demand (NULL); the caller owns the result
static ts_tensor *param(int64_t r, int64_t c, int *made) {
  if (fail_after && *made >= fail_after)
    return NULL;
  ++*made;
  return ts_randn(TS_SHAPE(r, c), TS_FLOAT32);
}

// OK: the goto-cleanup chain frees every parameter made before the failure
static int mlp_init(mlp *m) {
  int made = 0;
  memset(m, 0, sizeof *m);
  m->w1 = param(IN, HID, &made);
  if (!m->w1)
    goto fail;
  m->b1 = param(1, HID, &made);
  if (!m->b1)
    goto fail_w1;
  m->w2 = param(HID, OUT, &made);
  if (!m->w2)
    goto fail_b1;
  m->b2 = param(1, OUT, &made);
  if (!m->b2)
    goto fail_w2;
  return 0;
fail_w2:
  ts_free(m->w2);
fail_b1:
  ts_free(m->b1);
fail_w1:
  ts_free(m->w1);
fail:
  return -1;
}

// OK: teardown frees the four parameters
static void mlp_free(mlp *m) {
  ts_free(m->w1);
  ts_free(m->b1);
  ts_free(m->w2);
  ts_free(m->b2);
}

// OK: the forward pass runs in its caller's scope
TS_CALLER_SCOPE static ts_tensor *mlp_forward(const mlp *m,
                                              const ts_tensor *x) {
  ts_tensor *h = ts_relu(ts_add(ts_matmul(x, m->w1), m->b1));
  return ts_add(ts_matmul(h, m->w2), m->b2);
}

// OK: init, a scoped forward pass, teardown
void model_lifecycle(void) {
  mlp m;
  fail_after = 0;
  if (mlp_init(&m) != 0)
    return;
  TS_SCOPE {
    ts_tensor *x = ts_randn(TS_SHAPE(BATCH, IN), TS_FLOAT32);
    ts_tensor *y = mlp_forward(&m, x);
    printf("out %f\n", ts_item(ts_sum(y)));
  }
  mlp_free(&m);
}

// OK: init fails half way; the chain cleans up and nothing is left
void model_init_fails(void) {
  mlp m;
  fail_after = 2;
  if (mlp_init(&m) != 0)
    printf("init failed as planned\n");
  fail_after = 0;
}

// BUG: leak: the error chain jumps past the free of b1 when w2 fails
static int mlp_init_skip(mlp *m) {
  int made = 0;
  m->w1 = param(IN, HID, &made);
  if (!m->w1)
    return -1;
  m->b1 = param(1, HID, &made);
  if (!m->b1)
    goto fail_w1;
  m->w2 = param(HID, OUT, &made);
  if (!m->w2)
    goto fail_w1; // <- BUG
  m->b2 = param(1, OUT, &made);
  if (!m->b2)
    goto fail_w2;
  return 0;
fail_w2:
  ts_free(m->w2);
  ts_free(m->b1);
fail_w1:
  ts_free(m->w1);
  return -1;
}

// OK: drives the faulty init into its bad error path (the bug is the callee's)
void model_init_skip_fails(void) {
  mlp m;
  fail_after = 2;
  mlp_init_skip(&m);
  fail_after = 0;
}

// BUG: use-after-free: the model is torn down before the final evaluation
void model_eval_after_teardown(void) {
  mlp m;
  fail_after = 0;
  if (mlp_init(&m) != 0)
    return;
  mlp_free(&m);
  TS_SCOPE {
    ts_tensor *x = ts_randn(TS_SHAPE(BATCH, IN), TS_FLOAT32);
    ts_tensor *y = mlp_forward(&m, x); // <- BUG
    printf("out %f\n", ts_item(ts_sum(y)));
  }
}

// BUG: double-free: the teardown helper frees w1, then the caller frees it
// again
void model_double_teardown(void) {
  mlp m;
  fail_after = 0;
  if (mlp_init(&m) != 0)
    return;
  mlp_free(&m);
  ts_free(m.w1); // <- BUG
}

// OK: layers in a fixed array, made and freed in loops
void model_stack_loops(void) {
  stack_model s;
  s.n = NLAYERS;
  for (int i = 0; i < s.n; i++)
    s.w[i] = ts_randn(TS_SHAPE(HID, HID), TS_FLOAT32);
  TS_SCOPE {
    ts_tensor *h = ts_randn(TS_SHAPE(BATCH, HID), TS_FLOAT32);
    for (int i = 0; i < s.n; i++)
      h = ts_tanh(ts_matmul(h, s.w[i]));
    printf("stack %f\n", ts_item(ts_sum(h)));
  }
  for (int i = 0; i < s.n; i++)
    ts_free(s.w[i]);
}

// BUG: leak: the teardown loop stops one layer short
void model_stack_off_by_one(void) {
  stack_model s;
  s.n = NLAYERS;
  for (int i = 0; i < NLAYERS; i++)
    s.w[i] = ts_randn(TS_SHAPE(HID, HID), TS_FLOAT32);
  for (int i = 0; i < NLAYERS - 1; i++) // <- BUG
    ts_free(s.w[i]);
}

// BUG: leak: a local array of layers with constant indices, the last one never
// freed
void model_array_const_leak(void) {
  ts_tensor *layer[3];
  layer[0] = ts_randn(TS_SHAPE(IN, HID), TS_FLOAT32);
  layer[1] = ts_randn(TS_SHAPE(HID, HID), TS_FLOAT32);
  layer[2] = ts_randn(TS_SHAPE(HID, OUT), TS_FLOAT32); // <- BUG
  printf("layers %lld\n", (long long)ts_numel(layer[1]));
  ts_free(layer[0]);
  ts_free(layer[1]);
}

// OK: a local array of layers with constant indices, all freed
void model_array_const(void) {
  ts_tensor *layer[3];
  layer[0] = ts_randn(TS_SHAPE(IN, HID), TS_FLOAT32);
  layer[1] = ts_randn(TS_SHAPE(HID, HID), TS_FLOAT32);
  layer[2] = ts_randn(TS_SHAPE(HID, OUT), TS_FLOAT32);
  printf("layers %lld\n", (long long)ts_numel(layer[2]));
  ts_free(layer[0]);
  ts_free(layer[1]);
  ts_free(layer[2]);
}

// OK: returns a checkpoint struct by value that owns a clone of the weights
static checkpoint make_checkpoint(const ts_tensor *w, double loss) {
  checkpoint c;
  c.weights = ts_clone(w);
  c.loss = loss;
  return c;
}

// OK: keeps a checkpoint struct returned by value and frees its tensor
void model_checkpoint(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(IN, OUT), TS_FLOAT32);
  checkpoint c = make_checkpoint(w, 0.5);
  ts_free(w);
  printf("checkpoint %lld at %f\n", (long long)ts_numel(c.weights), c.loss);
  ts_free(c.weights);
}

// BUG: leak: the checkpoint struct returned by value dies with its tensor
void model_checkpoint_dropped(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(IN, OUT), TS_FLOAT32);
  checkpoint c = make_checkpoint(w, 0.5);
  printf("checkpoint at %f\n", c.loss);
  ts_free(w);
} // <- BUG

// BUG: use-after-free: the checkpoint holds an alias of the freed weights
void model_checkpoint_alias(void) {
  ts_tensor *w = ts_randn(TS_SHAPE(IN, OUT), TS_FLOAT32);
  checkpoint c;
  c.weights = w;
  c.loss = 0.25;
  ts_free(w);
  printf("checkpoint %lld\n", (long long)ts_numel(c.weights)); // <- BUG
}

// OK: swapping a model's weights through a temporary, the old ones freed once
void model_swap_weights(void) {
  mlp m;
  fail_after = 0;
  if (mlp_init(&m) != 0)
    return;
  ts_tensor *old = m.w2;
  m.w2 = ts_mul_scalar(old, 0.5);
  ts_free(old);
  mlp_free(&m);
}

// BUG: double-free: the old weights are freed through the alias and through the
// struct
void model_swap_weights_twice(void) {
  mlp m;
  fail_after = 0;
  if (mlp_init(&m) != 0)
    return;
  ts_tensor *old = m.w2;
  ts_tensor *fresh = ts_mul_scalar(old, 0.5);
  ts_free(old);
  mlp_free(&m); // <- BUG
  ts_free(fresh);
}

// BUG: use-after-free: the first layer is measured after the teardown loop
// freed it
void model_stack_size_after_free(void) {
  stack_model s;
  s.n = NLAYERS;
  for (int i = 0; i < s.n; i++)
    s.w[i] = ts_randn(TS_SHAPE(HID, HID), TS_FLOAT32);
  for (int i = 0; i < s.n; i++)
    ts_free(s.w[i]);
  printf("first layer %lld\n", (long long)ts_numel(s.w[0])); // <- BUG
}
