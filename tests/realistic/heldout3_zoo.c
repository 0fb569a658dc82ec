/* heldout3_zoo.c - a model zoo: models as C "classes" with a table of
 * operations (init, forward, destroy), a registry looked up by name,
 * heap-allocated model objects, cloning, ensembles, weight visitors
 * through callbacks.
 * Labels: tests/realistic/README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { FIN = 6, FOUT = 2, MAXW = 4 };

struct model;

struct model_ops {
  const char *name;
  int (*init)(struct model *m);
  ts_tensor *(*forward)(const struct model *m, const ts_tensor *x); /* owned */
  void (*destroy)(struct model *m);
};

struct model {
  const struct model_ops *ops;
  ts_tensor *w[MAXW];
  int nw;
};

typedef void (*weight_cb)(const char *model, int i, const ts_tensor *w,
                          void *ctx);

// OK: prints a mean from a guard scope
static void show_mean(const char *what, const ts_tensor *t) {
  TS_SCOPE_GUARD();
  printf("%s %.4f\n", what, ts_item(ts_mean(t)));
}

// OK: a linear model's weight and bias
static int linear_init(struct model *m) {
  m->w[0] = ts_randn(TS_SHAPE(FIN, FOUT), TS_FLOAT32);
  if (!m->w[0])
    return -1;
  m->w[1] = ts_zeros(TS_SHAPE(FOUT), TS_FLOAT32);
  if (!m->w[1]) {
    ts_free(m->w[0]);
    return -1;
  }
  m->nw = 2;
  return 0;
}

// OK: x W + b, a new tensor
static ts_tensor *linear_forward(const struct model *m, const ts_tensor *x) {
  ts_tensor *y = ts_matmul(x, m->w[0]);
  ts_add_Tensor_(y, m->w[1], 1.0);
  return y;
}

// OK: frees the model's tensors (the object is the registry's)
static void generic_destroy(struct model *m) {
  for (int i = 0; i < m->nw; i++)
    ts_free(m->w[i]);
  m->nw = 0;
}

// OK: two layers; a failure frees the ones made (goto chain)
static int mlp_init(struct model *m) {
  m->w[0] = ts_randn(TS_SHAPE(FIN, 8), TS_FLOAT32);
  if (!m->w[0])
    goto fail0;
  m->w[1] = ts_zeros(TS_SHAPE(8), TS_FLOAT32);
  if (!m->w[1])
    goto fail1;
  m->w[2] = ts_randn(TS_SHAPE(8, FOUT), TS_FLOAT32);
  if (!m->w[2])
    goto fail2;
  m->nw = 3;
  return 0;
fail2:
  ts_free(m->w[1]);
fail1:
  ts_free(m->w[0]);
fail0:
  return -1;
}

// OK: relu(x W1 + b1) W2, the temporaries in a guard scope, the result
// escaped
static ts_tensor *mlp_forward(const struct model *m, const ts_tensor *x) {
  TS_SCOPE_GUARD();
  ts_tensor *h = ts_add(ts_matmul(x, m->w[0]), m->w[1]);
  ts_relu_(h);
  return ts_escape(ts_matmul(h, m->w[2]));
}

// OK: a fixed projection whose output is scaled by a learned scalar
static int scaled_init(struct model *m) {
  m->nw = 0;
  m->w[0] = ts_full(TS_SHAPE(1), TS_FLOAT32, 0.5);
  m->w[1] = ts_ones(TS_SHAPE(FIN, FOUT), TS_FLOAT32);
  if (!m->w[0] || !m->w[1]) {
    if (m->w[0])
      ts_free(m->w[0]);
    if (m->w[1])
      ts_free(m->w[1]);
    return -1;
  }
  m->nw = 2;
  return 0;
}

// OK: (x P) * s, the product scaled in place
static ts_tensor *scaled_forward(const struct model *m, const ts_tensor *x) {
  ts_tensor *y = ts_matmul(x, m->w[1]);
  ts_mul_Tensor_(y, m->w[0]);
  return y;
}

static const struct model_ops ZOO[] = {
    {"linear", linear_init, linear_forward, generic_destroy},
    {"mlp", mlp_init, mlp_forward, generic_destroy},
    {"scaled", scaled_init, scaled_forward, generic_destroy},
};

// OK: the operations of a named model, NULL when unknown
static const struct model_ops *zoo_find(const char *name) {
  for (size_t i = 0; i < sizeof ZOO / sizeof ZOO[0]; i++)
    if (strcmp(ZOO[i].name, name) == 0)
      return &ZOO[i];
  return NULL;
}

