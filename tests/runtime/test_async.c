/* test_async.c - async scopes: enter/leave/end, jobs, threads. */
#include "check.h"

#include <pthread.h>

static ts_tensor *make(void) { return ts_ones(TS_SHAPE(4), TS_FLOAT32); }

static size_t live(void) { return ts_memory().live_tensors; }

TEST(owns_what_is_made_while_entered) {
  size_t before = live();
  ts_async_scope *s = ts_async_scope_begin();
  CHECK(s != NULL);
  CHECK_EQ(ts_async_scope_enter(s), TS_OK);
  CHECK(ts_in_scope());
  CHECK_EQ(ts_scope_depth(), 1);
  ts_tensor *a = make();
  CHECK_EQ(ts_scope_tensor_count(), 1);
  CHECK_EQ(ts_async_scope_leave(s), TS_OK);
  CHECK(!ts_in_scope());
  ts_tensor *m = make(); /* manual: not the job's */
  CHECK_EQ(ts_nbytes(a), 16);
  CHECK_EQ(ts_async_scope_end(s), TS_OK);
  CHECK_EQ(ts_nbytes(a), 0);
  CHECK(strstr(ts_last_error(), "async scope ended") != NULL);
  CHECK_EQ(ts_free(m), TS_OK);
  CHECK_EQ(live(), before);
}

TEST(two_interleaved_jobs_never_mix) {
  ts_async_scope *j1 = ts_async_scope_begin(), *j2 = ts_async_scope_begin();
  ts_async_scope_enter(j1);
  ts_tensor *a = make();
  ts_async_scope_leave(j1);
  ts_async_scope_enter(j2);
  ts_tensor *b = make();
  ts_async_scope_leave(j2);
  ts_async_scope_enter(j1);
  ts_tensor *c = make();
  CHECK_EQ(ts_scope_tensor_count(), 2);
  ts_async_scope_leave(j1);
  CHECK_EQ(ts_async_scope_end(j1), TS_OK);
  CHECK_EQ(ts_nbytes(a) + ts_nbytes(c), 0);
  CHECK_EQ(ts_nbytes(b), 16);
  CHECK_EQ(ts_async_scope_end(j2), TS_OK);
  CHECK_EQ(ts_nbytes(b), 0);
}

TEST(plain_scopes_inside_an_async_scope) {
  ts_async_scope *s = ts_async_scope_begin();
  ts_async_scope_enter(s);
  ts_tensor *kept;
  {
    TS_SCOPE_GUARD();
    CHECK_EQ(ts_scope_depth(), 2);
    make();
    kept = ts_escape(make()); /* to the async scope */
  }
  CHECK_EQ(ts_scope_tensor_count(), 1);
  ts_async_scope_leave(s);
  CHECK_EQ(ts_nbytes(kept), 16);
  ts_async_scope_end(s);
  CHECK_EQ(ts_nbytes(kept), 0);
}

TEST(escape_from_async_goes_beneath) {
  ts_scope_id outer = ts_scope_begin();
  ts_async_scope *s = ts_async_scope_begin();
  ts_async_scope_enter(s);
  ts_tensor *t = ts_escape(make());
  CHECK_EQ(ts_last_status(), TS_OK);
  CHECK_EQ(ts_scope_tensor_count(), 0);
  ts_async_scope_leave(s);
  CHECK_EQ(ts_async_scope_end(s), TS_OK);
  CHECK_EQ(ts_nbytes(t), 16); /* the outer scope's now */
  CHECK_EQ(ts_scope_tensor_count(), 1);
  CHECK_EQ(ts_scope_end(outer), TS_OK);
  CHECK_EQ(ts_nbytes(t), 0);

  /* Nothing beneath: manual. */
  s = ts_async_scope_begin();
  ts_async_scope_enter(s);
  t = ts_escape(make());
  ts_async_scope_leave(s);
  ts_async_scope_end(s);
  CHECK_EQ(ts_nbytes(t), 16);
  ts_free(t);
}

typedef struct {
  ts_async_scope *s;
  ts_status enter, leave, end;
  ts_tensor *t;
} other;

static void *other_thread(void *arg) {
  other *o = arg;
  o->enter = ts_async_scope_enter(o->s);
  o->leave = ts_async_scope_leave(o->s);
  o->end = ts_async_scope_end(o->s);
  return NULL;
}

TEST(entered_elsewhere_is_busy) {
  other o = {ts_async_scope_begin(), 0, 0, 0, NULL};
  ts_async_scope_enter(o.s);
  ts_tensor *t = make();
  pthread_t th;
  pthread_create(&th, NULL, other_thread, &o);
  pthread_join(th, NULL);
  CHECK_EQ(o.enter, TS_ERR_BUSY);
  CHECK_EQ(o.leave, TS_ERR_BUSY);
  CHECK_EQ(o.end, TS_ERR_BUSY);
  CHECK_EQ(ts_nbytes(t), 16); /* nothing freed */
  /* And on this thread: entered twice, or ended while entered. */
  CHECK_EQ(ts_async_scope_enter(o.s), TS_ERR_BUSY);
  CHECK_ERROR(TS_ERR_BUSY, "ts_async_scope_enter");
  CHECK_EQ(ts_async_scope_end(o.s), TS_ERR_BUSY);
  CHECK_ERROR(TS_ERR_BUSY, "ts_async_scope_end");
  CHECK_EQ(ts_nbytes(t), 16);
  CHECK_EQ(ts_async_scope_leave(o.s), TS_OK);
  CHECK_EQ(ts_async_scope_end(o.s), TS_OK);
  CHECK_EQ(ts_nbytes(t), 0);
}

