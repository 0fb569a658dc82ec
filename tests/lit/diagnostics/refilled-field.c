// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// A field of *param overwritten without freeing what it held is a leak when
// it still holds the caller's tensor (FieldOverwrite.cpp). After a
// same-file helper given the struct that stores into that field, it holds
// whatever the helper left: here a tensor escaped into the caller's scope,
// which that scope frees. Overwriting it is correct.
#include <tsmem.h>
#include <tsmem/ops.h>

struct state {
  ts_tensor *h;
};

// Replaces s->h by a tensor escaped from its own scope: the caller's
// current scope owns it (manual when the caller has none).
static void step(struct state *s) {
  ts_tensor *h2;
  TS_SCOPE {
    h2 = ts_tanh(s->h);
    ts_escape(h2);
  }
  ts_free(s->h);
  s->h = h2;
}

// Reads s->h without changing it.
static double peek(struct state *s) { return ts_item(s->h); }

// Correct: the stepped state is this scope's; a kept copy replaces it.
void window(struct state *s, int n) {
  TS_SCOPE {
    for (int t = 0; t < n; t++)
      step(s);
    s->h = ts_keep(ts_detach(s->h));
  }
}

// Correct: one step, then the same.
void window_once(struct state *s) {
  TS_SCOPE {
    step(s);
    s->h = ts_keep(ts_detach(s->h));
  }
}

// Bug: a helper that only reads the field leaves the caller's tensor
// there, and it is overwritten.
void detach_after_peek(struct state *s) {
  peek(s);
  s->h = ts_detach(s->h); // expected-warning {{leaks: it is overwritten before it is freed}}
}
