/*
 * internal.h - what the runtime's C files share and nothing outside sees.
 *
 * error.c   thread-local last error, strict mode        ts__fail, ts__ok
 * handle.c  generational handle table, accounting       ts__wrap, ts__unwrap
 * hazard.c  the handle table's hazard slots (hazard.h)
 * scope.c   per-thread scope stack, ownership moves
 * async.c   scopes not tied to one call stack
 * pool.c    the tensor pool
 * stats.c   ts_memory, leak report, TSMEM_LEAK_REPORT
 * trace.c   TSMEM_TRACE Chrome trace events
 * tensor_api.c  the public tensor calls, on torch/tensor_core.h
 * sites.c   the ts__<call>_at twins the pass calls with a site
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
/* The code addresses where the tensor of a stale handle was made and freed
 * (NULL: unknown), for the next ts__fail only: they are symbolized and
 * appended to its message when the message is first read (ts_last_error, or
 * strict mode's report), since symbolizing runs addr2line. */
void ts__fail_sites(void *made, void *freed) TS_INTERNAL;
/* Clears the thread's last error (every successful public call). */
void ts__ok(void) TS_INTERNAL;

/* Static TLS (initial-exec): a %fs-relative access, no __tls_get_addr. */
#define TS_TLS __thread __attribute__((tls_model("initial-exec")))

/* A growable array of tensor handles: the tensors a scope has owned. */
typedef ts__list_v1 ts__list;

/* One frame of a thread's scope stack (scope.c). */
typedef ts__frame_v1 ts__frame;

/* An allocation site: a registered ts__sites key | line (tsmem.h); 0 for
 * none. */
typedef uint64_t ts__site;
#define TS__NO_SITE ((ts__site)0)

/* The per-thread state: what the fast paths in tsmem.h need is
 * the exported ts__hot_v1 (tsmem.h, private ABI); the rest is here, in one
 * TLS block so that a call loads its offset once. Both are defined in
 * scope.c; each part of this one is its file's. */
typedef struct ts__thread {
  /* scope.c: frames[0..ts__hot_v1.top) are the open scopes; frames[-1] a
   * sentinel. */
  ts_scope_id id_end; /* end of this thread's block of ids */
  ts__frame *frames;
  bool exit_hook;
  /* error.c: the last status (the message is there). */
  ts_status err_status;
  /* handle.c: the site from ts__set_site, for the next ts__wrap. */
  ts__site pending_site;
} ts__thread;
extern TS_TLS ts__thread ts__tls TS_INTERNAL;
#define ts__err_status (ts__tls.err_status)

void ts__ok_slow(void) TS_INTERNAL;
/* ts__ok for hot paths: a load and a branch when there is no error. */
static inline void ts__ok_fast(void) {
  if (__builtin_expect(ts__err_status != TS_OK, 0))
    ts__ok_slow();
}
/* True in strict mode (ts_set_strict or TSMEM_STRICT=1). */
bool ts__strict(void) TS_INTERNAL;

/* ------------------------------------------------------------ handle.c -- */

/* Issues a handle for impl (taking its reference), owned as SPEC section 2
 * says: by the current scope of this thread, else manual. Records the pending
 * allocation site (ts__set_site) or the caller's return address. impl NULL
 * (the error is already set) gives NULL. On success the last error is clear.
 * Always inlined so that the return address is the one of the public call
 * that wraps (the user's call site when that call wraps directly). */
ts_tensor *ts__wrap_at(tsc_tensor *impl, const char *call,
                       void *ret) TS_INTERNAL;
static inline __attribute__((always_inline)) ts_tensor *
ts__wrap(tsc_tensor *impl, const char *call) {
  return ts__wrap_at(impl, call, __builtin_return_address(0));
}
/* The impl of a live handle, pinned: until the matching ts__unpin, a free
 * of the handle by another thread ends the handle but not the tensor (the
 * last unpin releases it), so the impl stays valid. NULL (nothing pinned)
 * after setting TS_ERR_NULL or TS_ERR_STALE_HANDLE with a message naming
 * `call` and the argument `arg`. Lock-free: one compare-and-swap. */
