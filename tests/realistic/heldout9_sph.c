/* heldout9_sph.c - smoothed-particle hydrodynamics in 2-D: positions and
 * velocities as [N, 2] tensors, smoothing kernels chosen through a table of
 * function pointers, density and pressure per step, a uniform cell grid for
 * neighbour counts, and a frame recorder that keeps every k-th state. Steps
 * run in scopes (TS_SCOPE loops, TS_SCOPED, manual begin/end). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>

#define SPH_N 16
#define SPH_FRAMES 4

typedef enum { K_POLY6, K_SPIKY, K_GAUSS } sph_kernel_kind;

typedef ts_tensor *(*sph_kernel_fn)(const ts_tensor *r2, double h);

typedef struct {
  ts_tensor *pos;  /* [N, 2] */
  ts_tensor *vel;  /* [N, 2] */
  ts_tensor *mass; /* [N, 1] */
  double h, dt, rest;
  sph_kernel_kind kind;
} sph_sim;

typedef struct {
  ts_tensor *frame[SPH_FRAMES]; /* kept positions, the recorder's */
  int n, every, seen;
} sph_recorder;

// OK: poly6-like kernel of squared distances, in the caller's scope
TS_CALLER_SCOPE static ts_tensor *sph_poly6(const ts_tensor *r2, double h) {
  ts_tensor *d = ts_relu(ts_add_scalar(ts_neg(r2), h * h));
  return ts_mul(ts_mul(d, d), d);
}

// OK: spiky-like kernel, in the caller's scope
TS_CALLER_SCOPE static ts_tensor *sph_spiky(const ts_tensor *r2, double h) {
  ts_tensor *d = ts_relu(ts_add_scalar(ts_neg(r2), h * h));
  return ts_mul(d, d);
}

// OK: gaussian kernel, in the caller's scope
TS_CALLER_SCOPE static ts_tensor *sph_gauss(const ts_tensor *r2, double h) {
  return ts_exp(ts_mul_scalar(r2, -1.0 / (h * h)));
}

// OK: the kernel table
static sph_kernel_fn sph_kernel(sph_kernel_kind k) {
  switch (k) {
  case K_POLY6:
    return sph_poly6;
  case K_SPIKY:
    return sph_spiky;
  case K_GAUSS:
  default:
    return sph_gauss;
  }
}

// OK: particles on a jittered grid
static int sph_init(sph_sim *s, sph_kernel_kind kind) {
  memset(s, 0, sizeof *s);
  float p[SPH_N * 2];
  for (int i = 0; i < SPH_N; i++) {
    p[2 * i] = (float)(i % 4) * 0.3f;
    p[2 * i + 1] = (float)(i / 4) * 0.3f;
  }
  s->pos = ts_from_buffer(p, TS_SHAPE(SPH_N, 2), TS_FLOAT32);
  s->vel = ts_zeros(TS_SHAPE(SPH_N, 2), TS_FLOAT32);
  s->mass = ts_full(TS_SHAPE(SPH_N, 1), TS_FLOAT32, 0.1);
  s->h = 0.5;
  s->dt = 0.01;
  s->rest = 1.0;
  s->kind = kind;
  if (!s->pos || !s->vel || !s->mass)
    return -1;
  return 0;
}

// OK: frees the state tensors
static void sph_free(sph_sim *s) {
  ts_tensor **f[] = {&s->pos, &s->vel, &s->mass};
  for (int i = 0; i < 3; i++)
    if (*f[i]) {
      ts_free(*f[i]);
      *f[i] = NULL;
    }
}

// OK: pairwise squared distances [N, N] in the caller's scope
TS_CALLER_SCOPE static ts_tensor *sph_dist2(const ts_tensor *pos) {
  ts_tensor *sq = ts_mul(pos, pos);
  ts_tensor *ones = ts_ones(TS_SHAPE(2, 1), TS_FLOAT32);
  ts_tensor *n = ts_matmul(sq, ones);               /* [N, 1] */
  ts_tensor *g = ts_matmul(pos, ts_transpose(pos, 0, 1)); /* [N, N] */
  ts_tensor *nt = ts_transpose(n, 0, 1);
  return ts_sub(ts_add(n, nt), ts_mul_scalar(g, 2.0));
}

// OK: density per particle, returned to the caller who owns it
TS_SCOPED static ts_tensor *sph_density(const sph_sim *s) {
  ts_tensor *w = sph_kernel(s->kind)(sph_dist2(s->pos), s->h);
  return ts_escape(ts_matmul(w, s->mass));
}

