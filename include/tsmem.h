/*
 * tsmem.h - automatic memory management for tensor code written in C.
 *
 * One header for the whole public API: the ownership model (scopes, async
 * scopes, keep/escape), the tensor pool, the libtorch tensor core, accounting,
 * and the annotations the tsmem Clang plugin understands. The contract behind
 * every name is SPEC.md; the README is the guide.
 */
#ifndef TSMEM_H
#define TSMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* TSMEM_VERSION_MAJOR/MINOR/PATCH, TSMEM_VERSION_STRING: generated at build
 * time and installed beside this header. */
#if defined(__has_include)
#if __has_include(<tsmem/version.h>)
#include <tsmem/version.h>
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* libtsmem is built with hidden visibility: what this header declares is
 * exactly what the shared library exports. */
#pragma GCC visibility push(default)

/* Every function declared here is marked as tsmem's own: the tsmem pass acts
 * on these declarations only, never on a name alone (a file without this
 * header may have its own ts_add). */
#if defined(__clang__)
#pragma clang attribute push(__attribute__((annotate("tsmem.runtime"))),    \
                             apply_to = function)
#endif

/* ---------------------------------------------------------------- types -- */

/* A tensor handle. Never a pointer to memory: a handle that was freed,
 * released to a pool or never issued is detected on every call. */
typedef struct ts_tensor ts_tensor;
/* Scope ids are never 0 and never reused within a process. */
typedef uint64_t ts_scope_id;
typedef struct ts_async_scope ts_async_scope;
typedef struct ts_pool ts_pool;

typedef enum ts_dtype {
  TS_FLOAT32,
  TS_FLOAT64,
  TS_INT32,
  TS_INT64,
  TS_INT16,
  TS_INT8,
  TS_UINT8,
  TS_BOOL,
  TS_FLOAT16,
  TS_BFLOAT16
} ts_dtype;

typedef enum ts_status {
  TS_OK = 0,
  TS_ERR_NO_SCOPE,       /* needs a current scope and there is none */
  TS_ERR_SCOPE_MISMATCH, /* ended a scope that was not innermost */
  TS_ERR_BAD_SCOPE,      /* unknown, ended or foreign scope */
  TS_ERR_STALE_HANDLE,   /* freed, released or never-issued tensor handle */
  TS_ERR_NULL,           /* NULL where an object is required */
  TS_ERR_SHAPE,          /* shapes that do not fit the operation */
  TS_ERR_DTYPE,          /* dtype not supported by the operation */
  TS_ERR_OOM,            /* out of memory */
  TS_ERR_TORCH,          /* libtorch raised; the message is libtorch's */
  TS_ERR_POOL,           /* pooled tensor misused, or pool misuse */
  TS_ERR_BUSY,           /* async scope entered on another thread */
  TS_ERR_ARG             /* any other bad argument */
} ts_status;

/* TS_SHAPE(2, 3) expands to the two arguments `(const int64_t[]){2, 3}, 2`. */
#define TS_SHAPE(...)                                                          \
  ((const int64_t[]){__VA_ARGS__}),                                            \
      ((int)(sizeof((const int64_t[]){__VA_ARGS__}) / sizeof(int64_t)))

/* ---------------------------------------------------------- annotations -- */

#define TS__CAT2(a, b) a##b
#define TS__CAT(a, b) TS__CAT2(a, b)

#if defined(__clang__)
/* Returns a new tensor that the caller owns (section 2 of SPEC.md). */
#define TS_OWNED __attribute__((annotate("tsmem.owned")))
/* Takes ownership of parameter N (1-based). */
#define TS_CONSUMES(n) __attribute__((annotate("tsmem.consumes", n)))
/* Meant to run inside its caller's scope: its tensors belong to that scope. */
#define TS_CALLER_SCOPE __attribute__((annotate("tsmem.caller_scope")))
#else
#define TS_OWNED
#define TS_CONSUMES(n)
#define TS_CALLER_SCOPE
#endif

/* The plugin is loaded: __TSMEM_PLUGIN__ (its AST action) or the attribute
 * it registers, which __has_attribute also sees under -E (ccache, distcc,
 * -save-temps) and in clang-tidy with tsmem-tidy.so. */
