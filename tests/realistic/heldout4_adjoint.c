/* heldout4_adjoint.c - a neural ODE trained with the adjoint method by
 * hand: dynamics tanh(z W^T + b), RK4 integration under manual scopes, a
 * trajectory kept in a malloc'd array, vector-Jacobian products through
 * autograd, the adjoint integrated backwards with gradient accumulators,
 * a comparison with backpropagation through the unrolled solver, adaptive
 * step sizes and checkpointed recomputation.
 * Labels: tests/realistic/README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/nn.h>
#include <tsmem/ops.h>

enum { ZD = 3, NB = 5, STEPS = 8 };

struct odefunc {
  ts_tensor *W; /* [ZD, ZD], requires grad */
  ts_tensor *b; /* [ZD] */
};

struct traj {
  ts_tensor **z; /* malloc'd, n states */
  int n;
};

/* Helpers that take ownership of a tensor argument. */
static ts_tensor *advance(const struct odefunc *f, ts_tensor *z, double h)
    TS_CONSUMES(2);

// OK: small random dynamics; W is freed if b cannot be made
static int odefunc_init(struct odefunc *f) {
  f->W = ts_randn(TS_SHAPE(ZD, ZD), TS_FLOAT32);
  if (!f->W)
    return -1;
  ts_mul_Scalar_(f->W, 0.3);
  f->b = ts_zeros(TS_SHAPE(ZD), TS_FLOAT32);
  if (!f->b) {
    ts_free(f->W);
    f->W = NULL;
    return -1;
  }
  ts_requires_grad(f->W, true);
  ts_requires_grad(f->b, true);
  return 0;
}

// OK: frees both parameters
static void odefunc_free(struct odefunc *f) {
  ts_free(f->W);
  ts_free(f->b);
  f->W = f->b = NULL;
}

// OK: dz/dt in the caller's scope
TS_CALLER_SCOPE static ts_tensor *f_eval(const struct odefunc *f,
                                         const ts_tensor *z) {
  return ts_tanh(ts_add(ts_mm(z, ts_t(f->W)), f->b));
}

// OK: one RK4 step in the caller's scope
TS_CALLER_SCOPE static ts_tensor *rk4_step(const struct odefunc *f,
                                           const ts_tensor *z, double h) {
  ts_tensor *k1 = f_eval(f, z);
  ts_tensor *k2 = f_eval(f, ts_add(z, ts_mul_scalar(k1, h / 2)));
  ts_tensor *k3 = f_eval(f, ts_add(z, ts_mul_scalar(k2, h / 2)));
  ts_tensor *k4 = f_eval(f, ts_add(z, ts_mul_scalar(k3, h)));
  ts_tensor *s = ts_add(ts_add(k1, ts_mul_scalar(k2, 2.0)),
                        ts_add(ts_mul_scalar(k3, 2.0), k4));
  return ts_add(z, ts_mul_scalar(s, h / 6));
}

// OK: integrates from z0 with a manual scope per step: the new state
// escapes, the old one is freed
static ts_tensor *integrate(const struct odefunc *f, const ts_tensor *z0,
                            double T, int steps) {
  double h = T / steps;
  ts_tensor *z = ts_clone(z0);
  for (int k = 0; k < steps && z; k++) {
    ts_scope_id sc = ts_scope_begin();
    ts_tensor *next = ts_escape(rk4_step(f, z, h));
    ts_scope_end(sc);
    ts_free(z);
    z = next;
  }
  return z;
}

// OK: the whole trajectory, steps + 1 states in a malloc'd array; on a
// failed step the states made so far are freed
static int integrate_traj(const struct odefunc *f, const ts_tensor *z0,
                          double T, int steps, struct traj *tr) {
  double h = T / steps;
  tr->z = malloc(sizeof(ts_tensor *) * (size_t)(steps + 1));
  if (!tr->z)
    return -1;
  tr->z[0] = ts_detach(z0);
  tr->n = 1;
  bool was = ts_set_grad_enabled(false);
  for (int k = 0; k < steps; k++) {
    ts_tensor *next = NULL;
    TS_SCOPE { next = ts_escape(rk4_step(f, tr->z[k], h)); }
    if (!next) {
      for (int i = 0; i < tr->n; i++)
        ts_free(tr->z[i]);
      free(tr->z);
      tr->z = NULL;
      ts_set_grad_enabled(was);
      return -1;
    }
    tr->z[tr->n++] = next;
  }
  ts_set_grad_enabled(was);
  return 0;
}

