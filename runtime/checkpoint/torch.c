/*
 * torch.c - torch.save's zip archive of a state_dict, both ways.
 *
 * The archive (libtorch's PyTorchStreamWriter/Reader, torch/checkpoint_zip)
 * holds <archive>/data.pkl, a pickle of the state_dict, <archive>/data/<key>
 * for each storage's raw little-endian bytes, <archive>/version and (as
 * PyTorch >= 2.0 writes it) <archive>/byteorder, "little".
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
#include "../torch/checkpoint_zip.h"
#include "ckpt.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------ torch's classes -- */

/* Same order as ts_dtype. */
static const char *const pk_storages[] = {
    "FloatStorage", "DoubleStorage",  "IntStorage",  "LongStorage",
    "ShortStorage", "CharStorage",    "ByteStorage", "BoolStorage",
    "HalfStorage",  "BFloat16Storage"};
enum { PK_NDTYPES = sizeof pk_storages / sizeof *pk_storages };

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

static const char *const pk_kind_names[] = {
    "None",    "bool",  "int",
    "float",   "str",   "tuple",
    "list",    "dict",  "class or function",
    "storage", "tensor"};

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

static ts_status pk_fail(pk_machine *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static ts_status pk_fail(pk_machine *m, const char *fmt, ...) {
  if (m->st != TS_OK)
    return m->st;
  char what[300];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  m->st = ck_fail(m->f, TS_ERR_ARG,
                  "has a data.pkl that is not a state_dict of tensors: %s "
                  "(byte %zu); save model.state_dict() with torch.save, or "
                  "the file is corrupt",
                  what, m->op_at);
  return m->st;
}

static ts_status pk_oom(pk_machine *m) {
  if (m->st == TS_OK)
    m->st = ck_oom(m->f);
  return m->st;
}

/* Grows an arena array of `size`-byte elements to hold n + 1. */
static bool pk_grow(pk_machine *m, void **arr, size_t n, size_t *cap,
                    size_t size) {
  if (n < *cap)
    return true;
  size_t c = *cap ? *cap * 2 : 16;
  if (c > SIZE_MAX / size / 2) {
    pk_oom(m);
    return false;
  }
  void *a = ck_alloc(&m->f->arena, c * size);
  if (!a) {
    pk_oom(m);
    return false;
  }
  if (n)
    memcpy(a, *arr, n * size);
  *arr = a;
  *cap = c;
  return true;
}

static pk_val *pk_new(pk_machine *m, pk_kind kind) {
  pk_val *v = ck_alloc(&m->f->arena, sizeof *v);
  if (!v) {
    pk_oom(m);
    return NULL;
  }
  memset(v, 0, sizeof *v);
  v->kind = kind;
  return v;
}

static bool pk_push(pk_machine *m, pk_val *v) {
  if (!v)
    return false;
  if (!pk_grow(m, (void **)&m->stack, m->depth, &m->stack_cap, sizeof v))
    return false;
  m->stack[m->depth++] = v;
  return true;
}

/* The base of the stack above the innermost mark. */
static size_t pk_base(pk_machine *m) {
  return m->nmarks ? m->marks[m->nmarks - 1] : 0;
}

static pk_val *pk_pop(pk_machine *m) {
  if (m->depth <= pk_base(m)) {
    pk_fail(m, "an opcode takes more values than the stack holds");
    return NULL;
  }
  return m->stack[--m->depth];
}

static pk_val *pk_top(pk_machine *m) {
  if (m->depth <= pk_base(m)) {
    pk_fail(m, "an opcode needs a value and the stack is empty");
    return NULL;
  }
  return m->stack[m->depth - 1];
}

/* Pops the innermost mark: the values above it are stack[*from..depth). */
static bool pk_pop_mark(pk_machine *m, size_t *from) {
  if (!m->nmarks) {
    pk_fail(m, "an opcode needs a MARK and there is none");
    return false;
  }
  *from = m->marks[--m->nmarks];
  return true;
}

static const uint8_t *pk_bytes(pk_machine *m, size_t n) {
  if (m->n - m->at < n) {
    pk_fail(m, "the pickle ends inside an opcode (truncated)");
    return NULL;
  }
  const uint8_t *p = m->p + m->at;
  m->at += n;
  return p;
}

static uint64_t pk_le(const uint8_t *p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; i--)
    v = (v << 8) | p[i];
  return v;
}

