/*
 * dist.c - <tsmem/dist.h>: argument checks, the environment, tensor handles
 * and work handles over the c10d core (torch/dist_core.h).
 *
 * A work handle is an object handle (handle.c's table, tag TS__TAG_WORK),
 * so a waited, ended or bogus one is reported without being dereferenced.
 * Its tie to a scope is a token: a 0-byte tensor made with the work and
 * owned like any new tensor (the current scope, else the caller), whose
 * storage calls token_released() when the token dies. So:
 * - the scope ending frees the token, whose release waits for the work
 *   (before the scope's older tensors, which the work may write, are freed)
 *   and ends the handle;
 * - ts_dist_wait takes the token out of its scope first (ts_keep), waits,
 *   then frees it; the release only frees the records.
 * works_mu orders the two: whoever unregisters the handle first owns the
 * wait.
 */
#include "tsmem/dist.h"
#include "internal.h"
#include "torch/dist_core.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TS__TAG_WORK 0x75D1u

/* ----------------------------------------------------------- the group */

static int local_rank = -1;

/* An integer from the environment: true and *out set when `name` holds one
 * in [lo, hi]; false with *bad set when it holds something else. */
static bool env_int(const char *name, long lo, long hi, long *out, bool *bad) {
  const char *v = getenv(name);
  *bad = false;
  if (!v || !*v)
    return false;
  char *end;
  errno = 0;
  long x = strtol(v, &end, 10);
  if (errno || *end || x < lo || x > hi) {
    *bad = true;
    return false;
  }
  *out = x;
  return true;
}

static ts_status bad_env(const char *call, const char *name, const char *want) {
  return ts__fail(TS_ERR_ARG, call,
                  "environment variable %s is \"%s\", not %s; fix it (torchrun "
                  "sets it for you)",
                  name, getenv(name), want);
}

ts_status ts_dist_init(int rank, int world_size, const char *master_addr,
                       int master_port, double timeout_s) {
  static const char call[] = "ts_dist_init";
  tsd_config c = {0};
  long v;
  bool bad;
  if (world_size > 0) {
    c.world_size = world_size;
  } else if (env_int("WORLD_SIZE", 1, 1 << 20, &v, &bad)) {
    c.world_size = (int)v;
  } else if (bad) {
    return bad_env(call, "WORLD_SIZE", "a positive integer");
  } else {
    return ts__fail(TS_ERR_ARG, call,
                    "world_size is unset and WORLD_SIZE is not in the "
                    "environment; run under torchrun, set WORLD_SIZE (and "
                    "RANK, MASTER_ADDR, MASTER_PORT), or pass it");
  }
  if (rank >= 0) {
    c.rank = rank;
  } else if (env_int("RANK", 0, 1 << 20, &v, &bad)) {
    c.rank = (int)v;
  } else if (bad) {
    return bad_env(call, "RANK", "a rank (0, 1, ...)");
  } else {
    return ts__fail(TS_ERR_ARG, call,
                    "rank is unset and RANK is not in the environment; run "
                    "under torchrun, set RANK (0..WORLD_SIZE-1), or pass it");
  }
  if (c.rank >= c.world_size)
    return ts__fail(TS_ERR_ARG, call,
                    "rank %d is out of range for world size %d; ranks are "
                    "0..%d",
                    c.rank, c.world_size, c.world_size - 1);
  const char *addr_env = getenv("MASTER_ADDR");
  c.master_addr = master_addr             ? master_addr
                  : addr_env && *addr_env ? addr_env
                                          : "127.0.0.1";
  if (master_port > 0 && master_port <= 65535) {
    c.master_port = master_port;
  } else if (master_port > 65535) {
    return ts__fail(TS_ERR_ARG, call,
                    "master_port %d is not a TCP port; pass 1..65535",
                    master_port);
  } else if (env_int("MASTER_PORT", 1, 65535, &v, &bad)) {
    c.master_port = (int)v;
  } else if (bad) {
    return bad_env(call, "MASTER_PORT", "a TCP port (1..65535)");
  } else {
    c.master_port = 29500;
  }
  c.timeout_s = timeout_s;
  if (!(timeout_s > 0)) {
    const char *t = getenv("TSMEM_DIST_TIMEOUT");
    c.timeout_s = 60;
    if (t && *t) {
      char *end;
      double x = strtod(t, &end);
      if (*end || !(x > 0) || x > 1e6)
        return bad_env(call, "TSMEM_DIST_TIMEOUT", "a number of seconds > 0");
      c.timeout_s = x;
    }
  }
  const char *agent = getenv("TORCHELASTIC_USE_AGENT_STORE");
  c.agent_store =
      agent && strcmp(agent, "True") == 0 && !master_addr && master_port <= 0;
  if (c.agent_store &&
      env_int("TORCHELASTIC_RESTART_COUNT", 0, 1 << 20, &v, &bad))
    c.restart_count = (int)v;
  const char *chk = getenv("TSMEM_DIST_CHECK");
  c.check = !(chk && strcmp(chk, "0") == 0);
  if (env_int("LOCAL_RANK", 0, 1 << 20, &v, &bad))
    local_rank = (int)v;
  else
    local_rank = c.rank;
  if (tsd_init(call, &c) != TS_OK)
    return ts_last_status();
  ts__ok();
  return TS_OK;
}

