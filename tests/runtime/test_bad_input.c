/*
 * test_bad_input.c - the bad-input catalogue: every runtime call of SPEC
 * section 3 fed what it must refuse.
 *
 * Table-driven. A case is one bad call and the status it must give. Cases
 * that take a tensor handle run once per kind of bad handle: NULL
 * (TS_ERR_NULL), freed, released to a pool, never issued, and a forged
 * generation of a live handle (TS_ERR_STALE_HANDLE). For each run the
 * catalogue checks the status (returned, or ts_last_status() for calls that
 * return something else), that ts_last_error() names the call and gives a
 * fix ("<call>: <cause>; <fix>"), that a tensor-making call returned NULL,
 * and that nothing leaked or moved: live tensors, scope depth, the pool's
 * size and statistics are as before, and the fixture's live tensor still
 * works. A crash is a runtime bug. The number of checked calls is printed.
 */
#include "check.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

/* ------------------------------------------------------------- fixture -- */

typedef struct fix {
  ts_tensor *live; /* float32 [2,3], manual */
  ts_tensor *i64;  /* int64 [2], manual */
  ts_tensor *bad;  /* the bad handle of this run (H_ANY cases) */
  ts_tensor *freed, *released, *never, *forged;
  ts_pool *pool, *dead_pool;
  ts_async_scope *async, *dead_async;
} fix;

static void fix_init(fix *f) {
  memset(f, 0, sizeof *f);
  f->live = ts_ones(TS_SHAPE(2, 3), TS_FLOAT32);
  f->i64 = ts_from_buffer((const int64_t[]){0, 1}, TS_SHAPE(2), TS_INT64);
  f->pool = ts_pool_new(4);
  f->freed = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  ts_free(f->freed);
  f->released = ts_zeros(TS_SHAPE(3), TS_FLOAT32);
  ts_pool_release(f->pool, f->released);
  /* Never issued: an integer, and a live handle with another generation. */
  f->never = (ts_tensor *)(uintptr_t)0x1234;
  f->forged = (ts_tensor *)((uintptr_t)f->live ^ ((uintptr_t)1 << 27));
  f->dead_pool = ts_pool_new(0);
  ts_pool_destroy(f->dead_pool);
  f->async = ts_async_scope_begin();
  f->dead_async = ts_async_scope_begin();
  ts_async_scope_end(f->dead_async);
  CHECK(f->live && f->i64 && f->pool && f->async);
  ts_clear_error();
}

static void fix_fini(fix *f) {
  CHECK_EQ(ts_free(f->live), TS_OK);
  CHECK_EQ(ts_free(f->i64), TS_OK);
  CHECK_EQ(ts_async_scope_end(f->async), TS_OK);
  ts_pool_destroy(f->pool);
  CHECK_EQ(ts_last_status(), TS_OK);
}

/* --------------------------------------------------------------- cases -- */

/* A case makes its bad call through snap(), which records the status and
 * the message right after it (the case may clean up afterwards), and
 * returns that status, or BAD_RESULT when the call gave a result it must
 * not give on error (a tensor, a value). */
#define BAD_RESULT ((ts_status)-1)

static bool snapped;
static ts_status snap_status;
static char snap_msg[1024];

static ts_status snap(ts_status st) {
  snapped = true;
  snap_status = ts_last_status();
  snprintf(snap_msg, sizeof snap_msg, "%s", ts_last_error());
  return st;
}

/* Tensor-making calls: NULL and the error. */
static ts_status made(const void *result) {
  ts_status st = snap(ts_last_status());
  return result ? BAD_RESULT : st;
}

/* Calls with a non-status result: the error value, then the status. */
#define RETURNS(expr, errval)                                                  \
  do {                                                                         \
    bool ok_ = (expr) == (errval);                                             \
    ts_status st_ = snap(ts_last_status());                                    \
    return ok_ ? st_ : BAD_RESULT;                                             \
  } while (0)

typedef enum { H_NONE, H_ANY } hkind;

typedef struct bad_case {
  const char *call; /* the public call the message must name */
  const char *what;
  hkind kind;     /* H_ANY: run with each bad handle in f->bad */
  ts_status want; /* H_NONE only */
  ts_status (*run)(fix *f);
} bad_case;

#define FN(name) static ts_status name(fix *f)
#define UNUSED (void)f

static const int64_t SHAPE23[] = {2, 3};

/* Factories: the six that take (shape, ndim, dtype). */
typedef ts_tensor *(*factory)(const int64_t *, int, ts_dtype);
static ts_tensor *full1(const int64_t *s, int n, ts_dtype d) {
  return ts_full(s, n, d, 1.0);
}
static const struct {
  const char *call;
  factory fn;
} FACTORIES[] = {{"ts_empty", ts_empty}, {"ts_zeros", ts_zeros},
                 {"ts_ones", ts_ones},   {"ts_rand", ts_rand},
                 {"ts_randn", ts_randn}, {"ts_full", full1}};
enum { NFACTORIES = sizeof FACTORIES / sizeof FACTORIES[0] };

