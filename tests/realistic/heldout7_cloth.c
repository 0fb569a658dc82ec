/* heldout7_cloth.c - a mass-spring cloth: particle positions as [N,3]
 * tensors integrated with Verlet steps, spring and floor constraints behind
 * a small vtable, a solver holding constraints in a growable array, wind
 * forces, surface normals and a linked history of frames for replay. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define CL_R 4
#define CL_C 4
#define CL_N (CL_R * CL_C)
#define CL_E (2 * CL_R * (CL_C - 1))

typedef struct {
  ts_tensor *pos;  /* [N,3] */
  ts_tensor *prev; /* [N,3] */
  ts_tensor *rest; /* [N,3] initial layout, for pins */
  ts_tensor *pin;  /* [N,1] bool, top row pinned */
} cl_cloth;

typedef struct cl_constraint {
  const char *name;
  int (*apply)(cl_cloth *c, void *ud);
  void (*destroy)(void *ud);
  void *ud;
} cl_constraint;

typedef struct {
  cl_constraint *items;
  int n, cap;
} cl_solver;

typedef struct {
  ts_tensor *inc;  /* [N,E] +1/-1 incidence */
  ts_tensor *incT; /* [E,N] */
  ts_tensor *rest; /* [E,1] rest lengths */
} cl_springs;

typedef struct {
  ts_tensor *dir;  /* [1,3] */
  ts_tensor *gust; /* [N,1] per-particle strength */
} cl_wind;

typedef struct cl_frame {
  ts_tensor *pos;
  struct cl_frame *next;
} cl_frame;

typedef struct {
  cl_frame *head;
  int n;
} cl_history;

// OK: a flat grid in the z = 0 plane
static ts_tensor *cl_grid(double spacing) {
  float p[CL_N * 3];
  for (int i = 0; i < CL_R; i++)
    for (int j = 0; j < CL_C; j++) {
      float *q = p + 3 * (i * CL_C + j);
      q[0] = (float)(j * spacing);
      q[1] = (float)(-i * spacing);
      q[2] = 0.0f;
    }
  return ts_from_buffer(p, TS_SHAPE(CL_N, 3), TS_FLOAT32);
}

// OK: early returns, each releasing what was made before it
static int cl_cloth_init(cl_cloth *c, double spacing) {
  c->pos = cl_grid(spacing);
  if (!c->pos)
    return -1;
  c->prev = ts_clone(c->pos);
  if (!c->prev) {
    ts_free(c->pos);
    return -1;
  }
  c->rest = ts_clone(c->pos);
  if (!c->rest) {
    ts_free(c->prev);
    ts_free(c->pos);
    return -1;
  }
  bool pin[CL_N] = {0};
  for (int j = 0; j < CL_C; j++)
    pin[j] = true;
  c->pin = ts_from_buffer(pin, TS_SHAPE(CL_N, 1), TS_BOOL);
  if (!c->pin) {
    ts_free(c->rest);
    ts_free(c->prev);
    ts_free(c->pos);
    return -1;
  }
  return 0;
}

// OK: frees the four tensors once
static void cl_cloth_free(cl_cloth *c) {
  ts_free(c->pin);
  ts_free(c->rest);
  ts_free(c->prev);
  ts_free(c->pos);
  memset(c, 0, sizeof *c);
}

// OK: one Verlet step; positions rotate into prev, the old prev is freed
static void cl_verlet(cl_cloth *c, double dt, double damp) {
  ts_tensor *vel = ts_sub(c->pos, c->prev);
  ts_tensor *g = ts_zeros(TS_SHAPE(1, 3), TS_FLOAT32);
  ts_tensor *gy = ts_narrow(g, 1, 1, 1);
  ts_fill_Scalar_(gy, -9.81 * dt * dt);
  ts_free(gy);
  ts_tensor *moved = ts_add(c->pos, ts_mul_Scalar_(vel, damp));
  ts_tensor *next = ts_add(moved, g);
  ts_free(moved);
  ts_free(g);
  ts_free(vel);
  ts_tensor *pinned = ts_where_self(c->pin, c->rest, next);
  ts_free(next);
  ts_free(c->prev);
  c->prev = c->pos;
  c->pos = pinned;
}

