/*
 * heldout10_ik.c - inverse kinematics of a planar arm: joint angles and link
 * lengths in a struct, forward kinematics, a numerical Jacobian built column
 * by column, Jacobian-transpose and autograd solvers, joint limits behind
 * function pointers, a trajectory of waypoints made with a cleanup loop,
 * solves in ts_run and in scoped loops.
 *
 * Labels (see README.md): `// OK: why` or `// BUG: check: why` on the line
 * before each function; the line of the bug itself ends in `// <- BUG`.
 */
#include <stdio.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { J = 3, WAY = 4 };

typedef struct {
  ts_tensor *q;   /* [J] joint angles */
  ts_tensor *len; /* [J] link lengths */
  int solves;
} arm;

typedef ts_tensor *(*limit_fn)(ts_tensor *q);

typedef struct {
  ts_tensor *target; /* [2] */
  double tol;
} goal;

// OK: angles and lengths, the first freed if the second fails
static int arm_init(arm *a) {
  a->solves = 0;
  a->q = ts_full(TS_SHAPE(J), TS_FLOAT32, 0.3);
  if (!a->q)
    return -1;
  a->len = ts_ones(TS_SHAPE(J), TS_FLOAT32);
  if (!a->len) {
    ts_free(a->q);
    a->q = NULL;
    return -1;
  }
  return 0;
}

// OK: frees both fields
static void arm_free(arm *a) {
  ts_free(a->q);
  ts_free(a->len);
  a->q = a->len = NULL;
}

// OK: the end effector (x, y) for angles q; every temporary freed
static ts_tensor *fk(const arm *a, const ts_tensor *q) {
  ts_tensor *cum = ts_cumsum(q, 0, TS_NO_DTYPE);
  ts_tensor *c = ts_cos(cum);
  ts_tensor *s = ts_sin(cum);
  ts_tensor *lc = ts_mul(a->len, c);
  ts_tensor *ls = ts_mul(a->len, s);
  ts_tensor *x = ts_sum(lc);
  ts_tensor *y = ts_sum(ls);
  const ts_tensor *xy[2] = {x, y};
  ts_tensor *p = ts_stack(xy, 2, 0);
  ts_free(y);
  ts_free(x);
  ts_free(ls);
  ts_free(lc);
  ts_free(s);
  ts_free(c);
  ts_free(cum);
  return p;
}

// OK: in the caller's scope: no frees needed
TS_CALLER_SCOPE static ts_tensor *fk_scoped(const arm *a, const ts_tensor *q) {
  ts_tensor *cum = ts_cumsum(q, 0, TS_NO_DTYPE);
  const ts_tensor *xy[2] = {ts_sum(ts_mul(a->len, ts_cos(cum))),
                            ts_sum(ts_mul(a->len, ts_sin(cum)))};
  return ts_stack(xy, 2, 0);
}

// OK: the Jacobian [2, J] by forward differences; columns freed after stacking
static ts_tensor *jacobian(const arm *a, double eps) {
  ts_tensor *p = fk(a, a->q);
  ts_tensor *cols[J];
  for (int j = 0; j < J; j++) {
    float e[J] = {0};
    e[j] = (float)eps;
    ts_tensor *de = ts_from_buffer(e, TS_SHAPE(J), TS_FLOAT32);
    ts_tensor *q2 = ts_add(a->q, de);
    ts_tensor *p2 = fk(a, q2);
    ts_tensor *diff = ts_sub(p2, p);
    cols[j] = ts_mul_scalar(diff, 1.0 / eps);
    ts_free(diff);
    ts_free(p2);
    ts_free(q2);
    ts_free(de);
  }
  ts_tensor *jac = ts_stack((const ts_tensor **)cols, J, 1);
  for (int j = 0; j < J; j++)
    ts_free(cols[j]);
  ts_free(p);
  return jac;
}

