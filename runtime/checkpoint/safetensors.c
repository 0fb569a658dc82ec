/*
 * safetensors.c - safetensors files, both ways, and the strict JSON parser
 * their header needs.
 *
 * The format (huggingface/safetensors, docs "Format"): an unsigned 64-bit
 * little-endian header length N, N bytes of UTF-8 JSON, then the data. The
 * JSON is one object: "__metadata__" (optional) maps strings to strings;
 * every other key is a tensor {"dtype": "F32", "shape": [2, 3],
 * "data_offsets": [begin, end]}, offsets relative to the data, end - begin
 * equal to the tensor's byte size. The tensors tile the data exactly: sorted
 * by offset each begins where the one before ends, and the last ends at the
 * end of the file. Values are little-endian, row-major.
 *
 * The reader rejects anything else with a message saying what and where:
 * malformed JSON (RFC 8259, no extensions; trailing whitespace is the only
 * padding), duplicate keys, unknown fields, wrong types, offsets that
 * overlap, leave holes or run past the end.
 */
#include "ckpt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "checkpoint files are little-endian; this host is not"
#endif

/* Same order as ts_dtype. */
static const char *const st_dtypes[] = {"F32", "F64", "I32",  "I64", "I16",
                                        "I8",  "U8",  "BOOL", "F16", "BF16"};

static const char *st_dtype_name(ts_dtype d) { return st_dtypes[d]; }

/* The safetensors dtype names tsmem has an equivalent for. */
static bool st_dtype_parse(const char *s, ts_dtype *out) {
  static const struct {
    const char *name;
    ts_dtype dtype;
  } table[] = {{"F32", TS_FLOAT32},  {"F64", TS_FLOAT64}, {"I32", TS_INT32},
               {"I64", TS_INT64},    {"I16", TS_INT16},   {"I8", TS_INT8},
               {"U8", TS_UINT8},     {"BOOL", TS_BOOL},   {"F16", TS_FLOAT16},
               {"BF16", TS_BFLOAT16}};
  for (size_t i = 0; i < sizeof table / sizeof *table; i++) {
    if (strcmp(s, table[i].name) == 0) {
      *out = table[i].dtype;
      return true;
    }
  }
  return false;
}

/* Valid safetensors dtypes without a tsmem equivalent. */
static bool st_dtype_known(const char *s) {
  static const char *const other[] = {"U16",     "U32", "U64", "F8_E4M3",
                                      "F8_E5M2", "C64", "C128"};
  for (size_t i = 0; i < sizeof other / sizeof *other; i++)
    if (strcmp(s, other[i]) == 0)
      return true;
  return false;
}

/* ------------------------------------------------------------------ JSON -- */

typedef enum jkind { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } jkind;

typedef struct jval jval;
struct jval {
  jkind kind;
  size_t pos; /* offset of the value in the header, for messages */
  /* J_NUM: is_uint when a non-negative integer (no fraction or exponent)
   * that fits 64 bits, in u. */
  bool is_uint;
  uint64_t u;
  /* J_STR: NUL-terminated (strings with \u0000 are rejected). */
  char *s;
  /* J_ARR / J_OBJ: n items; keys for objects. */
  jval **items;
  char **keys;
  size_t n;
};

enum { J_MAX_DEPTH = 32 };

typedef struct jparser {
  ck_file *f;
  const uint8_t *p;
  size_t n, at;
  ts_status st;
} jparser;

static jval *j_fail(jparser *jp, const char *what) {
  if (jp->st == TS_OK)
    jp->st = ck_fail(jp->f, TS_ERR_ARG,
                     "has a corrupt safetensors header: %s at byte %zu of "
                     "its JSON; the file is damaged or not safetensors, save "
                     "it again",
                     what, jp->at);
  return NULL;
}

static jval *j_oom(jparser *jp) {
  if (jp->st == TS_OK)
    jp->st = ck_oom(jp->f);
  return NULL;
}

static void j_ws(jparser *jp) {
  while (jp->at < jp->n && (jp->p[jp->at] == ' ' || jp->p[jp->at] == '\t' ||
                            jp->p[jp->at] == '\n' || jp->p[jp->at] == '\r'))
    jp->at++;
}

