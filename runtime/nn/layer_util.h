/*
 * layer_util.h - what the layers of <tsmem/nn.h> share (layers.c,
 * recurrent.c): registering a layer's tensors in its store, and checking
 * a layer, its input and its results. Static inline: each file keeps its
 * own copy, and no new name reaches the library.
 */
#ifndef TSMEM_RUNTIME_NN_LAYER_UTIL_H
#define TSMEM_RUNTIME_NN_LAYER_UTIL_H

#include "nn/nn_internal.h"

#include <stdio.h>

enum { KEY_MAX = 256, MAX_DIMS = 64 };

/* ---------------------------------------------------------- registering -- */

/* One tensor a layer registers: its name after the prefix, shape, kind,
 * and where the handle goes. */
typedef struct reg {
  const char *suffix;
  int64_t shape[TS_NN_LAYER_NORM_MAX_DIMS];
  int ndim;
  ts_dtype dtype;
  bool param;
  ts_tensor **dst;
} reg;

static inline bool check_prefix(const char *prefix, const char *call) {
  if (!prefix) {
    ts__fail(TS_ERR_NULL, call,
             "prefix is NULL; pass the layer's name in the state_dict "
             "(\"fc1\"), or \"\" for none");
    return false;
  }
  return true;
}

/* Registers every r[i] or none: the names are checked first (none taken,
 * none twice), and a failure after that (out of memory) rolls back. */
static inline bool register_all(ts_store *s, const char *call,
                                const char *prefix, reg *r, int n) {
  if (!ts__store_check(s, call, "s") || !check_prefix(prefix, call))
    return false;
  char key[KEY_MAX];
  for (int i = 0; i < n; i++) {
    if (!ts__store_key(key, sizeof key, prefix, r[i].suffix, call))
      return false;
    if (ts_store_find(s, key)) {
      ts__fail(TS_ERR_ARG, call,
               "the store already has a tensor named \"%s\"; give each layer "
               "its own prefix",
               key);
      return false;
    }
  }
  size_t mark = ts__store_mark(s);
  for (int i = 0; i < n; i++) {
    ts__store_key(key, sizeof key, prefix, r[i].suffix, call);
    ts_tensor *t =
        r[i].param ? ts_store_param(s, key, r[i].shape, r[i].ndim, r[i].dtype)
                   : ts_store_buffer(s, key, r[i].shape, r[i].ndim, r[i].dtype);
    if (!t) {
      ts__refail(call);
      ts__store_rollback(s, mark);
      return false;
    }
    *r[i].dst = t;
  }
  return true;
}

/* The init calls that fill registered tensors; a failure rolls back. */
static inline bool init_ok(ts_status st, ts_store *s, size_t mark,
                           const char *call) {
  if (st == TS_OK)
    return true;
  ts__refail(call);
  ts__store_rollback(s, mark);
  return false;
}

static inline bool check_positive(const char *call, const char *name,
                                  int64_t v) {
  if (v > 0)
    return true;
  ts__fail(TS_ERR_ARG, call, "%s is %lld; pass a size >= 1", name,
           (long long)v);
  return false;
}

static inline bool check_out(const void *p, const char *call,
                             const char *what) {
  if (p)
    return true;
  ts__fail(TS_ERR_NULL, call, "%s is NULL; pass the struct to fill", what);
  return false;
}

/* ------------------------------------------------------------ checking -- */

/* A tensor of an initialised layer that is still alive. */
static inline bool check_layer_tensor(const ts_tensor *t, const char *call,
                                      const char *layer, const char *field) {
  if (!t) {
    ts__fail(TS_ERR_NULL, call,
             "the layer's %s is NULL: the layer is not initialised; call "
             "%s_init first (and check its status)",
             field, layer);
    return false;
  }
  if (!ts__tensor_live(t)) {
    ts__fail(TS_ERR_STALE_HANDLE, call,
             "the layer's %s is a freed tensor: its store was freed by "
             "ts_store_free (or the tensor by hand); use a layer only while "
             "its store lives",
             field);
    return false;
  }
  return true;
}

static inline bool check_layer(const void *l, const char *call) {
  if (l)
    return true;
  ts__fail(TS_ERR_NULL, call, "the layer is NULL; pass an initialised layer");
  return false;
}

/* Writes "[2, 3, 4]" into buf. */
static inline const char *shape_str(char *buf, size_t size, const int64_t *sz,
                                    int nd) {
  size_t n = (size_t)snprintf(buf, size, "[");
  for (int i = 0; i < nd && n < size; i++)
    n += (size_t)snprintf(buf + n, size - n, i ? ", %lld" : "%lld",
                          (long long)sz[i]);
  if (n < size)
    snprintf(buf + n, size - n, "]");
  return buf;
}

/* The input's shape into sz; -1 with the error set (naming call and "x"). */
static inline int input_shape(const ts_tensor *x, const char *call,
                              int64_t *sz) {
  return ts__shape_of(x, call, "x", sz, MAX_DIMS);
}

static inline ts_tensor *wrong_shape(const char *call, const int64_t *sz,
                                     int nd, const char *expected) {
  char buf[256];
  ts__fail(TS_ERR_SHAPE, call, "x has shape %s; the layer takes %s",
           shape_str(buf, sizeof buf, sz, nd), expected);
  return NULL;
}

/* An operator's result, with its error (if any) re-reported under call. */
static inline ts_tensor *result(ts_tensor *t, const char *call) {
  if (!t)
    ts__refail(call);
  return t;
}

/* The store's mode for a layer that has one. */
static inline bool layer_training(const ts_store *s, const char *call,
                                  bool *ok) {
  *ok = false;
  if (!s) {
    ts__fail(TS_ERR_NULL, call,
             "the layer's store is NULL: the layer is not initialised; call "
             "its init function first");
    return false;
  }
  if (!ts__obj_live(s, TS__OBJ_STORE)) {
    ts__fail(TS_ERR_STALE_HANDLE, call,
             "the layer's store was freed by ts_store_free; use a layer only "
             "while its store lives");
    return false;
  }
  *ok = true;
  return ts_store_is_training(s);
}

#endif /* TSMEM_RUNTIME_NN_LAYER_UTIL_H */
