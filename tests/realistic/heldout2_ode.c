/* heldout2_ode.c - ODE integrators over tensors: right-hand sides through
 * function pointers, Euler and RK4 steps, step-doubling adaptive steps, a
 * ping-pong buffer pair through out= operators, trajectories and a solver
 * run through ts_run. Labels: tests/realistic/README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

typedef ts_tensor *(*rhs_fn)(const ts_tensor *y, double t, void *ctx);

struct linear_sys {
  ts_tensor *A; /* dy/dt = A y */
};

// OK: exponential decay, dy/dt = -k y; a new tensor for the caller
static ts_tensor *decay_rhs(const ts_tensor *y, double t, void *ctx) {
  (void)t;
  double k = ctx ? *(const double *)ctx : 1.0;
  return ts_mul_scalar(y, -k);
}

// OK: a linear system; the matrix is borrowed from the context
static ts_tensor *linear_rhs(const ts_tensor *y, double t, void *ctx) {
  (void)t;
  const struct linear_sys *s = ctx;
  return ts_matmul(s->A, y);
}

// OK: y + h f(y): both temporaries freed, the new state returned
static ts_tensor *euler_step(rhs_fn f, const ts_tensor *y, double t, double h,
                             void *ctx) {
  ts_tensor *k = f(y, t, ctx);
  ts_tensor *dy = ts_mul_scalar(k, h);
  ts_tensor *y1 = ts_add(y, dy);
  ts_free(dy);
  ts_free(k);
  return y1;
}

// OK: classic RK4; the four slopes live in an array freed by one loop
static ts_tensor *rk4_step(rhs_fn f, const ts_tensor *y, double t, double h,
                           void *ctx) {
  ts_tensor *k[4];
  k[0] = f(y, t, ctx);
  ts_tensor *y1 = ts_add_Tensor(y, k[0], h / 2);
  k[1] = f(y1, t + h / 2, ctx);
  ts_tensor *y2 = ts_add_Tensor(y, k[1], h / 2);
  k[2] = f(y2, t + h / 2, ctx);
  ts_tensor *y3 = ts_add_Tensor(y, k[2], h);
  k[3] = f(y3, t + h, ctx);
  ts_tensor *s = ts_add_Tensor(k[0], k[1], 2.0);
  ts_add_Tensor_(s, k[2], 2.0);
  ts_add_Tensor_(s, k[3], 1.0);
  ts_tensor *out = ts_add_Tensor(y, s, h / 6);
  ts_free(s);
  ts_free(y3);
  ts_free(y2);
  ts_free(y1);
  for (int i = 0; i < 4; i++)
    ts_free(k[i]);
  return out;
}

// BUG: leak: the midpoint method frees its first slope but not the second
static ts_tensor *midpoint_step(rhs_fn f, const ts_tensor *y, double t,
                                double h, void *ctx) {
  ts_tensor *k1 = f(y, t, ctx);
  ts_tensor *ym = ts_add_Tensor(y, k1, h / 2);
  ts_tensor *k2 = f(ym, t + h / 2, ctx); // <- BUG
  ts_tensor *out = ts_add_Tensor(y, k2, h);
  ts_free(ym);
  ts_free(k1);
  return out;
}

// OK: fixed-step integration; each old state is freed when replaced
static ts_tensor *integrate(rhs_fn f, const ts_tensor *y0, double t1, int n,
                            void *ctx) {
  ts_tensor *y = ts_clone(y0);
  double h = t1 / n;
  for (int i = 0; i < n && y; i++) {
    ts_tensor *next = rk4_step(f, y, i * h, h, ctx);
    ts_free(y);
    y = next;
  }
  return y;
}

// OK: decay to t = 1 with RK4, and a midpoint step (its leak is its own)
void ode_decay(void) {
  double k = 0.5;
  ts_tensor *y0 = ts_ones(TS_SHAPE(3), TS_FLOAT32);
  ts_tensor *y = integrate(decay_rhs, y0, 1.0, 10, &k);
  ts_tensor *m = midpoint_step(decay_rhs, y0, 0.0, 0.1, &k);
  ts_tensor *first = ts_select_int(y, 0, 0);
  printf("decay: %.4f\n", ts_item(first));
  ts_free(first);
  ts_free(m);
  ts_free(y);
  ts_free(y0);
}

// OK: step doubling; a rejected step frees its candidate and halves h
static ts_tensor *integrate_adaptive(rhs_fn f, const ts_tensor *y0, double t1,
                                     double tol, void *ctx) {
  ts_tensor *y = ts_clone(y0);
  double t = 0, h = 0.5;
  while (t < t1 - 1e-12 && h > 1e-6) {
    if (t + h > t1)
      h = t1 - t;
    ts_tensor *full = rk4_step(f, y, t, h, ctx);
    ts_tensor *mid = rk4_step(f, y, t, h / 2, ctx);
    ts_tensor *half = rk4_step(f, mid, t + h / 2, h / 2, ctx);
    ts_tensor *diff = ts_sub(full, half);
    ts_tensor *nrm = ts_norm_Scalar(diff, 2.0);
    double err = ts_item(nrm);
    ts_free(nrm);
    ts_free(diff);
    ts_free(mid);
    ts_free(full);
    if (err > tol) {
      ts_free(half);
      h /= 2;
      continue;
    }
    ts_free(y);
    y = half;
    t += h;
    if (err < tol / 32)
      h *= 2;
  }
  return y;
}