/* Run with the factory named by the case's call. */
static factory factory_of(const char *call) {
  for (int i = 0; i < NFACTORIES; i++)
    if (!strcmp(FACTORIES[i].call, call))
      return FACTORIES[i].fn;
  return NULL;
}
static const char *cur_call;
FN(fac_bad_dtype) {
  UNUSED;
  return made(factory_of(cur_call)(SHAPE23, 2, (ts_dtype)99));
}
FN(fac_neg_dtype) {
  UNUSED;
  return made(factory_of(cur_call)(SHAPE23, 2, (ts_dtype)-1));
}
FN(fac_neg_ndim) {
  UNUSED;
  return made(factory_of(cur_call)(SHAPE23, -1, TS_FLOAT32));
}
FN(fac_huge_ndim) {
  UNUSED;
  return made(factory_of(cur_call)(SHAPE23, 1000, TS_FLOAT32));
}
FN(fac_null_shape) {
  UNUSED;
  return made(factory_of(cur_call)(NULL, 2, TS_FLOAT32));
}
FN(fac_neg_size) {
  UNUSED;
  return made(factory_of(cur_call)(TS_SHAPE(2, -3), TS_FLOAT32));
}
FN(fac_overflow) {
  UNUSED;
  return made(factory_of(cur_call)(TS_SHAPE(INT64_MAX / 2, 4), TS_FLOAT32));
}
FN(rand_int) {
  UNUSED;
  return made(ts_rand(SHAPE23, 2, TS_INT64));
}
FN(randn_bool) {
  UNUSED;
  return made(ts_randn(SHAPE23, 2, TS_BOOL));
}

FN(arange_step0) {
  UNUSED;
  return made(ts_arange(0, 10, 0, TS_FLOAT32));
}
FN(arange_sign) {
  UNUSED;
  return made(ts_arange(0, 10, -1, TS_FLOAT32));
}
FN(arange_nan) {
  UNUSED;
  return made(ts_arange(0, NAN, 1, TS_FLOAT32));
}
FN(arange_inf) {
  UNUSED;
  return made(ts_arange(0, INFINITY, 1, TS_FLOAT32));
}
FN(arange_dtype) {
  UNUSED;
  return made(ts_arange(0, 10, 1, (ts_dtype)42));
}
FN(from_buffer_null) {
  UNUSED;
  return made(ts_from_buffer(NULL, SHAPE23, 2, TS_FLOAT32));
}
FN(from_buffer_dtype) {
  UNUSED;
  float buf[6] = {0};
  return made(ts_from_buffer(buf, SHAPE23, 2, (ts_dtype)10));
}
FN(from_buffer_neg) {
  UNUSED;
  float buf[6] = {0};
  return made(ts_from_buffer(buf, TS_SHAPE(-6), TS_FLOAT32));
}
FN(from_buffer_null_shape) {
  UNUSED;
  float buf[6] = {0};
  return made(ts_from_buffer(buf, NULL, 2, TS_FLOAT32));
}

/* Operations taking one tensor, run with every bad handle. */
#define UNARY_CASES(X)                                                         \
  X(clone)                                                                     \
  X(relu) X(sigmoid) X(tanh) X(exp) X(log) X(neg) X(sum) X(mean) X(argmax)
