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
 * Pins: ts__unwrap pins the slot (a count in the high half of the state
 * word, taken by one compare-and-swap that also checks the generation) and
 * ts__unpin drops the pin, so a tensor in use by a call is never released
 * under it. A free that finds the slot pinned (another thread's call is
 * using the tensor: a race in the program, which must still not crash)
 * ends the handle at once, so later lookups see it stale, but leaves the
 * slot DYING with its tensor reference; the last unpin releases it and
 * frees the slot.
 *
 * Issuing and freeing slots (and the counters) take one mutex: making or
 * freeing a libtorch tensor costs microseconds, the lock tens of nanoseconds.
 */
#include "internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#define CHUNK_BITS 12
#define CHUNK_SLOTS (1u << CHUNK_BITS)
#define MAX_CHUNKS (1u << (TS__IDX_BITS - CHUNK_BITS))
#define IDX_MASK ((1u << TS__IDX_BITS) - 1)
#define GEN_MASK ((1u << TS__GEN_BITS) - 1)
#define NO_SLOT UINT32_MAX

/* State word: pins << 32 | generation << 2 | kind. Only a LIVE slot gains
 * pins; a DYING one (freed while pinned) only loses them. */
enum { SLOT_FREE = 0, SLOT_LIVE = 1, SLOT_RETIRED = 2, SLOT_DYING = 3 };
#define PIN_ONE ((uint64_t)1 << 32)
#define GEN_KIND(st) ((uint32_t)(st))
#define PINS(st) ((uint32_t)((st) >> 32))
#define KIND(st) ((uint32_t)(st)&3u)
#define GEN(st) (GEN_KIND(st) >> 2)

typedef struct slot {
  _Atomic uint64_t state;
  uint8_t death;      /* ts__death, while free */
  uint32_t next_free; /* free list link, while free */
  _Atomic uint64_t owner;
  tsc_tensor *impl;
  size_t nbytes;
  ts__site site;
  void *ret;
} slot;

static _Atomic(slot *) chunks[MAX_CHUNKS];
/* Slots handed out so far; published with release after the chunk. */
static _Atomic uint32_t slots_issued;

static pthread_mutex_t table_mu = PTHREAD_MUTEX_INITIALIZER;
static uint32_t free_head = NO_SLOT; /* LIFO: the warmest slot first */
static ts_memory_stats acct;         /* under table_mu */

void ts__set_site(uint64_t site) { ts__pending_site = site; }

/* ------------------------------------------------------------- decoding */

static inline uint32_t h_index(uintptr_t h) { return (uint32_t)h & IDX_MASK; }
static inline uint32_t h_gen(uintptr_t h) {
  return (uint32_t)(h >> TS__IDX_BITS) & GEN_MASK;
}
static inline uintptr_t h_make(uint32_t gen, uint32_t idx) {
  return ((uintptr_t)TS__TAG_TENSOR << TS__TAG_SHIFT) |
         ((uintptr_t)gen << TS__IDX_BITS) | idx;
}

static inline slot *slot_at(uint32_t idx) {
  return &atomic_load_explicit(&chunks[idx >> CHUNK_BITS],
                               memory_order_relaxed)[idx & (CHUNK_SLOTS - 1)];
}

/* The slot a handle names, or NULL when no slot was ever issued for it. */
static inline slot *h_slot(uintptr_t h) {
  if ((h >> TS__TAG_SHIFT) != TS__TAG_TENSOR)
    return NULL;
  uint32_t idx = h_index(h);
  if (idx >= atomic_load_explicit(&slots_issued, memory_order_acquire))
    return NULL;
  return slot_at(idx);
}

static inline uint32_t live_state(uintptr_t h) {
  return h_gen(h) << 2 | SLOT_LIVE;
}

/* The slot of a live handle, or NULL. */
static inline slot *h_live(uintptr_t h) {
  slot *s = h_slot(h);
  if (s && GEN_KIND(atomic_load_explicit(&s->state, memory_order_acquire)) ==
               live_state(h))
    return s;
  return NULL;
}

