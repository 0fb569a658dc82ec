/* heldout3_logreg.c - ridge and logistic regression fitted by hand: a
 * closed form through a linear solve, a path over regularisation strengths,
 * gradient descent with a backtracking (Armijo) line search, Newton steps,
 * autograd gradients, accuracy.
 * Labels: tests/realistic/README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { NS = 40, NF = 4 };

struct problem {
  ts_tensor *X; /* [NS,NF] */
  ts_tensor *y; /* [NS,1] in {0,1} */
};

// OK: a separable-ish problem; both tensors handed to the struct
static void problem_make(struct problem *p) {
  p->X = ts_randn(TS_SHAPE(NS, NF), TS_FLOAT32);
  ts_tensor *w = ts_ones(TS_SHAPE(NF, 1), TS_FLOAT32);
  ts_tensor *s = ts_matmul(p->X, w);
  ts_tensor *pos = ts_gt_Scalar(s, 0.0);
  p->y = ts_to_dtype(pos, TS_FLOAT32, false, false);
  ts_free(pos);
  ts_free(s);
  ts_free(w);
}

// OK: frees the problem
static void problem_free(struct problem *p) {
  ts_free(p->X);
  ts_free(p->y);
}

// OK: a scalar from a tensor, in a guard scope
static double scalar_of(const ts_tensor *t) {
  TS_SCOPE_GUARD();
  return ts_item(ts_sum(t));
}

// OK: ridge weights (X^T X + lambda I)^-1 X^T y
static ts_tensor *ridge(const struct problem *p, double lambda) {
  ts_tensor *xt = ts_t(p->X);
  ts_tensor *g = ts_matmul(xt, p->X);
  ts_tensor *eye = ts_eye(NF, TS_FLOAT32, NULL);
  ts_mul_Scalar_(eye, lambda);
  ts_add_Tensor_(g, eye, 1.0);
  ts_free(eye);
  ts_tensor *b = ts_matmul(xt, p->y);
  ts_free(xt);
  ts_tensor *w = ts_linalg_solve(g, b, true);
  ts_free(g);
  ts_free(b);
  return w;
}

// OK: squared error of a linear fit, temporaries in one scope
TS_SCOPED static double sq_error(const struct problem *p, const ts_tensor *w) {
  ts_tensor *pred = ts_matmul(p->X, w);
  return ts_item(ts_mse_loss(pred, p->y));
}

// OK: the regularisation path keeps the best weights, frees the others
void logreg_ridge_path(void) {
  struct problem p;
  problem_make(&p);
  ts_tensor *best = NULL;
  double best_err = INFINITY;
  const double lambdas[] = {0.01, 0.1, 1.0, 10.0};
  for (int i = 0; i < 4; i++) {
    ts_tensor *w = ridge(&p, lambdas[i]);
    double e = sq_error(&p, w);
    if (e < best_err) {
      if (best)
        ts_free(best);
      best = w;
      best_err = e;
    } else {
      ts_free(w);
    }
  }
  printf("best ridge err %.4f, |w| %.3f\n", best_err, scalar_of(best));
  ts_free(best);
  problem_free(&p);
}

// BUG: leak: a new best replaces the old one without freeing it
void logreg_ridge_path_leaky(void) {
  struct problem p;
  problem_make(&p);
  ts_tensor *best = NULL;
  double best_err = INFINITY;
  const double lambdas[] = {10.0, 1.0, 0.1};
  for (int i = 0; i < 3; i++) {
    ts_tensor *w = ridge(&p, lambdas[i]);
    double e = sq_error(&p, w);
    if (e < best_err) {
      best = w; // <- BUG
      best_err = e;
    } else {
      ts_free(w);
    }
  }
  printf("best ridge err %.4f\n", best_err);
  ts_free(best);
  problem_free(&p);
}

// OK: mean logistic loss of weights w
static double logistic_loss(const struct problem *p, const ts_tensor *w) {
  TS_SCOPE_GUARD();
  ts_tensor *z = ts_matmul(p->X, w);
  ts_tensor *l = ts_binary_cross_entropy_with_logits(z, p->y, NULL, NULL, 1);
  return ts_item(l);
}