tsc_tensor *ts__unwrap(const ts_tensor *t, const char *call,
                       const char *arg) TS_INTERNAL;
/* Ends the use of an impl that ts__unwrap(t, ...) returned (not NULL): after
 * it, another thread may free the tensor. Every successful ts__unwrap is
 * paired with exactly one ts__unpin, on every path (errors included), once
 * the impl is no longer needed; it may release the tensor (never sets an
 * error). One atomic decrement. */
void ts__unpin(const ts_tensor *t) TS_INTERNAL;

/* Handle layout: tag (16 bits) | generation (22) | slot index (26). The tag
 * sits where user-space pointers have zeros, so no pointer is ever taken for
 * a handle, and a handle is a non-canonical address that faults if anyone
 * dereferences it. */
#define TS__TAG_SHIFT 48
#define TS__GEN_BITS 22
#define TS__IDX_BITS 26
#define TS__TAG_TENSOR 0x75E0u

/* Why a slot's tensor died, kept until the slot is reused so that a stale
 * handle's message can say what happened to it. */
typedef enum ts__death {
  TS__DEATH_NONE,
  TS__DEATH_FREED,      /* ts_free */
  TS__DEATH_POOLED,     /* ts_pool_release */
  TS__DEATH_SCOPE,      /* its scope ended */
  TS__DEATH_ASYNC,      /* its async scope ended */
  TS__DEATH_THREAD_EXIT /* its thread exited with the scope open */
} ts__death;

/* Owner of a live tensor: 0 = manual, else the id of a scope. */
#define TS__MANUAL 0u
/* Not a live handle (for ts__owner). */
#define TS__NO_OWNER UINT64_MAX

/* The owner of a live handle, or TS__NO_OWNER. Lock-free. */
uint64_t ts__owner(uintptr_t h) TS_INTERNAL;
/* Checks a handle like ts__unwrap (same errors); then, under the table lock,
 * if its owner is `from` (or from == TS__NO_OWNER: any), sets it to `to`.
 * *old gets the owner it had. Returns TS_OK, TS_ERR_NULL or
 * TS_ERR_STALE_HANDLE. */
ts_status ts__move(const ts_tensor *t, const char *call, uint64_t from,
                   uint64_t to, uint64_t *old) TS_INTERNAL;
/* Frees, newest (v[n-1]) first, every handle of v that is live and owned by
 * `owner`: a scope ending. `ret` is where (a return address in the code
 * that ended it, for stale-handle errors). Returns how many. Never sets an
 * error. */
size_t ts__free_owned(const uintptr_t *v, size_t n, uint64_t owner,
                      ts__death why, void *ret) TS_INTERNAL;
/* Ends a live handle, giving back its tensor reference in *impl instead of
 * dropping it (ts_pool_release), and its size in *nbytes. *impl is NULL when
 * another thread's call has the tensor pinned: the last unpin releases it
 * (such a tensor is not pooled: it is in use). `ret` is where it was
 * released (a return address). Not live: the error set like ts__unwrap's. */
ts_status ts__detach(ts_tensor *t, const char *call, const char *arg,
                     void *ret, size_t *nbytes, tsc_tensor **impl) TS_INTERNAL;
/* Pooled tensors in the accounting: +1/-1 tensor of nbytes. */
void ts__account_pooled(int delta, size_t nbytes) TS_INTERNAL;

/* A snapshot of the counters, and a walk over live tensors (for the leak
 * report), both under the table lock. */
ts_memory_stats ts__memory(void) TS_INTERNAL;
typedef struct ts__live {
  ts__site site; /* from ts__set_site, or TS__NO_SITE */
  void *ret;     /* else the return address of the wrapping call */
  size_t nbytes;
} ts__live;
/* Fills at most cap records; returns how many tensors are live. */
size_t ts__live_tensors(ts__live *out, size_t cap) TS_INTERNAL;

/* The pending allocation site set by ts__set_site, consumed by the next
 * ts__wrap, dropped by ts__fail. */
#define ts__pending_site (ts__tls.pending_site)
/* Gives t, if it is live and has no site, the site `site` (a twin's stamp:
 * sites.c). Never sets an error. */
