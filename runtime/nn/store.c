/*
 * store.c - the parameter store of <tsmem/nn.h>: named parameters and
 * buffers owned by the store (never by a scope), train/eval mode, freezing,
 * gradient mode, and the registry that makes a freed or foreign store or
 * optimizer pointer an error instead of a crash.
 */
#include "nn/nn_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ registry -- */

/* Few objects live at once (a store or two, an optimizer each): a plain
 * array under a mutex. */
typedef struct obj_entry {
  const void *p;
  ts__obj_kind kind;
} obj_entry;

static pthread_mutex_t obj_mu = PTHREAD_MUTEX_INITIALIZER;
static obj_entry *objs;
static size_t n_objs, cap_objs;

bool ts__obj_add(const void *p, ts__obj_kind kind) {
  bool ok = true;
  pthread_mutex_lock(&obj_mu);
  if (n_objs == cap_objs) {
    size_t cap = cap_objs ? cap_objs * 2 : 16;
    obj_entry *v = realloc(objs, cap * sizeof *v);
    if (v) {
      objs = v;
      cap_objs = cap;
    } else {
      ok = false;
    }
  }
  if (ok)
    objs[n_objs++] = (obj_entry){p, kind};
  pthread_mutex_unlock(&obj_mu);
  return ok;
}

void ts__obj_remove(const void *p) {
  pthread_mutex_lock(&obj_mu);
  for (size_t i = 0; i < n_objs; i++) {
    if (objs[i].p == p) {
      objs[i] = objs[--n_objs];
      break;
    }
  }
  pthread_mutex_unlock(&obj_mu);
}

bool ts__obj_live(const void *p, ts__obj_kind kind) {
  bool live = false;
  pthread_mutex_lock(&obj_mu);
  for (size_t i = 0; i < n_objs && !live; i++)
    live = objs[i].p == p && objs[i].kind == kind;
  pthread_mutex_unlock(&obj_mu);
  return live;
}

/* ------------------------------------------------------------- helpers -- */

bool ts__tensor_live(const ts_tensor *t) {
  return t && ts__owner((uintptr_t)t) != TS__NO_OWNER;
}

ts_status ts__refail(const char *call) {
  ts_status st = ts_last_status();
  if (st == TS_OK)
    st = TS_ERR_TORCH;
  char prev[1024];
  snprintf(prev, sizeof prev, "%s", ts_last_error());
  return ts__fail(st, call, "%s", prev);
}

int ts__shape_of(const ts_tensor *t, const char *call, const char *arg,
                 int64_t *sizes, int cap) {
  tsc_tensor *impl = ts__unwrap(t, call, arg);
  if (!impl)
    return -1;
  int nd = tsc_ndim(impl);
  const int64_t *sz = tsc_sizes(impl);
  for (int i = 0; i < nd && i < cap; i++)
    sizes[i] = sz[i];
  ts__unpin(t);
  return nd;
}

/* --------------------------------------------------------------- store -- */

typedef struct store_entry {
  char *name;
  ts_tensor *t;
  bool is_param;
} store_entry;

struct ts_store {
  store_entry *v;
  size_t n, cap;
  bool training;
  ts_optim **optims; /* optimizers to free with the store */
  size_t n_optims, cap_optims;
};

bool ts__store_check(const ts_store *s, const char *call, const char *arg) {
  if (!s) {
    ts__fail(TS_ERR_NULL, call, "%s is NULL; pass a store made by ts_store_new",
             arg);
    return false;
  }
  if (!ts__obj_live(s, TS__OBJ_STORE)) {
    ts__fail(TS_ERR_STALE_HANDLE, call,
             "%s is not a live store: it was freed by ts_store_free or never "
             "came from ts_store_new; pass a store made by ts_store_new that "
             "is not freed yet",
             arg);
    return false;
  }
  return true;
}

ts_store *ts_store_new(void) {
  ts_store *s = calloc(1, sizeof *s);
  if (!s || !ts__obj_add(s, TS__OBJ_STORE)) {
    free(s);
    ts__fail(TS_ERR_OOM, "ts_store_new", "out of memory allocating a store");
    return NULL;
  }
  s->training = true;
  ts__ok();
  return s;
}

static void entry_free(store_entry *e) {
  /* A tensor freed behind the store's back is skipped, silently. */
  if (ts__tensor_live(e->t))
    ts_free(e->t);
  free(e->name);
}

