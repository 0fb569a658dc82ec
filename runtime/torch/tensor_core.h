/*
 * tensor_core.h - the thin C interface to libtorch (the .cpp files beside it).
 *
 * The only place C++ is allowed in the runtime. A tsc_tensor is one owning
 * reference to a libtorch tensor; it knows nothing of handles, scopes or
 * pools. Every function catches every C++ exception: on failure it returns
 * NULL (or a status) after reporting through ts__fail() with `call`, the name
 * of the public function the user called, so the message names it.
 *
 * Arguments are assumed valid as far as C can check them (tensor_api.c does):
 * live tensors, a dtype inside the enum, a non-NULL shape when ndim > 0.
 * What only libtorch knows (allocation, kernels for a dtype) is reported here.
 *
 *   tensor_core.cpp      metadata, ts_from_buffer, buffers, errors
 *   tensor_autograd.cpp  requires_grad, backward, grad, SGD
 * The operators (ts_add, ts_zeros, ...) are generated from ATen's schemas
 * (tools/gen-ops/hooks.txt) and call ATen directly.
 */
#ifndef TSMEM_RUNTIME_TORCH_TENSOR_CORE_H
#define TSMEM_RUNTIME_TORCH_TENSOR_CORE_H

#include "tsmem.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tsc_tensor tsc_tensor;

/* Installs the caching CPU allocator (caching_allocator.cpp) unless
 * TSMEM_CACHING_ALLOCATOR=0; once, when the runtime loads. True if it is. */
bool tsc_allocator_install(void);

/* False when TSMEM_BELOW_AUTOGRAD=0: calls whose tensor arguments carry no
 * autograd state then still go through libtorch's autograd kernels (which
 * do nothing for them). Read once, when the runtime loads. */
extern bool tsc_below_autograd __attribute__((visibility("hidden")));

/* Drops the reference. NULL is ignored. Never throws. */
void tsc_release(tsc_tensor *t);

/* Cheap metadata of a live tensor (no error paths). */
int tsc_ndim(const tsc_tensor *t);
const int64_t *tsc_sizes(const tsc_tensor *t); /* valid while t lives */
ts_dtype tsc_dtype(const tsc_tensor *t);
size_t tsc_nbytes(const tsc_tensor *t); /* numel * element size */
int64_t tsc_numel(const tsc_tensor *t);
bool tsc_requires_grad(const tsc_tensor *t);
/* Bytes per element of a dtype of the enum. */
size_t tsc_dtype_size(ts_dtype dtype);
/* "float32", ...; "?" outside the enum. */
const char *tsc_dtype_name(ts_dtype dtype);

/* ts_from_buffer's tensor (the other factories are generated): copies
 * numel * element size bytes from data. */
tsc_tensor *tsc_from_buffer(const char *call, const void *data,
                            const int64_t *shape, int ndim, ts_dtype dtype);

/* Reading values. */
/* The single element as a double; t has exactly one element. */
double tsc_item(const tsc_tensor *t);
/* Copies tsc_nbytes(t) bytes, in row-major order, to dst. */
ts_status tsc_copy_to_buffer(const char *call, const tsc_tensor *t, void *dst);

/* Global settings. */
void tsc_manual_seed(uint64_t seed);
void tsc_set_num_threads(int n);

/* Autograd. */
ts_status tsc_set_requires_grad(const char *call, tsc_tensor *t, bool on);
/* loss holds one element and requires grad. */
ts_status tsc_backward(const char *call, tsc_tensor *loss);
/* A new reference sharing the gradient's storage; NULL with *status TS_OK
 * when t has no gradient, NULL with the error set otherwise. */
tsc_tensor *tsc_grad(const char *call, const tsc_tensor *t, ts_status *status);
ts_status tsc_zero_grad(const char *call, tsc_tensor *t);
ts_status tsc_sgd_step(const char *call, tsc_tensor *param, double lr);
/* Drops t's gradient (torch's `t.grad = None`); none: TS_OK. */
ts_status tsc_clear_grad(const char *call, tsc_tensor *t);
/* tsc_sgd_step on params[0..n) as one batched update (_foreach_add_),
 * then each gradient kept, zeroed or dropped. The params require grad (the
 * C side checks); a param listed twice is updated twice. */
ts_status tsc_sgd_step_all(const char *call, tsc_tensor *const *params,
                           size_t n, double lr, ts_grad_after after);
/* params[i] -= lr * d loss / d params[i], the gradients computed as
 * tsc_backward computes them but not stored; loss holds one element and
 * requires grad, the params require grad (the C side checks). */
ts_status tsc_backward_sgd(const char *call, tsc_tensor *loss,
                           tsc_tensor *const *params, size_t n, double lr);

#ifdef __cplusplus
}
#endif

#endif /* TSMEM_RUNTIME_TORCH_TENSOR_CORE_H */