// OK: one integration step: forces from pressure, positions replaced
static void sph_step(sph_sim *s) {
  ts_tensor *rho = sph_density(s);
  TS_SCOPE {
    ts_tensor *press = ts_mul_scalar(ts_add_scalar(rho, -s->rest), 0.5);
    ts_tensor *push = ts_matmul(ts_transpose(press, 0, 1), s->pos); /* [1, 2] */
    ts_tensor *acc = ts_mul_scalar(push, -0.01);
    ts_tensor *nv = ts_keep(ts_add(s->vel, ts_mul_scalar(acc, s->dt)));
    ts_tensor *np = ts_keep(ts_add(s->pos, ts_mul_scalar(nv, s->dt)));
    ts_free(s->vel);
    ts_free(s->pos);
    s->vel = nv;
    s->pos = np;
  }
  ts_free(rho);
}

// OK: entry: fifty steps of each kernel
void sph_entry_run(void) {
  for (int k = K_POLY6; k <= K_GAUSS; k++) {
    sph_sim s;
    if (sph_init(&s, (sph_kernel_kind)k) == 0) {
      for (int t = 0; t < 50; t++)
        sph_step(&s);
      TS_SCOPE { printf("kernel %d: %.4f\n", k, ts_item(ts_mean(s.pos))); }
    }
    sph_free(&s);
  }
}

// BUG: leak: the density made each step is never freed
static void sph_step_fast(sph_sim *s) {
  ts_tensor *rho = sph_density(s); // <- BUG
  TS_SCOPE {
    ts_tensor *drift = ts_mul_scalar(ts_mean(rho), s->dt);
    ts_tensor *np = ts_keep(ts_add(s->pos, drift));
    ts_free(s->pos);
    s->pos = np;
  }
}

// OK: entry: a few fast steps
void sph_entry_fast(void) {
  sph_sim s;
  if (sph_init(&s, K_SPIKY) == 0)
    for (int t = 0; t < 3; t++)
      sph_step_fast(&s);
  sph_free(&s);
}

// BUG: unescaped-return: the pressure is returned from the function's scope without ts_escape
TS_SCOPED static ts_tensor *sph_pressure(const sph_sim *s) {
  ts_tensor *w = sph_kernel(s->kind)(sph_dist2(s->pos), s->h);
  ts_tensor *rho = ts_matmul(w, s->mass);
  return ts_mul_scalar(ts_add_scalar(rho, -s->rest), 0.5); // <- BUG
}

// OK: the largest pressure, read from sph_pressure's result
static double sph_max_pressure(const sph_sim *s) {
  ts_tensor *p = sph_pressure(s);
  float buf[SPH_N];
  ts_copy_to_buffer(p, buf, sizeof buf);
  ts_free(p);
  double m = buf[0];
  for (int i = 1; i < SPH_N; i++)
    m = buf[i] > m ? buf[i] : m;
  return m;
}

// OK: entry: the largest pressure after a step
void sph_entry_pressure(void) {
  sph_sim s;
  if (sph_init(&s, K_POLY6) == 0) {
    sph_step(&s);
    printf("%.4f\n", sph_max_pressure(&s));
  }
  sph_free(&s);
}

// OK: the recorder starts empty
static void rec_init(sph_recorder *r, int every) {
  memset(r, 0, sizeof *r);
  r->every = every;
}

// OK: keeps a copy of every k-th state, dropping the oldest when full
static void rec_offer(sph_recorder *r, const ts_tensor *pos) {
  if (r->seen++ % r->every != 0)
    return;
  if (r->n == SPH_FRAMES) {
    ts_free(r->frame[0]);
    memmove(r->frame, r->frame + 1, sizeof r->frame[0] * (SPH_FRAMES - 1));
    r->n--;
  }
  r->frame[r->n++] = ts_clone(pos);
}

// OK: frees the recorded frames
static void rec_free(sph_recorder *r) {
  for (int i = 0; i < r->n; i++)
    ts_free(r->frame[i]);
  r->n = 0;
}

// OK: entry: forty steps recorded every fifth
void sph_entry_record(void) {
  sph_sim s;
  sph_recorder r;
  rec_init(&r, 5);
  if (sph_init(&s, K_GAUSS) == 0)
    for (int t = 0; t < 40; t++) {
      sph_step(&s);
      rec_offer(&r, s.pos);
    }
  printf("%d frames\n", r.n);
  rec_free(&r);
  sph_free(&s);
}

// BUG: use-after-free: the first frame is read after rec_offer evicted (freed) it
static double rec_first_moved(sph_recorder *r, const ts_tensor *pos) {
  ts_tensor *first = r->frame[0];
  rec_offer(r, pos);
  ts_tensor *d = ts_sub(pos, first); // <- BUG
  ts_tensor *m = ts_mean(d);
  double v = ts_item(m);
  ts_free(m);
  ts_free(d);
  return v;
}

