/*
 * handle_table.h - the tensor handle table's layout: the handle and
 * state-word encodings, a slot and its two life records, and the lookup
 * of a handle's slot. handle.c owns the table (issue, free, pins,
 * hazards, accounting); handle_report.c reads a dead slot's life record
 * for the stale-handle error; obj_handles.c encodes handles the same way.
 * handle.c's header comment tells the protocol.
 */
#ifndef TSMEM_RUNTIME_HANDLE_TABLE_H
#define TSMEM_RUNTIME_HANDLE_TABLE_H

#include "internal.h"

#include <stdatomic.h>

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

#define RELAXED memory_order_relaxed
#define LOAD(p) atomic_load_explicit(p, memory_order_relaxed)
#define STORE(p, v) atomic_store_explicit(p, v, memory_order_relaxed)

/* Where the tensor of one generation was made and how and where it died.
 * A slot has two, used by even and odd generations in turn, so that the
 * record of a dead tensor outlives the next tensor of its slot: a stale
 * handle's error can then say where its tensor was made and freed even
 * after the slot was reused once (which a thread's LIFO cache does at
 * once). Written while their generation is live or dying; atomics only
 * because errors and the leak report read them from other threads. */
typedef struct life {
  _Atomic ts__site site; /* from ts__set_site, or TS__NO_SITE */
  _Atomic(void *) ret;   /* the return address of the wrapping call */
  _Atomic(void *) free_ret;
  _Atomic uint8_t death; /* ts__death */
} life;

/* A slot. state, impl and owner are what a call reads (first cache line).
 * A tensor's size and life are written while the slot is not LIVE and
 * published by the release store of the state. */
typedef struct slot {
  _Atomic uint64_t state;
  tsc_tensor *impl;
  _Atomic uint64_t owner;
  _Atomic size_t nbytes;
  uint32_t next_free;       /* global free list link (under table_mu) */
  _Atomic uint32_t creator; /* tid of the thread that issued the handle */
  _Atomic uint8_t shared;   /* another thread has looked it up */
  life lives[2];            /* by generation & 1 */
} slot;

extern _Atomic(slot *) ts__chunks[MAX_CHUNKS] TS_INTERNAL;
/* Slots handed out so far; published with release after the chunk. */
extern _Atomic uint32_t ts__slots_issued TS_INTERNAL;

static inline uint32_t h_index(uintptr_t h) { return (uint32_t)h & IDX_MASK; }
static inline uint32_t h_gen(uintptr_t h) {
  return (uint32_t)(h >> TS__IDX_BITS) & GEN_MASK;
}
static inline uintptr_t h_make(uint32_t gen, uint32_t idx) {
  return ((uintptr_t)TS__TAG_TENSOR << TS__TAG_SHIFT) |
         ((uintptr_t)gen << TS__IDX_BITS) | idx;
}

static inline slot *slot_at(uint32_t idx) {
  return &atomic_load_explicit(&ts__chunks[idx >> CHUNK_BITS],
                               memory_order_relaxed)[idx & (CHUNK_SLOTS - 1)];
}

/* The slot a handle names, or NULL when no slot was ever issued for it. */
static inline slot *h_slot(uintptr_t h) {
  if ((h >> TS__TAG_SHIFT) != TS__TAG_TENSOR)
    return NULL;
  uint32_t idx = h_index(h);
  if (idx >= atomic_load_explicit(&ts__slots_issued, memory_order_acquire))
    return NULL;
  return slot_at(idx);
}

static inline uint32_t live_state(uintptr_t h) {
  return h_gen(h) << 2 | SLOT_LIVE;
}

/* Sets the error for a handle that is not live (handle_report.c). */
ts_status ts__handle_fail(uintptr_t h, const char *call,
                          const char *arg) TS_INTERNAL;

#endif /* TSMEM_RUNTIME_HANDLE_TABLE_H */
