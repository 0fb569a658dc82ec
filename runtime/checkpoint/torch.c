/*
 * torch.c - torch.save's zip archive of a state_dict, both ways.
 *
 * The archive (libtorch's PyTorchStreamWriter/Reader, torch/checkpoint_zip)
 * holds <archive>/data.pkl, a pickle of the state_dict (pickle.h),
 * <archive>/data/<key> for each storage's raw little-endian bytes,
 * <archive>/version and (as PyTorch >= 2.0 writes it) <archive>/byteorder,
 * "little". Each record's CRC-32 is checked against the central directory.
 */
#include "../torch/checkpoint_zip.h"
#include "pickle.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* ------------------------------------------------------------ CRC-32 -- */

/* libtorch's reader (miniz, as torch.load) does not check the CRC-32 the
 * archive stores for each record; tsmem does, from the central directory,
 * so that a flipped bit in a tensor is an error, not a silently wrong
 * value. */

/* zlib's CRC-32 (the runtime links zlib for <tsmem/data.h>), in chunks
 * that fit its uInt length. */
static uint32_t crc32_of(const uint8_t *p, size_t n) {
  uLong c = crc32(0L, Z_NULL, 0);
  while (n) {
    uInt chunk = n > 1u << 30 ? 1u << 30 : (uInt)n;
    c = crc32(c, p, chunk);
    p += chunk;
    n -= chunk;
  }
  return (uint32_t)c;
}

/* The records' names (without the archive's directory) and CRC-32s. */
typedef struct zip_dir {
  const char **names;
  uint32_t *crcs;
  size_t n;
} zip_dir;

static ts_status zip_dir_fail(ck_file *f, const char *what) {
  return ck_fail(f, TS_ERR_ARG,
                 "is not a readable torch.save zip archive (%s); the file is "
                 "truncated or corrupt, save it again",
                 what);
}

static bool zip_pread(FILE *in, uint64_t off, void *buf, size_t n) {
  return off <= (uint64_t)LONG_MAX && fseek(in, (long)off, SEEK_SET) == 0 &&
         fread(buf, 1, n, in) == n;
}

static ts_status zip_dir_read(ck_file *f, zip_dir *z) {
  FILE *in = fopen(f->path, "rb");
  if (!in)
    return ck_fail(f, TS_ERR_ARG, "cannot be opened: %s; check the path",
                   strerror(errno));
  ts_status st = TS_OK;
  uint8_t tail[22 + 65535];
  long size = fseek(in, 0, SEEK_END) == 0 ? ftell(in) : -1;
  size_t nt = size < 0                     ? 0
              : (size_t)size < sizeof tail ? (size_t)size
                                           : sizeof tail;
  uint8_t *cd = NULL;
  if (nt < 22 || !zip_pread(in, (uint64_t)size - nt, tail, nt)) {
    st = zip_dir_fail(f, "no end of central directory");
    goto out;
  }
  size_t e = nt - 22 + 1;
  while (e-- > 0)
    if (ck_le(tail + e, 4) == 0x06054b50u)
      break;
  if (e == (size_t)-1) {
    st = zip_dir_fail(f, "no end of central directory");
    goto out;
  }
  uint64_t entries = ck_le(tail + e + 10, 2), cd_size = ck_le(tail + e + 12, 4),
           cd_off = ck_le(tail + e + 16, 4);
  if (entries == 0xFFFF || cd_size == 0xFFFFFFFFu || cd_off == 0xFFFFFFFFu) {
    uint8_t loc[20], z64[56];
    uint64_t eocd = (uint64_t)size - nt + e;
    if (eocd < 20 || !zip_pread(in, eocd - 20, loc, 20) ||
        ck_le(loc, 4) != 0x07064b50u ||
        !zip_pread(in, ck_le(loc + 8, 8), z64, 56) ||
        ck_le(z64, 4) != 0x06064b50u) {
      st = zip_dir_fail(f, "a damaged zip64 end of central directory");
      goto out;
    }
    entries = ck_le(z64 + 32, 8);
    cd_size = ck_le(z64 + 40, 8);
    cd_off = ck_le(z64 + 48, 8);
  }
  if (cd_size > (uint64_t)size || entries > cd_size / 46 + 1 ||
      !(cd = malloc(cd_size ? (size_t)cd_size : 1)) ||
      !ck_adopt(&f->arena, cd) || !zip_pread(in, cd_off, cd, (size_t)cd_size)) {
    st = cd ? zip_dir_fail(f, "a damaged central directory") : ck_oom(f);
    goto out;
  }
  z->names = ck_alloc(&f->arena, (entries ? entries : 1) * sizeof *z->names);
  z->crcs = ck_alloc(&f->arena, (entries ? entries : 1) * sizeof *z->crcs);
  if (!z->names || !z->crcs) {
    st = ck_oom(f);
    goto out;
  }
  size_t at = 0;
  for (uint64_t i = 0; i < entries; i++) {
    if (cd_size - at < 46 || ck_le(cd + at, 4) != 0x02014b50u) {
      st = zip_dir_fail(f, "a damaged central directory entry");
      goto out;
    }
    size_t nlen = ck_le(cd + at + 28, 2), xlen = ck_le(cd + at + 30, 2),
           clen = ck_le(cd + at + 32, 2);
    if (cd_size - at - 46 < nlen + xlen + clen) {
      st = zip_dir_fail(f, "a damaged central directory entry");
      goto out;
    }
    const uint8_t *name = cd + at + 46;
    const uint8_t *slash = memchr(name, '/', nlen);
    size_t skip = slash ? (size_t)(slash - name) + 1 : 0;
    char *s = ck_alloc(&f->arena, nlen - skip + 1);
    if (!s) {
      st = ck_oom(f);
      goto out;
    }
    memcpy(s, name + skip, nlen - skip);
    s[nlen - skip] = '\0';
    z->names[z->n] = s;
    z->crcs[z->n++] = (uint32_t)ck_le(cd + at + 16, 4);
    at += 46 + nlen + xlen + clen;
  }
out:
  fclose(in);
  return st;
}

