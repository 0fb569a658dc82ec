/* heldout8_pqueue.c - a binary-heap priority queue of tensor payloads used by
 * a best-first refinement scheduler: each item carries a state tensor and a
 * cached score; the scheduler pops the best, refines it with pooled scratch
 * buffers and pushes the children back; top-k summaries use the generated
 * ts_topk and ts_stack. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define DIM 4

typedef struct {
  double prio;
  ts_tensor *state; /* [DIM] */
} pq_item;

typedef struct {
  pq_item *heap;
  int n, cap;
  ts_pool *scratch;
} pqueue;

// OK: empty queue with its own scratch pool
static int pq_init(pqueue *q, int cap) {
  q->heap = calloc((size_t)cap, sizeof *q->heap);
  if (!q->heap)
    return -1;
  q->n = 0;
  q->cap = cap;
  q->scratch = ts_pool_new(4);
  if (!q->scratch) {
    free(q->heap);
    return -1;
  }
  return 0;
}

// OK: frees the remaining states, the heap and the pool
static void pq_destroy(pqueue *q) {
  for (int i = 0; i < q->n; i++)
    ts_free(q->heap[i].state);
  free(q->heap);
  ts_pool_destroy(q->scratch);
  q->heap = NULL;
  q->n = 0;
}

// OK: swap helper
static void pq_swap(pq_item *a, pq_item *b) {
  pq_item t = *a;
  *a = *b;
  *b = t;
}

// OK: takes the state; a full queue frees it and says so
static int pq_push(pqueue *q, double prio, ts_tensor *state) {
  if (q->n == q->cap) {
    ts_free(state);
    return -1;
  }
  int i = q->n++;
  q->heap[i].prio = prio;
  q->heap[i].state = state;
  while (i > 0 && q->heap[(i - 1) / 2].prio < q->heap[i].prio) {
    pq_swap(&q->heap[(i - 1) / 2], &q->heap[i]);
    i = (i - 1) / 2;
  }
  return 0;
}

// OK: the best item to the caller, who owns its state
static int pq_pop(pqueue *q, pq_item *out) {
  if (q->n == 0)
    return -1;
  *out = q->heap[0];
  q->heap[0] = q->heap[--q->n];
  int i = 0;
  for (;;) {
    int l = 2 * i + 1, r = l + 1, m = i;
    if (l < q->n && q->heap[l].prio > q->heap[m].prio)
      m = l;
    if (r < q->n && q->heap[r].prio > q->heap[m].prio)
      m = r;
    if (m == i)
      break;
    pq_swap(&q->heap[i], &q->heap[m]);
    i = m;
  }
  return 0;
}

// BUG: double-free: the evicted state is freed but its slot stays counted, so destroy frees it again
static int pq_push_evict(pqueue *q, double prio, ts_tensor *state) {
  if (q->n == q->cap) {
    int worst = q->n - 1;
    for (int i = q->n / 2; i < q->n; i++)
      if (q->heap[i].prio < q->heap[worst].prio)
        worst = i;
    ts_free(q->heap[worst].state); // <- BUG
    pq_swap(&q->heap[worst], &q->heap[q->n - 1]);
    q->heap[q->n - 1].prio = -1e30;
    return pq_push(q, prio, state) == 0 ? 0 : -1;
  }
  return pq_push(q, prio, state);
}

// OK: score of a state, temporaries in a guard scope
static double score(const ts_tensor *s) {
  TS_SCOPE_GUARD();
  ts_tensor *t = ts_tanh(s);
  return -ts_item(ts_sum(ts_mul(t, t)));
}

// OK: refines a state with a pooled scratch buffer; the child goes to the caller
static ts_tensor *refine(pqueue *q, const ts_tensor *s, double step) {
  ts_tensor *buf = ts_pool_acquire(q->scratch, TS_SHAPE(DIM), TS_FLOAT32);
  if (!buf)
    buf = ts_empty(TS_SHAPE(DIM), TS_FLOAT32);
  if (!buf)
    return NULL;
  ts_tensor *noise = ts_randn(TS_SHAPE(DIM), TS_FLOAT32);
  ts_tensor *child = NULL;
  if (noise) {
    ts_tensor *d = ts_mul_scalar(noise, step);
    if (d) {
      child = ts_add(s, d);
      ts_free(d);
    }
    ts_free(noise);
  }
  ts_pool_release(q->scratch, buf);
  return child;
}

// BUG: use-after-free: the scratch buffer is released, then filled
static ts_tensor *refine_late_release(pqueue *q, const ts_tensor *s) {
  ts_tensor *buf = ts_pool_acquire(q->scratch, TS_SHAPE(DIM), TS_FLOAT32);
  if (!buf)
    buf = ts_zeros(TS_SHAPE(DIM), TS_FLOAT32);
  ts_pool_release(q->scratch, buf);
  ts_tensor *child = ts_add(s, buf); // <- BUG
  return child;
}

