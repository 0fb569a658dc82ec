/*
 * async.c - async scopes: scopes not tied to one call stack.
 *
 * An async scope owns its own list of tensors. Entering it pushes it on
 * this thread's scope stack (scope.c), so new tensors go to it until leave;
 * one thread at a time may have it entered. Its list is touched only by the
 * thread that has it entered, or by end when nobody has; the mutex hands it
 * over between threads.
 *
 * The ts_async_scope * users hold is a handle (handle.c object table), so a
 * NULL, ended or bogus one is reported, never dereferenced.
 *
 * Rules chosen where the spec leaves room:
 * - end while entered (on any thread, this one included): TS_ERR_BUSY and
 *   nothing is freed; leave it first. Freeing tensors a running job is using
 *   is the one thing that must not happen.
 * - enter while entered on this thread: TS_ERR_BUSY (no recursion).
 * - leave with scopes begun after enter still open: they end first (their
 *   tensors freed), then the leave, and TS_ERR_SCOPE_MISMATCH (as
 *   ts_scope_end does).
 * - a plain scope ending beneath an entered async scope only leaves it; a
 *   thread exiting with it entered leaves it too. Its tensors stay its own.
 */
#include "internal.h"

#include <pthread.h>
#include <stdlib.h>

struct ts__async {
  uint64_t id;
  pthread_mutex_t mu;
  const ts_async_scope *self; /* its live handle; NULL once ended */
  ts__async *next_spare;
  bool entered;
  pthread_t thread; /* valid while entered */
  ts__list owned;
};

ts__list *ts__async_list(ts__async *a) { return &a->owned; }

void ts__async_detach(ts__async *a) {
  pthread_mutex_lock(&a->mu);
  a->entered = false;
  pthread_mutex_unlock(&a->mu);
}

/* The scope of a live handle, locked; else NULL with the error set. Async
 * scopes are never returned to malloc (ended ones are kept as spares), so
 * one ended by another thread between the lookup and the lock is still an
 * async scope: its handle no longer matches and the call is refused. */
static ts__async *lock_async(ts_async_scope *s, const char *call) {
  if (!s) {
    ts__fail(TS_ERR_NULL, call,
             "s is NULL; pass an async scope from ts_async_scope_begin");
    return NULL;
  }
  ts__async *a = ts__obj_lookup(TS__TAG_ASYNC, s);
  if (a) {
    pthread_mutex_lock(&a->mu);
    if (a->self != s) {
      pthread_mutex_unlock(&a->mu);
      a = NULL;
    }
  }
  if (!a)
    ts__fail(TS_ERR_BAD_SCOPE, call,
             "s (%p) is not a live async scope (already ended, or not made "
             "by ts_async_scope_begin); begin a new one with "
             "ts_async_scope_begin",
             (void *)s);
  return a;
}

static pthread_mutex_t spares_mu = PTHREAD_MUTEX_INITIALIZER;
static ts__async *spares;

static void spare(ts__async *a) {
  pthread_mutex_lock(&spares_mu);
  a->next_spare = spares;
  spares = a;
  pthread_mutex_unlock(&spares_mu);
}

ts_async_scope *ts_async_scope_begin(void) {
  pthread_mutex_lock(&spares_mu);
  ts__async *a = spares;
  if (a)
    spares = a->next_spare;
  pthread_mutex_unlock(&spares_mu);
  if (!a && (a = calloc(1, sizeof *a)))
    pthread_mutex_init(&a->mu, NULL);
  ts_async_scope *s = a ? ts__obj_register(TS__TAG_ASYNC, a) : NULL;
  if (!s) {
    if (a)
      spare(a);
    ts__fail(TS_ERR_OOM, "ts_async_scope_begin",
             "out of memory for a new async scope; end finished ones");
    return NULL;
  }
  pthread_mutex_lock(&a->mu);
  a->id = ts__scope_new_id();
  a->entered = false;
  a->owned.n = 0;
  a->self = s;
  pthread_mutex_unlock(&a->mu);
  ts__ok_fast();
  return s;
}

ts_status ts_async_scope_enter(ts_async_scope *s) {
  static const char call[] = "ts_async_scope_enter";
  ts__async *a = lock_async(s, call);
  if (!a)
    return ts_last_status();
  uint64_t id = a->id; /* read under the lock for the messages below */
  bool busy = a->entered;
  bool here = busy && pthread_equal(a->thread, pthread_self());
  if (!busy) {
    a->entered = true;
    a->thread = pthread_self();
  }
  pthread_mutex_unlock(&a->mu);
  if (here)
    return ts__fail(TS_ERR_BUSY, call,
                    "async scope %llu is already entered on this thread; "
                    "leave it before entering it again",
                    (unsigned long long)id);
  if (busy)
    return ts__fail(TS_ERR_BUSY, call,
                    "async scope %llu is entered on another thread; wait "
                    "until that thread calls ts_async_scope_leave",
                    (unsigned long long)id);
  if (!ts__scope_push_async(a, id)) {
    ts__async_detach(a);
    return ts_last_status(); /* out of memory, already reported */
  }
  ts__ok_fast();
  return TS_OK;
}

ts_status ts_async_scope_leave(ts_async_scope *s) {
  static const char call[] = "ts_async_scope_leave";
  ts__async *a = lock_async(s, call);
  if (!a)
    return ts_last_status();
  uint64_t id = a->id; /* read under the lock for the messages below */
  bool busy = a->entered;
  pthread_mutex_unlock(&a->mu);
  /* Entered on this thread: it is on this stack, and cannot be ended (end
   * refuses while entered) or entered elsewhere until the pop below. */
  int above = ts__scope_pop_async(a);
  if (above < 0) {
    if (busy)
      return ts__fail(TS_ERR_BUSY, call,
                      "async scope %llu is entered on another thread; leave "
                      "it on the thread that entered it",
                      (unsigned long long)id);
    return ts__fail(TS_ERR_BAD_SCOPE, call,
                    "async scope %llu is not entered; call "
                    "ts_async_scope_enter first",
                    (unsigned long long)id);
  }
  if (above > 0)
    return ts__fail(TS_ERR_SCOPE_MISMATCH, call,
                    "%d scope(s) begun after ts_async_scope_enter were still "
                    "open and were ended first (their tensors freed); end "
                    "them before leaving",
                    above);
  ts__ok_fast();
  return TS_OK;
}

ts_status ts_async_scope_end(ts_async_scope *s) {
  static const char call[] = "ts_async_scope_end";
  ts__async *a = lock_async(s, call);
  if (!a)
    return ts_last_status();
  if (a->entered) {
    pthread_mutex_unlock(&a->mu);
    return ts__fail(TS_ERR_BUSY, call,
                    "async scope %llu is still entered, so nothing was "
                    "freed; call ts_async_scope_leave first",
                    (unsigned long long)a->id);
  }
  /* Dead before anyone else can enter it; the mutex orders this after the
   * last leave, so the list is ours now. */
  ts__obj_unregister(TS__TAG_ASYNC, s);
  a->self = NULL;
  ts__free_owned(a->owned.v, a->owned.n, a->id, TS__DEATH_ASYNC,
                 __builtin_return_address(0));
  free(a->owned.v);
  a->owned = (ts__list){0};
  pthread_mutex_unlock(&a->mu);
  spare(a);
  ts__ok_fast();
  return TS_OK;
}
