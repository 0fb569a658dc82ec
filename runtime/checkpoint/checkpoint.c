/*
 * checkpoint.c - the public checkpoint calls (<tsmem/checkpoint.h>).
 *
 * Saving: check the arguments, pin every tensor, write a temporary file
 * beside the target in the format asked for (torch.c, safetensors.c),
 * rename it over the target. Loading: pin every tensor, read the whole file
 * into a ck_file (the format sniffed from its first bytes), match it against
 * the tensors (every key, dtype and shape; no extra key; bool bytes 0 or 1),
 * and only then copy. An error anywhere before the copy leaves every tensor
 * as it was; the arena frees whatever the call allocated.
 */
#include "../torch/checkpoint_zip.h"
#include "ckpt.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------ arguments -- */

typedef struct ck_args {
  const char *call;
  const char *path;
  const char *const *names;
  ts_tensor *const *tensors;
  size_t n;
  const char *what; /* "the store", "the tensors" */
  bool plural;      /* "the tensors hold", "the store holds" */
  ck_arena arena;
  ck_entry *v;   /* per tensor: name, dtype, shape, impl (pinned) */
  size_t pinned; /* tensors[0..pinned) are pinned */
  size_t *order; /* indices of v sorted by name */
} ck_args;

static int ck_cmp_names(const ck_entry *v, size_t a, size_t b) {
  return strcmp(v[a].name, v[b].name);
}

/* qsort has no context argument; sorting is rare and per call. */
static _Thread_local const ck_entry *sort_v;
static int ck_sort_cmp(const void *a, const void *b) {
  return ck_cmp_names(sort_v, *(const size_t *)a, *(const size_t *)b);
}

static size_t *ck_sorted(ck_arena *arena, const ck_entry *v, size_t n) {
  size_t *order = ck_alloc(arena, (n ? n : 1) * sizeof *order);
  if (!order)
    return NULL;
  for (size_t i = 0; i < n; i++)
    order[i] = i;
  sort_v = v;
  qsort(order, n, sizeof *order, ck_sort_cmp);
  return order;
}

/* The index in v of name, or SIZE_MAX. */
static size_t ck_find(const ck_entry *v, const size_t *order, size_t n,
                      const char *name) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(v[order[mid]].name, name);
    if (c == 0)
      return order[mid];
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return SIZE_MAX;
}

static void ck_args_end(ck_args *a) {
  for (size_t i = 0; i < a->pinned; i++)
    ts__unpin(a->tensors[i]);
  a->pinned = 0;
  ck_arena_free(&a->arena);
}

/* Checks path, names and tensors and pins every tensor. */
static ts_status ck_args_begin(ck_args *a) {
  if (!a->path)
    return ts__fail(TS_ERR_NULL, a->call,
                    "path is NULL; pass the checkpoint's file name");
  if (a->n && (!a->names || !a->tensors))
    return ts__fail(TS_ERR_NULL, a->call,
                    "%s is NULL with n = %zu; pass arrays of n names and n "
                    "tensors",
                    a->names ? "tensors" : "names", a->n);
  a->v = ck_alloc(&a->arena, (a->n ? a->n : 1) * sizeof *a->v);
  if (!a->v)
    return ts__fail(TS_ERR_OOM, a->call,
                    "out of memory for %zu tensors; free memory and retry",
                    a->n);
  for (size_t i = 0; i < a->n; i++) {
    const char *name = a->names[i];
    if (!name)
      return ts__fail(TS_ERR_NULL, a->call,
                      "names[%zu] is NULL; give every tensor its state_dict "
                      "key",
                      i);
    if (!name[0] || !ck_utf8_valid((const uint8_t *)name, strlen(name)))
      return ts__fail(TS_ERR_ARG, a->call,
                      "names[%zu] is %s; state_dict keys are non-empty UTF-8 "
                      "strings",
                      i, name[0] ? "not UTF-8" : "empty");
    char arg[96];
    snprintf(arg, sizeof arg, "tensors[%zu] (key '%.60s')", i, name);
    tsc_tensor *impl = ts__unwrap(a->tensors[i], a->call, arg);
    if (!impl)
      return ts_last_status();
    a->pinned = i + 1;
    ck_entry *e = &a->v[i];
    e->name = name;
    e->impl = impl;
    e->dtype = tsc_dtype(impl);
    e->ndim = tsc_ndim(impl);
    e->shape = tsc_sizes(impl);
    e->nbytes = tsc_nbytes(impl);
  }
  a->order = ck_sorted(&a->arena, a->v, a->n);
  if (!a->order)
    return ts__fail(TS_ERR_OOM, a->call,
                    "out of memory for %zu tensors; free memory and retry",
                    a->n);
  for (size_t i = 1; i < a->n; i++) {
    if (ck_cmp_names(a->v, a->order[i - 1], a->order[i]) == 0)
      return ts__fail(
          TS_ERR_ARG, a->call,
          "the key '%.200s' is given twice (names[%zu] and "
          "names[%zu]); a state_dict's keys are distinct",
          a->v[a->order[i]].name,
          a->order[i - 1] < a->order[i] ? a->order[i - 1] : a->order[i],
          a->order[i - 1] < a->order[i] ? a->order[i] : a->order[i - 1]);
  }
  return TS_OK;
}

