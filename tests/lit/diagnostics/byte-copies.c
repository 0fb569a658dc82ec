// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// A struct or array of tensors handed to a function as bytes (`const void
// *`, `const char *`): memcpy's source, fwrite. The callee may copy the
// tensors anywhere (here: into the struct that frees them), so they are
// handed on, not borrowed (FieldCalls.cpp). Found by the precision hunt
// (tests/lit/precision/clean_containers.c).
#include <string.h>
#include <tsmem.h>

void copy_bytes(void *dst, const char *src, size_t n);

struct pair {
  ts_tensor *a, *b;
};

void memcpy_struct(void) {
  struct pair p = {ts_ones(TS_SHAPE(2), TS_FLOAT32),
                   ts_zeros(TS_SHAPE(2), TS_FLOAT32)};
  struct pair q;
  memcpy(&q, &p, sizeof q);
  ts_free(q.a);
  ts_free(q.b);
}

void memcpy_array(void) {
  ts_tensor *a[3], *b[3];
  for (int i = 0; i < 3; i++)
    a[i] = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  memcpy(b, a, sizeof a);
  for (int i = 0; i < 3; i++)
    ts_free(b[i]);
}

void char_source(void) {
  struct pair p = {ts_ones(TS_SHAPE(2), TS_FLOAT32), NULL};
  struct pair q;
  copy_bytes(&q, (const char *)&p, sizeof q);
  ts_free(q.a);
}

// A callee that sees the struct's type and takes it as const only reads.
double read_pair(const struct pair *p);

void typed_const_reader(void) {
  struct pair p = {ts_ones(TS_SHAPE(2), TS_FLOAT32), // expected-note {{made here}}
                   NULL};
  (void)read_pair(&p);
} // expected-warning {{leaks}}
