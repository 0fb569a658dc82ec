/*
 * heldout10_fem.c - one-dimensional heat conduction by finite elements: a
 * mesh struct with stiffness, load and boundary values built through a
 * label chain, element matrices assembled into a buffer, Jacobi solves in
 * scoped loops and under per-iteration guards, boundary conditions applied
 * through callbacks, summaries returned by value.
 *
 * Labels (see README.md): `// OK: why` or `// BUG: check: why` on the line
 * before each function; the line of the bug itself ends in `// <- BUG`.
 */
#include <stdio.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { NODES = 6, ELEMS = NODES - 1 };

typedef struct {
  ts_tensor *k;    /* [NODES, NODES] stiffness */
  ts_tensor *load; /* [NODES] */
  ts_tensor *bc;   /* [NODES] 1 where the value is fixed */
  double h;
} mesh;

typedef struct {
  ts_tensor *max; /* 0-d */
  double mean;
} summary;

typedef ts_tensor *(*bc_fn)(const mesh *m, const ts_tensor *x);

// OK: the assembled stiffness: each element matrix made, copied out, freed
static ts_tensor *assemble(double h) {
  float kbuf[NODES][NODES] = {{0}};
  for (int e = 0; e < ELEMS; e++) {
    ts_tensor *ke =
        ts_from_buffer((float[]){1, -1, -1, 1}, TS_SHAPE(2, 2), TS_FLOAT32);
    ts_tensor *scaled = ts_mul_scalar(ke, 1.0 / h);
    float v[4];
    ts_copy_to_buffer(scaled, v, sizeof v);
    kbuf[e][e] += v[0];
    kbuf[e][e + 1] += v[1];
    kbuf[e + 1][e] += v[2];
    kbuf[e + 1][e + 1] += v[3];
    ts_free(scaled);
    ts_free(ke);
  }
  for (int i = 0; i < NODES; i++)
    kbuf[i][i] += 0.5f;
  return ts_from_buffer(kbuf, TS_SHAPE(NODES, NODES), TS_FLOAT32);
}

// OK: stiffness, load and boundary through a label chain
static int mesh_build(mesh *m, int fail_at) {
  m->h = 1.0 / ELEMS;
  m->k = assemble(m->h);
  if (!m->k)
    return -1;
  m->load = ts_full(TS_SHAPE(NODES), TS_FLOAT32, 1.0);
  if (!m->load || fail_at == 1)
    goto fail_load;
  m->bc = ts_zeros(TS_SHAPE(NODES), TS_FLOAT32);
  if (!m->bc || fail_at == 2)
    goto fail_bc;
  return 0;
fail_bc:
  if (m->bc)
    ts_free(m->bc);
  ts_free(m->load);
fail_load:
  if (fail_at == 1 && m->load)
    ts_free(m->load);
  ts_free(m->k);
  return -1;
}

// BUG: leak: a boundary failure jumps to the cleanup that only knows about
// the stiffness
static int mesh_build_fast(mesh *m, int fail_at) {
  m->h = 1.0 / ELEMS;
  m->k = assemble(m->h);
  if (!m->k)
    return -1;
  m->load = ts_full(TS_SHAPE(NODES), TS_FLOAT32, 1.0);
  if (!m->load)
    goto fail;
  m->bc = fail_at == 2 ? NULL : ts_zeros(TS_SHAPE(NODES), TS_FLOAT32);
  if (!m->bc)
    goto fail; // <- BUG
  return 0;
fail:
  ts_free(m->k);
  return -1;
}

// OK: frees the three fields
static void mesh_free(mesh *m) {
  ts_free(m->k);
  ts_free(m->load);
  ts_free(m->bc);
}

// OK: a mesh and two failing builds
void fem_build(void) {
  mesh m;
  if (mesh_build(&m, 0) == 0) {
    ts_tensor *s = ts_sum(m.k);
    printf("stiffness sum %.2f\n", ts_item(s));
    ts_free(s);
    mesh_free(&m);
  }
  for (int f = 1; f <= 2; f++)
    if (mesh_build(&m, f) != 0)
      printf("build failed at %d\n", f);
}

// OK: the fast build's boundary failure
void fem_build_fast(void) {
  mesh m;
  if (mesh_build_fast(&m, 2) != 0)
    printf("build failed\n");
}

// OK: one Jacobi sweep x' = x + (load - K x) / diag; the caller owns x'
static ts_tensor *jacobi_sweep(const mesh *m, const ts_tensor *x) {
  ts_tensor *col = ts_reshape(x, TS_SHAPE(NODES, 1));
  ts_tensor *kx = ts_matmul(m->k, col);
  ts_tensor *flat = ts_reshape(kx, TS_SHAPE(NODES));
  ts_tensor *r = ts_sub(m->load, flat);
  ts_tensor *step = ts_mul_scalar(r, m->h / 2.5);
  ts_tensor *next = ts_add(x, step);
  ts_free(step);
  ts_free(r);
  ts_free(flat);
  ts_free(kx);
  ts_free(col);
  return next;
}

