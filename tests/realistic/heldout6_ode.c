/* heldout6_ode.c - an ODE integrator with adaptive steps: RK stages for a
 * damped oscillator, error estimates that accept or reject a step, a
 * trajectory buffer, dense output and a callback that observes each step. */
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

typedef struct {
  ts_tensor *A; /* [2,2] linear system y' = A y */
  double tol;
  double h_min, h_max;
} ode_sys;

typedef struct {
  ts_tensor **ys;
  double *ts;
  int n, cap;
} ode_traj;

typedef void (*ode_observer)(double t, const ts_tensor *y, void *ctx);

// OK: the system matrix or -1
static int ode_sys_init(ode_sys *s, double k, double c) {
  const float a[4] = {0.0f, 1.0f, (float)-k, (float)-c};
  s->A = ts_from_buffer(a, TS_SHAPE(2, 2), TS_FLOAT32);
  s->tol = 1e-3;
  s->h_min = 1e-4;
  s->h_max = 0.5;
  return s->A ? 0 : -1;
}

// OK: frees the matrix
static void ode_sys_free(ode_sys *s) {
  ts_free(s->A);
  s->A = NULL;
}

// OK: f(y) = A y in the caller's scope
TS_CALLER_SCOPE static ts_tensor *ode_rhs(const ode_sys *s, const ts_tensor *y) {
  return ts_matmul(s->A, y);
}

// OK: a Heun step with an error estimate; the new state escaped, *err filled
TS_SCOPED static ts_tensor *ode_heun(const ode_sys *s, const ts_tensor *y,
                                     double h, double *err) {
  ts_tensor *k1 = ode_rhs(s, y);
  ts_tensor *ye = ts_add(y, ts_mul_scalar(k1, h));
  ts_tensor *k2 = ode_rhs(s, ye);
  ts_tensor *yn = ts_add(y, ts_mul_scalar(ts_add(k1, k2), 0.5 * h));
  *err = ts_item(ts_sum(ts_abs(ts_sub(yn, ye))));
  return ts_escape(yn);
}

// OK: the trajectory takes ownership of each state; grows by doubling
static int ode_traj_push(ode_traj *tr, double t, ts_tensor *y) {
  if (tr->n == tr->cap) {
    int cap = tr->cap ? tr->cap * 2 : 4;
    ts_tensor **ys = realloc(tr->ys, (size_t)cap * sizeof *ys);
    if (!ys)
      return -1;
    tr->ys = ys;
    double *ts = realloc(tr->ts, (size_t)cap * sizeof *ts);
    if (!ts)
      return -1;
    tr->ts = ts;
    tr->cap = cap;
  }
  tr->ys[tr->n] = y;
  tr->ts[tr->n++] = t;
  return 0;
}

// OK: frees every stored state and the arrays
static void ode_traj_free(ode_traj *tr) {
  for (int i = 0; i < tr->n; i++)
    ts_free(tr->ys[i]);
  free(tr->ys);
  free(tr->ts);
  tr->ys = NULL;
  tr->ts = NULL;
  tr->n = tr->cap = 0;
}

// OK: adaptive integration; a rejected step's state is freed, an accepted one stored
static int ode_integrate(const ode_sys *s, ts_tensor *y0, double t1,
                         ode_traj *tr) {
  double t = 0.0, h = 0.1;
  ts_tensor *y = ts_clone(y0);
  if (!y)
    return -1;
  ts_tensor *y0c = ts_clone(y);
  if (ode_traj_push(tr, t, y0c) != 0) {
    ts_free(y0c);
    ts_free(y);
    return -1;
  }
  while (t < t1) {
    double err = 0;
    ts_tensor *yn = ode_heun(s, y, h, &err);
    if (err > s->tol && h > s->h_min) {
      ts_free(yn);
      h *= 0.5;
      continue;
    }
    ts_free(y);
    y = yn;
    t += h;
    ts_tensor *yc = ts_clone(y);
    if (ode_traj_push(tr, t, yc) != 0) {
      ts_free(yc);
      break;
    }
    if (err < s->tol / 4 && h < s->h_max)
      h *= 2.0;
  }
  ts_free(y);
  return 0;
}

