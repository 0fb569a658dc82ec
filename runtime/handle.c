/*
 * handle.c - generational tensor handles, the accounting, ts_free.
 *
 * A ts_tensor * is an integer: tag | generation | slot index (internal.h).
 * Slots live in a two-level table whose chunks never move, so a lookup is a
 * few loads and needs no lock. A handle is live iff its tag matches, its
 * index was issued, and the slot's state word holds its generation with the
 * live kind. Freeing bumps the generation, so every older handle of the
 * slot is stale forever; a slot whose generation would wrap is retired.
 *
 * Hazards (hazard.c keeps the stacks, membarrier and the retired list;
 * this file uses them): ts__unwrap publishes the handle in the calling thread's
 * hazard stack (a plain store), then checks the slot's state; ts__unpin clears
 * it (a plain store). No atomic read-modify-write, and for a tensor the calling
 * thread made, no fence either. A free ends the handle with one
 * compare-and-swap of the state word, so later lookups see it stale; when
 * another thread might be reading the tensor at that moment (the freer did
 * not make it, another thread has looked it up, or the freer holds hazards
 * itself), the freer scans every thread's hazards before releasing the
 * tensor and defers the release (the retired list) while one names the
 * handle. That is a Dekker pair: the reader stores its hazard then loads
 * the state, the freer stores the state then loads the hazards. A thread
 * that looks up another thread's tensor marks the slot shared and fences;
 * the thread that made it does not fence, so a free by another thread
 * first runs membarrier(2) (private expedited), which fences every thread
 * of the process at once; without membarrier every lookup fences. Frees by
 * the thread that made the tensor, of tensors no other thread has looked
 * up, scan nothing: the common case costs a compare-and-swap and a few
 * loads.
 *
 * Pins: ts__move, ts__stamp_site, and lookups whose thread has no room
 * left in its hazard stack pin the slot instead (a count in the high half
 * of the state word, taken by one compare-and-swap that also checks the
 * generation). A free that finds the slot pinned ends the handle at once
 * but leaves the slot DYING with its tensor reference; the last unpin
 * releases it (after the same hazard scan) and frees the slot.
 *
 * Issuing and freeing a handle take no lock in the common case: each thread
 * keeps a small cache of free slots and its own counts (below), and a free
 * is one compare-and-swap of the state word, which also settles racing
 * frees of one handle. Generations make every older handle of a slot stale
 * whichever thread reuses it.
 *
 * The table's layout and handle decoding are in handle_table.h, the error
 * for a handle that is not live in handle_report.c, and the handles of
 * async scopes and pools in obj_handles.c.
 */
#include "handle_table.h"
#include "hazard.h"
#include "internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

_Atomic(slot *) ts__chunks[MAX_CHUNKS];
_Atomic uint32_t ts__slots_issued;

/* table_mu guards the global free list, new chunks and the list of thread
 * caches; it is taken only when a thread's cache is empty or full. */
static pthread_mutex_t table_mu = PTHREAD_MUTEX_INITIALIZER;
static uint32_t free_head = NO_SLOT; /* LIFO: the warmest slot first */

/* Counts and live bytes are per thread (below), summed by ts__memory. The
 * peak of bytes held (live + pooled) is kept from per-thread deltas synced
 * into held_synced now and then (HELD_SYNC). */
static _Atomic int64_t held_synced;
static _Atomic size_t peak_bytes;
enum { HELD_SYNC = 256 << 10 };

void ts__set_site(uint64_t site) { ts__pending_site = site; }

/* ------------------------------------------------ per-thread slot caches */

/* Each thread keeps up to TC_CAP free slot indexes and its own counts, so
 * that issuing and freeing a handle take no lock: a thread pops and pushes
 * its cache, and moves TC_BATCH indexes from or to the global free list
 * under table_mu when the cache runs empty or full. The counts are written
 * only by their thread (a load and a store, no read-modify-write) and read
 * by ts__memory under table_mu, which also guards the list of caches. A
 * thread that exits gives its slots back and folds its counts into
 * `shared`, which threads use once their cache is gone (during other
 * thread-exit destructors): with it every step takes the lock. */
