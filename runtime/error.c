/*
 * error.c - the thread's last error and strict mode.
 *
 * Every public call ends in ts__ok() or ts__fail(). Success must cost next
 * to nothing, so the status lives in static TLS and the message buffer is
 * only touched when there is something to clear.
 */
#include "internal.h"
#include "symbolize.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Long enough for a sentence with a libtorch message inside. */
enum { TS_ERR_MSG_SIZE = 1024 };

static TS_TLS char err_msg[TS_ERR_MSG_SIZE];

/* Code addresses to name at the end of the message once it is read
 * (ts__fail_sites): `next` is for the coming ts__fail, `pending` the last
 * one's, not yet appended. */
typedef struct err_sites {
  void *made, *freed;
} err_sites;
static TS_TLS err_sites err_next, err_pending;

void ts__fail_sites(void *made, void *freed) {
  err_next = (err_sites){made, freed};
}

/* Appends "; made at F" and "; freed at F" for the pending addresses. */
static void resolve_sites(void) {
  err_sites p = err_pending;
  err_pending = (err_sites){NULL, NULL};
  size_t n = strlen(err_msg);
  char name[512];
  if (p.made && n < sizeof err_msg)
    n += (size_t)snprintf(err_msg + n, sizeof err_msg - n, "; made at %s",
                          ts__symbolize(p.made, name, sizeof name));
  if (p.freed && n < sizeof err_msg)
    snprintf(err_msg + n, sizeof err_msg - n, "; freed at %s",
             ts__symbolize(p.freed, name, sizeof name));
}

/* Relaxed is enough: strictness is a setting, not a synchronisation. */
static atomic_bool strict_mode;

/* TSMEM_STRICT=1 is read once at load, before main can race with it. */
__attribute__((constructor)) static void error_read_env(void) {
  const char *v = getenv("TSMEM_STRICT");
  if (v && v[0] == '1' && v[1] == '\0')
    atomic_store_explicit(&strict_mode, true, memory_order_relaxed);
}

bool ts__strict(void) {
  return atomic_load_explicit(&strict_mode, memory_order_relaxed);
}

void ts_set_strict(bool strict) {
  atomic_store_explicit(&strict_mode, strict, memory_order_relaxed);
  ts__ok_fast();
}

void ts__ok_slow(void) {
  ts__err_status = TS_OK;
  err_msg[0] = '\0';
  err_pending = (err_sites){NULL, NULL};
}

void ts__ok(void) { ts__ok_fast(); }

ts_status ts__fail(ts_status st, const char *call, const char *fmt, ...) {
  /* A site set for a call that failed must not stick to the next tensor. */
  ts__pending_site = TS__NO_SITE;
  err_pending = err_next;
  err_next = (err_sites){NULL, NULL};
  int n = snprintf(err_msg, sizeof err_msg, "%s: ", call ? call : "tsmem");
  if (n < 0 || (size_t)n >= sizeof err_msg)
    n = 0;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err_msg + n, sizeof err_msg - (size_t)n, fmt, ap);
  va_end(ap);
  ts__err_status = st;
  if (ts__strict()) {
    resolve_sites();
    fprintf(stderr, "tsmem: strict mode: %s\n", err_msg);
    fflush(stderr);
    abort();
  }
  return st;
}

ts_status ts_last_status(void) { return ts__err_status; }

const char *ts_last_error(void) {
  if (__builtin_expect(err_pending.made || err_pending.freed, 0))
    resolve_sites();
  return err_msg;
}

void ts_clear_error(void) { ts__ok_fast(); }