// OK: frees every state and the array
static void traj_free(struct traj *tr) {
  for (int i = 0; i < tr->n; i++)
    ts_free(tr->z[i]);
  free(tr->z);
  tr->z = NULL;
  tr->n = 0;
}

// OK: a^T df/dz, a^T df/dW, a^T df/db through autograd; the three results
// are clones handed to the caller, the gradient handles freed
static void vjp(struct odefunc *f, const ts_tensor *z, const ts_tensor *a,
                ts_tensor **dz, ts_tensor **dW, ts_tensor **db) {
  ts_zero_grad(f->W);
  ts_zero_grad(f->b);
  ts_tensor *zc = ts_clone(z);
  ts_requires_grad(zc, true);
  TS_SCOPE {
    ts_tensor *s = ts_sum(ts_mul(f_eval(f, zc), a));
    ts_backward(s);
  }
  ts_tensor *gz = ts_grad(zc);
  ts_tensor *gW = ts_grad(f->W);
  ts_tensor *gb = ts_grad(f->b);
  *dz = ts_clone(gz);
  *dW = ts_clone(gW);
  *db = ts_clone(gb);
  ts_free(gb);
  ts_free(gW);
  ts_free(gz);
  ts_free(zc);
}

// OK: the adjoint integrated backwards with Euler steps along the stored
// trajectory; the accumulators are the caller's, updated in place
static void adjoint_backward(struct odefunc *f, const struct traj *tr,
                             const ts_tensor *aT, double h, ts_tensor *gW,
                             ts_tensor *gb) {
  ts_tensor *a = ts_clone(aT);
  for (int k = tr->n - 1; k > 0; k--) {
    ts_tensor *dz, *dW, *db;
    vjp(f, tr->z[k], a, &dz, &dW, &db);
    ts_add_Tensor_(a, dz, h);
    ts_add_Tensor_(gW, dW, h);
    ts_add_Tensor_(gb, db, h);
    ts_free(db);
    ts_free(dW);
    ts_free(dz);
  }
  ts_free(a);
}

// OK: SGD outside autograd on the two parameters
static void apply_grads(struct odefunc *f, const ts_tensor *gW,
                        const ts_tensor *gb, double lr) {
  bool was = ts_set_grad_enabled(false);
  ts_sub_Tensor_(f->W, gW, lr);
  ts_sub_Tensor_(f->b, gb, lr);
  ts_set_grad_enabled(was);
}

// OK: a few epochs of adjoint training towards a fixed target
void adj_train(void) {
  struct odefunc f;
  ts_manual_seed(21);
  if (odefunc_init(&f) != 0)
    return;
  ts_tensor *z0 = ts_randn(TS_SHAPE(NB, ZD), TS_FLOAT32);
  ts_tensor *target = ts_mul_scalar(z0, -1.0);
  for (int ep = 0; ep < 3; ep++) {
    struct traj tr;
    if (integrate_traj(&f, z0, 1.0, STEPS, &tr) != 0)
      break;
    ts_tensor *zT = tr.z[tr.n - 1];
    ts_tensor *diff = ts_sub(zT, target);
    ts_tensor *aT = ts_mul_scalar(diff, 2.0 / (NB * ZD));
    ts_tensor *loss = ts_mse_loss(zT, target);
    printf("epoch %d loss %.4f\n", ep, ts_item(loss));
    ts_tensor *gW = ts_zeros_like(f.W, TS_NO_DTYPE, NULL);
    ts_tensor *gb = ts_zeros_like(f.b, TS_NO_DTYPE, NULL);
    adjoint_backward(&f, &tr, aT, 1.0 / STEPS, gW, gb);
    apply_grads(&f, gW, gb, 0.5);
    ts_free(gb);
    ts_free(gW);
    ts_free(loss);
    ts_free(aT);
    ts_free(diff);
    traj_free(&tr);
  }
  ts_free(target);
  ts_free(z0);
  odefunc_free(&f);
}

// BUG: leak: the trajectory is freed one short, the final state is left
void adj_traj_short_free(void) {
  struct odefunc f;
  struct traj tr;
  if (odefunc_init(&f) != 0)
    return;
  ts_tensor *z0 = ts_randn(TS_SHAPE(NB, ZD), TS_FLOAT32);
  if (integrate_traj(&f, z0, 1.0, STEPS, &tr) == 0) {
    ts_tensor *e = ts_norm_Scalar(tr.z[tr.n - 1], 2.0);
    printf("final norm %.3f\n", ts_item(e));
    ts_free(e);
    for (int i = 0; i < tr.n - 1; i++) // <- BUG
      ts_free(tr.z[i]);
    free(tr.z);
  }
  ts_free(z0);
  odefunc_free(&f);
}

