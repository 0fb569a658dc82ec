/*
 * scope.c - the per-thread scope stack and ownership moves.
 *
 * Each thread has a stack of frames over one array of owned tensor handles:
 * a plain scope owns the region [frame.start, next frame's start) of the
 * array. An entered async scope is a frame too, but its tensors go to the
 * async scope's own list, never to this array (they outlive the frame).
 *
 * Ownership lives in the tensor's slot (its owner field), so escape, keep
 * and register are O(1) and the region is only a list of candidates: when a
 * scope ends it frees what is still live and owned by it, hands what was
 * escaped to its parent, and skips the rest (freed, pooled, kept, moved).
 *
 * An empty ts_scope_begin/ts_scope_end pair is the hot path (the plugin puts
 * one around every loop iteration): no lock, no call, no allocation there.
 * Those fast paths are defined in tsmem.h (ts__scope_begin_fast and
 * ts__scope_end_fast, over the state in ts__hot_v1), where the inline
 * ts_scope_begin and ts_scope_end call them; this file has the external
 * definitions of those two and the slow paths: growth, id blocks, tracing,
 * async frames and errors.
 */
/* The external definitions of tsmem.h's inline ts_scope_begin and
 * ts_scope_end are this file's. */
#define TS__SCOPE_EXTERN
#include "internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

/* A frame is 16 bytes, so begin stores two words. `at` is a plain scope's
 * region start in owned, or ~pointer of an entered async scope: user-space
 * pointers have the top bit clear, so the complement has it set and never
 * equals a count, which lets ts_scope_end's one test "at == owned.n" rule
 * out async frames. While tracing, plain frames carry TRACED in `at` too,
 * which sends their end to the slow path (where the trace hook is). */
typedef ts__frame frame;
#define TRACED ((uintptr_t)1 << 62)

static inline ts__async *frame_async(const frame *f) {
  return f->at >> 63 ? (ts__async *)~f->at : NULL;
}
static inline size_t frame_start(const frame *f) { return f->at & ~TRACED; }

/* Where a thread's frames point before its first begin: frames[-1] is
 * always a sentinel with id 0 (never an id), so end needs no empty check. */
static frame no_frames[1] = {{0, UINTPTR_MAX}};

TS_TLS struct ts__hot_v1 ts__hot_v1 = {.top = no_frames + 1,
                                       .limit = no_frames + 1};
TS_TLS ts__thread ts__tls = {.frames = no_frames + 1};

#define hot ts__hot_v1
#define tls ts__tls
#define DEPTH ((size_t)(hot.top - tls.frames))

/* Ids come in blocks so that begin never touches a shared cache line. */
enum { ID_BLOCK = 1024 };
static _Atomic uint64_t next_id_block = 1; /* 0 is never an id */

uint64_t ts__scope_new_id(void) {
  return atomic_fetch_add_explicit(&next_id_block, 1, memory_order_relaxed);
}

bool ts__list_grow(ts__list *l) {
  size_t cap = l->cap ? l->cap * 2 : 64;
  uintptr_t *v = realloc(l->v, cap * sizeof *v);
  if (!v)
    return false;
  l->v = v;
  l->cap = cap;
  return true;
}

/* ------------------------------------------------------- ending frames */

/* Ends the innermost frame, which is a plain scope: frees what it owns,
 * newest first, then moves what was escaped to the parent. */
static void end_top_plain(ts__death why, void *ret) {
  frame f = hot.top[-1];
  ts__list *l = &hot.owned;
  size_t start = frame_start(&f);
  if (l->n > start)
    ts__free_owned(l->v + start, l->n - start, f.id, why, ret);

  frame *parent = DEPTH >= 2 ? &hot.top[-2] : NULL;
  size_t w = start;
  if (parent) {
    ts__list *pl =
        frame_async(parent) ? ts__async_list(frame_async(parent)) : NULL;
    for (size_t k = start; k < l->n; k++) {
      uintptr_t h = l->v[k];
      if (ts__owner(h) != parent->id)
        continue;
      if (!pl)
        l->v[w++] = h; /* the parent's region ends where ours began */
      else if (ts__list_reserve(pl))
        pl->v[pl->n++] = h;
      else /* no memory to track it: the caller holds it, make it manual */
        ts__move((ts_tensor *)h, "ts_scope_end", parent->id, TS__MANUAL, NULL);
    }
  }
  l->n = w;
  hot.top--;
  if (ts__trace_on)
    ts__trace_scope_end(f.id);
}