enum { TC_CAP = 64, TC_BATCH = 32 };
typedef struct tcache {
  uint32_t n, cap; /* cap 0: the shared cache, nothing is kept */
  uint32_t tid;    /* this thread's id for slot creators; 0 for shared */
  /* The handles this thread's calls are using (hazard.c; the shared
   * cache: none, and not in hazard.c's list). */
  hz_stack hz;
  _Atomic int64_t created, freed;       /* live tensors: created - freed */
  _Atomic int64_t pooled, pooled_bytes; /* net tensors put into pools */
  /* Bytes held (live + pooled) gained since this thread last synced them
   * into held_synced, and the most they reached meanwhile: held_synced +
   * the sum of every thread's hmax bounds the peak from above, exactly
   * when one thread works. */
  _Atomic int64_t hd, hmax;
  struct tcache *next, *prev;
  uint32_t idx[TC_CAP];
} tcache;

static tcache shared = {.next = &shared, .prev = &shared};
static TS_TLS tcache *tc_self;
static pthread_key_t tc_key;
static pthread_once_t tc_key_once = PTHREAD_ONCE_INIT;

static inline void tc_add(tcache *c, _Atomic int64_t *f, int64_t d) {
  if (__builtin_expect(c->cap == 0, 0))
    atomic_fetch_add_explicit(f, d, RELAXED); /* shared */
  else
    STORE(f, LOAD(f) + d);
}

static void bump_peak(size_t held);

/* Moves this thread's held delta into held_synced, with its peak. */
static __attribute__((noinline)) void tc_sync(tcache *c) {
  int64_t d = LOAD(&c->hd), top = LOAD(&c->hmax);
  int64_t before = atomic_fetch_add_explicit(&held_synced, d, RELAXED);
  if (before + top > 0)
    bump_peak((size_t)(before + top));
  STORE(&c->hd, 0);
  STORE(&c->hmax, 0);
}

/* Bytes held change by n (issue, free, pool). */
static inline void held_add(tcache *c, int64_t n) {
  if (__builtin_expect(c->cap == 0, 0)) { /* shared: sync at once */
    int64_t now = atomic_fetch_add_explicit(&held_synced, n, RELAXED) + n;
    if (now > 0)
      bump_peak((size_t)now);
    return;
  }
  int64_t d = LOAD(&c->hd) + n;
  STORE(&c->hd, d);
  if (d > LOAD(&c->hmax)) {
    STORE(&c->hmax, d);
    if (__builtin_expect(d > HELD_SYNC, 0))
      tc_sync(c);
  } else if (__builtin_expect(d < -HELD_SYNC, 0)) {
    tc_sync(c);
  }
}

static void tc_exit(void *arg);
static void tc_key_make(void) { pthread_key_create(&tc_key, tc_exit); }

/* This thread's cache, made and registered on first use. */
static tcache *tc_setup(void) {
  pthread_once(&tc_key_once, tc_key_make);
  tcache *c = calloc(1, sizeof *c);
  if (!c || pthread_setspecific(tc_key, c) != 0) {
    free(c);
    c = &shared;
  } else {
    static _Atomic uint32_t next_tid = 1;
    c->cap = TC_CAP;
    c->tid = atomic_fetch_add_explicit(&next_tid, 1, RELAXED);
    ts__hz_init();
    pthread_mutex_lock(&table_mu);
    c->next = shared.next;
    c->prev = &shared;
    shared.next->prev = c;
    shared.next = c;
    ts__hz_link_locked(&c->hz);
    pthread_mutex_unlock(&table_mu);
  }
  tc_self = c;
  return c;
}

static inline tcache *tc_get(void) {
  tcache *c = tc_self;
  return __builtin_expect(c != NULL, 1) ? c : tc_setup();
}

static void push_global_locked(uint32_t idx) {
  slot_at(idx)->next_free = free_head;
  free_head = idx;
}

