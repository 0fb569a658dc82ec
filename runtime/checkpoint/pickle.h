/*
 * pickle.h - the pickle subset of torch.save's data.pkl: a strict reader
 * (pickle_read.c) and a writer (pickle_write.c) for torch.c. Internal to
 * runtime/checkpoint/.
 *
 * data.pkl, as torch.save(model.state_dict()) writes it (protocol 2):
 *
 *   collections.OrderedDict() with, per key,
 *     torch._utils._rebuild_tensor_v2(
 *         persistent_id(("storage", torch.FloatStorage, "<key>", "cpu",
 *                        <storage numel>)),
 *         <storage offset>, <size tuple>, <stride tuple>,
 *         <requires_grad>, collections.OrderedDict() [, <metadata>])
 *   and BUILD with the OrderedDict's __dict__ ({"_metadata": ...}).
 *
 * The reader runs the pickle opcodes that state_dicts use (protocols 2 to
 * 5) on a small stack machine whose only callables are the ones above (and
 * torch._utils._rebuild_parameter): any other global, opcode or shape of
 * data is refused with the reason, so loading never runs code. The writer
 * writes the same, without the _metadata (torch.load then gives an
 * OrderedDict like OrderedDict(model.state_dict())).
 */
#ifndef TSMEM_CHECKPOINT_PICKLE_H
#define TSMEM_CHECKPOINT_PICKLE_H

#include "ckpt.h"

#include <stdbool.h>
#include <stdint.h>

/* torch's storage classes, in ts_dtype's order ("FloatStorage", ...). */
extern const char *const pk_storages[];
enum { PK_NDTYPES = 10 };

/* ------------------------------------------------------ torch's classes -- */

typedef enum pk_global {
  G_ORDERED_DICT,
  G_REBUILD_TENSOR_V2,
  G_REBUILD_PARAMETER,
  G_STORAGE /* + dtype */
} pk_global;

/* ---------------------------------------------------------------- values -- */

typedef enum pk_kind {
  PK_NONE,
  PK_BOOL,
  PK_INT,
  PK_FLOAT,
  PK_STR,
  PK_TUPLE,
  PK_LIST,
  PK_DICT,
  PK_GLOBAL,
  PK_STORAGE,
  PK_TENSOR
} pk_kind;

/* A pk_kind as Python calls it, for messages. */
extern const char *const pk_kind_names[];

typedef struct pk_val pk_val;
struct pk_val {
  pk_kind kind;
  int64_t i;      /* PK_BOOL, PK_INT; PK_GLOBAL: pk_global (+ dtype) */
  const char *s;  /* PK_STR (NUL-terminated, no NUL inside); PK_STORAGE key */
  pk_val **items; /* PK_TUPLE, PK_LIST; PK_DICT: values */
  pk_val **keys;  /* PK_DICT */
  size_t n, cap;
  /* PK_STORAGE: dtype and element count; PK_TENSOR: its storage (in
   * `storage`), offset, ndim, sizes, strides. */
  ts_dtype dtype;
  int64_t numel;
  pk_val *storage;
  int64_t offset;
  int ndim;
  int64_t *size, *stride;
};

typedef struct pk_machine {
  ck_file *f;
  const uint8_t *p;
  size_t n, at, op_at;
  pk_val **stack;
  size_t depth, stack_cap;
  size_t *marks;
  size_t nmarks, marks_cap;
  pk_val **memo;
  size_t memo_n, memo_cap;
  ts_status st;
} pk_machine;

/* Runs the pickle m->p[0..n) to its STOP and returns the one value left,
 * allocated in m->f's arena; NULL with m->st and m->f's error set. */
pk_val *pk_run(pk_machine *m);

/* Appends the pickle of an OrderedDict of the n entries' tensors, each
 * with its storage "<index>"; TS_ERR_OOM when the buffer could not grow. */
ts_status pk_write(ck_buf *b, const ck_entry *v, size_t n);

#endif