static pk_val *pk_int(pk_machine *m, int64_t i) {
  pk_val *v = pk_new(m, PK_INT);
  if (v)
    v->i = i;
  return v;
}

static pk_val *pk_str(pk_machine *m, size_t len) {
  const uint8_t *p = pk_bytes(m, len);
  if (!p)
    return NULL;
  if (!ck_utf8_valid(p, len) || memchr(p, 0, len)) {
    pk_fail(m, "a string that is not UTF-8 without NUL bytes");
    return NULL;
  }
  pk_val *v = pk_new(m, PK_STR);
  if (!v)
    return NULL;
  char *s = ck_alloc(&m->f->arena, len + 1);
  if (!s) {
    pk_oom(m);
    return NULL;
  }
  memcpy(s, p, len);
  s[len] = '\0';
  v->s = s;
  v->n = len;
  return v;
}

static pk_val *pk_tuple(pk_machine *m, size_t from) {
  pk_val *t = pk_new(m, PK_TUPLE);
  if (!t)
    return NULL;
  t->n = m->depth - from;
  if (t->n) {
    t->items = ck_alloc(&m->f->arena, t->n * sizeof *t->items);
    if (!t->items) {
      pk_oom(m);
      return NULL;
    }
    memcpy(t->items, m->stack + from, t->n * sizeof *t->items);
  }
  m->depth = from;
  return t;
}

/* A module.name pair from GLOBAL or STACK_GLOBAL: only the allowed ones. */
static pk_val *pk_global_of(pk_machine *m, const char *mod, const char *name) {
  int64_t g = -1;
  if (strcmp(mod, "collections") == 0 && strcmp(name, "OrderedDict") == 0)
    g = G_ORDERED_DICT;
  else if (strcmp(mod, "torch._utils") == 0 &&
           strcmp(name, "_rebuild_tensor_v2") == 0)
    g = G_REBUILD_TENSOR_V2;
  else if (strcmp(mod, "torch._utils") == 0 &&
           strcmp(name, "_rebuild_parameter") == 0)
    g = G_REBUILD_PARAMETER;
  else if (strcmp(mod, "torch") == 0)
    for (int d = 0; d < PK_NDTYPES; d++)
      if (strcmp(name, pk_storages[d]) == 0)
        g = G_STORAGE + d;
  if (g < 0) {
    pk_fail(m, "it refers to the Python object %.80s.%.80s", mod, name);
    return NULL;
  }
  pk_val *v = pk_new(m, PK_GLOBAL);
  if (v)
    v->i = g;
  return v;
}

/* A tuple of ints (sizes, strides) into an arena array. */
static int64_t *pk_int_tuple(pk_machine *m, const pk_val *t, const char *what) {
  if (t->kind != PK_TUPLE || t->n > 64) {
    pk_fail(m, "a tensor's %s is not a tuple of at most 64 ints", what);
    return NULL;
  }
  int64_t *a = ck_alloc(&m->f->arena, (t->n ? t->n : 1) * sizeof *a);
  if (!a) {
    pk_oom(m);
    return NULL;
  }
  for (size_t i = 0; i < t->n; i++) {
    if (t->items[i]->kind != PK_INT || t->items[i]->i < 0) {
      pk_fail(m, "a tensor's %s holds a negative or non-int value", what);
      return NULL;
    }
    a[i] = t->items[i]->i;
  }
  return a;
}