#if defined(__has_attribute)
#if __has_attribute(tsmem_plugin)
#define TS__PLUGIN 1
#endif
#endif
#if defined(__TSMEM_PLUGIN__) && !defined(TS__PLUGIN)
#define TS__PLUGIN 1
#endif

#if defined(TS__PLUGIN)
/* TS_SCOPE { ... } or TS_SCOPE for/while/do: the plugin's pragma handler
 * opens the block with TS_SCOPE_GUARD(), or rewrites the loop's header to
 * give each iteration a scope (TS__LOOP_SCOPE below). */
#define TS_SCOPE _Pragma("tsmem scope")
/* The function body is one scope; the tsmem LLVM pass lowers the mark. */
#define TS_SCOPED __attribute__((annotate("tsmem.scope")))
#elif defined(TSMEM_EDITOR)
/* An editor's or linter's parse without the plugin (clangd, clang-tidy
 * without tsmem-tidy.so; a .clangd adds -DTSMEM_EDITOR, see the README):
 * the code parses as it would with the plugin, with no scope semantics. */
#define TS_SCOPE
#define TS_SCOPED __attribute__((annotate("tsmem.scope")))
#else
/* _Pragma takes exactly one string literal, hence the long lines. */
// clang-format off
#define TS_SCOPE _Pragma("GCC error \"TS_SCOPE needs the tsmem Clang plugin: compile with clang-19 -fplugin=<prefix>/lib/tsmem/tsmem.so, or write TS_SCOPE_GUARD(); at the top of the block\"")
#define TS_SCOPED _Pragma("GCC error \"TS_SCOPED needs the tsmem Clang plugin: compile with clang-19 -fplugin=<prefix>/lib/tsmem/tsmem.so, or write TS_SCOPE_GUARD(); at the top of the function body\"")
// clang-format on
#endif

/* Ends the scope TS_SCOPE_GUARD() opened; called by the compiler on every
 * exit from the guarded block. */
static inline void ts__scope_guard_end(const ts_scope_id *id);

/* TS_SCOPE_GUARD(); (GCC or Clang, plugin or not): the rest of the enclosing
 * block is a scope, ended on every exit (fall-through, return after its value
 * is computed, break, continue, goto out). longjmp past it skips the end. */
#define TS_SCOPE_GUARD()                                                       \
  ts_scope_id TS__CAT(ts__scope_guard_, __COUNTER__)                           \
      __attribute__((cleanup(ts__scope_guard_end), unused)) = ts_scope_begin()

/* --------------------------------------------------------------- errors -- */

ts_status ts_last_status(void);
/* A sentence naming the call, the cause and the fix; "" when none. */
const char *ts_last_error(void);
void ts_clear_error(void);
/* Strict mode (or TSMEM_STRICT=1): misuse prints the message and aborts. */
void ts_set_strict(bool strict);
/* The version of the libtsmem in use, "MAJOR.MINOR.PATCH" (a static string). */
const char *ts_version(void);

/* --------------------------------------------------------------- scopes -- */

/* ts_scope_begin and ts_scope_end have C99 inline definitions at the end of
 * this header (why: see there); in C++ and gnu89 C, or with
 * TSMEM_NO_INLINE_SCOPES defined, they are plain calls.
 * runtime/scope.c defines TS__SCOPE_EXTERN for their external definitions:
 * with `used` on the definitions, a later `extern` declaration comes too
 * late for clang, which has emitted them as inline-only by then. */
#if defined(__GNUC_STDC_INLINE__) && !defined(__cplusplus) &&                  \
    (!defined(TSMEM_NO_INLINE_SCOPES) || defined(TS__SCOPE_EXTERN))
#define TS__INLINE_SCOPES 1
#ifdef TS__SCOPE_EXTERN
#define TS__SCOPE_INLINE extern inline
#else
#define TS__SCOPE_INLINE inline
#endif
#else
#define TS__INLINE_SCOPES 0
#define TS__SCOPE_INLINE
#endif
TS__SCOPE_INLINE ts_scope_id ts_scope_begin(void);
/* Not innermost but on the stack: inner scopes end first, all is freed and
 * the result is TS_ERR_SCOPE_MISMATCH. Unknown id: TS_ERR_BAD_SCOPE. */
