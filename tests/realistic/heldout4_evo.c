/* heldout4_evo.c - evolution strategies on a shifted sphere: an OpenAI-style
 * ES with Gaussian perturbations held in a struct and replaced each
 * generation, antithetic sampling, centred-rank fitness shaping, best-so-far
 * snapshots, a diagonal CMA-like variance adaptation, and a (mu, lambda)
 * strategy with individuals in a malloc'd array sorted by qsort.
 * Labels: tests/realistic/README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { PD = 6, POP = 8, MU = 3 };

struct es {
  ts_tensor *theta; /* [PD] */
  ts_tensor *noise; /* [POP, PD], replaced each generation */
  ts_tensor *best;  /* copy of the best point so far, or NULL */
  double sigma, lr, best_f;
};

struct indiv {
  ts_tensor *x; /* [PD], owned */
  double f;
};

// OK: the fitness -(|x - 1|^2), temporaries in the function's scope
TS_SCOPED static double fitness(const ts_tensor *x) {
  ts_tensor *d = ts_add_scalar(x, -1.0);
  return -ts_item(ts_sum(ts_mul(d, d)));
}

// OK: a start at zero; noise is made per generation
static int es_init(struct es *e, double sigma, double lr) {
  e->theta = ts_zeros(TS_SHAPE(PD), TS_FLOAT32);
  e->noise = NULL;
  e->best = NULL;
  e->best_f = -INFINITY;
  e->sigma = sigma;
  e->lr = lr;
  return e->theta ? 0 : -1;
}

// OK: frees what is there and clears it
static void es_free(struct es *e) {
  if (e->noise)
    ts_free(e->noise);
  if (e->best)
    ts_free(e->best);
  ts_free(e->theta);
  e->noise = e->best = e->theta = NULL;
}

// OK: new perturbations replace the old ones, which are freed
static void sample_noise(struct es *e) {
  if (e->noise)
    ts_free(e->noise);
  e->noise = ts_randn(TS_SHAPE(POP, PD), TS_FLOAT32);
}

// OK: the fitness of each perturbed point; the views and points are freed
static void evaluate(const struct es *e, double *f) {
  for (int k = 0; k < POP; k++) {
    ts_tensor *n = ts_select_int(e->noise, 0, k);
    ts_tensor *step = ts_mul_scalar(n, e->sigma);
    ts_tensor *x = ts_add(e->theta, step);
    f[k] = fitness(x);
    ts_free(x);
    ts_free(step);
    ts_free(n);
  }
}

// OK: centred ranks in [-0.5, 0.5], in doubles
static void rank_shape(const double *f, float *w) {
  for (int i = 0; i < POP; i++) {
    int r = 0;
    for (int j = 0; j < POP; j++)
      r += f[j] < f[i];
    w[i] = (float)r / (POP - 1) - 0.5f;
  }
}

// OK: theta += lr / (POP sigma) * noise^T w, in place; the weights and the
// gradient are freed
static void es_step(struct es *e, const double *f) {
  float w[POP];
  rank_shape(f, w);
  ts_tensor *wt = ts_from_buffer(w, TS_SHAPE(POP), TS_FLOAT32);
  ts_tensor *nt = ts_t(e->noise);
  ts_tensor *g = ts_mv(nt, wt);
  ts_add_Tensor_(e->theta, g, e->lr / (POP * e->sigma));
  ts_free(g);
  ts_free(nt);
  ts_free(wt);
}

// OK: keeps a copy of theta when it is the best so far, freeing the older
// copy
static void track_best(struct es *e) {
  double f = fitness(e->theta);
  if (f <= e->best_f)
    return;
  if (e->best)
    ts_free(e->best);
  e->best = ts_clone(e->theta);
  e->best_f = f;
}

// OK: twenty generations
void evo_optimise(void) {
  struct es e;
  double f[POP];
  ts_manual_seed(71);
  if (es_init(&e, 0.1, 0.05) != 0)
    return;
  for (int g = 0; g < 20; g++) {
    sample_noise(&e);
    evaluate(&e, f);
    es_step(&e, f);
    track_best(&e);
  }
  printf("best fitness %.4f\n", e.best_f);
  es_free(&e);
}

// BUG: leak: the gradient estimate of the hand-written step is never
// freed
void evo_step_leak(void) {
  struct es e;
  double f[POP];
  float w[POP];
  if (es_init(&e, 0.1, 0.05) != 0)
    return;
  sample_noise(&e);
  evaluate(&e, f);
  rank_shape(f, w);
  ts_tensor *wt = ts_from_buffer(w, TS_SHAPE(POP), TS_FLOAT32);
  ts_tensor *nt = ts_t(e.noise);
  ts_tensor *g = ts_mv(nt, wt); // <- BUG
  ts_add_Tensor_(e.theta, g, e.lr / (POP * e.sigma));
  ts_free(nt);
  ts_free(wt);
  es_free(&e);
}

