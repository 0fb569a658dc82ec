/*
 * fuzz_runtime.c - libFuzzer harness for the runtime's ownership rules.
 *
 * The input bytes are decoded into a sequence of runtime calls: scopes begun
 * and ended in and out of order (and unknown ids), escape, keep, free,
 * register, ts_run, a private pool (acquire, release, prune, clear,
 * clear_key, destroy), async scopes, and stale, NULL and bogus handles. Next
 * to the runtime runs a small model of SPEC section 2 (who owns each tensor,
 * the scope stack, the pool's keys); each call's status must be the one the
 * model predicts, and after every call the runtime's counters must agree
 * with the model. Any disagreement aborts, which libFuzzer reports.
 *
 * Where the spec leaves a choice open the model follows the runtime's
 * documented choice (async.c): leaving an async scope that is not entered is
 * TS_ERR_BAD_SCOPE, ending one that is entered is TS_ERR_BUSY.
 */
#include <tsmem.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* -------------------------------------------------------------- input -- */

typedef struct reader {
  const uint8_t *p;
  size_t n;
} reader;

static reader in;

static uint8_t u8(void) {
  if (!in.n)
    return 0;
  in.n--;
  return *in.p++;
}

static uint64_t u64(void) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++)
    v = v << 8 | u8();
  return v;
}

/* -------------------------------------------------------------- model -- */

/* Tensor shapes and dtypes: tiny, so a run makes thousands per second. */
typedef struct key {
  ts_dtype dtype;
  int ndim;
  int64_t shape[2];
  const char *name; /* as ts_pool_foreach_key spells it */
} key;

static const key KEYS[] = {
    {TS_FLOAT32, 1, {1, 0}, "float32:[1]"},
    {TS_FLOAT32, 1, {4, 0}, "float32:[4]"},
    {TS_FLOAT32, 2, {2, 2}, "float32:[2,2]"},
    {TS_INT64, 1, {2, 0}, "int64:[2]"},
    {TS_FLOAT64, 0, {0, 0}, "float64:[]"},
    {TS_BOOL, 1, {3, 0}, "bool:[3]"},
};
enum { NKEYS = sizeof KEYS / sizeof KEYS[0] };

enum { MAX_T = 1024, MAX_FRAMES = 48, MAX_ASYNC = 8, MAX_ENDED = 64 };
enum { MAX_RUN_NEST = 4 };

/* Owner tokens: 0 manual, a plain scope's id, or a token of our own (high
 * bits set, so never a runtime id) for ts_run scopes and async scopes. */
#define MANUAL 0u
#define RUN_TOKEN (1ull << 62)
#define ASYNC_TOKEN (1ull << 63)

typedef struct mtensor {
  uintptr_t h;
  bool live;
  uint64_t owner;
  int key;
} mtensor;

typedef struct mframe {
  uint64_t token; /* owner token of what it owns */
  ts_scope_id id; /* plain scope: its id; ts_run or async: 0 (unknown) */
  int async;      /* index into A, or -1 */
} mframe;

typedef struct masync {
  ts_async_scope *h;
  bool alive, entered;
  uint64_t token;
} masync;

static mtensor T[MAX_T];
static int nt;
static mframe F[MAX_FRAMES];
static int depth;
static masync A[MAX_ASYNC];
static int na;
static ts_scope_id ended[MAX_ENDED];
static int nended;
static uint64_t next_token;
static int run_nest;

static ts_pool *pool, *dead_pool;
static size_t max_per_key;
static size_t kcount[NKEYS];
static uint64_t hits, misses;

static void *freed_ptr; /* a freed heap block, as a bogus handle */

/* ------------------------------------------------------------ failure -- */

static int step_no;
static const char *step_name = "";

static __attribute__((noreturn, format(printf, 1, 2))) void
fail(const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "fuzz_runtime: step %d (%s): ", step_no, step_name);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, " [last error: %s]\n", ts_last_error());
  abort();
}