static void tc_exit(void *arg) {
  tcache *c = arg;
  pthread_mutex_lock(&table_mu);
  while (c->n)
    push_global_locked(c->idx[--c->n]);
  atomic_fetch_add_explicit(&shared.created, LOAD(&c->created), RELAXED);
  atomic_fetch_add_explicit(&shared.freed, LOAD(&c->freed), RELAXED);
  atomic_fetch_add_explicit(&shared.pooled, LOAD(&c->pooled), RELAXED);
  atomic_fetch_add_explicit(&shared.pooled_bytes, LOAD(&c->pooled_bytes),
                            RELAXED);
  tc_sync(c);
  c->prev->next = c->next;
  c->next->prev = c->prev;
  ts__hz_unlink_locked(&c->hz);
  pthread_mutex_unlock(&table_mu);
  tc_self = &shared;
  free(c);
}

/* The slot of a live handle, or NULL. */
static inline slot *h_live(uintptr_t h) {
  slot *s = h_slot(h);
  if (s && GEN_KIND(atomic_load_explicit(&s->state, memory_order_acquire)) ==
               live_state(h))
    return s;
  return NULL;
}

/* Pins a live handle's slot without setting any error: NULL if not live. */
static inline slot *h_pin(uintptr_t h) {
  slot *s = h_slot(h);
  if (__builtin_expect(s != NULL, 1)) {
    uint64_t st = LOAD(&s->state);
    /* The CAS fails if the slot was freed (or pinned by someone else)
     * since the load; retry only in the latter case. */
    while (__builtin_expect(GEN_KIND(st) == live_state(h), 1))
      if (__builtin_expect(atomic_compare_exchange_weak_explicit(
                               &s->state, &st, st + PIN_ONE,
                               memory_order_acquire, memory_order_relaxed),
                           1))
        return s;
  }
  return NULL;
}

static void pin_drop(uintptr_t h);

void ts__stamp_site(const ts_tensor *t, ts__site site) {
  /* Pinned, the slot cannot be reused under us. */
  if (!h_pin((uintptr_t)t))
    return;
  slot *s = slot_at(h_index((uintptr_t)t));
  ts__site none = TS__NO_SITE;
  atomic_compare_exchange_strong_explicit(
      &s->lives[h_gen((uintptr_t)t) & 1].site, &none, site, RELAXED, RELAXED);
  pin_drop((uintptr_t)t);
}

tsc_tensor *ts__unwrap(const ts_tensor *t, const char *call, const char *arg) {
  uintptr_t h = (uintptr_t)t;
  slot *s = h_slot(h);
  tcache *c = tc_get();
  int k;
  if (__builtin_expect(
          s != NULL && (k = hz_push(&c->hz, h, c->cap ? HZ_CAP : 0)) >= 0, 1)) {
    /* The hazard before the state (the Dekker pair with a free): the thread
     * that made the tensor needs only the compiler to keep the order, a
     * free by another thread fences it with membarrier. */
    atomic_signal_fence(memory_order_seq_cst);
    uint64_t st = atomic_load_explicit(&s->state, memory_order_acquire);
    if (__builtin_expect(GEN_KIND(st) == live_state(h), 1)) {
      /* Read after the state: the creator of this generation. */
      if (__builtin_expect(LOAD(&s->creator) == c->tid && hz_unfenced(), 1))
        return s->impl;
      /* Another thread's tensor: its frees by the thread that made it look
       * at the hazards once the slot says shared. */
      if (!LOAD(&s->shared))
        STORE(&s->shared, 1);
      atomic_thread_fence(memory_order_seq_cst);
      st = atomic_load_explicit(&s->state, memory_order_acquire);
      if (GEN_KIND(st) == live_state(h))
        return s->impl;
    }
    hz_unpush(&c->hz, k);
  } else if (h_pin(h)) {
    return s->impl; /* no room for a hazard: a counted pin */
  }
  ts__handle_fail(h, call, arg);
  return NULL;
}

