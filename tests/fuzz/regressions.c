/*
 * regressions.c - what fuzz_runtime found, as plain readable tests.
 *
 * Each test is the smallest call sequence that showed the bug, with the
 * fuzzer's input that showed it kept in regress/.
 */
#include "../runtime/check.h"

/* A tensor kept (or escaped) and then registered back into the same scope
 * is listed twice by the scope; ts_scope_tensor_count must still count it
 * once. */
TEST(register_after_keep_counts_once) {
  ts_scope_id s = ts_scope_begin();
  ts_tensor *t = ts_zeros(TS_SHAPE(2), TS_INT64);
  CHECK_EQ(ts_scope_tensor_count(), 1);
  ts_keep(t);
  CHECK_EQ(ts_scope_tensor_count(), 0);
  ts_scope_register_tensor(t);
  CHECK_EQ(ts_last_status(), TS_OK);
  CHECK_EQ(ts_scope_tensor_count(), 1);
  ts_scope_register_tensor(t); /* idempotent */
  CHECK_EQ(ts_scope_tensor_count(), 1);
  CHECK_EQ(ts_scope_end(s), TS_OK);
  CHECK_EQ(ts_memory().live_tensors, 0);
}

TEST(register_after_escape_counts_once) {
  ts_scope_id outer = ts_scope_begin();
  ts_scope_id inner = ts_scope_begin();
  ts_tensor *t = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
  ts_escape(t); /* now the outer scope's, still listed by the inner one */
  CHECK_EQ(ts_scope_tensor_count(), 0);
  ts_scope_register_tensor(t); /* back into the inner scope */
  CHECK_EQ(ts_scope_tensor_count(), 1);
  CHECK_EQ(ts_scope_end(inner), TS_OK);
  CHECK_EQ(ts_scope_tensor_count(), 0);
  CHECK_EQ(ts_scope_end(outer), TS_OK);
}

/* Registered into an async scope after keep, then escaped from it: the
 * parent must count it once. */
TEST(async_register_then_escape_counts_once) {
  ts_scope_id s = ts_scope_begin();
  ts_tensor *t = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
  ts_async_scope *a = ts_async_scope_begin();
  CHECK_EQ(ts_async_scope_enter(a), TS_OK);
  ts_scope_register_tensor(t); /* the async scope's now */
  CHECK_EQ(ts_scope_tensor_count(), 1);
  ts_escape(t); /* back to s, which already listed it */
  CHECK_EQ(ts_scope_tensor_count(), 0);
  CHECK_EQ(ts_async_scope_leave(a), TS_OK);
  CHECK_EQ(ts_scope_tensor_count(), 1);
  CHECK_EQ(ts_async_scope_end(a), TS_OK);
  CHECK_EQ(ts_scope_end(s), TS_OK);
}

RUN_TESTS(T(register_after_keep_counts_once),
          T(register_after_escape_counts_once),
          T(async_register_then_escape_counts_once))
