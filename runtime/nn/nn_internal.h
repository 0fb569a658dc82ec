/*
 * nn_internal.h - what the training files (runtime/nn/) share.
 *
 * store.c   the parameter store, the registry of live stores and
 *           optimizers, gradient mode
 * init.c    PyTorch's default initialisers
 * layers.c  linear, conv2d, pooling, normalisation, dropout, embedding, LSTM
 * optim.c   SGD, Adam, AdamW, RMSprop and the learning-rate schedules
 */
#ifndef TSMEM_RUNTIME_NN_INTERNAL_H
#define TSMEM_RUNTIME_NN_INTERNAL_H

#include "internal.h"
#include "tsmem/nn.h"

/* torch/nn_support.cpp: c10::GradMode of this thread. */
bool tsc_grad_enabled(void) TS_INTERNAL;
void tsc_set_grad_enabled(bool on) TS_INTERNAL;

/* The live stores and optimizers: a pointer is checked here before it is
 * dereferenced, so a freed or foreign one is an error, not a crash. Kinds
 * keep a store pointer from passing for an optimizer. */
typedef enum ts__obj_kind { TS__OBJ_STORE = 1, TS__OBJ_OPTIM } ts__obj_kind;
bool ts__obj_add(const void *p, ts__obj_kind kind) TS_INTERNAL;
void ts__obj_remove(const void *p) TS_INTERNAL;
bool ts__obj_live(const void *p, ts__obj_kind kind) TS_INTERNAL;

/* Checks s: NULL gives TS_ERR_NULL, a pointer that is not a live store
 * TS_ERR_STALE_HANDLE, with messages naming call and arg. */
bool ts__store_check(const ts_store *s, const char *call,
                     const char *arg) TS_INTERNAL;

/* For layer init: the number of entries now, to roll back to. */
size_t ts__store_mark(const ts_store *s) TS_INTERNAL;
/* Frees the entries added since mark (a layer init that failed half way);
 * leaves the error as it is. */
void ts__store_rollback(ts_store *s, size_t mark) TS_INTERNAL;
/* "prefix.suffix" (or "suffix" for an empty prefix) into buf; false if it
 * does not fit (the error set, naming call). */
bool ts__store_key(char *buf, size_t size, const char *prefix,
                   const char *suffix, const char *call) TS_INTERNAL;

/* Optimizers the store frees with itself (optim.c). */
typedef struct ts_optim ts_optim;
bool ts__store_attach_optim(ts_store *s, ts_optim *o) TS_INTERNAL;
void ts__store_detach_optim(ts_store *s, ts_optim *o) TS_INTERNAL;
void ts__optim_destroy(ts_optim *o) TS_INTERNAL; /* optim.c: frees all */

/* True if the live handle t is still a tensor (not freed behind the
 * store's back); never sets an error. */
bool ts__tensor_live(const ts_tensor *t) TS_INTERNAL;

/* Re-reports the current error under `call` ("call: <previous message>"),
 * keeping its status; returns it. */
ts_status ts__refail(const char *call) TS_INTERNAL;

/* Shape of a live tensor checked through its handle: ndim (-1 on a bad
 * handle, with the error set naming call and arg) and sizes copied to
 * sizes[0..min(ndim, cap)). */
int ts__shape_of(const ts_tensor *t, const char *call, const char *arg,
                 int64_t *sizes, int cap) TS_INTERNAL;

#endif /* TSMEM_RUNTIME_NN_INTERNAL_H */