ts_status ts_dist_init_env(void) { return ts_dist_init(-1, 0, NULL, 0, 0); }

static bool need_group(const char *call) {
  if (tsd_ready())
    return true;
  ts__fail(TS_ERR_ARG, call,
           "the process group is not initialised (or was destroyed); call "
           "ts_dist_init first");
  return false;
}

ts_status ts_dist_destroy(void) {
  if (tsd_destroy("ts_dist_destroy") != TS_OK)
    return ts_last_status();
  ts__ok();
  return TS_OK;
}

bool ts_dist_is_initialized(void) {
  ts__ok();
  return tsd_ready();
}

int ts_dist_rank(void) {
  if (!need_group("ts_dist_rank"))
    return -1;
  ts__ok();
  return tsd_rank();
}

int ts_dist_world_size(void) {
  if (!need_group("ts_dist_world_size"))
    return -1;
  ts__ok();
  return tsd_world_size();
}

int ts_dist_local_rank(void) {
  if (!need_group("ts_dist_local_rank"))
    return -1;
  ts__ok();
  return local_rank;
}

double ts_dist_timeout(void) {
  ts__ok();
  return tsd_timeout();
}

/* --------------------------------------------------------- collectives */

static bool check_op(const char *call, ts_dist_op op) {
  if ((unsigned)op <= TS_DIST_PRODUCT)
    return true;
  ts__fail(TS_ERR_ARG, call,
           "op %d is not a ts_dist_op; pass TS_DIST_SUM, TS_DIST_MEAN, "
           "TS_DIST_MAX, TS_DIST_MIN or TS_DIST_PRODUCT",
           (int)op);
  return false;
}

static bool check_root(const char *call, int root) {
  if (root >= 0 && root < tsd_world_size())
    return true;
  ts__fail(TS_ERR_ARG, call, "root %d is not a rank; pass 0..%d", root,
           tsd_world_size() - 1);
  return false;
}

/* Starts `kind` on t (may be NULL for a barrier); the result, if any, is
 * wrapped into *out. Returns the core's work, NULL with the error set. */
static tsd_work *start(const char *call, tsd_kind kind, const ts_tensor *t,
                       int op, int root, ts_tensor **out, void *ret) {
  if (!need_group(call))
    return NULL;
  if ((kind == TSD_ALL_REDUCE || kind == TSD_REDUCE_SCATTER) &&
      !check_op(call, (ts_dist_op)op))
    return NULL;
  if (kind == TSD_BROADCAST && !check_root(call, root))
    return NULL;
  tsc_tensor *impl = NULL;
  if (kind != TSD_BARRIER && !(impl = ts__unwrap(t, call, "t")))
    return NULL;
  tsc_tensor *res = NULL;
  tsd_work *w = tsd_start(call, kind, impl, op, root, out ? &res : NULL);
  if (impl)
    ts__unpin(t);
  if (!w)
    return NULL;
  if (out) {
    *out = ts__wrap_at(res, call, ret);
    if (!*out) {
      tsd_free(w);
      return NULL;
    }
  }
  return w;
}

/* Runs a collective to the end. */
static ts_status run(const char *call, tsd_kind kind, const ts_tensor *t,
                     int op, int root, ts_tensor **out, void *ret) {
  tsd_work *w = start(call, kind, t, op, root, out, ret);
  if (!w)
    return ts_last_status();
  ts_status st = tsd_wait(call, w);
  tsd_free(w);
  if (st == TS_OK) {
    ts__ok();
    return TS_OK;
  }
  if (out && *out) {
    char msg[1024];
    const char *m = ts_last_error(), *c = strstr(m, ": ");
    snprintf(msg, sizeof msg, "%s", c ? c + 2 : m);
    ts_free(*out); /* clears the error: set it again */
    *out = NULL;
    ts__fail(st, call, "%s", msg);
  }
  return st;
}

