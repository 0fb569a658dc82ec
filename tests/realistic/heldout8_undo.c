/* heldout8_undo.c - an undo/redo history for a tensor canvas editor: edits
 * (brush, fill, blur) replace the canvas and push the old one onto a
 * growable undo stack; undo and redo swap canvases between the stacks;
 * a bounded history drops its oldest snapshots; status codes and
 * out-parameters throughout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>

#define CW 8
#define CH 8

typedef enum { ED_OK = 0, ED_EMPTY, ED_NOMEM, ED_FAIL } ed_status;

typedef struct {
  ts_tensor **items;
  size_t n, cap;
} tstack;

typedef struct {
  ts_tensor *canvas; /* [CH, CW] */
  tstack undo, redo;
  size_t limit;
} editor;

// OK: push takes ownership; on growth failure the caller keeps it
static ed_status stk_push(tstack *s, ts_tensor *t) {
  if (s->n == s->cap) {
    size_t nc = s->cap ? s->cap * 2 : 4;
    ts_tensor **ni = realloc(s->items, nc * sizeof *ni);
    if (!ni)
      return ED_NOMEM;
    s->items = ni;
    s->cap = nc;
  }
  s->items[s->n++] = t;
  return ED_OK;
}

// OK: pop hands the top to the caller through an out-parameter
static ed_status stk_pop(tstack *s, ts_tensor **out) {
  if (s->n == 0)
    return ED_EMPTY;
  *out = s->items[--s->n];
  s->items[s->n] = NULL;
  return ED_OK;
}

// OK: frees everything on the stack and the array
static void stack_clear(tstack *s) {
  while (s->n > 0)
    ts_free(s->items[--s->n]);
  free(s->items);
  s->items = NULL;
  s->cap = 0;
}

// BUG: double-free: clearing frees the items but leaves the count, so a second clear frees them again
static void stack_reset(tstack *s) {
  for (size_t i = 0; i < s->n; i++)
    ts_free(s->items[i]); // <- BUG
}

// OK: drops the oldest snapshot when the history is full
static void stack_trim(tstack *s, size_t limit) {
  while (s->n > limit) {
    ts_free(s->items[0]);
    memmove(s->items, s->items + 1, (s->n - 1) * sizeof *s->items);
    s->n--;
  }
}

// BUG: use-after-free: the dropped snapshot's checksum is logged after the free
static void stack_trim_logged(tstack *s, size_t limit) {
  while (s->n > limit) {
    ts_tensor *old = s->items[0];
    memmove(s->items, s->items + 1, (s->n - 1) * sizeof *s->items);
    s->n--;
    ts_free(old);
    ts_tensor *sum = ts_sum(old); // <- BUG
    printf("dropped %g\n", ts_item(sum));
    ts_free(sum);
  }
}

// OK: blank canvas, empty stacks
static ed_status editor_open(editor *e, size_t limit) {
  memset(e, 0, sizeof *e);
  e->canvas = ts_zeros(TS_SHAPE(CH, CW), TS_FLOAT32);
  e->limit = limit;
  return e->canvas ? ED_OK : ED_FAIL;
}

// OK: frees the canvas and both histories
static void editor_close(editor *e) {
  stack_clear(&e->undo);
  stack_clear(&e->redo);
  if (e->canvas)
    ts_free(e->canvas);
  e->canvas = NULL;
}

// OK: commits a new canvas: old one onto the undo stack, redo dropped
static ed_status editor_commit(editor *e, ts_tensor *next) {
  ed_status st = stk_push(&e->undo, e->canvas);
  if (st != ED_OK) {
    ts_free(next);
    return st;
  }
  e->canvas = next;
  stack_clear(&e->redo);
  stack_trim(&e->undo, e->limit);
  return ED_OK;
}

// BUG: leak: a failed push returns with the new canvas still unowned
static ed_status editor_commit_nofree(editor *e, ts_tensor *next) {
  if (e->undo.n >= e->limit && e->limit == 0)
    return ED_FAIL; // <- BUG
  ed_status st = stk_push(&e->undo, e->canvas);
  if (st != ED_OK) {
    ts_free(next);
    return st;
  }
  e->canvas = next;
  stack_clear(&e->redo);
  return ED_OK;
}

// OK: undo swaps the canvas with the top of the undo stack
static ed_status editor_undo(editor *e) {
  ts_tensor *prev = NULL;
  ed_status st = stk_pop(&e->undo, &prev);
  if (st != ED_OK)
    return st;
  st = stk_push(&e->redo, e->canvas);
  if (st != ED_OK) {
    stk_push(&e->undo, prev);
    return st;
  }
  e->canvas = prev;
  return ED_OK;
}