static void *resume_elsewhere(void *arg) {
  other *o = arg;
  o->enter = ts_async_scope_enter(o->s);
  o->t = make(); /* the job's, made on another thread */
  o->leave = ts_async_scope_leave(o->s);
  return NULL;
}

TEST(resumes_on_another_thread) {
  other o = {ts_async_scope_begin(), 0, 0, 0, NULL};
  ts_async_scope_enter(o.s);
  ts_tensor *a = make();
  ts_async_scope_leave(o.s);
  pthread_t th;
  pthread_create(&th, NULL, resume_elsewhere, &o);
  pthread_join(th, NULL);
  CHECK_EQ(o.enter, TS_OK);
  CHECK_EQ(o.leave, TS_OK);
  CHECK_EQ(ts_nbytes(o.t), 16);
  CHECK_EQ(ts_async_scope_end(o.s), TS_OK);
  CHECK_EQ(ts_nbytes(a) + ts_nbytes(o.t), 0);
}

static void *exit_while_entered(void *arg) {
  other *o = arg;
  o->enter = ts_async_scope_enter(o->s);
  o->t = make();
  return NULL; /* no leave: the thread's exit leaves it */
}

TEST(thread_exit_leaves_it) {
  other o = {ts_async_scope_begin(), 0, 0, 0, NULL};
  pthread_t th;
  pthread_create(&th, NULL, exit_while_entered, &o);
  pthread_join(th, NULL);
  CHECK_EQ(ts_nbytes(o.t), 16); /* still the job's */
  CHECK_EQ(ts_async_scope_end(o.s), TS_OK);
  CHECK_EQ(ts_nbytes(o.t), 0);
}

TEST(leave_with_open_scopes_ends_them) {
  size_t before = live();
  ts_async_scope *s = ts_async_scope_begin();
  ts_async_scope_enter(s);
  ts_tensor *mine = make();
  ts_scope_id inner = ts_scope_begin();
  make();
  CHECK_EQ(ts_async_scope_leave(s), TS_ERR_SCOPE_MISMATCH);
  CHECK_ERROR(TS_ERR_SCOPE_MISMATCH, "ts_async_scope_leave");
  CHECK_EQ(ts_scope_depth(), 0);
  CHECK_EQ(ts_scope_end(inner), TS_ERR_BAD_SCOPE);
  CHECK_EQ(ts_nbytes(mine), 16);
  CHECK_EQ(ts_async_scope_end(s), TS_OK);
  CHECK_EQ(live(), before);
}

TEST(scope_end_beneath_leaves_it) {
  ts_scope_id outer = ts_scope_begin();
  ts_async_scope *s = ts_async_scope_begin();
  ts_async_scope_enter(s);
  ts_tensor *t = make();
  CHECK_EQ(ts_scope_end(outer), TS_ERR_SCOPE_MISMATCH);
  CHECK_EQ(ts_scope_depth(), 0);
  CHECK_EQ(ts_nbytes(t), 16); /* the job's tensors stay */
  CHECK_EQ(ts_async_scope_leave(s), TS_ERR_BAD_SCOPE); /* already left */
  CHECK_EQ(ts_async_scope_end(s), TS_OK);
  CHECK_EQ(ts_nbytes(t), 0);
}

TEST(scope_end_of_async_id_is_refused) {
  ts_async_scope *s = ts_async_scope_begin();
  ts_async_scope_enter(s);
  ts_scope_id inner = ts_scope_begin();
  ts_scope_end(inner);
  /* The async frame's id is the one just below inner's, but it is not a
   * plain scope: ts_scope_end must not end it. */
  CHECK_EQ(ts_scope_depth(), 1);
  ts_async_scope_leave(s);
  ts_async_scope_end(s);
}

TEST(bad_async_handles) {
  CHECK_EQ(ts_async_scope_enter(NULL), TS_ERR_NULL);
  CHECK_ERROR(TS_ERR_NULL, "ts_async_scope_enter");
  ts_async_scope *s = ts_async_scope_begin();
  CHECK_EQ(ts_async_scope_end(s), TS_OK);
  CHECK_EQ(ts_async_scope_end(s), TS_ERR_BAD_SCOPE);
  CHECK_ERROR(TS_ERR_BAD_SCOPE, "ts_async_scope_end");
  CHECK_EQ(ts_async_scope_enter(s), TS_ERR_BAD_SCOPE);
  CHECK_EQ(ts_async_scope_leave(s), TS_ERR_BAD_SCOPE);
  CHECK_ERROR(TS_ERR_BAD_SCOPE, "ts_async_scope_leave");
  CHECK_EQ(ts_async_scope_enter((ts_async_scope *)0x1234), TS_ERR_BAD_SCOPE);
  int local;
  CHECK_EQ(ts_async_scope_end((ts_async_scope *)&local), TS_ERR_BAD_SCOPE);
  /* A new scope does not revive the old handle. */
  ts_async_scope *s2 = ts_async_scope_begin();
  CHECK(s2 != s);
  CHECK_EQ(ts_async_scope_enter(s), TS_ERR_BAD_SCOPE);
  CHECK_EQ(ts_async_scope_leave(s2), TS_ERR_BAD_SCOPE); /* not entered */
  CHECK_EQ(ts_async_scope_end(s2), TS_OK);
}

RUN_TESTS(T(owns_what_is_made_while_entered), T(two_interleaved_jobs_never_mix),
          T(plain_scopes_inside_an_async_scope),
          T(escape_from_async_goes_beneath), T(entered_elsewhere_is_busy),
          T(resumes_on_another_thread), T(thread_exit_leaves_it),
          T(leave_with_open_scopes_ends_them), T(scope_end_beneath_leaves_it),
          T(scope_end_of_async_id_is_refused), T(bad_async_handles))
