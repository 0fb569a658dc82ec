/* heldout3_physics.c - a small particle simulation: positions, velocities
 * and masses in a struct, spring forces toward the centroid, symplectic
 * Euler and Verlet steps, walls, energy bookkeeping, trajectory snapshots,
 * collision counts run through ts_run.
 * Labels: tests/realistic/README.md. */
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { NP = 8 };

struct world {
  ts_tensor *pos, *vel; /* [NP,2] */
  ts_tensor *mass;      /* [NP,1] */
  double dt, k;
  int steps;
};

#define DROP(t)                                                                \
  do {                                                                         \
    if (t) {                                                                   \
      ts_free(t);                                                              \
      (t) = NULL;                                                              \
    }                                                                          \
  } while (0)

// OK: prints the mean of a tensor; the temporaries die with the guard
static void show(const char *what, const ts_tensor *t) {
  TS_SCOPE_GUARD();
  printf("%s %.4f\n", what, ts_item(ts_mean(t)));
}

// OK: builds the world; every tensor is handed to the struct, failures unwind
static int world_init(struct world *w, double dt) {
  w->pos = ts_rand(TS_SHAPE(NP, 2), TS_FLOAT32);
  if (!w->pos)
    return -1;
  w->vel = ts_zeros(TS_SHAPE(NP, 2), TS_FLOAT32);
  if (!w->vel) {
    ts_free(w->pos);
    return -1;
  }
  w->mass = ts_full(TS_SHAPE(NP, 1), TS_FLOAT32, 1.0);
  if (!w->mass) {
    ts_free(w->vel);
    ts_free(w->pos);
    return -1;
  }
  w->dt = dt;
  w->k = 0.5;
  w->steps = 0;
  return 0;
}

// OK: frees and clears every field, so a second call does nothing
static void world_free(struct world *w) {
  DROP(w->pos);
  DROP(w->vel);
  DROP(w->mass);
}

// OK: spring force toward the centroid, a new tensor for the caller
static ts_tensor *spring_force(const struct world *w) {
  ts_tensor *c = ts_mean_dim(w->pos, TS_SHAPE(0), true, TS_NO_DTYPE);
  ts_tensor *d = ts_sub(c, w->pos);
  ts_free(c);
  ts_tensor *f = ts_mul_scalar(d, w->k);
  ts_free(d);
  return f;
}

// OK: symplectic Euler: replaces the velocity, then the position
static void step_euler(struct world *w) {
  ts_tensor *f = spring_force(w);
  ts_tensor *a = ts_div(f, w->mass);
  ts_free(f);
  ts_tensor *dv = ts_mul_scalar(a, w->dt);
  ts_free(a);
  ts_tensor *v = ts_add(w->vel, dv);
  ts_free(dv);
  ts_free(w->vel);
  w->vel = v;
  ts_tensor *dx = ts_mul_scalar(w->vel, w->dt);
  ts_tensor *x = ts_add(w->pos, dx);
  ts_free(dx);
  ts_free(w->pos);
  w->pos = x;
  w->steps++;
}

// BUG: leak: the in-place rewrite of the step forgot the acceleration
static void step_euler_inplace(struct world *w) {
  ts_tensor *f = spring_force(w);
  ts_tensor *a = ts_div(f, w->mass); // <- BUG
  ts_free(f);
  ts_tensor *dv = ts_mul_scalar(a, w->dt);
  ts_add_Tensor_(w->vel, dv, 1.0);
  ts_free(dv);
  ts_tensor *dx = ts_mul_scalar(w->vel, w->dt);
  ts_add_Tensor_(w->pos, dx, 1.0);
  ts_free(dx);
  w->steps++;
}

// OK: drives the in-place step (the leak is the step's)
void phys_inplace_run(void) {
  struct world w;
  if (world_init(&w, 0.01) != 0)
    return;
  for (int i = 0; i < 3; i++)
    step_euler_inplace(&w);
  show("in-place pos", w.pos);
  world_free(&w);
}

// OK: kinetic energy; the whole body is one scope
TS_SCOPED static double kinetic_energy(const struct world *w) {
  ts_tensor *v2 = ts_mul(w->vel, w->vel);
  ts_tensor *per = ts_sum_dim_IntList(v2, TS_SHAPE(1), true, TS_NO_DTYPE);
  ts_tensor *e = ts_mul(per, w->mass);
  return 0.5 * ts_item(ts_sum(e));
}