// BUG: use-after-free: the final state is read from the trajectory after
// traj_free
void adj_final_after_free(void) {
  struct odefunc f;
  struct traj tr;
  if (odefunc_init(&f) != 0)
    return;
  ts_tensor *z0 = ts_randn(TS_SHAPE(NB, ZD), TS_FLOAT32);
  if (integrate_traj(&f, z0, 1.0, STEPS, &tr) == 0) {
    ts_tensor *last = tr.z[tr.n - 1];
    traj_free(&tr);
    ts_tensor *e = ts_norm_Scalar(last, 2.0); // <- BUG
    printf("final norm %.3f\n", ts_item(e));
    ts_free(e);
  }
  ts_free(z0);
  odefunc_free(&f);
}

// OK: one RK4 step that takes ownership of its input state and frees it
static ts_tensor *advance(const struct odefunc *f, ts_tensor *z, double h) {
  ts_tensor *next = NULL;
  TS_SCOPE { next = ts_keep(rk4_step(f, z, h)); }
  ts_free(z);
  return next;
}

// OK: the state handed on through advance, which frees each old one
void adj_advance_chain(void) {
  struct odefunc f;
  if (odefunc_init(&f) != 0)
    return;
  bool was = ts_set_grad_enabled(false);
  ts_tensor *z = ts_randn(TS_SHAPE(NB, ZD), TS_FLOAT32);
  for (int k = 0; k < STEPS; k++)
    z = advance(&f, z, 0.1);
  ts_tensor *m = ts_mean(z);
  printf("mean state %.4f\n", ts_item(m));
  ts_free(m);
  ts_free(z);
  ts_set_grad_enabled(was);
  odefunc_free(&f);
}

// BUG: double-free: advance already freed z0, and the caller frees it too
void adj_advance_twice(void) {
  struct odefunc f;
  if (odefunc_init(&f) != 0)
    return;
  ts_tensor *z0 = ts_randn(TS_SHAPE(NB, ZD), TS_FLOAT32);
  ts_tensor *z1 = advance(&f, z0, 0.1);
  ts_free(z0); // <- BUG
  ts_free(z1);
  odefunc_free(&f);
}

// BUG: unescaped-return: the speed is computed in the function's scope and
// returned without ts_escape
TS_SCOPED static ts_tensor *speed(const struct odefunc *f, const ts_tensor *z) {
  ts_tensor *v = f_eval(f, z);
  return ts_norm_ScalarOpt_dim(v, 2.0, TS_SHAPE(1), false); // <- BUG
}

// OK: uses and frees what speed returns
void adj_speeds(void) {
  struct odefunc f;
  if (odefunc_init(&f) != 0)
    return;
  ts_tensor *z = ts_randn(TS_SHAPE(NB, ZD), TS_FLOAT32);
  ts_tensor *v = speed(&f, z);
  ts_tensor *mx = ts_max(v);
  printf("fastest %.3f\n", ts_item(mx));
  ts_free(mx);
  ts_free(v);
  ts_free(z);
  odefunc_free(&f);
}

// BUG: use-after-scope: the last step's result lives in the block's scope
// and is read after it
void adj_last_step(void) {
  struct odefunc f;
  if (odefunc_init(&f) != 0)
    return;
  ts_tensor *z = ts_randn(TS_SHAPE(NB, ZD), TS_FLOAT32);
  ts_tensor *last = NULL;
  TS_SCOPE {
    ts_tensor *mid = rk4_step(&f, z, 0.1);
    last = rk4_step(&f, mid, 0.1);
  }
  ts_tensor *d = ts_sub(last, z); // <- BUG
  ts_free(d);
  ts_free(z);
  odefunc_free(&f);
}

// OK: the kinetic regulariser: the integral of |f|^2 along a trajectory,
// one scope per state, only a double carried
static double kinetic(const struct odefunc *f, const struct traj *tr,
                      double h) {
  double e = 0.0;
  TS_SCOPE for (int k = 0; k < tr->n; k++) {
    ts_tensor *v = f_eval(f, tr->z[k]);
    e += h * ts_item(ts_mean(ts_mul(v, v)));
  }
  return e;
}