static jval *j_new(jparser *jp, jkind kind) {
  jval *v = ck_alloc(&jp->f->arena, sizeof *v);
  if (!v)
    return j_oom(jp);
  memset(v, 0, sizeof *v);
  v->kind = kind;
  v->pos = jp->at;
  return v;
}

static int j_hex4(const uint8_t *p) {
  int v = 0;
  for (int i = 0; i < 4; i++) {
    int c = p[i], d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      d = c - 'A' + 10;
    else
      return -1;
    v = v * 16 + d;
  }
  return v;
}

/* A string at jp->at (the opening quote), decoded into the arena. */
static char *j_string(jparser *jp) {
  jp->at++; /* the quote */
  size_t start = jp->at;
  /* Decoded UTF-8 is never longer than the escaped source. */
  size_t end = start;
  while (end < jp->n && jp->p[end] != '"') {
    if (jp->p[end] == '\\')
      end++;
    end++;
  }
  if (end >= jp->n) {
    j_fail(jp, "an unterminated string");
    return NULL;
  }
  char *out = ck_alloc(&jp->f->arena, end - start + 1);
  if (!out) {
    j_oom(jp);
    return NULL;
  }
  size_t o = 0;
  while (jp->p[jp->at] != '"') {
    uint8_t c = jp->p[jp->at];
    if (c < 0x20) {
      j_fail(jp, "a control character inside a string");
      return NULL;
    }
    if (c != '\\') {
      out[o++] = (char)c;
      jp->at++;
      continue;
    }
    uint8_t e = jp->p[jp->at + 1];
    uint32_t cp;
    switch (e) {
    case '"':
      cp = '"';
      break;
    case '\\':
      cp = '\\';
      break;
    case '/':
      cp = '/';
      break;
    case 'b':
      cp = '\b';
      break;
    case 'f':
      cp = '\f';
      break;
    case 'n':
      cp = '\n';
      break;
    case 'r':
      cp = '\r';
      break;
    case 't':
      cp = '\t';
      break;
    case 'u': {
      int h = jp->at + 6 <= end ? j_hex4(jp->p + jp->at + 2) : -1;
      if (h < 0) {
        j_fail(jp, "a bad \\u escape");
        return NULL;
      }
      cp = (uint32_t)h;
      if (cp >= 0xDC00 && cp <= 0xDFFF) {
        j_fail(jp, "a lone low surrogate escape");
        return NULL;
      }
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        int lo = jp->at + 12 <= end && jp->p[jp->at + 6] == '\\' &&
                         jp->p[jp->at + 7] == 'u'
                     ? j_hex4(jp->p + jp->at + 8)
                     : -1;
        if (lo < 0xDC00 || lo > 0xDFFF) {
          j_fail(jp, "a high surrogate escape without its low half");
          return NULL;
        }
        cp = 0x10000 + ((cp - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
        jp->at += 6;
      }
      if (cp == 0) {
        j_fail(jp, "a \\u0000 escape, which no key or value may hold");
        return NULL;
      }
      jp->at += 4;
      break;
    }
    default:
      j_fail(jp, "an invalid escape sequence");
      return NULL;
    }
    jp->at += 2;
    if (cp < 0x80) {
      out[o++] = (char)cp;
    } else if (cp < 0x800) {
      out[o++] = (char)(0xC0 | (cp >> 6));
      out[o++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out[o++] = (char)(0xE0 | (cp >> 12));
      out[o++] = (char)(0x80 | ((cp >> 6) & 0x3F));
      out[o++] = (char)(0x80 | (cp & 0x3F));
    } else {
      out[o++] = (char)(0xF0 | (cp >> 18));
      out[o++] = (char)(0x80 | ((cp >> 12) & 0x3F));
      out[o++] = (char)(0x80 | ((cp >> 6) & 0x3F));
      out[o++] = (char)(0x80 | (cp & 0x3F));
    }
  }
  jp->at++; /* the closing quote */
  out[o] = '\0';
  if (memchr(out, 0, o)) {
    j_fail(jp, "a NUL byte inside a string");
    return NULL;
  }
  return out;
}

static jval *j_number(jparser *jp) {
  jval *v = j_new(jp, J_NUM);
  if (!v)
    return NULL;
  const uint8_t *p = jp->p;
  size_t i = jp->at, n = jp->n;
  bool neg = false, integral = true, overflow = false;
  uint64_t u = 0;
  if (p[i] == '-') {
    neg = true;
    i++;
  }
  if (i >= n || p[i] < '0' || p[i] > '9')
    return j_fail(jp, "a malformed number");
  if (p[i] == '0') {
    i++;
  } else {
    while (i < n && p[i] >= '0' && p[i] <= '9') {
      uint64_t d = (uint64_t)(p[i] - '0');
      if (u > (UINT64_MAX - d) / 10)
        overflow = true;
      u = u * 10 + d;
      i++;
    }
  }
  if (i < n && p[i] == '.') {
    integral = false;
    i++;
    if (i >= n || p[i] < '0' || p[i] > '9')
      return j_fail(jp, "a malformed number (no digit after '.')");
    while (i < n && p[i] >= '0' && p[i] <= '9')
      i++;
  }
  if (i < n && (p[i] == 'e' || p[i] == 'E')) {
    integral = false;
    i++;
    if (i < n && (p[i] == '+' || p[i] == '-'))
      i++;
    if (i >= n || p[i] < '0' || p[i] > '9')
      return j_fail(jp, "a malformed number (no exponent digits)");
    while (i < n && p[i] >= '0' && p[i] <= '9')
      i++;
  }
  v->is_uint = !neg && integral && !overflow;
  v->u = u;
  jp->at = i;
  return v;
}

static jval *j_value(jparser *jp, int depth);

/* Appends x to a growing array of the arena. */
static bool j_push(jparser *jp, void ***arr, size_t *n, size_t *cap, void *x) {
  if (*n == *cap) {
    size_t c = *cap ? *cap * 2 : 8;
    void **a = ck_alloc(&jp->f->arena, c * sizeof *a);
    if (!a) {
      j_oom(jp);
      return false;
    }
    if (*n)
      memcpy(a, *arr, *n * sizeof *a);
    *arr = a;
    *cap = c;
  }
  (*arr)[(*n)++] = x;
  return true;
}

static jval *j_array(jparser *jp, int depth) {
  jval *v = j_new(jp, J_ARR);
  if (!v)
    return NULL;
  jp->at++;
  j_ws(jp);
  size_t cap = 0;
  if (jp->at < jp->n && jp->p[jp->at] == ']') {
    jp->at++;
    return v;
  }
  for (;;) {
    jval *x = j_value(jp, depth + 1);
    if (!x || !j_push(jp, (void ***)&v->items, &v->n, &cap, x))
      return NULL;
    j_ws(jp);
    if (jp->at < jp->n && jp->p[jp->at] == ',') {
      jp->at++;
      continue;
    }
    if (jp->at < jp->n && jp->p[jp->at] == ']') {
      jp->at++;
      return v;
    }
    return j_fail(jp, "a missing ',' or ']' in an array");
  }
}

static jval *j_object(jparser *jp, int depth) {
  jval *v = j_new(jp, J_OBJ);
  if (!v)
    return NULL;
  jp->at++;
  j_ws(jp);
  size_t cap = 0, kcap = 0, kn = 0;
  if (jp->at < jp->n && jp->p[jp->at] == '}') {
    jp->at++;
    return v;
  }
  for (;;) {
    j_ws(jp);
    if (jp->at >= jp->n || jp->p[jp->at] != '"')
      return j_fail(jp, "an object key that is not a string");
    size_t key_at = jp->at;
    char *key = j_string(jp);
    if (!key)
      return NULL;
    for (size_t i = 0; i < kn; i++) {
      if (strcmp(v->keys[i], key) == 0) {
        jp->at = key_at;
        char what[160];
        snprintf(what, sizeof what, "the duplicate key '%.100s'", key);
        return j_fail(jp, what);
      }
    }
    if (!j_push(jp, (void ***)&v->keys, &kn, &kcap, key))
      return NULL;
    j_ws(jp);
    if (jp->at >= jp->n || jp->p[jp->at] != ':')
      return j_fail(jp, "a missing ':' after an object key");
    jp->at++;
    jval *x = j_value(jp, depth + 1);
    if (!x || !j_push(jp, (void ***)&v->items, &v->n, &cap, x))
      return NULL;
    j_ws(jp);
    if (jp->at < jp->n && jp->p[jp->at] == ',') {
      jp->at++;
      continue;
    }
    if (jp->at < jp->n && jp->p[jp->at] == '}') {
      jp->at++;
      return v;
    }
    return j_fail(jp, "a missing ',' or '}' in an object");
  }
}

static jval *j_literal(jparser *jp, const char *word, jkind kind, bool b) {
  size_t len = strlen(word);
  if (jp->n - jp->at < len || memcmp(jp->p + jp->at, word, len) != 0)
    return j_fail(jp, "an invalid literal");
  jval *v = j_new(jp, kind);
  if (v) {
    v->u = b;
    jp->at += len;
  }
  return v;
}

static jval *j_value(jparser *jp, int depth) {
  if (depth > J_MAX_DEPTH)
    return j_fail(jp, "nesting deeper than 32 levels");
  j_ws(jp);
  if (jp->at >= jp->n)
    return j_fail(jp, "an unexpected end");
  switch (jp->p[jp->at]) {
  case '{':
    return j_object(jp, depth);
  case '[':
    return j_array(jp, depth);
  case '"': {
    jval *v = j_new(jp, J_STR);
    if (v && !(v->s = j_string(jp)))
      return NULL;
    return v;
  }
  case 't':
    return j_literal(jp, "true", J_BOOL, true);
  case 'f':
    return j_literal(jp, "false", J_BOOL, false);
  case 'n':
    return j_literal(jp, "null", J_NULL, false);
  default:
    return j_number(jp);
  }
}

/* The header's JSON, whole: one object, then only whitespace. */
static jval *j_parse(ck_file *f, const uint8_t *p, size_t n, ts_status *st) {
  jparser jp = {f, p, n, 0, TS_OK};
  jval *v = NULL;
  size_t bad = ck_utf8_error(p, n);
  if (bad != SIZE_MAX) {
    jp.at = bad;
    j_fail(&jp, "bytes that are not UTF-8");
  } else if (n == 0 || p[0] != '{') {
    j_fail(&jp, "no '{' at the start");
  } else if ((v = j_value(&jp, 0)) != NULL) {
    j_ws(&jp);
    if (jp.at != n) {
      v = NULL;
      j_fail(&jp, "text after the header's object");
    }
  }
  *st = jp.st;
  return v;
}

static const jval *j_get(const jval *obj, const char *key) {
  for (size_t i = 0; i < obj->n; i++)
    if (strcmp(obj->keys[i], key) == 0)
      return obj->items[i];
  return NULL;
}

/* ---------------------------------------------------------------- reader -- */

enum { ST_MAX_HEADER = 100000000 }; /* the reference implementation's */

static ts_status st_corrupt(ck_file *f, const char *key, const char *what) {
  return ck_fail(f, TS_ERR_ARG,
                 "has a corrupt safetensors header: key '%.200s' %s; the "
                 "file is damaged, save it again",
                 key, what);
}

/* One tensor's description, checked; the entry gets all but its data. */
static ts_status st_entry(ck_file *f, const char *key, const jval *info,
                          ck_entry *e, uint64_t *begin, uint64_t *end) {
  if (info->kind != J_OBJ)
    return st_corrupt(f, key, "is not an object");
  for (size_t i = 0; i < info->n; i++) {
    const char *k = info->keys[i];
    if (strcmp(k, "dtype") && strcmp(k, "shape") && strcmp(k, "data_offsets")) {
      char what[160];
      snprintf(what, sizeof what, "has the unknown field '%.80s'", k);
      return st_corrupt(f, key, what);
    }
  }
  const jval *dtype = j_get(info, "dtype"), *shape = j_get(info, "shape"),
             *offs = j_get(info, "data_offsets");
  if (!dtype || dtype->kind != J_STR)
    return st_corrupt(f, key, "has no \"dtype\" string");
  if (!shape || shape->kind != J_ARR)
    return st_corrupt(f, key, "has no \"shape\" array");
  if (!offs || offs->kind != J_ARR || offs->n != 2 ||
      !offs->items[0]->is_uint || !offs->items[1]->is_uint)
    return st_corrupt(f, key,
                      "has no \"data_offsets\" pair of non-negative integers");
  if (!st_dtype_parse(dtype->s, &e->dtype)) {
    if (st_dtype_known(dtype->s))
      return ck_fail(f, TS_ERR_DTYPE,
                     "holds key '%.200s' of safetensors dtype %s, which "
                     "tsmem has no dtype for; convert it in Python (e.g. "
                     "to float32) and save again",
                     key, dtype->s);
    char what[160];
    snprintf(what, sizeof what, "has the unknown dtype \"%.40s\"", dtype->s);
    return st_corrupt(f, key, what);
  }
  if (shape->n > 64)
    return st_corrupt(f, key, "has more than 64 dimensions");
  int64_t *dims = ck_alloc(&f->arena, (shape->n ? shape->n : 1) * sizeof *dims);
  if (!dims)
    return ck_oom(f);
  for (size_t i = 0; i < shape->n; i++) {
    const jval *d = shape->items[i];
    if (!d->is_uint || d->u > (uint64_t)INT64_MAX)
      return st_corrupt(f, key,
                        "has a shape entry that is not a "
                        "non-negative integer");
    dims[i] = (int64_t)d->u;
  }
  e->name = key;
  e->ndim = (int)shape->n;
  e->shape = dims;
  if (!ck_nbytes(e->dtype, dims, e->ndim, &e->nbytes))
    return st_corrupt(f, key, "has a shape too large for memory");
  *begin = offs->items[0]->u;
  *end = offs->items[1]->u;
  if (*end < *begin)
    return st_corrupt(f, key, "has data_offsets that end before they begin");
  if (*end - *begin != e->nbytes) {
    char what[200], sb[96];
    snprintf(what, sizeof what,
             "has data_offsets [%llu, %llu] of %llu bytes, but dtype %s and "
             "shape %s take %zu",
             (unsigned long long)*begin, (unsigned long long)*end,
             (unsigned long long)(*end - *begin), dtype->s,
             ck_shape_str(dims, e->ndim, sb, sizeof sb), e->nbytes);
    return st_corrupt(f, key, what);
  }
  return TS_OK;
}

typedef struct st_span {
  uint64_t begin, end;
  size_t entry;
} st_span;

static int st_span_cmp(const void *a, const void *b) {
  const st_span *x = a, *y = b;
  if (x->begin != y->begin)
    return x->begin < y->begin ? -1 : 1;
  return x->end < y->end ? -1 : x->end > y->end;
}

ts_status ck_safetensors_read(ck_file *f) {
  uint8_t *buf;
  size_t size;
  ts_status st = ck_read_file(f, &buf, &size);
  if (st != TS_OK)
    return st;
  if (size < 8)
    return ck_fail(f, TS_ERR_ARG,
                   "is truncated: %zu bytes, fewer than a safetensors "
                   "file's 8-byte header length; save it again",
                   size);
  uint64_t hlen = 0;
  for (int i = 7; i >= 0; i--)
    hlen = (hlen << 8) | buf[i];
  if (hlen > size - 8)
    return ck_fail(f, TS_ERR_ARG,
                   "is truncated or not safetensors: its header length %llu "
                   "is more than the %zu bytes after it; save it again",
                   (unsigned long long)hlen, size - 8);
  if (hlen > ST_MAX_HEADER)
    return ck_fail(f, TS_ERR_ARG,
                   "has a safetensors header of %llu bytes, more than the "
                   "format's limit of 100,000,000; the file is corrupt",
                   (unsigned long long)hlen);
  jval *root = j_parse(f, buf + 8, (size_t)hlen, &st);
  if (!root)
    return st;
  const uint8_t *data = buf + 8 + hlen;
  size_t data_size = size - 8 - (size_t)hlen;
  st_span *spans = ck_alloc(&f->arena, (root->n ? root->n : 1) * sizeof *spans);
  if (!spans)
    return ck_oom(f);
  size_t nspans = 0;
  for (size_t i = 0; i < root->n; i++) {
    const char *key = root->keys[i];
    const jval *val = root->items[i];
    if (strcmp(key, "__metadata__") == 0) {
      if (val->kind != J_OBJ)
        return st_corrupt(f, key, "is not an object of strings");
      for (size_t k = 0; k < val->n; k++)
        if (val->items[k]->kind != J_STR)
          return st_corrupt(f, key, "holds a value that is not a string");
      continue;
    }
    ck_entry *e = ck_file_add(f);
    if (!e)
      return TS_ERR_OOM;
    uint64_t begin, end;
    st = st_entry(f, key, val, e, &begin, &end);
    if (st != TS_OK)
      return st;
    spans[nspans++] = (st_span){begin, end, f->n - 1};
  }
  qsort(spans, nspans, sizeof *spans, st_span_cmp);
  uint64_t at = 0;
  for (size_t i = 0; i < nspans; i++) {
    const char *key = f->v[spans[i].entry].name;
    if (spans[i].begin != at) {
      char what[200];
      snprintf(what, sizeof what,
               "has data_offsets beginning at byte %llu, where the tensors "
               "before it end at byte %llu (%s)",
               (unsigned long long)spans[i].begin, (unsigned long long)at,
               spans[i].begin < at ? "an overlap" : "a hole");
      return st_corrupt(f, key, what);
    }
    if (spans[i].end > data_size)
      return ck_fail(f, TS_ERR_ARG,
                     "is truncated: key '%.200s' needs data up to byte %llu "
                     "but the file has %zu bytes of data; save it again",
                     key, (unsigned long long)spans[i].end, data_size);
    f->v[spans[i].entry].data = data + spans[i].begin;
    at = spans[i].end;
  }
  if (at != data_size)
    return ck_fail(f, TS_ERR_ARG,
                   "has %zu bytes of data after its header, but its tensors "
                   "take %llu; the file is corrupt or has trailing bytes, "
                   "save it again",
                   data_size, (unsigned long long)at);
  return TS_OK;
}

/* ---------------------------------------------------------------- writer -- */

static void sb_str(ck_buf *b, const char *s) { ck_buf_put(b, s, strlen(s)); }

/* A JSON string literal (s is valid UTF-8). */
static void sb_json_string(ck_buf *b, const char *s) {
  ck_buf_put(b, "\"", 1);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') {
      char esc[2] = {'\\', (char)c};
      ck_buf_put(b, esc, 2);
    } else if (c < 0x20) {
      char esc[8];
      snprintf(esc, sizeof esc, "\\u%04x", c);
      sb_str(b, esc);
    } else {
      ck_buf_put(b, s, 1);
    }
  }
  ck_buf_put(b, "\"", 1);
}