ts_status ts_dist_all_reduce(ts_tensor *t, ts_dist_op op) {
  return run("ts_dist_all_reduce", TSD_ALL_REDUCE, t, op, 0, NULL,
             __builtin_return_address(0));
}

ts_status ts_dist_broadcast(ts_tensor *t, int root) {
  return run("ts_dist_broadcast", TSD_BROADCAST, t, 0, root, NULL,
             __builtin_return_address(0));
}

ts_tensor *ts_dist_all_gather(const ts_tensor *t) {
  ts_tensor *out = NULL;
  run("ts_dist_all_gather", TSD_ALL_GATHER, t, 0, 0, &out,
      __builtin_return_address(0));
  return out;
}

ts_tensor *ts_dist_reduce_scatter(const ts_tensor *t, ts_dist_op op) {
  ts_tensor *out = NULL;
  run("ts_dist_reduce_scatter", TSD_REDUCE_SCATTER, t, op, 0, &out,
      __builtin_return_address(0));
  return out;
}

ts_status ts_dist_barrier(void) {
  return run("ts_dist_barrier", TSD_BARRIER, NULL, 0, 0, NULL,
             __builtin_return_address(0));
}

/* ---------------------------------------------------------- work handles */

typedef struct dist_work {
  tsd_work *w;
  const ts_dist_work *self; /* the live handle; NULL once claimed */
  ts_tensor *token;
} dist_work;

static pthread_mutex_t works_mu = PTHREAD_MUTEX_INITIALIZER;

/* The token died: by ts_dist_wait (self already NULL: only free), or by its
 * scope ending (wait here, then free). */
static void token_released(void *ctx) {
  dist_work *d = ctx;
  pthread_mutex_lock(&works_mu);
  bool scope_end = d->self != NULL;
  if (scope_end) {
    ts__obj_unregister(TS__TAG_WORK, d->self);
    d->self = NULL;
  }
  pthread_mutex_unlock(&works_mu);
  /* A failed wait leaves its error as the thread's last error. */
  if (scope_end)
    tsd_wait("ts_scope_end", d->w);
  tsd_free(d->w);
  free(d);
}

static ts_dist_work *start_async(const char *call, tsd_kind kind,
                                 const ts_tensor *t, int op, int root,
                                 ts_tensor **out, void *ret) {
  if (out)
    *out = NULL;
  dist_work *d = calloc(1, sizeof *d);
  if (!d) {
    ts__fail(TS_ERR_OOM, call, "out of memory for a work record");
    return NULL;
  }
  d->w = start(call, kind, t, op, root, out, ret);
  if (!d->w) {
    free(d);
    return NULL;
  }
  pthread_mutex_lock(&works_mu);
  const ts_dist_work *h = ts__obj_register(TS__TAG_WORK, d);
  d->self = h;
  pthread_mutex_unlock(&works_mu);
  /* The token, newer than *out, so a scope ending frees it (and waits)
   * before the result. */
  tsc_tensor *tok = h ? tsd_token(call, token_released, d) : NULL;
  if (!tok) {
    pthread_mutex_lock(&works_mu);
    if (h)
      ts__obj_unregister(TS__TAG_WORK, h);
    pthread_mutex_unlock(&works_mu);
    tsd_free(d->w); /* waits */
    free(d);
    if (out && *out) {
      ts_free(*out);
      *out = NULL;
    }
    ts__fail(TS_ERR_OOM, call, "out of memory for a work handle");
    return NULL;
  }
  /* From here a failure releases tok, which frees d (waiting first). */
  d->token = ts__wrap_at(tok, call, ret);
  if (!d->token) {
    if (out && *out) {
      ts_free(*out);
      *out = NULL;
    }
    ts__fail(TS_ERR_OOM, call, "out of memory for a work handle");
    return NULL;
  }
  ts__ok();
  return (ts_dist_work *)h;
}

ts_dist_work *ts_dist_all_reduce_async(ts_tensor *t, ts_dist_op op) {
  return start_async("ts_dist_all_reduce_async", TSD_ALL_REDUCE, t, op, 0, NULL,
                     __builtin_return_address(0));
}

