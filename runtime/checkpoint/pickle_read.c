/*
 * pickle_read.c - the strict pickle reader for torch.save's data.pkl.
 *
 * It runs the pickle opcodes that state_dicts use (protocols 2 to 5) on a
 * small stack machine whose only callables are collections.OrderedDict,
 * torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter and the
 * storage classes: any other global, opcode or shape of data is refused
 * with the reason, so loading never runs code. What it builds lives in the
 * file's arena.
 */
#include "pickle.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Same order as ts_dtype. */
const char *const pk_storages[] = {
    "FloatStorage", "DoubleStorage",  "IntStorage",  "LongStorage",
    "ShortStorage", "CharStorage",    "ByteStorage", "BoolStorage",
    "HalfStorage",  "BFloat16Storage"};
_Static_assert(sizeof pk_storages / sizeof *pk_storages == PK_NDTYPES,
               "one storage class per ts_dtype");

const char *const pk_kind_names[] = {"None",    "bool",  "int",
                                     "float",   "str",   "tuple",
                                     "list",    "dict",  "class or function",
                                     "storage", "tensor"};

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
pk_val *pk_run(pk_machine *m) {
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
      int64_t i = *op == 'J' ? (int64_t)(int32_t)(uint32_t)ck_le(p, 4)
                             : (int64_t)ck_le(p, n);
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
      uint64_t u = ck_le(p, (int)n);
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
      uint64_t len = ck_le(p, n);
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
          !pk_memo_put(m, ck_le(p, *op == 'q' ? 1 : 4)))
        return NULL;
      break;
    case 0x94: /* MEMOIZE */
      if (!pk_memo_put(m, m->memo_n))
        return NULL;
      break;
    case 'h': /* BINGET */
    case 'j': /* LONG_BINGET */
      if (!(p = pk_bytes(m, *op == 'h' ? 1 : 4)) ||
          !pk_memo_get(m, ck_le(p, *op == 'h' ? 1 : 4)))
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