// BUG: double-free: the scratch buffer is released on the error path and again at the end
static ts_tensor *refine_twice(pqueue *q, const ts_tensor *s, double step) {
  ts_tensor *buf = ts_zeros(TS_SHAPE(DIM), TS_FLOAT32);
  ts_tensor *child = NULL;
  if (step <= 0.0) {
    ts_pool_release(q->scratch, buf);
  } else {
    child = ts_add_scalar(s, step);
  }
  ts_pool_release(q->scratch, buf); // <- BUG
  return child;
}

// OK: expands the best item into k children, parent freed after
static int expand_best(pqueue *q, int k) {
  pq_item best;
  if (pq_pop(q, &best) != 0)
    return 0;
  int pushed = 0;
  for (int i = 0; i < k; i++) {
    ts_tensor *c = refine(q, best.state, 0.1 * (i + 1));
    if (!c)
      continue;
    if (pq_push(q, score(c), c) == 0)
      pushed++;
  }
  ts_free(best.state);
  return pushed;
}

// BUG: leak: the popped parent is never freed
static int expand_best_keep_parent(pqueue *q, int k) {
  pq_item best;
  if (pq_pop(q, &best) != 0) // <- BUG
    return 0;
  int pushed = 0;
  for (int i = 0; i < k; i++) {
    ts_tensor *c = refine(q, best.state, 0.2);
    if (c && pq_push(q, score(c), c) == 0)
      pushed++;
  }
  return pushed;
}

// OK: stacks the states of the first n items; caller frees the stack
static ts_tensor *pq_stack_states(const pqueue *q, int n) {
  const ts_tensor *rows[16];
  if (n > q->n)
    n = q->n;
  if (n > 16)
    n = 16;
  for (int i = 0; i < n; i++)
    rows[i] = q->heap[i].state;
  return n > 0 ? ts_stack(rows, n, 0) : NULL;
}

// OK: top-k column maxima through ts_topk, both outputs freed
static double pq_topk_mass(const pqueue *q, int k) {
  ts_tensor *st = pq_stack_states(q, q->n);
  if (!st)
    return 0.0;
  ts_tensor *flat = ts_reshape(st, TS_SHAPE(-1));
  ts_tensor *out[2] = {NULL, NULL};
  double mass = 0.0;
  if (flat && ts_topk(out, flat, k, -1, true, true) == TS_OK) {
    ts_tensor *s = ts_sum(out[0]);
    mass = ts_item(s);
    ts_free(s);
    ts_free(out[0]);
    ts_free(out[1]);
  }
  if (flat)
    ts_free(flat);
  ts_free(st);
  return mass;
}

// BUG: leak: the index output of ts_topk is never freed
static double pq_topk_values(const pqueue *q, int k) {
  ts_tensor *st = pq_stack_states(q, q->n);
  if (!st)
    return 0.0;
  ts_tensor *flat = ts_reshape(st, TS_SHAPE(-1));
  ts_tensor *out[2] = {NULL, NULL};
  double mass = 0.0;
  if (ts_topk(out, flat, k, -1, true, true) == TS_OK) { // <- BUG
    ts_tensor *s = ts_sum(out[0]);
    mass = ts_item(s);
    ts_free(s);
    ts_free(out[0]);
  }
  ts_free(flat);
  ts_free(st);
  return mass;
}

// OK: the whole search in one scope per round; children kept before they enter the queue
static double search(pqueue *q, int rounds) {
  TS_SCOPE for (int r = 0; r < rounds; r++) {
    pq_item best;
    if (pq_pop(q, &best) != 0)
      break;
    ts_tensor *n = ts_randn(TS_SHAPE(DIM), TS_FLOAT32);
    ts_tensor *child = ts_add(best.state, ts_mul_scalar(n, 0.05));
    pq_push(q, score(child), ts_keep(child));
    pq_push(q, best.prio, best.state);
  }
  return q->n ? q->heap[0].prio : 0.0;
}

// BUG: use-after-scope: the child is pushed without ts_keep and dies with the round
static double search_nokeep(pqueue *q, int rounds) {
  TS_SCOPE for (int r = 0; r < rounds; r++) {
    pq_item best;
    if (pq_pop(q, &best) != 0)
      break;
    ts_tensor *child = ts_add_scalar(best.state, 0.01);
    pq_push(q, score(best.state) + 1.0, child);
    pq_push(q, best.prio, best.state);
  }
  return q->n ? score(q->heap[0].state) : 0.0; // <- BUG
}

// OK: a best item's state copied out under ts_run
static void *best_copy_job(void *ctx) {
  pqueue *q = ctx;
  if (q->n == 0)
    return NULL;
  ts_tensor *c = ts_mul_scalar(q->heap[0].state, 1.0);
  return ts_escape(c);
}

// BUG: unescaped-return: the ts_run job returns its scope's tensor
static void *best_copy_job_noescape(void *ctx) {
  pqueue *q = ctx;
  if (q->n == 0)
    return NULL;
  ts_tensor *c = ts_clone(q->heap[0].state);
  return c; // <- BUG
}