// BUG: leak: each column's perturbed angles are never freed
static ts_tensor *jacobian_fast(const arm *a, double eps) {
  ts_tensor *p = fk(a, a->q);
  ts_tensor *cols[J];
  for (int j = 0; j < J; j++) {
    float e[J] = {0};
    e[j] = (float)eps;
    ts_tensor *de = ts_from_buffer(e, TS_SHAPE(J), TS_FLOAT32);
    ts_tensor *q2 = ts_add(a->q, de); // <- BUG
    ts_tensor *p2 = fk(a, q2);
    ts_tensor *diff = ts_sub(p2, p);
    cols[j] = ts_mul_scalar(diff, 1.0 / eps);
    ts_free(diff);
    ts_free(p2);
    ts_free(de);
  }
  ts_tensor *jac = ts_stack((const ts_tensor **)cols, J, 1);
  for (int j = 0; j < J; j++)
    ts_free(cols[j]);
  ts_free(p);
  return jac;
}

// OK: the Jacobian and its fast twin's shape
void ik_jacobian(void) {
  arm a;
  if (arm_init(&a) != 0)
    return;
  ts_tensor *jac = jacobian(&a, 1e-3);
  printf("jacobian %lldx%lld\n", (long long)ts_size(jac, 0),
         (long long)ts_size(jac, 1));
  ts_free(jac);
  arm_free(&a);
}

// OK: uses the fast Jacobian
void ik_jacobian_fast(void) {
  arm a;
  if (arm_init(&a) != 0)
    return;
  ts_tensor *jac = jacobian_fast(&a, 1e-3);
  ts_tensor *s = ts_sum(jac);
  printf("jacobian sum %.3f\n", ts_item(s));
  ts_free(s);
  ts_free(jac);
  arm_free(&a);
}

// OK: one Jacobian-transpose step: q += alpha J' (target - p)
static void jt_step(arm *a, const ts_tensor *target, double alpha) {
  ts_tensor *p = fk(a, a->q);
  ts_tensor *err = ts_sub(target, p);
  ts_tensor *jac = jacobian(a, 1e-3);
  ts_tensor *jt = ts_transpose(jac, 0, 1);
  ts_tensor *e2 = ts_reshape(err, TS_SHAPE(2, 1));
  ts_tensor *dq2 = ts_matmul(jt, e2);
  ts_tensor *dq = ts_reshape(dq2, TS_SHAPE(J));
  ts_tensor *step = ts_mul_scalar(dq, alpha);
  ts_tensor *next = ts_add(a->q, step);
  ts_free(step);
  ts_free(dq);
  ts_free(dq2);
  ts_free(e2);
  ts_free(jt);
  ts_free(jac);
  ts_free(err);
  ts_free(p);
  ts_free(a->q);
  a->q = next;
}

// OK: the remaining distance to the target
static double distance(const arm *a, const ts_tensor *target) {
  ts_tensor *p = fk(a, a->q);
  ts_tensor *l = ts_mse_loss(p, target);
  double d = ts_item(l);
  ts_free(l);
  ts_free(p);
  return d;
}

// OK: steps until close, the goal's target freed at the end
void ik_solve(void) {
  arm a;
  if (arm_init(&a) != 0)
    return;
  goal g = {ts_from_buffer((float[]){1.5f, 1.0f}, TS_SHAPE(2), TS_FLOAT32),
            1e-4};
  for (int it = 0; it < 8 && distance(&a, g.target) > g.tol; it++)
    jt_step(&a, g.target, 0.2);
  printf("distance %.5f\n", distance(&a, g.target));
  ts_free(g.target);
  arm_free(&a);
}

// BUG: leak: when the first check finds the arm already close, the error
// tensor is returned past without being freed
static int solve_checked(arm *a, const ts_tensor *target, double tol) {
  for (int it = 0; it < 5; it++) {
    ts_tensor *p = fk(a, a->q);
    ts_tensor *err = ts_mse_loss(p, target);
    ts_free(p);
    if (ts_item(err) < tol)
      return it; // <- BUG
    ts_free(err);
    jt_step(a, target, 0.2);
  }
  return -1;
}

