/* heldout8_pid.c - a bank of vector PID controllers driving a simulated
 * plant: each controller keeps its integral and last error in an async
 * scope that is entered once per tick, the plant step runs under ts_run,
 * gain schedules are looked up from a table, and a telemetry log records
 * copies of the control signal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>

#define AX 3
#define NCTL 2

typedef struct {
  double kp, ki, kd;
  ts_async_scope *mem;  /* owns integ and last */
  ts_tensor *integ;     /* [AX] */
  ts_tensor *last;      /* [AX] */
  ts_tensor *setpoint;  /* [AX], manual */
} pid;

typedef struct {
  ts_tensor *state; /* [AX], manual */
  double drag;
} plant;

typedef struct {
  ts_tensor **u; /* copies of control signals */
  int n, cap;
} telemetry;

// OK: controller with its async scope and a manual setpoint
static int pid_init(pid *c, double kp, double ki, double kd, double sp) {
  memset(c, 0, sizeof *c);
  c->kp = kp;
  c->ki = ki;
  c->kd = kd;
  c->setpoint = ts_full(TS_SHAPE(AX), TS_FLOAT32, sp);
  if (!c->setpoint)
    return -1;
  c->mem = ts_async_scope_begin();
  if (!c->mem) {
    ts_free(c->setpoint);
    return -1;
  }
  if (ts_async_scope_enter(c->mem) == TS_OK) {
    c->integ = ts_zeros(TS_SHAPE(AX), TS_FLOAT32);
    c->last = ts_zeros(TS_SHAPE(AX), TS_FLOAT32);
    ts_async_scope_leave(c->mem);
  }
  return 0;
}

// OK: ends the async scope (frees its state) and frees the setpoint
static void pid_fini(pid *c) {
  if (c->mem)
    ts_async_scope_end(c->mem);
  c->mem = NULL;
  c->integ = c->last = NULL;
  if (c->setpoint)
    ts_free(c->setpoint);
  c->setpoint = NULL;
}

// BUG: leak: the teardown ends the async scope but forgets the manual setpoint
static void pid_fini_partial(pid *c) {
  ts_async_scope_end(c->mem);
  c->mem = NULL;
  c->integ = c->last = NULL; // <- BUG
}

// OK: one control tick inside the controller's async scope; u goes to the caller
static ts_tensor *pid_tick(pid *c, const ts_tensor *y, double dt) {
  ts_tensor *u = NULL;
  if (ts_async_scope_enter(c->mem) != TS_OK)
    return NULL;
  ts_tensor *e = ts_sub(c->setpoint, y);
  c->integ = ts_add(c->integ, ts_mul_scalar(e, dt));
  ts_tensor *de = ts_mul_scalar(ts_sub(e, c->last), 1.0 / dt);
  c->last = e;
  ts_tensor *p = ts_add(ts_mul_scalar(e, c->kp), ts_mul_scalar(c->integ, c->ki));
  u = ts_keep(ts_add(p, ts_mul_scalar(de, c->kd)));
  ts_async_scope_leave(c->mem);
  return u;
}

// BUG: use-after-scope: the control signal is left in the async scope, which reset ends
static ts_tensor *pid_tick_reset(pid *c, const ts_tensor *y) {
  if (ts_async_scope_enter(c->mem) != TS_OK)
    return NULL;
  ts_tensor *e = ts_sub(c->setpoint, y);
  ts_tensor *u = ts_mul_scalar(e, c->kp);
  ts_async_scope_leave(c->mem);
  ts_async_scope_end(c->mem);
  c->mem = ts_async_scope_begin();
  ts_tensor *chk = ts_sum(u); // <- BUG
  printf("%g\n", ts_item(chk));
  ts_free(chk);
  return NULL;
}

// OK: anti-windup clamps the integral; the clamped copy replaces it in the async scope
static void pid_clamp(pid *c, double lim) {
  if (ts_async_scope_enter(c->mem) != TS_OK)
    return;
  ts_tensor *hi = ts_neg(ts_relu(ts_add_scalar(ts_neg(c->integ), lim)));
  c->integ = ts_add_scalar(ts_relu(ts_add_scalar(hi, 2 * lim)), -lim);
  ts_async_scope_leave(c->mem);
}

// OK: plant with a manual state
static int plant_init(plant *p, double drag) {
  p->state = ts_zeros(TS_SHAPE(AX), TS_FLOAT32);
  p->drag = drag;
  return p->state ? 0 : -1;
}

typedef struct {
  plant *p;
  const ts_tensor *u;
  double dt;
} plant_job;