// OK: a heap model of a named kind; NULL on an unknown name or a failed init
static struct model *model_create(const char *name) {
  const struct model_ops *ops = zoo_find(name);
  if (!ops)
    return NULL;
  struct model *m = calloc(1, sizeof *m);
  if (!m)
    return NULL;
  m->ops = ops;
  if (ops->init(m) != 0) {
    free(m);
    return NULL;
  }
  return m;
}

// OK: destroys a model object and its tensors
static void model_destroy(struct model *m) {
  if (!m)
    return;
  m->ops->destroy(m);
  free(m);
}

// OK: each implementation called directly, as a unit test would
void zoo_direct_calls(void) {
  struct model a = {0}, b = {0}, c = {0};
  ts_tensor *x = ts_randn(TS_SHAPE(3, FIN), TS_FLOAT32);
  if (linear_init(&a) == 0) {
    ts_tensor *y = linear_forward(&a, x);
    show_mean("linear", y);
    ts_free(y);
    generic_destroy(&a);
  }
  if (mlp_init(&b) == 0) {
    ts_tensor *y = mlp_forward(&b, x);
    show_mean("mlp", y);
    ts_free(y);
    generic_destroy(&b);
  }
  if (scaled_init(&c) == 0) {
    ts_tensor *y = scaled_forward(&c, x);
    show_mean("scaled", y);
    ts_free(y);
  }
  generic_destroy(&c);
  ts_free(x);
}

// OK: every registered model through the registry
void zoo_all_models(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(4, FIN), TS_FLOAT32);
  const char *names[] = {"linear", "mlp", "scaled", "transformer"};
  for (int i = 0; i < 4; i++) {
    struct model *m = model_create(names[i]);
    if (!m) {
      printf("%s: not in the zoo\n", names[i]);
      continue;
    }
    ts_tensor *y = m->ops->forward(m, x);
    show_mean(names[i], y);
    ts_free(y);
    model_destroy(m);
  }
  ts_free(x);
}

// BUG: leak: the comparison frees the first model's output but not the
// second's
void zoo_compare(void) {
  struct model *a = model_create("linear");
  struct model *b = model_create("mlp");
  if (!a || !b) {
    model_destroy(a);
    model_destroy(b);
    return;
  }
  ts_tensor *x = ts_randn(TS_SHAPE(5, FIN), TS_FLOAT32);
  ts_tensor *ya = a->ops->forward(a, x);
  ts_tensor *yb = b->ops->forward(b, x); // <- BUG
  ts_tensor *d = ts_sub(ya, yb);
  show_mean("difference", d);
  ts_free(d);
  ts_free(ya);
  ts_free(x);
  model_destroy(b);
  model_destroy(a);
}

// BUG: double-free: the second model borrows the first one's weight, and
// each destroy frees it
void zoo_share_weights(void) {
  struct model *a = model_create("linear");
  struct model *b = model_create("linear");
  if (!a || !b) {
    model_destroy(a);
    model_destroy(b);
    return;
  }
  ts_free(b->w[0]);
  b->w[0] = a->w[0];
  ts_tensor *x = ts_randn(TS_SHAPE(2, FIN), TS_FLOAT32);
  ts_tensor *y = b->ops->forward(b, x);
  show_mean("shared", y);
  ts_free(y);
  ts_free(x);
  model_destroy(a);
  model_destroy(b); // <- BUG
}

// OK: sharing done right: the second model gets a copy of the weight
void zoo_copy_weights(void) {
  struct model *a = model_create("linear");
  struct model *b = model_create("linear");
  if (a && b) {
    ts_free(b->w[0]);
    b->w[0] = ts_clone(a->w[0]);
    ts_tensor *x = ts_randn(TS_SHAPE(2, FIN), TS_FLOAT32);
    ts_tensor *ya = a->ops->forward(a, x);
    ts_tensor *yb = b->ops->forward(b, x);
    ts_tensor *d = ts_sub(ya, yb);
    show_mean("copy difference", d);
    ts_free(d);
    ts_free(yb);
    ts_free(ya);
    ts_free(x);
  }
  model_destroy(a);
  model_destroy(b);
}

// BUG: use-after-free: a borrowed weight handle is read after the model that
// owned it was destroyed
void zoo_weight_after_destroy(void) {
  struct model *m = model_create("mlp");
  if (!m)
    return;
  const ts_tensor *first = m->w[0];
  model_destroy(m);
  show_mean("first layer", first); // <- BUG
}