/* The record's bytes against the CRC-32 the directory has for it. */
static ts_status zip_check_crc(ck_file *f, const zip_dir *z, const char *rec,
                               const char *key, const void *data, size_t size) {
  for (size_t i = 0; i < z->n; i++) {
    if (strcmp(z->names[i], rec) != 0)
      continue;
    if (crc32_of(data, size) == z->crcs[i])
      return TS_OK;
    return ck_fail(f, TS_ERR_ARG,
                   "has a record '%s'%s%.200s%s whose bytes fail their "
                   "CRC-32 check; the file is corrupt, save it again",
                   rec, key ? " (key '" : "", key ? key : "", key ? "')" : "");
  }
  return ck_fail(f, TS_ERR_ARG,
                 "has no central directory entry for record '%s'; the file "
                 "is corrupt, save it again",
                 rec);
}

/* ---------------------------------------------------------------- reader -- */

/* One storage record, read once per key. */
typedef struct pk_record {
  const char *key;
  ts_dtype dtype;
  const uint8_t *data;
  size_t size;
} pk_record;

static ts_status zip_fail(ck_file *f, ts_status st, const char *why) {
  if (st == TS_ERR_OOM)
    return ck_oom(f);
  return ck_fail(f, TS_ERR_ARG,
                 "is not a readable torch.save zip archive (libtorch: %s); "
                 "the file is truncated or corrupt, save it again",
                 why);
}

static ts_status pk_storage_data(ck_file *f, tsc_zip_reader *z,
                                 const zip_dir *dir, pk_record **recs,
                                 size_t *nrecs, size_t *cap, const char *name,
                                 const pk_val *s, const pk_record **out) {
  for (size_t i = 0; i < *nrecs; i++) {
    if (strcmp((*recs)[i].key, s->s) == 0) {
      if ((*recs)[i].dtype != s->dtype)
        return ck_fail(f, TS_ERR_ARG,
                       "has storage '%.100s' as both %s and %s (key "
                       "'%.200s'); the file is corrupt",
                       s->s, ck_dtype_name((*recs)[i].dtype),
                       ck_dtype_name(s->dtype), name);
      *out = &(*recs)[i];
      return TS_OK;
    }
  }
  if (*nrecs == *cap) {
    size_t c = *cap ? *cap * 2 : 16;
    pk_record *r = ck_alloc(&f->arena, c * sizeof *r);
    if (!r)
      return ck_oom(f);
    if (*nrecs)
      memcpy(r, *recs, *nrecs * sizeof *r);
    *recs = r;
    *cap = c;
  }
  char rec[160];
  if ((size_t)snprintf(rec, sizeof rec, "data/%s", s->s) >= sizeof rec)
    return ck_fail(f, TS_ERR_ARG,
                   "has a storage key longer than 150 bytes "
                   "(key '%.200s'); the file is corrupt",
                   name);
  if (!tsc_zip_reader_has(z, rec))
    return ck_fail(f, TS_ERR_ARG,
                   "has no record '%s' for the data of key '%.200s'; the "
                   "file is truncated or corrupt, save it again",
                   rec, name);
  tsc_zip_blob *blob;
  const void *data;
  size_t size;
  char why[TSC_WHY_SIZE];
  ts_status st = tsc_zip_reader_read_blob(z, rec, &blob, &data, &size, why);
  if (st != TS_OK)
    return zip_fail(f, st, why);
  if (!ck_adopt_with(&f->arena, blob, tsc_zip_blob_free))
    return ck_oom(f);
  st = zip_check_crc(f, dir, rec, name, data, size);
  if (st != TS_OK)
    return st;
  size_t want = ck_dtype_size(s->dtype);
  if ((uint64_t)s->numel > SIZE_MAX / want || size != (size_t)s->numel * want)
    return ck_fail(f, TS_ERR_ARG,
                   "has %zu bytes in record '%s' for key '%.200s', whose %s "
                   "storage of %lld elements takes %llu; the file is "
                   "corrupt, save it again",
                   size, rec, name, ck_dtype_name(s->dtype),
                   (long long)s->numel,
                   (unsigned long long)s->numel * (unsigned long long)want);
  pk_record *r = &(*recs)[(*nrecs)++];
  r->key = s->s;
  r->dtype = s->dtype;
  r->data = data;
  r->size = size;
  *out = r;
  return TS_OK;
}

