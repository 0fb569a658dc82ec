/*
 * obj_handles.c - handles of async scopes and pools: the tensor handles'
 * encoding (handle_table.h) with another tag, over a plain growable
 * array under one mutex.
 */
#include "handle_table.h"

#include <pthread.h>
#include <stdlib.h>

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