#define X(op)                                                                  \
  FN(bad_##op) { return made(ts_##op(f->bad)); }
UNARY_CASES(X)
#undef X

/* Two tensors: the bad handle as a, then as b. */
#define BINARY_CASES(X)                                                        \
  X(add) X(sub) X(mul) X(div) X(matmul) X(cross_entropy) X(mse_loss)
#define X(op)                                                                  \
  FN(bad_a_##op) { return made(ts_##op(f->bad, f->live)); }                    \
  FN(bad_b_##op) { return made(ts_##op(f->live, f->bad)); }
BINARY_CASES(X)
#undef X

FN(bad_add_scalar) { return made(ts_add_scalar(f->bad, 1.0)); }
FN(bad_mul_scalar) { return made(ts_mul_scalar(f->bad, 2.0)); }
FN(bad_argmax_dim) { return made(ts_argmax_dim(f->bad, 0)); }
FN(bad_softmax) { return made(ts_softmax(f->bad, 0)); }
FN(bad_log_softmax) { return made(ts_log_softmax(f->bad, 0)); }
FN(bad_reshape) { return made(ts_reshape(f->bad, TS_SHAPE(6))); }
FN(bad_transpose) { return made(ts_transpose(f->bad, 0, 1)); }
FN(bad_grad) { return made(ts_grad(f->bad)); }

/* Shapes and dtypes that do not fit. */
FN(add_shape) {
  ts_tensor *b = ts_zeros(TS_SHAPE(4), TS_FLOAT32);
  ts_status st = made(ts_add(f->live, b));
  ts_free(b);
  return st;
}
FN(mul_shape) {
  ts_tensor *b = ts_zeros(TS_SHAPE(3, 2), TS_FLOAT32);
  ts_status st = made(ts_mul(f->live, b));
  ts_free(b);
  return st;
}
FN(matmul_inner) { return made(ts_matmul(f->live, f->live)); }
FN(matmul_0d) {
  ts_tensor *s = ts_full(NULL, 0, TS_FLOAT32, 2.0);
  ts_status st = made(ts_matmul(s, f->live));
  ts_free(s);
  return st;
}
FN(ce_float_targets) {
  ts_tensor *t = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  ts_status st = made(ts_cross_entropy(f->live, t));
  ts_free(t);
  return st;
}
FN(ce_int32_targets) {
  ts_tensor *t = ts_zeros(TS_SHAPE(2), TS_INT32);
  ts_status st = made(ts_cross_entropy(f->live, t));
  ts_free(t);
  return st;
}
FN(ce_int_logits) { return made(ts_cross_entropy(f->i64, f->i64)); }
FN(ce_shape) {
  ts_tensor *t = ts_zeros(TS_SHAPE(5), TS_INT64);
  ts_status st = made(ts_cross_entropy(f->live, t));
  ts_free(t);
  return st;
}
FN(mse_shape) {
  ts_tensor *b = ts_zeros(TS_SHAPE(3, 2), TS_FLOAT32);
  ts_status st = made(ts_mse_loss(f->live, b));
  ts_free(b);
  return st;
}
FN(mse_int) { return made(ts_mse_loss(f->i64, f->i64)); }
FN(mean_int) { return made(ts_mean(f->i64)); }
FN(softmax_int) { return made(ts_softmax(f->i64, 0)); }
FN(log_softmax_dim) { return made(ts_log_softmax(f->live, 2)); }
FN(softmax_neg_dim) { return made(ts_softmax(f->live, -3)); }
FN(argmax_dim_range) { return made(ts_argmax_dim(f->live, 7)); }
FN(reshape_numel) { return made(ts_reshape(f->live, TS_SHAPE(4))); }
FN(reshape_two_infer) { return made(ts_reshape(f->live, TS_SHAPE(-1, -1))); }
FN(reshape_neg) { return made(ts_reshape(f->live, TS_SHAPE(-2, -3))); }
FN(reshape_null) { return made(ts_reshape(f->live, NULL, 2)); }
FN(reshape_ndim) { return made(ts_reshape(f->live, SHAPE23, -2)); }
FN(transpose_range) { return made(ts_transpose(f->live, 0, 2)); }
FN(transpose_neg) { return made(ts_transpose(f->live, -3, 0)); }

/* Metadata and buffers. */
FN(bad_item) {
  double v = ts_item(f->bad);
  ts_status st = snap(ts_last_status());
  return isnan(v) ? st : BAD_RESULT;
}
FN(item_many) {
  double v = ts_item(f->live);
  ts_status st = snap(ts_last_status());
  return isnan(v) ? st : BAD_RESULT;
}
FN(bad_ndim) { RETURNS(ts_ndim(f->bad), -1); }
FN(bad_size) { RETURNS(ts_size(f->bad, 0), -1); }
FN(size_range) { RETURNS(ts_size(f->live, 2), -1); }
FN(size_neg_range) { RETURNS(ts_size(f->live, -3), -1); }
FN(bad_numel) { RETURNS(ts_numel(f->bad), -1); }
FN(bad_nbytes) { RETURNS(ts_nbytes(f->bad), 0); }
FN(bad_dtype) { RETURNS(ts_tensor_dtype(f->bad), (ts_dtype)-1); }
FN(bad_copy) {
  float buf[8];
  return snap(ts_copy_to_buffer(f->bad, buf, sizeof buf));
}
FN(copy_small) {
  float buf[8];
  return snap(ts_copy_to_buffer(f->live, buf, 5 * sizeof(float)));
}
FN(copy_null) { return snap(ts_copy_to_buffer(f->live, NULL, 64)); }
FN(bad_free) { return snap(ts_free(f->bad)); }
FN(threads_zero) {
  UNUSED;
  ts_set_num_threads(0);
  return snap(ts_last_status());
}
FN(threads_neg) {
  UNUSED;
  ts_set_num_threads(-4);
  return snap(ts_last_status());
}

/* Autograd. */
FN(bad_requires_grad) { return snap(ts_requires_grad(f->bad, true)); }
FN(requires_grad_int) { return snap(ts_requires_grad(f->i64, true)); }
FN(bad_backward) { return snap(ts_backward(f->bad)); }
FN(backward_many) {
  ts_requires_grad(f->live, true);
  ts_tensor *y = ts_mul_scalar(f->live, 2.0);
  ts_status st = snap(ts_backward(y));
  ts_free(y);
  ts_requires_grad(f->live, false);
  return st;
}
FN(backward_no_grad) {
  ts_tensor *s = ts_sum(f->live);
  ts_status st = snap(ts_backward(s));
  ts_free(s);
  return st;
}
FN(bad_zero_grad) { return snap(ts_zero_grad(f->bad)); }
FN(bad_sgd) { return snap(ts_sgd_step(f->bad, 0.1)); }
FN(sgd_no_grad) { return snap(ts_sgd_step(f->live, 0.1)); }
FN(sgd_nan_lr) {
  ts_requires_grad(f->live, true);
  ts_status st = snap(ts_sgd_step(f->live, NAN));
  ts_requires_grad(f->live, false);
  return st;
}

/* Scopes. */
FN(end_zero) {
  UNUSED;
  return snap(ts_scope_end(0));
}
FN(end_ended) {
  UNUSED;
  ts_scope_id s = ts_scope_begin();
  ts_scope_end(s);
  return snap(ts_scope_end(s));
}
FN(end_never) {
  UNUSED;
  return snap(ts_scope_end((ts_scope_id)1 << 52));
}
FN(end_inner_twice) {
  UNUSED;
  ts_scope_id a = ts_scope_begin();
  ts_scope_id b = ts_scope_begin();
  ts_scope_end(b);
  ts_status st = snap(ts_scope_end(b));
  ts_scope_end(a);
  return st;
}
/* Out of order: the outer scope ends the inner one (and its tensor) too. */
FN(end_outer_first) {
  UNUSED;
  ts_scope_id a = ts_scope_begin();
  ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  ts_scope_begin();
  ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  return snap(ts_scope_end(a));
}
/* A plain scope ending beneath an entered async scope: the async scope is
 * left (fix_fini can end it), the status says so. */
FN(end_below_async) {
  ts_scope_id a = ts_scope_begin();
  ts_async_scope_enter(f->async);
  ts_tensor *t = ts_zeros(TS_SHAPE(2), TS_FLOAT32); /* the async scope's */
  ts_status st = snap(ts_scope_end(a));
  bool left = ts_async_scope_enter(f->async) == TS_OK &&
              ts_async_scope_leave(f->async) == TS_OK;
  bool kept = ts_free(t) == TS_OK; /* it outlived the plain scope */
  return left && kept ? st : BAD_RESULT;
}

/* A scope begun on another thread is not on this thread's stack. */
typedef struct other {
  pthread_barrier_t bar;
  ts_scope_id id;
  ts_async_scope *async;
} other;
static void *begin_elsewhere(void *p) {
  other *o = p;
  o->id = ts_scope_begin();
  pthread_barrier_wait(&o->bar); /* the test tries to end it */
  pthread_barrier_wait(&o->bar);
  ts_scope_end(o->id);
  return NULL;
}
FN(end_other_thread) {
  UNUSED;
  other o = {.id = 0};
  pthread_t th;
  pthread_barrier_init(&o.bar, NULL, 2);
  pthread_create(&th, NULL, begin_elsewhere, &o);
  pthread_barrier_wait(&o.bar);
  ts_status st = snap(ts_scope_end(o.id));
  pthread_barrier_wait(&o.bar);
  pthread_join(th, NULL);
  pthread_barrier_destroy(&o.bar);
  return st;
}
static void *end_outer_scope(void *ctx) {
  ts_scope_end(*(ts_scope_id *)ctx); /* ends ts_run's scope on the way */
  return ctx;
}
/* fn ends its caller's scope: ts_run's own end finds its scope gone. */
FN(run_ends_caller) {
  UNUSED;
  ts_scope_id s = ts_scope_begin();
  void *r = ts_run(end_outer_scope, &s);
  ts_status st = snap(ts_last_status());
  return r == &s ? st : BAD_RESULT;
}
FN(run_null) {
  UNUSED;
  return made(ts_run(NULL, NULL));
}
FN(escape_outside) {
  ts_tensor *r = ts_escape(f->live);
  ts_status st = snap(ts_last_status());
  return r == f->live ? st : BAD_RESULT; /* unchanged, not lost */
}
FN(escape_tensor_outside) {
  ts_tensor *r = ts_scope_escape_tensor(f->live);
  ts_status st = snap(ts_last_status());
  return r == f->live ? st : BAD_RESULT;
}
FN(bad_escape_in) {
  ts_scope_id s = ts_scope_begin();
  ts_status st = made(ts_escape(f->bad));
  ts_scope_end(s);
  return st;
}
FN(bad_escape_out) { return made(ts_escape(f->bad)); }
FN(bad_escape_tensor_in) {
  ts_scope_id s = ts_scope_begin();
  ts_status st = made(ts_scope_escape_tensor(f->bad));
  ts_scope_end(s);
  return st;
}
FN(bad_keep) { return made(ts_keep(f->bad)); }
FN(bad_register_in) {
  ts_scope_id s = ts_scope_begin();
  ts_scope_register_tensor(f->bad);
  ts_status st = snap(ts_last_status());
  ts_scope_end(s);
  return st;
}
FN(bad_register_out) {
  ts_scope_register_tensor(f->bad);
  return snap(ts_last_status());
}

/* Async scopes. */
FN(enter_null) {
  UNUSED;
  return snap(ts_async_scope_enter(NULL));
}
FN(enter_ended) { return snap(ts_async_scope_enter(f->dead_async)); }
FN(enter_bogus) {
  UNUSED;
  return snap(ts_async_scope_enter((ts_async_scope *)(uintptr_t)0xdead0));
}
FN(enter_tensor) {
  return snap(ts_async_scope_enter((ts_async_scope *)f->live));
}
FN(enter_pool) { return snap(ts_async_scope_enter((ts_async_scope *)f->pool)); }
FN(enter_twice) {
  ts_async_scope_enter(f->async);
  ts_status st = snap(ts_async_scope_enter(f->async));
  ts_async_scope_leave(f->async);
  return st;
}
static void *enter_elsewhere(void *p) {
  other *o = p;
  ts_async_scope_enter(o->async);
  pthread_barrier_wait(&o->bar);
  pthread_barrier_wait(&o->bar);
  ts_async_scope_leave(o->async);
  return NULL;
}
/* While another thread has the async scope entered: enter, leave and end
 * from here are all TS_ERR_BUSY. */
static ts_status while_entered_elsewhere(fix *f, int which) {
  other o = {.async = f->async};
  pthread_t th;
  pthread_barrier_init(&o.bar, NULL, 2);
  pthread_create(&th, NULL, enter_elsewhere, &o);
  pthread_barrier_wait(&o.bar);
  ts_status st = snap(which == 0   ? ts_async_scope_enter(f->async)
                      : which == 1 ? ts_async_scope_leave(f->async)
                                   : ts_async_scope_end(f->async));
  pthread_barrier_wait(&o.bar);
  pthread_join(th, NULL);
  pthread_barrier_destroy(&o.bar);
  return st;
}
FN(enter_busy_elsewhere) { return while_entered_elsewhere(f, 0); }
FN(leave_busy_elsewhere) { return while_entered_elsewhere(f, 1); }
FN(end_busy_elsewhere) { return while_entered_elsewhere(f, 2); }
FN(leave_null) {
  UNUSED;
  return snap(ts_async_scope_leave(NULL));
}
FN(leave_ended) { return snap(ts_async_scope_leave(f->dead_async)); }
FN(leave_not_entered) { return snap(ts_async_scope_leave(f->async)); }
FN(leave_scope_open) {
  ts_async_scope_enter(f->async);
  ts_scope_begin();
  ts_zeros(TS_SHAPE(2), TS_FLOAT32); /* the plain scope's: freed */
  return snap(ts_async_scope_leave(f->async));
}
FN(async_end_null) {
  UNUSED;
  return snap(ts_async_scope_end(NULL));
}
FN(async_end_ended) { return snap(ts_async_scope_end(f->dead_async)); }
FN(async_end_bogus) {
  UNUSED;
  return snap(ts_async_scope_end((ts_async_scope *)(uintptr_t)~0ull));
}
FN(async_end_entered) {
  ts_async_scope_enter(f->async);
  ts_tensor *t = ts_zeros(TS_SHAPE(2), TS_FLOAT32); /* must survive */
  ts_status st = snap(ts_async_scope_end(f->async));
  bool kept = ts_scope_tensor_count() == 1;
  ts_async_scope_leave(f->async);
  kept = kept && ts_free(t) == TS_OK;
  return kept ? st : BAD_RESULT;
}

/* Pools. */
FN(destroy_null) {
  UNUSED;
  ts_pool_destroy(NULL);
  return snap(ts_last_status());
}
FN(destroy_dead) {
  ts_pool_destroy(f->dead_pool);
  return snap(ts_last_status());
}
FN(destroy_global) {
  UNUSED;
  ts_pool_destroy(ts_global_pool());
  return snap(ts_last_status());
}
FN(destroy_tensor) {
  ts_pool_destroy((ts_pool *)f->live);
  return snap(ts_last_status());
}
FN(acquire_null_pool) {
  UNUSED;
  return made(ts_pool_acquire(NULL, TS_SHAPE(3), TS_FLOAT32));
}
FN(acquire_dead_pool) {
  return made(ts_pool_acquire(f->dead_pool, TS_SHAPE(3), TS_FLOAT32));
}
FN(acquire_dtype) {
  return made(ts_pool_acquire(f->pool, TS_SHAPE(3), (ts_dtype)77));
}
FN(acquire_ndim) {
  return made(ts_pool_acquire(f->pool, SHAPE23, -2, TS_FLOAT32));
}
FN(acquire_negative_size) {
  return made(ts_pool_acquire(f->pool, TS_SHAPE(2, -3), TS_FLOAT32));
}
FN(acquire_huge_shape) {
  return made(ts_pool_acquire(f->pool, TS_SHAPE(INT64_MAX, 4), TS_FLOAT32));
}
FN(acquire_null_shape) {
  return made(ts_pool_acquire(f->pool, NULL, 1, TS_FLOAT32));
}
FN(release_null_pool) {
  return snap(ts_pool_release(NULL, f->live)); /* f->live stays live */
}
FN(release_dead_pool) { return snap(ts_pool_release(f->dead_pool, f->live)); }
FN(release_async_as_pool) {
  return snap(ts_pool_release((ts_pool *)f->async, f->live));
}
FN(bad_release) { return snap(ts_pool_release(f->pool, f->bad)); }
static ts_status stats_of(const ts_pool *p) {
  ts_pool_stats st = ts_pool_get_stats(p);
  ts_status s = snap(ts_last_status());
  return st.size || st.hit_count || st.miss_count ? BAD_RESULT : s;
}
FN(stats_null) {
  UNUSED;
  return stats_of(NULL);
}
FN(stats_dead) { return stats_of(f->dead_pool); }
static void count_key(const char *key, size_t n, void *ctx) {
  (void)key, (void)n;
  ++*(int *)ctx;
}
static ts_status foreach_of(const ts_pool *p,
                            void (*cb)(const char *, size_t, void *)) {
  int calls = 0;
  ts_pool_foreach_key(p, cb, &calls);
  ts_status st = snap(ts_last_status());
  return calls ? BAD_RESULT : st;
}
FN(foreach_null) {
  UNUSED;
  return foreach_of(NULL, count_key);
}
FN(foreach_dead) { return foreach_of(f->dead_pool, count_key); }
FN(foreach_null_cb) { return foreach_of(f->pool, NULL); }
FN(clear_null) {
  UNUSED;
  ts_pool_clear(NULL);
  return snap(ts_last_status());
}
FN(clear_dead) {
  ts_pool_clear(f->dead_pool);
  return snap(ts_last_status());
}
FN(clear_key_null) {
  UNUSED;
  ts_pool_clear_key(NULL, TS_SHAPE(3), TS_FLOAT32);
  return snap(ts_last_status());
}
FN(clear_key_dead) {
  ts_pool_clear_key(f->dead_pool, TS_SHAPE(3), TS_FLOAT32);
  return snap(ts_last_status());
}
FN(clear_key_dtype) {
  ts_pool_clear_key(f->pool, TS_SHAPE(3), (ts_dtype)-7);
  return snap(ts_last_status());
}
FN(clear_key_ndim) {
  ts_pool_clear_key(f->pool, SHAPE23, -1, TS_FLOAT32);
  return snap(ts_last_status());
}
FN(clear_key_negative_size) {
  ts_pool_clear_key(f->pool, TS_SHAPE(-1), TS_FLOAT32);
  return snap(ts_last_status());
}
FN(clear_key_null_shape) {
  ts_pool_clear_key(f->pool, NULL, 2, TS_FLOAT32);
  return snap(ts_last_status());
}
FN(prune_null) {
  UNUSED;
  ts_pool_prune(NULL, 0);
  return snap(ts_last_status());
}
FN(prune_dead) {
  ts_pool_prune(f->dead_pool, TS_POOL_HALF);
  return snap(ts_last_status());
}

/* libtorch refusing inside nested scopes: the error comes back as a status,
 * the scopes stay as they were, their tensors are freed when they end. */
static ts_status nested(ts_tensor *(*op)(fix *f), fix *f) {
  ts_scope_id a = ts_scope_begin(), b = ts_scope_begin(), c = ts_scope_begin();
  ts_zeros(TS_SHAPE(4), TS_FLOAT32);
  ts_status st = made(op(f));
  /* The innermost scope holds the zeros and op's own argument. */
  bool depth_ok = ts_scope_depth() == 3 && ts_scope_tensor_count() == 2;
  ts_scope_end(c);
  ts_scope_end(b);
  ts_scope_end(a);
  return depth_ok ? st : BAD_RESULT;
}
static ts_tensor *ce_target_range(fix *f) {
  /* Class 7 for 3 classes: only libtorch checks values. */
  ts_tensor *t = ts_from_buffer((const int64_t[]){7, 0}, TS_SHAPE(2), TS_INT64);
  return ts_cross_entropy(f->live, t);
}
static ts_tensor *matmul_bool(fix *f) {
  (void)f;
  ts_tensor *m = ts_ones(TS_SHAPE(2, 2), TS_BOOL);
  return ts_matmul(m, m);
}
static ts_tensor *ce_neg_target(fix *f) {
  ts_tensor *t =
      ts_from_buffer((const int64_t[]){-5, 0}, TS_SHAPE(2), TS_INT64);
  return ts_cross_entropy(f->live, t);
}
FN(torch_ce_range) { return nested(ce_target_range, f); }
FN(torch_ce_neg) { return nested(ce_neg_target, f); }
FN(torch_matmul_bool) { return nested(matmul_bool, f); }

/* --------------------------------------------------------------- table -- */

#define C(call, want, fn)                                                      \
  { call, #fn, H_NONE, want, fn }
#define H(call, fn)                                                            \
  { call, #fn, H_ANY, TS_OK, fn }

static const bad_case CASES[] = {
#define FACTORY_CASES(name)                                                    \
  C(name, TS_ERR_DTYPE, fac_bad_dtype), C(name, TS_ERR_DTYPE, fac_neg_dtype),  \
      C(name, TS_ERR_ARG, fac_neg_ndim), C(name, TS_ERR_ARG, fac_huge_ndim),   \
      C(name, TS_ERR_NULL, fac_null_shape),                                    \
      C(name, TS_ERR_SHAPE, fac_neg_size), C(name, TS_ERR_ARG, fac_overflow)
    FACTORY_CASES("ts_empty"),
    FACTORY_CASES("ts_zeros"),
    FACTORY_CASES("ts_ones"),
    FACTORY_CASES("ts_rand"),
    FACTORY_CASES("ts_randn"),
    FACTORY_CASES("ts_full"),
    C("ts_rand", TS_ERR_DTYPE, rand_int),
    C("ts_randn", TS_ERR_DTYPE, randn_bool),
    C("ts_arange", TS_ERR_ARG, arange_step0),
    C("ts_arange", TS_ERR_ARG, arange_sign),
    C("ts_arange", TS_ERR_ARG, arange_nan),
    C("ts_arange", TS_ERR_ARG, arange_inf),
    C("ts_arange", TS_ERR_DTYPE, arange_dtype),
    C("ts_from_buffer", TS_ERR_NULL, from_buffer_null),
    C("ts_from_buffer", TS_ERR_DTYPE, from_buffer_dtype),
    C("ts_from_buffer", TS_ERR_SHAPE, from_buffer_neg),
    C("ts_from_buffer", TS_ERR_NULL, from_buffer_null_shape),

#define X(op) H("ts_" #op, bad_##op),
    UNARY_CASES(X)
#undef X
#define X(op) H("ts_" #op, bad_a_##op), H("ts_" #op, bad_b_##op),
        BINARY_CASES(X)
#undef X
            H("ts_add_scalar", bad_add_scalar),
    H("ts_mul_scalar", bad_mul_scalar),
    H("ts_argmax_dim", bad_argmax_dim),
    H("ts_softmax", bad_softmax),
    H("ts_log_softmax", bad_log_softmax),
    H("ts_reshape", bad_reshape),
    H("ts_transpose", bad_transpose),
    H("ts_grad", bad_grad),

    C("ts_add", TS_ERR_SHAPE, add_shape),
    C("ts_mul", TS_ERR_SHAPE, mul_shape),
    C("ts_matmul", TS_ERR_SHAPE, matmul_inner),
    C("ts_matmul", TS_ERR_SHAPE, matmul_0d),
    C("ts_cross_entropy", TS_ERR_DTYPE, ce_float_targets),
    C("ts_cross_entropy", TS_ERR_DTYPE, ce_int32_targets),
    C("ts_cross_entropy", TS_ERR_DTYPE, ce_int_logits),
    C("ts_cross_entropy", TS_ERR_SHAPE, ce_shape),
    C("ts_mse_loss", TS_ERR_SHAPE, mse_shape),
    C("ts_mse_loss", TS_ERR_DTYPE, mse_int),
    C("ts_mean", TS_ERR_DTYPE, mean_int),
    C("ts_softmax", TS_ERR_DTYPE, softmax_int),
    C("ts_log_softmax", TS_ERR_SHAPE, log_softmax_dim),
    C("ts_softmax", TS_ERR_SHAPE, softmax_neg_dim),
    C("ts_argmax_dim", TS_ERR_SHAPE, argmax_dim_range),
    C("ts_reshape", TS_ERR_SHAPE, reshape_numel),
    C("ts_reshape", TS_ERR_SHAPE, reshape_two_infer),
    C("ts_reshape", TS_ERR_SHAPE, reshape_neg),
    C("ts_reshape", TS_ERR_NULL, reshape_null),
    C("ts_reshape", TS_ERR_ARG, reshape_ndim),
    C("ts_transpose", TS_ERR_SHAPE, transpose_range),
    C("ts_transpose", TS_ERR_SHAPE, transpose_neg),

    H("ts_item", bad_item),
    C("ts_item", TS_ERR_SHAPE, item_many),
    H("ts_ndim", bad_ndim),
    H("ts_size", bad_size),
    C("ts_size", TS_ERR_SHAPE, size_range),
    C("ts_size", TS_ERR_SHAPE, size_neg_range),
    H("ts_numel", bad_numel),
    H("ts_nbytes", bad_nbytes),
    H("ts_tensor_dtype", bad_dtype),
    H("ts_copy_to_buffer", bad_copy),
    C("ts_copy_to_buffer", TS_ERR_ARG, copy_small),
    C("ts_copy_to_buffer", TS_ERR_NULL, copy_null),
    H("ts_free", bad_free),
    C("ts_set_num_threads", TS_ERR_ARG, threads_zero),
    C("ts_set_num_threads", TS_ERR_ARG, threads_neg),

    H("ts_requires_grad", bad_requires_grad),
    C("ts_requires_grad", TS_ERR_DTYPE, requires_grad_int),
    H("ts_backward", bad_backward),
    C("ts_backward", TS_ERR_SHAPE, backward_many),
    C("ts_backward", TS_ERR_ARG, backward_no_grad),
    H("ts_zero_grad", bad_zero_grad),
    H("ts_sgd_step", bad_sgd),
    C("ts_sgd_step", TS_ERR_ARG, sgd_no_grad),
    C("ts_sgd_step", TS_ERR_ARG, sgd_nan_lr),

    C("ts_scope_end", TS_ERR_BAD_SCOPE, end_zero),
    C("ts_scope_end", TS_ERR_BAD_SCOPE, end_ended),
    C("ts_scope_end", TS_ERR_BAD_SCOPE, end_never),
    C("ts_scope_end", TS_ERR_BAD_SCOPE, end_inner_twice),
    C("ts_scope_end", TS_ERR_SCOPE_MISMATCH, end_outer_first),
    C("ts_scope_end", TS_ERR_SCOPE_MISMATCH, end_below_async),
    C("ts_scope_end", TS_ERR_BAD_SCOPE, end_other_thread),
    C("ts_scope_end", TS_ERR_BAD_SCOPE, run_ends_caller),
    C("ts_run", TS_ERR_NULL, run_null),
    C("ts_escape", TS_ERR_NO_SCOPE, escape_outside),
    C("ts_scope_escape_tensor", TS_ERR_NO_SCOPE, escape_tensor_outside),
    H("ts_escape", bad_escape_in),
    H("ts_escape", bad_escape_out),
    H("ts_scope_escape_tensor", bad_escape_tensor_in),
    H("ts_keep", bad_keep),
    H("ts_scope_register_tensor", bad_register_in),
    H("ts_scope_register_tensor", bad_register_out),

    C("ts_async_scope_enter", TS_ERR_NULL, enter_null),
    C("ts_async_scope_enter", TS_ERR_BAD_SCOPE, enter_ended),
    C("ts_async_scope_enter", TS_ERR_BAD_SCOPE, enter_bogus),
    C("ts_async_scope_enter", TS_ERR_BAD_SCOPE, enter_tensor),
    C("ts_async_scope_enter", TS_ERR_BAD_SCOPE, enter_pool),
    C("ts_async_scope_enter", TS_ERR_BUSY, enter_twice),
    C("ts_async_scope_enter", TS_ERR_BUSY, enter_busy_elsewhere),
    C("ts_async_scope_leave", TS_ERR_BUSY, leave_busy_elsewhere),
    C("ts_async_scope_end", TS_ERR_BUSY, end_busy_elsewhere),
    C("ts_async_scope_leave", TS_ERR_NULL, leave_null),
    C("ts_async_scope_leave", TS_ERR_BAD_SCOPE, leave_ended),
    C("ts_async_scope_leave", TS_ERR_BAD_SCOPE, leave_not_entered),
    C("ts_async_scope_leave", TS_ERR_SCOPE_MISMATCH, leave_scope_open),
    C("ts_async_scope_end", TS_ERR_NULL, async_end_null),
    C("ts_async_scope_end", TS_ERR_BAD_SCOPE, async_end_ended),
    C("ts_async_scope_end", TS_ERR_BAD_SCOPE, async_end_bogus),
    C("ts_async_scope_end", TS_ERR_BUSY, async_end_entered),

    C("ts_pool_destroy", TS_ERR_NULL, destroy_null),
    C("ts_pool_destroy", TS_ERR_POOL, destroy_dead),
    C("ts_pool_destroy", TS_ERR_POOL, destroy_global),
    C("ts_pool_destroy", TS_ERR_POOL, destroy_tensor),
    C("ts_pool_acquire", TS_ERR_NULL, acquire_null_pool),
    C("ts_pool_acquire", TS_ERR_POOL, acquire_dead_pool),
    C("ts_pool_acquire", TS_ERR_DTYPE, acquire_dtype),
    C("ts_pool_acquire", TS_ERR_ARG, acquire_ndim),
    C("ts_pool_acquire", TS_ERR_NULL, acquire_null_shape),
    C("ts_pool_acquire", TS_ERR_SHAPE, acquire_negative_size),
    C("ts_pool_acquire", TS_ERR_ARG, acquire_huge_shape),
    C("ts_pool_release", TS_ERR_NULL, release_null_pool),
    C("ts_pool_release", TS_ERR_POOL, release_dead_pool),
    C("ts_pool_release", TS_ERR_POOL, release_async_as_pool),
    H("ts_pool_release", bad_release),
    C("ts_pool_get_stats", TS_ERR_NULL, stats_null),
    C("ts_pool_get_stats", TS_ERR_POOL, stats_dead),
    C("ts_pool_foreach_key", TS_ERR_NULL, foreach_null),
    C("ts_pool_foreach_key", TS_ERR_POOL, foreach_dead),
    C("ts_pool_foreach_key", TS_ERR_NULL, foreach_null_cb),
    C("ts_pool_clear", TS_ERR_NULL, clear_null),
    C("ts_pool_clear", TS_ERR_POOL, clear_dead),
    C("ts_pool_clear_key", TS_ERR_NULL, clear_key_null),
    C("ts_pool_clear_key", TS_ERR_POOL, clear_key_dead),
    C("ts_pool_clear_key", TS_ERR_DTYPE, clear_key_dtype),
    C("ts_pool_clear_key", TS_ERR_ARG, clear_key_ndim),
    C("ts_pool_clear_key", TS_ERR_NULL, clear_key_null_shape),
    C("ts_pool_clear_key", TS_ERR_SHAPE, clear_key_negative_size),
    C("ts_pool_prune", TS_ERR_NULL, prune_null),
    C("ts_pool_prune", TS_ERR_POOL, prune_dead),

    C("ts_cross_entropy", TS_ERR_ARG, torch_ce_range),
    C("ts_cross_entropy", TS_ERR_ARG, torch_ce_neg),
    C("ts_matmul", TS_ERR_DTYPE, torch_matmul_bool),
};
enum { NCASES = sizeof CASES / sizeof CASES[0] };

/* -------------------------------------------------------------- runner -- */

typedef struct state {
  size_t live, pooled;
  int depth;
  ts_pool_stats pool;
} state;

static state state_of(const fix *f) {
  ts_memory_stats m = ts_memory();
  return (state){m.live_tensors, m.pooled_tensors, ts_scope_depth(),
                 ts_pool_get_stats(f->pool)};
}

static int runs;

/* One run of a case with f->bad set; reports what did not hold. */
static void run_one(const bad_case *c, fix *f, ts_status want,
                    const char *bad_name) {
  state before = state_of(f);
  cur_call = c->call;
  snapped = false;
  snap_msg[0] = '\0';
  ts_clear_error();
  ts_status got = c->run(f);
  runs++;
  int failures = check_failures;
  if (!snapped) {
    fprintf(stderr, "%s: the case made no snap()\n", c->what);
    check_failures++;
  }
  CHECK(got != BAD_RESULT); /* a result on error, or a side effect */
  CHECK_EQ(got, want);
  CHECK_EQ(snap_status, want);
  CHECK(strstr(snap_msg, c->call) != NULL);
  /* "<call>: <cause>; <fix>", or a cause that says what must hold. */
  const char *semi = strstr(snap_msg, "; ");
  CHECK((semi != NULL && strlen(semi) > 10) || strstr(snap_msg, " must "));

  state after = state_of(f);
  CHECK_EQ(after.live, before.live);
  CHECK_EQ(after.pooled, before.pooled);
  CHECK_EQ(after.depth, before.depth);
  CHECK_EQ(after.pool.size, before.pool.size);
  CHECK_EQ(after.pool.hit_count, before.pool.hit_count);
  CHECK_EQ(after.pool.miss_count, before.pool.miss_count);
  CHECK_EQ(after.pool.size, after.pooled);
  /* Nothing corrupted: the live tensor and the pool still work. */
  CHECK_EQ(ts_numel(f->live), 6);
  ts_tensor *x = ts_pool_acquire(f->pool, TS_SHAPE(3), TS_FLOAT32);
  CHECK(x != NULL);
  CHECK_EQ(ts_pool_release(f->pool, x), TS_OK);
  if (check_failures != failures)
    fprintf(stderr, "  ^ in %s (%s) with %s: status %d, message \"%s\"\n",
            c->what, c->call, bad_name, got, snap_msg);
}

TEST(catalogue) {
  static const struct {
    const char *name;
    size_t off;
    ts_status want;
  } BAD[] = {
      {"NULL", 0, TS_ERR_NULL},
      {"a freed handle", offsetof(fix, freed), TS_ERR_STALE_HANDLE},
      {"a released handle", offsetof(fix, released), TS_ERR_STALE_HANDLE},
      {"a never-issued handle", offsetof(fix, never), TS_ERR_STALE_HANDLE},
      {"a forged generation", offsetof(fix, forged), TS_ERR_STALE_HANDLE},
  };
  for (int i = 0; i < NCASES; i++) {
    const bad_case *c = &CASES[i];
    int nbad = c->kind == H_ANY ? (int)(sizeof BAD / sizeof BAD[0]) : 1;
    for (int b = 0; b < nbad; b++) {
      fix f;
      fix_init(&f);
      if (c->kind == H_ANY) {
        f.bad = BAD[b].off ? *(ts_tensor **)((char *)&f + BAD[b].off) : NULL;
        run_one(c, &f, BAD[b].want, BAD[b].name);
      } else {
        run_one(c, &f, c->want, "-");
      }
      fix_fini(&f);
    }
  }
  printf("bad inputs: %d cases, %d calls checked\n", NCASES, runs);
}

RUN_TESTS(T(catalogue))
