/*
 * checkpoint_zip.h - libtorch's zip container for torch.save archives, and
 * writing values into existing tensors, behind a C interface.
 *
 * caffe2::serialize::PyTorchStreamWriter and PyTorchStreamReader are the
 * code torch.save and torch.load run for the archive; checkpoint/torch.c
 * writes and reads the pickle inside. No function throws: failures return a
 * status and put libtorch's message (first line) in `why`, for the caller to
 * build its sentence around (the file name, the fix).
 */
#ifndef TSMEM_RUNTIME_TORCH_CHECKPOINT_ZIP_H
#define TSMEM_RUNTIME_TORCH_CHECKPOINT_ZIP_H

#include "tensor_core.h"

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { TSC_WHY_SIZE = 256 };

typedef struct tsc_zip_writer tsc_zip_writer;
typedef struct tsc_zip_reader tsc_zip_reader;

/* A writer appending to f (which stays the caller's). NULL on OOM. */
tsc_zip_writer *tsc_zip_writer_new(FILE *f, char *why);
/* Adds the record <archive>/name. A write error of f is reported by
 * tsc_zip_writer_finish, not here. */
ts_status tsc_zip_writer_add(tsc_zip_writer *w, const char *name,
                             const void *data, size_t size, char *why);
/* Writes the version record and the central directory, then frees w. Any
 * error, including one writing f: not TS_OK, with `why`. */
ts_status tsc_zip_writer_finish(tsc_zip_writer *w, char *why);
/* Frees w without finishing the archive (the file is discarded). */
void tsc_zip_writer_abort(tsc_zip_writer *w);

/* Opens the archive at path: TS_OK and *out, or an error and `why`. */
ts_status tsc_zip_reader_open(const char *path, tsc_zip_reader **out,
                              char *why);
void tsc_zip_reader_close(tsc_zip_reader *r);
bool tsc_zip_reader_has(tsc_zip_reader *r, const char *name);
/* The record <archive>/name in a malloc'd buffer (*data NULL when *size is
 * 0): TS_OK, or an error and `why`. */
ts_status tsc_zip_reader_read(tsc_zip_reader *r, const char *name, void **data,
                              size_t *size, char *why);

/* Copies tsc_nbytes(t) bytes, row-major, into t in place, outside autograd.
 * Errors are reported with ts__fail under `call`. */
ts_status tsc_copy_from_buffer(const char *call, tsc_tensor *t,
                               const void *src);

#ifdef __cplusplus
}
#endif

#endif /* TSMEM_RUNTIME_TORCH_CHECKPOINT_ZIP_H */