void ts_store_free(ts_store *s) {
  if (!s) {
    ts__ok();
    return;
  }
  if (!ts__store_check(s, "ts_store_free", "s"))
    return;
  /* Optimizers first: their state goes with them. ts__optim_destroy
   * detaches each from the store, shrinking the list. */
  while (s->n_optims)
    ts__optim_destroy(s->optims[s->n_optims - 1]);
  for (size_t i = s->n; i-- > 0;)
    entry_free(&s->v[i]);
  ts__obj_remove(s);
  free(s->v);
  free(s->optims);
  free(s);
  ts__ok();
}

static const store_entry *lookup(const ts_store *s, const char *name) {
  for (size_t i = 0; i < s->n; i++)
    if (strcmp(s->v[i].name, name) == 0)
      return &s->v[i];
  return NULL;
}

static bool is_floating(ts_dtype d) {
  return d == TS_FLOAT32 || d == TS_FLOAT64 || d == TS_FLOAT16 ||
         d == TS_BFLOAT16;
}

/* What both ts_store_param and ts_store_buffer check before making
 * anything. */
static bool check_new(const ts_store *s, const char *call, const char *name,
                      const int64_t *shape, int ndim, ts_dtype dtype,
                      bool param) {
  if (!ts__store_check(s, call, "s"))
    return false;
  if (!name) {
    ts__fail(TS_ERR_NULL, call,
             "name is NULL; pass the state_dict key, e.g. \"fc1.weight\"");
    return false;
  }
  if (!name[0]) {
    ts__fail(TS_ERR_ARG, call,
             "name is empty; pass the state_dict key, e.g. \"fc1.weight\"");
    return false;
  }
  if (lookup(s, name)) {
    ts__fail(TS_ERR_ARG, call,
             "the store already has a tensor named \"%s\"; give each "
             "parameter and buffer its own name (a layer's prefix must be "
             "unique)",
             name);
    return false;
  }
  if (ndim < 0 || ndim > 64 || (ndim > 0 && !shape)) {
    ts__fail(ndim > 0 && !shape ? TS_ERR_NULL : TS_ERR_ARG, call,
             "\"%s\": ndim is %d with shape %s; pass ndim in 0..64 and a "
             "shape array of ndim sizes (TS_SHAPE(...) writes both)",
             name, ndim, shape ? "given" : "NULL");
    return false;
  }
  for (int i = 0; i < ndim; i++) {
    if (shape[i] < 0) {
      ts__fail(TS_ERR_SHAPE, call,
               "\"%s\": size %lld of dim %d is negative; sizes must be >= 0",
               name, (long long)shape[i], i);
      return false;
    }
  }
  if ((unsigned)dtype > (unsigned)TS_BFLOAT16) {
    ts__fail(TS_ERR_DTYPE, call,
             "\"%s\": dtype %d is not a ts_dtype; pass one of TS_FLOAT32, "
             "TS_FLOAT64, ...",
             name, (int)dtype);
    return false;
  }
  if (param && !is_floating(dtype)) {
    ts__fail(TS_ERR_DTYPE, call,
             "\"%s\": a parameter needs a floating dtype to have a gradient, "
             "not %s; use TS_FLOAT32 (or ts_store_buffer for an integer "
             "tensor)",
             name, tsc_dtype_name(dtype));
    return false;
  }
  return true;
}

static ts_tensor *store_add(ts_store *s, const char *call, const char *name,
                            const int64_t *shape, int ndim, ts_dtype dtype,
                            bool param) {
  if (!check_new(s, call, name, shape, ndim, dtype, param))
    return NULL;
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 16;
    store_entry *v = realloc(s->v, cap * sizeof *v);
    if (!v) {
      ts__fail(TS_ERR_OOM, call, "out of memory growing the store");
      return NULL;
    }
    s->v = v;
    s->cap = cap;
  }
  char *copy = strdup(name);
  if (!copy) {
    ts__fail(TS_ERR_OOM, call, "out of memory copying the name \"%s\"", name);
    return NULL;
  }
  ts_tensor *t = ts_zeros(shape, ndim, dtype);
  /* The store owns it, whatever scope is current. */
  if (t && !ts_keep(t)) {
    ts_free(t);
    t = NULL;
  }
  if (t && param && ts_requires_grad(t, true) != TS_OK) {
    ts_free(t);
    t = NULL;
  }
  if (!t) {
    ts__refail(call);
    free(copy);
    return NULL;
  }
  s->v[s->n++] = (store_entry){copy, t, param};
  ts__ok();
  return t;
}

