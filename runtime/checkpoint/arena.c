/*
 * arena.c - the checkpoint code's allocation list, errors and small helpers.
 *
 * Every allocation a load or save makes goes on one list that is freed at
 * the end of the call, whatever path it takes: an error anywhere cannot
 * leak.
 */
#include "../torch/checkpoint_zip.h"
#include "ckpt.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct ck_block {
  ck_block *next;
  void *adopted;
  void (*free_fn)(void *);
  max_align_t data[];
};

void *ck_alloc(ck_arena *a, size_t n) {
  if (n > SIZE_MAX - sizeof(ck_block))
    return NULL;
  ck_block *b = malloc(sizeof(ck_block) + n);
  if (!b)
    return NULL;
  b->next = a->head;
  b->adopted = NULL;
  b->free_fn = NULL;
  a->head = b;
  return b->data;
}

bool ck_adopt_with(ck_arena *a, void *p, void (*free_fn)(void *)) {
  if (!p)
    return true;
  ck_block *b = malloc(sizeof(ck_block));
  if (!b) {
    free_fn(p);
    return false;
  }
  b->next = a->head;
  b->adopted = p;
  b->free_fn = free_fn;
  a->head = b;
  return true;
}

bool ck_adopt(ck_arena *a, void *p) { return ck_adopt_with(a, p, free); }

void ck_arena_free(ck_arena *a) {
  ck_block *b = a->head;
  while (b) {
    ck_block *next = b->next;
    if (b->adopted)
      b->free_fn(b->adopted);
    free(b);
    b = next;
  }
  a->head = NULL;
}

ck_entry *ck_file_add(ck_file *f) {
  if (f->n == f->cap) {
    size_t cap = f->cap ? f->cap * 2 : 16;
    if (cap > SIZE_MAX / sizeof(ck_entry)) {
      ck_oom(f);
      return NULL;
    }
    ck_entry *v = ck_alloc(&f->arena, cap * sizeof(ck_entry));
    if (!v) {
      ck_oom(f);
      return NULL;
    }
    if (f->n)
      memcpy(v, f->v, f->n * sizeof(ck_entry));
    f->v = v;
    f->cap = cap;
  }
  ck_entry *e = &f->v[f->n++];
  memset(e, 0, sizeof *e);
  return e;
}

ts_status ck_fail(const ck_file *f, ts_status st, const char *fmt, ...) {
  char msg[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return ts__fail(st, f->call, "'%s' %s", f->path, msg);
}

ts_status ck_oom(const ck_file *f) {
  return ck_fail(f, TS_ERR_OOM,
                 "could not be read: out of memory; free memory and retry");
}

size_t ck_dtype_size(ts_dtype d) {
  static const size_t sizes[] = {4, 8, 4, 8, 2, 1, 1, 1, 2, 2};
  return (unsigned)d < sizeof sizes / sizeof *sizes ? sizes[d] : 0;
}

const char *ck_dtype_name(ts_dtype d) {
  static const char *const names[] = {"float32", "float64", "int32", "int64",
                                      "int16",   "int8",    "uint8", "bool",
                                      "float16", "bfloat16"};
  return (unsigned)d < sizeof names / sizeof *names ? names[d] : "?";
}

bool ck_nbytes(ts_dtype d, const int64_t *shape, int ndim, size_t *out) {
  uint64_t n = ck_dtype_size(d);
  for (int i = 0; i < ndim; i++) {
    if (shape[i] < 0)
      return false;
    if (shape[i] == 0) {
      n = 0;
      continue;
    }
    if (n > SIZE_MAX / (uint64_t)shape[i])
      return false;
    n *= (uint64_t)shape[i];
  }
  *out = (size_t)n;
  return true;
}

const char *ck_shape_str(const int64_t *shape, int ndim, char *buf,
                         size_t size) {
  size_t at = 0;
  int w = snprintf(buf, size, "[");
  at = w > 0 ? (size_t)w : 0;
  for (int i = 0; i < ndim && at < size; i++) {
    w = snprintf(buf + at, size - at, "%s%lld", i ? ", " : "",
                 (long long)shape[i]);
    if (w < 0)
      break;
    at += (size_t)w;
  }
  if (at < size)
    snprintf(buf + at, size - at, "]");
  return buf;
}

bool ck_utf8_valid(const uint8_t *s, size_t n) {
  return ck_utf8_error(s, n) == SIZE_MAX;
}

size_t ck_utf8_error(const uint8_t *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t c = s[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    int len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return i;
    }
    if (n - i < (size_t)len)
      return i;
    for (int k = 1; k < len; k++) {
      if ((s[i + k] & 0xC0) != 0x80)
        return i;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
      return i;
    i += (size_t)len;
  }
  return SIZE_MAX;
}

ts_status ck_read_file(ck_file *f, uint8_t **data, size_t *size) {
  *data = NULL;
  *size = 0;
  FILE *in = fopen(f->path, "rb");
  if (!in)
    return ck_fail(f, TS_ERR_ARG, "cannot be opened: %s; check the path",
                   strerror(errno));
  ts_status st = TS_OK;
  long end = -1;
  if (fseek(in, 0, SEEK_END) != 0 || (end = ftell(in)) < 0 ||
      fseek(in, 0, SEEK_SET) != 0) {
    st = ck_fail(f, TS_ERR_ARG, "cannot be read: %s; check the path",
                 strerror(errno));
  } else if (end > 0) {
    uint8_t *buf = malloc((size_t)end);
    if (!buf || !ck_adopt(&f->arena, buf)) {
      st = ck_oom(f);
    } else if (fread(buf, 1, (size_t)end, in) != (size_t)end) {
      st = ck_fail(f, TS_ERR_ARG,
                   "could not be read to its end (%s); check the file",
                   ferror(in) ? strerror(errno) : "it shrank while read");
    } else {
      *data = buf;
      *size = (size_t)end;
    }
  }
  fclose(in);
  return st;
}

ts_status ck_fetch(const char *call, const ck_entry *e, const void **data,
                   void **owned) {
  *data = NULL;
  *owned = NULL;
  if (e->nbytes == 0)
    return TS_OK;
  *data = tsc_contiguous_data(e->impl);
  if (*data)
    return TS_OK;
  void *p = malloc(e->nbytes);
  if (!p)
    return ts__fail(TS_ERR_OOM, call,
                    "no memory for the %zu bytes of '%s'; free memory and "
                    "retry",
                    e->nbytes, e->name);
  ts_status st = tsc_copy_to_buffer(call, e->impl, p);
  if (st != TS_OK) {
    free(p);
    return st;
  }
  *data = p;
  *owned = p;
  return TS_OK;
}

void ck_buf_put(ck_buf *b, const void *s, size_t n) {
  if (b->oom)
    return;
  if (b->cap - b->n < n + 1) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->n < n + 1)
      cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
      b->oom = true;
      return;
    }
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = '\0';
}
