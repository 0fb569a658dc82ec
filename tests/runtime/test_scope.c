/* test_scope.c - the scope stack and ownership moves (SPEC section 2). */
#include "check.h"

static ts_tensor *make(void) { return ts_zeros(TS_SHAPE(2, 3), TS_FLOAT32); }

static size_t live(void) { return ts_memory().live_tensors; }

TEST(scope_frees_its_tensors) {
  size_t before = live();
  ts_scope_id id = ts_scope_begin();
  CHECK(id != 0);
  ts_tensor *a = make(), *b = make();
  CHECK(a && b);
  CHECK_EQ(live(), before + 2);
  CHECK_EQ(ts_scope_tensor_count(), 2);
  CHECK_EQ(ts_scope_end(id), TS_OK);
  CHECK_EQ(live(), before);
  CHECK_EQ(ts_nbytes(a), 0);
  CHECK_ERROR(TS_ERR_STALE_HANDLE, "ts_nbytes");
  CHECK(strstr(ts_last_error(), "scope ended") != NULL);
}

TEST(outside_scope_is_manual) {
  CHECK(!ts_in_scope());
  CHECK_EQ(ts_scope_depth(), 0);
  CHECK_EQ(ts_scope_tensor_count(), 0);
  ts_tensor *a = make();
  ts_scope_id id = ts_scope_begin();
  CHECK_EQ(ts_scope_tensor_count(), 0);
  CHECK_EQ(ts_scope_end(id), TS_OK);
  CHECK_EQ(ts_nbytes(a), 24); /* still alive */
  CHECK_EQ(ts_free(a), TS_OK);
}

TEST(escape_one_level_at_a_time) {
  ts_scope_id outer = ts_scope_begin();
  ts_scope_id mid = ts_scope_begin();
  ts_scope_id inner = ts_scope_begin();
  CHECK_EQ(ts_scope_depth(), 3);
  ts_tensor *t = make();
  CHECK(ts_escape(t) == t);
  CHECK_EQ(ts_last_status(), TS_OK);
  CHECK_EQ(ts_scope_tensor_count(), 0);
  /* Escaping again while still in inner: owned by mid, left as it is. */
  CHECK(ts_escape(t) == t);
  CHECK_EQ(ts_last_status(), TS_OK);
  CHECK_EQ(ts_scope_end(inner), TS_OK);
  CHECK_EQ(ts_nbytes(t), 24);
  CHECK_EQ(ts_scope_tensor_count(), 1);
  CHECK(ts_scope_escape_tensor(t) == t); /* same as ts_escape */
  CHECK_EQ(ts_scope_end(mid), TS_OK);
  CHECK_EQ(ts_nbytes(t), 24);
  CHECK_EQ(ts_scope_tensor_count(), 1);
  CHECK_EQ(ts_scope_end(outer), TS_OK);
  CHECK_EQ(ts_nbytes(t), 0); /* escaped once too few times */
  CHECK_ERROR(TS_ERR_STALE_HANDLE, "ts_nbytes");
}

static ts_tensor *helper_two_scopes(void) {
  TS_SCOPE_GUARD();
  ts_tensor *r;
  {
    TS_SCOPE_GUARD();
    r = ts_escape(make());
  }
  return ts_escape(r);
}

TEST(return_through_two_scopes) {
  size_t before = live();
  ts_tensor *t = helper_two_scopes();
  CHECK_EQ(ts_scope_depth(), 0);
  CHECK_EQ(ts_nbytes(t), 24);
  CHECK_EQ(live(), before + 1);
  CHECK_EQ(ts_free(t), TS_OK);
}

TEST(escape_at_depth_one_is_manual) {
  ts_scope_id id = ts_scope_begin();
  ts_tensor *t = ts_escape(make());
  CHECK_EQ(ts_scope_end(id), TS_OK);
  CHECK_EQ(ts_nbytes(t), 24);
  /* Manual now: a new scope does not free it. */
  id = ts_scope_begin();
  CHECK_EQ(ts_scope_end(id), TS_OK);
  CHECK_EQ(ts_nbytes(t), 24);
  CHECK_EQ(ts_free(t), TS_OK);
}