/* --------------------------------------------------------------- format -- */

static ts_status ck_sniff(const char *call, const char *path,
                          ts_checkpoint_format *fmt) {
  FILE *in = fopen(path, "rb");
  if (!in)
    return ts__fail(TS_ERR_ARG, call,
                    "'%s' cannot be opened: %s; check the "
                    "path",
                    path, strerror(errno));
  uint8_t b[16];
  size_t got = fread(b, 1, sizeof b, in);
  long size = -1;
  if (fseek(in, 0, SEEK_END) == 0)
    size = ftell(in);
  fclose(in);
  if (got == 0)
    return ts__fail(TS_ERR_ARG, call,
                    "'%s' is empty, not a checkpoint; save it again", path);
  if (got >= 4 && memcmp(b, "PK\3\4", 4) == 0) {
    *fmt = TS_CHECKPOINT_TORCH;
    return TS_OK;
  }
  if (got >= 3 && b[0] == 0x80 && b[1] == 0x02 && b[2] == 0x8a)
    return ts__fail(TS_ERR_ARG, call,
                    "'%s' is in torch.save's legacy format "
                    "(_use_new_zipfile_serialization=False), which tsmem "
                    "does not read; load it in Python and save it again with "
                    "torch.save's default",
                    path);
  if (got >= 9 && b[8] == '{') {
    *fmt = TS_CHECKPOINT_SAFETENSORS;
    return TS_OK;
  }
  if (got >= 2 && b[0] == 'P' && b[1] == 'K')
    return ts__fail(TS_ERR_ARG, call,
                    "'%s' is a zip archive whose first record is damaged; "
                    "the file is corrupt, save it again",
                    path);
  char hex[3 * 8 + 1] = "";
  for (size_t i = 0; i < got && i < 8; i++)
    snprintf(hex + 3 * i, 4, "%s%02x", i ? " " : "", b[i]);
  return ts__fail(TS_ERR_ARG, call,
                  "'%s' (%ld bytes, starting %s) is neither a torch.save zip "
                  "archive (which starts with \"PK\") nor a safetensors file "
                  "(8-byte length, then '{'); check the path, or the file is "
                  "corrupt",
                  path, size, hex);
}

ts_status ts_checkpoint_format_of(const char *path, ts_checkpoint_format *fmt) {
  const char *call = "ts_checkpoint_format_of";
  if (!path || !fmt)
    return ts__fail(TS_ERR_NULL, call,
                    "%s is NULL; pass a file name and a "
                    "ts_checkpoint_format to fill in",
                    path ? "fmt" : "path");
  ts_status st = ck_sniff(call, path, fmt);
  if (st == TS_OK)
    ts__ok();
  return st;
}

/* ----------------------------------------------------------------- save -- */

static atomic_uint tmp_counter;

