/*
 * tsmem/checkpoint.h - checkpoints PyTorch reads and writes.
 *
 * Two formats, both ways:
 *
 *   TS_CHECKPOINT_TORCH        the zip archive torch.save writes (PyTorch >=
 *                              1.6's default): torch.load(path) in Python
 *                              returns a collections.OrderedDict state_dict,
 *                              ready for model.load_state_dict(...); a
 *                              state_dict saved by torch.save(
 *                              model.state_dict(), path) loads into C.
 *   TS_CHECKPOINT_SAFETENSORS  the safetensors format (an 8-byte
 *                              little-endian header length, a JSON header of
 *                              {"name": {"dtype", "shape", "data_offsets"}}
 *                              and optional "__metadata__", raw little-endian
 *                              data), read by safetensors.torch.load_file.
 *
 * The zip container is libtorch's own (caffe2::serialize::PyTorchStreamWriter
 * and PyTorchStreamReader, the code torch.save and torch.load run); the
 * pickle inside it (data.pkl) is written and read by tsmem, because
 * libtorch's C++ unpickler turns the collections.OrderedDict of a state_dict
 * into None and its pickler writes a plain dict. The reader accepts only what
 * a state_dict of tensors contains (the OrderedDict, torch._utils'
 * _rebuild_tensor_v2 and _rebuild_parameter, torch.*Storage): like
 * torch.load(weights_only=True), a checkpoint never runs code. Tensors saved
 * on CUDA load to the CPU (map_location="cpu"); non-contiguous tensors and
 * tensors sharing a storage load as their values.
 *
 * Loading is strict and all-or-nothing: every key the store (or array) has
 * must be in the file with the same dtype and shape, and the file must have
 * no other key. Every check (the file, the format, the keys, dtypes and
 * shapes, every tensor's bytes) is made before the first value is copied, so
 * on any error nothing has changed. The error is one sentence naming the
 * call, the file, the key where there is one, and the fix:
 *
 *   ts_store_load: 'model.pt' has no key 'fc2.bias', which the store has
 *   (file: 7 keys, store: 8); load a checkpoint saved from the same model,
 *   or rename the parameter; the store is unchanged
 *
 * Statuses: TS_ERR_NULL (a NULL argument), TS_ERR_ARG (a file that cannot
 * be opened, written, is truncated, corrupt, of another format, or has
 * missing or extra keys; a bad name or format value), TS_ERR_DTYPE (a key
 * of another dtype, or a dtype tsmem has no equivalent for), TS_ERR_SHAPE (a
 * key of another shape), TS_ERR_OOM, TS_ERR_STALE_HANDLE (a freed tensor in
 * the array). Saving writes a temporary file beside `path` and renames it
 * over `path` at the end, so a failed save leaves the old file as it was.
 *
 * In Python:
 *   sd = torch.load("model.pt")                    # OrderedDict
 *   model.load_state_dict(sd)
 *   torch.save(model.state_dict(), "model.pt")     # for ts_store_load
 *   safetensors-format files: see README.md, "Checkpoints".
 */
#ifndef TSMEM_CHECKPOINT_H
#define TSMEM_CHECKPOINT_H

#include <tsmem.h>
#include <tsmem/nn.h>

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)
#if defined(__clang__)
#pragma clang attribute push(__attribute__((annotate("tsmem.runtime"))),       \
                             apply_to = function)
#endif

typedef enum ts_checkpoint_format {
  TS_CHECKPOINT_TORCH,
  TS_CHECKPOINT_SAFETENSORS
} ts_checkpoint_format;

/* Saves the store's parameters and buffers, in its order, as a state_dict:
 * torch.load(path) gives an OrderedDict whose keys are the store's names
 * (model.load_state_dict(torch.load(path)) for the same model in PyTorch).
 * A save that fails leaves an existing file at path as it was. */
ts_status ts_store_save(const ts_store *s, const char *path,
                        ts_checkpoint_format fmt);

/* Loads a state_dict (torch.save(model.state_dict(), path), or
 * safetensors; the format sniffed from the file) into the store's tensors,
 * in place. Strict and all-or-nothing: every key of the store must be in the
 * file with the same dtype and shape and the file may have no other key;
 * otherwise an error naming the file and the key, and the store is left
 * exactly as it was. Parameters are written outside autograd; their
 * gradients and the optimizers' state are untouched. */
ts_status ts_store_load(ts_store *s, const char *path);

/* Saves n named tensors (any dtype of the enum, any shape, views included:
 * their values are written in row-major order) to path in format fmt, in
 * the order given (the state_dict's order). Names must be distinct,
 * non-empty UTF-8; safetensors reserves "__metadata__". */
ts_status ts_tensors_save(const char *path, const char *const *names,
                          ts_tensor *const *tensors, size_t n,
                          ts_checkpoint_format fmt);

/* Loads path (format sniffed from its first bytes) into n existing tensors,
 * in place, under the strict all-or-nothing rules above: tensors[i] gets
 * the file's key names[i]. Tensors that require grad are written outside
 * autograd (as torch.no_grad()). */
ts_status ts_tensors_load(const char *path, const char *const *names,
                          ts_tensor *const *tensors, size_t n);

/* Which format path is in, from its first bytes; TS_OK and *fmt set, or
 * TS_ERR_ARG with a message saying what the file is instead. */
ts_status ts_checkpoint_format_of(const char *path, ts_checkpoint_format *fmt);

#if defined(__clang__)
#pragma clang attribute pop
#endif
#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* TSMEM_CHECKPOINT_H */