static ts_status write_fail(const char *call, const char *path) {
  return ts__fail(TS_ERR_ARG, call,
                  "'%s' could not be written (%s); check the disk space and "
                  "permissions",
                  path, strerror(errno ? errno : EIO));
}

ts_status ck_safetensors_write(const char *call, const char *path, FILE *out,
                               const ck_entry *v, size_t n) {
  ck_buf h = {0};
  sb_str(&h, "{\"__metadata__\":{\"format\":\"pt\"}");
  uint64_t at = 0;
  for (size_t i = 0; i < n; i++) {
    char num[64];
    ck_buf_put(&h, ",", 1);
    sb_json_string(&h, v[i].name);
    sb_str(&h, ":{\"dtype\":\"");
    sb_str(&h, st_dtype_name(v[i].dtype));
    sb_str(&h, "\",\"shape\":[");
    for (int d = 0; d < v[i].ndim; d++) {
      snprintf(num, sizeof num, "%s%lld", d ? "," : "",
               (long long)v[i].shape[d]);
      sb_str(&h, num);
    }
    snprintf(num, sizeof num, "],\"data_offsets\":[%llu,%llu]}",
             (unsigned long long)at, (unsigned long long)(at + v[i].nbytes));
    sb_str(&h, num);
    at += v[i].nbytes;
  }
  ck_buf_put(&h, "}", 1);
  while (!h.oom && h.n % 8 != 0) /* the data starts 8-byte aligned */
    ck_buf_put(&h, " ", 1);
  if (h.oom) {
    free(h.p);
    return ts__fail(TS_ERR_OOM, call,
                    "no memory for the header of '%s'; free memory and retry",
                    path);
  }
  uint8_t len[8];
  for (int i = 0; i < 8; i++)
    len[i] = (uint8_t)((uint64_t)h.n >> (8 * i));
  bool ok = fwrite(len, 1, 8, out) == 8 && fwrite(h.p, 1, h.n, out) == h.n;
  free(h.p);
  if (!ok)
    return write_fail(call, path);
  for (size_t i = 0; i < n; i++) {
    const void *bytes;
    void *owned;
    ts_status st = ck_fetch(call, &v[i], &bytes, &owned);
    if (st != TS_OK)
      return st;
    ok = v[i].nbytes == 0 || fwrite(bytes, 1, v[i].nbytes, out) == v[i].nbytes;
    free(owned);
    if (!ok)
      return write_fail(call, path);
  }
  return TS_OK;
}