// BUG: use-after-free: the step's displacement is measured from the unpinned positions already freed
static double cl_verlet_measured(cl_cloth *c, double dt) {
  ts_tensor *vel = ts_sub(c->pos, c->prev);
  ts_tensor *next = ts_add(c->pos, vel);
  ts_free(vel);
  ts_tensor *pinned = ts_where_self(c->pin, c->rest, next);
  ts_free(next);
  ts_tensor *moved = ts_sub(next, c->pos); // <- BUG
  ts_tensor *n = ts_linalg_vector_norm(moved, 2.0, NULL, -1, false, TS_NO_DTYPE);
  double d = ts_item(n) * dt;
  ts_free(n);
  ts_free(moved);
  ts_free(c->prev);
  c->prev = c->pos;
  c->pos = pinned;
  return d;
}

// BUG: leak: the clamped length replaces the raw length without freeing it
static cl_springs *cl_springs_new(const cl_cloth *c) {
  float inc[CL_N * CL_E] = {0};
  int e = 0;
  for (int i = 0; i < CL_R; i++)
    for (int j = 0; j < CL_C; j++) {
      int a = i * CL_C + j;
      if (j + 1 < CL_C) {
        inc[a * CL_E + e] = 1.0f;
        inc[(a + 1) * CL_E + e++] = -1.0f;
      }
      if (i + 1 < CL_R) {
        inc[a * CL_E + e] = 1.0f;
        inc[(a + CL_C) * CL_E + e++] = -1.0f;
      }
    }
  cl_springs *s = malloc(sizeof *s);
  s->inc = ts_from_buffer(inc, TS_SHAPE(CL_N, CL_E), TS_FLOAT32);
  s->incT = ts_t(s->inc);
  ts_tensor *d = ts_matmul(s->incT, c->rest);
  ts_tensor *len = ts_linalg_vector_norm(d, 2.0, TS_SHAPE(1), true, TS_NO_DTYPE);
  len = ts_clamp_min(len, 1e-6); // <- BUG
  ts_free(d);
  s->rest = len;
  return s;
}

// OK: frees the three spring tensors and the struct
static void cl_springs_destroy(void *ud) {
  cl_springs *s = ud;
  ts_free(s->rest);
  ts_free(s->incT);
  ts_free(s->inc);
  free(s);
}

// OK: the same spring table with every intermediate freed
static cl_springs *cl_springs_grid(const cl_cloth *c, const float *inc) {
  cl_springs *s = malloc(sizeof *s);
  if (!s)
    return NULL;
  s->inc = ts_from_buffer(inc, TS_SHAPE(CL_N, CL_E), TS_FLOAT32);
  s->incT = ts_t(s->inc);
  ts_tensor *d = ts_matmul(s->incT, c->rest);
  ts_tensor *raw = ts_linalg_vector_norm(d, 2.0, TS_SHAPE(1), true, TS_NO_DTYPE);
  ts_free(d);
  s->rest = ts_clamp_min(raw, 1e-6);
  ts_free(raw);
  return s;
}

// OK: incidence of the grid's horizontal and vertical springs
static void cl_incidence(float *inc) {
  int e = 0;
  memset(inc, 0, sizeof(float) * CL_N * CL_E);
  for (int i = 0; i < CL_R; i++)
    for (int j = 0; j < CL_C; j++) {
      int a = i * CL_C + j;
      if (j + 1 < CL_C) {
        inc[a * CL_E + e] = 1.0f;
        inc[(a + 1) * CL_E + e++] = -1.0f;
      }
      if (i + 1 < CL_R) {
        inc[a * CL_E + e] = 1.0f;
        inc[(a + CL_C) * CL_E + e++] = -1.0f;
      }
    }
}

// OK: one relaxation pass in a scope; the new positions are kept
static int cl_spring_apply(cl_cloth *c, void *ud) {
  cl_springs *s = ud;
  TS_SCOPE {
    ts_tensor *d = ts_matmul(s->incT, c->pos);
    ts_tensor *len = ts_clamp_min(ts_linalg_vector_norm(d, 2.0, TS_SHAPE(1), true, TS_NO_DTYPE), 1e-6);
    ts_tensor *f = ts_mul_scalar(ts_div(ts_sub(len, s->rest), len), 0.5);
    ts_tensor *np = ts_sub(c->pos, ts_matmul(s->inc, ts_mul(d, f)));
    ts_tensor *pinned = ts_where_self(c->pin, c->rest, np);
    ts_free(c->pos);
    c->pos = ts_keep(pinned);
  }
  return 0;
}