// OK: a checked solve towards a target the arm almost reaches already
void ik_solve_checked(void) {
  arm a;
  if (arm_init(&a) != 0)
    return;
  ts_tensor *target = fk(&a, a.q);
  printf("iterations %d\n", solve_checked(&a, target, 1.0));
  ts_free(target);
  arm_free(&a);
}

// OK: autograd: the gradient handle of each step is freed
void ik_solve_autograd(void) {
  arm a;
  if (arm_init(&a) != 0)
    return;
  ts_tensor *target =
      ts_from_buffer((float[]){1.0f, 1.5f}, TS_SHAPE(2), TS_FLOAT32);
  ts_requires_grad(a.q, true);
  for (int it = 0; it < 3; it++) {
    ts_tensor *p = fk(&a, a.q);
    ts_tensor *loss = ts_mse_loss(p, target);
    ts_backward(loss);
    ts_tensor *g = ts_grad(a.q);
    if (g) {
      ts_tensor *ab = ts_abs(g);
      ts_tensor *gn = ts_sum(ab);
      printf("grad %.4f\n", ts_item(gn));
      ts_free(gn);
      ts_free(ab);
      ts_free(g);
    }
    ts_sgd_step(a.q, 0.1);
    ts_zero_grad(a.q);
    ts_free(loss);
    ts_free(p);
  }
  ts_free(target);
  arm_free(&a);
}

// BUG: leak: the gradient handle ts_grad returns is read and never freed
void ik_solve_autograd_norm(void) {
  arm a;
  if (arm_init(&a) != 0)
    return;
  ts_tensor *target =
      ts_from_buffer((float[]){1.0f, 1.5f}, TS_SHAPE(2), TS_FLOAT32);
  ts_requires_grad(a.q, true);
  for (int it = 0; it < 2; it++) {
    ts_tensor *p = fk(&a, a.q);
    ts_tensor *loss = ts_mse_loss(p, target);
    ts_backward(loss);
    ts_tensor *g = ts_grad(a.q); // <- BUG
    if (g) {
      ts_tensor *gn = ts_mean(g);
      printf("mean grad %.4f\n", ts_item(gn));
      ts_free(gn);
    }
    ts_sgd_step(a.q, 0.1);
    ts_zero_grad(a.q);
    ts_free(loss);
    ts_free(p);
  }
  ts_free(target);
  arm_free(&a);
}

// OK: a new tensor of clamped angles
static ts_tensor *clamp_new(ts_tensor *q) { return ts_clamp(q, -1.0, 1.0); }

// OK: clamps in place and returns the same handle
static ts_tensor *clamp_inplace(ts_tensor *q) {
  return ts_clamp_(q, -0.5, 0.5);
}

// OK: replaces the angles with the limited ones; meant for limits that make a
// new tensor
static void apply_limit(arm *a, limit_fn f) {
  ts_tensor *next = f(a->q);
  ts_free(a->q);
  a->q = next;
}

// OK: a limit that makes a new tensor
void ik_limits(void) {
  arm a;
  if (arm_init(&a) != 0)
    return;
  apply_limit(&a, clamp_new);
  ts_tensor *s = ts_sum(a.q);
  printf("limited %.3f\n", ts_item(s));
  ts_free(s);
  arm_free(&a);
}

// BUG: use-after-free: apply_limit frees the old angles, which the in-place
// limit returned as the new ones
void ik_limits_inplace(void) {
  arm a;
  if (arm_init(&a) != 0)
    return;
  apply_limit(&a, clamp_inplace);
  ts_tensor *s = ts_sum(a.q); // <- BUG
  printf("limited %.3f\n", ts_item(s));
  ts_free(s);
  arm_free(&a);
}

// OK: the in-place limit applied directly: nothing to replace
void ik_limits_inplace_ok(void) {
  arm a;
  if (arm_init(&a) != 0)
    return;
  clamp_inplace(a.q);
  ts_tensor *s = ts_sum(a.q);
  printf("limited %.3f\n", ts_item(s));
  ts_free(s);
  arm_free(&a);
}