static ts_status ck_save(ck_args *a, ts_checkpoint_format fmt) {
  if (fmt != TS_CHECKPOINT_TORCH && fmt != TS_CHECKPOINT_SAFETENSORS)
    return ts__fail(TS_ERR_ARG, a->call,
                    "format %d is not a ts_checkpoint_format; pass "
                    "TS_CHECKPOINT_TORCH or TS_CHECKPOINT_SAFETENSORS",
                    (int)fmt);
  ts_status st = ck_args_begin(a);
  if (st != TS_OK)
    return st;
  if (fmt == TS_CHECKPOINT_SAFETENSORS)
    for (size_t i = 0; i < a->n; i++)
      if (strcmp(a->v[i].name, "__metadata__") == 0)
        return ts__fail(TS_ERR_ARG, a->call,
                        "names[%zu] is \"__metadata__\", which safetensors "
                        "reserves for its metadata; rename the tensor",
                        i);
  size_t plen = strlen(a->path);
  char *tmp = ck_alloc(&a->arena, plen + 40);
  if (!tmp)
    return ts__fail(TS_ERR_OOM, a->call,
                    "out of memory; free memory and "
                    "retry");
  snprintf(tmp, plen + 40, "%s.tmp-%ld-%u", a->path, (long)getpid(),
           atomic_fetch_add(&tmp_counter, 1));
  FILE *out = fopen(tmp, "wb");
  if (!out)
    return ts__fail(TS_ERR_ARG, a->call,
                    "'%s' cannot be written: %s (creating '%s'); check that "
                    "its directory exists and is writable",
                    a->path, strerror(errno), tmp);
  st = fmt == TS_CHECKPOINT_TORCH
           ? ck_torch_write(a->call, a->path, out, a->v, a->n)
           : ck_safetensors_write(a->call, a->path, out, a->v, a->n);
  errno = 0;
  if (fclose(out) != 0 && st == TS_OK)
    st = ts__fail(TS_ERR_ARG, a->call,
                  "'%s' could not be written (%s); check the disk space and "
                  "permissions",
                  a->path, strerror(errno ? errno : EIO));
  if (st == TS_OK && rename(tmp, a->path) != 0)
    st = ts__fail(TS_ERR_ARG, a->call,
                  "'%s' could not be replaced by '%s': %s; check the "
                  "permissions of its directory",
                  a->path, tmp, strerror(errno));
  if (st != TS_OK)
    (void)remove(tmp);
  return st;
}

ts_status ck_save_named(const ck_who *who, const char *path,
                        const char *const *names, ts_tensor *const *tensors,
                        size_t n, ts_checkpoint_format fmt) {
  ck_args a = {.call = who->call,
               .path = path,
               .names = names,
               .tensors = tensors,
               .n = n,
               .what = who->what,
               .plural = who->plural};
  ts_status st = ck_save(&a, fmt);
  ck_args_end(&a);
  if (st == TS_OK)
    ts__ok();
  return st;
}

ts_status ts_tensors_save(const char *path, const char *const *names,
                          ts_tensor *const *tensors, size_t n,
                          ts_checkpoint_format fmt) {
  static const ck_who who = {"ts_tensors_save", "the tensors", true};
  return ck_save_named(&who, path, names, tensors, n, fmt);
}

/* ----------------------------------------------------------------- load -- */

static ts_status ck_match(ck_args *a, ck_file *f) {
  const char *w = a->what;
  const char *holds = a->plural ? "hold" : "holds";
  size_t *order = ck_sorted(&f->arena, f->v, f->n);
  bool *used = ck_alloc(&f->arena, f->n ? f->n : 1);
  if (!order || !used)
    return ck_oom(f);
  memset(used, 0, f->n);
  for (size_t i = 1; i < f->n; i++)
    if (ck_cmp_names(f->v, order[i - 1], order[i]) == 0)
      return ck_fail(f, TS_ERR_ARG,
                     "has the key '%.200s' twice; the file is corrupt, save "
                     "it again",
                     f->v[order[i]].name);
  for (size_t i = 0; i < a->n; i++) {
    const ck_entry *want = &a->v[i];
    size_t j = ck_find(f->v, order, f->n, want->name);
    if (j == SIZE_MAX)
      return ck_fail(f, TS_ERR_ARG,
                     "has no key '%.200s', which %s %s (file: %zu keys, %s: "
                     "%zu); load a checkpoint saved from the same model, or "
                     "rename the key",
                     want->name, w, a->plural ? "have" : "has", f->n, w + 4,
                     a->n);
    const ck_entry *got = &f->v[j];
    used[j] = true;
    if (got->dtype != want->dtype)
      return ck_fail(f, TS_ERR_DTYPE,
                     "has key '%.200s' as %s, but %s %s it as %s; convert "
                     "it in Python (e.g. sd[key] = sd[key].to(torch.%s)) or "
                     "give the tensor the file's dtype",
                     want->name, ck_dtype_name(got->dtype), w, holds,
                     ck_dtype_name(want->dtype), ck_dtype_name(want->dtype));
    bool same = got->ndim == want->ndim;
    for (int d = 0; same && d < want->ndim; d++)
      same = got->shape[d] == want->shape[d];
    if (!same) {
      char gs[128], ws[128];
      return ck_fail(
          f, TS_ERR_SHAPE,
          "has key '%.200s' of shape %s, but %s %s it with "
          "shape %s; load a checkpoint of the same architecture",
          want->name, ck_shape_str(got->shape, got->ndim, gs, sizeof gs), w,
          holds, ck_shape_str(want->shape, want->ndim, ws, sizeof ws));
    }
    if (got->dtype == TS_BOOL)
      for (size_t k = 0; k < got->nbytes; k++)
        if (got->data[k] > 1)
          return ck_fail(f, TS_ERR_ARG,
                         "has key '%.200s' of dtype bool holding the byte "
                         "0x%02x, which is neither 0 nor 1; the file is "
                         "corrupt, save it again",
                         want->name, got->data[k]);
  }
  size_t extra = 0, first = SIZE_MAX;
  for (size_t j = 0; j < f->n; j++) {
    if (!used[j]) {
      extra++;
      if (first == SIZE_MAX)
        first = j;
    }
  }
  if (extra)
    return ck_fail(f, TS_ERR_ARG,
                   "has the key '%.200s', which %s %s not have (%zu extra "
                   "key%s; file: %zu keys, %s: %zu); load it into the model "
                   "it was saved from, or delete the extra keys from the "
                   "state_dict in Python and save again",
                   f->v[first].name, w, a->plural ? "do" : "does", extra,
                   extra == 1 ? "" : "s", f->n, w + 4, a->n);
  return TS_OK;
}