// OK: gradient X^T (sigmoid(Xw) - y) / n, a new tensor
static ts_tensor *logistic_grad(const struct problem *p, const ts_tensor *w) {
  ts_tensor *z = ts_matmul(p->X, w);
  ts_sigmoid_(z);
  ts_sub_Tensor_(z, p->y, 1.0);
  ts_tensor *xt = ts_t(p->X);
  ts_tensor *g = ts_matmul(xt, z);
  ts_free(xt);
  ts_free(z);
  ts_div_Scalar_(g, NS);
  return g;
}

// OK: backtracking line search: rejected candidates are freed, the accepted
// one is returned; NULL when no step is accepted
static ts_tensor *line_search(const struct problem *p, const ts_tensor *w,
                              const ts_tensor *g, double *step) {
  double f0 = logistic_loss(p, w);
  ts_tensor *g2 = ts_mul(g, g);
  double gg = scalar_of(g2);
  ts_free(g2);
  for (double t = *step; t > 1e-6; t *= 0.5) {
    ts_tensor *cand = ts_sub_Tensor(w, g, t);
    if (logistic_loss(p, cand) <= f0 - 0.5 * t * gg) {
      *step = t;
      return cand;
    }
    ts_free(cand);
  }
  return NULL;
}

// OK: gradient descent with the line search; the weights are replaced
void logreg_gd(void) {
  struct problem p;
  problem_make(&p);
  ts_tensor *w = ts_zeros(TS_SHAPE(NF, 1), TS_FLOAT32);
  double step = 4.0;
  for (int it = 0; it < 20; it++) {
    ts_tensor *g = logistic_grad(&p, w);
    if (scalar_of(g) == 0.0) {
      ts_free(g);
      break;
    }
    ts_tensor *next = line_search(&p, w, g, &step);
    ts_free(g);
    if (!next)
      break;
    ts_free(w);
    w = next;
    step *= 2.0;
  }
  printf("gd loss %.4f\n", logistic_loss(&p, w));
  ts_free(w);
  problem_free(&p);
}

// BUG: use-after-free: the weights are freed before the search result is
// checked, and the stall message reads them
void logreg_gd_stall(void) {
  struct problem p;
  problem_make(&p);
  ts_tensor *w = ts_zeros(TS_SHAPE(NF, 1), TS_FLOAT32);
  double step = 1e-7;
  for (int it = 0; it < 5; it++) {
    ts_tensor *g = logistic_grad(&p, w);
    ts_tensor *next = line_search(&p, w, g, &step);
    ts_free(g);
    ts_free(w);
    if (!next) {
      printf("stalled at loss %.4f\n", logistic_loss(&p, w)); // <- BUG
      w = NULL;
      break;
    }
    w = next;
  }
  if (w)
    ts_free(w);
  problem_free(&p);
}

// BUG: use-after-free: the accepted candidate is freed with the rejected
// ones, then its loss is logged
static double line_search_probe(const struct problem *p, const ts_tensor *w,
                                const ts_tensor *g) {
  double f0 = logistic_loss(p, w);
  ts_tensor *found = NULL;
  for (double t = 2.0; t > 1e-3; t *= 0.5) {
    ts_tensor *cand = ts_sub_Tensor(w, g, t);
    int ok = logistic_loss(p, cand) < f0;
    if (ok)
      found = cand;
    ts_free(cand);
    if (ok)
      break;
  }
  return found ? logistic_loss(p, found) : f0; // <- BUG
}

// OK: drives the probing search (the bug is in the search)
void logreg_probe(void) {
  struct problem p;
  problem_make(&p);
  ts_tensor *w = ts_zeros(TS_SHAPE(NF, 1), TS_FLOAT32);
  ts_tensor *g = logistic_grad(&p, w);
  printf("probe %.4f\n", line_search_probe(&p, w, g));
  ts_free(g);
  ts_free(w);
  problem_free(&p);
}