// OK: the residual norm of x
static double residual(const mesh *m, const ts_tensor *x) {
  ts_tensor *next = jacobi_sweep(m, x);
  ts_tensor *d = ts_sub(next, x);
  ts_tensor *a = ts_abs(d);
  ts_tensor *s = ts_sum(a);
  double v = ts_item(s);
  ts_free(s);
  ts_free(a);
  ts_free(d);
  ts_free(next);
  return v;
}

// OK: scoped sweeps: each new x escapes its iteration and the old one is freed
void fem_solve(void) {
  mesh m;
  if (mesh_build(&m, 0) != 0)
    return;
  ts_tensor *x = ts_zeros(TS_SHAPE(NODES), TS_FLOAT32);
  TS_SCOPE for (int it = 0; it < 10; it++) {
    ts_tensor *next = ts_escape(jacobi_sweep(&m, x));
    ts_free(x);
    x = next;
  }
  printf("residual %.5f\n", residual(&m, x));
  ts_free(x);
  mesh_free(&m);
}

// OK: a convergence check frees x once on either path
void fem_solve_checked(void) {
  mesh m;
  if (mesh_build(&m, 0) != 0)
    return;
  ts_tensor *x = ts_zeros(TS_SHAPE(NODES), TS_FLOAT32);
  for (int it = 0; it < 3; it++) {
    ts_tensor *next = jacobi_sweep(&m, x);
    ts_free(x);
    x = next;
  }
  if (residual(&m, x) > 1e-9) {
    printf("not converged\n");
    goto out;
  }
  printf("converged\n");
out:
  ts_free(x);
  mesh_free(&m);
}

// BUG: double-free: the not-converged path frees x and then falls into the
// cleanup that frees it again
void fem_solve_checked_twice(void) {
  mesh m;
  if (mesh_build(&m, 0) != 0)
    return;
  ts_tensor *x = ts_zeros(TS_SHAPE(NODES), TS_FLOAT32);
  for (int it = 0; it < 3; it++) {
    ts_tensor *next = jacobi_sweep(&m, x);
    ts_free(x);
    x = next;
  }
  if (residual(&m, x) > 1e-9) {
    printf("not converged\n");
    ts_free(x);
    goto out;
  }
  printf("converged\n");
out:
  ts_free(x); // <- BUG
  mesh_free(&m);
}

// OK: each iteration's block has its own guard; only a double leaves it
void fem_residual_trace(void) {
  mesh m;
  if (mesh_build(&m, 0) != 0)
    return;
  ts_tensor *x = ts_zeros(TS_SHAPE(NODES), TS_FLOAT32);
  double last = 0;
  for (int it = 0; it < 4; it++) {
    TS_SCOPE_GUARD();
    ts_tensor *next = jacobi_sweep(&m, x);
    ts_tensor *d = ts_sum(ts_abs(ts_sub(next, x)));
    last = ts_item(d);
    ts_free(x);
    x = ts_escape(next);
  }
  printf("last change %.5f\n", last);
  ts_free(x);
  mesh_free(&m);
}

// BUG: use-after-scope: the last change is a tensor of the iteration's guard
// scope, read after the loop
void fem_residual_trace_tensor(void) {
  mesh m;
  if (mesh_build(&m, 0) != 0)
    return;
  ts_tensor *x = ts_zeros(TS_SHAPE(NODES), TS_FLOAT32);
  ts_tensor *last = NULL;
  for (int it = 0; it < 4; it++) {
    TS_SCOPE_GUARD();
    ts_tensor *next = jacobi_sweep(&m, x);
    last = ts_sum(ts_abs(ts_sub(next, x)));
    ts_free(x);
    x = ts_escape(next);
  }
  printf("last change %.5f\n", ts_item(last)); // <- BUG
  ts_free(x);
  mesh_free(&m);
}

// OK: zero at both ends (Dirichlet), a new tensor in the caller's scope
TS_CALLER_SCOPE static ts_tensor *dirichlet(const mesh *m, const ts_tensor *x) {
  float mask[NODES];
  for (int i = 0; i < NODES; i++)
    mask[i] = (i == 0 || i == NODES - 1) ? 0.0f : 1.0f;
  (void)m;
  return ts_mul(x, ts_from_buffer(mask, TS_SHAPE(NODES), TS_FLOAT32));
}

// OK: scaled by the boundary field plus one, in the caller's scope
TS_CALLER_SCOPE static ts_tensor *robin(const mesh *m, const ts_tensor *x) {
  return ts_div(x, ts_add_scalar(m->bc, 1.0));
}

// OK: the boundary condition's result escapes the function's scope
TS_SCOPED static ts_tensor *apply_bc(const mesh *m, const ts_tensor *x,
                                     bc_fn f) {
  return ts_escape(f(m, x));
}

