/*
 * heldout10_traffic.c - traffic flow on a ring road: densities and speeds in
 * a struct opened with a label chain, manual and scoped flux steps, signal
 * phases in an array, a FIFO of vehicle batches, intersection controllers in
 * async scopes, rush-hour forecasts in ts_run, the busiest segments through
 * multi-result operators.
 *
 * Labels (see README.md): `// OK: why` or `// BUG: check: why` on the line
 * before each function; the line of the bug itself ends in `// <- BUG`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { SEG = 8, LIGHTS = 3 };

typedef struct {
  ts_tensor *density;  /* [SEG] */
  ts_tensor *speed;    /* [SEG] */
  ts_tensor *capacity; /* [SEG] */
} road;

typedef struct batch {
  ts_tensor *cars; /* [n] positions */
  struct batch *next;
} batch;

typedef struct {
  batch *head, *tail;
  int n;
} batch_queue;

typedef struct {
  ts_async_scope *scope;
  ts_tensor *phase; /* owned by scope */
  ts_tensor *last;  /* the last tick's load, owned by scope */
  int ticks;
} controller;

// OK: a label chain, each label freeing what the steps before it made
static int road_open(road *r, int fail_at) {
  r->density = ts_rand(TS_SHAPE(SEG), TS_FLOAT32);
  if (!r->density)
    return -1;
  r->speed = ts_full(TS_SHAPE(SEG), TS_FLOAT32, 1.0);
  if (!r->speed || fail_at == 1)
    goto no_speed;
  r->capacity = ts_full(TS_SHAPE(SEG), TS_FLOAT32, 2.0);
  if (!r->capacity || fail_at == 2)
    goto no_capacity;
  return 0;
no_capacity:
  if (r->capacity)
    ts_free(r->capacity);
  ts_free(r->speed);
no_speed:
  if (fail_at == 1 && r->speed)
    ts_free(r->speed);
  ts_free(r->density);
  return -1;
}

// BUG: double-free: the capacity failure frees the speeds and then falls into
// the label that frees them again
static int road_open_checked(road *r, int max_cap) {
  r->density = ts_rand(TS_SHAPE(SEG), TS_FLOAT32);
  r->speed = ts_full(TS_SHAPE(SEG), TS_FLOAT32, 1.0);
  if (!r->speed)
    goto no_speed;
  r->capacity = ts_full(TS_SHAPE(SEG), TS_FLOAT32, 2.0);
  if (max_cap < 2)
    goto no_capacity;
  return 0;
no_capacity:
  ts_free(r->capacity);
  ts_free(r->speed);
no_speed:
  if (r->speed)
    ts_free(r->speed); // <- BUG
  ts_free(r->density);
  return -1;
}

// OK: frees the three fields
static void road_close(road *r) {
  ts_free(r->density);
  ts_free(r->speed);
  ts_free(r->capacity);
}

// OK: flux shifted by one segment around the ring; the caller owns it
static ts_tensor *inflow(const ts_tensor *flux) {
  ts_tensor *tail = ts_narrow(flux, 0, SEG - 1, 1);
  ts_tensor *head = ts_narrow(flux, 0, 0, SEG - 1);
  const ts_tensor *parts[2] = {tail, head};
  ts_tensor *in = ts_cat(parts, 2, 0);
  ts_free(head);
  ts_free(tail);
  return in;
}

// OK: density += dt (inflow - outflow), temporaries and old density freed
static void road_step(road *r, double dt) {
  ts_tensor *flux = ts_mul(r->density, r->speed);
  ts_tensor *in = inflow(flux);
  ts_tensor *net = ts_sub(in, flux);
  ts_tensor *dd = ts_mul_scalar(net, dt);
  ts_tensor *next = ts_add(r->density, dd);
  ts_free(dd);
  ts_free(net);
  ts_free(in);
  ts_free(flux);
  ts_free(r->density);
  r->density = next;
}