// OK: the regulariser of a fresh trajectory
void adj_kinetic(void) {
  struct odefunc f;
  struct traj tr;
  if (odefunc_init(&f) != 0)
    return;
  ts_tensor *z0 = ts_randn(TS_SHAPE(NB, ZD), TS_FLOAT32);
  if (integrate_traj(&f, z0, 1.0, STEPS, &tr) == 0) {
    printf("kinetic energy %.4f\n", kinetic(&f, &tr, 1.0 / STEPS));
    traj_free(&tr);
  }
  ts_free(z0);
  odefunc_free(&f);
}

// OK: gradients by backpropagation through the unrolled solver: the graph
// lives in a scope, the gradient handles are freed after they are read
static double direct_grad_norm(struct odefunc *f, const ts_tensor *z0,
                               const ts_tensor *target) {
  ts_zero_grad(f->W);
  TS_SCOPE {
    ts_tensor *z = ts_clone(z0);
    for (int k = 0; k < STEPS; k++)
      z = rk4_step(f, z, 1.0 / STEPS);
    ts_backward(ts_mse_loss(z, target));
  }
  ts_tensor *g = ts_grad(f->W);
  ts_tensor *n = ts_norm_Scalar(g, 2.0);
  double v = ts_item(n);
  ts_free(n);
  ts_free(g);
  return v;
}

// OK: compares adjoint and direct gradient norms
void adj_compare(void) {
  struct odefunc f;
  struct traj tr;
  if (odefunc_init(&f) != 0)
    return;
  ts_tensor *z0 = ts_randn(TS_SHAPE(NB, ZD), TS_FLOAT32);
  ts_tensor *target = ts_zeros(TS_SHAPE(NB, ZD), TS_FLOAT32);
  double direct = direct_grad_norm(&f, z0, target);
  if (integrate_traj(&f, z0, 1.0, STEPS, &tr) == 0) {
    ts_tensor *aT = ts_mul_scalar(tr.z[tr.n - 1], 2.0 / (NB * ZD));
    ts_tensor *gW = ts_zeros_like(f.W, TS_NO_DTYPE, NULL);
    ts_tensor *gb = ts_zeros_like(f.b, TS_NO_DTYPE, NULL);
    adjoint_backward(&f, &tr, aT, 1.0 / STEPS, gW, gb);
    ts_tensor *n = ts_norm_Scalar(gW, 2.0);
    printf("direct %.4f adjoint %.4f\n", direct, ts_item(n));
    ts_free(n);
    ts_free(gb);
    ts_free(gW);
    ts_free(aT);
    traj_free(&tr);
  }
  ts_free(target);
  ts_free(z0);
  odefunc_free(&f);
}

// BUG: leak: the gradient handle ts_grad returns is read and never freed
void adj_grad_probe(void) {
  struct odefunc f;
  if (odefunc_init(&f) != 0)
    return;
  ts_tensor *z0 = ts_randn(TS_SHAPE(NB, ZD), TS_FLOAT32);
  TS_SCOPE {
    ts_tensor *z = rk4_step(&f, z0, 0.1);
    ts_backward(ts_sum(z));
  }
  ts_tensor *g = ts_grad(f.b); // <- BUG
  ts_tensor *n = ts_norm_Scalar(g, 2.0);
  printf("|db| %.4f\n", ts_item(n));
  ts_free(n);
  ts_free(z0);
  odefunc_free(&f);
}

// OK: adaptive stepping: a full step against two half steps; a rejected
// candidate is freed, an accepted one replaces the state
void adj_adaptive(void) {
  struct odefunc f;
  if (odefunc_init(&f) != 0)
    return;
  bool was = ts_set_grad_enabled(false);
  ts_tensor *z = ts_randn(TS_SHAPE(NB, ZD), TS_FLOAT32);
  double t = 0.0, h = 0.5;
  int rejected = 0;
  while (t < 1.0 && rejected < 20) {
    ts_tensor *full = NULL, *half = NULL;
    double err = 0.0;
    TS_SCOPE {
      full = ts_keep(rk4_step(&f, z, h));
      ts_tensor *mid = rk4_step(&f, z, h / 2);
      half = ts_keep(rk4_step(&f, mid, h / 2));
      err = ts_item(ts_max(ts_abs(ts_sub(full, half))));
    }
    ts_free(full);
    if (err > 1e-4) {
      ts_free(half);
      h /= 2;
      rejected++;
      continue;
    }
    ts_free(z);
    z = half;
    t += h;
  }
  printf("reached t=%.3f with %d rejections\n", t, rejected);
  ts_free(z);
  ts_set_grad_enabled(was);
  odefunc_free(&f);
}