/* Gathers a strided view into contiguous bytes. */
static void pk_gather(uint8_t *dst, const uint8_t *src, size_t es, int ndim,
                      const int64_t *size, const int64_t *stride) {
  if (ndim == 0) {
    memcpy(dst, src, es);
    return;
  }
  size_t inner = es;
  for (int d = 1; d < ndim; d++)
    inner *= (size_t)size[d];
  for (int64_t i = 0; i < size[0]; i++)
    pk_gather(dst + (size_t)i * inner, src + (size_t)(i * stride[0]) * es, es,
              ndim - 1, size + 1, stride + 1);
}

static ts_status pk_tensor_entry(ck_file *f, tsc_zip_reader *z,
                                 const zip_dir *dir, pk_record **recs,
                                 size_t *nrecs, size_t *cap, const char *name,
                                 const pk_val *t) {
  ck_entry *e = ck_file_add(f);
  if (!e)
    return TS_ERR_OOM;
  e->name = name;
  e->dtype = t->dtype;
  e->ndim = t->ndim;
  e->shape = t->size;
  if (!ck_nbytes(t->dtype, t->size, t->ndim, &e->nbytes))
    return ck_fail(f, TS_ERR_ARG,
                   "has key '%.200s' with a size too large "
                   "for memory; the file is corrupt",
                   name);
  const pk_record *r;
  ts_status st =
      pk_storage_data(f, z, dir, recs, nrecs, cap, name, t->storage, &r);
  if (st != TS_OK)
    return st;
  size_t es = ck_dtype_size(t->dtype);
  if (e->nbytes == 0)
    return TS_OK;
  /* The last element the view reaches must lie inside the storage. */
  uint64_t last = (uint64_t)t->offset;
  bool contiguous = true;
  int64_t expect = 1;
  for (int d = t->ndim - 1; d >= 0; d--) {
    uint64_t span = (uint64_t)(t->size[d] - 1) * (uint64_t)t->stride[d];
    if (t->stride[d] != 0 &&
        span / (uint64_t)t->stride[d] != (uint64_t)(t->size[d] - 1))
      last = UINT64_MAX;
    else if (last != UINT64_MAX)
      last = span > UINT64_MAX - last ? UINT64_MAX : last + span;
    if (t->size[d] != 1 && t->stride[d] != expect)
      contiguous = false;
    expect *= t->size[d];
  }
  if (last >= (uint64_t)t->storage->numel)
    return ck_fail(f, TS_ERR_ARG,
                   "has key '%.200s' whose offset and strides reach past its "
                   "storage of %lld elements; the file is corrupt",
                   name, (long long)t->storage->numel);
  const uint8_t *base = r->data + (size_t)t->offset * es;
  if (contiguous) {
    e->data = base;
    return TS_OK;
  }
  uint8_t *dst = ck_alloc(&f->arena, e->nbytes);
  if (!dst)
    return ck_oom(f);
  pk_gather(dst, base, es, t->ndim, t->size, t->stride);
  e->data = dst;
  return TS_OK;
}