// OK: the ensemble mean of several models' outputs, built with escapes out
// of a scoped loop
void zoo_ensemble(void) {
  const char *names[] = {"linear", "mlp", "scaled"};
  struct model *ms[3];
  for (int i = 0; i < 3; i++)
    ms[i] = model_create(names[i]);
  ts_tensor *x = ts_randn(TS_SHAPE(4, FIN), TS_FLOAT32);
  ts_tensor *outs[3];
  int n = 0;
  TS_SCOPE for (int i = 0; i < 3; i++) {
    if (!ms[i])
      continue;
    outs[n++] = ts_escape(ms[i]->ops->forward(ms[i], x));
  }
  if (n > 0) {
    ts_tensor *st = ts_stack((const ts_tensor *const *)outs, n, 0);
    ts_tensor *avg = ts_mean_dim(st, TS_SHAPE(0), false, TS_NO_DTYPE);
    show_mean("ensemble", avg);
    ts_free(avg);
    ts_free(st);
  }
  for (int i = 0; i < n; i++)
    ts_free(outs[i]);
  for (int i = 0; i < 3; i++)
    model_destroy(ms[i]);
  ts_free(x);
}

// BUG: use-after-scope: the members' outputs are kept from the scoped loop
// without an escape
void zoo_ensemble_noescape(void) {
  const char *names[] = {"linear", "scaled"};
  struct model *ms[2];
  for (int i = 0; i < 2; i++)
    ms[i] = model_create(names[i]);
  ts_tensor *x = ts_randn(TS_SHAPE(4, FIN), TS_FLOAT32);
  ts_tensor *outs[2];
  TS_SCOPE for (int i = 0; i < 2; i++) {
    outs[i] = ms[i]->ops->forward(ms[i], x);
  }
  ts_tensor *st = ts_stack((const ts_tensor *const *)outs, 2, 0); // <- BUG
  ts_free(st);
  for (int i = 0; i < 2; i++)
    model_destroy(ms[i]);
  ts_free(x);
}

// OK: softmax probabilities through a model, escaped from the scoped helper
TS_SCOPED static ts_tensor *predict_proba(const struct model *m,
                                          const ts_tensor *x) {
  ts_tensor *logits = m->ops->forward(m, x);
  return ts_escape(ts_softmax(logits, 1));
}

// BUG: unescaped-return: the predicted classes are returned from the scoped
// helper without ts_escape
TS_SCOPED static ts_tensor *predict_class(const struct model *m,
                                          const ts_tensor *x) {
  ts_tensor *logits = m->ops->forward(m, x);
  return ts_argmax_dim(logits, 1); // <- BUG
}

// OK: probabilities from the mlp
void zoo_proba(void) {
  struct model *m = model_create("mlp");
  if (!m)
    return;
  ts_tensor *x = ts_randn(TS_SHAPE(3, FIN), TS_FLOAT32);
  ts_tensor *p = predict_proba(m, x);
  show_mean("proba", p);
  ts_free(p);
  ts_free(x);
  model_destroy(m);
}

// OK: classes used as if escaped (the helper is wrong)
void zoo_classes(void) {
  struct model *m = model_create("linear");
  if (!m)
    return;
  ts_tensor *x = ts_randn(TS_SHAPE(3, FIN), TS_FLOAT32);
  ts_tensor *c = predict_class(m, x);
  show_mean("classes", c);
  ts_free(c);
  ts_free(x);
  model_destroy(m);
}

// OK: a copy of a model of the same kind with its weights copied in;
// NULL (nothing left behind) when the kinds differ
static struct model *model_clone_as(const char *name, const struct model *src) {
  struct model *m = model_create(name);
  if (!m)
    return NULL;
  if (m->nw != src->nw) {
    model_destroy(m);
    return NULL;
  }
  for (int i = 0; i < m->nw; i++)
    ts_copy_(m->w[i], src->w[i], false);
  return m;
}

// BUG: leak: the mismatched clone frees the object but not its tensors
static struct model *model_clone_fast(const char *name,
                                      const struct model *src) {
  struct model *m = model_create(name); // <- BUG
  if (!m)
    return NULL;
  if (m->nw != src->nw) {
    free(m);
    return NULL;
  }
  for (int i = 0; i < m->nw; i++)
    ts_copy_(m->w[i], src->w[i], false);
  return m;
}

