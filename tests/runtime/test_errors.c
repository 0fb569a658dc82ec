/* test_errors.c - the last error, its messages, strict mode. */
#include "check.h"
#include "child.h"

#include <stdlib.h>

/* In a child: one misuse, which strict mode turns into an abort. */
static void child_misuse(void) {
  const char *mode = child_mode();
  if (!mode)
    return;
  if (!strcmp(mode, "set_strict"))
    ts_set_strict(true);
  ts_escape(NULL);
  fprintf(stderr, "child: still alive\n");
  exit(0);
}

TEST(starts_clean) {
  child_misuse();
  CHECK_EQ(ts_last_status(), TS_OK);
  CHECK(ts_last_error() != NULL);
  CHECK_EQ(ts_last_error()[0], '\0');
}

TEST(clear_error) {
  ts_free(NULL);
  CHECK_ERROR(TS_ERR_NULL, "ts_free");
  CHECK(strlen(ts_last_error()) > strlen("ts_free: "));
  ts_clear_error();
  CHECK_EQ(ts_last_status(), TS_OK);
  CHECK_EQ(ts_last_error()[0], '\0');
}

TEST(message_is_call_cause_fix) {
  ts_scope_end(424242424242ull);
  CHECK_ERROR(TS_ERR_BAD_SCOPE, "ts_scope_end");
  const char *m = ts_last_error();
  CHECK(!strncmp(m, "ts_scope_end: ", 14));
  CHECK(strstr(m, "424242424242") != NULL); /* the cause names the id */
  CHECK(strstr(m, "; ") != NULL);           /* then the fix */
}

TEST(errors_are_per_thread_and_success_clears) {
  ts_free(NULL);
  CHECK_ERROR(TS_ERR_NULL, "ts_free");
  ts_tensor *t = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
  CHECK_EQ(ts_last_status(), TS_OK);
  ts_free(t);
  CHECK_EQ(ts_last_status(), TS_OK);
}

/* Every status the non-tensor calls produce, each naming its call. */
TEST(every_status) {
  ts_tensor *m = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
  ts_escape(m);
  CHECK_ERROR(TS_ERR_NO_SCOPE, "ts_escape");

  ts_scope_id a = ts_scope_begin();
  ts_scope_begin();
  CHECK_EQ(ts_scope_end(a), TS_ERR_SCOPE_MISMATCH);
  CHECK_ERROR(TS_ERR_SCOPE_MISMATCH, "ts_scope_end");

  CHECK_EQ(ts_scope_end(a), TS_ERR_BAD_SCOPE);
  CHECK_ERROR(TS_ERR_BAD_SCOPE, "ts_scope_end");

  ts_free(m);
  CHECK_EQ(ts_free(m), TS_ERR_STALE_HANDLE);
  CHECK_ERROR(TS_ERR_STALE_HANDLE, "ts_free");

  CHECK_EQ(ts_async_scope_enter(NULL), TS_ERR_NULL);
  CHECK_ERROR(TS_ERR_NULL, "ts_async_scope_enter");

  ts_pool *p = ts_pool_new(0);
  ts_pool_destroy(p);
  ts_pool_get_stats(p);
  CHECK_ERROR(TS_ERR_POOL, "ts_pool_get_stats");

  ts_async_scope *s = ts_async_scope_begin();
  ts_async_scope_enter(s);
  CHECK_EQ(ts_async_scope_enter(s), TS_ERR_BUSY);
  CHECK_ERROR(TS_ERR_BUSY, "ts_async_scope_enter");
  ts_async_scope_leave(s);
  ts_async_scope_end(s);

  ts_pool *q = ts_pool_new(0);
  ts_pool_acquire(q, NULL, -3, TS_FLOAT32);
  CHECK_ERROR(TS_ERR_ARG, "ts_pool_acquire");
  ts_pool_acquire(q, TS_SHAPE(1), (ts_dtype)-1);
  CHECK_ERROR(TS_ERR_DTYPE, "ts_pool_acquire");
  ts_pool_destroy(q);
}

TEST(strict_mode_aborts) {
  child_result r = child_run("set_strict", NULL);
  CHECK_EQ(r.signal, SIGABRT);
  CHECK(strstr(r.err, "ts_escape: t is NULL") != NULL);
  CHECK(strstr(r.err, "still alive") == NULL);
}

TEST(strict_from_env) {
  const char *env[] = {"TSMEM_STRICT=1", NULL};
  child_result r = child_run("env", env);
  CHECK_EQ(r.signal, SIGABRT);
  CHECK(strstr(r.err, "ts_escape") != NULL);

  const char *off[] = {"TSMEM_STRICT=0", NULL};
  r = child_run("env", off);
  CHECK_EQ(r.signal, 0);
  CHECK_EQ(r.exit_code, 0);
  CHECK(strstr(r.err, "still alive") != NULL);
}

TEST(strict_off_again) {
  ts_set_strict(true);
  ts_set_strict(false);
  ts_free(NULL); /* would abort in strict mode */
  CHECK_ERROR(TS_ERR_NULL, "ts_free");
}

RUN_TESTS(T(starts_clean), T(clear_error), T(message_is_call_cause_fix),
          T(errors_are_per_thread_and_success_clears), T(every_status),
          T(strict_mode_aborts), T(strict_from_env), T(strict_off_again))