void ts__stamp_site(const ts_tensor *t, ts__site site) TS_INTERNAL;
/* Where a registered site's function is, or NULL (sites.c). */
const ts__sites *ts__find_sites(ts__site site) TS_INTERNAL;

/* ----------------------------------------------------- object handles -- */

/* Async scopes and pools are handed out as handles too (tag | generation |
 * index into a small table), so a destroyed or bogus pointer is caught
 * without being dereferenced. */
#define TS__TAG_ASYNC 0x75A5u
#define TS__TAG_POOL 0x75B0u
/* A new handle for obj, or NULL when out of memory. */
void *ts__obj_register(unsigned tag, void *obj) TS_INTERNAL;
/* The object of a live handle of this tag, or NULL (no error set). */
void *ts__obj_lookup(unsigned tag, const void *handle) TS_INTERNAL;
/* Kills the handle; later lookups give NULL. */
void ts__obj_unregister(unsigned tag, const void *handle) TS_INTERNAL;

/* ------------------------------------------------------------- scope.c -- */

bool ts__list_grow(ts__list *l) TS_INTERNAL;
/* Room for one more entry (amortised growth). */
static inline bool ts__list_reserve(ts__list *l) {
  return __builtin_expect(l->n < l->cap, 1) || ts__list_grow(l);
}

typedef struct ts__async ts__async;

/* The current scope of this thread: its id (TS__MANUAL outside any scope)
 * and the list its new tensors go to, with room for one more (NULL outside
 * any scope). False when that room could not be allocated. */
bool ts__scope_current(uint64_t *owner, ts__list **list) TS_INTERNAL;
/* Pushes an entered async scope as this thread's current scope; pops it. */
bool ts__scope_push_async(ts__async *a, uint64_t id) TS_INTERNAL;
/* Pops `a` from this thread's stack, ending the scopes above it first.
 * Returns how many scopes were above it, or -1 when it is not on the stack. */
int ts__scope_pop_async(ts__async *a) TS_INTERNAL;
/* A fresh scope id: unique, never 0, never reused. */
uint64_t ts__scope_new_id(void) TS_INTERNAL;

/* ------------------------------------------------------------- async.c -- */

/* The owned list of an async scope entered on this thread. */
ts__list *ts__async_list(ts__async *a) TS_INTERNAL;
/* The thread that entered `a` left it without ts_async_scope_leave (a scope
 * end on the stack below, or thread exit): mark it not entered. */
void ts__async_detach(ts__async *a) TS_INTERNAL;

/* -------------------------------------------------------- tensor_api.c -- */

enum { TS_MAX_NDIM = 64 };
/* Argument checks shared by the tensor calls and the pool, each setting the
 * error (naming `call`) and returning false on a bad argument. */
bool ts__check_dtype(const char *call, ts_dtype dtype) TS_INTERNAL;
/* ndim in 0..TS_MAX_NDIM and shape non-NULL when ndim > 0. */
bool ts__check_shape_arg(const char *call, const int64_t *shape,
                         int ndim) TS_INTERNAL;
/* A whole shape argument as the factories check it (ts_zeros): the above,
 * then every size >= 0 (TS_ERR_SHAPE) and a byte count that fits. */
bool ts__check_shape(const char *call, const int64_t *shape, int ndim,
                     ts_dtype dtype) TS_INTERNAL;

/* ------------------------------------------------------------- trace.c -- */

/* True once TSMEM_TRACE names a file; every hook below is then called by
 * the runtime (and only then: check the flag first, it is the fast path). */
extern bool ts__trace_on TS_INTERNAL;
/* A scope began or ended; site is where it was written (may be NULL). */
void ts__trace_scope_begin(ts_scope_id id) TS_INTERNAL;
void ts__trace_scope_end(ts_scope_id id) TS_INTERNAL;
/* Live tensors or bytes changed: sample the counters. */
void ts__trace_memory(size_t live_tensors, size_t live_bytes) TS_INTERNAL;

#ifdef __cplusplus
}
#endif

#endif /* TSMEM_RUNTIME_INTERNAL_H */