static void slot_finish(slot *s, uint32_t idx);

/* Drops a counted pin (h_pin). */
static void pin_drop(uintptr_t h) {
  slot *s = slot_at(h_index(h)); /* pinned: the slot is ours to read */
  /* Release: this call's uses of the tensor happen before its release by
   * whoever drops the last pin or frees it; acquire: the one who drops the
   * last pin of a DYING slot sees the other unpins' uses. */
  uint64_t old =
      atomic_fetch_sub_explicit(&s->state, PIN_ONE, memory_order_seq_cst);
  if (__builtin_expect(KIND(old) == SLOT_DYING && PINS(old) == 1, 0))
    slot_finish(s, h_index(h));
}

static void retired_drain(void);

void ts__unpin(const ts_tensor *t) {
  uintptr_t h = (uintptr_t)t;
  tcache *c = tc_self;
  if (c && hz_clear(&c->hz, h)) {
    if (__builtin_expect(hz_any_retired(), 0))
      retired_drain(); /* a free deferred while we read: release it now */
    return;
  }
  pin_drop(h);
}

uint64_t ts__owner(uintptr_t h) {
  slot *s = h_live(h);
  return s ? atomic_load_explicit(&s->owner, memory_order_relaxed)
           : TS__NO_OWNER;
}

/* -------------------------------------------------------- issue and free */

static void trace_counters(void) {
  if (ts__trace_on) {
    ts_memory_stats m = ts__memory();
    ts__trace_memory(m.live_tensors, m.live_bytes);
  }
}

/* A free slot index from the global list or a new one, or NO_SLOT when the
 * table is full or out of memory. */
static uint32_t slot_alloc_locked(void) {
  if (free_head != NO_SLOT) {
    uint32_t idx = free_head;
    free_head = slot_at(idx)->next_free;
    return idx;
  }
  uint32_t n = atomic_load_explicit(&ts__slots_issued, memory_order_relaxed);
  if (n > IDX_MASK)
    return NO_SLOT;
  if ((n & (CHUNK_SLOTS - 1)) == 0) {
    slot *c = calloc(CHUNK_SLOTS, sizeof(slot));
    if (!c)
      return NO_SLOT;
    atomic_store_explicit(&ts__chunks[n >> CHUNK_BITS], c,
                          memory_order_relaxed);
  }
  /* Release: a reader that sees the count sees the chunk pointer. */
  atomic_store_explicit(&ts__slots_issued, n + 1, memory_order_release);
  return n;
}

/* The cache is empty: refill it with up to TC_BATCH slots and take one. */
static __attribute__((noinline)) uint32_t tc_refill(tcache *c) {
  pthread_mutex_lock(&table_mu);
  uint32_t idx = slot_alloc_locked();
  if (idx != NO_SLOT)
    while (c->n < (c->cap < TC_BATCH ? c->cap : TC_BATCH)) {
      uint32_t more = slot_alloc_locked();
      if (more == NO_SLOT)
        break;
      c->idx[c->n++] = more;
    }
  pthread_mutex_unlock(&table_mu);
  return idx;
}

/* The cache is full (or is the shared one): move TC_BATCH slots to the
 * global list, then keep idx. */
static __attribute__((noinline)) void tc_spill(tcache *c, uint32_t idx) {
  pthread_mutex_lock(&table_mu);
  for (uint32_t k = 0; k < TC_BATCH && c->n; k++)
    push_global_locked(c->idx[--c->n]);
  if (c->n < c->cap)
    c->idx[c->n++] = idx;
  else
    push_global_locked(idx);
  pthread_mutex_unlock(&table_mu);
}

static inline void tc_push(tcache *c, uint32_t idx) {
  if (__builtin_expect(c->n < c->cap, 1))
    c->idx[c->n++] = idx;
  else
    tc_spill(c, idx);
}

static void bump_peak(size_t held) {
  size_t peak = LOAD(&peak_bytes);
  while (held > peak && !atomic_compare_exchange_weak_explicit(
                            &peak_bytes, &peak, held, RELAXED, RELAXED))
    ;
}