// OK: the Hessian X^T diag(p(1-p)) X / n plus a damping term
static ts_tensor *hessian(const struct problem *p, const ts_tensor *w) {
  ts_tensor *z = ts_matmul(p->X, w);
  ts_tensor *s = ts_sigmoid(z);
  ts_free(z);
  ts_tensor *one_minus = ts_neg(s);
  ts_add_Scalar_(one_minus, 1.0, 1.0);
  ts_mul_Tensor_(s, one_minus);
  ts_free(one_minus);
  ts_tensor *xs = ts_mul(p->X, s);
  ts_free(s);
  ts_tensor *xt = ts_t(p->X);
  ts_tensor *h = ts_matmul(xt, xs);
  ts_free(xt);
  ts_free(xs);
  ts_div_Scalar_(h, NS);
  ts_tensor *eye = ts_eye(NF, TS_FLOAT32, NULL);
  ts_add_Tensor_(h, eye, 1e-3);
  ts_free(eye);
  return h;
}

// OK: one Newton step: a new weight vector; the Hessian and the direction
// are freed here, whatever happens
static ts_tensor *newton_step(const struct problem *p, const ts_tensor *w) {
  ts_tensor *g = logistic_grad(p, w);
  ts_tensor *h = hessian(p, w);
  ts_tensor *dir = ts_linalg_solve(h, g, true);
  ts_free(h);
  ts_free(g);
  if (!dir)
    return NULL;
  ts_tensor *next = ts_sub(w, dir);
  ts_free(dir);
  return next;
}

// OK: Newton's method, stops when the loss stops improving
void logreg_newton(void) {
  struct problem p;
  problem_make(&p);
  ts_tensor *w = ts_zeros(TS_SHAPE(NF, 1), TS_FLOAT32);
  double prev = logistic_loss(&p, w);
  for (int it = 0; it < 8; it++) {
    ts_tensor *next = newton_step(&p, w);
    if (!next)
      break;
    double f = logistic_loss(&p, next);
    if (f > prev - 1e-6) {
      ts_free(next);
      break;
    }
    ts_free(w);
    w = next;
    prev = f;
  }
  printf("newton loss %.5f\n", prev);
  ts_free(w);
  problem_free(&p);
}

// BUG: leak: the rejected Newton iterate is dropped on the stopping break
void logreg_newton_stop(void) {
  struct problem p;
  problem_make(&p);
  ts_tensor *w = ts_zeros(TS_SHAPE(NF, 1), TS_FLOAT32);
  double prev = logistic_loss(&p, w);
  for (int it = 0; it < 30; it++) {
    ts_tensor *next = newton_step(&p, w); // <- BUG
    double f = logistic_loss(&p, next);
    if (f > prev - 1e-3)
      break;
    ts_free(w);
    w = next;
    prev = f;
  }
  ts_free(w);
  problem_free(&p);
}

// OK: Hessian checked for a bad condition by the caller; the helper owns
// nothing it was given
static int damped(const ts_tensor *h, double *cond) {
  ts_tensor *eig[2];
  if (ts_linalg_eigh(eig, h, "L") != TS_OK)
    return -1;
  ts_tensor *mx = ts_max(eig[0]);
  ts_tensor *mn = ts_min(eig[0]);
  *cond = ts_item(mx) / ts_item(mn);
  ts_free(mx);
  ts_free(mn);
  ts_free(eig[0]);
  ts_free(eig[1]);
  return 0;
}

// OK: frees a Hessian it refuses (ill-conditioned), keeps it otherwise
static int check_hessian(ts_tensor *h) {
  double c;
  if (damped(h, &c) != 0 || c > 1.0) {
    ts_free(h);
    return -1;
  }
  return 0;
}

// BUG: double-free: the check frees the Hessian it refuses, and the caller
// frees it again
void logreg_condition(void) {
  struct problem p;
  problem_make(&p);
  ts_tensor *w = ts_zeros(TS_SHAPE(NF, 1), TS_FLOAT32);
  ts_tensor *h = hessian(&p, w);
  if (check_hessian(h) != 0)
    fprintf(stderr, "ill-conditioned\n");
  ts_free(h); // <- BUG
  ts_free(w);
  problem_free(&p);
}