/* REDUCE: callable(*args) for the allowed callables. */
static pk_val *pk_reduce(pk_machine *m, pk_val *fn, pk_val *args) {
  if (fn->kind != PK_GLOBAL || args->kind != PK_TUPLE) {
    pk_fail(m, "REDUCE of a %s with a %s", pk_kind_names[fn->kind],
            pk_kind_names[args->kind]);
    return NULL;
  }
  if (fn->i == G_ORDERED_DICT) {
    if (args->n != 0) {
      pk_fail(m, "OrderedDict built from arguments");
      return NULL;
    }
    return pk_new(m, PK_DICT);
  }
  if (fn->i == G_REBUILD_PARAMETER) {
    /* (tensor, requires_grad, backward_hooks) */
    if (args->n != 3 || args->items[0]->kind != PK_TENSOR) {
      pk_fail(m, "_rebuild_parameter without a tensor");
      return NULL;
    }
    return args->items[0];
  }
  if (fn->i != G_REBUILD_TENSOR_V2) {
    pk_fail(m, "a storage class called as a function");
    return NULL;
  }
  /* (storage, offset, size, stride, requires_grad, hooks[, metadata]) */
  pk_val **a = args->items;
  if ((args->n != 6 && args->n != 7) || a[0]->kind != PK_STORAGE ||
      a[1]->kind != PK_INT || a[1]->i < 0 || a[4]->kind != PK_BOOL ||
      a[5]->kind != PK_DICT ||
      (args->n == 7 && a[6]->kind != PK_DICT && a[6]->kind != PK_NONE)) {
    pk_fail(m, "_rebuild_tensor_v2 with arguments of the wrong kinds");
    return NULL;
  }
  pk_val *t = pk_new(m, PK_TENSOR);
  if (!t)
    return NULL;
  t->storage = a[0];
  t->offset = a[1]->i;
  if (!(t->size = pk_int_tuple(m, a[2], "size")) ||
      !(t->stride = pk_int_tuple(m, a[3], "stride")))
    return NULL;
  if (a[2]->n != a[3]->n) {
    pk_fail(m, "a tensor whose size and stride differ in length");
    return NULL;
  }
  t->ndim = (int)a[2]->n;
  t->dtype = a[0]->dtype;
  return t;
}

/* BINPERSID: ("storage", torch.<T>Storage, key, location, numel). */
static pk_val *pk_persistent(pk_machine *m, pk_val *pid) {
  pk_val **a = pid->items;
  if (pid->kind != PK_TUPLE || pid->n != 5 || a[0]->kind != PK_STR ||
      strcmp(a[0]->s, "storage") != 0 || a[1]->kind != PK_GLOBAL ||
      a[1]->i < G_STORAGE || a[2]->kind != PK_STR || a[3]->kind != PK_STR ||
      a[4]->kind != PK_INT || a[4]->i < 0) {
    pk_fail(m, "a persistent id that is not a tensor storage");
    return NULL;
  }
  pk_val *s = pk_new(m, PK_STORAGE);
  if (!s)
    return NULL;
  s->dtype = (ts_dtype)(a[1]->i - G_STORAGE);
  s->s = a[2]->s;
  s->numel = a[4]->i;
  return s;
}

static bool pk_setitems(pk_machine *m, pk_val *d, size_t from) {
  if (d->kind != PK_DICT) {
    pk_fail(m, "SETITEM on a %s", pk_kind_names[d->kind]);
    return false;
  }
  if ((m->depth - from) % 2) {
    pk_fail(m, "SETITEMS with an odd number of values");
    return false;
  }
  for (size_t i = from; i < m->depth; i += 2) {
    pk_val *k = m->stack[i], *v = m->stack[i + 1];
    if (k->kind != PK_STR) {
      pk_fail(m, "a dict key that is a %s, not a str", pk_kind_names[k->kind]);
      return false;
    }
    for (size_t j = 0; j < d->n; j++) {
      if (strcmp(d->keys[j]->s, k->s) == 0) {
        pk_fail(m, "the key '%.100s' set twice", k->s);
        return false;
      }
    }
    size_t kcap = d->cap;
    if (!pk_grow(m, (void **)&d->keys, d->n, &kcap, sizeof k) ||
        !pk_grow(m, (void **)&d->items, d->n, &d->cap, sizeof v))
      return false;
    d->keys[d->n] = k;
    d->items[d->n++] = v;
  }
  m->depth = from;
  return true;
}

static bool pk_memo_put(pk_machine *m, uint64_t idx) {
  pk_val *v = pk_top(m);
  if (!v)
    return false;
  if (idx >= (1u << 26)) {
    pk_fail(m, "a memo index of %llu", (unsigned long long)idx);
    return false;
  }
  while (m->memo_cap <= idx) {
    size_t old = m->memo_cap;
    if (!pk_grow(m, (void **)&m->memo, m->memo_cap, &m->memo_cap, sizeof v))
      return false;
    memset(m->memo + old, 0, (m->memo_cap - old) * sizeof v);
  }
  m->memo[idx] = v;
  if (idx >= m->memo_n)
    m->memo_n = idx + 1;
  return true;
}