TEST(escape_outside_scope_is_an_error) {
  ts_tensor *t = make();
  CHECK(ts_escape(t) == t);
  CHECK_ERROR(TS_ERR_NO_SCOPE, "ts_escape");
  CHECK_EQ(ts_nbytes(t), 24);
  CHECK(ts_scope_escape_tensor(t) == t);
  CHECK_ERROR(TS_ERR_NO_SCOPE, "ts_scope_escape_tensor");
  CHECK_EQ(ts_free(t), TS_OK);
}

TEST(escape_of_outer_or_manual_is_left_alone) {
  ts_tensor *m = make();
  ts_scope_id outer = ts_scope_begin();
  ts_tensor *o = make();
  ts_scope_id inner = ts_scope_begin();
  CHECK(ts_escape(o) == o);
  CHECK_EQ(ts_last_status(), TS_OK);
  CHECK(ts_escape(m) == m);
  CHECK_EQ(ts_last_status(), TS_OK);
  CHECK_EQ(ts_scope_end(inner), TS_OK);
  CHECK_EQ(ts_nbytes(o), 24);
  CHECK_EQ(ts_scope_end(outer), TS_OK);
  CHECK_EQ(ts_nbytes(o), 0); /* it stayed the outer scope's */
  CHECK_EQ(ts_nbytes(m), 24);
  CHECK_EQ(ts_free(m), TS_OK);
}

TEST(keep_takes_it_out_for_good) {
  ts_scope_id outer = ts_scope_begin();
  ts_scope_id inner = ts_scope_begin();
  ts_tensor *t = make();
  CHECK(ts_keep(t) == t);
  CHECK_EQ(ts_scope_tensor_count(), 0);
  CHECK_EQ(ts_scope_end(inner), TS_OK);
  CHECK_EQ(ts_scope_end(outer), TS_OK);
  CHECK_EQ(ts_nbytes(t), 24);
  CHECK(ts_keep(t) == t); /* manual already: fine */
  CHECK_EQ(ts_last_status(), TS_OK);
  CHECK_EQ(ts_free(t), TS_OK);
  CHECK(ts_keep(t) == NULL);
  CHECK_ERROR(TS_ERR_STALE_HANDLE, "ts_keep");
}

TEST(register_is_idempotent) {
  ts_tensor *t = make();
  ts_scope_register_tensor(t); /* no-op outside any scope */
  CHECK_EQ(ts_last_status(), TS_OK);
  ts_scope_id id = ts_scope_begin();
  ts_scope_register_tensor(t);
  ts_scope_register_tensor(t);
  CHECK_EQ(ts_scope_tensor_count(), 1);
  ts_tensor *u = make();
  ts_scope_register_tensor(u);
  CHECK_EQ(ts_scope_tensor_count(), 2);
  CHECK_EQ(ts_scope_end(id), TS_OK);
  CHECK_EQ(ts_nbytes(t), 0);
  CHECK_EQ(ts_nbytes(u), 0);
}

TEST(register_moves_an_outer_tensor_inward) {
  ts_scope_id outer = ts_scope_begin();
  ts_tensor *t = make();
  ts_scope_id inner = ts_scope_begin();
  ts_scope_register_tensor(t);
  CHECK_EQ(ts_scope_tensor_count(), 1);
  CHECK_EQ(ts_scope_end(inner), TS_OK);
  CHECK_EQ(ts_nbytes(t), 0);
  CHECK_EQ(ts_scope_tensor_count(), 0);
  CHECK_EQ(ts_scope_end(outer), TS_OK); /* skips the dead entry */
}

TEST(register_keep_register_frees_once) {
  ts_scope_id id = ts_scope_begin();
  ts_tensor *t = make();
  ts_keep(t);
  ts_scope_register_tensor(t);
  CHECK_EQ(ts_scope_tensor_count(), 1); /* listed twice, counted once */
  CHECK_EQ(ts_scope_end(id), TS_OK);
  CHECK_EQ(ts_nbytes(t), 0);
}

TEST(free_inside_scope) {
  size_t before = live();
  ts_scope_id id = ts_scope_begin();
  ts_tensor *a = make(), *b = make();
  CHECK_EQ(ts_free(a), TS_OK);
  CHECK_EQ(ts_scope_tensor_count(), 1);
  CHECK_EQ(ts_free(a), TS_ERR_STALE_HANDLE);
  CHECK(strstr(ts_last_error(), "ts_free") != NULL);
  CHECK(strstr(ts_last_error(), "freed by ts_free") != NULL);
  CHECK_EQ(ts_scope_end(id), TS_OK);
  CHECK_EQ(live(), before);
  (void)b;
}

