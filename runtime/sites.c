/*
 * sites.c - allocation sites: the twins the tsmem pass calls, and the
 * registry that names their sites.
 *
 * For every call that makes a tensor, the pass passes one more argument:
 * ts_add(a, b) in function f at line 12 becomes ts__add_at(a, b, key | 12),
 * where key is that of f's ts__sites, which f's translation unit registers
 * from a constructor. Each twin sets the pending site and calls the public
 * function, whose ts__wrap takes the site for the new tensor; a call that
 * makes none (an error, or ts_grad without a gradient) must not pass it on.
 * Then it stamps the tensor arguments the site's stamp bits name, which
 * calls on the same line made without a site (tsmem.h). Sites are looked
 * up only for the leak report.
 *
 * The twins must cover pass/OwnedCalls.def and the generated
 * GeneratedOwnedCalls.def; the lit test pass/twins.test checks that libtsmem
 * exports exactly those.
 */
#include "internal.h"

#include <tsmem/ops.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* --------------------------------------------------------- registry */

/* The sites of one translation unit: its own array while it is loaded, a
 * copy once it unregisters (at exit, before the leak report, or when its
 * library is dlclosed), so tensors it made can still be named. */
typedef struct unit {
  const ts__sites *registered; /* NULL once copied */
  const ts__sites *v;
  size_t n;
} unit;

static pthread_mutex_t units_mu = PTHREAD_MUTEX_INITIALIZER;
static unit *units;
static size_t n_units, units_cap;

void ts__register_sites(const ts__sites *v, size_t n) {
  pthread_mutex_lock(&units_mu);
  if (n_units == units_cap) {
    size_t cap = units_cap ? units_cap * 2 : 16;
    unit *grown = realloc(units, cap * sizeof *grown);
    if (!grown) { /* those sites stay unnamed: the report falls back */
      pthread_mutex_unlock(&units_mu);
      return;
    }
    units = grown;
    units_cap = cap;
  }
  units[n_units++] = (unit){v, v, n};
  pthread_mutex_unlock(&units_mu);
}

static ts__sites *copy_sites(const ts__sites *v, size_t n) {
  ts__sites *copy = malloc(n * sizeof *copy);
  for (size_t i = 0; copy && i < n; i++) {
    copy[i] = (ts__sites){v[i].key, strdup(v[i].file), strdup(v[i].function)};
    if (!copy[i].file || !copy[i].function) {
      for (size_t j = 0; j <= i; j++) {
        free((char *)copy[j].file);
        free((char *)copy[j].function);
      }
      free(copy);
      copy = NULL;
    }
  }
  return copy;
}

void ts__unregister_sites(const ts__sites *v) {
  pthread_mutex_lock(&units_mu);
  for (size_t i = 0; i < n_units; i++) {
    if (units[i].registered != v)
      continue;
    ts__sites *copy = copy_sites(v, units[i].n);
    if (copy) {
      units[i].v = copy;
      units[i].registered = NULL;
    } else { /* no memory: forget the names rather than keep a stale array */
      units[i] = units[--n_units];
    }
    break;
  }
  pthread_mutex_unlock(&units_mu);
}

const ts__sites *ts__find_sites(ts__site site) {
  uint64_t key = site & ~(((uint64_t)1 << TS__SITE_KEY_SHIFT) - 1);
  const ts__sites *found = NULL;
  if (!key)
    return NULL;
  pthread_mutex_lock(&units_mu);
  for (size_t i = 0; i < n_units && !found; i++)
    for (size_t j = 0; j < units[i].n; j++)
      if (units[i].v[j].key == key) {
        found = &units[i].v[j];
        break;
      }
  pthread_mutex_unlock(&units_mu);
  return found;
}

/* ------------------------------------------------------------ twins */

#define STAMP_MASK                                                             \
  ((((uint64_t)1 << TS__SITE_STAMP_BITS) - 1) << TS__SITE_LINE_BITS)

/* Gives a and b (the tensor parameters, or NULL) the site when its stamp
 * bits say so. */
static void stamp(uint64_t site, const ts_tensor *a, const ts_tensor *b) {
  ts__site clean = site & ~STAMP_MASK;
  if (site >> TS__SITE_LINE_BITS & 1)
    ts__stamp_site(a, clean);
  if (site >> TS__SITE_LINE_BITS & 2)
    ts__stamp_site(b, clean);
}

/* TWIN(name, (parameters), (arguments), a, b) defines ts__<name>_at; a and
 * b are its first two tensor parameters (NULL when it has fewer), in the
 * order of the pass's stamp bits. */
#define TS__WITH_SITE(...) (__VA_ARGS__, uint64_t site)
#define TWIN(name, params, args, a, b)                                         \
  TWIN_RET(ts_tensor *, name, params, args, a, b)
/* The same for a call returning `type` (the generated calls of
 * <tsmem/ops.h> that write several tensors to out return a ts_status). */
#define TWIN_RET(type, name, params, args, a, b)                               \
  type ts__##name##_at TS__WITH_SITE params;                                   \
  type ts__##name##_at TS__WITH_SITE params {                                  \
    ts__pending_site = site & ~STAMP_MASK;                                     \
    type made = ts_##name args;                                                \
    ts__pending_site = TS__NO_SITE; /* when no tensor took it */               \
    if (site & STAMP_MASK)                                                     \
      stamp(site, a, b);                                                       \
    return made;                                                               \
  }

/* Exported like the public API: user code calls them. */
#pragma GCC visibility push(default)

#define SHAPE_ARGS const int64_t *shape, int ndim, ts_dtype dtype

/* The hand-written calls of tsmem.h that make tensors; section 3's
 * operators (ts_zeros, ts_add, ...) are generated, twins included. */
TWIN(from_buffer, (const void *data, SHAPE_ARGS), (data, shape, ndim, dtype),
     NULL, NULL)
TWIN(grad, (const ts_tensor *t), (t), t, NULL)
TWIN(pool_acquire, (ts_pool * p, SHAPE_ARGS), (p, shape, ndim, dtype), NULL,
     NULL)

/* The twins of the generated operators (tools/gen-ops), section 3's too. */
#include "ops_twins.inc"

#pragma GCC visibility pop