static bool pk_memo_get(pk_machine *m, uint64_t idx) {
  if (idx >= m->memo_n || !m->memo[idx]) {
    pk_fail(m, "a memo lookup of %llu, which was never stored",
            (unsigned long long)idx);
    return false;
  }
  return pk_push(m, m->memo[idx]);
}

/* Runs the pickle to its STOP; the one value left is the result. */
static pk_val *pk_run(pk_machine *m) {
  for (;;) {
    m->op_at = m->at;
    const uint8_t *op = pk_bytes(m, 1);
    if (!op)
      return NULL;
    const uint8_t *p;
    size_t from;
    switch (*op) {
    case 0x80: /* PROTO */
      if (!(p = pk_bytes(m, 1)))
        return NULL;
      if (p[0] < 2 || p[0] > 5) {
        pk_fail(m, "pickle protocol %d", p[0]);
        return NULL;
      }
      break;
    case 0x95: /* FRAME: a length hint */
      if (!pk_bytes(m, 8))
        return NULL;
      break;
    case '.': { /* STOP */
      if (m->nmarks || m->depth != 1) {
        pk_fail(m, "STOP with %zu values and %zu marks left", m->depth,
                m->nmarks);
        return NULL;
      }
      if (m->at != m->n) {
        pk_fail(m, "%zu bytes after STOP", m->n - m->at);
        return NULL;
      }
      return m->stack[0];
    }
    case '(': /* MARK */
      if (!pk_grow(m, (void **)&m->marks, m->nmarks, &m->marks_cap,
                   sizeof(size_t)))
        return NULL;
      m->marks[m->nmarks++] = m->depth;
      break;
    case 'N':
      if (!pk_push(m, pk_new(m, PK_NONE)))
        return NULL;
      break;
    case 0x88:   /* NEWTRUE */
    case 0x89: { /* NEWFALSE */
      pk_val *v = pk_new(m, PK_BOOL);
      if (v)
        v->i = *op == 0x88;
      if (!pk_push(m, v))
        return NULL;
      break;
    }
    case 'K':   /* BININT1 */
    case 'M':   /* BININT2 */
    case 'J': { /* BININT */
      int n = *op == 'K' ? 1 : *op == 'M' ? 2 : 4;
      if (!(p = pk_bytes(m, (size_t)n)))
        return NULL;
      int64_t i = *op == 'J' ? (int64_t)(int32_t)(uint32_t)pk_le(p, 4)
                             : (int64_t)pk_le(p, n);
      if (!pk_push(m, pk_int(m, i)))
        return NULL;
      break;
    }
    case 0x8a: { /* LONG1 */
      if (!(p = pk_bytes(m, 1)))
        return NULL;
      size_t n = p[0];
      if (n > 8) {
        pk_fail(m, "an integer of %zu bytes", n);
        return NULL;
      }
      if (!(p = pk_bytes(m, n)))
        return NULL;
      uint64_t u = pk_le(p, (int)n);
      if (n > 0 && n < 8 && (p[n - 1] & 0x80)) /* sign-extend */
        u |= ~(uint64_t)0 << (8 * n);
      if (!pk_push(m, pk_int(m, (int64_t)u)))
        return NULL;
      break;
    }
    case 'G': { /* BINFLOAT (metadata only; the value is not needed) */
      if (!pk_bytes(m, 8) || !pk_push(m, pk_new(m, PK_FLOAT)))
        return NULL;
      break;
    }
    case 'X':    /* BINUNICODE */
    case 0x8c:   /* SHORT_BINUNICODE */
    case 0x8d: { /* BINUNICODE8 */
      int n = *op == 'X' ? 4 : *op == 0x8c ? 1 : 8;
      if (!(p = pk_bytes(m, (size_t)n)))
        return NULL;
      uint64_t len = pk_le(p, n);
      if (len > m->n - m->at) {
        pk_fail(m, "a string longer than the pickle (truncated)");
        return NULL;
      }
      if (!pk_push(m, pk_str(m, (size_t)len)))
        return NULL;
      break;
    }
    case 'c': { /* GLOBAL "module\nname\n" */
      const char *parts[2];
      char buf[2][128];
      for (int k = 0; k < 2; k++) {
        const uint8_t *s = m->p + m->at;
        const uint8_t *nl = memchr(s, '\n', m->n - m->at);
        if (!nl || (size_t)(nl - s) >= sizeof buf[k]) {
          pk_fail(m, "a GLOBAL without a short module or name line");
          return NULL;
        }
        memcpy(buf[k], s, (size_t)(nl - s));
        buf[k][nl - s] = '\0';
        parts[k] = buf[k];
        m->at += (size_t)(nl - s) + 1;
      }
      if (!pk_push(m, pk_global_of(m, parts[0], parts[1])))
        return NULL;
      break;
    }
    case 0x93: { /* STACK_GLOBAL */
      pk_val *name = pk_pop(m), *mod = name ? pk_pop(m) : NULL;
      if (!mod)
        return NULL;
      if (mod->kind != PK_STR || name->kind != PK_STR) {
        pk_fail(m, "STACK_GLOBAL of values that are not strings");
        return NULL;
      }
      if (!pk_push(m, pk_global_of(m, mod->s, name->s)))
        return NULL;
      break;
    }
    case ')': /* EMPTY_TUPLE */
      if (!pk_push(m, pk_tuple(m, m->depth)))
        return NULL;
      break;
    case 0x85:   /* TUPLE1 */
    case 0x86:   /* TUPLE2 */
    case 0x87: { /* TUPLE3 */
      size_t n = (size_t)(*op - 0x84);
      if (m->depth < pk_base(m) + n) {
        pk_fail(m, "TUPLE%zu with fewer values on the stack", n);
        return NULL;
      }
      if (!pk_push(m, pk_tuple(m, m->depth - n)))
        return NULL;
      break;
    }
    case 't': /* TUPLE */
      if (!pk_pop_mark(m, &from) || !pk_push(m, pk_tuple(m, from)))
        return NULL;
      break;
    case '}': /* EMPTY_DICT */
      if (!pk_push(m, pk_new(m, PK_DICT)))
        return NULL;
      break;
    case ']': /* EMPTY_LIST */
      if (!pk_push(m, pk_new(m, PK_LIST)))
        return NULL;
      break;
    case 's': { /* SETITEM */
      if (m->depth < pk_base(m) + 3) {
        pk_fail(m, "SETITEM with fewer than three values on the stack");
        return NULL;
      }
      if (!pk_setitems(m, m->stack[m->depth - 3], m->depth - 2))
        return NULL;
      break;
    }
    case 'u': /* SETITEMS */
      if (!pk_pop_mark(m, &from))
        return NULL;
      if (from < 1 || from - 1 < pk_base(m)) {
        pk_fail(m, "SETITEMS with no dict below its MARK");
        return NULL;
      }
      if (!pk_setitems(m, m->stack[from - 1], from))
        return NULL;
      break;
    case 'a':   /* APPEND */
    case 'e': { /* APPENDS */
      if (*op == 'a') {
        from = m->depth - 1;
        if (m->depth < pk_base(m) + 2) {
          pk_fail(m, "APPEND with fewer than two values on the stack");
          return NULL;
        }
      } else if (!pk_pop_mark(m, &from)) {
        return NULL;
      }
      if (from < 1 || from - 1 < pk_base(m) ||
          m->stack[from - 1]->kind != PK_LIST) {
        pk_fail(m, "APPEND to something that is not a list");
        return NULL;
      }
      pk_val *l = m->stack[from - 1];
      for (size_t i = from; i < m->depth; i++) {
        if (!pk_grow(m, (void **)&l->items, l->n, &l->cap, sizeof *l->items))
          return NULL;
        l->items[l->n++] = m->stack[i];
      }
      m->depth = from;
      break;
    }
    case 'q': /* BINPUT */
    case 'r': /* LONG_BINPUT */
      if (!(p = pk_bytes(m, *op == 'q' ? 1 : 4)) ||
          !pk_memo_put(m, pk_le(p, *op == 'q' ? 1 : 4)))
        return NULL;
      break;
    case 0x94: /* MEMOIZE */
      if (!pk_memo_put(m, m->memo_n))
        return NULL;
      break;
    case 'h': /* BINGET */
    case 'j': /* LONG_BINGET */
      if (!(p = pk_bytes(m, *op == 'h' ? 1 : 4)) ||
          !pk_memo_get(m, pk_le(p, *op == 'h' ? 1 : 4)))
        return NULL;
      break;
    case 'Q': { /* BINPERSID */
      pk_val *pid = pk_pop(m);
      if (!pid || !pk_push(m, pk_persistent(m, pid)))
        return NULL;
      break;
    }
    case 'R': { /* REDUCE */
      pk_val *args = pk_pop(m), *fn = args ? pk_pop(m) : NULL;
      if (!fn || !pk_push(m, pk_reduce(m, fn, args)))
        return NULL;
      break;
    }
    case 'b': { /* BUILD: only an OrderedDict's __dict__ (_metadata) */
      pk_val *state = pk_pop(m), *obj = state ? pk_top(m) : NULL;
      if (!obj)
        return NULL;
      if (obj->kind != PK_DICT || state->kind != PK_DICT) {
        pk_fail(m, "BUILD of a %s with a %s", pk_kind_names[obj->kind],
                pk_kind_names[state->kind]);
        return NULL;
      }
      break;
    }
    default:
      pk_fail(m, "the pickle opcode 0x%02x, which state_dicts do not use", *op);
      return NULL;
    }
  }
}