// OK: reflects the velocity of particles below zero, clamps in place
static void bounce_walls(struct world *w) {
  TS_SCOPE {
    ts_tensor *lo = ts_lt_Scalar(w->pos, 0.0);
    ts_tensor *flipped = ts_neg(w->vel);
    ts_tensor *v = ts_where_self(lo, flipped, w->vel);
    ts_copy_(w->vel, v, false);
    ts_clamp_(w->pos, 0.0, 1.0);
  }
}

// OK: Euler steps with walls and a scoped energy print per step
void phys_box_run(void) {
  struct world w;
  if (world_init(&w, 0.05) != 0)
    return;
  for (int i = 0; i < 4; i++) {
    step_euler(&w);
    bounce_walls(&w);
    if (i % 2 == 0)
      continue;
    printf("step %d energy %.5f\n", i, kinetic_energy(&w));
  }
  world_free(&w);
  world_free(&w);
}

// BUG: use-after-scope: the count of close pairs is read after its block
void phys_overlap_count(void) {
  struct world w;
  if (world_init(&w, 0.01) != 0)
    return;
  ts_tensor *cnt = NULL;
  TS_SCOPE {
    ts_tensor *d = ts_cdist(w.pos, w.pos, 2.0, 0);
    ts_tensor *close = ts_lt_Scalar(d, 0.1);
    cnt = ts_sum(close);
  }
  printf("close pairs: %g\n", ts_item(cnt)); // <- BUG
  world_free(&w);
}

// OK: one Verlet step; the old previous positions are freed, the current
// ones become the previous ones
static void step_verlet(struct world *w, ts_tensor **prev) {
  ts_tensor *f = spring_force(w);
  ts_tensor *a = ts_div(f, w->mass);
  ts_free(f);
  ts_tensor *two_x = ts_mul_scalar(w->pos, 2.0);
  ts_tensor *t = ts_sub(two_x, *prev);
  ts_free(two_x);
  ts_tensor *adt = ts_mul_scalar(a, w->dt * w->dt);
  ts_free(a);
  ts_tensor *next = ts_add(t, adt);
  ts_free(t);
  ts_free(adt);
  ts_free(*prev);
  *prev = w->pos;
  w->pos = next;
}

// OK: Verlet run; the history lives in one variable freed at the end
void phys_verlet_run(void) {
  struct world w;
  if (world_init(&w, 0.01) != 0)
    return;
  ts_tensor *prev = ts_clone(w.pos);
  for (int i = 0; i < 5; i++)
    step_verlet(&w, &prev);
  show("verlet pos", w.pos);
  ts_free(prev);
  world_free(&w);
}

// BUG: double-free: the velocity is freed on the early stop and again by the
// teardown after the loop
void phys_energy_stop(void) {
  struct world w;
  if (world_init(&w, 0.05) != 0)
    return;
  for (int i = 0; i < 10; i++) {
    step_euler(&w);
    if (kinetic_energy(&w) > 1e-9) {
      ts_free(w.vel);
      break;
    }
  }
  world_free(&w); // <- BUG
}

// OK: the same early stop done right: the field is cleared after its free
void phys_energy_stop_ok(void) {
  struct world w;
  if (world_init(&w, 0.05) != 0)
    return;
  for (int i = 0; i < 10; i++) {
    step_euler(&w);
    if (kinetic_energy(&w) > 1e-9) {
      DROP(w.vel);
      break;
    }
  }
  world_free(&w);
}

// OK: snapshots every other step into an array, stacked, all freed
void phys_snapshots(void) {
  struct world w;
  if (world_init(&w, 0.02) != 0)
    return;
  ts_tensor *snap[4] = {0};
  int n = 0;
  for (int i = 0; i < 8; i++) {
    step_euler(&w);
    if (i % 2 == 1)
      snap[n++] = ts_clone(w.pos);
  }
  ts_tensor *all = ts_stack((const ts_tensor *const *)snap, n, 0);
  show("trajectory", all);
  ts_free(all);
  for (int i = 0; i < n; i++)
    ts_free(snap[i]);
  world_free(&w);
}

// BUG: leak: the free loop stops one short, the last snapshot is lost
void phys_snapshots_short(void) {
  struct world w;
  if (world_init(&w, 0.02) != 0)
    return;
  ts_tensor *snap[4] = {0};
  int n = 0;
  for (int i = 0; i < 8; i++) {
    step_euler(&w);
    if (i % 2 == 1)
      snap[n++] = ts_clone(w.pos);
  }
  for (int i = 0; i + 1 < n; i++) // <- BUG
    ts_free(snap[i]);
  world_free(&w);
}