// BUG: use-after-free: eps names the perturbations sample_noise freed when
// it drew new ones
void evo_noise_reuse(void) {
  struct es e;
  if (es_init(&e, 0.1, 0.05) != 0)
    return;
  sample_noise(&e);
  ts_tensor *eps = e.noise;
  sample_noise(&e);
  ts_tensor *d = ts_sub(e.noise, eps); // <- BUG
  ts_free(d);
  es_free(&e);
}

// BUG: double-free: the candidate is stored as the best and then freed as
// a temporary, and es_free frees the best again
void evo_best_candidate(void) {
  struct es e;
  double f[POP];
  if (es_init(&e, 0.1, 0.05) != 0)
    return;
  sample_noise(&e);
  evaluate(&e, f);
  es_step(&e, f);
  ts_tensor *cand = ts_clone(e.theta);
  double fc = fitness(cand);
  if (fc > e.best_f) {
    e.best = cand;
    e.best_f = fc;
  }
  ts_free(cand);
  es_free(&e); // <- BUG
}

// BUG: unescaped-return: the antithetic pairs are made in the function's
// scope and returned as they are
TS_SCOPED static ts_tensor *antithetic_pairs(int64_t half) {
  ts_tensor *n = ts_randn(TS_SHAPE(half, PD), TS_FLOAT32);
  const ts_tensor *parts[2] = {n, ts_neg(n)};
  return ts_cat(parts, 2, 0); // <- BUG
}

// OK: the same pairs escaped for the caller
TS_SCOPED static ts_tensor *antithetic(int64_t half) {
  ts_tensor *n = ts_randn(TS_SHAPE(half, PD), TS_FLOAT32);
  const ts_tensor *parts[2] = {n, ts_neg(n)};
  return ts_escape(ts_cat(parts, 2, 0));
}

// OK: uses and frees what antithetic_pairs returns
void evo_antithetic_pairs(void) {
  ts_tensor *n = antithetic_pairs(POP / 2);
  ts_tensor *s = ts_sum(n);
  printf("pair sum %.2e\n", ts_item(s));
  ts_free(s);
  ts_free(n);
}

// OK: generations with antithetic noise handed to the struct
void evo_antithetic(void) {
  struct es e;
  double f[POP];
  if (es_init(&e, 0.1, 0.05) != 0)
    return;
  for (int g = 0; g < 10; g++) {
    if (e.noise)
      ts_free(e.noise);
    e.noise = antithetic(POP / 2);
    evaluate(&e, f);
    es_step(&e, f);
  }
  printf("fitness %.4f\n", fitness(e.theta));
  es_free(&e);
}

// BUG: use-after-scope: the candidate is made inside a scope and evaluated
// after it
void evo_scoped_candidate(void) {
  struct es e;
  if (es_init(&e, 0.1, 0.05) != 0)
    return;
  ts_tensor *cand = NULL;
  TS_SCOPE {
    ts_tensor *step = ts_randn(TS_SHAPE(PD), TS_FLOAT32);
    cand = ts_add(e.theta, ts_mul_scalar(step, e.sigma));
  }
  printf("candidate fitness %.3f\n", fitness(cand)); // <- BUG
  es_free(&e);
}

// OK: a diagonal variance adapted in place towards the spread of the best
// perturbations
void evo_diag_cma(void) {
  struct es e;
  double f[POP];
  if (es_init(&e, 0.3, 0.1) != 0)
    return;
  ts_tensor *var = ts_ones(TS_SHAPE(PD), TS_FLOAT32);
  for (int g = 0; g < 8; g++) {
    sample_noise(&e);
    ts_tensor *sd = ts_sqrt(var);
    ts_mul_Tensor_(e.noise, sd);
    ts_free(sd);
    evaluate(&e, f);
    es_step(&e, f);
    TS_SCOPE {
      ts_tensor *sq = ts_mul(e.noise, e.noise);
      ts_tensor *m = ts_mean_dim(sq, TS_SHAPE(0), false, TS_NO_DTYPE);
      ts_lerp_Scalar_(var, m, 0.2);
    }
  }
  ts_tensor *mv = ts_mean(var);
  printf("mean variance %.3f\n", ts_item(mv));
  ts_free(mv);
  ts_free(var);
  es_free(&e);
}

// BUG: leak: the adapted variance is a new tensor each generation and the
// previous one is not freed
void evo_diag_cma_leak(void) {
  struct es e;
  if (es_init(&e, 0.3, 0.1) != 0)
    return;
  ts_tensor *var = ts_ones(TS_SHAPE(PD), TS_FLOAT32);
  for (int g = 0; g < 3; g++) {
    sample_noise(&e);
    ts_tensor *sq = ts_mul(e.noise, e.noise);
    ts_tensor *m = ts_mean_dim(sq, TS_SHAPE(0), false, TS_NO_DTYPE);
    ts_free(sq);
    var = ts_lerp_Scalar(var, m, 0.2); // <- BUG
    ts_free(m);
  }
  ts_free(var);
  es_free(&e);
}