void ts__stamp_site(const ts_tensor *t, ts__site site) {
  uintptr_t h = (uintptr_t)t;
  slot *s = h_live(h);
  if (!s)
    return;
  /* Under the lock, which the leak report reads sites under, and with the
   * generation checked again: the slot may have been reused meanwhile. */
  pthread_mutex_lock(&table_mu);
  if (GEN_KIND(atomic_load_explicit(&s->state, memory_order_relaxed)) ==
          live_state(h) &&
      s->site == TS__NO_SITE)
    s->site = site;
  pthread_mutex_unlock(&table_mu);
}

/* Sets the error for a handle that is not live, saying what happened to it. */
static ts_status h_fail(uintptr_t h, const char *call, const char *arg) {
  if (!h)
    return ts__fail(TS_ERR_NULL, call,
                    "%s is NULL; pass a tensor made by a ts_* call", arg);
  slot *s = h_slot(h);
  if (!s)
    return ts__fail(TS_ERR_STALE_HANDLE, call,
                    "%s (%p) is not a tensor handle tsmem issued; pass a "
                    "tensor made by a ts_* call",
                    arg, (void *)h);
  /* Under the lock: another thread may be reusing the slot (ts__wrap_at
   * writes death), and state and death must be read as one. */
  pthread_mutex_lock(&table_mu);
  uint64_t st = atomic_load_explicit(&s->state, memory_order_relaxed);
  ts__death death = (ts__death)s->death;
  pthread_mutex_unlock(&table_mu);
  const char *what = "was freed and its slot reused";
  if ((KIND(st) == SLOT_FREE && GEN(st) == ((h_gen(h) + 1) & GEN_MASK)) ||
      (KIND(st) == SLOT_DYING && GEN(st) == h_gen(h))) {
    switch (death) {
    case TS__DEATH_FREED:
      what = "was freed by ts_free";
      break;
    case TS__DEATH_POOLED:
      what = "was released to a pool";
      break;
    case TS__DEATH_SCOPE:
      what = "was freed when its scope ended";
      break;
    case TS__DEATH_ASYNC:
      what = "was freed when its async scope ended";
      break;
    case TS__DEATH_THREAD_EXIT:
      what = "was freed when its thread exited inside its scope";
      break;
    default:
      break;
    }
  } else if (KIND(st) == SLOT_RETIRED) {
    what = "was freed";
  }
  return ts__fail(TS_ERR_STALE_HANDLE, call,
                  "%s is a stale tensor handle: it %s; do not use a tensor "
                  "after it is freed (escape or keep it to make it outlive "
                  "its scope; acquire a new one from the pool)",
                  arg, what);
}

tsc_tensor *ts__unwrap(const ts_tensor *t, const char *call, const char *arg) {
  uintptr_t h = (uintptr_t)t;
  slot *s = h_slot(h);
  if (__builtin_expect(s != NULL, 1)) {
    uint64_t st = atomic_load_explicit(&s->state, memory_order_relaxed);
    /* Pin while live: the CAS fails if the slot was freed (or pinned by
     * someone else) since the load; retry only in the latter case. */
    while (__builtin_expect(GEN_KIND(st) == live_state(h), 1)) {
      if (__builtin_expect(atomic_compare_exchange_weak_explicit(
                               &s->state, &st, st + PIN_ONE,
                               memory_order_acquire, memory_order_relaxed),
                           1))
        return s->impl;
    }
  }
  h_fail(h, call, arg);
  return NULL;
}

static void slot_finish(slot *s, uint32_t idx);

