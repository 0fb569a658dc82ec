/*
 * error.c - the thread's last error and strict mode.
 *
 * Every public call ends in ts__ok() or ts__fail(). Success must cost next
 * to nothing, so the status lives in static TLS and the message buffer is
 * only touched when there is something to clear.
 */
#include "internal.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Long enough for a sentence with a libtorch message inside. */
enum { TS_ERR_MSG_SIZE = 1024 };

static TS_TLS char err_msg[TS_ERR_MSG_SIZE];

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
}

void ts__ok(void) { ts__ok_fast(); }

ts_status ts__fail(ts_status st, const char *call, const char *fmt, ...) {
  /* A site set for a call that failed must not stick to the next tensor. */
  ts__pending_site = TS__NO_SITE;
  int n = snprintf(err_msg, sizeof err_msg, "%s: ", call ? call : "tsmem");
  if (n < 0 || (size_t)n >= sizeof err_msg)
    n = 0;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err_msg + n, sizeof err_msg - (size_t)n, fmt, ap);
  va_end(ap);
  ts__err_status = st;
  if (ts__strict()) {
    fprintf(stderr, "tsmem: strict mode: %s\n", err_msg);
    fflush(stderr);
    abort();
  }
  return st;
}

ts_status ts_last_status(void) { return ts__err_status; }

const char *ts_last_error(void) { return err_msg; }

void ts_clear_error(void) { ts__ok_fast(); }