// OK: integrates, reports the trajectory length and frees it all
void ode_oscillator(void) {
  ode_sys s;
  ode_traj tr = {0};
  if (ode_sys_init(&s, 4.0, 0.3) != 0)
    return;
  ts_tensor *y0 = ts_from_buffer((const float[]){1.0f, 0.0f}, TS_SHAPE(2, 1),
                                 TS_FLOAT32);
  ode_integrate(&s, y0, 1.0, &tr);
  printf("ode: %d points\n", tr.n);
  ts_free(y0);
  ode_traj_free(&tr);
  ode_sys_free(&s);
}

// BUG: leak: a rejected step's candidate state is dropped without being freed
static int ode_integrate_leaky(const ode_sys *s, const ts_tensor *y0, double t1) {
  double t = 0.0, h = 0.4;
  int steps = 0;
  ts_tensor *y = ts_clone(y0);
  while (t < t1) {
    double err = 0;
    ts_tensor *yn = ode_heun(s, y, h, &err); // <- BUG
    if (err > s->tol && h > s->h_min) {
      h *= 0.5;
      continue;
    }
    ts_free(y);
    y = yn;
    t += h;
    steps++;
  }
  ts_free(y);
  return steps;
}

// OK: drives the leaky integrator (stiff enough to reject a step)
void ode_reject_steps(void) {
  ode_sys s;
  if (ode_sys_init(&s, 9.0, 0.1) != 0)
    return;
  ts_tensor *y0 = ts_ones(TS_SHAPE(2, 1), TS_FLOAT32);
  printf("ode: %d steps\n", ode_integrate_leaky(&s, y0, 0.5));
  ts_free(y0);
  ode_sys_free(&s);
}

// BUG: leak: the trajectory's arrays are freed but not the states they own
void ode_traj_shallow_free(void) {
  ode_sys s;
  ode_traj tr = {0};
  if (ode_sys_init(&s, 1.0, 0.0) != 0)
    return;
  ts_tensor *y = ts_ones(TS_SHAPE(2, 1), TS_FLOAT32);
  for (int i = 0; i < 3; i++) {
    double err;
    ts_tensor *yn = ode_heun(&s, y, 0.1, &err);
    ode_traj_push(&tr, 0.1 * (i + 1), ts_clone(yn)); // <- BUG
    ts_free(y);
    y = yn;
  }
  ts_free(y);
  free(tr.ys);
  free(tr.ts);
  ode_sys_free(&s);
}

// BUG: double-free: the final state is pushed into the trajectory and freed directly too
void ode_final_state_twice(void) {
  ode_sys s;
  ode_traj tr = {0};
  if (ode_sys_init(&s, 1.0, 0.2) != 0)
    return;
  ts_tensor *y = ts_ones(TS_SHAPE(2, 1), TS_FLOAT32);
  double err;
  ts_tensor *yn = ode_heun(&s, y, 0.05, &err);
  ts_free(y);
  ode_traj_push(&tr, 0.05, yn);
  printf("ode: err %.5f\n", err);
  ts_free(yn);
  ode_traj_free(&tr); // <- BUG
  ode_sys_free(&s);
}

// OK: dense output by linear interpolation between two stored states
static ts_tensor *ode_interp(const ode_traj *tr, double t) {
  int i = 1;
  while (i < tr->n - 1 && tr->ts[i] < t)
    i++;
  double w = (t - tr->ts[i - 1]) / (tr->ts[i] - tr->ts[i - 1]);
  ts_tensor *a = ts_mul_scalar(tr->ys[i - 1], 1.0 - w);
  ts_tensor *b = ts_mul_scalar(tr->ys[i], w);
  ts_tensor *r = ts_add(a, b);
  ts_free(b);
  ts_free(a);
  return r;
}

// OK: dense output at a few times, each result freed
void ode_dense_output(void) {
  ode_sys s;
  ode_traj tr = {0};
  if (ode_sys_init(&s, 2.0, 0.5) != 0)
    return;
  ts_tensor *y0 = ts_ones(TS_SHAPE(2, 1), TS_FLOAT32);
  ode_integrate(&s, y0, 0.6, &tr);
  for (double t = 0.05; t < 0.5; t += 0.15) {
    ts_tensor *yi = ode_interp(&tr, t);
    float v[2];
    ts_copy_to_buffer(yi, v, sizeof v);
    printf("ode: y(%.2f) = %.3f\n", t, v[0]);
    ts_free(yi);
  }
  ts_free(y0);
  ode_traj_free(&tr);
  ode_sys_free(&s);
}