// BUG: double-free: the rejected candidate is freed in the branch and again
// on the way out of the loop
void adj_adaptive_reject(void) {
  struct odefunc f;
  if (odefunc_init(&f) != 0)
    return;
  ts_tensor *z = ts_randn(TS_SHAPE(NB, ZD), TS_FLOAT32);
  ts_tensor *cand = NULL;
  TS_SCOPE { cand = ts_keep(rk4_step(&f, z, 2.0)); }
  ts_tensor *d = ts_sub(cand, z);
  ts_tensor *n = ts_norm_Scalar(d, 2.0);
  double err = ts_item(n);
  ts_free(n);
  ts_free(d);
  if (err > 1e-6)
    ts_free(cand);
  ts_free(cand); // <- BUG
  ts_free(z);
  odefunc_free(&f);
}

// BUG: use-after-free: the half-step result is freed before the error
// estimate reads it
void adj_error_estimate(void) {
  struct odefunc f;
  if (odefunc_init(&f) != 0)
    return;
  bool was = ts_set_grad_enabled(false);
  ts_tensor *z = ts_randn(TS_SHAPE(NB, ZD), TS_FLOAT32);
  ts_tensor *full = integrate(&f, z, 0.4, 1);
  ts_tensor *half = integrate(&f, z, 0.4, 2);
  ts_free(half);
  ts_tensor *d = ts_sub(full, half); // <- BUG
  ts_free(d);
  ts_free(full);
  ts_free(z);
  ts_set_grad_enabled(was);
  odefunc_free(&f);
}

// OK: checkpoints every other state; each segment is recomputed from its
// checkpoint and the recomputed states are freed
void adj_checkpointed(void) {
  struct odefunc f;
  ts_tensor *ckpt[STEPS / 2 + 1];
  int nck = 0;
  if (odefunc_init(&f) != 0)
    return;
  bool was = ts_set_grad_enabled(false);
  ts_tensor *z = ts_randn(TS_SHAPE(NB, ZD), TS_FLOAT32);
  for (int k = 0; k < STEPS; k++) {
    if (k % 2 == 0)
      ckpt[nck++] = ts_clone(z);
    z = advance(&f, z, 0.1);
  }
  double total = 0.0;
  for (int i = nck - 1; i >= 0; i--) {
    ts_tensor *seg = integrate(&f, ckpt[i], 0.2, 2);
    ts_tensor *n = ts_norm_Scalar(seg, 2.0);
    total += ts_item(n);
    ts_free(n);
    ts_free(seg);
  }
  for (int i = 0; i < nck; i++)
    ts_free(ckpt[i]);
  printf("recomputed %d segments, %.3f\n", nck, total);
  ts_free(z);
  ts_set_grad_enabled(was);
  odefunc_free(&f);
}

// BUG: leak: each segment's starting clone is made and never freed
void adj_checkpoint_leak(void) {
  struct odefunc f;
  if (odefunc_init(&f) != 0)
    return;
  bool was = ts_set_grad_enabled(false);
  ts_tensor *z = ts_randn(TS_SHAPE(NB, ZD), TS_FLOAT32);
  for (int s = 0; s < 3; s++) {
    ts_tensor *start = ts_clone(z); // <- BUG
    z = advance(&f, z, 0.1);
    ts_tensor *d = ts_sub(z, start);
    ts_free(d);
  }
  ts_free(z);
  ts_set_grad_enabled(was);
  odefunc_free(&f);
}

// OK: saves the parameters, perturbs them, restores them in place with
// gradient mode off
void adj_restore(void) {
  struct odefunc f;
  if (odefunc_init(&f) != 0)
    return;
  ts_tensor *saveW = ts_detach(f.W);
  ts_tensor *keep = ts_clone(saveW);
  bool was = ts_set_grad_enabled(false);
  ts_add_Scalar_(f.W, 1.0, 1.0);
  ts_copy_(f.W, keep, false);
  ts_set_grad_enabled(was);
  ts_tensor *d = ts_sub(f.W, keep);
  ts_tensor *n = ts_norm_Scalar(d, 2.0);
  printf("restored, difference %.1f\n", ts_item(n));
  ts_free(n);
  ts_free(d);
  ts_free(keep);
  ts_free(saveW);
  odefunc_free(&f);
}