// OK: n waypoints; a failure at fail_at frees the ones made before it
static int make_waypoints(const arm *a, ts_tensor *w[], int n, int fail_at) {
  int i;
  for (i = 0; i < n; i++) {
    ts_tensor *q = ts_mul_scalar(a->q, 1.0 + 0.1 * i);
    w[i] = fk(a, q);
    ts_free(q);
    if (i == fail_at) {
      ts_free(w[i]);
      goto fail;
    }
  }
  return 0;
fail:
  for (int j = 0; j < i; j++)
    ts_free(w[j]);
  return -1;
}

// BUG: double-free: the cleanup loop also frees the failing waypoint, which
// was freed before the jump
static int make_waypoints_strict(const arm *a, ts_tensor *w[], int n,
                                 int fail_at) {
  int i;
  for (i = 0; i < n; i++) {
    ts_tensor *q = ts_mul_scalar(a->q, 1.0 + 0.1 * i);
    w[i] = fk(a, q);
    ts_free(q);
    if (i == fail_at) {
      ts_free(w[i]);
      goto fail;
    }
  }
  return 0;
fail:
  for (int j = 0; j <= i; j++)
    ts_free(w[j]); // <- BUG
  return -1;
}

// OK: frees n waypoints
static void free_waypoints(ts_tensor *w[], int n) {
  for (int i = 0; i < n; i++)
    ts_free(w[i]);
}

// OK: a full trajectory, its length, freed
void ik_trajectory(void) {
  arm a;
  ts_tensor *w[WAY];
  if (arm_init(&a) != 0)
    return;
  if (make_waypoints(&a, w, WAY, -1) == 0) {
    ts_tensor *d = ts_sub(w[WAY - 1], w[0]);
    ts_tensor *s = ts_sum(d);
    printf("span %.3f\n", ts_item(s));
    ts_free(s);
    ts_free(d);
    free_waypoints(w, WAY);
  }
  arm_free(&a);
}

// OK: a failing trajectory cleans up after itself
void ik_trajectory_fail(void) {
  arm a;
  ts_tensor *w[WAY];
  if (arm_init(&a) != 0)
    return;
  if (make_waypoints(&a, w, WAY, 2) != 0)
    printf("trajectory failed\n");
  arm_free(&a);
}

// OK: the strict maker on its failing path
void ik_trajectory_strict(void) {
  arm a;
  ts_tensor *w[WAY];
  if (arm_init(&a) != 0)
    return;
  if (make_waypoints_strict(&a, w, WAY, 1) != 0)
    printf("trajectory failed\n");
  arm_free(&a);
}

// OK: solves in ts_run's scope, keeps the new angles for the arm and escapes
// the final position
static void *solve_job(void *ctx) {
  arm *a = ctx;
  ts_tensor *target =
      ts_from_buffer((float[]){1.2f, 1.2f}, TS_SHAPE(2), TS_FLOAT32);
  for (int it = 0; it < 3; it++)
    jt_step(a, target, 0.2);
  ts_keep(a->q); /* made in this scope, the arm's from now on */
  return ts_escape(fk_scoped(a, a->q));
}

// BUG: unescaped-return: the final position is returned from ts_run's scope
// without ts_escape
static void *solve_job_quick(void *ctx) {
  arm *a = ctx;
  ts_tensor *target =
      ts_from_buffer((float[]){1.2f, 1.2f}, TS_SHAPE(2), TS_FLOAT32);
  jt_step(a, target, 0.2);
  ts_keep(a->q);
  return fk_scoped(a, a->q); // <- BUG
}

// OK: the escaped position, freed
void ik_run(void) {
  arm a;
  if (arm_init(&a) != 0)
    return;
  ts_tensor *p = ts_run(solve_job, &a);
  ts_tensor *s = ts_sum(p);
  printf("reached %.3f\n", ts_item(s));
  ts_free(s);
  ts_free(p);
  arm_free(&a);
}

// OK: uses the quick job's position
void ik_run_quick(void) {
  arm a;
  if (arm_init(&a) != 0)
    return;
  ts_tensor *p = ts_run(solve_job_quick, &a);
  ts_tensor *s = ts_sum(p);
  printf("reached %.3f\n", ts_item(s));
  ts_free(s);
  ts_free(p);
  arm_free(&a);
}