// BUG: leak: a rejected step halves h but never frees the candidate
static ts_tensor *integrate_adaptive_fast(rhs_fn f, const ts_tensor *y0,
                                          double t1, double tol, void *ctx) {
  ts_tensor *y = ts_clone(y0);
  double t = 0, h = 0.5;
  while (t < t1 - 1e-12 && h > 1e-6) {
    if (t + h > t1)
      h = t1 - t;
    ts_tensor *full = rk4_step(f, y, t, h, ctx);
    ts_tensor *mid = rk4_step(f, y, t, h / 2, ctx);
    ts_tensor *half = rk4_step(f, mid, t + h / 2, h / 2, ctx); // <- BUG
    ts_tensor *diff = ts_sub(full, half);
    ts_tensor *nrm = ts_norm_Scalar(diff, 2.0);
    double err = ts_item(nrm);
    ts_free(nrm);
    ts_free(diff);
    ts_free(mid);
    ts_free(full);
    if (err > tol) {
      h /= 2;
      continue;
    }
    ts_free(y);
    y = half;
    t += h;
  }
  return y;
}

// OK: drives the adaptive integrator with a tolerance that rejects steps
void ode_adaptive(void) {
  double k = 3.0;
  ts_tensor *y0 = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  ts_tensor *y = integrate_adaptive(decay_rhs, y0, 1.0, 1e-5, &k);
  printf("adaptive: %lld\n", (long long)ts_numel(y));
  ts_free(y);
  ts_free(y0);
}

// OK: drives the fast adaptive integrator (its leak is its own)
void ode_adaptive_fast(void) {
  double k = 3.0;
  ts_tensor *y0 = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  ts_tensor *y = integrate_adaptive_fast(decay_rhs, y0, 1.0, 1e-5, &k);
  printf("adaptive fast: %lld\n", (long long)ts_numel(y));
  ts_free(y);
  ts_free(y0);
}

// BUG: use-after-free: the trajectory keeps the handles of states that the
// loop frees when it advances
void ode_trajectory(void) {
  ts_tensor *traj[8];
  double k = 1.0;
  ts_tensor *y = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  for (int i = 0; i < 8; i++) {
    traj[i] = y;
    ts_tensor *y1 = euler_step(decay_rhs, y, 0.1 * i, 0.1, &k);
    ts_free(y);
    y = y1;
  }
  ts_tensor *d = ts_sub(y, traj[3]); // <- BUG
  printf("moved %lld\n", (long long)ts_numel(d));
  ts_free(d);
  ts_free(y);
}

// OK: the trajectory holds clones; all of them are freed afterwards
void ode_trajectory_ok(void) {
  ts_tensor *traj[8];
  double k = 1.0;
  ts_tensor *y = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  for (int i = 0; i < 8; i++) {
    traj[i] = ts_clone(y);
    ts_tensor *y1 = euler_step(decay_rhs, y, 0.1 * i, 0.1, &k);
    ts_free(y);
    y = y1;
  }
  ts_tensor *d = ts_sub(y, traj[3]);
  printf("moved %lld\n", (long long)ts_numel(d));
  ts_free(d);
  for (int i = 7; i >= 0; i--)
    ts_free(traj[i]);
  ts_free(y);
}

// OK: true when every element is finite; the masks are freed
static int all_finite(const ts_tensor *y) {
  ts_tensor *fin = ts_isfinite(y);
  ts_tensor *all = ts_all(fin);
  int ok = ts_item(all) != 0;
  ts_free(all);
  ts_free(fin);
  return ok;
}

// BUG: double-free: a blown-up solution is freed in the check and again at
// the end
void ode_stiff(void) {
  double k = 1000.0;
  ts_tensor *y = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  for (int i = 0; i < 200; i++) {
    ts_tensor *y1 = euler_step(decay_rhs, y, 0.1 * i, 0.1, &k);
    ts_free(y);
    y = y1;
  }
  if (!all_finite(y)) {
    fprintf(stderr, "ode: explicit Euler blew up, use a smaller step\n");
    ts_free(y);
  }
  ts_free(y); // <- BUG
}

// OK: the same check, with the handle cleared after the first free
void ode_stiff_ok(void) {
  double k = 1000.0;
  ts_tensor *y = ts_ones(TS_SHAPE(2), TS_FLOAT32);
  for (int i = 0; i < 200; i++) {
    ts_tensor *y1 = euler_step(decay_rhs, y, 0.1 * i, 0.1, &k);
    ts_free(y);
    y = y1;
  }
  if (!all_finite(y)) {
    fprintf(stderr, "ode: explicit Euler blew up, use a smaller step\n");
    ts_free(y);
    y = NULL;
  }
  if (y)
    ts_free(y);
}

