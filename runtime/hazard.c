/*
 * hazard.c - the handle table's hazard slots: membarrier, the list of
 * every thread's hazard stack, and the retired list (hazard.h; the
 * protocol is in handle.c's header comment).
 */
#include "hazard.h"

#include <linux/membarrier.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ----------------------------------------------------------- membarrier */

_Atomic int ts__hz_mb_state;
static pthread_once_t mb_once = PTHREAD_ONCE_INIT;

static void mb_register(void) {
  int ok = syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED,
                   0, 0) == 0;
  if (getenv("TSMEM_NO_MEMBARRIER")) /* tests: the fencing path */
    ok = 0;
  atomic_store_explicit(&ts__hz_mb_state, ok ? 1 : 2, memory_order_release);
}

/* Every thread's first use sets its cache up, so the registration precedes
 * every unfenced lookup. */
void ts__hz_init(void) { pthread_once(&mb_once, mb_register); }

void ts__hz_barrier(void) {
  if (syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0)
    return;
  /* Registered, so only a process that lost the registration gets here (a
   * fork's child, should a kernel not carry it over; this machine's Linux
   * 6.18 does): register again, then fence. */
  if (syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0,
              0) != 0 ||
      syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) != 0)
    abort();
}

/* ------------------------------------------------ every thread's hazards */

static hz_stack stacks = {.next = &stacks, .prev = &stacks};

void ts__hz_link_locked(hz_stack *z) {
  z->next = stacks.next;
  z->prev = &stacks;
  stacks.next->prev = z;
  stacks.next = z;
}

void ts__hz_unlink_locked(hz_stack *z) {
  z->prev->next = z->next;
  z->next->prev = z->prev;
}

bool ts__hz_held_locked(uintptr_t h) {
  for (hz_stack *z = stacks.next; z != &stacks; z = z->next)
    for (uint32_t k = 0; k < HZ_CAP; k++)
      if (atomic_load_explicit(&z->v[k], memory_order_acquire) == h)
        return true;
  return false;
}

/* ------------------------------------------------------ the retired list */

_Atomic uint32_t ts__hz_retired_n;
static uintptr_t *retired_v;
static uint32_t retired_cap;

void ts__hz_retire_locked(uintptr_t h) {
  uint32_t m = atomic_load_explicit(&ts__hz_retired_n, memory_order_relaxed);
  if (m == retired_cap) {
    uint32_t cap = retired_cap ? 2 * retired_cap : 16;
    uintptr_t *v = realloc(retired_v, cap * sizeof *v);
    if (!v)
      abort(); /* a handful of entries; cannot fail in practice */
    retired_v = v;
    retired_cap = cap;
  }
  retired_v[m] = h;
  atomic_store_explicit(&ts__hz_retired_n, m + 1, memory_order_relaxed);
}

uint32_t ts__hz_collect_locked(uintptr_t *out, uint32_t max) {
  uint32_t n = 0;
  uint32_t m = atomic_load_explicit(&ts__hz_retired_n, memory_order_relaxed);
  for (uint32_t i = 0; i < m && n < max;) {
    uintptr_t h = retired_v[i];
    if (ts__hz_held_locked(h)) {
      i++;
      continue;
    }
    out[n++] = h;
    retired_v[i] = retired_v[--m];
  }
  atomic_store_explicit(&ts__hz_retired_n, m, memory_order_relaxed);
  return n;
}