TEST(mismatched_end_frees_inner_scopes) {
  size_t before = live();
  ts_scope_id a = ts_scope_begin();
  ts_tensor *x = make();
  ts_scope_id b = ts_scope_begin();
  ts_tensor *y = make();
  ts_scope_id c = ts_scope_begin();
  ts_tensor *z = ts_escape(make()); /* to b, then freed with b */
  CHECK_EQ(ts_scope_end(a), TS_ERR_SCOPE_MISMATCH);
  CHECK_ERROR(TS_ERR_SCOPE_MISMATCH, "ts_scope_end");
  CHECK_EQ(ts_scope_depth(), 0);
  CHECK_EQ(live(), before);
  CHECK_EQ(ts_nbytes(x) + ts_nbytes(y) + ts_nbytes(z), 0);
  /* The inner ones are gone now. */
  CHECK_EQ(ts_scope_end(b), TS_ERR_BAD_SCOPE);
  CHECK_EQ(ts_scope_end(c), TS_ERR_BAD_SCOPE);
}

TEST(unknown_id_frees_nothing) {
  ts_scope_id id = ts_scope_begin();
  ts_tensor *t = make();
  CHECK_EQ(ts_scope_end(id + 1000000), TS_ERR_BAD_SCOPE);
  CHECK_ERROR(TS_ERR_BAD_SCOPE, "ts_scope_end");
  CHECK(strstr(ts_last_error(), "not on this thread's scope stack") != NULL);
  CHECK_EQ(ts_scope_end(0), TS_ERR_BAD_SCOPE);
  CHECK_EQ(ts_scope_depth(), 1);
  CHECK_EQ(ts_nbytes(t), 24);
  CHECK_EQ(ts_scope_end(id), TS_OK);
  CHECK_EQ(ts_scope_end(id), TS_ERR_BAD_SCOPE); /* twice */
}

TEST(ids_are_never_reused) {
  enum { N = 5000 };
  static ts_scope_id seen[N];
  for (int i = 0; i < N; i++) {
    seen[i] = ts_scope_begin();
    CHECK(seen[i] != 0);
    if (i)
      CHECK(seen[i] > seen[i - 1]); /* one thread: increasing, so distinct */
    CHECK_EQ(ts_scope_end(seen[i]), TS_OK);
  }
}

TEST(deep_nesting_grows) {
  enum { N = 300 };
  ts_scope_id ids[N];
  for (int i = 0; i < N; i++) {
    ids[i] = ts_scope_begin();
    make();
    CHECK_EQ(ts_scope_depth(), i + 1);
    CHECK(ts_in_scope());
  }
  for (int i = N; i-- > 0;)
    CHECK_EQ(ts_scope_end(ids[i]), TS_OK);
  CHECK(!ts_in_scope());
}

TEST(many_tensors_newest_first) {
  size_t before = live();
  ts_scope_id id = ts_scope_begin();
  for (int i = 0; i < 1000; i++)
    make();
  CHECK_EQ(ts_scope_tensor_count(), 1000);
  CHECK_EQ(live(), before + 1000);
  CHECK_EQ(ts_scope_end(id), TS_OK);
  CHECK_EQ(live(), before);
}

static void *run_body(void *ctx) {
  int *depth = ctx;
  *depth = ts_scope_depth();
  make();
  return ts_escape(make());
}

TEST(run_ends_its_scope) {
  int depth = -1;
  ts_tensor *t = ts_run(run_body, &depth);
  CHECK_EQ(depth, 1);
  CHECK_EQ(ts_scope_depth(), 0);
  CHECK_EQ(ts_nbytes(t), 24);
  CHECK_EQ(ts_free(t), TS_OK);
  CHECK(ts_run(NULL, NULL) == NULL);
  CHECK_ERROR(TS_ERR_NULL, "ts_run");
}

static void *run_unbalanced(void *ctx) {
  (void)ctx;
  ts_scope_begin(); /* forgot to end it */
  make();
  return NULL;
}

TEST(run_cleans_up_unbalanced_body) {
  size_t before = live();
  ts_run(run_unbalanced, NULL);
  CHECK_ERROR(TS_ERR_SCOPE_MISMATCH, "ts_scope_end");
  CHECK_EQ(ts_scope_depth(), 0);
  CHECK_EQ(live(), before);
}