ts_tensor *ts__wrap_at(tsc_tensor *impl, const char *call, void *ret) {
  if (!impl)
    return NULL;
  ts__site site = ts__pending_site;
  ts__pending_site = TS__NO_SITE;
  uint64_t owner;
  ts__list *list;
  if (!ts__scope_current(&owner, &list)) {
    tsc_release(impl);
    ts__fail(TS_ERR_OOM, call,
             "out of memory growing the scope's tensor list; free tensors "
             "or end scopes sooner");
    return NULL;
  }
  size_t nbytes = tsc_nbytes(impl);

  tcache *c = tc_self;
  uint32_t idx = __builtin_expect(c != NULL && c->n > 0, 1)
                     ? c->idx[--c->n]
                     : tc_refill(c = tc_get());
  if (__builtin_expect(idx == NO_SLOT, 0)) {
    tsc_release(impl);
    ts__fail(TS_ERR_OOM, call,
             "out of tensor handles (%u live at most) or memory; free "
             "tensors you no longer need",
             IDX_MASK + 1);
    return NULL;
  }
  /* The slot is this thread's alone until the release store makes it live
   * (a stale handle of it can read the state, never change it). */
  slot *s = slot_at(idx);
  uint32_t gen = GEN(LOAD(&s->state));
  life *l = &s->lives[gen & 1];
  s->impl = impl;
  STORE(&s->nbytes, nbytes);
  STORE(&l->site, site);
  STORE(&l->ret, ret);
  STORE(&s->owner, owner);
  STORE(&s->creator, c->tid);
  STORE(&s->shared, 0);
  atomic_store_explicit(&s->state, (uint64_t)(gen << 2 | SLOT_LIVE),
                        memory_order_release);
  uintptr_t h = h_make(gen, idx);
  tc_add(c, &c->created, 1);
  held_add(c, (int64_t)nbytes);

  if (list)
    list->v[list->n++] = h; /* room was reserved by ts__scope_current */
  trace_counters();
  ts__ok_fast();
  return (ts_tensor *)h;
}

/* The state a slot of generation gen takes when its tensor is gone: free
 * under the next generation, or retired when that would wrap (an old handle
 * could then name a new tensor). */
static uint64_t recycled_state(uint32_t gen) {
  uint32_t next = (gen + 1) & GEN_MASK;
  return next == 0 ? (uint64_t)(gen << 2 | SLOT_RETIRED)
                   : (uint64_t)(next << 2 | SLOT_FREE);
}

/* ------------------------------------------------- hazards and retiring */

/* A retired handle's slot (hazard.h: the retired list) keeps its state
 * recycled and its tensor reference in s->impl, and its index is in no
 * free list, until no hazard names it. */

/* The slot of h is done with (no hazard names h): its index back to the
 * free list, its reference returned. Under table_mu. */
static tsc_tensor *slot_done_locked(slot *s, uint32_t idx) {
  tsc_tensor *impl = s->impl;
  s->impl = NULL;
  if (KIND(LOAD(&s->state)) == SLOT_FREE)
    push_global_locked(idx);
  return impl;
}

/* Retired slots no hazard names any more, released. */
static void retired_drain(void) {
  enum { BATCH = 32 };
  uintptr_t hs[BATCH];
  tsc_tensor *done[BATCH];
  pthread_mutex_lock(&table_mu);
  uint32_t n = ts__hz_collect_locked(hs, BATCH);
  for (uint32_t i = 0; i < n; i++)
    done[i] = slot_done_locked(slot_at(h_index(hs[i])), h_index(hs[i]));
  pthread_mutex_unlock(&table_mu);
  for (uint32_t i = 0; i < n; i++)
    tsc_release(done[i]);
}

/* Another thread may be reading h's tensor: h was issued by another thread
 * (which looks up without a fence), was looked up by another thread, or this
 * thread holds hazards itself. Called after the state's compare-and-swap
 * (sequentially consistent, the other half of a lookup's fence). */