// OK: seeds n random states
static void seed(pqueue *q, int n) {
  for (int i = 0; i < n; i++) {
    ts_tensor *s = ts_randn(TS_SHAPE(DIM), TS_FLOAT32);
    if (s)
      pq_push(q, score(s), s);
  }
}

// OK: the full scheduler run
void pq_entry_run(void) {
  pqueue q;
  ts_manual_seed(3);
  if (pq_init(&q, 32) != 0)
    return;
  seed(&q, 4);
  expand_best(&q, 3);
  double top = search(&q, 5);
  double mass = pq_topk_mass(&q, 3);
  ts_tensor *c = ts_run(best_copy_job, &q);
  printf("%g %g %d\n", top, mass, q.n);
  if (c)
    ts_free(c);
  pq_destroy(&q);
}

// OK: pops everything in priority order, each state freed
void pq_entry_drain(void) {
  pqueue q;
  pq_item it;
  if (pq_init(&q, 8) != 0)
    return;
  seed(&q, 8);
  pq_push(&q, 0.0, ts_zeros(TS_SHAPE(DIM), TS_FLOAT32));
  while (pq_pop(&q, &it) == 0)
    ts_free(it.state);
  pq_destroy(&q);
}

// OK: drives the evicting push on a full queue
void pq_entry_evict(void) {
  pqueue q;
  if (pq_init(&q, 2) != 0)
    return;
  seed(&q, 2);
  pq_push_evict(&q, 5.0, ts_ones(TS_SHAPE(DIM), TS_FLOAT32));
  pq_destroy(&q);
}

// OK: drives the late scratch release
void pq_entry_late_release(void) {
  pqueue q;
  if (pq_init(&q, 4) != 0)
    return;
  seed(&q, 1);
  ts_tensor *c = refine_late_release(&q, q.heap[0].state);
  if (c)
    ts_free(c);
  pq_destroy(&q);
}

// OK: drives the twice-released scratch with a zero step
void pq_entry_twice(void) {
  pqueue q;
  if (pq_init(&q, 4) != 0)
    return;
  seed(&q, 1);
  ts_tensor *c = refine_twice(&q, q.heap[0].state, 0.0);
  if (c)
    ts_free(c);
  pq_destroy(&q);
}

// OK: drives the expansion that keeps the parent
void pq_entry_keep_parent(void) {
  pqueue q;
  if (pq_init(&q, 8) != 0)
    return;
  seed(&q, 2);
  expand_best_keep_parent(&q, 2);
  pq_destroy(&q);
}

// OK: drives the top-k that drops its indices
void pq_entry_topk_values(void) {
  pqueue q;
  if (pq_init(&q, 8) != 0)
    return;
  seed(&q, 3);
  printf("%g\n", pq_topk_values(&q, 2));
  pq_destroy(&q);
}

// OK: drives the search that pushes scoped children
void pq_entry_nokeep(void) {
  pqueue q;
  if (pq_init(&q, 8) != 0)
    return;
  seed(&q, 1);
  printf("%g\n", search_nokeep(&q, 1));
  pq_destroy(&q);
}

// OK: uses the copy the unescaping job returns
void pq_entry_job_noescape(void) {
  pqueue q;
  if (pq_init(&q, 8) != 0)
    return;
  seed(&q, 2);
  ts_tensor *c = ts_run(best_copy_job_noescape, &q);
  if (c) {
    printf("%g\n", score(c));
    ts_free(c);
  }
  pq_destroy(&q);
}

// BUG: double-free: the popped item's state is freed and the item is pushed back anyway
void pq_entry_requeue(void) {
  pqueue q;
  pq_item it;
  if (pq_init(&q, 8) != 0)
    return;
  seed(&q, 2);
  if (pq_pop(&q, &it) == 0) {
    double s = score(it.state);
    ts_free(it.state);
    if (s > -1e9)
      pq_push(&q, s, it.state); // <- BUG
  }
  pq_destroy(&q);
}

// BUG: leak: the extra state is not freed on the full-queue early return
void pq_entry_reject(void) {
  pqueue q;
  if (pq_init(&q, 1) != 0)
    return;
  seed(&q, 1);
  ts_tensor *extra = ts_ones(TS_SHAPE(DIM), TS_FLOAT32); // <- BUG
  if (q.n == q.cap) {
    pq_destroy(&q);
    return;
  }
  pq_push(&q, 1.0, extra);
  pq_destroy(&q);
}

// BUG: use-after-free: the top state is held while expand_best pops and frees it
void pq_entry_held_top(void) {
  pqueue q;
  if (pq_init(&q, 8) != 0)
    return;
  seed(&q, 3);
  ts_tensor *top = q.heap[0].state;
  int k = expand_best(&q, 2);
  printf("%d %g\n", k, score(top)); // <- BUG
  pq_destroy(&q);
}
