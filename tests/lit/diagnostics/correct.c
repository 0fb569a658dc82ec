// RUN: %clang -fsyntax-only -Xclang -verify %tsmem -Wno-deprecated-non-prototype %s
// Correct code of every kind: not one diagnostic.
// expected-no-diagnostics
#include <tsmem.h>

struct model { ts_tensor *w; };
ts_tensor *g_cache;
void take(ts_tensor *t);
void take_any(void *p);

double freed(const ts_tensor *x) {
  ts_tensor *t = ts_relu(x);
  double v = ts_item(t);
  ts_free(t);
  return v;
}

// A variable that may hold one of two tensors, tested for NULL: on that
// edge neither exists (whichever call ran failed).
int either_or_null(int c) {
  ts_tensor *t = c ? ts_zeros(TS_SHAPE(2), TS_FLOAT32)
                   : ts_ones(TS_SHAPE(2), TS_FLOAT32);
  if (!t)
    return -1;
  ts_free(t);
  return 0;
}

int branches_or_null(int c) {
  ts_tensor *t;
  if (c)
    t = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  else
    t = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  if (t == NULL)
    return -1;
  ts_free(t);
  return 0;
}

ts_tensor *returned(const ts_tensor *x) {
  ts_tensor *t = ts_relu(x);
  ts_tensor *u = ts_mul(t, t);
  ts_free(t);
  return u;
}

double scoped(const ts_tensor *x) {
  TS_SCOPE_GUARD();
  ts_tensor *t = ts_relu(x);
  t = ts_tanh(t);
  return ts_item(ts_sum(t));
}

ts_tensor *escaped(const ts_tensor *x) {
  TS_SCOPE_GUARD();
  ts_tensor *t = ts_relu(x);
  return ts_escape(t);
}

ts_tensor *escaped_twice(const ts_tensor *x) {
  TS_SCOPE_GUARD();
  ts_tensor *r;
  {
    TS_SCOPE_GUARD();
    r = ts_escape(ts_relu(x));
  }
  return ts_escape(r);
}

ts_tensor *escaped_into_outer(const ts_tensor *x) {
  ts_tensor *r;
  {
    TS_SCOPE_GUARD();
    r = ts_scope_escape_tensor(ts_relu(x));
  }
  return r;
}

ts_tensor *kept(const ts_tensor *x) {
  TS_SCOPE_GUARD();
  ts_tensor *t = ts_keep(ts_relu(x));
  return t;
}

void pooled(ts_pool *p) {
  ts_tensor *t = ts_pool_acquire(p, TS_SHAPE(4, 4), TS_FLOAT32);
  if (!t)
    t = ts_zeros(TS_SHAPE(4, 4), TS_FLOAT32);
  (void)ts_nbytes(t);
  ts_pool_release(p, t);
}

int goto_cleanup(const ts_tensor *x) {
  int rc = -1;
  ts_tensor *a = NULL, *b = NULL, *c = NULL;
  a = ts_relu(x);
  if (!a)
    goto fail;
  b = ts_tanh(a);
  if (b == NULL)
    goto fail;
  c = ts_add(a, b);
  if (!c)
    goto fail;
  rc = (int)ts_item(c);
  ts_free(c);
fail:
  ts_free(b);
  ts_free(a);
  return rc;
}

int goto_cleanup_labels(const ts_tensor *x) {
  ts_tensor *a = ts_relu(x);
  if (!a)
    return -1;
  ts_tensor *b = ts_tanh(a);
  if (!b)
    goto free_a;
  ts_free(b);
free_a:
  ts_free(a);
  return 0;
}

void to_struct(struct model *m, const ts_tensor *x) { m->w = ts_relu(x); }
void to_global(const ts_tensor *x) { g_cache = ts_relu(x); }
void to_out_param(ts_tensor **out, const ts_tensor *x) { *out = ts_relu(x); }
void to_array(ts_tensor **arr, const ts_tensor *x) { arr[0] = ts_relu(x); }
void to_unknown(const ts_tensor *x) { take(ts_relu(x)); }
void to_void_ptr(const ts_tensor *x) { take_any(ts_relu(x)); }
void address_taken(const ts_tensor *x) {
  ts_tensor *t = ts_relu(x);
  ts_tensor **p = &t;
  take(*p);
}
struct model make_model(const ts_tensor *x) {
  struct model m = {ts_relu(x)};
  return m;
}
void through_local_struct(struct model *out, const ts_tensor *x) {
  struct model m;
  m.w = ts_relu(x);
  *out = m;
}

TS_CALLER_SCOPE ts_tensor *layer(const ts_tensor *x) {
  ts_tensor *h = ts_relu(x);
  return ts_add(h, x);
}