// OK: plant step under ts_run; the new state escapes, the old is freed by the caller
static void *plant_step_job(void *ctx) {
  plant_job *j = ctx;
  ts_tensor *acc = ts_sub(j->u, ts_mul_scalar(j->p->state, j->p->drag));
  ts_tensor *next = ts_add(j->p->state, ts_mul_scalar(acc, j->dt));
  return ts_escape(next);
}

// BUG: unescaped-return: the plant job returns its scope's tensor
static void *plant_step_job_raw(void *ctx) {
  plant_job *j = ctx;
  ts_tensor *next = ts_add(j->p->state, ts_mul_scalar(j->u, j->dt));
  return next; // <- BUG
}

// OK: advances the plant, replacing its state
static int plant_advance(plant *p, const ts_tensor *u, double dt) {
  plant_job j = {p, u, dt};
  ts_tensor *next = ts_run(plant_step_job, &j);
  if (!next)
    return -1;
  ts_free(p->state);
  p->state = next;
  return 0;
}

// BUG: use-after-free: the old state is freed before the job reads it
static int plant_advance_early(plant *p, const ts_tensor *u, double dt) {
  plant_job j = {p, u, dt};
  ts_tensor *old = p->state;
  ts_free(old);
  ts_tensor *next = ts_run(plant_step_job, &j); // <- BUG
  p->state = next;
  return next ? 0 : -1;
}

// OK: telemetry keeps copies; grows with realloc
static int tel_push(telemetry *t, const ts_tensor *u) {
  if (t->n == t->cap) {
    int nc = t->cap ? 2 * t->cap : 4;
    ts_tensor **nu = realloc(t->u, (size_t)nc * sizeof *nu);
    if (!nu)
      return -1;
    t->u = nu;
    t->cap = nc;
  }
  ts_tensor *cp = ts_clone(u);
  if (!cp)
    return -1;
  t->u[t->n++] = cp;
  return 0;
}

// OK: frees the copies
static void tel_free(telemetry *t) {
  for (int i = 0; i < t->n; i++)
    ts_free(t->u[i]);
  free(t->u);
  t->u = NULL;
  t->n = t->cap = 0;
}

// BUG: leak: the copy is made before the growth check and lost when growth fails
static int tel_push_eager(telemetry *t, const ts_tensor *u) {
  ts_tensor *cp = ts_clone(u); // <- BUG
  if (t->n == t->cap) {
    if (t->cap >= 2)
      return -1;
    int nc = t->cap ? 2 * t->cap : 2;
    ts_tensor **nu = realloc(t->u, (size_t)nc * sizeof *nu);
    if (!nu) {
      ts_free(cp);
      return -1;
    }
    t->u = nu;
    t->cap = nc;
  }
  t->u[t->n++] = cp;
  return 0;
}

// OK: mean control effort over the log
static double tel_effort(const telemetry *t) {
  double s = 0.0;
  TS_SCOPE for (int i = 0; i < t->n; i++) {
    ts_tensor *a = ts_mul(t->u[i], t->u[i]);
    s += ts_item(ts_sum(a));
  }
  return t->n ? s / t->n : 0.0;
}

// BUG: double-free: the oldest entry is freed when the log is trimmed, then again by tel_free
static void tel_trim(telemetry *t, int keep) {
  int drop = t->n - keep;
  for (int i = 0; i < drop; i++)
    ts_free(t->u[i]); // <- BUG
}

// OK: gain schedule: gains grow with the error magnitude
static void schedule(pid *c, const ts_tensor *y) {
  double m;
  TS_SCOPE {
    ts_tensor *e = ts_sub(c->setpoint, y);
    m = ts_item(ts_mean(ts_mul(e, e)));
  }
  c->kp = m > 1.0 ? 2.0 : 1.0;
}

// OK: closed loop for n ticks with telemetry
static double run_loop(pid *c, plant *p, telemetry *t, int n) {
  for (int k = 0; k < n; k++) {
    schedule(c, p->state);
    ts_tensor *u = pid_tick(c, p->state, 0.1);
    if (!u)
      return -1.0;
    tel_push(t, u);
    plant_advance(p, u, 0.1);
    ts_free(u);
  }
  pid_clamp(c, 5.0);
  return tel_effort(t);
}

// BUG: leak: the control signal of each tick is never freed
static double run_loop_leaky(pid *c, plant *p, int n) {
  double s = 0.0;
  for (int k = 0; k < n; k++) {
    ts_tensor *u = pid_tick(c, p->state, 0.1); // <- BUG
    if (!u)
      break;
    plant_advance(p, u, 0.1);
    s += 1.0;
  }
  return s;
}