// BUG: leak: the outflow is folded into the update and never freed
static void road_step_fast(road *r, double dt) {
  ts_tensor *flux = ts_mul(r->density, r->speed);
  ts_tensor *in = inflow(flux);
  ts_tensor *net = ts_sub(in, ts_clamp(flux, 0.0, 1.5)); // <- BUG
  ts_tensor *next = ts_add(r->density, ts_mul_scalar(net, dt));
  ts_free(net);
  ts_free(in);
  ts_free(flux);
  ts_free(r->density);
  r->density = next;
}

// OK: open, four steps, total density, close
void trf_simulate(void) {
  road r;
  if (road_open(&r, 0) != 0)
    return;
  for (int t = 0; t < 4; t++)
    road_step(&r, 0.1);
  ts_tensor *s = ts_sum(r.density);
  printf("cars %.3f\n", ts_item(s));
  ts_free(s);
  road_close(&r);
}

// OK: both failing opens clean up after themselves
void trf_open_failures(void) {
  road r;
  for (int k = 1; k <= 2; k++)
    if (road_open(&r, k) != 0)
      printf("open failed at %d\n", k);
}

// OK: a checked open with too small a capacity bound
void trf_open_checked(void) {
  road r;
  if (road_open_checked(&r, 1) != 0)
    printf("capacity rejected\n");
}

// OK: runs the fast step
void trf_simulate_fast(void) {
  road r;
  if (road_open(&r, 0) != 0)
    return;
  for (int t = 0; t < 2; t++)
    road_step_fast(&r, 0.1);
  road_close(&r);
}

// OK: scoped steps: every temporary of an iteration dies with it, the new
// density escapes and the old one is freed
void trf_simulate_scoped(void) {
  road r;
  if (road_open(&r, 0) != 0)
    return;
  TS_SCOPE for (int t = 0; t < 4; t++) {
    ts_tensor *flux = ts_mul(r.density, r.speed);
    ts_tensor *net = ts_sub(inflow(flux), flux);
    ts_tensor *next = ts_escape(ts_add(r.density, ts_mul_scalar(net, 0.1)));
    ts_free(r.density);
    r.density = next;
  }
  road_close(&r);
}

// BUG: use-after-scope: the new density is not escaped, so the road keeps a
// tensor its iteration's scope frees
void trf_simulate_scoped_quick(void) {
  road r;
  if (road_open(&r, 0) != 0)
    return;
  ts_tensor *orig = r.density;
  TS_SCOPE for (int t = 0; t < 2; t++) {
    ts_tensor *flux = ts_mul(r.density, r.speed);
    r.density = ts_add(r.density, ts_mul_scalar(flux, -0.05)); // <- BUG
  }
  ts_free(orig);
  road_close(&r);
}

// OK: replaces light k's phase, freeing the old one
static void signal_set(ts_tensor *lights[], int k, ts_tensor *phase) {
  if (lights[k])
    ts_free(lights[k]);
  lights[k] = phase;
}

// OK: frees every phase
static void signals_free(ts_tensor *lights[]) {
  for (int k = 0; k < LIGHTS; k++)
    if (lights[k]) {
      ts_free(lights[k]);
      lights[k] = NULL;
    }
}

// OK: phases set, replaced and freed
void trf_signals(void) {
  ts_tensor *lights[LIGHTS] = {NULL};
  for (int k = 0; k < LIGHTS; k++)
    signal_set(lights, k, ts_full(TS_SHAPE(2), TS_FLOAT32, k));
  signal_set(lights, 1, ts_rand(TS_SHAPE(2), TS_FLOAT32));
  signals_free(lights);
}

// BUG: use-after-free: the old phase of light 0 is copied to light 2 after
// signal_set freed it
void trf_signals_rotate(void) {
  ts_tensor *lights[LIGHTS] = {NULL};
  for (int k = 0; k < LIGHTS; k++)
    signal_set(lights, k, ts_full(TS_SHAPE(2), TS_FLOAT32, k));
  ts_tensor *first = lights[0];
  signal_set(lights, 0, ts_clone(lights[1]));
  signal_set(lights, 2, ts_clone(first)); // <- BUG
  signals_free(lights);
}