// OK: entry: a full recorder, then rec_first_moved
void sph_entry_first_moved(void) {
  sph_sim s;
  sph_recorder r;
  rec_init(&r, 1);
  if (sph_init(&s, K_GAUSS) == 0) {
    for (int t = 0; t < SPH_FRAMES; t++)
      rec_offer(&r, s.pos);
    printf("%.4f\n", rec_first_moved(&r, s.pos));
  }
  rec_free(&r);
  sph_free(&s);
}

// BUG: double-free: frames handed to the caller are freed by it and again by rec_free
static int rec_take(sph_recorder *r, ts_tensor **out, int max) {
  int n = r->n < max ? r->n : max;
  for (int i = 0; i < n; i++)
    out[i] = r->frame[i]; // <- BUG
  return n;
}

// OK: entry: frames taken with rec_take and freed, then the recorder freed
void sph_entry_take(void) {
  sph_recorder r;
  rec_init(&r, 1);
  ts_tensor *p = ts_ones(TS_SHAPE(SPH_N, 2), TS_FLOAT32);
  rec_offer(&r, p);
  rec_offer(&r, p);
  ts_tensor *got[SPH_FRAMES];
  int n = rec_take(&r, got, SPH_FRAMES);
  for (int i = 0; i < n; i++)
    ts_free(got[i]);
  rec_free(&r);
  ts_free(p);
}

// OK: frames handed over and the recorder emptied
static int rec_take_ok(sph_recorder *r, ts_tensor **out, int max) {
  int n = r->n < max ? r->n : max;
  for (int i = 0; i < n; i++)
    out[i] = r->frame[i];
  memmove(r->frame, r->frame + n, sizeof r->frame[0] * (size_t)(r->n - n));
  r->n -= n;
  return n;
}

// OK: entry: rec_take_ok with fewer slots than frames
void sph_entry_take_ok(void) {
  sph_recorder r;
  rec_init(&r, 1);
  ts_tensor *p = ts_ones(TS_SHAPE(SPH_N, 2), TS_FLOAT32);
  for (int i = 0; i < 3; i++)
    rec_offer(&r, p);
  ts_tensor *got[2];
  int n = rec_take_ok(&r, got, 2);
  for (int i = 0; i < n; i++)
    ts_free(got[i]);
  rec_free(&r);
  ts_free(p);
}

// OK: neighbour counts per particle through a manual scope
static void sph_neighbours(const sph_sim *s, int *count) {
  ts_scope_id sc = ts_scope_begin();
  ts_tensor *d2 = sph_dist2(s->pos);
  ts_tensor *near = ts_relu(ts_add_scalar(ts_neg(d2), s->h * s->h));
  float buf[SPH_N * SPH_N];
  ts_copy_to_buffer(near, buf, sizeof buf);
  ts_scope_end(sc);
  for (int i = 0; i < SPH_N; i++) {
    count[i] = 0;
    for (int j = 0; j < SPH_N; j++)
      count[i] += buf[i * SPH_N + j] > 0.0f;
  }
}

// BUG: use-after-scope: the distance matrix of the manual scope is copied out after ts_scope_end
static void sph_neighbours_late(const sph_sim *s, int *count) {
  ts_scope_id sc = ts_scope_begin();
  ts_tensor *d2 = sph_dist2(s->pos);
  ts_tensor *near = ts_relu(ts_add_scalar(ts_neg(d2), s->h * s->h));
  ts_scope_end(sc);
  float buf[SPH_N * SPH_N];
  ts_copy_to_buffer(near, buf, sizeof buf); // <- BUG
  for (int i = 0; i < SPH_N; i++) {
    count[i] = 0;
    for (int j = 0; j < SPH_N; j++)
      count[i] += buf[i * SPH_N + j] > 0.0f;
  }
}

// OK: entry: neighbour counts
void sph_entry_neighbours(void) {
  sph_sim s;
  int c[SPH_N];
  if (sph_init(&s, K_POLY6) == 0) {
    sph_neighbours(&s, c);
    printf("%d %d\n", c[0], c[SPH_N - 1]);
  }
  sph_free(&s);
}

// OK: entry: drives sph_neighbours_late
void sph_entry_neighbours_late(void) {
  sph_sim s;
  int c[SPH_N];
  if (sph_init(&s, K_POLY6) == 0)
    sph_neighbours_late(&s, c);
  sph_free(&s);
}