/* The status a call returned (or left in ts_last_status) is the model's;
 * an error names the call. */
static void expect(ts_status got, ts_status want, const char *call) {
  if (got != want)
    fail("%s gave status %d, the model expects %d", call, got, want);
  if (ts_last_status() != want)
    fail("%s: ts_last_status() is %d, expected %d", call, ts_last_status(),
         want);
  if (want != TS_OK && !strstr(ts_last_error(), call))
    fail("%s: ts_last_error() does not name the call", call);
}

/* -------------------------------------------------------- model helpers -- */

static size_t pool_size(void) {
  size_t s = 0;
  for (int k = 0; k < NKEYS; k++)
    s += kcount[k];
  return s;
}

static uint64_t top_token(void) { return depth ? F[depth - 1].token : MANUAL; }

static mtensor *find_live(uintptr_t h) {
  if (!h)
    return NULL;
  for (int i = 0; i < nt; i++)
    if (T[i].live && T[i].h == h)
      return &T[i];
  return NULL;
}

/* Status a handle argument gives before anything else is looked at. */
static ts_status handle_status(uintptr_t h) {
  if (!h)
    return TS_ERR_NULL;
  return find_live(h) ? TS_OK : TS_ERR_STALE_HANDLE;
}

static void add_tensor(ts_tensor *t, int k) {
  if (nt == MAX_T)
    fail("model full"); /* the op guard keeps nt below MAX_T */
  T[nt++] = (mtensor){(uintptr_t)t, true, top_token(), k};
}

static void free_owned(uint64_t token) {
  for (int i = 0; i < nt; i++)
    if (T[i].live && T[i].owner == token)
      T[i].live = false;
}

static void note_ended(ts_scope_id id) {
  if (nended < MAX_ENDED)
    ended[nended++] = id;
}

/* Pops the top frame as the runtime does when something below it ends:
 * a plain scope ends (frees what it owns), an async scope is left. */
static void pop_frame(void) {
  mframe *f = &F[--depth];
  if (f->async >= 0) {
    A[f->async].entered = false;
  } else {
    free_owned(f->token);
    if (f->id)
      note_ended(f->id);
  }
}

/* Ends frame i and everything above it; returns how many were above. */
static int end_frames(int i) {
  int above = depth - 1 - i;
  while (depth > i)
    pop_frame();
  return above;
}

static int live_count(void) {
  int n = 0;
  for (int i = 0; i < nt; i++)
    n += T[i].live;
  return n;
}

/* ---------------------------------------------------------- invariants -- */

typedef struct seen {
  size_t count[NKEYS];
} seen;

static void on_key(const char *name, size_t count, void *ctx) {
  seen *s = ctx;
  for (int k = 0; k < NKEYS; k++)
    if (!strcmp(name, KEYS[k].name)) {
      s->count[k] += count;
      return;
    }
  fail("ts_pool_foreach_key reported unknown key \"%s\"", name);
}

static seen pool_keys(void) {
  seen s = {{0}};
  ts_pool_foreach_key(pool, on_key, &s);
  if (ts_last_status() != TS_OK)
    fail("ts_pool_foreach_key failed on a live pool");
  return s;
}

/* After every call: the runtime's counters are the model's. */
static void check_state(void) {
  ts_memory_stats m = ts_memory();
  if (m.live_tensors != (size_t)live_count())
    fail("live_tensors %zu, model %d", m.live_tensors, live_count());
  if (m.pooled_tensors != pool_size())
    fail("pooled_tensors %zu, model %zu", m.pooled_tensors, pool_size());
  if (ts_scope_depth() != depth)
    fail("ts_scope_depth %d, model %d", ts_scope_depth(), depth);
  if (ts_in_scope() != (depth > 0))
    fail("ts_in_scope disagrees with depth %d", depth);
  size_t owned = 0;
  uint64_t tok = top_token();
  for (int i = 0; depth && i < nt; i++)
    owned += T[i].live && T[i].owner == tok;
  if (ts_scope_tensor_count() != owned)
    fail("ts_scope_tensor_count %zu, model %zu", ts_scope_tensor_count(),
         owned);
  ts_pool_stats st = ts_pool_get_stats(pool);
  if (st.size != pool_size() || st.hit_count != hits || st.miss_count != misses)
    fail("pool stats size %zu hits %llu misses %llu, model %zu %llu %llu",
         st.size, (unsigned long long)st.hit_count,
         (unsigned long long)st.miss_count, pool_size(),
         (unsigned long long)hits, (unsigned long long)misses);
}