/* ------------------------------------------------------------ CRC-32 -- */

/* libtorch's reader (miniz, as torch.load) does not check the CRC-32 the
 * archive stores for each record; tsmem does, from the central directory,
 * so that a flipped bit in a tensor is an error, not a silently wrong
 * value. */

static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++)
      c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    crc_table[i] = c;
  }
}

static uint32_t crc32_of(const uint8_t *p, size_t n) {
  pthread_once(&crc_once, crc_init);
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; i++)
    c = crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
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
    if (pk_le(tail + e, 4) == 0x06054b50u)
      break;
  if (e == (size_t)-1) {
    st = zip_dir_fail(f, "no end of central directory");
    goto out;
  }
  uint64_t entries = pk_le(tail + e + 10, 2), cd_size = pk_le(tail + e + 12, 4),
           cd_off = pk_le(tail + e + 16, 4);
  if (entries == 0xFFFF || cd_size == 0xFFFFFFFFu || cd_off == 0xFFFFFFFFu) {
    uint8_t loc[20], z64[56];
    uint64_t eocd = (uint64_t)size - nt + e;
    if (eocd < 20 || !zip_pread(in, eocd - 20, loc, 20) ||
        pk_le(loc, 4) != 0x07064b50u ||
        !zip_pread(in, pk_le(loc + 8, 8), z64, 56) ||
        pk_le(z64, 4) != 0x06064b50u) {
      st = zip_dir_fail(f, "a damaged zip64 end of central directory");
      goto out;
    }
    entries = pk_le(z64 + 32, 8);
    cd_size = pk_le(z64 + 40, 8);
    cd_off = pk_le(z64 + 48, 8);
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
    if (cd_size - at < 46 || pk_le(cd + at, 4) != 0x02014b50u) {
      st = zip_dir_fail(f, "a damaged central directory entry");
      goto out;
    }
    size_t nlen = pk_le(cd + at + 28, 2), xlen = pk_le(cd + at + 30, 2),
           clen = pk_le(cd + at + 32, 2);
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
    z->crcs[z->n++] = (uint32_t)pk_le(cd + at + 16, 4);
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
  void *data;
  size_t size;
  char why[TSC_WHY_SIZE];
  ts_status st = tsc_zip_reader_read(z, rec, &data, &size, why);
  if (st != TS_OK)
    return zip_fail(f, st, why);
  if (!ck_adopt(&f->arena, data))
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

/* ---------------------------------------------------------------- writer -- */

typedef struct pbuf {
  uint8_t *p;
  size_t n, cap;
  bool oom;
} pbuf;

static void pb_put(pbuf *b, const void *s, size_t n) {
  if (b->oom)
    return;
  if (b->cap - b->n < n) {
    size_t cap = b->cap ? b->cap : 1024;
    while (cap - b->n < n)
      cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (!p) {
      b->oom = true;
      return;
    }
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
}

static void pb_op(pbuf *b, uint8_t op) { pb_put(b, &op, 1); }

static void pb_str(pbuf *b, const char *s) {
  size_t len = strlen(s);
  uint8_t h[5] = {'X', (uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16),
                  (uint8_t)(len >> 24)};
  pb_put(b, h, 5);
  pb_put(b, s, len);
}

static void pb_int(pbuf *b, int64_t v) {
  uint8_t h[10];
  if (v >= 0 && v < 256) {
    h[0] = 'K';
    h[1] = (uint8_t)v;
    pb_put(b, h, 2);
  } else if (v >= 0 && v < 65536) {
    h[0] = 'M';
    h[1] = (uint8_t)v;
    h[2] = (uint8_t)(v >> 8);
    pb_put(b, h, 3);
  } else if (v >= INT32_MIN && v <= INT32_MAX) {
    h[0] = 'J';
    for (int i = 0; i < 4; i++)
      h[1 + i] = (uint8_t)((uint64_t)v >> (8 * i));
    pb_put(b, h, 5);
  } else {
    h[0] = 0x8a;
    h[1] = 8;
    for (int i = 0; i < 8; i++)
      h[2 + i] = (uint8_t)((uint64_t)v >> (8 * i));
    pb_put(b, h, 10);
  }
}

static void pb_tuple(pbuf *b, const int64_t *v, int n) {
  if (n > 3)
    pb_op(b, '(');
  for (int i = 0; i < n; i++)
    pb_int(b, v[i]);
  if (n == 0)
    pb_op(b, ')');
  else
    pb_op(b, n > 3 ? 't' : (uint8_t)(0x84 + n));
}

static void pb_global(pbuf *b, const char *mod, const char *name) {
  pb_op(b, 'c');
  pb_put(b, mod, strlen(mod));
  pb_op(b, '\n');
  pb_put(b, name, strlen(name));
  pb_op(b, '\n');
}

static void pb_ordered_dict(pbuf *b) {
  pb_global(b, "collections", "OrderedDict");
  pb_op(b, ')');
  pb_op(b, 'R');
}

static ts_status pk_write(pbuf *b, const ck_entry *v, size_t n) {
  pb_op(b, 0x80);
  pb_op(b, 2);
  pb_ordered_dict(b);
  if (n)
    pb_op(b, '(');
  for (size_t i = 0; i < n; i++) {
    const ck_entry *e = &v[i];
    char key[32];
    snprintf(key, sizeof key, "%zu", i);
    int64_t numel = 1, strides[64];
    for (int d = e->ndim - 1; d >= 0; d--) {
      strides[d] = numel;
      numel *= e->shape[d];
    }
    pb_str(b, e->name);
    pb_global(b, "torch._utils", "_rebuild_tensor_v2");
    pb_op(b, '(');
    pb_op(b, '(');
    pb_str(b, "storage");
    pb_global(b, "torch", pk_storages[e->dtype]);
    pb_str(b, key);
    pb_str(b, "cpu");
    pb_int(b, numel);
    pb_op(b, 't');
    pb_op(b, 'Q');
    pb_int(b, 0);
    pb_tuple(b, e->shape, e->ndim);
    pb_tuple(b, strides, e->ndim);
    pb_op(b, 0x89);
    pb_ordered_dict(b);
    pb_op(b, 't');
    pb_op(b, 'R');
  }
  if (n)
    pb_op(b, 'u');
  pb_op(b, '.');
  return b->oom ? TS_ERR_OOM : TS_OK;
}

ts_status ck_torch_write(const char *call, const char *path, FILE *out,
                         const ck_entry *v, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (v[i].ndim > 64)
      return ts__fail(TS_ERR_SHAPE, call,
                      "'%s' cannot hold '%s': more than 64 dimensions", path,
                      v[i].name);
  pbuf pb = {0};
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
    void *bytes;
    st = ck_fetch(call, &v[i], &bytes);
    if (st != TS_OK) {
      tsc_zip_writer_abort(w);
      return st;
    }
    char rec[40];
    snprintf(rec, sizeof rec, "data/%zu", i);
    st = tsc_zip_writer_add(w, rec, bytes, v[i].nbytes, why);
    free(bytes);
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
