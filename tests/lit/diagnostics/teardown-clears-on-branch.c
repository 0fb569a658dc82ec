// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// A teardown that frees a field's tensor and clears the field on some
// paths only (by its argument): the caller's field names the freed tensor
// only after a call that may leave it. Each way out's paths count apart:
// their join would say every path left it (FunctionAnalysis.cpp).
#include <stddef.h>
#include <tsmem.h>

struct codec {
  ts_tensor *enc;
  ts_tensor *dec;
};

static void codec_open(struct codec *c) {
  c->enc = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  c->dec = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
}

// Clears enc unless asked to keep the (dangling) handle.
static void close_some(struct codec *c, int keep) {
  if (c->enc)
    ts_free(c->enc);
  if (!keep)
    c->enc = NULL;
  if (c->dec)
    ts_free(c->dec);
  c->dec = NULL;
}

// --- Correct code: silent -------------------------------------------------

void close_twice_clearing(void) {
  struct codec c;
  codec_open(&c);
  close_some(&c, 0);
  close_some(&c, 0);
}

// --- Bugs: still found ------------------------------------------------------

// Always left dangling: freed again by the second call.
static void close_leave(struct codec *c) {
  if (c->enc)
    ts_free(c->enc);
  if (c->dec)
    ts_free(c->dec);
}

void close_twice_leaving(void) {
  struct codec c;
  codec_open(&c);
  close_leave(&c);
  close_leave(&c); // expected-warning {{freed or released again}}
  // expected-note@-2 {{freed here}}
}