// BUG: leak: a boundary bounce replaces the velocity for escaped particles without freeing the old one
static void sph_bounce(sph_sim *s, double lo, double hi) {
  float p[SPH_N * 2], v[SPH_N * 2];
  ts_copy_to_buffer(s->pos, p, sizeof p);
  ts_copy_to_buffer(s->vel, v, sizeof v);
  int hit = 0;
  for (int i = 0; i < SPH_N * 2; i++)
    if (p[i] < lo || p[i] > hi) {
      v[i] = -v[i];
      hit = 1;
    }
  if (!hit)
    return;
  s->vel = ts_from_buffer(v, TS_SHAPE(SPH_N, 2), TS_FLOAT32); // <- BUG
}

// OK: entry: a bounce with particles outside the box
void sph_entry_bounce(void) {
  sph_sim s;
  if (sph_init(&s, K_GAUSS) == 0)
    sph_bounce(&s, 0.1, 0.5);
  sph_free(&s);
}

// OK: bounce that frees the old velocity
static void sph_bounce_ok(sph_sim *s, double lo, double hi) {
  float p[SPH_N * 2], v[SPH_N * 2];
  ts_copy_to_buffer(s->pos, p, sizeof p);
  ts_copy_to_buffer(s->vel, v, sizeof v);
  for (int i = 0; i < SPH_N * 2; i++)
    if (p[i] < lo || p[i] > hi)
      v[i] = -v[i];
  ts_tensor *nv = ts_from_buffer(v, TS_SHAPE(SPH_N, 2), TS_FLOAT32);
  if (!nv)
    return;
  ts_free(s->vel);
  s->vel = nv;
}

// OK: entry: steps with correct bounces
void sph_entry_bounce_ok(void) {
  sph_sim s;
  if (sph_init(&s, K_SPIKY) == 0)
    for (int t = 0; t < 5; t++) {
      sph_step(&s);
      sph_bounce_ok(&s, 0.0, 1.0);
    }
  sph_free(&s);
}

// BUG: double-free: a failed init frees the tensors it made, and the caller's sph_free frees them again
static int sph_init_from(sph_sim *s, const float *p, int n) {
  if (sph_init(s, K_POLY6) != 0)
    return -1;
  if (n != SPH_N) {
    ts_free(s->pos); // <- BUG
    ts_free(s->vel);
    ts_free(s->mass);
    return -1;
  }
  ts_tensor *np = ts_from_buffer(p, TS_SHAPE(SPH_N, 2), TS_FLOAT32);
  ts_free(s->pos);
  s->pos = np;
  return 0;
}

// OK: entry: sph_init_from with the wrong particle count
void sph_entry_init_from(void) {
  float p[SPH_N * 2] = {0};
  sph_sim s;
  if (sph_init_from(&s, p, 3) != 0)
    fprintf(stderr, "bad particle count\n");
  sph_free(&s);
}

// BUG: use-after-scope: the kinetic energy of each step is summed after its iteration scope ended
static double sph_energy_trace(sph_sim *s, int steps) {
  ts_tensor *ke = NULL;
  double tot = 0;
  TS_SCOPE for (int t = 0; t < steps; t++) {
    sph_step(s);
    if (ke)
      tot += ts_item(ke); // <- BUG
    ke = ts_sum(ts_mul(s->vel, s->vel));
  }
  return tot;
}

// OK: entry: drives sph_energy_trace
void sph_entry_energy(void) {
  sph_sim s;
  if (sph_init(&s, K_GAUSS) == 0)
    printf("%.6f\n", sph_energy_trace(&s, 3));
  sph_free(&s);
}

// OK: energy per step read inside each iteration's scope
static double sph_energy_ok(sph_sim *s, int steps) {
  double tot = 0;
  TS_SCOPE for (int t = 0; t < steps; t++) {
    sph_step(s);
    tot += ts_item(ts_sum(ts_mul(s->vel, s->vel)));
  }
  return tot;
}

// OK: entry: energy over steps, correctly
void sph_entry_energy_ok(void) {
  sph_sim s;
  if (sph_init(&s, K_SPIKY) == 0)
    printf("%.6f\n", sph_energy_ok(&s, 4));
  sph_free(&s);
}

// BUG: leak: the kernel is computed outside any scope and the scaled distances inside the call are never freed
static double sph_kernel_mass(const sph_sim *s) {
  ts_tensor *r2 = ts_zeros(TS_SHAPE(SPH_N, SPH_N), TS_FLOAT32);
  ts_tensor *w = ts_exp(ts_mul_scalar(r2, -1.0 / (s->h * s->h))); // <- BUG
  ts_tensor *tot = ts_sum(w);
  ts_free(w);
  double v = ts_item(tot);
  ts_free(tot);
  ts_free(r2);
  return v;
}

// OK: entry: drives sph_kernel_mass
void sph_entry_kernel_mass(void) {
  sph_sim s;
  if (sph_init(&s, K_GAUSS) == 0)
    printf("%.2f\n", sph_kernel_mass(&s));
  sph_free(&s);
}