/* Ends (plain) or leaves (async) the innermost frame. */
static void pop_top(ts__death why, void *ret) {
  frame *f = &hot.top[-1];
  if (frame_async(f)) {
    ts__async_detach(frame_async(f));
    hot.top--;
  } else {
    end_top_plain(why, ret);
  }
}

/* A thread exiting with scopes open ends them all (and leaves any async
 * scope it had entered, which can then be entered elsewhere or ended). */
static pthread_key_t exit_key;
static pthread_once_t exit_key_once = PTHREAD_ONCE_INIT;

static void scope_thread_exit(void *arg) {
  (void)arg;
  while (DEPTH)
    pop_top(TS__DEATH_THREAD_EXIT, NULL);
  if (tls.frames != no_frames + 1)
    free(tls.frames - 1);
  free(hot.owned.v);
  tls.frames = hot.top = hot.limit = no_frames + 1;
  hot.owned = (ts__list){0};
  tls.exit_hook = false;
}

static void exit_key_create(void) {
  pthread_key_create(&exit_key, scope_thread_exit);
}

/* ------------------------------------------------------ begin and end */

/* Room for one more frame, an id block, the exit hook, tracing. */
static __attribute__((noinline)) ts_scope_id begin_slow(ts__async *async,
                                                        ts_scope_id id) {
  if (!tls.exit_hook) {
    pthread_once(&exit_key_once, exit_key_create);
    pthread_setspecific(exit_key, &tls);
    tls.exit_hook = true;
  }
  if (hot.top == hot.limit) {
    bool first = tls.frames == no_frames + 1;
    size_t depth = DEPTH,
           cap = first ? 32 : (size_t)(hot.limit - tls.frames) * 2;
    frame *v = realloc(first ? NULL : tls.frames - 1, (cap + 1) * sizeof *v);
    if (!v) {
      ts__fail(TS_ERR_OOM, async ? "ts_async_scope_enter" : "ts_scope_begin",
               "out of memory growing the scope stack (%zu deep); end "
               "scopes before beginning new ones",
               depth);
      return 0;
    }
    v[0] = no_frames[0];
    tls.frames = v + 1;
    hot.top = tls.frames + depth;
    hot.limit = tls.frames + cap;
  }
  if (!id) {
    if (hot.next_id == tls.id_end) {
      hot.next_id = atomic_fetch_add_explicit(&next_id_block, ID_BLOCK,
                                              memory_order_relaxed);
      tls.id_end = hot.next_id + ID_BLOCK;
    }
    id = hot.next_id++;
  }
  /* Tracing: every begin and end takes the slow path, where the hooks are. */
  hot.fast_id_end = ts__trace_on ? hot.next_id : tls.id_end;
  uintptr_t at =
      async ? ~(uintptr_t)async : hot.owned.n | (ts__trace_on ? TRACED : 0);
  *hot.top++ = (frame){id, at};
  if (ts__trace_on && !async)
    ts__trace_scope_begin(id);
  return id;
}

ts_scope_id ts__scope_begin_slow(void) { return begin_slow(NULL, 0); }