static inline bool hz_may_read(const tcache *c, const slot *s) {
  return c->hz.n != 0 || LOAD(&s->creator) != c->tid ||
         atomic_load_explicit(&s->shared, memory_order_seq_cst) != 0;
}

/* h's state is recycled and its tensor still in the slot: release the
 * tensor and the slot unless a hazard names h, in which case they wait in
 * the retired list. Returns the reference to release, or NULL. */
static __attribute__((noinline)) tsc_tensor *hz_settle(tcache *c, slot *s,
                                                       uintptr_t h) {
  /* The thread that made it looks up without a fence: fence it. */
  if (LOAD(&s->creator) != c->tid && hz_unfenced())
    ts__hz_barrier();
  tsc_tensor *impl = NULL;
  pthread_mutex_lock(&table_mu);
  if (!ts__hz_held_locked(h))
    impl = slot_done_locked(s, h_index(h));
  else
    ts__hz_retire_locked(h);
  pthread_mutex_unlock(&table_mu);
  return impl;
}

/* The last pin of a DYING slot is gone: release its tensor and the slot
 * (once no hazard names it). Nothing else changes the state of a DYING
 * slot without pins. */
static void slot_finish(slot *s, uint32_t idx) {
  uint32_t gen = GEN(LOAD(&s->state));
  uint64_t st = recycled_state(gen);
  atomic_store_explicit(&s->state, st, memory_order_seq_cst);
  tsc_release(hz_settle(tc_get(), s, h_make(gen, idx)));
}

/* kill_fast's result when it killed the handle but a hazard defers the
 * release of its tensor (the retired list releases it). */
#define KILLED_DEFERRED ((tsc_tensor *)1)

/* h_kill's common case, inline: a live, unpinned handle freed by a thread
 * whose cache has room. Returns the tensor reference to release (or
 * KILLED_DEFERRED), or NULL (nothing done) when h_kill must handle it. */
static inline tsc_tensor *kill_fast(tcache *c, uintptr_t h, uint64_t owner,
                                    ts__death why, void *ret) {
  slot *s = h_slot(h);
  if (__builtin_expect(!s || c == NULL || c->n >= c->cap, 0))
    return NULL;
  uint64_t st = atomic_load_explicit(&s->state, memory_order_acquire);
  uint32_t gen = h_gen(h);
  if (__builtin_expect(st != (uint64_t)(gen << 2 | SLOT_LIVE) || /* no pins */
                           (owner != TS__NO_OWNER && LOAD(&s->owner) != owner),
                       0))
    return NULL;
  uint64_t next = recycled_state(gen);
  if (__builtin_expect(KIND(next) != SLOT_FREE, 0))
    return NULL;
  life *l = &s->lives[gen & 1];
  STORE(&l->free_ret, ret);
  STORE(&l->death, (uint8_t)why);
  size_t nb = LOAD(&s->nbytes);
  tsc_tensor *impl = s->impl;
  if (__builtin_expect(
          !atomic_compare_exchange_strong_explicit(
              &s->state, &st, next, memory_order_seq_cst, memory_order_acquire),
          0))
    return NULL; /* pinned or freed meanwhile */
  STORE(&c->freed, LOAD(&c->freed) + 1);
  held_add(c, -(int64_t)nb);
  if (__builtin_expect(hz_may_read(c, s), 0))
    return hz_settle(c, s, h) ?: KILLED_DEFERRED;
  c->idx[c->n++] = h_index(h);
  return impl;
}

/* Kills a live handle (owned by `owner`, unless that is TS__NO_OWNER),
 * recording why and where (`ret`): true, with its reference in *impl (NULL
 * when a call has it pinned: the last unpin releases it), or false when it
 * is not live (or not owner's). Lock-free: the compare-and-swap of the
 * state decides between racing frees of one handle. */
