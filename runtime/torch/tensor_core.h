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
 *   tensor_core.cpp      metadata, factories, buffers, errors
 *   tensor_ops.cpp       arithmetic, reductions, shapes, losses
 *   tensor_autograd.cpp  requires_grad, backward, grad, SGD
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

/* Factories. */
typedef enum tsc_fill {
  TSC_FILL_EMPTY,
  TSC_FILL_ZEROS,
  TSC_FILL_ONES,
  TSC_FILL_RAND,
  TSC_FILL_RANDN
} tsc_fill;
tsc_tensor *tsc_new(const char *call, tsc_fill fill, const int64_t *shape,
                    int ndim, ts_dtype dtype);
tsc_tensor *tsc_empty(const char *call, const int64_t *shape, int ndim,
                      ts_dtype dtype);
tsc_tensor *tsc_full(const char *call, const int64_t *shape, int ndim,
                     ts_dtype dtype, double value);
tsc_tensor *tsc_arange(const char *call, double start, double end, double step,
                       ts_dtype dtype);
/* Copies numel * element size bytes from data. */
tsc_tensor *tsc_from_buffer(const char *call, const void *data,
                            const int64_t *shape, int ndim, ts_dtype dtype);

/* Reading values. */
/* The single element as a double; t has exactly one element. */
double tsc_item(const tsc_tensor *t);
/* Copies tsc_nbytes(t) bytes, in row-major order, to dst. */
ts_status tsc_copy_to_buffer(const char *call, const tsc_tensor *t, void *dst);

/* Operations, one enum per arity; the public names are the X-macro lists. */
#define TSC_UNARY_OPS(X)                                                       \
  X(clone)                                                                     \
  X(relu) X(sigmoid) X(tanh) X(exp) X(log) X(neg) X(sum) X(mean) X(argmax)
#define TSC_BINARY_OPS(X)                                                      \
  X(add) X(sub) X(mul) X(div) X(matmul) X(cross_entropy) X(mse_loss)
#define TSC_SCALAR_OPS(X) X(add_scalar) X(mul_scalar)
#define TSC_DIM_OPS(X) X(argmax_dim) X(softmax) X(log_softmax)

#define TSC__ENUM(name) TSC_OP_##name,
typedef enum tsc_unary_op { TSC_UNARY_OPS(TSC__ENUM) } tsc_unary_op;
typedef enum tsc_binary_op { TSC_BINARY_OPS(TSC__ENUM) } tsc_binary_op;
typedef enum tsc_scalar_op { TSC_SCALAR_OPS(TSC__ENUM) } tsc_scalar_op;
typedef enum tsc_dim_op { TSC_DIM_OPS(TSC__ENUM) } tsc_dim_op;
#undef TSC__ENUM

tsc_tensor *tsc_unary(const char *call, tsc_unary_op op, const tsc_tensor *a);
tsc_tensor *tsc_binary(const char *call, tsc_binary_op op, const tsc_tensor *a,
                       const tsc_tensor *b);
tsc_tensor *tsc_scalar(const char *call, tsc_scalar_op op, const tsc_tensor *a,
                       double s);
/* dim is already normalised to 0..ndim-1 (or 0 for a 0-d tensor). */
tsc_tensor *tsc_dim(const char *call, tsc_dim_op op, const tsc_tensor *a,
                    int dim);
tsc_tensor *tsc_reshape(const char *call, const tsc_tensor *a,
                        const int64_t *shape, int ndim);
tsc_tensor *tsc_transpose(const char *call, const tsc_tensor *a, int d0,
                          int d1);

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

#ifdef __cplusplus
}
#endif

#endif /* TSMEM_RUNTIME_TORCH_TENSOR_CORE_H */