/* The error ts_scope_end gives for an id that is not on the stack. */
static ts_status end_bad(ts_scope_id id) {
  if (!id)
    return ts__fail(TS_ERR_BAD_SCOPE, "ts_scope_end",
                    "scope id 0 is not a scope (ts_scope_begin returns 0 on "
                    "error); end only ids ts_scope_begin returned");
  for (size_t i = 0; i < DEPTH; i++)
    if (tls.frames[i].id == id)
      return ts__fail(TS_ERR_BAD_SCOPE, "ts_scope_end",
                      "scope %llu is an async scope entered on this thread; "
                      "leave it with ts_async_scope_leave and end it with "
                      "ts_async_scope_end",
                      (unsigned long long)id);
  return ts__fail(TS_ERR_BAD_SCOPE, "ts_scope_end",
                  "scope %llu is not on this thread's scope stack (already "
                  "ended, or begun on another thread); end each scope once, "
                  "on the thread that began it",
                  (unsigned long long)id);
}

/* Not the innermost plain frame owning nothing: search the stack. */
ts_status ts__scope_end_slow(ts_scope_id id) {
  size_t i = DEPTH;
  while (i > 0 &&
         (tls.frames[i - 1].id != id || frame_async(&tls.frames[i - 1])))
    i--;
  if (i == 0)
    return end_bad(id);
  size_t above = DEPTH - i;
  /* Inner scopes first, as if each had been ended in order; an async scope
   * entered above is only left: its tensors belong to its job. */
  /* Where the scope ended, for stale-handle errors: the caller of
   * ts_scope_end, or of the fast path that called us (in the program). */
  void *ret = __builtin_return_address(0);
  while (DEPTH >= i)
    pop_top(TS__DEATH_SCOPE, ret);
  if (above)
    return ts__fail(TS_ERR_SCOPE_MISMATCH, "ts_scope_end",
                    "scope %llu is not the innermost scope: %zu scope(s) "
                    "begun or entered after it were ended or left first "
                    "(their tensors freed); end scopes in the reverse order "
                    "of ts_scope_begin",
                    (unsigned long long)id, above);
  return TS_OK;
}

/* ts_scope_begin and ts_scope_end are tsmem.h's inline definitions, made
 * external here (TS__SCOPE_EXTERN) for -O0, C++, gnu89 C and pointers.
 *
 * Begin and end leave the last error as it was on success: the plugin, the
 * pass, TS_SCOPE_GUARD and ts_run insert them where the user wrote no call,
 * so they must not wipe the error of the call that made a block return
 * early (or that the user reads after a loop). Their own errors are set. */

void *ts_run(void *(*fn)(void *ctx), void *ctx) {
  if (!fn) {
    ts__fail(TS_ERR_NULL, "ts_run",
             "fn is NULL; pass the function to run inside the scope");
    return NULL;
  }
  ts_scope_id id = ts_scope_begin();
  if (!id)
    return NULL;
  void *r = fn(ctx);
  ts_scope_end(id);
  return r;
}

/* ------------------------------------------------ async frames (async.c) */

bool ts__scope_push_async(ts__async *a, uint64_t id) {
  return begin_slow(a, id) != 0;
}

int ts__scope_pop_async(ts__async *a) {
  size_t i = DEPTH;
  while (i > 0 && frame_async(&tls.frames[i - 1]) != a)
    i--;
  if (i == 0)
    return -1;
  int above = (int)(DEPTH - i);
  while (DEPTH >= i)
    pop_top(TS__DEATH_SCOPE, NULL);
  return above;
}

/* ------------------------------------------------------ ownership moves */

bool ts__scope_current(uint64_t *owner, ts__list **list) {
  if (!DEPTH) {
    *owner = TS__MANUAL;
    *list = NULL;
    return true;
  }
  frame *f = &hot.top[-1];
  *owner = f->id;
  *list = frame_async(f) ? ts__async_list(frame_async(f)) : &hot.owned;
  return ts__list_reserve(*list);
}