// OK: orders individuals by fitness, best first
static int by_fitness(const void *a, const void *b) {
  const struct indiv *x = a, *y = b;
  return (x->f < y->f) - (x->f > y->f);
}

// OK: a population of perturbed copies of parent in a malloc'd array
static struct indiv *population_new(const ts_tensor *parent, double sigma,
                                    int n) {
  struct indiv *pop = malloc(sizeof *pop * (size_t)n);
  if (!pop)
    return NULL;
  for (int i = 0; i < n; i++) {
    ts_tensor *z = ts_randn(TS_SHAPE(PD), TS_FLOAT32);
    pop[i].x = ts_add(parent, ts_mul_Scalar_(z, sigma));
    ts_free(z);
    pop[i].f = fitness(pop[i].x);
  }
  return pop;
}

// OK: frees every individual and the array
static void population_free(struct indiv *pop, int n) {
  for (int i = 0; i < n; i++)
    ts_free(pop[i].x);
  free(pop);
}

// OK: (mu, lambda): the parent becomes the mean of the mu best
void evo_mu_lambda(void) {
  ts_tensor *parent = ts_zeros(TS_SHAPE(PD), TS_FLOAT32);
  for (int g = 0; g < 10; g++) {
    struct indiv *pop = population_new(parent, 0.3, POP);
    if (!pop)
      break;
    qsort(pop, POP, sizeof *pop, by_fitness);
    ts_tensor *next = ts_zeros(TS_SHAPE(PD), TS_FLOAT32);
    for (int i = 0; i < MU; i++)
      ts_add_Tensor_(next, pop[i].x, 1.0 / MU);
    population_free(pop, POP);
    ts_free(parent);
    parent = next;
  }
  printf("parent fitness %.4f\n", fitness(parent));
  ts_free(parent);
}

// BUG: double-free: the elite are copied by value, sharing their tensors,
// and both the elite and the population are freed
void evo_elite_copy(void) {
  ts_tensor *parent = ts_zeros(TS_SHAPE(PD), TS_FLOAT32);
  struct indiv *pop = population_new(parent, 0.3, POP);
  if (pop) {
    struct indiv elite[MU];
    qsort(pop, POP, sizeof *pop, by_fitness);
    memcpy(elite, pop, sizeof elite);
    for (int i = 0; i < MU; i++)
      ts_free(elite[i].x);
    population_free(pop, POP); // <- BUG
  }
  ts_free(parent);
}

// BUG: use-after-free: the best individual's point is read after the
// population that owned it was freed
void evo_best_after_free(void) {
  ts_tensor *parent = ts_zeros(TS_SHAPE(PD), TS_FLOAT32);
  struct indiv *pop = population_new(parent, 0.3, POP);
  if (pop) {
    qsort(pop, POP, sizeof *pop, by_fitness);
    ts_tensor *best = pop[0].x;
    population_free(pop, POP);
    printf("best fitness %.4f\n", fitness(best)); // <- BUG
  }
  ts_free(parent);
}

// BUG: leak: truncation keeps the best half and frees only that half,
// dropping the rest with their tensors
void evo_truncation(void) {
  ts_tensor *parent = ts_zeros(TS_SHAPE(PD), TS_FLOAT32);
  struct indiv *pop = population_new(parent, 0.3, POP); // <- BUG
  if (pop) {
    qsort(pop, POP, sizeof *pop, by_fitness);
    printf("survivor fitness %.4f\n", pop[POP / 2 - 1].f);
    population_free(pop, POP / 2);
  }
  ts_free(parent);
}

struct eval_job {
  const struct indiv *pop;
  int n;
  double mean_f;
};

// OK: the population's mean fitness recomputed inside a ts_run job
static void *eval_job(void *ctx) {
  struct eval_job *j = ctx;
  const ts_tensor *xs[POP];
  for (int i = 0; i < j->n; i++)
    xs[i] = j->pop[i].x;
  ts_tensor *X = ts_stack(xs, j->n, 0);
  ts_tensor *d = ts_add_scalar(X, -1.0);
  ts_tensor *f =
      ts_neg(ts_sum_dim_IntList(ts_mul(d, d), TS_SHAPE(1), false, TS_NO_DTYPE));
  j->mean_f = ts_item(ts_mean(f));
  return NULL;
}

// OK: runs the job on a fresh population
void evo_eval_job(void) {
  ts_tensor *parent = ts_zeros(TS_SHAPE(PD), TS_FLOAT32);
  struct indiv *pop = population_new(parent, 0.3, POP);
  if (pop) {
    struct eval_job j = {pop, POP, 0.0};
    ts_run(eval_job, &j);
    printf("mean fitness %.4f\n", j.mean_f);
    population_free(pop, POP);
  }
  ts_free(parent);
}
