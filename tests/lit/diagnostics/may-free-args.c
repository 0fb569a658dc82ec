// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// A same-file helper that frees its tensor parameter on the returns of one
// kind (refused: it frees it and says so) and keeps it on the others: a
// tensor already freed and passed there is freed again on the first kind,
// and stored to be freed again later on the other. That is a double free,
// reported at the call.
#include <tsmem.h>
#include <tsmem/ops.h>

typedef struct {
  ts_tensor *items[4];
  int n;
} queue;

static int queue_push(queue *q, ts_tensor *t) {
  if (q->n == 4) {
    ts_free(t);
    return -1;
  }
  q->items[q->n++] = t;
  return 0;
}

static void queue_free(queue *q) {
  for (int i = 0; i < q->n; i++)
    ts_free(q->items[i]);
  q->n = 0;
}

// BUG: freed, then handed to a push that takes or frees it.
void requeue_freed(queue *q) {
  ts_tensor *t = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  if (!t)
    return;
  ts_free(t); // expected-note {{freed here}}
  queue_push(q, t); // expected-warning {{tensor freed or released again after it was freed}}
}

// OK: pushed once; the push frees it when the queue is full.
void push_once(queue *q) {
  ts_tensor *t = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  if (!t)
    return;
  if (queue_push(q, t) != 0)
    return;
  queue_free(q);
}

// BUG: a freed tensor handed to a helper that only reads it is a use.
static double peek(const ts_tensor *t) { return ts_item(t); }
double read_freed(void) {
  ts_tensor *t = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  if (!t)
    return 0;
  ts_free(t); // expected-note {{freed here}}
  return peek(t); // expected-warning {{use of a tensor after it was freed}}
}