/* Appends "; <what> is unchanged" to the last error. */
static ts_status ck_unchanged(const ck_args *a, ts_status st) {
  char msg[1024];
  const char *m = ts_last_error();
  size_t skip = strlen(a->call) + 2;
  if (strncmp(m, a->call, strlen(a->call)) != 0 || strlen(m) < skip)
    skip = 0;
  snprintf(msg, sizeof msg, "%s", m + skip);
  return ts__fail(st, a->call, "%s; %s %s unchanged", msg, a->what,
                  a->plural ? "are" : "is");
}

static ts_status ck_load(ck_args *a) {
  ts_status st = ck_args_begin(a);
  if (st != TS_OK)
    return st;
  ts_checkpoint_format fmt;
  st = ck_sniff(a->call, a->path, &fmt);
  if (st != TS_OK)
    return ck_unchanged(a, st);
  ck_file f = {.call = a->call, .path = a->path};
  st = fmt == TS_CHECKPOINT_TORCH ? ck_torch_read(&f) : ck_safetensors_read(&f);
  if (st == TS_OK)
    st = ck_match(a, &f);
  if (st != TS_OK) {
    ck_arena_free(&f.arena);
    return ck_unchanged(a, st);
  }
  /* Every check passed: copy. */
  size_t *order = ck_sorted(&f.arena, f.v, f.n);
  if (!order) {
    ck_arena_free(&f.arena);
    return ck_unchanged(a, ck_oom(&f));
  }
  for (size_t i = 0; i < a->n && st == TS_OK; i++) {
    const ck_entry *got = &f.v[ck_find(f.v, order, f.n, a->v[i].name)];
    st = tsc_copy_from_buffer(a->call, a->v[i].impl, got->data);
    if (st != TS_OK && i > 0) {
      char why[512];
      snprintf(why, sizeof why, "%s", ts_last_error());
      st = ts__fail(st, a->call,
                    "copying key '%.200s' from '%s' failed after %zu of %zu "
                    "tensors were loaded (%s); %s is partly changed",
                    a->v[i].name, a->path, i, a->n, why, a->what);
    }
  }
  ck_arena_free(&f.arena);
  return st;
}

ts_status ck_load_named(const ck_who *who, const char *path,
                        const char *const *names, ts_tensor *const *tensors,
                        size_t n) {
  ck_args a = {.call = who->call,
               .path = path,
               .names = names,
               .tensors = tensors,
               .n = n,
               .what = who->what,
               .plural = who->plural};
  ts_status st = ck_load(&a);
  ck_args_end(&a);
  if (st == TS_OK)
    ts__ok();
  return st;
}

ts_status ts_tensors_load(const char *path, const char *const *names,
                          ts_tensor *const *tensors, size_t n) {
  static const ck_who who = {"ts_tensors_load", "the tensors", true};
  return ck_load_named(&who, path, names, tensors, n);
}