TS__SCOPE_INLINE ts_status ts_scope_end(ts_scope_id id);
/* Into the current scope; idempotent; no-op outside any scope. */
void ts_scope_register_tensor(ts_tensor *t);
ts_tensor *ts_scope_escape_tensor(ts_tensor *t); /* same as ts_escape */
/* Moves t from the current scope to its parent (manual at depth 1). */
ts_tensor *ts_escape(ts_tensor *t);
/* Takes t out of scope management for good: the caller frees it. */
ts_tensor *ts_keep(ts_tensor *t);
bool ts_in_scope(void);
int ts_scope_depth(void);
size_t ts_scope_tensor_count(void);
/* Runs fn inside a fresh scope, ended however fn returns. */
void *ts_run(void *(*fn)(void *ctx), void *ctx);

/* A scope not tied to one call stack: enter it on any thread, one at a time. */
ts_async_scope *ts_async_scope_begin(void);
ts_status ts_async_scope_enter(ts_async_scope *s);
ts_status ts_async_scope_leave(ts_async_scope *s);
ts_status ts_async_scope_end(ts_async_scope *s);

/* ----------------------------------------------------------------- pool -- */

/* ts_pool_prune(p, TS_POOL_HALF): down to half the pool's size, rounded
 * down. */
#define TS_POOL_HALF ((size_t)-1)

typedef struct {
  size_t size;
  uint64_t hit_count, miss_count;
  double hit_rate;
} ts_pool_stats;

ts_pool *ts_pool_new(size_t max_per_key); /* 0: default 16 */
void ts_pool_destroy(ts_pool *p);         /* frees what it holds */
ts_pool *ts_global_pool(void);
/* NULL on a miss; contents unspecified. */
TS_OWNED ts_tensor *ts_pool_acquire(ts_pool *p, const int64_t *shape, int ndim,
                                    ts_dtype dtype);
/* The handle is dead afterwards; when the key is full t is freed. */
ts_status ts_pool_release(ts_pool *p, ts_tensor *t) TS_CONSUMES(2);
ts_pool_stats ts_pool_get_stats(const ts_pool *p);
/* key: "float32:[10,10]" */
void ts_pool_foreach_key(const ts_pool *p,
                         void (*cb)(const char *key, size_t count, void *ctx),
                         void *ctx);
void ts_pool_clear(ts_pool *p); /* frees all it holds, resets statistics */
void ts_pool_clear_key(ts_pool *p, const int64_t *shape, int ndim,
                       ts_dtype dtype);
void ts_pool_prune(ts_pool *p, size_t target_size);

/* -------------------------------------------------------------- tensors -- */

/* Tensor calls (libtorch, CPU). Each result is a new tensor owned as SPEC
 * section 2 says; NULL on error with ts_last_status()/ts_last_error() set:
 * TS_ERR_NULL / TS_ERR_STALE_HANDLE for a bad handle, TS_ERR_SHAPE for shapes
 * that do not fit (broadcasting, matmul inner dims, reshape element counts,
 * a dim out of range), TS_ERR_DTYPE for a dtype outside the enum or one the
 * operation cannot take, TS_ERR_ARG for other bad values, TS_ERR_OOM when
 * memory runs out, TS_ERR_TORCH for anything else libtorch refuses (its
 * message, first line). Dims may be negative, counted from the end.
 * ts_reshape and ts_transpose may share storage with their argument, as
 * libtorch's views do; all other results have their own. */

TS_OWNED ts_tensor *ts_empty(const int64_t *shape, int ndim, ts_dtype dtype);
TS_OWNED ts_tensor *ts_zeros(const int64_t *shape, int ndim, ts_dtype dtype);
TS_OWNED ts_tensor *ts_ones(const int64_t *shape, int ndim, ts_dtype dtype);
/* ts_rand / ts_randn: floating dtypes only; seeded by ts_manual_seed. */
TS_OWNED ts_tensor *ts_rand(const int64_t *shape, int ndim, ts_dtype dtype);
TS_OWNED ts_tensor *ts_randn(const int64_t *shape, int ndim, ts_dtype dtype);
TS_OWNED ts_tensor *ts_full(const int64_t *shape, int ndim, ts_dtype dtype,
                            double value);
/* [start, end) in steps of step (nonzero, pointing from start to end). */
TS_OWNED ts_tensor *ts_arange(double start, double end, double step,
                              ts_dtype dtype);