static __attribute__((noinline)) bool h_kill(tcache *c, uintptr_t h,
                                             uint64_t owner, ts__death why,
                                             void *ret, size_t *nbytes,
                                             tsc_tensor **impl) {
  slot *s = h_slot(h);
  if (!s)
    return false;
  uint64_t st = atomic_load_explicit(&s->state, memory_order_acquire);
  if (GEN_KIND(st) != live_state(h) ||
      (owner != TS__NO_OWNER && LOAD(&s->owner) != owner))
    return false;
  size_t nb = LOAD(&s->nbytes);
  /* How and where it dies, written before the state changes (a racing
   * free of the same handle may write it too: the same generation). */
  life *l = &s->lives[h_gen(h) & 1];
  STORE(&l->free_ret, ret);
  STORE(&l->death, (uint8_t)why);
  for (;;) {
    if (PINS(st) == 0) {
      uint64_t next = recycled_state(GEN(st));
      /* Acquire: every earlier call's use of the tensor happens before
       * its release. */
      if (atomic_compare_exchange_weak_explicit(&s->state, &st, next,
                                                memory_order_seq_cst,
                                                memory_order_acquire)) {
        if (hz_may_read(c, s)) {
          *impl = hz_settle(c, s, h); /* NULL: deferred */
        } else {
          *impl = s->impl;
          s->impl = NULL;
          if (KIND(next) == SLOT_FREE)
            tc_push(c, h_index(h));
        }
        break;
      }
    } else if (atomic_compare_exchange_weak_explicit(
                   &s->state, &st, (st & ~(uint64_t)3) | SLOT_DYING,
                   memory_order_seq_cst, memory_order_acquire)) {
      *impl = NULL; /* pinned: no new pin can be taken, the last unpin
                       releases it */
      break;
    }
    if (GEN_KIND(st) != live_state(h))
      return false; /* another thread freed it first */
  }
  if (nbytes)
    *nbytes = nb;
  tc_add(c, &c->freed, 1);
  held_add(c, -(int64_t)nb);
  return true;
}

size_t ts__free_owned(const uintptr_t *v, size_t n, uint64_t owner,
                      ts__death why, void *ret) {
  tcache *c = tc_get();
  size_t freed = 0;
  for (size_t k = n; k > 0; k--) { /* newest first */
    tsc_tensor *impl = kill_fast(c, v[k - 1], owner, why, ret);
    if (impl || h_kill(c, v[k - 1], owner, why, ret, NULL, &impl)) {
      freed++;
      if (impl != KILLED_DEFERRED)
        tsc_release(impl); /* NULL: deferred to the last unpin or hazard */
    }
  }
  if (__builtin_expect(hz_any_retired(), 0))
    retired_drain();
  if (freed)
    trace_counters();
  return freed;
}

ts_status ts_free(ts_tensor *t) {
  void *ret = __builtin_return_address(0);
  tsc_tensor *impl =
      kill_fast(tc_self, (uintptr_t)t, TS__NO_OWNER, TS__DEATH_FREED, ret);
  if (__builtin_expect(impl == NULL, 0) &&
      !h_kill(tc_get(), (uintptr_t)t, TS__NO_OWNER, TS__DEATH_FREED, ret, NULL,
              &impl))
    return ts__handle_fail((uintptr_t)t, "ts_free", "t");
  if (__builtin_expect(impl == KILLED_DEFERRED, 0))
    impl = NULL;
  tsc_release(impl);
  if (__builtin_expect(hz_any_retired(), 0))
    retired_drain();
  trace_counters();
  ts__ok_fast();
  return TS_OK;
}

ts_status ts__detach(ts_tensor *t, const char *call, const char *arg, void *ret,
                     size_t *nbytes, tsc_tensor **impl) {
  uintptr_t h = (uintptr_t)t;
  slot *s = h_slot(h);
  size_t nb = s ? LOAD(&s->nbytes) : 0; /* valid if the kill succeeds */
  *impl = kill_fast(tc_self, h, TS__NO_OWNER, TS__DEATH_POOLED, ret);
  if (*impl == KILLED_DEFERRED)
    *impl = NULL, *nbytes = nb; /* in use by another thread: not pooled */
  else if (*impl)
    *nbytes = nb;
  else if (!h_kill(tc_get(), h, TS__NO_OWNER, TS__DEATH_POOLED, ret, nbytes,
                   impl))
    return ts__handle_fail(h, call, arg);
  trace_counters();
  return TS_OK;
}

