/*
 * pickle_write.c - the pickle of a state_dict as torch.save writes it
 * (protocol 2), without the _metadata: torch.load then gives an
 * OrderedDict like OrderedDict(model.state_dict()).
 */
#include "pickle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void pb_op(ck_buf *b, uint8_t op) { ck_buf_put(b, &op, 1); }

static void pb_str(ck_buf *b, const char *s) {
  size_t len = strlen(s);
  uint8_t h[5] = {'X', (uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16),
                  (uint8_t)(len >> 24)};
  ck_buf_put(b, h, 5);
  ck_buf_put(b, s, len);
}

static void pb_int(ck_buf *b, int64_t v) {
  uint8_t h[10];
  if (v >= 0 && v < 256) {
    h[0] = 'K';
    h[1] = (uint8_t)v;
    ck_buf_put(b, h, 2);
  } else if (v >= 0 && v < 65536) {
    h[0] = 'M';
    h[1] = (uint8_t)v;
    h[2] = (uint8_t)(v >> 8);
    ck_buf_put(b, h, 3);
  } else if (v >= INT32_MIN && v <= INT32_MAX) {
    h[0] = 'J';
    for (int i = 0; i < 4; i++)
      h[1 + i] = (uint8_t)((uint64_t)v >> (8 * i));
    ck_buf_put(b, h, 5);
  } else {
    h[0] = 0x8a;
    h[1] = 8;
    for (int i = 0; i < 8; i++)
      h[2 + i] = (uint8_t)((uint64_t)v >> (8 * i));
    ck_buf_put(b, h, 10);
  }
}

static void pb_tuple(ck_buf *b, const int64_t *v, int n) {
  if (n > 3)
    pb_op(b, '(');
  for (int i = 0; i < n; i++)
    pb_int(b, v[i]);
  if (n == 0)
    pb_op(b, ')');
  else
    pb_op(b, n > 3 ? 't' : (uint8_t)(0x84 + n));
}

static void pb_global(ck_buf *b, const char *mod, const char *name) {
  pb_op(b, 'c');
  ck_buf_put(b, mod, strlen(mod));
  pb_op(b, '\n');
  ck_buf_put(b, name, strlen(name));
  pb_op(b, '\n');
}

static void pb_ordered_dict(ck_buf *b) {
  pb_global(b, "collections", "OrderedDict");
  pb_op(b, ')');
  pb_op(b, 'R');
}

ts_status pk_write(ck_buf *b, const ck_entry *v, size_t n) {
  pb_op(b, 0x80);
  pb_op(b, 2);
  pb_ordered_dict(b);
  if (n)
    pb_op(b, '(');
  for (size_t i = 0; i < n; i++) {
    const ck_entry *e = &v[i];
    char key[32];
    snprintf(key, sizeof key, "%zu", i);
    int64_t numel = 1, strides[64];
    for (int d = e->ndim - 1; d >= 0; d--) {
      strides[d] = numel;
      numel *= e->shape[d];
    }
    pb_str(b, e->name);
    pb_global(b, "torch._utils", "_rebuild_tensor_v2");
    pb_op(b, '(');
    pb_op(b, '(');
    pb_str(b, "storage");
    pb_global(b, "torch", pk_storages[e->dtype]);
    pb_str(b, key);
    pb_str(b, "cpu");
    pb_int(b, numel);
    pb_op(b, 't');
    pb_op(b, 'Q');
    pb_int(b, 0);
    pb_tuple(b, e->shape, e->ndim);
    pb_tuple(b, strides, e->ndim);
    pb_op(b, 0x89);
    pb_ordered_dict(b);
    pb_op(b, 't');
    pb_op(b, 'R');
  }
  if (n)
    pb_op(b, 'u');
  pb_op(b, '.');
  return b->oom ? TS_ERR_OOM : TS_OK;
}