ts_tensor *ts_store_param(ts_store *s, const char *name, const int64_t *shape,
                          int ndim, ts_dtype dtype) {
  return store_add(s, "ts_store_param", name, shape, ndim, dtype, true);
}

ts_tensor *ts_store_buffer(ts_store *s, const char *name, const int64_t *shape,
                           int ndim, ts_dtype dtype) {
  return store_add(s, "ts_store_buffer", name, shape, ndim, dtype, false);
}

size_t ts_store_count(const ts_store *s) {
  if (!ts__store_check(s, "ts_store_count", "s"))
    return 0;
  ts__ok();
  return s->n;
}

/* Entry i, or NULL with TS_ERR_ARG. */
static const store_entry *entry_at(const ts_store *s, size_t i,
                                   const char *call) {
  if (!ts__store_check(s, call, "s"))
    return NULL;
  if (i >= s->n) {
    ts__fail(TS_ERR_ARG, call,
             "index %zu is out of range: the store has %zu tensors; pass an "
             "index below ts_store_count(s)",
             i, s->n);
    return NULL;
  }
  ts__ok();
  return &s->v[i];
}

const char *ts_store_name(const ts_store *s, size_t i) {
  const store_entry *e = entry_at(s, i, "ts_store_name");
  return e ? e->name : NULL;
}

ts_tensor *ts_store_at(const ts_store *s, size_t i) {
  const store_entry *e = entry_at(s, i, "ts_store_at");
  return e ? e->t : NULL;
}

bool ts_store_is_param(const ts_store *s, size_t i) {
  const store_entry *e = entry_at(s, i, "ts_store_is_param");
  return e && e->is_param;
}

ts_tensor *ts_store_find(const ts_store *s, const char *name) {
  static const char call[] = "ts_store_find";
  if (!ts__store_check(s, call, "s"))
    return NULL;
  if (!name) {
    ts__fail(TS_ERR_NULL, call, "name is NULL; pass a state_dict key");
    return NULL;
  }
  const store_entry *e = lookup(s, name);
  ts__ok();
  return e ? e->t : NULL;
}

/* ------------------------------------------------------ parameters only -- */

size_t ts_store_param_count(const ts_store *s) {
  if (!ts__store_check(s, "ts_store_param_count", "s"))
    return 0;
  size_t n = 0;
  for (size_t i = 0; i < s->n; i++)
    n += s->v[i].is_param;
  ts__ok();
  return n;
}

static const store_entry *param_at(const ts_store *s, size_t i,
                                   const char *call) {
  if (!ts__store_check(s, call, "s"))
    return NULL;
  size_t k = 0;
  for (size_t j = 0; j < s->n; j++) {
    if (!s->v[j].is_param)
      continue;
    if (k++ == i) {
      ts__ok();
      return &s->v[j];
    }
  }
  ts__fail(TS_ERR_ARG, call,
           "index %zu is out of range: the store has %zu parameters; pass an "
           "index below ts_store_param_count(s)",
           i, k);
  return NULL;
}

ts_tensor *ts_store_param_at(const ts_store *s, size_t i) {
  const store_entry *e = param_at(s, i, "ts_store_param_at");
  return e ? e->t : NULL;
}

const char *ts_store_param_name(const ts_store *s, size_t i) {
  const store_entry *e = param_at(s, i, "ts_store_param_name");
  return e ? e->name : NULL;
}

int64_t ts_store_param_numel(const ts_store *s) {
  static const char call[] = "ts_store_param_numel";
  if (!ts__store_check(s, call, "s"))
    return -1;
  int64_t total = 0;
  for (size_t i = 0; i < s->n; i++) {
    if (!s->v[i].is_param)
      continue;
    int64_t n = ts_numel(s->v[i].t);
    if (n < 0) {
      ts__refail(call);
      return -1;
    }
    total += n;
  }
  ts__ok();
  return total;
}

/* ------------------------------------------------------ training state -- */

ts_status ts_store_zero_grad(ts_store *s) {
  static const char call[] = "ts_store_zero_grad";
  if (!ts__store_check(s, call, "s"))
    return ts_last_status();
  for (size_t i = 0; i < s->n; i++) {
    if (s->v[i].is_param && ts_zero_grad(s->v[i].t) != TS_OK)
      return ts__refail(call);
  }
  ts__ok();
  return TS_OK;
}

