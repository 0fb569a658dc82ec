/*
 * sites.c - the twins the tsmem pass calls to record allocation sites.
 *
 * For every call that makes a tensor, the pass passes two more arguments:
 * ts_add(a, b) in function f at line 12 becomes ts__add_at(a, b, &f_sites,
 * 12). Each twin sets the pending site and calls the public function, whose
 * ts__wrap takes the site for the new tensor; a call that makes none (an
 * error, or ts_grad without a gradient) must not pass it on to the next.
 *
 * The list must cover pass/OwnedCalls.def; the ctest `runtime/twins` checks
 * that libtsmem exports a twin for every name there.
 */
#include "internal.h"

#define TS__WITH_SITE(...) (__VA_ARGS__, const ts__sites *sites, unsigned line)

/* TWIN(name, (parameters), (arguments)) defines ts__<name>_at. */
#define TWIN(name, params, args)                                               \
  ts_tensor *ts__##name##_at TS__WITH_SITE params;                             \
  ts_tensor *ts__##name##_at TS__WITH_SITE params {                            \
    ts__pending_site = (ts__site){sites, line};                                \
    ts_tensor *made = ts_##name args;                                          \
    ts__pending_site = TS__NO_SITE; /* when no tensor took it */               \
    return made;                                                               \
  }

/* Exported like the public API: user code calls them. */
#pragma GCC visibility push(default)

#define SHAPE_ARGS const int64_t *shape, int ndim, ts_dtype dtype
#define UNARY(name) TWIN(name, (const ts_tensor *a), (a))
#define BINARY(name)                                                           \
  TWIN(name, (const ts_tensor *a, const ts_tensor *b), (a, b))
#define FACTORY(name) TWIN(name, (SHAPE_ARGS), (shape, ndim, dtype))

FACTORY(empty)
FACTORY(zeros)
FACTORY(ones)
FACTORY(rand)
FACTORY(randn)
TWIN(full, (SHAPE_ARGS, double value), (shape, ndim, dtype, value))
TWIN(arange, (double start, double end, double step, ts_dtype dtype),
     (start, end, step, dtype))
TWIN(from_buffer, (const void *data, SHAPE_ARGS), (data, shape, ndim, dtype))
UNARY(clone)
BINARY(add)
BINARY(sub)
BINARY(mul)
BINARY(div)
BINARY(matmul)
TWIN(add_scalar, (const ts_tensor *a, double s), (a, s))
TWIN(mul_scalar, (const ts_tensor *a, double s), (a, s))
UNARY(relu)
UNARY(sigmoid)
UNARY(tanh)
UNARY(exp)
UNARY(log)
UNARY(neg)
UNARY(sum)
UNARY(mean)
UNARY(argmax)
TWIN(argmax_dim, (const ts_tensor *a, int dim), (a, dim))
TWIN(softmax, (const ts_tensor *a, int dim), (a, dim))
TWIN(log_softmax, (const ts_tensor *a, int dim), (a, dim))
TWIN(reshape, (const ts_tensor *a, const int64_t *shape, int ndim),
     (a, shape, ndim))
TWIN(transpose, (const ts_tensor *a, int d0, int d1), (a, d0, d1))
TWIN(cross_entropy, (const ts_tensor *logits, const ts_tensor *targets),
     (logits, targets))
BINARY(mse_loss)
TWIN(grad, (const ts_tensor *t), (t))
TWIN(pool_acquire, (ts_pool * p, SHAPE_ARGS), (p, shape, ndim, dtype))

#pragma GCC visibility pop