// BUG: use-after-free: the norms are freed with the other temporaries before
// the maximum is taken
static double spread(const struct world *w) {
  ts_tensor *c = ts_mean_dim(w->pos, TS_SHAPE(0), true, TS_NO_DTYPE);
  ts_tensor *d = ts_sub(w->pos, c);
  ts_tensor *n = ts_linalg_vector_norm(d, 2.0, TS_SHAPE(1), false, TS_NO_DTYPE);
  ts_free(d);
  ts_free(c);
  ts_free(n);
  ts_tensor *m = ts_max(n); // <- BUG
  double r = ts_item(m);
  ts_free(m);
  return r;
}

// OK: prints the spread (the bug is in the helper)
void phys_spread(void) {
  struct world w;
  if (world_init(&w, 0.02) != 0)
    return;
  printf("spread %.4f\n", spread(&w));
  world_free(&w);
}

struct collide_job {
  struct world *w;
  double radius;
  int hits;
};

// OK: run through ts_run: its temporaries die with the run's scope
static void *collide_job_fn(void *ctx) {
  struct collide_job *j = ctx;
  ts_tensor *d = ts_cdist(j->w->pos, j->w->pos, 2.0, 0);
  ts_tensor *near = ts_lt_Scalar(d, j->radius);
  j->hits = (int)ts_item(ts_sum(near)) - NP;
  return NULL;
}

// OK: counts collisions in a run scope
void phys_collide(void) {
  struct world w;
  if (world_init(&w, 0.02) != 0)
    return;
  struct collide_job job = {&w, 0.2, 0};
  ts_run(collide_job_fn, &job);
  printf("hits %d\n", job.hits);
  world_free(&w);
}

// OK: the mean distances escape the run's scope; the caller frees them
static void *mean_dist_job(void *ctx) {
  struct world *w = ctx;
  ts_tensor *d = ts_cdist(w->pos, w->pos, 2.0, 0);
  return ts_escape(ts_mean_dim(d, TS_SHAPE(1), false, TS_NO_DTYPE));
}

// BUG: unescaped-return: the nearest distances are returned from the run
// without ts_escape
static void *nearest_job(void *ctx) {
  struct world *w = ctx;
  ts_tensor *d = ts_cdist(w->pos, w->pos, 2.0, 0);
  ts_tensor *shift = ts_eye(NP, TS_FLOAT32, NULL);
  ts_tensor *big = ts_add(d, ts_mul_scalar(shift, 10.0));
  return ts_amax(big, TS_SHAPE(1), false); // <- BUG
}

// OK: uses the escaped distances and frees them
void phys_mean_dist(void) {
  struct world w;
  if (world_init(&w, 0.02) != 0)
    return;
  ts_tensor *m = ts_run(mean_dist_job, &w);
  show("mean dist", m);
  ts_free(m);
  world_free(&w);
}

// OK: uses the nearest distances as if escaped (the job is wrong)
void phys_nearest(void) {
  struct world w;
  if (world_init(&w, 0.02) != 0)
    return;
  ts_tensor *m = ts_run(nearest_job, &w);
  show("nearest", m);
  ts_free(m);
  world_free(&w);
}

// OK: energy drift per step written into a history tensor through views
void phys_energy_drift(void) {
  struct world w;
  if (world_init(&w, 0.05) != 0)
    return;
  double e0 = kinetic_energy(&w);
  ts_tensor *hist = ts_zeros(TS_SHAPE(6), TS_FLOAT64);
  for (int i = 0; i < 6; i++) {
    step_euler(&w);
    TS_SCOPE {
      ts_tensor *e = ts_full(TS_SHAPE(1), TS_FLOAT64, kinetic_energy(&w) - e0);
      ts_tensor *slot = ts_narrow(hist, 0, i, 1);
      ts_copy_(slot, e, false);
    }
  }
  show("drift", hist);
  ts_free(hist);
  world_free(&w);
}

// OK: resets velocities to a thermal draw; rejects unknown modes untouched
static int reset_velocities(struct world *w, int mode) {
  if (mode != 0 && mode != 1)
    return -1;
  ts_tensor *v = mode ? ts_randn(TS_SHAPE(NP, 2), TS_FLOAT32)
                      : ts_zeros(TS_SHAPE(NP, 2), TS_FLOAT32);
  ts_free(w->vel);
  w->vel = v;
  return 0;
}

// BUG: leak: the saved velocities are lost when the reset is refused
void phys_reset_refused(void) {
  struct world w;
  if (world_init(&w, 0.02) != 0)
    return;
  ts_tensor *saved = ts_clone(w.vel); // <- BUG
  int mode = w.steps + 2;
  if (reset_velocities(&w, mode) != 0) {
    fprintf(stderr, "bad mode %d\n", mode);
    world_free(&w);
    return;
  }
  ts_copy_(w.vel, saved, false);
  ts_free(saved);
  world_free(&w);
}