/* Copies numel * element size bytes from data (row-major). */
TS_OWNED ts_tensor *ts_from_buffer(const void *data, const int64_t *shape,
                                   int ndim, ts_dtype dtype);

TS_OWNED ts_tensor *ts_clone(const ts_tensor *a);
TS_OWNED ts_tensor *ts_add(const ts_tensor *a, const ts_tensor *b);
TS_OWNED ts_tensor *ts_sub(const ts_tensor *a, const ts_tensor *b);
TS_OWNED ts_tensor *ts_mul(const ts_tensor *a, const ts_tensor *b);
TS_OWNED ts_tensor *ts_div(const ts_tensor *a, const ts_tensor *b);
TS_OWNED ts_tensor *ts_matmul(const ts_tensor *a, const ts_tensor *b);
TS_OWNED ts_tensor *ts_add_scalar(const ts_tensor *a, double s);
TS_OWNED ts_tensor *ts_mul_scalar(const ts_tensor *a, double s);
TS_OWNED ts_tensor *ts_relu(const ts_tensor *a);
TS_OWNED ts_tensor *ts_sigmoid(const ts_tensor *a);
TS_OWNED ts_tensor *ts_tanh(const ts_tensor *a);
TS_OWNED ts_tensor *ts_exp(const ts_tensor *a);
TS_OWNED ts_tensor *ts_log(const ts_tensor *a);
TS_OWNED ts_tensor *ts_neg(const ts_tensor *a);
/* Reductions over all elements give 0-d tensors (argmax: int64 flat
 * index; ts_mean, ts_softmax and ts_log_softmax need a floating dtype). */
TS_OWNED ts_tensor *ts_sum(const ts_tensor *a);
TS_OWNED ts_tensor *ts_mean(const ts_tensor *a);
TS_OWNED ts_tensor *ts_argmax(const ts_tensor *a);
TS_OWNED ts_tensor *ts_argmax_dim(const ts_tensor *a, int dim);
TS_OWNED ts_tensor *ts_softmax(const ts_tensor *a, int dim);
TS_OWNED ts_tensor *ts_log_softmax(const ts_tensor *a, int dim);
TS_OWNED ts_tensor *ts_reshape(const ts_tensor *a, const int64_t *shape,
                               int ndim);
TS_OWNED ts_tensor *ts_transpose(const ts_tensor *a, int d0, int d1);
/* logits [N,C] (or [C]) and int64 class indices [N] (or 0-d): the mean
 * loss, 0-d. Other target dtypes: TS_ERR_DTYPE. */
TS_OWNED ts_tensor *ts_cross_entropy(const ts_tensor *logits,
                                     const ts_tensor *targets);
/* Mean squared error of two floating tensors of the same shape, 0-d. */
TS_OWNED ts_tensor *ts_mse_loss(const ts_tensor *a, const ts_tensor *b);

/* Non-tensor results: on error the value below is returned and the error
 * is set; on success the error is clear. */
/* The single element as a double; NAN on error (more than one element:
 * TS_ERR_SHAPE). */
double ts_item(const ts_tensor *t);
int ts_ndim(const ts_tensor *t);              /* -1 on error */
int64_t ts_size(const ts_tensor *t, int dim); /* -1 on error */
int64_t ts_numel(const ts_tensor *t);         /* -1 on error */
size_t ts_nbytes(const ts_tensor *t); /* numel * elem size; 0 on error */
ts_dtype ts_tensor_dtype(const ts_tensor *t); /* (ts_dtype)-1 on error */
/* Copies ts_nbytes(t) bytes in row-major order (views are made contiguous).
 * nbytes < ts_nbytes(t): TS_ERR_ARG, nothing copied. */
ts_status ts_copy_to_buffer(const ts_tensor *t, void *dst, size_t nbytes);
/* Frees now, whoever owns it. */
ts_status ts_free(ts_tensor *t) TS_CONSUMES(1);
void ts_manual_seed(uint64_t seed); /* libtorch's CPU generator */
void ts_set_num_threads(int n);     /* libtorch's intra-op threads; n >= 1 */

/* Autograd, libtorch's: gradients accumulate into leaf tensors that
 * require grad until ts_zero_grad. */