static void check_keys(void) {
  seen s = pool_keys();
  for (int k = 0; k < NKEYS; k++)
    if (s.count[k] != kcount[k])
      fail("pool key %s holds %zu, model %zu", KEYS[k].name, s.count[k],
           kcount[k]);
}

/* ----------------------------------------------------- argument choice -- */

/* A tensor handle: mostly one this input made (live or dead), sometimes
 * NULL, a bogus integer, a freed heap pointer or a forged generation. */
static ts_tensor *pick_tensor(void) {
  uint8_t sel = u8(), idx = u8();
  switch (sel % 10) {
  case 7:
    return NULL;
  case 8:
    return (ts_tensor *)(uintptr_t)u64();
  case 9:
    if (nt && idx & 1) /* same slot, another generation */
      return (ts_tensor *)(T[idx % nt].h ^ ((uintptr_t)1 << 26));
    return (ts_tensor *)freed_ptr;
  default:
    return nt ? (ts_tensor *)T[idx % nt].h : NULL;
  }
}

/* A pool: the live one mostly, else NULL or a destroyed or bogus one. */
static ts_pool *pick_pool(ts_status *want) {
  uint8_t sel = u8() % 8;
  *want = TS_OK;
  if (sel < 6)
    return pool;
  if (sel == 6) {
    *want = TS_ERR_NULL;
    return NULL;
  }
  *want = TS_ERR_POOL;
  return dead_pool ? dead_pool : (ts_pool *)(uintptr_t)(u64() | 1);
}

/* An async scope: one of ours (maybe ended), else NULL, a bogus pointer or
 * a tensor handle (wrong kind of handle). */
static ts_async_scope *pick_async(int *idx, ts_status *want) {
  uint8_t sel = u8();
  *idx = -1;
  *want = TS_ERR_BAD_SCOPE;
  if (na && sel % 8 < 5) {
    *idx = sel % na;
    *want = A[*idx].alive ? TS_OK : TS_ERR_BAD_SCOPE;
    return A[*idx].h;
  }
  switch (sel % 8) {
  case 5:
    *want = TS_ERR_NULL;
    return NULL;
  case 6:
    return nt ? (ts_async_scope *)T[sel % nt].h : (ts_async_scope *)freed_ptr;
  default:
    return (ts_async_scope *)(uintptr_t)(u64() | 1);
  }
}

/* ---------------------------------------------------------------- ops -- */

static void step(void);

static void op_begin(void) {
  if (depth == MAX_FRAMES)
    return;
  ts_scope_id id = ts_scope_begin();
  expect(ts_last_status(), TS_OK, "ts_scope_begin");
  if (!id)
    fail("ts_scope_begin returned 0");
  for (int i = 0; i < nended; i++)
    if (ended[i] == id)
      fail("scope id %llu reused", (unsigned long long)id);
  for (int i = 0; i < depth; i++)
    if (F[i].id == id)
      fail("scope id %llu is already on the stack", (unsigned long long)id);
  F[depth++] = (mframe){id, id, -1};
}

/* Ends a plain scope on the stack (innermost first, or any below). */
static void op_end(bool innermost) {
  uint8_t pick = u8();
  int cand[MAX_FRAMES], nc = 0;
  for (int i = depth - 1; i >= 0; i--)
    if (F[i].id)
      cand[nc++] = i;
  if (!nc)
    return;
  int i = cand[innermost ? 0 : pick % nc];
  ts_scope_id id = F[i].id;
  int above = end_frames(i);
  expect(ts_scope_end(id), above ? TS_ERR_SCOPE_MISMATCH : TS_OK,
         "ts_scope_end");
}