TS_SCOPED double scoped_fn(const ts_tensor *x) {
  ts_tensor *h = ts_relu(x);
  return ts_item(ts_sum(h));
}

TS_SCOPED ts_tensor *scoped_fn_escape(const ts_tensor *x) {
  return ts_escape(ts_relu(x));
}

static void *step(void *ctx) {
  const ts_tensor *x = ctx;
  ts_tensor *h = ts_relu(x);
  (void)ts_item(ts_sum(h));
  return NULL;
}
void run_step(ts_tensor *x) { (void)ts_run(step, x); }

ts_tensor *manual_scope(const ts_tensor *x) {
  ts_scope_id s = ts_scope_begin();
  ts_tensor *t = ts_relu(x);
  ts_tensor *r = ts_escape(ts_tanh(t));
  ts_scope_end(s);
  return r;
}

void loop_free(const ts_tensor *x, int n) {
  for (int i = 0; i < n; i++) {
    ts_tensor *t = ts_relu(x);
    (void)ts_item(t);
    ts_free(t);
  }
}

ts_tensor *loop_replace(const ts_tensor *x, int n) {
  ts_tensor *t = ts_clone(x);
  for (int i = 0; i < n; i++) {
    ts_tensor *next = ts_relu(t);
    ts_free(t);
    t = next;
  }
  return t;
}

void loop_scoped(const ts_tensor *x, int n) {
  for (int i = 0; i < n; i++) {
    TS_SCOPE_GUARD();
    ts_tensor *t = ts_relu(x);
    if (ts_item(t) > 1)
      continue;
    if (ts_item(t) > 2)
      break;
  }
}

void conditional_replace(ts_tensor *x, int c) {
  ts_tensor *t = ts_clone(x);
  if (c) {
    ts_free(t);
    t = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  }
  ts_free(t);
}

void freed_then_nulled(const ts_tensor *x, int c) {
  ts_tensor *t = ts_relu(x);
  if (c) {
    ts_free(t);
    t = NULL;
  }
  if (t)
    ts_free(t);
}

void registered(const ts_tensor *x) {
  TS_SCOPE_GUARD();
  ts_tensor *t = ts_relu(x);
  ts_scope_register_tensor(t);
}

void consumed_by_user(ts_tensor *x);
TS_CONSUMES(1) void sink(ts_tensor *t);
void consuming_user_fn(const ts_tensor *x) {
  ts_tensor *t = ts_relu(x);
  sink(t);
}

ts_tensor *ternary(const ts_tensor *x, int c) {
  ts_tensor *t = c ? ts_relu(x) : ts_tanh(x);
  return t;
}

void abort_path(const ts_tensor *x) {
  ts_tensor *t = ts_relu(x);
  if (!x)
    __builtin_abort();
  ts_free(t);
}

void null_checked(const ts_tensor *x) {
  ts_tensor *t = ts_relu(x);
  if (t == NULL)
    return;
  ts_free(t);
}

void use_before_scope_end(const ts_tensor *x) {
  ts_tensor *out;
  {
    TS_SCOPE_GUARD();
    out = ts_relu(x);
    (void)ts_item(out);
  }
}

static ts_tensor *helper_returns(const ts_tensor *x) { return ts_relu(x); }
void via_helper(const ts_tensor *x) { ts_free(helper_returns(x)); }

void krstyle(a) ts_tensor *a; { ts_free(a); }

struct job { ts_async_scope *scope; ts_scope_id id; ts_tensor *v; };
void async_made(struct job *j, const ts_tensor *x) {
  ts_async_scope_enter(j->scope);
  ts_tensor *t = ts_relu(x);
  (void)ts_item(t);
  ts_async_scope_leave(j->scope);
}
void scope_id_in_struct(struct job *j, const ts_tensor *x) {
  j->id = ts_scope_begin();
  ts_tensor *t = ts_relu(x);
  (void)ts_item(t);
  ts_scope_end(j->id);
}
void manual_scope_goto(const ts_tensor *x) {
  ts_scope_id s = ts_scope_begin();
  ts_tensor *t = ts_relu(x);
  if (!t)
    goto out;
  (void)ts_item(ts_sum(t));
out:
  ts_scope_end(s);
}

static void *step_via_pointer(void *ctx) {
  const ts_tensor *x = ctx;
  ts_tensor *h = ts_relu(x);
  return ts_item(h) > 0 ? ctx : NULL;
}
struct task { void *(*fn)(void *); void *ctx; };
void *run_task(struct task *t) { return ts_run(t->fn, t->ctx); }
void make_task(struct task *t, ts_tensor *x) {
  t->fn = step_via_pointer;
  t->ctx = x;
}