ts_dist_work *ts_dist_broadcast_async(ts_tensor *t, int root) {
  return start_async("ts_dist_broadcast_async", TSD_BROADCAST, t, 0, root, NULL,
                     __builtin_return_address(0));
}

ts_dist_work *ts_dist_all_gather_async(const ts_tensor *t, ts_tensor **out) {
  if (!out) {
    ts__fail(TS_ERR_NULL, "ts_dist_all_gather_async",
             "out is NULL; pass where to store the result tensor");
    return NULL;
  }
  return start_async("ts_dist_all_gather_async", TSD_ALL_GATHER, t, 0, 0, out,
                     __builtin_return_address(0));
}

ts_dist_work *ts_dist_reduce_scatter_async(const ts_tensor *t, ts_dist_op op,
                                           ts_tensor **out) {
  if (!out) {
    ts__fail(TS_ERR_NULL, "ts_dist_reduce_scatter_async",
             "out is NULL; pass where to store the result tensor");
    return NULL;
  }
  return start_async("ts_dist_reduce_scatter_async", TSD_REDUCE_SCATTER, t, op,
                     0, out, __builtin_return_address(0));
}

ts_dist_work *ts_dist_barrier_async(void) {
  return start_async("ts_dist_barrier_async", TSD_BARRIER, NULL, 0, 0, NULL,
                     __builtin_return_address(0));
}

/* The record of a live work handle, with works_mu held; else NULL with the
 * error set and the lock released. */
static dist_work *lock_work(const ts_dist_work *w, const char *call) {
  if (!w) {
    ts__fail(TS_ERR_NULL, call,
             "w is NULL; pass a work handle from a ts_dist_*_async call");
    return NULL;
  }
  pthread_mutex_lock(&works_mu);
  dist_work *d = ts__obj_lookup(TS__TAG_WORK, w);
  if (d && d->self == w)
    return d;
  pthread_mutex_unlock(&works_mu);
  ts__fail(TS_ERR_STALE_HANDLE, call,
           "w (%p) is not a live work handle: it was waited for already, "
           "or the scope that owned it ended (which waited for it), or no "
           "ts_dist_*_async call made it; wait for work once, inside the "
           "scope it was made in (or escape it with ts_dist_work_escape)",
           (const void *)w);
  return NULL;
}

ts_status ts_dist_wait(ts_dist_work *w) {
  static const char call[] = "ts_dist_wait";
  dist_work *d = lock_work(w, call);
  if (!d)
    return ts_last_status();
  /* Out of its scope first, so the scope ending meanwhile cannot free it.
   * Fails only when the scope is ending right now, on another thread. */
  if (!ts_keep(d->token)) {
    pthread_mutex_unlock(&works_mu);
    return ts__fail(TS_ERR_STALE_HANDLE, call,
                    "w is not a live work handle: the scope that owned it "
                    "is ending (which waits for it); wait for work inside "
                    "the scope it was made in");
  }
  ts__obj_unregister(TS__TAG_WORK, w);
  d->self = NULL;
  pthread_mutex_unlock(&works_mu);
  ts_status st = tsd_wait(call, d->w);
  char msg[1024] = "";
  if (st != TS_OK) {
    const char *m = ts_last_error(), *c = strstr(m, ": ");
    snprintf(msg, sizeof msg, "%s", c ? c + 2 : m);
  }
  ts_free(d->token); /* token_released frees d */
  if (st != TS_OK)
    return ts__fail(st, call, "%s", msg);
  ts__ok();
  return TS_OK;
}

ts_status ts_dist_test(ts_dist_work *w, bool *done) {
  static const char call[] = "ts_dist_test";
  if (!done)
    return ts__fail(TS_ERR_NULL, call,
                    "done is NULL; pass where to store the answer");
  dist_work *d = lock_work(w, call);
  if (!d)
    return ts_last_status();
  *done = tsd_done(d->w);
  pthread_mutex_unlock(&works_mu);
  ts__ok();
  return TS_OK;
}

ts_dist_work *ts_dist_work_escape(ts_dist_work *w) {
  static const char call[] = "ts_dist_work_escape";
  dist_work *d = lock_work(w, call);
  if (!d)
    return NULL;
  ts_tensor *t = ts_escape(d->token);
  pthread_mutex_unlock(&works_mu);
  if (!t)
    return NULL;
  if (ts_last_status() == TS_ERR_NO_SCOPE) {
    ts__fail(TS_ERR_NO_SCOPE, call,
             "no scope is current on this thread, so there is nothing to "
             "escape from; w is returned unchanged");
    return w;
  }
  return w;
}