// OK: the old phase is cloned before light 0 is replaced
void trf_signals_rotate_ok(void) {
  ts_tensor *lights[LIGHTS] = {NULL};
  for (int k = 0; k < LIGHTS; k++)
    signal_set(lights, k, ts_full(TS_SHAPE(2), TS_FLOAT32, k));
  ts_tensor *first = ts_clone(lights[0]);
  signal_set(lights, 0, ts_clone(lights[1]));
  signal_set(lights, 2, first);
  signals_free(lights);
}

// OK: appends a batch; the queue takes the cars
static void queue_push(batch_queue *q, ts_tensor *cars) {
  batch *b = malloc(sizeof *b);
  b->cars = cars;
  b->next = NULL;
  if (q->tail)
    q->tail->next = b;
  else
    q->head = b;
  q->tail = b;
  q->n++;
}

// OK: the oldest batch's cars, now the caller's; NULL when empty
static ts_tensor *queue_pop(batch_queue *q) {
  batch *b = q->head;
  if (!b)
    return NULL;
  q->head = b->next;
  if (!q->head)
    q->tail = NULL;
  q->n--;
  ts_tensor *cars = b->cars;
  free(b);
  return cars;
}

// OK: every popped batch is counted and freed
void trf_queue(void) {
  batch_queue q = {NULL, NULL, 0};
  for (int k = 1; k <= 3; k++)
    queue_push(&q, ts_rand(TS_SHAPE(k), TS_FLOAT32));
  int64_t cars = 0;
  ts_tensor *b;
  while ((b = queue_pop(&q))) {
    cars += ts_numel(b);
    ts_free(b);
  }
  printf("cars %lld\n", (long long)cars);
}

// BUG: leak: the drain counts each popped batch and drops it
void trf_queue_count(void) {
  batch_queue q = {NULL, NULL, 0};
  for (int k = 1; k <= 3; k++)
    queue_push(&q, ts_rand(TS_SHAPE(k), TS_FLOAT32));
  int64_t cars = 0;
  while (q.n > 0)
    cars += ts_numel(queue_pop(&q)); // <- BUG
  printf("cars %lld\n", (long long)cars);
}

// OK: a controller's phase lives in its async scope
static void ctrl_start(controller *c) {
  c->scope = ts_async_scope_begin();
  c->ticks = 0;
  ts_async_scope_enter(c->scope);
  c->phase = ts_zeros(TS_SHAPE(2), TS_FLOAT32);
  c->last = NULL;
  ts_async_scope_leave(c->scope);
}

// OK: a tick's load escapes the inner block into the controller's scope,
// replacing the last one
static void ctrl_tick(controller *c, const road *r) {
  ts_async_scope_enter(c->scope);
  TS_SCOPE {
    ts_tensor *load = ts_mean(ts_mul(r->density, r->capacity));
    if (c->last)
      ts_free(c->last);
    c->last = ts_escape(ts_add_scalar(load, c->ticks));
  }
  c->ticks++;
  ts_async_scope_leave(c->scope);
}

// BUG: use-after-scope: the tick's load is stored in the controller without
// escaping the inner block, whose scope frees it
static void ctrl_tick_quick(controller *c, const road *r) {
  ts_async_scope_enter(c->scope);
  TS_SCOPE {
    ts_tensor *load = ts_mean(ts_mul(r->density, r->capacity));
    c->last = ts_add_scalar(load, c->ticks); // <- BUG
  }
  c->ticks++;
  ts_async_scope_leave(c->scope);
}

// OK: reads the last load inside the controller's scope
static double ctrl_report(controller *c) {
  double v = 0;
  ts_async_scope_enter(c->scope);
  if (c->last)
    v = ts_item(c->last);
  ts_async_scope_leave(c->scope);
  return v;
}

// OK: ends the controller's scope, freeing its tensors
static void ctrl_stop(controller *c) {
  ts_async_scope_end(c->scope);
  c->phase = c->last = NULL;
}

