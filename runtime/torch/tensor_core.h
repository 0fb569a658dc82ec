/*
 * tensor_core.h - the thin C interface to libtorch (runtime/torch/*.cpp).
 *
 * The only place C++ is allowed in the runtime. A tsc_tensor is one owning
 * reference to a libtorch tensor; it knows nothing of handles, scopes or
 * pools. Every function catches every C++ exception: on failure it returns
 * NULL (or a status) after reporting through ts__fail() with `call`, the name
 * of the public function the user called, so the message names it.
 */
#ifndef TSMEM_RUNTIME_TORCH_TENSOR_CORE_H
#define TSMEM_RUNTIME_TORCH_TENSOR_CORE_H

#include "tsmem.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tsc_tensor tsc_tensor;

/* Drops the reference. NULL is ignored. Never throws. */
void tsc_release(tsc_tensor *t);

/* Cheap metadata of a live tensor (no error paths). */
int tsc_ndim(const tsc_tensor *t);
const int64_t *tsc_sizes(const tsc_tensor *t); /* valid while t lives */
ts_dtype tsc_dtype(const tsc_tensor *t);
size_t tsc_nbytes(const tsc_tensor *t); /* numel * element size */
int64_t tsc_numel(const tsc_tensor *t);

/* Factories. */
tsc_tensor *tsc_empty(const char *call, const int64_t *shape, int ndim,
                      ts_dtype dtype);

#ifdef __cplusplus
}
#endif

#endif /* TSMEM_RUNTIME_TORCH_TENSOR_CORE_H */