/* Floating dtypes only (else TS_ERR_DTYPE). */
ts_status ts_requires_grad(ts_tensor *t, bool on);
/* loss: one element (else TS_ERR_SHAPE) that depends on a tensor requiring
 * grad (else TS_ERR_ARG). */
ts_status ts_backward(ts_tensor *loss);
/* A new tensor, owned like any result, sharing the gradient's storage (it
 * sees later accumulation and ts_zero_grad). NULL with TS_OK when t has no
 * gradient yet (or is not a leaf); NULL with the error set on error. */
TS_OWNED ts_tensor *ts_grad(const ts_tensor *t);
ts_status ts_zero_grad(ts_tensor *t); /* in place; no gradient: TS_OK */
/* param -= lr * grad, outside autograd. param must require grad (else
 * TS_ERR_ARG); with no gradient yet nothing changes (TS_OK), as in
 * torch.optim.SGD. */
ts_status ts_sgd_step(ts_tensor *param, double lr);
/* Drops t's gradient, as PyTorch's `t.grad = None` (torch.optim's
 * zero_grad(set_to_none=True)), where ts_zero_grad fills it with zeros:
 * ts_grad(t) then gives NULL (TS_OK) until a ts_backward makes a new one,
 * which libtorch stores as it comes instead of adding it to zeros (no
 * zero-fill, no add). A tensor an earlier ts_grad returned keeps its
 * storage and values but no longer sees t's gradient. t without a gradient:
 * TS_OK, nothing changes. Not part of SPEC.md: tsmem's own call. */
ts_status ts_clear_grad(ts_tensor *t);
/* What ts_sgd_step_all does with each gradient after the update. */
typedef enum {
  TS_GRAD_KEEP = 0, /* leave it (it accumulates on the next ts_backward) */
  TS_GRAD_ZERO = 1, /* fill it with zeros, as ts_zero_grad */
  TS_GRAD_CLEAR = 2 /* drop it, as ts_clear_grad */
} ts_grad_after;
/* ts_sgd_step on each of params[0..n) as one batched update (libtorch's
 * _foreach_add_: the same values as n ts_sgd_step calls), then each
 * gradient kept, zeroed or cleared as `after` says. All params are checked
 * before anything changes: live handles (else their error), each requiring
 * grad (else TS_ERR_ARG naming its index), lr finite and `after` one of
 * the enum (else TS_ERR_ARG), params not NULL when n > 0 (else TS_ERR_NULL).
 * Params without a gradient stay, as in ts_sgd_step; one listed twice is
 * updated twice. n 0: TS_OK. Not part of SPEC.md: tsmem's own call. */
ts_status ts_sgd_step_all(ts_tensor *const *params, size_t n, double lr,
                          ts_grad_after after);
/* A training step's backward and SGD update in one call: params[i] -= lr *
 * d loss / d params[i] for each i, the gradients computed by libtorch's
 * autograd from loss's graph as ts_backward computes them, but handed to the
 * update instead of stored: the params' gradients (ts_grad) stay as they
 * are, so with none before, the parameters end as after ts_backward(loss) +
 * ts_sgd_step_all(params, n, lr, TS_GRAD_CLEAR), without the gradient
 * accumulation's work. The graph is freed, as by ts_backward. A param the
 * loss does not depend on stays. loss: as ts_backward's (TS_ERR_SHAPE,
 * TS_ERR_ARG); params, n, lr: as ts_sgd_step_all's; all checked before
 * anything runs. Not part of SPEC.md: tsmem's own call. */
ts_status ts_backward_sgd(ts_tensor *loss, ts_tensor *const *params, size_t n,
                          double lr);

/* ----------------------------------------------------------- accounting -- */

typedef struct {
  size_t live_tensors, live_bytes, peak_bytes, pooled_tensors, pooled_bytes;
  uint64_t created, freed;
} ts_memory_stats;

ts_memory_stats ts_memory(void);
/* Lists live tensors (outside pools) by allocation site; returns the count. */
size_t ts_leak_report(FILE *out);

/* The caching CPU allocator tsmem installs into libtorch when it loads:
 * every CPU allocation libtorch makes (tensor storage, autograd's buffers)
 * reuses freed blocks by size class instead of returning them to the system,
 * up to TSMEM_ALLOC_CACHE_MB megabytes cached (default 256).
 * TSMEM_CACHING_ALLOCATOR=0 leaves libtorch's own allocator in place. */