// OK: pushes particles above the floor, kept out of the scope
static int cl_floor_apply(cl_cloth *c, void *ud) {
  const double *y0 = ud;
  TS_SCOPE {
    ts_tensor *y = ts_narrow(c->pos, 1, 1, 1);
    ts_tensor *lift = ts_clamp_min(ts_rsub_Scalar(y, *y0, 1.0), 0.0);
    ts_tensor *off = ts_cat((const ts_tensor *[]){ts_zeros_like(lift, TS_NO_DTYPE, NULL), lift,
                                                  ts_zeros_like(lift, TS_NO_DTYPE, NULL)},
                            3, 1);
    ts_tensor *np = ts_add(c->pos, off);
    ts_free(c->pos);
    c->pos = ts_keep(np);
  }
  return 0;
}

// BUG: use-after-scope: the lifted positions are stored in the cloth from inside the scope and read after it
static int cl_floor_apply_fast(cl_cloth *c, void *ud) {
  const double *y0 = ud;
  TS_SCOPE {
    ts_tensor *np = ts_clone(c->pos);
    ts_tensor *y = ts_narrow(np, 1, 1, 1);
    ts_clamp_min_(y, *y0);
    ts_free(c->pos);
    c->pos = np;
  }
  return ts_size(c->pos, 0) == CL_N ? 0 : -1; // <- BUG
}

// OK: the floor constraint owns nothing
static void cl_nothing(void *ud) { (void)ud; }

// OK: grows the array; on failure the constraint's data is destroyed here
static int cl_solver_add(cl_solver *s, cl_constraint k) {
  if (s->n == s->cap) {
    int cap = s->cap ? 2 * s->cap : 2;
    if (cap > 4) {
      k.destroy(k.ud);
      return -1;
    }
    cl_constraint *p = realloc(s->items, (size_t)cap * sizeof *p);
    if (!p) {
      k.destroy(k.ud);
      return -1;
    }
    s->items = p;
    s->cap = cap;
  }
  s->items[s->n++] = k;
  return 0;
}

// OK: applies every constraint in order
static int cl_solver_run(cl_solver *s, cl_cloth *c, int iters) {
  for (int it = 0; it < iters; it++)
    for (int i = 0; i < s->n; i++)
      if (s->items[i].apply(c, s->items[i].ud) != 0)
        return -1;
  return 0;
}

// OK: destroys each constraint once
static void cl_solver_free(cl_solver *s) {
  for (int i = 0; i < s->n; i++)
    s->items[i].destroy(s->items[i].ud);
  free(s->items);
  memset(s, 0, sizeof *s);
}

// OK: springs then floor; the solver owns the springs from the add on
static int cl_build_solver(cl_solver *s, const cl_cloth *c, double *floor_y) {
  float inc[CL_N * CL_E];
  cl_incidence(inc);
  cl_springs *sp = cl_springs_grid(c, inc);
  if (!sp)
    return -1;
  if (cl_solver_add(s, (cl_constraint){"springs", cl_spring_apply, cl_springs_destroy, sp}) != 0)
    return -1;
  return cl_solver_add(s, (cl_constraint){"floor", cl_floor_apply, cl_nothing, floor_y});
}

// BUG: double-free: a refused add already destroyed the springs, and they are destroyed again
static int cl_build_layers(cl_solver *s, const cl_cloth *c, int layers) {
  float inc[CL_N * CL_E];
  cl_incidence(inc);
  for (int l = 0; l < layers; l++) {
    cl_springs *sp = cl_springs_grid(c, inc);
    if (!sp)
      return -1;
    if (cl_solver_add(s, (cl_constraint){"springs", cl_spring_apply, cl_springs_destroy, sp}) != 0) {
      cl_springs_destroy(sp); // <- BUG
      return -1;
    }
  }
  return 0;
}

// OK: wind with a gust profile down the cloth
static int cl_wind_init(cl_wind *w, double strength) {
  w->dir = ts_from_buffer((const float[]){0.0f, 0.0f, 1.0f}, TS_SHAPE(1, 3), TS_FLOAT32);
  if (!w->dir)
    return -1;
  ts_tensor *r = ts_rand(TS_SHAPE(CL_N, 1), TS_FLOAT32);
  w->gust = r ? ts_mul_scalar(r, strength) : NULL;
  if (r)
    ts_free(r);
  if (!w->gust) {
    ts_free(w->dir);
    return -1;
  }
  return 0;
}