/* Unknown ids: 0, an ended one, or one far above any the runtime issues. */
static void op_end_bad(void) {
  uint8_t sel = u8();
  ts_scope_id id = 0;
  if (sel % 3 == 1 && nended)
    id = ended[sel % nended];
  else if (sel % 3 == 2)
    id = u64() | (1ull << 48);
  expect(ts_scope_end(id), TS_ERR_BAD_SCOPE, "ts_scope_end");
}

static void op_create(void) {
  uint8_t sel = u8();
  int k = sel % NKEYS;
  const key *K = &KEYS[k];
  ts_tensor *t;
  const char *call;
  switch (sel / NKEYS % 3) {
  case 0:
    t = ts_zeros(K->shape, K->ndim, K->dtype), call = "ts_zeros";
    break;
  case 1:
    t = ts_empty(K->shape, K->ndim, K->dtype), call = "ts_empty";
    break;
  default:
    t = ts_full(K->shape, K->ndim, K->dtype, 1.0), call = "ts_full";
    break;
  }
  expect(ts_last_status(), TS_OK, call);
  if (!t)
    fail("%s returned NULL", call);
  if (find_live((uintptr_t)t))
    fail("%s returned a handle that is already live", call);
  add_tensor(t, k);
}

/* ts_clone(a), or ts_add(a, b) for two tensors of one key. */
static void op_derive(void) {
  ts_tensor *a = pick_tensor(), *b = pick_tensor();
  mtensor *ma = find_live((uintptr_t)a), *mb = find_live((uintptr_t)b);
  bool add = (u8() & 1) && (!ma || KEYS[ma->key].dtype != TS_BOOL);
  if (add && ma && mb && ma->key != mb->key)
    b = a, mb = ma;
  ts_status want = handle_status((uintptr_t)a);
  if (add && want == TS_OK)
    want = handle_status((uintptr_t)b);
  const char *call = add ? "ts_add" : "ts_clone";
  ts_tensor *r = add ? ts_add(a, b) : ts_clone(a);
  expect(ts_last_status(), want, call);
  if ((r != NULL) != (want == TS_OK))
    fail("%s returned %p with status %d", call, (void *)r, want);
  if (r)
    add_tensor(r, ma->key);
}

static void op_escape(void) {
  ts_tensor *t = pick_tensor();
  bool alias = u8() & 1;
  const char *call = alias ? "ts_scope_escape_tensor" : "ts_escape";
  mtensor *m = find_live((uintptr_t)t);
  ts_status want = handle_status((uintptr_t)t);
  if (want == TS_OK && !depth)
    want = TS_ERR_NO_SCOPE;
  ts_tensor *r = alias ? ts_scope_escape_tensor(t) : ts_escape(t);
  expect(ts_last_status(), want, call);
  if (r != (m ? t : NULL))
    fail("%s returned %p for %p", call, (void *)r, (void *)t);
  if (m && depth && m->owner == top_token())
    m->owner = depth >= 2 ? F[depth - 2].token : MANUAL;
}

static void op_keep(void) {
  ts_tensor *t = pick_tensor();
  mtensor *m = find_live((uintptr_t)t);
  ts_tensor *r = ts_keep(t);
  expect(ts_last_status(), handle_status((uintptr_t)t), "ts_keep");
  if (r != (m ? t : NULL))
    fail("ts_keep returned %p for %p", (void *)r, (void *)t);
  if (m)
    m->owner = MANUAL;
}

static void op_free(void) {
  ts_tensor *t = pick_tensor();
  mtensor *m = find_live((uintptr_t)t);
  expect(ts_free(t), handle_status((uintptr_t)t), "ts_free");
  if (m)
    m->live = false;
}

