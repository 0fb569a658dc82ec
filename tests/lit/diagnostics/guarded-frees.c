// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// A same-file helper that hands a local's tensor to a field, sets the local
// to NULL, and frees the local "if non-NULL" under one cleanup label frees
// nothing of the field on the path that stored it (GuardedFrees.cpp): its
// callers are not told the field is freed.
#include <tsmem.h>

struct stats {
  ts_tensor *mu;
};

static int stats_fill(struct stats *s, const ts_tensor *x, int bad) {
  int err = 1;
  ts_tensor *mu = ts_mean(x);
  if (bad)
    goto cleanup;
  s->mu = mu;
  mu = NULL;
  err = 0;
cleanup:
  if (mu != NULL)
    ts_free(mu);
  return err;
}

// Negative: the field is the caller's on success.
float stats_use(const ts_tensor *x) {
  struct stats s;
  if (stats_fill(&s, x, 0) != 0)
    return 0.0f;
  ts_tensor *d = ts_sub(x, s.mu);
  float r = ts_item(d);
  ts_free(d);
  ts_free(s.mu);
  return r;
}

// Positive: a teardown that frees the field on every path still counts.
static void stats_drop(struct stats *s) { ts_free(s->mu); }

float stats_stale(const ts_tensor *x) {
  struct stats s;
  s.mu = ts_mean(x);
  stats_drop(&s);       // expected-note {{freed here}}
  return ts_item(s.mu); // expected-warning {{after it was freed}}
}
