/*
 * tensor_checks.h - the checks behind SPEC section 3's statuses, which the
 * generated tensor calls run (tools/gen-ops/hooks.txt names them: pre: runs
 * before libtorch, err: only after libtorch threw). Each takes the public
 * call's name first, sets the error (status, "<call>: <cause>; <fix>") and
 * returns false when it finds the cause, returns true otherwise. Tensors are
 * the live, pinned tensors of the call's handles. Defined in tensor_api.c;
 * tsmem's own ts__check_dtype, ts__check_shape_arg and ts__check_shape
 * (internal.h) serve as hooks too.
 */
#ifndef TSMEM_RUNTIME_TENSOR_CHECKS_H
#define TSMEM_RUNTIME_TENSOR_CHECKS_H

#include "internal.h"
#include "torch/tensor_core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* dtype is floating (ts_rand, ts_randn). */
bool ts__check_float_dtype(const char *call, ts_dtype dtype) TS_INTERNAL;
/* t (named arg in the message) is floating (ts_mean, ts_softmax, ...). */
bool ts__check_float(const char *call, const char *arg,
                     const tsc_tensor *t) TS_INTERNAL;
/* step is finite: libtorch takes an infinite step (ts_arange). */
bool ts__check_finite_step(const char *call, double start, double end,
                           double step) TS_INTERNAL;
/* start, end, step finite, step nonzero and towards end (ts_arange). */
bool ts__check_arange(const char *call, double start, double end,
                      double step) TS_INTERNAL;
/* a and b broadcast (ts_add, ts_sub, ts_mul, ts_div). */
bool ts__check_broadcast(const char *call, const tsc_tensor *a,
                         const tsc_tensor *b) TS_INTERNAL;
/* Both at least 1-d, inner dims equal, one dtype (ts_matmul). */
bool ts__check_matmul(const char *call, const tsc_tensor *a,
                      const tsc_tensor *b) TS_INTERNAL;
/* dim in -ndim..ndim-1 (-1..0 for a 0-d tensor). */
bool ts__check_dim(const char *call, const tsc_tensor *t, int dim) TS_INTERNAL;
/* shape is one t can take: sizes >= 0 or one -1, same element count. */
bool ts__check_reshape(const char *call, const tsc_tensor *t,
                       const int64_t *shape, int ndim) TS_INTERNAL;
/* targets are int64 class indices (ts_cross_entropy): libtorch would take
 * floating targets as class probabilities, which SPEC does not. */
bool ts__check_targets(const char *call, const tsc_tensor *targets) TS_INTERNAL;
/* floating logits [N,C,...] with int64 targets [N,...], or [C] and 0-d. */
bool ts__check_cross_entropy(const char *call, const tsc_tensor *logits,
                             const tsc_tensor *targets) TS_INTERNAL;
/* a and b have the same shape: libtorch broadcasts (ts_mse_loss). */
bool ts__check_same_shape(const char *call, const tsc_tensor *a,
                          const tsc_tensor *b) TS_INTERNAL;

#ifdef __cplusplus
}
#endif

#endif /* TSMEM_RUNTIME_TENSOR_CHECKS_H */