ts_status ts_store_clear_grad(ts_store *s) {
  static const char call[] = "ts_store_clear_grad";
  if (!ts__store_check(s, call, "s"))
    return ts_last_status();
  for (size_t i = 0; i < s->n; i++) {
    if (s->v[i].is_param && ts_clear_grad(s->v[i].t) != TS_OK)
      return ts__refail(call);
  }
  ts__ok();
  return TS_OK;
}

ts_status ts_store_train(ts_store *s, bool training) {
  if (!ts__store_check(s, "ts_store_train", "s"))
    return ts_last_status();
  s->training = training;
  ts__ok();
  return TS_OK;
}

bool ts_store_is_training(const ts_store *s) {
  if (!ts__store_check(s, "ts_store_is_training", "s"))
    return false;
  ts__ok();
  return s->training;
}

static bool prefix_matches(const char *name, const char *prefix) {
  size_t n = strlen(prefix);
  if (n == 0)
    return true;
  if (strncmp(name, prefix, n) != 0)
    return false;
  return name[n] == '\0' || name[n] == '.' || prefix[n - 1] == '.';
}

ts_status ts_store_set_requires_grad(ts_store *s, const char *prefix,
                                     bool requires_grad, size_t *count) {
  static const char call[] = "ts_store_set_requires_grad";
  if (count)
    *count = 0;
  if (!ts__store_check(s, call, "s"))
    return ts_last_status();
  if (!prefix)
    return ts__fail(TS_ERR_NULL, call,
                    "prefix is NULL; pass a name prefix such as \"conv1\", "
                    "or \"\" for every parameter");
  size_t matches = 0;
  for (size_t i = 0; i < s->n; i++) {
    if (!s->v[i].is_param || !prefix_matches(s->v[i].name, prefix))
      continue;
    if (!ts__tensor_live(s->v[i].t))
      return ts__fail(TS_ERR_STALE_HANDLE, call,
                      "parameter \"%s\" was freed by hand; the store owns its "
                      "tensors, so do not ts_free them",
                      s->v[i].name);
    matches++;
  }
  if (!matches)
    return ts__fail(TS_ERR_ARG, call,
                    "no parameter is named \"%s\" or starts with \"%s.\"; "
                    "check the prefix against ts_store_param_name",
                    prefix, prefix);
  for (size_t i = 0; i < s->n; i++) {
    if (!s->v[i].is_param || !prefix_matches(s->v[i].name, prefix))
      continue;
    if (ts_requires_grad(s->v[i].t, requires_grad) != TS_OK)
      return ts__refail(call);
  }
  if (count)
    *count = matches;
  ts__ok();
  return TS_OK;
}

bool ts_set_grad_enabled(bool enabled) {
  bool was = tsc_grad_enabled();
  tsc_set_grad_enabled(enabled);
  ts__ok();
  return was;
}

bool ts_is_grad_enabled(void) {
  ts__ok();
  return tsc_grad_enabled();
}

/* ------------------------------------------------ for layers, optimizers -- */

size_t ts__store_mark(const ts_store *s) { return s->n; }

void ts__store_rollback(ts_store *s, size_t mark) {
  while (s->n > mark)
    entry_free(&s->v[--s->n]);
}

bool ts__store_key(char *buf, size_t size, const char *prefix,
                   const char *suffix, const char *call) {
  int n = prefix && prefix[0] ? snprintf(buf, size, "%s.%s", prefix, suffix)
                              : snprintf(buf, size, "%s", suffix);
  if (n < 0 || (size_t)n >= size) {
    ts__fail(TS_ERR_ARG, call,
             "the name \"%s.%s\" is longer than %zu bytes; use a shorter "
             "prefix",
             prefix ? prefix : "", suffix, size - 1);
    return false;
  }
  return true;
}

bool ts__store_attach_optim(ts_store *s, ts_optim *o) {
  if (s->n_optims == s->cap_optims) {
    size_t cap = s->cap_optims ? s->cap_optims * 2 : 4;
    ts_optim **v = realloc(s->optims, cap * sizeof *v);
    if (!v)
      return false;
    s->optims = v;
    s->cap_optims = cap;
  }
  s->optims[s->n_optims++] = o;
  return true;
}

void ts__store_detach_optim(ts_store *s, ts_optim *o) {
  for (size_t i = 0; i < s->n_optims; i++) {
    if (s->optims[i] == o) {
      memmove(&s->optims[i], &s->optims[i + 1],
              (s->n_optims - i - 1) * sizeof *s->optims);
      s->n_optims--;
      return;
    }
  }
}