// OK: a deep copy of the world returned by value
static struct world world_copy(const struct world *w) {
  struct world c = *w;
  c.pos = ts_clone(w->pos);
  c.vel = ts_clone(w->vel);
  c.mass = ts_clone(w->mass);
  return c;
}

// OK: a trial copy is stepped and thrown away; the original is kept
void phys_trial_copy(void) {
  struct world w;
  if (world_init(&w, 0.02) != 0)
    return;
  struct world trial = world_copy(&w);
  for (int i = 0; i < 3; i++)
    step_euler(&trial);
  printf("trial energy %.5f vs %.5f\n", kinetic_energy(&trial),
         kinetic_energy(&w));
  world_free(&trial);
  world_free(&w);
}

// BUG: double-free: a shallow struct copy shares the tensors, and both
// copies are torn down
void phys_shallow_copy(void) {
  struct world w;
  if (world_init(&w, 0.02) != 0)
    return;
  struct world backup = w;
  printf("backup energy %.5f\n", kinetic_energy(&backup));
  world_free(&backup);
  world_free(&w); // <- BUG
}

// OK: pairwise force term in the caller's scope
TS_CALLER_SCOPE static ts_tensor *pair_term(const struct world *w) {
  ts_tensor *d = ts_cdist(w->pos, w->pos, 2.0, 0);
  ts_tensor *inv = ts_reciprocal(ts_add_scalar(d, 1.0));
  return ts_sum_dim_IntList(inv, TS_SHAPE(1), true, TS_NO_DTYPE);
}

// OK: the caller-scope term is used and reduced inside the block
void phys_pair_potential(void) {
  struct world w;
  if (world_init(&w, 0.02) != 0)
    return;
  double pot = 0.0;
  TS_SCOPE {
    ts_tensor *p = pair_term(&w);
    pot = ts_item(ts_sum(p));
  }
  printf("potential %.4f\n", pot);
  world_free(&w);
}

// BUG: use-after-scope: the per-particle potential from the caller-scope
// helper is kept past the block in a variable
void phys_pair_keep(void) {
  struct world w;
  if (world_init(&w, 0.02) != 0)
    return;
  ts_tensor *per = NULL;
  TS_SCOPE {
    per = pair_term(&w);
    show("per particle", per);
  }
  show("again", per); // <- BUG
  world_free(&w);
}

// BUG: leak: the force printed for debugging is never freed
void phys_force_log(void) {
  struct world w;
  if (world_init(&w, 0.01) != 0)
    return;
  ts_tensor *f = spring_force(&w); // <- BUG
  show("force", f);
  step_euler(&w);
  world_free(&w);
}

// BUG: double-free: the history is dropped on the early exit and freed
// again after the loop
void phys_verlet_early(void) {
  struct world w;
  if (world_init(&w, 0.01) != 0)
    return;
  ts_tensor *prev = ts_clone(w.pos);
  for (int i = 0; i < 5; i++) {
    step_verlet(&w, &prev);
    if (i == 2) {
      ts_free(prev);
      break;
    }
  }
  ts_free(prev); // <- BUG
  world_free(&w);
}

// BUG: use-after-free: the old masses are read after they were replaced
// and freed
void phys_mass_scale(void) {
  struct world w;
  if (world_init(&w, 0.01) != 0)
    return;
  ts_tensor *old = w.mass;
  w.mass = ts_mul_scalar(old, 2.0);
  ts_free(old);
  ts_tensor *ratio = ts_div(w.mass, old); // <- BUG
  show("ratio", ratio);
  ts_free(ratio);
  world_free(&w);
}

// BUG: use-after-scope: the force is made under a guard in an inner block
// and printed after the block
void phys_guarded_force(void) {
  struct world w;
  if (world_init(&w, 0.01) != 0)
    return;
  ts_tensor *f;
  {
    TS_SCOPE_GUARD();
    f = spring_force(&w);
  }
  show("force", f); // <- BUG
  world_free(&w);
}

// BUG: leak: the trial copy is stepped and never torn down
void phys_trial_leak(void) {
  struct world w;
  if (world_init(&w, 0.02) != 0)
    return;
  struct world trial = world_copy(&w); // <- BUG
  step_euler(&trial);
  printf("trial %.5f\n", kinetic_energy(&trial));
  world_free(&w);
}

// BUG: double-free: a field freed by hand is freed again by the teardown
void phys_free_positions(void) {
  struct world w;
  if (world_init(&w, 0.02) != 0)
    return;
  step_euler(&w);
  ts_free(w.pos);
  world_free(&w); // <- BUG
}