struct solve_job {
  rhs_fn f;
  void *ctx;
  const ts_tensor *y0;
  ts_tensor *y; /* result */
};

// OK: a ts_run job that escapes its result into the job struct
static void *solve_job_run(void *arg) {
  struct solve_job *j = arg;
  ts_tensor *y = integrate(j->f, j->y0, 1.0, 8, j->ctx);
  j->y = ts_escape(y);
  return j->y;
}

// OK: a ts_run job that leaves its result in the struct without escaping it
static void *solve_job_run_plain(void *arg) {
  struct solve_job *j = arg;
  ts_tensor *y = ts_clone(j->y0);
  for (int i = 0; i < 4; i++) {
    ts_tensor *next = rk4_step(j->f, y, 0.25 * i, 0.25, j->ctx);
    ts_free(y);
    y = next;
  }
  j->y = y;
  return NULL;
}

// OK: the escaped result outlives ts_run's scope and is freed here
void ode_run_job(void) {
  double k = 2.0;
  ts_tensor *y0 = ts_ones(TS_SHAPE(4), TS_FLOAT32);
  struct solve_job j = {decay_rhs, &k, y0, NULL};
  ts_run(solve_job_run, &j);
  printf("job: %lld\n", (long long)ts_numel(j.y));
  ts_free(j.y);
  ts_free(y0);
}

// BUG: use-after-scope: the job's result was made inside ts_run's scope and
// not escaped; reading it after ts_run returns reads a freed tensor
void ode_run_job_plain(void) {
  double k = 2.0;
  ts_tensor *y0 = ts_ones(TS_SHAPE(4), TS_FLOAT32);
  struct solve_job j = {decay_rhs, &k, y0, NULL};
  ts_run(solve_job_run_plain, &j);
  printf("job: %lld\n", (long long)ts_numel(j.y)); // <- BUG
  ts_free(y0);
}

// BUG: unescaped-return: the rotated point is returned from inside the
// TS_SCOPE block without ts_escape
static ts_tensor *rotate(const ts_tensor *y, double t) {
  const float r[4] = {(float)cos(t), (float)-sin(t), (float)sin(t),
                      (float)cos(t)};
  TS_SCOPE {
    ts_tensor *R = ts_from_buffer(r, TS_SHAPE(2, 2), TS_FLOAT32);
    return ts_matmul(R, y); // <- BUG
  }
}

// OK: uses and frees the rotated point (the helper is wrong)
void ode_rotate(void) {
  ts_tensor *y = ts_ones(TS_SHAPE(2, 1), TS_FLOAT32);
  ts_tensor *r = rotate(y, 0.3);
  printf("rotated %lld\n", (long long)ts_numel(r));
  ts_free(r);
  ts_free(y);
}

// OK: Euler steps into a pair of buffers through out= calls, swapped each
// step; the two buffers are freed once each
void ode_pingpong(void) {
  ts_tensor *a = ts_ones(TS_SHAPE(3), TS_FLOAT32);
  ts_tensor *b = ts_empty(TS_SHAPE(3), TS_FLOAT32);
  ts_tensor *dy = ts_empty(TS_SHAPE(3), TS_FLOAT32);
  for (int i = 0; i < 5; i++) {
    ts_mul_Scalar_out(a, -0.1, dy);
    ts_add_Tensor_out(a, dy, 1.0, b);
    ts_tensor *t = a;
    a = b;
    b = t;
  }
  printf("pingpong %lld\n", (long long)ts_numel(a));
  ts_free(dy);
  ts_free(b);
  ts_free(a);
}

// BUG: double-free: the out= call hands back its out buffer; the result and
// the buffer are both freed
void ode_pingpong_result(void) {
  ts_tensor *a = ts_ones(TS_SHAPE(3), TS_FLOAT32);
  ts_tensor *buf = ts_empty(TS_SHAPE(3), TS_FLOAT32);
  ts_tensor *dy = ts_mul_scalar(a, -0.1);
  ts_tensor *next = ts_add_Tensor_out(a, dy, 1.0, buf);
  printf("next %lld\n", (long long)ts_numel(next));
  ts_free(next);
  ts_free(dy);
  ts_free(a);
  ts_free(buf); // <- BUG
}

// OK: a table of systems integrated in turn; the system matrix belongs to
// the context struct and is freed after the loop
void ode_systems(void) {
  const float rot[4] = {0, 1, -1, 0};
  struct linear_sys sys = {ts_from_buffer(rot, TS_SHAPE(2, 2), TS_FLOAT32)};
  double k = 0.3;
  const struct {
    const char *name;
    rhs_fn f;
    void *ctx;
  } table[] = {{"decay", decay_rhs, &k}, {"rotation", linear_rhs, &sys}};
  ts_tensor *y0 = ts_ones(TS_SHAPE(2, 1), TS_FLOAT32);
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
    ts_tensor *y = integrate(table[i].f, y0, 1.0, 16, table[i].ctx);
    printf("%s: %lld\n", table[i].name, (long long)ts_numel(y));
    ts_free(y);
  }
  ts_free(y0);
  ts_free(sys.A);
}