// BUG: leak: the interpolated state is overwritten on each query without a free
void ode_dense_leak(void) {
  ode_sys s;
  ode_traj tr = {0};
  if (ode_sys_init(&s, 2.0, 0.5) != 0)
    return;
  ts_tensor *y0 = ts_ones(TS_SHAPE(2, 1), TS_FLOAT32);
  ode_integrate(&s, y0, 0.6, &tr);
  ts_tensor *yi = NULL;
  for (double t = 0.05; t < 0.5; t += 0.15)
    yi = ode_interp(&tr, t); // <- BUG
  ts_free(yi);
  ts_free(y0);
  ode_traj_free(&tr);
  ode_sys_free(&s);
}

static double ode_energy_sum;

// OK: the observer only borrows the state; its temporaries live in a scope
static void ode_energy_observer(double t, const ts_tensor *y, void *ctx) {
  (void)t;
  (void)ctx;
  TS_SCOPE { ode_energy_sum += ts_item(ts_sum(ts_mul(y, y))); }
}

// BUG: leak: the observer computes the energy outside any scope and drops it
static void ode_energy_observer_leaky(double t, const ts_tensor *y, void *ctx) {
  (void)t;
  (void)ctx;
  ts_tensor *sq = ts_mul(y, y);
  ts_tensor *e = ts_sum(sq); // <- BUG
  ode_energy_sum += ts_item(e);
  ts_free(sq);
}

// OK: fixed steps with a callback per step; the callback borrows
static void ode_run_observed(const ode_sys *s, int n, ode_observer cb, void *ctx) {
  ts_tensor *y = ts_ones(TS_SHAPE(2, 1), TS_FLOAT32);
  for (int i = 0; i < n; i++) {
    double err;
    ts_tensor *yn = ode_heun(s, y, 0.1, &err);
    ts_free(y);
    y = yn;
    cb(0.1 * (i + 1), y, ctx);
  }
  ts_free(y);
}

// OK: runs the scoped observer
void ode_observe_energy(void) {
  ode_sys s;
  if (ode_sys_init(&s, 1.0, 0.0) != 0)
    return;
  ode_energy_sum = 0;
  ode_run_observed(&s, 4, ode_energy_observer, NULL);
  printf("ode: energy %.3f\n", ode_energy_sum);
  ode_sys_free(&s);
}

// OK: runs the leaky observer (its bug)
void ode_observe_energy_leaky(void) {
  ode_sys s;
  if (ode_sys_init(&s, 1.0, 0.0) != 0)
    return;
  ode_run_observed(&s, 2, ode_energy_observer_leaky, NULL);
  ode_sys_free(&s);
}

// BUG: use-after-scope: the midpoint made inside the step scope is used for the next step
void ode_midpoint_scope(void) {
  ode_sys s;
  if (ode_sys_init(&s, 1.0, 0.1) != 0)
    return;
  ts_tensor *y = ts_ones(TS_SHAPE(2, 1), TS_FLOAT32);
  ts_tensor *mid = NULL;
  TS_SCOPE {
    ts_tensor *k1 = ode_rhs(&s, y);
    mid = ts_add(y, ts_mul_scalar(k1, 0.05));
  }
  ts_tensor *k2 = ts_matmul(s.A, mid); // <- BUG
  ts_free(k2);
  ts_free(y);
  ode_sys_free(&s);
}

// OK: the midpoint step with the new state escaped from the scope
void ode_midpoint_ok(void) {
  ode_sys s;
  if (ode_sys_init(&s, 1.0, 0.1) != 0)
    return;
  ts_tensor *y = ts_ones(TS_SHAPE(2, 1), TS_FLOAT32);
  for (int i = 0; i < 3; i++) {
    TS_SCOPE {
      ts_tensor *k1 = ode_rhs(&s, y);
      ts_tensor *mid = ts_add(y, ts_mul_scalar(k1, 0.05));
      ts_tensor *yn = ts_add(y, ts_mul_scalar(ode_rhs(&s, mid), 0.1));
      ts_free(y);
      y = ts_escape(yn);
    }
  }
  TS_SCOPE { printf("ode: |y| %.3f\n", ts_item(ts_sum(ts_abs(y)))); }
  ts_free(y);
  ode_sys_free(&s);
}