// BUG: leak: the gust profile is never freed with the wind
static void cl_wind_free(cl_wind *w) {
  ts_free(w->dir); // <- BUG
  w->dir = NULL;
}

// OK: adds wind to the positions in a guard scope
static void cl_wind_apply(cl_cloth *c, const cl_wind *w, double dt) {
  TS_SCOPE_GUARD();
  ts_tensor *push = ts_mul_scalar(ts_matmul(w->gust, w->dir), dt * dt);
  ts_tensor *np = ts_add(c->pos, push);
  ts_free(c->pos);
  c->pos = ts_keep(np);
}

// BUG: unescaped-return: the normals are returned from inside the block's scope
static ts_tensor *cl_normals(const cl_cloth *c) {
  TS_SCOPE {
    ts_tensor *right = ts_sub(ts_roll(c->pos, TS_SHAPE(-1), TS_SHAPE(0)), c->pos);
    ts_tensor *down = ts_sub(ts_roll(c->pos, TS_SHAPE(-CL_C), TS_SHAPE(0)), c->pos);
    return ts_linalg_cross(right, down, 1); // <- BUG
  }
  return NULL;
}

// OK: the normals escaped from the block's scope
static ts_tensor *cl_normals_ok(const cl_cloth *c) {
  TS_SCOPE {
    ts_tensor *right = ts_sub(ts_roll(c->pos, TS_SHAPE(-1), TS_SHAPE(0)), c->pos);
    ts_tensor *down = ts_sub(ts_roll(c->pos, TS_SHAPE(-CL_C), TS_SHAPE(0)), c->pos);
    return ts_escape(ts_linalg_cross(right, down, 1));
  }
  return NULL;
}

// OK: prepends a copy of the current frame
static int cl_history_push(cl_history *h, const ts_tensor *pos) {
  cl_frame *f = malloc(sizeof *f);
  if (!f)
    return -1;
  f->pos = ts_clone(pos);
  if (!f->pos) {
    free(f);
    return -1;
  }
  f->next = h->head;
  h->head = f;
  h->n++;
  return 0;
}

// OK: frees the frames after the first keep, each once
static void cl_history_trim(cl_history *h, int keep) {
  cl_frame **link = &h->head;
  for (int i = 0; i < keep && *link; i++)
    link = &(*link)->next;
  cl_frame *f = *link;
  *link = NULL;
  while (f) {
    cl_frame *next = f->next;
    ts_free(f->pos);
    free(f);
    h->n--;
    f = next;
  }
}

// BUG: use-after-free: the newest frame is read after the history was cleared
static double cl_history_last_height(cl_history *h) {
  if (!h->head)
    return 0.0;
  const ts_tensor *last = h->head->pos;
  cl_history_trim(h, 0);
  ts_tensor *y = ts_select_int(last, 1, 1); // <- BUG
  ts_tensor *m = ts_mean(y);
  double v = ts_item(m);
  ts_free(m);
  ts_free(y);
  return v;
}

// OK: the height read first, the history cleared after
static double cl_history_final_height(cl_history *h) {
  double v = 0.0;
  if (h->head) {
    TS_SCOPE {
      v = ts_item(ts_mean(ts_select_int(h->head->pos, 1, 1)));
    }
  }
  cl_history_trim(h, 0);
  return v;
}

// OK: simulate with the solver, record history, and clean up everything
void cl_run_sim(void) {
  cl_cloth c;
  cl_solver s = {0};
  cl_history h = {0};
  double floor_y = -5.0;
  if (cl_cloth_init(&c, 0.5) != 0)
    return;
  if (cl_build_solver(&s, &c, &floor_y) == 0) {
    for (int t = 0; t < 5; t++) {
      cl_verlet(&c, 0.02, 0.99);
      cl_solver_run(&s, &c, 2);
      cl_history_push(&h, c.pos);
    }
    cl_history_trim(&h, 2);
    printf("cloth: final height %.3f\n", cl_history_final_height(&h));
  }
  ts_tensor *n = cl_normals_ok(&c);
  ts_free(n);
  cl_solver_free(&s);
  cl_cloth_free(&c);
}