// OK: autograd for the same loss; the gradient handle is freed after the step
void logreg_autograd(void) {
  struct problem p;
  problem_make(&p);
  ts_tensor *w = ts_zeros(TS_SHAPE(NF, 1), TS_FLOAT32);
  ts_requires_grad(w, true);
  for (int it = 0; it < 10; it++) {
    TS_SCOPE {
      ts_tensor *z = ts_matmul(p.X, w);
      ts_tensor *l = ts_binary_cross_entropy_with_logits(z, p.y, NULL, NULL, 1);
      ts_backward(l);
    }
    ts_tensor *g = ts_grad(w);
    if (g) {
      printf("it %d |g| %.4f\n", it, scalar_of(g));
      ts_free(g);
    }
    ts_sgd_step(w, 0.5);
    ts_zero_grad(w);
  }
  ts_free(w);
  problem_free(&p);
}

// BUG: leak: the gradient handle from ts_grad is read and never freed
void logreg_autograd_peek(void) {
  struct problem p;
  problem_make(&p);
  ts_tensor *w = ts_zeros(TS_SHAPE(NF, 1), TS_FLOAT32);
  ts_requires_grad(w, true);
  TS_SCOPE {
    ts_tensor *z = ts_matmul(p.X, w);
    ts_backward(ts_binary_cross_entropy_with_logits(z, p.y, NULL, NULL, 1));
  }
  ts_tensor *g = ts_grad(w); // <- BUG
  printf("|g| %.4f\n", scalar_of(g));
  ts_sgd_step(w, 0.5);
  ts_free(w);
  problem_free(&p);
}

// OK: accuracy in a scoped function
TS_SCOPED static double accuracy(const struct problem *p, const ts_tensor *w) {
  ts_tensor *z = ts_matmul(p->X, w);
  ts_tensor *hit = ts_eq_Scalar(
      ts_sub(ts_to_dtype(ts_gt_Scalar(z, 0.0), TS_FLOAT32, false, false), p->y),
      0.0);
  return ts_item(ts_mean(ts_to_dtype(hit, TS_FLOAT32, false, false)));
}

// OK: accuracy of the ridge fit used as a classifier
void logreg_accuracy(void) {
  struct problem p;
  problem_make(&p);
  ts_tensor *w = ridge(&p, 1.0);
  printf("accuracy %.3f\n", accuracy(&p, w));
  ts_free(w);
  problem_free(&p);
}

struct fitted {
  ts_tensor *w;
  ts_tensor *pred; /* last predictions */
};

// BUG: use-after-scope: the predictions are stored in the struct from a
// scoped block and read afterwards
void logreg_store_pred(void) {
  struct problem p;
  problem_make(&p);
  struct fitted f = {ridge(&p, 0.5), NULL};
  TS_SCOPE {
    ts_tensor *z = ts_matmul(p.X, f.w);
    f.pred = ts_sigmoid(z);
  }
  printf("mean prob %.3f\n", scalar_of(f.pred)); // <- BUG
  ts_free(f.w);
  problem_free(&p);
}

// OK: the same, with the predictions escaped out of the block
void logreg_store_pred_ok(void) {
  struct problem p;
  problem_make(&p);
  struct fitted f = {ridge(&p, 0.5), NULL};
  TS_SCOPE {
    ts_tensor *z = ts_matmul(p.X, f.w);
    f.pred = ts_escape(ts_sigmoid(z));
  }
  printf("mean prob %.3f\n", scalar_of(f.pred));
  ts_free(f.pred);
  ts_free(f.w);
  problem_free(&p);
}

// BUG: unescaped-return: the early return inside the block hands back the
// block's tensor
static ts_tensor *fit_or_default(const struct problem *p, double lambda) {
  TS_SCOPE {
    ts_tensor *w = ridge(p, lambda);
    if (sq_error(p, w) < 10.0)
      return w; // <- BUG
  }
  return ts_zeros(TS_SHAPE(NF, 1), TS_FLOAT32);
}