// BUG: unescaped-return: the RK4 combination is returned from the guard's scope
static ts_tensor *ode_rk4(const ode_sys *s, const ts_tensor *y, double h) {
  TS_SCOPE_GUARD();
  ts_tensor *k1 = ode_rhs(s, y);
  ts_tensor *k2 = ode_rhs(s, ts_add(y, ts_mul_scalar(k1, h / 2)));
  ts_tensor *k3 = ode_rhs(s, ts_add(y, ts_mul_scalar(k2, h / 2)));
  ts_tensor *k4 = ode_rhs(s, ts_add(y, ts_mul_scalar(k3, h)));
  ts_tensor *sum = ts_add(ts_add(k1, ts_mul_scalar(ts_add(k2, k3), 2.0)), k4);
  return ts_add(y, ts_mul_scalar(sum, h / 6)); // <- BUG
}

// OK: one RK4 step (the helper's bug), result read and freed
void ode_rk4_step(void) {
  ode_sys s;
  if (ode_sys_init(&s, 1.0, 0.0) != 0)
    return;
  ts_tensor *y = ts_ones(TS_SHAPE(2, 1), TS_FLOAT32);
  ts_tensor *yn = ode_rk4(&s, y, 0.1);
  float v[2] = {0, 0};
  ts_copy_to_buffer(yn, v, sizeof v);
  printf("ode: rk4 %.4f\n", v[0]);
  ts_free(yn);
  ts_free(y);
  ode_sys_free(&s);
}

// BUG: use-after-free: the state is freed when the step size underflows, then printed
void ode_underflow_uaf(void) {
  ode_sys s;
  if (ode_sys_init(&s, 50.0, 0.0) != 0)
    return;
  s.tol = 1e-9;
  ts_tensor *y = ts_ones(TS_SHAPE(2, 1), TS_FLOAT32);
  double h = 0.5;
  for (int i = 0; i < 40; i++) {
    double err;
    ts_tensor *yn = ode_heun(&s, y, h, &err);
    if (err > s.tol) {
      ts_free(yn);
      h *= 0.5;
      if (h < s.h_min) {
        ts_free(y);
        break;
      }
      continue;
    }
    ts_free(y);
    y = yn;
  }
  TS_SCOPE { printf("ode: final %.3f\n", ts_item(ts_sum(y))); } // <- BUG
  ode_sys_free(&s);
}

// OK: the underflow branch clears the pointer and the report checks it
void ode_underflow_ok(void) {
  ode_sys s;
  if (ode_sys_init(&s, 50.0, 0.0) != 0)
    return;
  s.tol = 1e-9;
  ts_tensor *y = ts_ones(TS_SHAPE(2, 1), TS_FLOAT32);
  double h = 0.5;
  for (int i = 0; i < 40 && y; i++) {
    double err;
    ts_tensor *yn = ode_heun(&s, y, h, &err);
    if (err > s.tol) {
      ts_free(yn);
      h *= 0.5;
      if (h < s.h_min) {
        ts_free(y);
        y = NULL;
      }
      continue;
    }
    ts_free(y);
    y = yn;
  }
  if (y) {
    TS_SCOPE { printf("ode: final %.3f\n", ts_item(ts_sum(y))); }
    ts_free(y);
  }
  ode_sys_free(&s);
}

// BUG: leak: an early exit on a non-finite error skips freeing both states
static int ode_check_step(const ode_sys *s, const ts_tensor *y0, double h) {
  ts_tensor *y = ts_clone(y0); // <- BUG
  double err = 0;
  ts_tensor *yn = ode_heun(s, y, h, &err);
  if (!(err < 1e6))
    return -1;
  ts_free(yn);
  ts_free(y);
  return 0;
}

// OK: drives the check with a huge step so the error blows up
void ode_blowup(void) {
  ode_sys s;
  if (ode_sys_init(&s, 1e6, 0.0) != 0)
    return;
  ts_tensor *y0 = ts_ones(TS_SHAPE(2, 1), TS_FLOAT32);
  if (ode_check_step(&s, y0, 1e6) != 0)
    printf("ode: step refused\n");
  ts_free(y0);
  ode_sys_free(&s);
}