/* An error inside a scope, then an early return: the scope is ended on the
 * way out and the error is still there for the caller. */
static ts_tensor *failing_step(void) {
  TS_SCOPE_GUARD();
  ts_tensor *a = make();
  ts_tensor *b = ts_zeros(TS_SHAPE(5), TS_FLOAT32);
  ts_tensor *c = ts_add(a, b); /* shape mismatch */
  if (!c)
    return NULL;
  return ts_escape(c);
}

TEST(error_in_scope_returns_early) {
  size_t before = live();
  CHECK(failing_step() == NULL);
  /* Checked first: every successful call (even a query) clears it. */
  CHECK_ERROR(TS_ERR_SHAPE, "ts_add");
  CHECK_EQ(ts_scope_depth(), 0);
  CHECK_EQ(live(), before);
}

TEST(success_clears_the_error) {
  ts_escape(NULL);
  CHECK_ERROR(TS_ERR_NULL, "ts_escape");
  CHECK_EQ(ts_scope_depth(), 0);
  CHECK_EQ(ts_last_status(), TS_OK);
  CHECK_EQ(ts_last_error()[0], '\0');
}

/* Begin and end are bookkeeping the plugin inserts: on success they leave
 * the last error alone, so it survives to where the user reads it. */
TEST(begin_and_end_keep_the_error) {
  ts_escape(NULL);
  ts_scope_id id = ts_scope_begin();
  CHECK_ERROR(TS_ERR_NULL, "ts_escape");
  CHECK_EQ(ts_scope_end(id), TS_OK);
  CHECK_ERROR(TS_ERR_NULL, "ts_escape");
  ts_scope_end(id); /* their own errors are reported */
  CHECK_ERROR(TS_ERR_BAD_SCOPE, "ts_scope_end");
}

TEST(guard_in_loop) {
  size_t before = live();
  for (int i = 0; i < 10; i++) {
    TS_SCOPE_GUARD();
    make();
    if (i == 3)
      continue;
    make();
    if (i == 7)
      break;
  }
  CHECK_EQ(live(), before);
  CHECK_EQ(ts_scope_depth(), 0);
}

/* tsmem.h's inline begin and end, and the library's functions (what -O0,
 * C++ and pointers call), work on one stack: any mix pairs up. */
TEST(inline_and_library_calls_mix) {
  ts_scope_id (*volatile begin)(void) = ts_scope_begin;
  ts_status (*volatile end)(ts_scope_id) = ts_scope_end;
  size_t before = live();
  ts_scope_id a = begin(), b = ts_scope_begin();
  make();
  ts_scope_id c = begin(), d = ts_scope_begin();
  CHECK(a < b && b < c && c < d);
  CHECK_EQ(ts_scope_depth(), 4);
  CHECK_EQ(end(d), TS_OK);
  CHECK_EQ(ts_scope_end(c), TS_OK);
  CHECK_EQ(end(b), TS_OK); /* owns a tensor */
  CHECK_EQ(live(), before);
  c = ts_scope_begin();
  CHECK_EQ(end(a), TS_ERR_SCOPE_MISMATCH);
  CHECK_EQ(ts_scope_end(c), TS_ERR_BAD_SCOPE);
  CHECK_EQ(ts_scope_depth(), 0);
}

RUN_TESTS(T(scope_frees_its_tensors), T(outside_scope_is_manual),
          T(escape_one_level_at_a_time), T(return_through_two_scopes),
          T(escape_at_depth_one_is_manual), T(escape_outside_scope_is_an_error),
          T(escape_of_outer_or_manual_is_left_alone),
          T(keep_takes_it_out_for_good), T(register_is_idempotent),
          T(register_moves_an_outer_tensor_inward),
          T(register_keep_register_frees_once), T(free_inside_scope),
          T(mismatched_end_frees_inner_scopes), T(unknown_id_frees_nothing),
          T(ids_are_never_reused), T(deep_nesting_grows),
          T(many_tensors_newest_first), T(run_ends_its_scope),
          T(run_cleans_up_unbalanced_body), T(error_in_scope_returns_early),
          T(success_clears_the_error), T(begin_and_end_keep_the_error),
          T(guard_in_loop), T(inline_and_library_calls_mix))