// OK: redo is undo's mirror
static ed_status editor_redo(editor *e) {
  ts_tensor *next = NULL;
  ed_status st = stk_pop(&e->redo, &next);
  if (st != ED_OK)
    return st;
  if (stk_push(&e->undo, e->canvas) != ED_OK) {
    stk_push(&e->redo, next);
    return ED_NOMEM;
  }
  e->canvas = next;
  return ED_OK;
}

// BUG: double-free: undo frees the current canvas although it was pushed onto the redo stack
static ed_status editor_undo_free(editor *e) {
  ts_tensor *prev = NULL;
  if (stk_pop(&e->undo, &prev) != ED_OK)
    return ED_EMPTY;
  stk_push(&e->redo, e->canvas);
  ts_free(e->canvas);
  e->canvas = prev;
  stack_clear(&e->redo); // <- BUG
  return ED_OK;
}

// OK: a brush stroke: a scoped mask, the painted canvas kept for the caller
static ts_tensor *brush(const ts_tensor *canvas, int row, double v) {
  ts_tensor *out;
  TS_SCOPE {
    float m[CH * CW] = {0};
    for (int c = 0; c < CW; c++)
      m[row * CW + c] = 1.0f;
    ts_tensor *mask = ts_from_buffer(m, TS_SHAPE(CH, CW), TS_FLOAT32);
    ts_tensor *paint = ts_mul_scalar(mask, v);
    out = ts_keep(ts_add(canvas, paint));
  }
  return out;
}

// OK: fill as a new tensor
static ts_tensor *fill(double v) {
  return ts_full(TS_SHAPE(CH, CW), TS_FLOAT32, v);
}

// BUG: unescaped-return: the blurred canvas is made in the function's scope
TS_SCOPED static ts_tensor *blur(const ts_tensor *canvas) {
  ts_tensor *a = ts_mul_scalar(canvas, 0.5);
  ts_tensor *b = ts_transpose(canvas, 0, 1);
  ts_tensor *out = ts_add(a, ts_mul_scalar(b, 0.5));
  return out; // <- BUG
}

// OK: blur escaped from its scope
TS_SCOPED static ts_tensor *blur_ok(const ts_tensor *canvas) {
  ts_tensor *a = ts_mul_scalar(canvas, 0.5);
  ts_tensor *b = ts_transpose(canvas, 0, 1);
  return ts_escape(ts_add(a, ts_mul_scalar(b, 0.5)));
}

// OK: checksum through a guard scope
static double checksum(const ts_tensor *t) {
  TS_SCOPE_GUARD();
  ts_tensor *s = ts_sum(t);
  return ts_item(s);
}

// BUG: use-after-scope: the snapshot diff is made inside the loop scope and read after it
static double history_drift(const editor *e) {
  ts_tensor *last = NULL;
  TS_SCOPE for (size_t i = 1; i < e->undo.n; i++) {
    last = ts_sub(e->undo.items[i], e->undo.items[i - 1]);
  }
  return last ? checksum(last) : 0.0; // <- BUG
}

// OK: the drift summed inside each iteration
static double history_drift_ok(const editor *e) {
  double d = 0.0;
  TS_SCOPE for (size_t i = 1; i < e->undo.n; i++) {
    ts_tensor *diff = ts_sub(e->undo.items[i], e->undo.items[i - 1]);
    d += ts_item(ts_sum(ts_mul(diff, diff)));
  }
  return d;
}

// OK: replays a macro of edits, status checked after each
static ed_status replay(editor *e, const int *ops, int n) {
  for (int i = 0; i < n; i++) {
    ts_tensor *next = NULL;
    switch (ops[i]) {
    case 0:
      next = brush(e->canvas, i % CH, 1.0);
      break;
    case 1:
      next = fill(0.25 * i);
      break;
    case 2:
      next = blur_ok(e->canvas);
      break;
    default:
      continue;
    }
    if (!next)
      return ED_FAIL;
    ed_status st = editor_commit(e, next);
    if (st != ED_OK)
      return st;
  }
  return ED_OK;
}

// BUG: leak: the default arm makes a canvas for an unknown op and drops it
static ed_status replay_lenient(editor *e, const int *ops, int n) {
  for (int i = 0; i < n; i++) {
    ts_tensor *next = fill(0.0); // <- BUG
    if (ops[i] == 0) {
      ts_free(next);
      next = brush(e->canvas, i % CH, 2.0);
    } else if (ops[i] != 1) {
      continue;
    }
    if (editor_commit(e, next) != ED_OK)
      return ED_FAIL;
  }
  return ED_OK;
}

