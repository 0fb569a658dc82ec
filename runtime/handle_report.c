/*
 * handle_report.c - the error for a tensor handle that is not live: what
 * happened to it and, while its slot still remembers that death, where
 * the tensor was made and where it was freed (handle_table.h).
 */
#include "handle_table.h"

#include <stdio.h>

/* Where a tensor was made, when the plugin recorded it: "file:line in
 * function" into buf; else buf is empty (the return address is named
 * instead, symbolized when the message is read). */
static void describe_site(ts__site site, char *buf, size_t n) {
  const ts__sites *sites = ts__find_sites(site);
  buf[0] = '\0';
  if (sites) {
    unsigned line = (unsigned)(site & ((1u << TS__SITE_LINE_BITS) - 1));
    snprintf(buf, n, "%s:%u in %s", sites->file, line, sites->function);
  }
}

/* Sets the error for a handle that is not live, saying what happened to it
 * and, when the slot still remembers that death, where the tensor was made
 * and where it was freed. */
ts_status ts__handle_fail(uintptr_t h, const char *call, const char *arg) {
  if (!h)
    return ts__fail(TS_ERR_NULL, call,
                    "%s is NULL; pass a tensor made by a ts_* call", arg);
  slot *s = h_slot(h);
  if (!s)
    return ts__fail(TS_ERR_STALE_HANDLE, call,
                    "%s (%p) is not a tensor handle tsmem issued; pass a "
                    "tensor made by a ts_* call",
                    arg, (void *)h);
  /* The handle's life record is intact while the slot's generation is the
   * handle's (dying, retired) or the next one (free, or live again): read
   * it between two reads of the state, so that a reuse meanwhile (a race
   * in the program) makes it unknown rather than mixed. */
  const char *what = "was freed and its slot reused";
  uint64_t st = atomic_load_explicit(&s->state, memory_order_acquire);
  uint32_t g = h_gen(h), next = (g + 1) & GEN_MASK;
  ts__site made_site = TS__NO_SITE;
  void *made_ret = NULL, *free_ret = NULL;
  bool known = false;
  if ((GEN(st) == g && KIND(st) != SLOT_LIVE) || GEN(st) == next) {
    const life *l = &s->lives[g & 1];
    ts__death death = (ts__death)LOAD(&l->death);
    made_site = LOAD(&l->site);
    made_ret = LOAD(&l->ret);
    free_ret = LOAD(&l->free_ret);
    atomic_thread_fence(memory_order_acquire);
    uint64_t st2 = LOAD(&s->state);
    if (GEN(st2) == GEN(st) && death != TS__DEATH_NONE) {
      known = true;
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
        what = "was freed";
        break;
      }
    }
  }
  if (!known && KIND(st) == SLOT_RETIRED && GEN(st) == h_gen(h))
    what = "was freed";
  char made[512];
  made[0] = '\0';
  if (known)
    describe_site(made_site, made, sizeof made);
  /* The return addresses are symbolized only if the message is read. */
  ts__fail_sites(known && !made[0] ? made_ret : NULL, known ? free_ret : NULL);
  return ts__fail(TS_ERR_STALE_HANDLE, call,
                  "%s is a stale tensor handle: it %s; do not use a tensor "
                  "after it is freed (escape or keep it to make it outlive "
                  "its scope; acquire a new one from the pool)%s%s",
                  arg, what, made[0] ? "; made at " : "", made);
}