// BUG: unescaped-return: the callback's result belongs to this function's
// scope and is returned without ts_escape
TS_SCOPED static ts_tensor *apply_bc_twice(const mesh *m, const ts_tensor *x,
                                           bc_fn f) {
  ts_tensor *once = f(m, x);
  return f(m, once); // <- BUG
}

// OK: both conditions through apply_bc
void fem_boundaries(void) {
  mesh m;
  if (mesh_build(&m, 0) != 0)
    return;
  ts_tensor *x = ts_ones(TS_SHAPE(NODES), TS_FLOAT32);
  bc_fn fs[] = {dirichlet, robin};
  for (int k = 0; k < 2; k++) {
    ts_tensor *y = apply_bc(&m, x, fs[k]);
    ts_tensor *s = ts_sum(y);
    printf("bc %d: %.2f\n", k, ts_item(s));
    ts_free(s);
    ts_free(y);
  }
  ts_free(x);
  mesh_free(&m);
}

// OK: uses the twice-applied condition
void fem_boundaries_twice(void) {
  mesh m;
  if (mesh_build(&m, 0) != 0)
    return;
  ts_tensor *x = ts_ones(TS_SHAPE(NODES), TS_FLOAT32);
  ts_tensor *y = apply_bc_twice(&m, x, dirichlet);
  ts_tensor *s = ts_sum(y);
  printf("bc twice: %.2f\n", ts_item(s));
  ts_free(s);
  ts_free(y);
  ts_free(x);
  mesh_free(&m);
}

// OK: a summary by value: the maximum (the caller's) and the mean
static summary summarise(const ts_tensor *x) {
  summary s;
  s.max = ts_max(x);
  ts_tensor *m = ts_mean(x);
  s.mean = ts_item(m);
  ts_free(m);
  return s;
}

// OK: prints the summary and frees its maximum
static void summary_print_free(summary s) {
  printf("max %.3f mean %.3f\n", ts_item(s.max), s.mean);
  ts_free(s.max);
}

// OK: a summary printed and freed by the helper
void fem_summary(void) {
  mesh m;
  if (mesh_build(&m, 0) != 0)
    return;
  ts_tensor *x = jacobi_sweep(&m, m.load);
  summary s = summarise(x);
  summary_print_free(s);
  ts_free(x);
  mesh_free(&m);
}

// BUG: use-after-free: the helper freed the maximum through its copy of the
// summary, and the caller reads it again
void fem_summary_peak(void) {
  mesh m;
  if (mesh_build(&m, 0) != 0)
    return;
  ts_tensor *x = jacobi_sweep(&m, m.load);
  summary s = summarise(x);
  summary_print_free(s);
  double peak = ts_item(s.max); // <- BUG
  printf("peak again %.3f\n", peak);
  ts_free(x);
  mesh_free(&m);
}

// OK: a refined load: the new load replaces the old, which is freed
static void refine_load(mesh *m, double factor) {
  ts_tensor *next = ts_mul_scalar(m->load, factor);
  ts_free(m->load);
  m->load = next;
}

// BUG: leak: the heat source is added to the load without freeing the load
// it replaces
static void add_source(mesh *m, int node, double q) {
  float src[NODES] = {0};
  src[node] = (float)q;
  ts_tensor *s = ts_from_buffer(src, TS_SHAPE(NODES), TS_FLOAT32);
  m->load = ts_add(m->load, s); // <- BUG
  ts_free(s);
}

// OK: refined loads
void fem_loads(void) {
  mesh m;
  if (mesh_build(&m, 0) != 0)
    return;
  refine_load(&m, 0.5);
  refine_load(&m, 2.0);
  ts_tensor *s = ts_sum(m.load);
  printf("load %.2f\n", ts_item(s));
  ts_free(s);
  mesh_free(&m);
}

// OK: a heat source added to the load
void fem_loads_source(void) {
  mesh m;
  if (mesh_build(&m, 0) != 0)
    return;
  add_source(&m, 2, 3.0);
  ts_tensor *s = ts_sum(m.load);
  printf("load %.2f\n", ts_item(s));
  ts_free(s);
  mesh_free(&m);
}

// OK: a solve in ts_run; the solution escapes
static void *solve_job(void *ctx) {
  const mesh *m = ctx;
  ts_tensor *x = ts_zeros(TS_SHAPE(NODES), TS_FLOAT32);
  for (int it = 0; it < 5; it++)
    x = jacobi_sweep(m, x);
  return ts_escape(x);
}

// OK: the escaped solution, freed
void fem_run(void) {
  mesh m;
  if (mesh_build(&m, 0) != 0)
    return;
  ts_tensor *x = ts_run(solve_job, &m);
  printf("residual %.5f\n", residual(&m, x));
  ts_free(x);
  mesh_free(&m);
}