typedef struct {
  bool enabled;        /* installed */
  size_t limit_bytes;  /* the bound on cached_bytes */
  size_t cached_bytes; /* freed blocks kept for reuse */
  size_t cached_blocks;
  size_t in_use_bytes; /* blocks it handed out that are not freed yet */
  uint64_t hits;       /* allocations served from the cache */
  uint64_t misses;     /* allocations served by the system */
} ts_allocator_cache_stats;
ts_allocator_cache_stats ts_allocator_stats(void);
/* Returns every cached block to the system; returns how many bytes. */
size_t ts_allocator_release_cache(void);

/* ------------------------------------------------------------- internal -- */

/* Allocation sites, as the tsmem pass records them. Each call that makes a
 * tensor, say ts_add(a, b), becomes ts__add_at(a, b, site), the same call
 * told where it was written (runtime/sites.c). The site is a constant: the
 * key of its function's ts__sites (a hash of file and function, in the high
 * 42 bits), two stamp bits and its line (the low 20 bits). Stamp bit K asks
 * the twin to give its tensor argument K the same site: the pass sets it
 * when that argument comes straight from an owned call on the same line,
 * which it then leaves without a site argument. Each translation unit
 * registers its ts__sites from a constructor. One immediate argument costs
 * the compiler and the program less than any other way to carry a site.
 * Not for hand-written code. */
#define TS__SITE_LINE_BITS 20
#define TS__SITE_STAMP_BITS 2
#define TS__SITE_KEY_SHIFT (TS__SITE_LINE_BITS + TS__SITE_STAMP_BITS)
typedef struct ts__sites {
  uint64_t key; /* low TS__SITE_KEY_SHIFT bits clear; never 0 */
  const char *file;
  const char *function;
} ts__sites;
void ts__register_sites(const ts__sites *sites, size_t n);
void ts__unregister_sites(const ts__sites *sites);
/* The site of the next tensor this thread makes: what the twins do first. */
void ts__set_site(uint64_t site);

static inline void ts__scope_guard_end(const ts_scope_id *id) {
  (void)ts_scope_end(*id);
}

/* TS_SCOPE on a loop (plugin, ScopePragma.cpp): TS__LOOP_SCOPE(g) runs the
 * loop once with the guard g of its per-iteration scopes. Each test of the
 * condition of a for or while loop (the top of each iteration of a do loop)
 * calls ts__loop_scope_open, which ends the scope before, if open, and
 * begins the next; the increment ends with ts__loop_scope_close. break,
 * return, goto out or the last test leave it open for the cleanup below to
 * end. The once-`for` calls nothing itself: at -O0 each call is code to
 * generate for every TS_SCOPE loop (bench/README.md, seventh session).
 * Not for users: the names and layout may change. */
typedef struct ts__loop_scope {
  ts_scope_id id;
  int open, ran;
} ts__loop_scope;
static inline void ts__loop_scope_close(ts__loop_scope *s) {
  if (s->open) {
    s->open = 0;
    (void)ts_scope_end(s->id);
  }
}
static inline int ts__loop_scope_open(ts__loop_scope *s) {
  ts__loop_scope_close(s);
  s->id = ts_scope_begin();
  s->open = 1;
  return 0;
}
static inline void ts__loop_scope_end(ts__loop_scope *s) {
  ts__loop_scope_close(s);
}
#define TS__LOOP_SCOPE(g)                                                      \
  for (ts__loop_scope g __attribute__((cleanup(ts__loop_scope_end))) = {0, 0, \
                                                                       0};    \
       !g.ran; g.ran = 1)

/* ---------------------------------------------------- scope fast paths -- */