// OK: snapshot export copies the canvas out for the caller
static ed_status editor_snapshot(const editor *e, ts_tensor **out) {
  *out = ts_clone(e->canvas);
  return *out ? ED_OK : ED_FAIL;
}

// OK: full edit session with undo and redo
void undo_entry_session(void) {
  editor e;
  const int ops[6] = {0, 1, 2, 0, 7, 2};
  if (editor_open(&e, 3) != ED_OK)
    return;
  replay(&e, ops, 6);
  editor_undo(&e);
  editor_undo(&e);
  editor_redo(&e);
  ts_tensor *snap = NULL;
  if (editor_snapshot(&e, &snap) == ED_OK) {
    printf("%g %g %g\n", checksum(snap), history_drift_ok(&e), checksum(e.canvas));
    ts_free(snap);
  }
  editor_close(&e);
}

// OK: logs as it trims
void undo_entry_trim_log(void) {
  tstack s = {0};
  for (int i = 0; i < 3; i++)
    stk_push(&s, fill(i));
  stack_trim_logged(&s, 1);
  stack_clear(&s);
}

// OK: drives the reset followed by a clear
void undo_entry_reset(void) {
  tstack s = {0};
  stk_push(&s, fill(1));
  stk_push(&s, fill(2));
  stack_reset(&s);
  stack_clear(&s);
}

// OK: drives the commit that refuses with a zero limit
void undo_entry_commit_zero(void) {
  editor e;
  if (editor_open(&e, 0) != ED_OK)
    return;
  editor_commit_nofree(&e, fill(3));
  editor_close(&e);
}

// OK: drives the undo that frees a pushed canvas
void undo_entry_undo_free(void) {
  editor e;
  if (editor_open(&e, 4) != ED_OK)
    return;
  editor_commit(&e, fill(1));
  editor_undo_free(&e);
  editor_close(&e);
}

// OK: uses the scoped blur result
void undo_entry_blur(void) {
  editor e;
  if (editor_open(&e, 4) != ED_OK)
    return;
  ts_tensor *b = blur(e.canvas);
  editor_commit(&e, b);
  printf("%g\n", checksum(e.canvas));
  editor_close(&e);
}

// OK: drives the drift read after the loop
void undo_entry_drift(void) {
  editor e;
  if (editor_open(&e, 4) != ED_OK)
    return;
  editor_commit(&e, fill(1));
  editor_commit(&e, fill(2));
  printf("%g\n", history_drift(&e));
  editor_close(&e);
}

// OK: drives the lenient replay with an unknown op
void undo_entry_lenient(void) {
  editor e;
  const int ops[3] = {0, 5, 1};
  if (editor_open(&e, 4) != ED_OK)
    return;
  replay_lenient(&e, ops, 3);
  editor_close(&e);
}

// BUG: leak: the snapshot is taken twice into the same variable
void undo_entry_two_snaps(void) {
  editor e;
  ts_tensor *snap = NULL;
  if (editor_open(&e, 2) != ED_OK)
    return;
  editor_snapshot(&e, &snap); // <- BUG
  editor_commit(&e, fill(5));
  editor_snapshot(&e, &snap);
  printf("%g\n", checksum(snap));
  ts_free(snap);
  editor_close(&e);
}

// BUG: use-after-free: the popped canvas is freed and then committed back
void undo_entry_pop_commit(void) {
  editor e;
  ts_tensor *t = NULL;
  if (editor_open(&e, 4) != ED_OK)
    return;
  editor_commit(&e, fill(1));
  if (stk_pop(&e.undo, &t) == ED_OK) {
    ts_free(t);
    ts_tensor *c = ts_clone(t); // <- BUG
    editor_commit(&e, c);
  }
  editor_close(&e);
}

// BUG: use-after-scope: a snapshot cloned inside a scope block is committed after the block ended
void undo_entry_scoped_snap(void) {
  editor e;
  ts_tensor *snap = NULL;
  if (editor_open(&e, 4) != ED_OK)
    return;
  TS_SCOPE {
    snap = ts_clone(e.canvas);
    printf("%g\n", checksum(snap));
  }
  editor_commit(&e, snap); // <- BUG
  printf("%g\n", checksum(e.canvas));
  editor_close(&e);
}
