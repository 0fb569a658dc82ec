// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// A same-file init's field fills are its callers' only when every path to
// its return names the struct (FillPaths.cpp): an init storing only on its
// success path, behind one cleanup label, leaves nothing to free on the
// failure path its caller returns on.
#include <tsmem.h>

struct enc {
  ts_tensor *w;
  ts_tensor *bias;
};

static int enc_open(struct enc *e, int n) {
  int status = 1;
  ts_tensor *base = ts_ones(TS_SHAPE(n, n), TS_FLOAT32);
  if (base == NULL || n < 2)
    goto done;
  e->w = ts_mul_scalar(base, 2.0);
  e->bias = ts_sum(base);
  status = 0;
done:
  ts_free(base);
  return status;
}

// Negative: the caller leaves on failure, frees both on success.
float enc_use(int n) {
  struct enc e;
  if (enc_open(&e, n))
    return -1.0f;
  float r = ts_item(e.bias);
  ts_free(e.w);
  ts_free(e.bias);
  return r;
}

// Positive: an init that fills on every path is still followed.
static void enc_open_all(struct enc *e) {
  e->w = ts_zeros(TS_SHAPE(3), TS_FLOAT32);
  e->bias = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
}

void enc_forget(void) {
  struct enc e;
  enc_open_all(&e); // expected-note {{tensor made here}}
  ts_free(e.w);
} // expected-warning {{leaks}}