ts_status ck_torch_read(ck_file *f) {
  tsc_zip_reader *z;
  char why[TSC_WHY_SIZE];
  ts_status st = tsc_zip_reader_open(f->path, &z, why);
  if (st != TS_OK)
    return zip_fail(f, st, why);
  void *pkl = NULL;
  size_t pkl_size = 0;
  if (tsc_zip_reader_has(z, "constants.pkl") ||
      !tsc_zip_reader_has(z, "data.pkl")) {
    st = ck_fail(f, TS_ERR_ARG,
                 "is %s, not a torch.save file of a state_dict; save the "
                 "model with torch.save(model.state_dict(), path)",
                 tsc_zip_reader_has(z, "constants.pkl")
                     ? "a TorchScript module (torch.jit.save)"
                     : "a zip archive without data.pkl");
    goto out;
  }
  st = tsc_zip_reader_read(z, "data.pkl", &pkl, &pkl_size, why);
  if (st != TS_OK) {
    st = zip_fail(f, st, why);
    goto out;
  }
  if (!ck_adopt(&f->arena, pkl)) {
    st = ck_oom(f);
    goto out;
  }
  zip_dir dir = {0};
  st = zip_dir_read(f, &dir);
  if (st == TS_OK)
    st = zip_check_crc(f, &dir, "data.pkl", NULL, pkl, pkl_size);
  if (st != TS_OK)
    goto out;
  if (tsc_zip_reader_has(z, "byteorder")) {
    void *bo;
    size_t bo_size;
    st = tsc_zip_reader_read(z, "byteorder", &bo, &bo_size, why);
    if (st != TS_OK) {
      st = zip_fail(f, st, why);
      goto out;
    }
    bool little = bo_size == 6 && memcmp(bo, "little", 6) == 0;
    free(bo);
    if (!little) {
      st = ck_fail(f, TS_ERR_ARG,
                   "was saved on a big-endian machine (its byteorder record "
                   "is not \"little\"), which tsmem does not convert; load "
                   "and save it again with torch.save on a little-endian "
                   "machine");
      goto out;
    }
  }
  pk_machine m = {.f = f, .p = pkl, .n = pkl_size};
  pk_val *root = pk_run(&m);
  if (!root) {
    st = m.st;
    goto out;
  }
  if (root->kind != PK_DICT) {
    st = ck_fail(f, TS_ERR_ARG,
                 "holds a pickled %s, not a state_dict (a dict of tensors); "
                 "save model.state_dict() with torch.save",
                 pk_kind_names[root->kind]);
    goto out;
  }
  pk_record *recs = NULL;
  size_t nrecs = 0, cap = 0;
  for (size_t i = 0; i < root->n && st == TS_OK; i++) {
    const char *name = root->keys[i]->s;
    const pk_val *v = root->items[i];
    if (v->kind != PK_TENSOR)
      st = ck_fail(f, TS_ERR_ARG,
                   "holds a %s under key '%.200s', not a tensor; save "
                   "model.state_dict() (tensors only) with torch.save",
                   pk_kind_names[v->kind], name);
    else
      st = pk_tensor_entry(f, z, &dir, &recs, &nrecs, &cap, name, v);
  }
out:
  tsc_zip_reader_close(z);
  return st;
}

ts_status ck_torch_write(const char *call, const char *path, FILE *out,
                         const ck_entry *v, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (v[i].ndim > 64)
      return ts__fail(TS_ERR_SHAPE, call,
                      "'%s' cannot hold '%s': more than 64 dimensions", path,
                      v[i].name);
  ck_buf pb = {0};
  char why[TSC_WHY_SIZE] = "";
  ts_status st = pk_write(&pb, v, n);
  if (st != TS_OK) {
    free(pb.p);
    return ts__fail(TS_ERR_OOM, call,
                    "no memory for the pickle of '%s'; free memory and retry",
                    path);
  }
  tsc_zip_writer *w = tsc_zip_writer_new(out, why);
  if (!w) {
    free(pb.p);
    return ts__fail(TS_ERR_OOM, call,
                    "no memory to write '%s' (libtorch: %s); free memory "
                    "and retry",
                    path, why);
  }
  st = tsc_zip_writer_add(w, "data.pkl", pb.p, pb.n, why);
  free(pb.p);
  /* What torch.save writes since PyTorch 2.0; older readers ignore it. */
  if (st == TS_OK)
    st = tsc_zip_writer_add(w, "byteorder", "little", 6, why);
  for (size_t i = 0; i < n && st == TS_OK; i++) {
    const void *bytes;
    void *owned;
    st = ck_fetch(call, &v[i], &bytes, &owned);
    if (st != TS_OK) {
      tsc_zip_writer_abort(w);
      return st;
    }
    char rec[40];
    snprintf(rec, sizeof rec, "data/%zu", i);
    st = tsc_zip_writer_add(w, rec, bytes, v[i].nbytes, why);
    free(owned);
  }
  if (st != TS_OK) {
    tsc_zip_writer_abort(w);
  } else {
    errno = 0;
    st = tsc_zip_writer_finish(w, why);
  }
  if (st != TS_OK)
    return ts__fail(st == TS_ERR_OOM ? TS_ERR_OOM : TS_ERR_ARG, call,
                    "'%s' could not be written (%s); check the disk space "
                    "and permissions",
                    path, why);
  return TS_OK;
}