/* Why ts_scope_begin and ts_scope_end are inline: the plugin puts a scope
 * around every loop iteration, so an empty pair must cost well under a
 * malloc/free pair, and two calls through the PLT into libtsmem.so cost
 * about that much alone. So their fast paths (room on the stack, an id left
 * in the thread's block; the innermost frame, owning nothing) are defined
 * here, over a per-thread block the library exports, and all the rest
 * (growth, id blocks, tracing, async frames, errors) is in the exported slow
 * paths. ts_scope_begin and ts_scope_end are C99 inline definitions that
 * call the fast paths directly; libtsmem has their external definitions
 * too: calls at -O0, from C++ or gnu89 C, and &ts_scope_begin get the
 * library's function. `used` makes clang emit the inline bodies in every
 * optimised TU, so that the calls the tsmem pass adds for TS_SCOPED are
 * inlined as well (at -O0 nothing is emitted; the pass runs before inlining
 * and sees plain calls).
 *
 * Private ABI, not for users: the layout below is shared by programs and the
 * library they run with. A change to it takes a new version suffix, so that
 * an old binary fails to load instead of corrupting the scope stack. */

/* A frame of this thread's scope stack. `at` is the library's; the fast
 * paths only compare it with the owned list's count. */
typedef struct ts__frame_v1 {
  ts_scope_id id;
  uintptr_t at;
} ts__frame_v1;

/* The tensors this thread's plain scopes own, one array for the whole stack.
 * The fast paths read only n; the list is whole because the library appends
 * to it as to any other list. */
typedef struct ts__list_v1 {
  uintptr_t *v;
  size_t n, cap;
} ts__list_v1;

/* What the fast paths read and write, in one initial-exec TLS block: a
 * %fs-relative access, no __tls_get_addr call. top[-1] is readable at every
 * depth: at depth 0 it is a sentinel whose id is 0, never a scope id. */
struct ts__hot_v1 {
  ts__frame_v1 *top;       /* one past the innermost frame */
  ts__frame_v1 *limit;     /* top == limit: no room, the slow path grows */
  ts_scope_id next_id;     /* the next id of this thread's block */
  ts_scope_id fast_id_end; /* next_id == fast_id_end: the slow path */
  ts__list_v1 owned;       /* a plain frame's `at` is owned.n at its begin */
};
extern __thread struct ts__hot_v1 ts__hot_v1
    __attribute__((tls_model("initial-exec")));

/* The slow paths; they set the errors ts_scope_begin/ts_scope_end document. */
ts_scope_id ts__scope_begin_slow(void);
ts_status ts__scope_end_slow(ts_scope_id id);

#if TS__INLINE_SCOPES
/* The fast paths, one copy per program or library that uses them: weak, so
 * that every file may define them, and hidden, so that callers reach them
 * with a direct call instead of through the PLT. Out of line, because 1,600
 * inlined copies in one function made -O2 compiles of scope-heavy code
 * three times slower; a direct call costs about a nanosecond. */
ts_scope_id ts__scope_begin_fast(void)
    __attribute__((weak, visibility("hidden")));
ts_status ts__scope_end_fast(ts_scope_id id)
    __attribute__((weak, visibility("hidden")));

/* Success leaves the last error as it was (see runtime/scope.c). */
__attribute__((weak, visibility("hidden"))) ts_scope_id
ts__scope_begin_fast(void) {
  struct ts__hot_v1 *h = &ts__hot_v1;
  if (__builtin_expect(h->top == h->limit, 0))
    return ts__scope_begin_slow();
  if (__builtin_expect(h->next_id == h->fast_id_end, 0))
    return ts__scope_begin_slow();
  ts_scope_id id = h->next_id++;
  *h->top++ = (ts__frame_v1){id, h->owned.n};
  return id;
}

/* The innermost frame, a plain scope that owns nothing, is popped. Async
 * frames and frames begun while tracing have an `at` that never equals a
 * count, which sends them to the slow path. */
__attribute__((weak, visibility("hidden"))) ts_status
ts__scope_end_fast(ts_scope_id id) {
  struct ts__hot_v1 *h = &ts__hot_v1;
  ts__frame_v1 *f = h->top - 1;
  if (__builtin_expect(f->id == id && f->at == h->owned.n, 1)) {
    h->top = f;
    return TS_OK;
  }
  return ts__scope_end_slow(id);
}

__attribute__((used)) inline ts_scope_id ts_scope_begin(void) {
  return ts__scope_begin_fast();
}
__attribute__((used)) inline ts_status ts_scope_end(ts_scope_id id) {
  return ts__scope_end_fast(id);
}
#endif

#if defined(__clang__)
#pragma clang attribute pop
#endif
#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* TSMEM_H */