// BUG: use-after-scope: the best pose is kept from an iteration's scope and
// read after the loop
void ik_best_pose(void) {
  arm a;
  if (arm_init(&a) != 0)
    return;
  ts_tensor *best = NULL;
  double best_y = -1e9;
  int k = 0;
  TS_SCOPE while (k < 3) {
    ts_tensor *q = ts_mul_scalar(a.q, 1.0 + k);
    ts_tensor *p = fk_scoped(&a, q);
    double y = ts_item(ts_select_int(p, 0, 1));
    if (y > best_y) {
      best_y = y;
      best = p;
    }
    k++;
  }
  ts_tensor *s = ts_sum(best); // <- BUG
  printf("best %.3f\n", ts_item(s));
  ts_free(s);
  arm_free(&a);
}

// OK: the best pose escapes its iteration; the one it replaces is freed
void ik_best_pose_ok(void) {
  arm a;
  if (arm_init(&a) != 0)
    return;
  ts_tensor *best = NULL;
  double best_y = -1e9;
  int k = 0;
  TS_SCOPE while (k < 3) {
    ts_tensor *q = ts_mul_scalar(a.q, 1.0 + k);
    ts_tensor *p = fk_scoped(&a, q);
    double y = ts_item(ts_select_int(p, 0, 1));
    if (y > best_y) {
      best_y = y;
      if (best)
        ts_free(best);
      best = ts_escape(p);
    }
    k++;
  }
  ts_tensor *s = ts_sum(best);
  printf("best %.3f\n", ts_item(s));
  ts_free(s);
  ts_free(best);
  arm_free(&a);
}

// BUG: use-after-free: the start angles are the arm's, freed by the step that
// replaced them
void ik_progress(void) {
  arm a;
  if (arm_init(&a) != 0)
    return;
  ts_tensor *target =
      ts_from_buffer((float[]){0.5f, 2.0f}, TS_SHAPE(2), TS_FLOAT32);
  ts_tensor *start = a.q;
  jt_step(&a, target, 0.2);
  ts_tensor *moved = ts_sub(a.q, start); // <- BUG
  ts_free(moved);
  ts_free(target);
  arm_free(&a);
}

// OK: the start angles are a copy of their own
void ik_progress_ok(void) {
  arm a;
  if (arm_init(&a) != 0)
    return;
  ts_tensor *target =
      ts_from_buffer((float[]){0.5f, 2.0f}, TS_SHAPE(2), TS_FLOAT32);
  ts_tensor *start = ts_clone(a.q);
  jt_step(&a, target, 0.2);
  ts_tensor *moved = ts_sub(a.q, start);
  ts_tensor *s = ts_sum(moved);
  printf("moved %.3f\n", ts_item(s));
  ts_free(s);
  ts_free(moved);
  ts_free(start);
  ts_free(target);
  arm_free(&a);
}

// BUG: double-free: the second goal shares the first one's target and both
// are freed
void ik_goals_shared(void) {
  arm a;
  if (arm_init(&a) != 0)
    return;
  goal g1 = {ts_from_buffer((float[]){1.0f, 1.0f}, TS_SHAPE(2), TS_FLOAT32),
             1e-3};
  goal g2 = g1;
  g2.tol = 1e-5;
  printf("d1 %.4f d2 %.4f\n", distance(&a, g1.target), distance(&a, g2.target));
  ts_free(g1.target);
  ts_free(g2.target); // <- BUG
  arm_free(&a);
}

// OK: the second goal's target is a copy
void ik_goals_copied(void) {
  arm a;
  if (arm_init(&a) != 0)
    return;
  goal g1 = {ts_from_buffer((float[]){1.0f, 1.0f}, TS_SHAPE(2), TS_FLOAT32),
             1e-3};
  goal g2 = {ts_clone(g1.target), 1e-5};
  printf("d1 %.4f d2 %.4f\n", distance(&a, g1.target), distance(&a, g2.target));
  ts_free(g1.target);
  ts_free(g2.target);
  arm_free(&a);
}
