/*
 * heldout_registry.c - a plugin-style operator registry: operators looked
 * up by name and called through function pointers, some in place (they
 * return the handle they were given), some with a parameter tensor the
 * registry owns, a chain runner, a batch runner with a results table.
 * Held-out corpus (README.md).
 *
 * Labels: `// OK: why` or `// BUG: check: why` before each function; the
 * line of the bug ends in `// <- BUG`.
 */
#include <stdio.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define D 5
#define NOPS 4

struct op {
  const char *name;
  ts_tensor *(*apply)(ts_tensor *x, const struct op *self);
  int in_place;     /* apply returns x itself */
  ts_tensor *param; /* owned by the registry, or NULL */
};

// OK: a new tensor
static ts_tensor *op_relu(ts_tensor *x, const struct op *self) {
  (void)self;
  return ts_relu(x);
}

// OK: in place: returns x
static ts_tensor *op_sigmoid_(ts_tensor *x, const struct op *self) {
  (void)self;
  return ts_sigmoid_(x);
}

// OK: a new tensor from x and the registry's parameter
static ts_tensor *op_affine(ts_tensor *x, const struct op *self) {
  return ts_mul(x, self->param);
}

// BUG: use-after-free: the normaliser frees the sum and then reads it for
// the log line
static ts_tensor *op_normalize(ts_tensor *x, const struct op *self) {
  (void)self;
  ts_tensor *s = ts_sum(x);
  ts_tensor *out = ts_div(x, s);
  ts_free(s);
  fprintf(stderr, "normalize: %lld values over %f\n", (long long)ts_numel(out),
          ts_item(s)); // <- BUG
  return out;
}

static struct op registry[NOPS];
static int nops;

// OK: no tensor: adds an operator to the table
static struct op *reg_add(const char *name,
                          ts_tensor *(*apply)(ts_tensor *, const struct op *),
                          int in_place) {
  if (nops == NOPS)
    return NULL;
  registry[nops] = (struct op){name, apply, in_place, NULL};
  return &registry[nops++];
}

// OK: registers the basic operators; the affine one's parameter moves into
// the registry, which outlives the function
static int reg_setup(void) {
  nops = 0;
  reg_add("relu", op_relu, 0);
  reg_add("sigmoid_", op_sigmoid_, 1);
  struct op *aff = reg_add("affine", op_affine, 0);
  ts_tensor *scale = ts_full(TS_SHAPE(D), TS_FLOAT32, 0.5);
  if (!scale)
    return -1;
  aff->param = scale;
  return 0;
}

// OK: no tensor: registers the normaliser
static void reg_setup_extra(void) { reg_add("normalize", op_normalize, 0); }

// OK: frees the registry's parameters
static void reg_teardown(void) {
  for (int i = 0; i < nops; i++) {
    if (registry[i].param) {
      ts_free(registry[i].param);
      registry[i].param = NULL;
    }
  }
}

// OK: no tensor
static const struct op *reg_find(const char *name) {
  for (int i = 0; i < nops; i++)
    if (strcmp(registry[i].name, name) == 0)
      return &registry[i];
  return NULL;
}

// OK: runs named operators on a private copy of x; an in-place operator
// keeps the current tensor, any other replaces it and the old one is freed
static ts_tensor *reg_run_chain(const ts_tensor *x, const char *const *names,
                                int n) {
  ts_tensor *cur = ts_clone(x);
  for (int i = 0; i < n && cur; i++) {
    const struct op *o = reg_find(names[i]);
    if (!o)
      continue;
    if (o->in_place) {
      o->apply(cur, o);
    } else {
      ts_tensor *next = o->apply(cur, o);
      ts_free(cur);
      cur = next;
    }
  }
  return cur;
}

// OK: one chain of three operators; the result and the input are freed
void reg_chain(void) {
  static const char *const names[] = {"affine", "sigmoid_", "relu"};
  if (reg_setup() != 0)
    return;
  ts_tensor *x = ts_randn(TS_SHAPE(D), TS_FLOAT32);
  ts_tensor *y = reg_run_chain(x, names, 3);
  printf("chain -> %lld values\n", (long long)ts_numel(y));
  ts_free(y);
  ts_free(x);
  reg_teardown();
}

// OK: runs the normaliser (which reads a freed sum)
void reg_normalize(void) {
  static const char *const names[] = {"relu", "normalize"};
  if (reg_setup() != 0)
    return;
  reg_setup_extra();
  ts_tensor *x = ts_rand(TS_SHAPE(D), TS_FLOAT32);
  ts_tensor *y = reg_run_chain(x, names, 2);
  ts_free(y);
  ts_free(x);
  reg_teardown();
}

// BUG: leak: a result of the wrong size returns early without freeing it
void reg_checked_chain(void) {
  static const char *const names[] = {"relu"};
  if (reg_setup() != 0)
    return;
  ts_tensor *x = ts_randn(TS_SHAPE(2, D), TS_FLOAT32);
  ts_tensor *y = reg_run_chain(x, names, 1); // <- BUG
  if (ts_size(y, 0) != 1) {
    fprintf(stderr, "expected one row, got %lld\n", (long long)ts_size(y, 0));
    ts_free(x);
    reg_teardown();
    return;
  }
  ts_free(y);
  ts_free(x);
  reg_teardown();
}

// BUG: use-after-scope: the results table is filled inside a scope block
// and printed after it
void reg_batch_results(void) {
  static const char *const names[] = {"relu", "sigmoid_"};
  ts_tensor *results[2];
  if (reg_setup() != 0)
    return;
  TS_SCOPE {
    ts_tensor *x = ts_randn(TS_SHAPE(D), TS_FLOAT32);
    for (int i = 0; i < 2; i++)
      results[i] = reg_run_chain(x, &names[i], 1);
  }
  for (int i = 0; i < 2; i++)
    printf("%s: %lld\n", names[i], (long long)ts_numel(results[i])); // <- BUG
  reg_teardown();
}

// OK: the results table is filled in a scope but each entry is kept, and
// freed after printing
void reg_batch_kept(void) {
  static const char *const names[] = {"relu", "sigmoid_"};
  ts_tensor *results[2];
  if (reg_setup() != 0)
    return;
  TS_SCOPE {
    ts_tensor *x = ts_randn(TS_SHAPE(D), TS_FLOAT32);
    for (int i = 0; i < 2; i++)
      results[i] = ts_keep(reg_run_chain(x, &names[i], 1));
  }
  for (int i = 0; i < 2; i++) {
    printf("%s: %lld\n", names[i], (long long)ts_numel(results[i]));
    ts_free(results[i]);
  }
  reg_teardown();
}

// BUG: double-free: an in-place operator's result is the input itself,
// and both are freed
void reg_direct_inplace(void) {
  if (reg_setup() != 0)
    return;
  const struct op *o = reg_find("sigmoid_");
  ts_tensor *x = ts_randn(TS_SHAPE(D), TS_FLOAT32);
  ts_tensor *y = ts_sigmoid_(x);
  printf("%s: %lld\n", o ? o->name : "?", (long long)ts_numel(y));
  ts_free(y);
  ts_free(x); // <- BUG
  reg_teardown();
}