static void op_register(void) {
  ts_tensor *t = pick_tensor();
  mtensor *m = find_live((uintptr_t)t);
  ts_scope_register_tensor(t);
  expect(ts_last_status(), handle_status((uintptr_t)t),
         "ts_scope_register_tensor");
  if (m && depth)
    m->owner = top_token();
}

/* ts_run: the next few ops run inside fn, in the scope ts_run made. */
typedef struct run_ctx {
  int ops;
  uint64_t token;
} run_ctx;

static void *run_fn(void *p) {
  run_ctx *c = p;
  F[depth++] = (mframe){c->token, 0, -1};
  check_state();
  for (int i = 0; i < c->ops && in.n; i++)
    step();
  return c;
}

static void op_run(void) {
  int ops = u8() % 16;
  if (u8() % 16 == 0) {
    if (ts_run(NULL, NULL) != NULL)
      fail("ts_run(NULL) returned non-NULL");
    expect(ts_last_status(), TS_ERR_NULL, "ts_run");
    return;
  }
  if (run_nest == MAX_RUN_NEST || depth == MAX_FRAMES)
    return;
  run_ctx c = {ops, RUN_TOKEN | next_token++};
  run_nest++;
  void *r = ts_run(run_fn, &c);
  run_nest--;
  if (r != &c)
    fail("ts_run returned %p, fn returned %p", r, (void *)&c);
  /* ts_run ends its scope: found on the stack, it and what is above end;
   * gone (an op ended a scope below it), ts_scope_end reports the id. */
  int i = depth - 1;
  while (i >= 0 && F[i].token != c.token)
    i--;
  if (i < 0) {
    if (ts_last_status() != TS_ERR_BAD_SCOPE)
      fail("ts_run's scope was ended inside fn, yet status %d",
           ts_last_status());
  } else if (end_frames(i) > 0) {
    expect(ts_last_status(), TS_ERR_SCOPE_MISMATCH, "ts_scope_end");
  }
}

static void op_acquire(void) {
  int k = u8() % NKEYS;
  ts_status want;
  ts_pool *p = pick_pool(&want);
  const key *K = &KEYS[k];
  ts_tensor *t = ts_pool_acquire(p, K->shape, K->ndim, K->dtype);
  expect(ts_last_status(), want, "ts_pool_acquire");
  if (want != TS_OK) {
    if (t)
      fail("ts_pool_acquire on a bad pool returned a tensor");
    return;
  }
  if (kcount[k]) {
    if (!t)
      fail("ts_pool_acquire missed with %zu pooled for %s", kcount[k], K->name);
    kcount[k]--;
    hits++;
    add_tensor(t, k);
  } else {
    if (t)
      fail("ts_pool_acquire hit an empty key %s", K->name);
    misses++;
  }
}

/* Bad keys: a dtype outside the enum, a negative ndim, a NULL shape. */
static void op_acquire_bad(void) {
  uint8_t sel = u8() % 3;
  ts_tensor *t;
  ts_status want;
  if (sel == 0)
    t = ts_pool_acquire(pool, TS_SHAPE(2), (ts_dtype)(10 + u8())),
    want = TS_ERR_DTYPE;
  else if (sel == 1)
    t = ts_pool_acquire(pool, (const int64_t[]){2}, -1 - u8(), TS_FLOAT32),
    want = TS_ERR_ARG;
  else
    t = ts_pool_acquire(pool, NULL, 2, TS_FLOAT32), want = TS_ERR_NULL;
  expect(ts_last_status(), want, "ts_pool_acquire");
  if (t)
    fail("ts_pool_acquire with a bad key returned a tensor");
}