ts_status ts__move(const ts_tensor *t, const char *call, uint64_t from,
                   uint64_t to, uint64_t *old) {
  uintptr_t h = (uintptr_t)t;
  /* Pinned, the slot cannot be freed and reused under the change. */
  slot *s = h_pin(h);
  if (!s)
    return ts__handle_fail(h, call, "t");
  uint64_t cur = LOAD(&s->owner);
  while ((from == TS__NO_OWNER || cur == from) && cur != to &&
         !atomic_compare_exchange_weak_explicit(&s->owner, &cur, to, RELAXED,
                                                RELAXED))
    ;
  if (old)
    *old = cur;
  pin_drop(h);
  return TS_OK;
}

/* ------------------------------------------------------------ accounting */

void ts__account_pooled(int delta, size_t nbytes) {
  tcache *c = tc_get();
  int64_t n = delta > 0 ? (int64_t)nbytes : -(int64_t)nbytes;
  tc_add(c, &c->pooled, delta > 0 ? 1 : -1);
  tc_add(c, &c->pooled_bytes, n);
  held_add(c, n);
}

ts_memory_stats ts__memory(void) {
  int64_t created = 0, freed = 0, held = 0, top = 0, pooled = 0,
          pooled_bytes = 0;
  if (hz_any_retired())
    retired_drain();
  pthread_mutex_lock(&table_mu);
  tcache *c = &shared;
  do {
    created += LOAD(&c->created);
    freed += LOAD(&c->freed);
    held += LOAD(&c->hd);
    pooled += LOAD(&c->pooled);
    pooled_bytes += LOAD(&c->pooled_bytes);
    top += LOAD(&c->hmax);
    c = c->next;
  } while (c != &shared);
  /* The peak since the threads' last syncs is at most held_synced plus
   * each one's highest delta (exact with one thread); a peak stays. */
  int64_t synced = LOAD(&held_synced);
  top += synced;
  if (top > 0)
    bump_peak((size_t)top);
  pthread_mutex_unlock(&table_mu);
  /* Held bytes are live plus pooled. */
  ts_memory_stats m;
  int64_t live = created - freed, live_bytes = synced + held - pooled_bytes;
  m.live_tensors = live > 0 ? (size_t)live : 0;
  m.live_bytes = live_bytes > 0 ? (size_t)live_bytes : 0;
  m.peak_bytes = LOAD(&peak_bytes);
  m.pooled_tensors = pooled > 0 ? (size_t)pooled : 0;
  m.pooled_bytes = pooled_bytes > 0 ? (size_t)pooled_bytes : 0;
  m.created = (uint64_t)created;
  m.freed = (uint64_t)freed;
  return m;
}

size_t ts__live_tensors(ts__live *out, size_t cap) {
  size_t n = 0;
  uint32_t issued =
      atomic_load_explicit(&ts__slots_issued, memory_order_acquire);
  for (uint32_t i = 0; i < issued; i++) {
    slot *s = slot_at(i);
    uint64_t st = atomic_load_explicit(&s->state, memory_order_acquire);
    if (KIND(st) != SLOT_LIVE)
      continue;
    const life *l = &s->lives[GEN(st) & 1];
    ts__live r = {LOAD(&l->site), LOAD(&l->ret), LOAD(&s->nbytes)};
    /* Still the same tensor after the reads (pins may have changed). */
    atomic_thread_fence(memory_order_acquire);
    if (GEN_KIND(LOAD(&s->state)) != GEN_KIND(st))
      continue;
    if (n < cap)
      out[n] = r;
    n++;
  }
  return n;
}
