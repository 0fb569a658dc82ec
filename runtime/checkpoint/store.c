/*
 * store.c - ts_store_save and ts_store_load: a parameter store
 * (<tsmem/nn.h>) as the (name, tensor) arrays checkpoint.c saves and loads,
 * in the store's order (the state_dict's).
 */
#include "../nn/nn_internal.h"
#include "ckpt.h"

#include <stdlib.h>

/* The store's names and tensors in two malloc'd arrays (NULL when empty). */
static ts_status store_arrays(const char *call, const ts_store *s,
                              const char ***names, ts_tensor ***tensors,
                              size_t *n) {
  *names = NULL;
  *tensors = NULL;
  *n = ts_store_count(s);
  if (*n == 0)
    return TS_OK;
  *names = malloc(*n * sizeof **names);
  *tensors = malloc(*n * sizeof **tensors);
  if (!*names || !*tensors) {
    free(*names);
    free(*tensors);
    return ts__fail(TS_ERR_OOM, call,
                    "out of memory for the store's %zu entries; free memory "
                    "and retry",
                    *n);
  }
  for (size_t i = 0; i < *n; i++) {
    (*names)[i] = ts_store_name(s, i);
    (*tensors)[i] = ts_store_at(s, i);
  }
  return TS_OK;
}

ts_status ts_store_save(const ts_store *s, const char *path,
                        ts_checkpoint_format fmt) {
  static const ck_who who = {"ts_store_save", "the store", false};
  if (!ts__store_check(s, who.call, "s"))
    return ts_last_status();
  const char **names;
  ts_tensor **tensors;
  size_t n;
  ts_status st = store_arrays(who.call, s, &names, &tensors, &n);
  if (st != TS_OK)
    return st;
  st = ck_save_named(&who, path, names, tensors, n, fmt);
  free(names);
  free(tensors);
  return st;
}

ts_status ts_store_load(ts_store *s, const char *path) {
  static const ck_who who = {"ts_store_load", "the store", false};
  if (!ts__store_check(s, who.call, "s"))
    return ts_last_status();
  const char **names;
  ts_tensor **tensors;
  size_t n;
  ts_status st = store_arrays(who.call, s, &names, &tensors, &n);
  if (st != TS_OK)
    return st;
  st = ck_load_named(&who, path, names, tensors, n);
  free(names);
  free(tensors);
  return st;
}