// OK: the whole bank for a few ticks
void pid_entry_bank(void) {
  pid c[NCTL];
  plant p[NCTL];
  telemetry t = {NULL, 0, 0};
  for (int i = 0; i < NCTL; i++) {
    pid_init(&c[i], 1.0, 0.1 * (i + 1), 0.05, 1.0 + i);
    plant_init(&p[i], 0.2);
  }
  for (int i = 0; i < NCTL; i++)
    printf("%g\n", run_loop(&c[i], &p[i], &t, 4));
  tel_free(&t);
  for (int i = 0; i < NCTL; i++) {
    pid_fini(&c[i]);
    ts_free(p[i].state);
  }
}

// OK: drives the partial teardown
void pid_entry_partial(void) {
  pid c;
  if (pid_init(&c, 1, 0, 0, 1) == 0)
    pid_fini_partial(&c);
}

// OK: drives the reset tick
void pid_entry_reset(void) {
  pid c;
  plant p;
  if (pid_init(&c, 1, 0, 0, 1) != 0)
    return;
  if (plant_init(&p, 0.1) != 0) {
    pid_fini(&c);
    return;
  }
  pid_tick_reset(&c, p.state);
  pid_fini(&c);
  ts_free(p.state);
}

// OK: uses the raw plant job's result
void pid_entry_raw(void) {
  plant p;
  if (plant_init(&p, 0.1) != 0)
    return;
  ts_tensor *u = ts_ones(TS_SHAPE(AX), TS_FLOAT32);
  plant_job j = {&p, u, 0.1};
  ts_tensor *next = ts_run(plant_step_job_raw, &j);
  if (next) {
    ts_free(p.state);
    p.state = next;
  }
  ts_tensor *s = ts_sum(p.state);
  printf("%g\n", ts_item(s));
  ts_free(s);
  ts_free(u);
  ts_free(p.state);
}

// OK: drives the early-freeing advance
void pid_entry_early(void) {
  plant p;
  if (plant_init(&p, 0.1) != 0)
    return;
  ts_tensor *u = ts_ones(TS_SHAPE(AX), TS_FLOAT32);
  plant_advance_early(&p, u, 0.1);
  ts_free(u);
  if (p.state)
    ts_free(p.state);
}

// OK: drives the eager telemetry push past its cap
void pid_entry_tel_eager(void) {
  telemetry t = {NULL, 0, 0};
  ts_tensor *u = ts_ones(TS_SHAPE(AX), TS_FLOAT32);
  for (int i = 0; i < 3; i++)
    tel_push_eager(&t, u);
  ts_free(u);
  tel_free(&t);
}

// OK: drives the trim followed by a full free
void pid_entry_trim(void) {
  telemetry t = {NULL, 0, 0};
  ts_tensor *u = ts_ones(TS_SHAPE(AX), TS_FLOAT32);
  for (int i = 0; i < 3; i++)
    tel_push(&t, u);
  tel_trim(&t, 1);
  ts_free(u);
  tel_free(&t);
}

// OK: drives the leaky loop
void pid_entry_leaky(void) {
  pid c;
  plant p;
  if (pid_init(&c, 1, 0.1, 0, 1) != 0)
    return;
  if (plant_init(&p, 0.1) != 0) {
    pid_fini(&c);
    return;
  }
  printf("%g\n", run_loop_leaky(&c, &p, 2));
  pid_fini(&c);
  ts_free(p.state);
}

// BUG: use-after-scope: the integral is read after the controller's async scope ended
void pid_entry_integ_after(void) {
  pid c;
  plant p;
  if (pid_init(&c, 1, 0.5, 0, 1) != 0)
    return;
  if (plant_init(&p, 0.1) != 0) {
    pid_fini(&c);
    return;
  }
  ts_tensor *u = pid_tick(&c, p.state, 0.1);
  ts_tensor *integ = c.integ;
  pid_fini(&c);
  ts_tensor *s = ts_sum(integ); // <- BUG
  printf("%g\n", ts_item(s));
  ts_free(s);
  ts_free(u);
  ts_free(p.state);
}

// BUG: leak: the setpoint of a retuned controller is replaced without freeing the old one
void pid_entry_retune(void) {
  pid c;
  if (pid_init(&c, 1, 0, 0, 1) != 0)
    return;
  c.setpoint = ts_full(TS_SHAPE(AX), TS_FLOAT32, 2.0); // <- BUG
  pid_fini(&c);
}