// OK: the measured step
void cl_run_measured(void) {
  cl_cloth c;
  if (cl_cloth_init(&c, 0.5) != 0)
    return;
  printf("cloth: moved %.3f\n", cl_verlet_measured(&c, 0.02));
  cl_cloth_free(&c);
}

// OK: builds springs with the leaky constructor
void cl_run_springs_new(void) {
  cl_cloth c;
  if (cl_cloth_init(&c, 0.5) != 0)
    return;
  cl_springs *sp = cl_springs_new(&c);
  cl_spring_apply(&c, sp);
  cl_springs_destroy(sp);
  cl_cloth_free(&c);
}

// OK: the fast floor on its own
void cl_run_floor_fast(void) {
  cl_cloth c;
  double y0 = -0.6;
  if (cl_cloth_init(&c, 0.5) != 0)
    return;
  cl_floor_apply_fast(&c, &y0);
  cl_cloth_free(&c);
}

// OK: more layers than the solver holds
void cl_run_layers(void) {
  cl_cloth c;
  cl_solver s = {0};
  if (cl_cloth_init(&c, 0.5) != 0)
    return;
  if (cl_build_layers(&s, &c, 6) != 0)
    printf("cloth: too many layers\n");
  cl_solver_free(&s);
  cl_cloth_free(&c);
}

// OK: wind blows for a few steps
void cl_run_wind(void) {
  cl_cloth c;
  cl_wind w;
  if (cl_cloth_init(&c, 0.5) != 0)
    return;
  if (cl_wind_init(&w, 2.0) == 0) {
    for (int t = 0; t < 3; t++)
      cl_wind_apply(&c, &w, 0.02);
    cl_wind_free(&w);
  }
  cl_cloth_free(&c);
}

// OK: uses the normals it is given
void cl_run_normals(void) {
  cl_cloth c;
  if (cl_cloth_init(&c, 0.5) != 0)
    return;
  ts_tensor *n = cl_normals(&c);
  printf("cloth: %lld normals\n", (long long)ts_size(n, 0));
  ts_free(n);
  cl_cloth_free(&c);
}

// OK: a short history, then its last height through the alias
void cl_run_history(void) {
  cl_cloth c;
  cl_history h = {0};
  if (cl_cloth_init(&c, 0.5) != 0)
    return;
  cl_history_push(&h, c.pos);
  cl_verlet(&c, 0.02, 0.99);
  cl_history_push(&h, c.pos);
  printf("cloth: last height %.3f\n", cl_history_last_height(&h));
  cl_cloth_free(&c);
}

// BUG: double-free: the last step's normals are freed in the loop and again after it
void cl_run_normals_loop(void) {
  cl_cloth c;
  ts_tensor *n = NULL;
  if (cl_cloth_init(&c, 0.5) != 0)
    return;
  for (int t = 0; t < 3; t++) {
    cl_verlet(&c, 0.02, 0.99);
    n = cl_normals_ok(&c);
    if (!n)
      break;
    printf("cloth: step %d normals %lld\n", t, (long long)ts_size(n, 0));
    ts_free(n);
  }
  if (n)
    ts_free(n); // <- BUG
  cl_cloth_free(&c);
}

// BUG: use-after-free: the first positions rotate into prev on one step and are freed on the next
void cl_run_total_drop(void) {
  cl_cloth c;
  if (cl_cloth_init(&c, 0.5) != 0)
    return;
  const ts_tensor *start = c.pos;
  cl_verlet(&c, 0.02, 0.99);
  cl_verlet(&c, 0.02, 0.99);
  ts_tensor *d = ts_sub(c.pos, start); // <- BUG
  ts_free(d);
  cl_cloth_free(&c);
}

// BUG: leak: the recorded frames are never trimmed from the history
void cl_run_record(void) {
  cl_cloth c;
  cl_history h = {0};
  if (cl_cloth_init(&c, 0.5) != 0)
    return;
  for (int t = 0; t < 3; t++) {
    cl_verlet(&c, 0.02, 0.99);
    cl_history_push(&h, c.pos); // <- BUG
  }
  printf("cloth: %d frames recorded\n", h.n);
  cl_cloth_free(&c);
}