// OK: clones into a matching and a mismatching kind
void zoo_clone(void) {
  struct model *a = model_create("linear");
  if (!a)
    return;
  struct model *b = model_clone_as("linear", a);
  struct model *c = model_clone_as("mlp", a);
  printf("clones %s %s\n", b ? "ok" : "refused", c ? "ok" : "refused");
  model_destroy(c);
  model_destroy(b);
  model_destroy(a);
}

// OK: the fast clone into a mismatching kind (the clone leaks)
void zoo_clone_fast(void) {
  struct model *a = model_create("linear");
  if (!a)
    return;
  struct model *c = model_clone_fast("mlp", a);
  model_destroy(c);
  model_destroy(a);
}

// OK: visits every weight of a model
static void for_each_weight(const struct model *m, weight_cb cb, void *ctx) {
  for (int i = 0; i < m->nw; i++)
    cb(m->ops->name, i, m->w[i], ctx);
}

// OK: adds the weight's squared norm to a double
static void norm_cb(const char *model, int i, const ts_tensor *w, void *ctx) {
  ts_tensor *n = ts_norm_Scalar(w, 2.0);
  double v = ts_item(n);
  ts_free(n);
  *(double *)ctx += v * v;
  (void)model;
  (void)i;
}

// BUG: leak: the visitor prints each weight's maximum and drops the tensor
static void max_cb(const char *model, int i, const ts_tensor *w, void *ctx) {
  ts_tensor *mx = ts_max(w); // <- BUG
  printf("%s[%d] max %.3f\n", model, i, ts_item(mx));
  (void)ctx;
}

// OK: the total squared norm of the mlp's weights
void zoo_weight_norms(void) {
  struct model *m = model_create("mlp");
  if (!m)
    return;
  double total = 0.0;
  for_each_weight(m, norm_cb, &total);
  printf("squared norm %.3f\n", total);
  model_destroy(m);
}

// OK: the maxima of the linear model's weights (the visitor leaks)
void zoo_weight_max(void) {
  struct model *m = model_create("linear");
  if (!m)
    return;
  for_each_weight(m, max_cb, NULL);
  model_destroy(m);
}

// BUG: leak: the model created for a probe is never destroyed
void zoo_probe_leak(void) {
  struct model *m = model_create("scaled"); // <- BUG
  if (!m)
    return;
  ts_tensor *x = ts_ones(TS_SHAPE(1, FIN), TS_FLOAT32);
  ts_tensor *y = m->ops->forward(m, x);
  show_mean("probe", y);
  ts_free(y);
  ts_free(x);
  free(m);
}

// BUG: double-free: the output is freed in the NaN check and again at the
// end
void zoo_nan_check(void) {
  struct model *m = model_create("linear");
  if (!m)
    return;
  ts_tensor *x = ts_randn(TS_SHAPE(2, FIN), TS_FLOAT32);
  ts_tensor *y = m->ops->forward(m, x);
  ts_tensor *bad = ts_isnan(y);
  ts_tensor *any = ts_any(bad);
  ts_free(bad);
  if (ts_item(any) == 0.0)
    ts_free(y);
  ts_free(any);
  ts_free(y); // <- BUG
  ts_free(x);
  model_destroy(m);
}

// BUG: use-after-free: the input is freed before the second model reads it
void zoo_input_freed(void) {
  struct model *a = model_create("linear");
  struct model *b = model_create("mlp");
  if (a && b) {
    ts_tensor *x = ts_randn(TS_SHAPE(2, FIN), TS_FLOAT32);
    ts_tensor *ya = a->ops->forward(a, x);
    ts_free(x);
    ts_tensor *yb = b->ops->forward(b, x); // <- BUG
    ts_free(yb);
    ts_free(ya);
  }
  model_destroy(a);
  model_destroy(b);
}

// BUG: leak: the first model of a replaced pointer is never destroyed
void zoo_replace_model(void) {
  struct model *m = model_create("linear"); // <- BUG
  m = model_create("mlp");
  if (!m)
    return;
  ts_tensor *x = ts_randn(TS_SHAPE(2, FIN), TS_FLOAT32);
  ts_tensor *y = m->ops->forward(m, x);
  ts_free(y);
  ts_free(x);
  model_destroy(m);
}

// BUG: double-free: the weights are destroyed by the generic teardown and
// then the model object is destroyed through the registry as well
void zoo_destroy_twice(void) {
  struct model *m = model_create("linear");
  if (!m)
    return;
  int nw = m->nw;
  m->ops->destroy(m);
  m->nw = nw;
  model_destroy(m); // <- BUG
}