static void op_release(void) {
  ts_tensor *t = pick_tensor();
  ts_status want;
  ts_pool *p = pick_pool(&want);
  mtensor *m = find_live((uintptr_t)t);
  if (want == TS_OK)
    want = handle_status((uintptr_t)t);
  expect(ts_pool_release(p, t), want, "ts_pool_release");
  if (want != TS_OK)
    return; /* a bad pool leaves t with its owner */
  m->live = false;
  if (kcount[m->key] < max_per_key)
    kcount[m->key]++;
}

/* Prune's total is the spec's; which keys lose tensors is the runtime's
 * choice, so the model takes the per-key counts back from the pool. */
static void op_prune(void) {
  uint8_t sel = u8();
  size_t target = sel % 8 < 6    ? sel % 8
                  : sel % 8 == 6 ? TS_POOL_HALF
                                 : (size_t)-2;
  ts_status want;
  ts_pool *p = pick_pool(&want);
  ts_pool_prune(p, target);
  expect(ts_last_status(), want, "ts_pool_prune");
  if (want != TS_OK)
    return;
  size_t before = pool_size();
  size_t after = target == TS_POOL_HALF ? before / 2
                 : target < before      ? target
                                        : before;
  seen s = pool_keys();
  size_t sum = 0;
  for (int k = 0; k < NKEYS; k++) {
    if (s.count[k] > kcount[k])
      fail("prune grew key %s", KEYS[k].name);
    sum += s.count[k];
  }
  if (sum != after)
    fail("prune(%zu) left %zu of %zu, expected %zu", target, sum, before,
         after);
  memcpy(kcount, s.count, sizeof kcount);
}

static void op_clear(void) {
  ts_status want;
  ts_pool *p = pick_pool(&want);
  ts_pool_clear(p);
  expect(ts_last_status(), want, "ts_pool_clear");
  if (want == TS_OK) {
    memset(kcount, 0, sizeof kcount);
    hits = misses = 0;
  }
}

static void op_clear_key(void) {
  int k = u8() % NKEYS;
  ts_status want;
  ts_pool *p = pick_pool(&want);
  ts_pool_clear_key(p, KEYS[k].shape, KEYS[k].ndim, KEYS[k].dtype);
  expect(ts_last_status(), want, "ts_pool_clear_key");
  if (want == TS_OK)
    kcount[k] = 0;
}

/* Destroy the pool (or try a bad one) and start a fresh one. */
static void op_pool_renew(void) {
  ts_status want;
  ts_pool *p = pick_pool(&want);
  if (want != TS_OK) {
    ts_pool_destroy(p);
    expect(ts_last_status(), want, "ts_pool_destroy");
    return;
  }
  ts_pool_destroy(pool);
  expect(ts_last_status(), TS_OK, "ts_pool_destroy");
  dead_pool = pool;
  pool = ts_pool_new(max_per_key);
  if (!pool)
    fail("ts_pool_new failed");
  memset(kcount, 0, sizeof kcount);
  hits = misses = 0;
}

static void op_async_begin(void) {
  if (na == MAX_ASYNC)
    return;
  ts_async_scope *s = ts_async_scope_begin();
  expect(ts_last_status(), TS_OK, "ts_async_scope_begin");
  if (!s)
    fail("ts_async_scope_begin returned NULL");
  A[na++] = (masync){s, true, false, ASYNC_TOKEN | next_token++};
}

static void op_async_enter(void) {
  int i;
  ts_status want;
  ts_async_scope *s = pick_async(&i, &want);
  if (want == TS_OK && A[i].entered)
    want = TS_ERR_BUSY;
  if (want == TS_OK && depth == MAX_FRAMES)
    return;
  expect(ts_async_scope_enter(s), want, "ts_async_scope_enter");
  if (want == TS_OK) {
    A[i].entered = true;
    F[depth++] = (mframe){A[i].token, 0, i};
  }
}

static void op_async_leave(void) {
  int i;
  ts_status want;
  ts_async_scope *s = pick_async(&i, &want);
  if (want == TS_OK && !A[i].entered)
    want = TS_ERR_BAD_SCOPE;
  if (want == TS_OK) {
    int j = depth - 1;
    while (F[j].async != i)
      j--;
    if (end_frames(j) > 0)
      want = TS_ERR_SCOPE_MISMATCH;
  }
  expect(ts_async_scope_leave(s), want, "ts_async_scope_leave");
}