// OK: three ticks, a report, stop
void trf_controller(void) {
  road r;
  controller c;
  if (road_open(&r, 0) != 0)
    return;
  ctrl_start(&c);
  for (int t = 0; t < 3; t++)
    ctrl_tick(&c, &r);
  printf("load %.3f\n", ctrl_report(&c));
  ctrl_stop(&c);
  road_close(&r);
}

// OK: quick ticks, then a report
void trf_controller_quick(void) {
  road r;
  controller c;
  if (road_open(&r, 0) != 0)
    return;
  ctrl_start(&c);
  ctrl_tick_quick(&c, &r);
  printf("load %.3f\n", ctrl_report(&c));
  ctrl_stop(&c);
  road_close(&r);
}

// OK: the forecast escapes ts_run's scope
static void *rush_hour(void *ctx) {
  const road *r = ctx;
  ts_tensor *d = ts_mul_scalar(r->density, 1.5);
  return ts_escape(ts_sum(ts_mul(d, r->speed)));
}

// BUG: unescaped-return: escaped out of the block only, the forecast still
// dies with ts_run's scope
static void *rush_hour_peak(void *ctx) {
  const road *r = ctx;
  TS_SCOPE {
    ts_tensor *d = ts_mul_scalar(r->density, 1.5);
    ts_tensor *peak = ts_escape(ts_max(d));
    return peak; // <- BUG
  }
  return NULL;
}

// OK: both forecasts used and freed
void trf_forecast(void) {
  road r;
  if (road_open(&r, 0) != 0)
    return;
  ts_tensor *f = ts_run(rush_hour, &r);
  printf("rush %.3f\n", ts_item(f));
  ts_free(f);
  road_close(&r);
}

// OK: uses the peak forecast
void trf_forecast_peak(void) {
  road r;
  if (road_open(&r, 0) != 0)
    return;
  ts_tensor *f = ts_run(rush_hour_peak, &r);
  printf("peak %.3f\n", ts_item(f));
  ts_free(f);
  road_close(&r);
}

// OK: the busiest segment's density and index, both the caller's
static int busiest(const road *r, ts_tensor **val, ts_tensor **idx) {
  ts_tensor *out[2];
  if (ts_max_dim(out, r->density, 0, false) != TS_OK)
    return -1;
  *val = out[0];
  *idx = out[1];
  return 0;
}

// OK: both results freed
void trf_busiest(void) {
  road r;
  if (road_open(&r, 0) != 0)
    return;
  ts_tensor *v, *i;
  if (busiest(&r, &v, &i) == 0) {
    printf("segment %.0f at %.3f\n", ts_item(i), ts_item(v));
    ts_free(v);
    ts_free(i);
  }
  road_close(&r);
}

// BUG: leak: only the density is freed, the index is dropped
void trf_busiest_value(void) {
  road r;
  if (road_open(&r, 0) != 0)
    return;
  ts_tensor *v, *i;
  if (busiest(&r, &v, &i) == 0) { // <- BUG
    printf("max density %.3f\n", ts_item(v));
    ts_free(v);
  }
  road_close(&r);
}

// BUG: double-free: the values are freed by name and again with the result
// array
void trf_top_congested(void) {
  road r;
  if (road_open(&r, 0) != 0)
    return;
  ts_tensor *res[2];
  if (ts_topk(res, r.density, 3, 0, true, true) == TS_OK) {
    ts_tensor *vals = res[0];
    ts_tensor *s = ts_sum(vals);
    printf("top-3 %.3f\n", ts_item(s));
    ts_free(s);
    ts_free(vals);
    for (int k = 0; k < 2; k++)
      ts_free(res[k]); // <- BUG
  }
  road_close(&r);
}

// OK: the same top-3, each result freed once
void trf_top_congested_ok(void) {
  road r;
  if (road_open(&r, 0) != 0)
    return;
  ts_tensor *res[2];
  if (ts_topk(res, r.density, 3, 0, true, true) == TS_OK) {
    ts_tensor *s = ts_sum(res[0]);
    printf("top-3 %.3f\n", ts_item(s));
    ts_free(s);
    for (int k = 0; k < 2; k++)
      ts_free(res[k]);
  }
  road_close(&r);
}
