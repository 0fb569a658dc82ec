/*
 * internal.h - what the runtime's C files share and nothing outside sees.
 *
 * error.c   thread-local last error, strict mode        ts__fail, ts__ok
 * handle.c  generational handle table, accounting       ts__wrap, ts__unwrap
 * scope.c   per-thread scope stack, ownership moves
 * async.c   scopes not tied to one call stack
 * pool.c    the tensor pool
 * stats.c   ts_memory, leak report, TSMEM_LEAK_REPORT
 * trace.c   TSMEM_TRACE Chrome trace events
 * tensor_api.c  the public tensor calls, on torch/tensor_core.h
 */
#ifndef TSMEM_RUNTIME_INTERNAL_H
#define TSMEM_RUNTIME_INTERNAL_H

#include "torch/tensor_core.h"
#include "tsmem.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Library-private symbols; the shared library exports only the public API. */
#define TS_INTERNAL __attribute__((visibility("hidden")))

/* ------------------------------------------------------------- error.c -- */

/* Records `st` and the message "<call>: <formatted cause and fix>" as the
 * thread's last error, aborts in strict mode, and returns st. `fmt` should
 * say what was wrong and how to fix it, e.g.
 *   ts__fail(TS_ERR_NULL, "ts_add", "argument b is NULL; pass a tensor made "
 *            "by a ts_* call");                                            */
ts_status ts__fail(ts_status st, const char *call, const char *fmt, ...)
    __attribute__((format(printf, 3, 4))) TS_INTERNAL;
/* Clears the thread's last error (every successful public call). */
void ts__ok(void) TS_INTERNAL;

/* ------------------------------------------------------------ handle.c -- */

/* Issues a handle for impl (taking its reference), owned as SPEC section 2
 * says: by the current scope of this thread, else manual. Records the pending
 * allocation site (ts__set_site) or the caller's return address. impl NULL
 * (the error is already set) gives NULL. */
ts_tensor *ts__wrap(tsc_tensor *impl, const char *call) TS_INTERNAL;
/* The borrowed impl of a live handle, or NULL after setting TS_ERR_NULL or
 * TS_ERR_STALE_HANDLE with a message naming `call` and the argument `arg`. */
tsc_tensor *ts__unwrap(const ts_tensor *t, const char *call,
                       const char *arg) TS_INTERNAL;

/* ------------------------------------------------------------- trace.c -- */

/* True once TSMEM_TRACE names a file; every hook below is then called by
 * the runtime (and only then: check the flag first, it is the fast path). */
extern bool ts__trace_on TS_INTERNAL;
/* A scope began or ended; site is where it was written (may be NULL). */
void ts__trace_scope_begin(ts_scope_id id, const ts__site *site) TS_INTERNAL;
void ts__trace_scope_end(ts_scope_id id) TS_INTERNAL;
/* Live tensors or bytes changed: sample the counters. */
void ts__trace_memory(size_t live_tensors, size_t live_bytes) TS_INTERNAL;

#ifdef __cplusplus
}
#endif

#endif /* TSMEM_RUNTIME_INTERNAL_H */
