/*
 * ckpt.h - what the checkpoint files share.
 *
 * checkpoint.c     the public calls: arguments, the strict match, the copy
 * torch.c          torch.save's zip archive and the state_dict pickle in it
 * safetensors.c    safetensors files and the strict JSON parser they need
 * store.c          ts_store_save, ts_store_load: the store as arrays
 * arena.c          one allocation list per call, freed at once (no leaks on
 *                  any error path), and the error helper
 *
 * A reader turns a file into a ck_file: the list of (key, dtype, shape,
 * contiguous row-major bytes) entries it holds, checked for internal
 * consistency (sizes, offsets, bounds); checkpoint.c then matches it against
 * the caller's tensors before copying anything. A writer gets ck_entry's
 * whose bytes it fetches one tensor at a time.
 */
#ifndef TSMEM_RUNTIME_CHECKPOINT_CKPT_H
#define TSMEM_RUNTIME_CHECKPOINT_CKPT_H

#include "../internal.h"
#include "tsmem/checkpoint.h"

#include <stdio.h>

/* Allocations of one call; every block is freed by ck_arena_free. */
typedef struct ck_block ck_block;
typedef struct ck_arena {
  ck_block *head;
} ck_arena;
/* NULL on OOM (no error set). n may be 0. */
void *ck_alloc(ck_arena *a, size_t n);
/* The arena frees p (from malloc) with the rest; on OOM p is freed now and
 * false is returned. */
bool ck_adopt(ck_arena *a, void *p);
/* The same with another function to free p. */
bool ck_adopt_with(ck_arena *a, void *p, void (*free_fn)(void *));
void ck_arena_free(ck_arena *a);

/* One tensor of a file, or to be written. */
typedef struct ck_entry {
  const char *name; /* NUL-terminated UTF-8 */
  ts_dtype dtype;
  int ndim;
  const int64_t *shape;
  const uint8_t *data; /* reading: nbytes contiguous row-major bytes */
  size_t nbytes;
  tsc_tensor *impl; /* writing: the tensor whose bytes to write */
} ck_entry;

/* What a reader fills in. */
typedef struct ck_file {
  const char *call, *path;
  ck_arena arena;
  ck_entry *v;
  size_t n, cap;
} ck_file;

/* Appends an entry (the arena's); NULL after ck_fail on OOM. */
ck_entry *ck_file_add(ck_file *f);

/* ts__fail(st, f->call, "'<path>' <message>"). Returns st. */
ts_status ck_fail(const ck_file *f, ts_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
ts_status ck_oom(const ck_file *f);

/* Element size and the names each format uses for a dtype of the enum. */
size_t ck_dtype_size(ts_dtype d);
const char *ck_dtype_name(ts_dtype d); /* "float32" */
/* numel * element size, or false on overflow. */
bool ck_nbytes(ts_dtype d, const int64_t *shape, int ndim, size_t *out);
/* "[2, 3]" into buf. */
const char *ck_shape_str(const int64_t *shape, int ndim, char *buf,
                         size_t size);
/* Well-formed UTF-8 (no overlongs, surrogates or code points > U+10FFFF). */
bool ck_utf8_valid(const uint8_t *s, size_t n);
/* The offset of the first byte that is not well-formed UTF-8; SIZE_MAX. */
size_t ck_utf8_error(const uint8_t *s, size_t n);

/* Whole-file read: a malloc'd buffer the arena owns. */
ts_status ck_read_file(ck_file *f, uint8_t **data, size_t *size);

/* Readers: TS_OK with f's entries, or an error already reported. */
ts_status ck_torch_read(ck_file *f);
ts_status ck_safetensors_read(ck_file *f);

/* Writers, to out (the temporary file): TS_OK, or an error reported under
 * call naming path. */
ts_status ck_torch_write(const char *call, const char *path, FILE *out,
                         const ck_entry *v, size_t n);
ts_status ck_safetensors_write(const char *call, const char *path, FILE *out,
                               const ck_entry *v, size_t n);

/* The bytes of e->impl, row-major: the tensor's own when contiguous, else
 * a copy in *owned (malloc'd; the caller frees it; NULL otherwise). *data is
 * NULL when nbytes is 0. TS_OK, or an error reported under call. */
ts_status ck_fetch(const char *call, const ck_entry *e, const void **data,
                   void **owned);

/* The public calls' bodies, for any caller: who names the call in messages
 * and what it loads into ("the store", "the tensors"; plural for verbs). */
typedef struct ck_who {
  const char *call;
  const char *what;
  bool plural;
} ck_who;
ts_status ck_save_named(const ck_who *who, const char *path,
                        const char *const *names, ts_tensor *const *tensors,
                        size_t n, ts_checkpoint_format fmt);
ts_status ck_load_named(const ck_who *who, const char *path,
                        const char *const *names, ts_tensor *const *tensors,
                        size_t n);

/* A growing byte buffer for the writers, kept NUL-terminated (the
 * safetensors header is text); oom is set, and stays, when it cannot grow. */
typedef struct ck_buf {
  char *p;
  size_t n, cap;
  bool oom;
} ck_buf;
void ck_buf_put(ck_buf *b, const void *s, size_t n);

/* The n-byte little-endian unsigned integer at p (pickle and zip fields). */
static inline uint64_t ck_le(const uint8_t *p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; i--)
    v = (v << 8) | p[i];
  return v;
}

#endif /* TSMEM_RUNTIME_CHECKPOINT_CKPT_H */
