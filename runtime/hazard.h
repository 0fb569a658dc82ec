/*
 * hazard.h - the handle table's hazard slots (hazard.c), for handle.c.
 *
 * A call that looks a handle up publishes it in its thread's hazard stack
 * (a plain store) before it checks the slot's state, and clears it when the
 * call is done (a plain store). A free that ends a handle another thread
 * might be reading scans every thread's hazards and, while one names the
 * handle, defers the release to the retired list (drained by later frees,
 * unpins and ts_memory). The thread that made a tensor looks it up without
 * a fence, so a free by another thread fences every thread at once with
 * membarrier(2) (hz_barrier); without membarrier every lookup fences.
 * handle.c's header comment tells the whole protocol.
 *
 * Locking: the list of hazard stacks and the retired list are guarded by
 * the handle table's mutex (handle.c's table_mu): the functions named
 * *_locked must be called with it held.
 */
#ifndef TSMEM_RUNTIME_HAZARD_H
#define TSMEM_RUNTIME_HAZARD_H

#include "internal.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

enum { HZ_CAP = 16 };

/* One thread's hazards: the handles its calls are using, v[0..n). Written
 * only by its thread; read by every freer's scan. */
typedef struct hz_stack {
  uint32_t n;
  _Atomic uintptr_t v[HZ_CAP];
  struct hz_stack *next, *prev; /* every thread's stack (under table_mu) */
} hz_stack;

/* ----------------------------------------------------------- membarrier */

/* 0 unknown, 1 registered (the thread that made a tensor looks it up
 * without a fence), 2 unavailable (every lookup fences). */
extern _Atomic int ts__hz_mb_state TS_INTERNAL;
/* Before a thread's first lookup: registers the process once. */
void ts__hz_init(void) TS_INTERNAL;
static inline bool hz_unfenced(void) {
  return atomic_load_explicit(&ts__hz_mb_state, memory_order_relaxed) == 1;
}
/* Fences every thread of the process (registered, hz_unfenced, only). */
void ts__hz_barrier(void) TS_INTERNAL;

/* ------------------------------------------------------- the hazard stack */

/* Publishes h as this thread's hazard, if there is room below cap:
 * returns its position (for hz_unpush), or -1 (the caller pins instead). */
static inline int hz_push(hz_stack *z, uintptr_t h, uint32_t cap) {
  uint32_t k = z->n;
  if (__builtin_expect(k >= cap, 0))
    return -1;
  atomic_store_explicit(&z->v[k], h, memory_order_relaxed);
  z->n = k + 1;
  return (int)k;
}

/* Takes back the hazard hz_push just published at k (the lookup failed). */
static inline void hz_unpush(hz_stack *z, int k) {
  atomic_store_explicit(&z->v[k], 0, memory_order_relaxed);
  z->n = (uint32_t)k;
}

/* Clears the newest hazard naming h (calls unpin in reverse order, mostly),
 * with release: the call's uses of the tensor happen before a free that
 * reads the cleared hazard releases it. False when none names h (the
 * lookup pinned instead). */
static inline bool hz_clear(hz_stack *z, uintptr_t h) {
  for (uint32_t k = z->n; k-- > 0;) {
    if (atomic_load_explicit(&z->v[k], memory_order_relaxed) != h)
      continue;
    atomic_store_explicit(&z->v[k], 0, memory_order_release);
    while (z->n &&
           atomic_load_explicit(&z->v[z->n - 1], memory_order_relaxed) == 0)
      z->n--;
    return true;
  }
  return false;
}

/* Adds a thread's stack to the ones freers scan, or removes it. */
void ts__hz_link_locked(hz_stack *z) TS_INTERNAL;
void ts__hz_unlink_locked(hz_stack *z) TS_INTERNAL;
/* Does any thread's hazard name h? */
bool ts__hz_held_locked(uintptr_t h) TS_INTERNAL;

/* ------------------------------------------------------ the retired list */

/* Handles that died while a hazard named them: their slot's state already
 * recycled, their tensor reference still in the slot. Rare (a free racing
 * a use in another thread). */
extern _Atomic uint32_t ts__hz_retired_n TS_INTERNAL;
static inline bool hz_any_retired(void) {
  return atomic_load_explicit(&ts__hz_retired_n, memory_order_relaxed) != 0;
}
void ts__hz_retire_locked(uintptr_t h) TS_INTERNAL;
/* Removes up to max retired handles no hazard names any more into out;
 * returns how many. */
uint32_t ts__hz_collect_locked(uintptr_t *out, uint32_t max) TS_INTERNAL;

#endif /* TSMEM_RUNTIME_HAZARD_H */