/* ------------------------------------------------ data-parallel helpers */

/* Unwraps params[0..n-1] into impls; on failure unpins what it pinned. */
static bool unwrap_all(const char *call, ts_tensor *const *params, int n,
                       tsc_tensor **impls) {
  char arg[32];
  for (int i = 0; i < n; i++) {
    snprintf(arg, sizeof arg, "params[%d]", i);
    if (!(impls[i] = ts__unwrap(params[i], call, arg))) {
      while (i-- > 0)
        ts__unpin(params[i]);
      return false;
    }
  }
  return true;
}

static ts_status run_params(const char *call, ts_tensor *const *params, int n,
                            int root, size_t bucket_bytes, bool grads) {
  if (!need_group(call))
    return ts_last_status();
  if (!params || n <= 0)
    return ts__fail(params ? TS_ERR_ARG : TS_ERR_NULL, call,
                    "pass an array of n > 0 parameter tensors (params %s, n "
                    "%d)",
                    params ? "set" : "NULL", n);
  if (!grads && !check_root(call, root))
    return ts_last_status();
  tsc_tensor *small[64], **impls = small;
  if (n > 64 && !(impls = malloc((size_t)n * sizeof *impls)))
    return ts__fail(TS_ERR_OOM, call, "out of memory for %d parameters", n);
  ts_status st = TS_ERR_STALE_HANDLE;
  if (unwrap_all(call, params, n, impls)) {
    st = grads ? tsd_average_gradients(call, impls, n, bucket_bytes)
               : tsd_broadcast_params(call, impls, n, root);
    for (int i = 0; i < n; i++)
      ts__unpin(params[i]);
  } else {
    st = ts_last_status();
  }
  if (impls != small)
    free(impls);
  if (st == TS_OK)
    ts__ok();
  return st;
}

ts_status ts_dist_broadcast_params(ts_tensor *const *params, int n, int root) {
  return run_params("ts_dist_broadcast_params", params, n, root, 0, false);
}

ts_status ts_dist_average_gradients(ts_tensor *const *params, int n,
                                    size_t bucket_bytes) {
  if (!bucket_bytes) {
    long mb;
    bool bad;
    bucket_bytes = env_int("TSMEM_DIST_BUCKET_MB", 1, 1 << 20, &mb, &bad)
                       ? (size_t)mb << 20
                       : (size_t)25 << 20;
  }
  return run_params("ts_dist_average_gradients", params, n, 0, bucket_bytes,
                    true);
}

int64_t ts_dist_sampler_len(int64_t dataset_len, int world_size,
                            bool drop_last) {
  static const char call[] = "ts_dist_sampler_len";
  if (dataset_len < 0 || world_size <= 0) {
    ts__fail(TS_ERR_ARG, call,
             "dataset_len (%lld) must be >= 0 and world_size (%d) > 0",
             (long long)dataset_len, world_size);
    return -1;
  }
  ts__ok();
  /* DistributedSampler.__init__'s num_samples */
  if (drop_last && dataset_len % world_size)
    return (dataset_len - world_size + world_size - 1) / world_size;
  return (dataset_len + world_size - 1) / world_size;
}

ts_tensor *ts_dist_sampler(int64_t dataset_len, int rank, int world_size,
                           bool shuffle, uint64_t seed, uint64_t epoch,
                           bool drop_last) {
  static const char call[] = "ts_dist_sampler";
  if (rank < 0 || world_size <= 0) {
    if (!need_group(call))
      return NULL;
    if (rank < 0)
      rank = tsd_rank();
    if (world_size <= 0)
      world_size = tsd_world_size();
  }
  if (rank >= world_size) {
    ts__fail(TS_ERR_ARG, call, "rank %d is out of range for world size %d",
             rank, world_size);
    return NULL;
  }
  int64_t per = ts_dist_sampler_len(dataset_len, world_size, drop_last);
  if (per < 0) {
    ts__fail(TS_ERR_ARG, call, "dataset_len (%lld) must be >= 0",
             (long long)dataset_len);
    return NULL;
  }
  if (dataset_len == 0 || per == 0)
    return ts__wrap_at(tsd_sampler(call, 0, 0, 1, false, 0, 0, true, 0), call,
                       __builtin_return_address(0));
  return ts__wrap_at(tsd_sampler(call, dataset_len, rank, world_size, shuffle,
                                 seed, epoch, drop_last, per),
                     call, __builtin_return_address(0));
}