void ts__unpin(const ts_tensor *t) {
  uintptr_t h = (uintptr_t)t;
  slot *s = slot_at(h_index(h)); /* pinned: the slot is ours to read */
  /* Release: this call's uses of the tensor happen before its release by
   * whoever drops the last pin or frees it; acquire: the one who drops the
   * last pin of a DYING slot sees the other unpins' uses. */
  uint64_t old =
      atomic_fetch_sub_explicit(&s->state, PIN_ONE, memory_order_acq_rel);
  if (__builtin_expect(KIND(old) == SLOT_DYING && PINS(old) == 1, 0))
    slot_finish(s, h_index(h));
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

/* A free slot index, or NO_SLOT when the table is full or out of memory. */
static uint32_t slot_alloc_locked(void) {
  if (free_head != NO_SLOT) {
    uint32_t idx = free_head;
    free_head = slot_at(idx)->next_free;
    return idx;
  }
  uint32_t n = atomic_load_explicit(&slots_issued, memory_order_relaxed);
  if (n > IDX_MASK)
    return NO_SLOT;
  if ((n & (CHUNK_SLOTS - 1)) == 0) {
    slot *c = calloc(CHUNK_SLOTS, sizeof(slot));
    if (!c)
      return NO_SLOT;
    atomic_store_explicit(&chunks[n >> CHUNK_BITS], c, memory_order_relaxed);
  }
  /* Release: a reader that sees the count sees the chunk pointer. */
  atomic_store_explicit(&slots_issued, n + 1, memory_order_release);
  return n;
}

static void bump_peak_locked(void) {
  size_t held = acct.live_bytes + acct.pooled_bytes;
  if (held > acct.peak_bytes)
    acct.peak_bytes = held;
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

  pthread_mutex_lock(&table_mu);
  uint32_t idx = slot_alloc_locked();
  uintptr_t h = 0;
  if (idx != NO_SLOT) {
    slot *s = slot_at(idx);
    uint32_t gen = GEN(atomic_load_explicit(&s->state, memory_order_relaxed));
    s->impl = impl;
    s->nbytes = nbytes;
    s->site = site;
    s->ret = ret;
    s->death = TS__DEATH_NONE;
    atomic_store_explicit(&s->owner, owner, memory_order_relaxed);
    atomic_store_explicit(&s->state, (uint64_t)(gen << 2 | SLOT_LIVE),
                          memory_order_release);
    h = h_make(gen, idx);
    acct.live_tensors++;
    acct.live_bytes += nbytes;
    acct.created++;
    bump_peak_locked();
  }
  pthread_mutex_unlock(&table_mu);

  if (!h) {
    tsc_release(impl);
    ts__fail(TS_ERR_OOM, call,
             "out of tensor handles (%u live at most) or memory; free "
             "tensors you no longer need",
             IDX_MASK + 1);
    return NULL;
  }
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

/* A slot just given a recycled state goes on the free list (under
 * table_mu) unless it was retired. */
static void push_free_locked(slot *s, uint32_t idx, uint64_t st) {
  if (KIND(st) == SLOT_FREE) {
    s->next_free = free_head;
    free_head = idx;
  }
}

/* The last pin of a DYING slot is gone: release its tensor and the slot.
 * Nothing else changes the state of a DYING slot without pins. */
static void slot_finish(slot *s, uint32_t idx) {
  pthread_mutex_lock(&table_mu);
  tsc_tensor *impl = s->impl;
  s->impl = NULL;
  uint64_t st = recycled_state(
      GEN(atomic_load_explicit(&s->state, memory_order_relaxed)));
  atomic_store_explicit(&s->state, st, memory_order_release);
  push_free_locked(s, idx, st);
  pthread_mutex_unlock(&table_mu);
  tsc_release(impl);
}

/* Ends a live slot (under table_mu) and returns its tensor reference, or
 * NULL when a call has it pinned: the last ts__unpin releases it then. */
static tsc_tensor *slot_kill_locked(slot *s, uint32_t idx, ts__death why) {
  s->death = (uint8_t)why;
  acct.live_tensors--;
  acct.live_bytes -= s->nbytes;
  acct.freed++;
  /* Only pins change the state outside the lock, so a CAS: unpinned, the
   * slot is recycled at once (acquire: every earlier call's use of the
   * tensor happens before its release); pinned, it becomes DYING. Either
   * way no new pin can be taken: pinning needs the LIVE kind. */
  uint64_t st = atomic_load_explicit(&s->state, memory_order_relaxed);
  for (;;) {
    if (PINS(st) == 0) {
      uint64_t next = recycled_state(GEN(st));
      if (atomic_compare_exchange_weak_explicit(&s->state, &st, next,
                                                memory_order_acq_rel,
                                                memory_order_relaxed)) {
        tsc_tensor *impl = s->impl;
        s->impl = NULL;
        push_free_locked(s, idx, next);
        return impl;
      }
    } else if (atomic_compare_exchange_weak_explicit(
                   &s->state, &st, (st & ~(uint64_t)3) | SLOT_DYING,
                   memory_order_relaxed, memory_order_relaxed)) {
      return NULL;
    }
  }
}

/* Kills a live handle: true, with its reference in *impl (NULL when the
 * release is deferred to the last unpin), or false when not live. */
static bool h_kill(uintptr_t h, uint64_t owner, ts__death why, size_t *nbytes,
                   tsc_tensor **impl) {
  bool killed = false;
  *impl = NULL;
  pthread_mutex_lock(&table_mu);
  slot *s = h_live(h);
  if (s && (owner == TS__NO_OWNER ||
            atomic_load_explicit(&s->owner, memory_order_relaxed) == owner)) {
    if (nbytes)
      *nbytes = s->nbytes;
    *impl = slot_kill_locked(s, h_index(h), why);
    killed = true;
  }
  pthread_mutex_unlock(&table_mu);
  return killed;
}

size_t ts__free_owned(const uintptr_t *v, size_t n, uint64_t owner,
                      ts__death why) {
  /* One lock per batch rather than per tensor; libtorch frees outside it. */
  enum { BATCH = 32 };
  tsc_tensor *batch[BATCH];
  size_t freed = 0, k = n;
  while (k > 0) {
    size_t got = 0;
    pthread_mutex_lock(&table_mu);
    while (k > 0 && got < BATCH) {
      uintptr_t h = v[--k];
      slot *s = h_live(h);
      if (s && atomic_load_explicit(&s->owner, memory_order_relaxed) == owner) {
        batch[got++] = slot_kill_locked(s, h_index(h), why);
        freed++;
      }
    }
    pthread_mutex_unlock(&table_mu);
    for (size_t i = 0; i < got; i++)
      tsc_release(batch[i]); /* newest first, as collected; NULL: deferred */
  }
  if (freed)
    trace_counters();
  return freed;
}

ts_status ts_free(ts_tensor *t) {
  tsc_tensor *impl;
  if (!h_kill((uintptr_t)t, TS__NO_OWNER, TS__DEATH_FREED, NULL, &impl))
    return h_fail((uintptr_t)t, "ts_free", "t");
  tsc_release(impl);
  trace_counters();
  ts__ok_fast();
  return TS_OK;
}

ts_status ts__detach(ts_tensor *t, const char *call, const char *arg,
                     size_t *nbytes, tsc_tensor **impl) {
  uintptr_t h = (uintptr_t)t;
  if (!h_kill(h, TS__NO_OWNER, TS__DEATH_POOLED, nbytes, impl))
    return h_fail(h, call, arg);
  trace_counters();
  return TS_OK;
}

ts_status ts__move(const ts_tensor *t, const char *call, uint64_t from,
                   uint64_t to, uint64_t *old) {
  uintptr_t h = (uintptr_t)t;
  pthread_mutex_lock(&table_mu);
  slot *s = h_live(h);
  if (s) {
    uint64_t cur = atomic_load_explicit(&s->owner, memory_order_relaxed);
    if (from == TS__NO_OWNER || cur == from)
      atomic_store_explicit(&s->owner, to, memory_order_relaxed);
    if (old)
      *old = cur;
  }
  pthread_mutex_unlock(&table_mu);
  return s ? TS_OK : h_fail(h, call, "t");
}

/* ------------------------------------------------------------ accounting */

void ts__account_pooled(int delta, size_t nbytes) {
  pthread_mutex_lock(&table_mu);
  if (delta > 0) {
    acct.pooled_tensors++;
    acct.pooled_bytes += nbytes;
    bump_peak_locked();
  } else {
    acct.pooled_tensors--;
    acct.pooled_bytes -= nbytes;
  }
  pthread_mutex_unlock(&table_mu);
}

ts_memory_stats ts__memory(void) {
  pthread_mutex_lock(&table_mu);
  ts_memory_stats m = acct;
  pthread_mutex_unlock(&table_mu);
  return m;
}

size_t ts__live_tensors(ts__live *out, size_t cap) {
  size_t n = 0;
  pthread_mutex_lock(&table_mu);
  uint32_t issued = atomic_load_explicit(&slots_issued, memory_order_relaxed);
  for (uint32_t i = 0; i < issued; i++) {
    slot *s = slot_at(i);
    if (KIND(atomic_load_explicit(&s->state, memory_order_relaxed)) !=
        SLOT_LIVE)
      continue;
    if (n < cap)
      out[n] = (ts__live){s->site, s->ret, s->nbytes};
    n++;
  }
  pthread_mutex_unlock(&table_mu);
  return n;
}

/* -------------------------------------------------------- object handles */

/* Async scopes and pools: few, and never on a hot path, so one mutex and a
 * plain growable array. Handles never reuse a generation either. */
typedef struct obj_slot {
  void *obj; /* NULL while free */
  uint32_t gen;
  unsigned tag;
} obj_slot;

static pthread_mutex_t obj_mu = PTHREAD_MUTEX_INITIALIZER;
static obj_slot *objs;
static uint32_t objs_n, objs_cap;

static uintptr_t obj_make(unsigned tag, uint32_t gen, uint32_t idx) {
  return ((uintptr_t)tag << TS__TAG_SHIFT) | ((uintptr_t)gen << TS__IDX_BITS) |
         idx;
}

void *ts__obj_register(unsigned tag, void *obj) {
  uintptr_t h = 0;
  pthread_mutex_lock(&obj_mu);
  uint32_t idx = objs_n;
  /* Reuse a free slot whose generation can still grow; linear is fine for
   * the handful of pools and jobs a program has at once. */
  for (uint32_t i = 0; i < objs_n; i++)
    if (!objs[i].obj && objs[i].gen < GEN_MASK) {
      idx = i;
      break;
    }
  if (idx == objs_n) {
    if (objs_n == objs_cap) {
      uint32_t cap = objs_cap ? objs_cap * 2 : 64;
      obj_slot *v = cap <= IDX_MASK ? realloc(objs, cap * sizeof *v) : NULL;
      if (!v)
        goto out;
      objs = v;
      objs_cap = cap;
    }
    objs[objs_n++] = (obj_slot){NULL, 0, 0};
  } else {
    objs[idx].gen++;
  }
  objs[idx].obj = obj;
  objs[idx].tag = tag;
  h = obj_make(tag, objs[idx].gen, idx);
out:
  pthread_mutex_unlock(&obj_mu);
  return (void *)h;
}

static obj_slot *obj_find_locked(unsigned tag, const void *handle) {
  uintptr_t h = (uintptr_t)handle;
  if ((h >> TS__TAG_SHIFT) != tag || h_index(h) >= objs_n)
    return NULL;
  obj_slot *o = &objs[h_index(h)];
  return o->obj && o->tag == tag && o->gen == h_gen(h) ? o : NULL;
}

void *ts__obj_lookup(unsigned tag, const void *handle) {
  pthread_mutex_lock(&obj_mu);
  obj_slot *o = obj_find_locked(tag, handle);
  void *obj = o ? o->obj : NULL;
  pthread_mutex_unlock(&obj_mu);
  return obj;
}

void ts__obj_unregister(unsigned tag, const void *handle) {
  pthread_mutex_lock(&obj_mu);
  obj_slot *o = obj_find_locked(tag, handle);
  if (o)
    o->obj = NULL;
  pthread_mutex_unlock(&obj_mu);
}