static ts_tensor *escape(ts_tensor *t, const char *call) {
  if (!DEPTH) {
    /* Check the handle first: a stale one is the worse news. */
    if (!ts__unwrap(t, call, "t"))
      return NULL;
    ts__unpin(t);
    ts__fail(TS_ERR_NO_SCOPE, call,
             "no scope is current on this thread, so there is nothing to "
             "escape from; t is returned unchanged; call it inside the "
             "scope the tensor must outlive");
    return t;
  }
  frame *f = &hot.top[-1];
  frame *parent = DEPTH >= 2 ? &hot.top[-2] : NULL;
  uint64_t to = parent ? parent->id : TS__MANUAL;
  /* From an async frame the tensor is tracked by the parent right away: the
   * async scope may end much later, elsewhere. Room first, then the move. */
  ts__list *pl = NULL;
  if (frame_async(f) && parent) {
    pl = frame_async(parent) ? ts__async_list(frame_async(parent)) : &hot.owned;
    if (!ts__list_reserve(pl)) {
      ts__fail(TS_ERR_OOM, call,
               "out of memory growing the parent scope's tensor list; t is "
               "returned unchanged; free tensors or end scopes sooner");
      return t;
    }
  }
  uint64_t old;
  if (ts__move(t, call, f->id, to, &old) != TS_OK)
    return NULL;
  if (pl && old == f->id)
    pl->v[pl->n++] = (uintptr_t)t;
  ts__ok_fast();
  return t;
}

ts_tensor *ts_escape(ts_tensor *t) { return escape(t, "ts_escape"); }

ts_tensor *ts_scope_escape_tensor(ts_tensor *t) {
  return escape(t, "ts_scope_escape_tensor");
}

ts_tensor *ts_keep(ts_tensor *t) {
  if (ts__move(t, "ts_keep", TS__NO_OWNER, TS__MANUAL, NULL) != TS_OK)
    return NULL;
  ts__ok_fast();
  return t;
}

void ts_scope_register_tensor(ts_tensor *t) {
  static const char call[] = "ts_scope_register_tensor";
  if (!DEPTH) {
    if (ts__unwrap(t, call, "t")) {
      ts__unpin(t);
      ts__ok_fast(); /* no-op outside any scope */
    }
    return;
  }
  uint64_t cur;
  ts__list *l;
  if (!ts__scope_current(&cur, &l)) {
    ts__fail(TS_ERR_OOM, call,
             "out of memory growing the scope's tensor list; free tensors or "
             "end scopes sooner");
    return;
  }
  uint64_t old;
  if (ts__move(t, call, TS__NO_OWNER, cur, &old) != TS_OK)
    return;
  if (old != cur) /* idempotent: already ours means already listed */
    l->v[l->n++] = (uintptr_t)t;
  ts__ok_fast();
}

/* ------------------------------------------------------------- queries */

bool ts_in_scope(void) {
  ts__ok_fast();
  return DEPTH != 0;
}

int ts_scope_depth(void) {
  ts__ok_fast();
  return (int)DEPTH;
}

static int cmp_handle(const void *a, const void *b) {
  uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
  return x < y ? -1 : x > y;
}

size_t ts_scope_tensor_count(void) {
  ts__ok_fast();
  if (!DEPTH)
    return 0;
  frame *f = &hot.top[-1];
  ts__list *l = frame_async(f) ? ts__async_list(frame_async(f)) : &hot.owned;
  size_t start = frame_async(f) ? 0 : frame_start(f), n = 0;
  /* A tensor kept or escaped and then registered back is listed twice
   * (harmless when freeing: the second entry is stale by then), so count
   * distinct handles. Sorting a copy is fine for a diagnostic call. */
  uintptr_t small[64], *mine = small;
  if (l->n - start > 64 && !(mine = malloc((l->n - start) * sizeof *mine))) {
    ts__fail(TS_ERR_OOM, "ts_scope_tensor_count",
             "out of memory counting %zu entries", l->n - start);
    return 0;
  }
  for (size_t k = start; k < l->n; k++)
    if (ts__owner(l->v[k]) == f->id)
      mine[n++] = l->v[k];
  qsort(mine, n, sizeof *mine, cmp_handle);
  size_t distinct = 0;
  for (size_t i = 0; i < n; i++)
    distinct += i == 0 || mine[i] != mine[i - 1];
  if (mine != small)
    free(mine);
  return distinct;
}