// OK: the same with the escape on the early return
static ts_tensor *fit_or_default_ok(const struct problem *p, double lambda) {
  TS_SCOPE {
    ts_tensor *w = ridge(p, lambda);
    if (sq_error(p, w) < 10.0)
      return ts_escape(w);
  }
  return ts_zeros(TS_SHAPE(NF, 1), TS_FLOAT32);
}

// OK: uses both fits (the first helper is wrong)
void logreg_fit_default(void) {
  struct problem p;
  problem_make(&p);
  ts_tensor *w = fit_or_default(&p, 1.0);
  printf("w %.3f\n", scalar_of(w));
  ts_free(w);
  problem_free(&p);
}

// OK: the escaped fit is used and freed
void logreg_fit_default_ok(void) {
  struct problem p;
  problem_make(&p);
  ts_tensor *w = fit_or_default_ok(&p, 1.0);
  printf("w %.3f\n", scalar_of(w));
  ts_free(w);
  problem_free(&p);
}

// BUG: leak: the gradient computed for the stopping test is never freed
void logreg_grad_check_leak(void) {
  struct problem p;
  problem_make(&p);
  ts_tensor *w = ridge(&p, 1.0);
  ts_tensor *g = logistic_grad(&p, w); // <- BUG
  printf("|g| %.4f\n", scalar_of(g));
  ts_free(w);
  problem_free(&p);
}

// BUG: double-free: the problem is freed on the error report and again at
// the end
void logreg_problem_twice(void) {
  struct problem p;
  problem_make(&p);
  ts_tensor *w = ridge(&p, 0.1);
  if (sq_error(&p, w) > 0.0) {
    fprintf(stderr, "residual left\n");
    problem_free(&p);
  }
  ts_free(w);
  problem_free(&p); // <- BUG
}

// BUG: use-after-free: the weights are freed before the accuracy is read
void logreg_accuracy_freed(void) {
  struct problem p;
  problem_make(&p);
  ts_tensor *w = ridge(&p, 1.0);
  ts_free(w);
  printf("accuracy %.3f\n", accuracy(&p, w)); // <- BUG
  problem_free(&p);
}

// BUG: leak: the Hessian is dropped when the Newton step does not cut the
// loss enough
static int newton_improves(const struct problem *p, const ts_tensor *w) {
  ts_tensor *h = hessian(p, w); // <- BUG
  ts_tensor *g = logistic_grad(p, w);
  ts_tensor *dir = ts_linalg_solve(h, g, true);
  ts_free(g);
  ts_tensor *next = ts_sub(w, dir);
  ts_free(dir);
  int better = logistic_loss(p, next) < 0.01 * logistic_loss(p, w);
  ts_free(next);
  if (!better)
    return 0;
  ts_free(h);
  return 1;
}

// OK: asks whether a Newton step cuts the loss a hundredfold (the probe
// leaks when it does not)
void logreg_newton_probe(void) {
  struct problem p;
  problem_make(&p);
  ts_tensor *w = ts_zeros(TS_SHAPE(NF, 1), TS_FLOAT32);
  printf("newton worth it: %d\n", newton_improves(&p, w));
  ts_free(w);
  problem_free(&p);
}

// BUG: double-free: the old weights are freed before the swap and again
// when replaced
void logreg_swap_twice(void) {
  struct problem p;
  problem_make(&p);
  ts_tensor *w = ridge(&p, 1.0);
  ts_tensor *g = logistic_grad(&p, w);
  ts_tensor *next = ts_sub(w, g);
  ts_free(g);
  ts_free(w);
  if (logistic_loss(&p, next) < 100.0) {
    ts_free(w); // <- BUG
    w = next;
  }
  ts_free(w);
  problem_free(&p);
}

// BUG: use-after-free: the targets are freed while the problem still uses
// them for the loss
void logreg_targets_freed(void) {
  struct problem p;
  problem_make(&p);
  ts_tensor *w = ridge(&p, 1.0);
  ts_free(p.y);
  printf("loss %.4f\n", logistic_loss(&p, w)); // <- BUG
  ts_free(p.X);
  ts_free(w);
}