static void op_async_end(void) {
  int i;
  ts_status want;
  ts_async_scope *s = pick_async(&i, &want);
  if (want == TS_OK && A[i].entered)
    want = TS_ERR_BUSY;
  expect(ts_async_scope_end(s), want, "ts_async_scope_end");
  if (want == TS_OK) {
    free_owned(A[i].token);
    A[i].alive = false;
  }
}

typedef struct op {
  const char *name;
  void (*fn)(void);
} op;

static void op_end_top(void) { op_end(true); }
static void op_end_any(void) { op_end(false); }

/* Making tensors is listed twice: most other ops need some. */
static const op OPS[] = {
    {"begin", op_begin},
    {"end", op_end_top},
    {"end-out-of-order", op_end_any},
    {"end-unknown", op_end_bad},
    {"create", op_create},
    {"create", op_create},
    {"clone/add", op_derive},
    {"escape", op_escape},
    {"keep", op_keep},
    {"free", op_free},
    {"register", op_register},
    {"run", op_run},
    {"pool-acquire", op_acquire},
    {"pool-acquire-bad-key", op_acquire_bad},
    {"pool-release", op_release},
    {"pool-prune", op_prune},
    {"pool-clear", op_clear},
    {"pool-clear-key", op_clear_key},
    {"pool-renew", op_pool_renew},
    {"async-begin", op_async_begin},
    {"async-enter", op_async_enter},
    {"async-leave", op_async_leave},
    {"async-end", op_async_end},
};
enum { NOPS = sizeof OPS / sizeof OPS[0] };

static void step(void) {
  const op *o = &OPS[u8() % NOPS];
  if (nt >= MAX_T - 2)
    return; /* the model is full: the rest of the input is ignored */
  step_no++;
  step_name = o->name;
  ts_clear_error();
  o->fn();
  check_state();
  if (o->fn == op_release || o->fn == op_acquire)
    check_keys();
}

/* Ends everything the input left open, then checks nothing is left. */
static void cleanup(void) {
  step_name = "cleanup";
  while (depth) {
    mframe *f = &F[depth - 1];
    if (f->async >= 0)
      expect(ts_async_scope_leave(A[f->async].h), TS_OK,
             "ts_async_scope_leave");
    else
      expect(ts_scope_end(f->id), TS_OK, "ts_scope_end");
    pop_frame();
  }
  for (int i = 0; i < na; i++)
    if (A[i].alive) {
      expect(ts_async_scope_end(A[i].h), TS_OK, "ts_async_scope_end");
      free_owned(A[i].token);
      A[i].alive = false;
    }
  for (int i = 0; i < nt; i++)
    if (T[i].live) {
      expect(ts_free((ts_tensor *)T[i].h), TS_OK, "ts_free");
      T[i].live = false;
    }
  ts_pool_destroy(pool);
  expect(ts_last_status(), TS_OK, "ts_pool_destroy");
  ts_memory_stats m = ts_memory();
  if (m.live_tensors || m.pooled_tensors)
    fail("after cleanup %zu live and %zu pooled tensors remain", m.live_tensors,
         m.pooled_tensors);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  ts_set_num_threads(1);
  freed_ptr = malloc(64);
  free(freed_ptr);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  in = (reader){data, size};
  nt = depth = na = nended = run_nest = step_no = 0;
  memset(kcount, 0, sizeof kcount);
  hits = misses = 0;
  dead_pool = NULL;
  max_per_key = 1 + u8() % 3; /* small, so full keys happen */
  pool = ts_pool_new(max_per_key);
  if (!pool)
    fail("ts_pool_new failed");
  step_name = "start";
  check_state();
  while (in.n)
    step();
  cleanup();
  return 0;
}
