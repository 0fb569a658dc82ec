/*
 * optim.c - the optimizers of <tsmem/nn.h> (SGD, Adam, AdamW, RMSprop) and
 * the learning-rate schedules (StepLR, CosineAnnealingLR).
 *
 * Each update is torch 1.13's single-tensor implementation
 * (torch/optim/<name>.py, _single_tensor_<name>), operation for operation,
 * so that 100 steps from the same start end at the same parameters to
 * float rounding. The updates run with gradient mode off, inside a scope of
 * their own that frees every temporary; the state tensors (momentum
 * buffers, moments) are manual-owned by the optimizer, created at the first
 * step a parameter has a gradient, as torch does, and freed by
 * ts_optim_free (or ts_store_free).
 *
 * A parameter whose state is made is updated in a batch with the others:
 * the same operations through libtorch's `_foreach_` ops, one call per
 * operation for all of them (optim_foreach.h; bit-identical on the CPU,
 * faster: bench/README.md, "Optimizer steps with `_foreach_`").
 */
#include "nn/nn_internal.h"
#include "nn/optim_foreach.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem/ops.h>

/* pi is POSIX, not C11. */
static const double pi = 3.14159265358979323846;

typedef enum optim_kind {
  OPT_SGD,
  OPT_ADAM,
  OPT_ADAMW,
  OPT_RMSPROP
} optim_kind;

static const char *const kind_names[] = {"SGD", "Adam", "AdamW", "RMSprop"};

/* One parameter's state; NULL tensors are not made yet (or not needed). */
typedef struct param_state {
  ts_tensor *param; /* borrowed from the store */
  double step;      /* Adam's state_steps; RMSprop's step */
  ts_tensor *buf;   /* SGD/RMSprop momentum_buffer */
  ts_tensor *exp_avg, *exp_avg_sq, *max_exp_avg_sq; /* Adam(W) */
  ts_tensor *square_avg, *grad_avg;                 /* RMSprop */
  bool started;
} param_state;

struct ts_optim {
  ts_store *store;
  optim_kind kind;
  ts_sgd_options sgd;
  ts_adam_options adam;
  ts_rmsprop_options rms;
  double lr; /* the current learning rate, what schedules change */
  param_state *ps;
  size_t n;
  /* The batch's scratch (made at its first use): 4 arrays of n pinned
   * impls (the parameters, then up to three state tensors each) with their
   * handles, the batch's param_state pointers, 2 arrays of n scalars. */
  tsc_tensor **impl;
  const ts_tensor **pinned;
  param_state **batch;
  double *scal;
};

/* ------------------------------------------------------------ defaults -- */

ts_sgd_options ts_sgd_defaults(double lr) { return (ts_sgd_options){.lr = lr}; }

ts_adam_options ts_adam_defaults(double lr) {
  return (ts_adam_options){.lr = lr, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8};
}

ts_adam_options ts_adamw_defaults(double lr) {
  ts_adam_options o = ts_adam_defaults(lr);
  o.weight_decay = 1e-2;
  return o;
}

ts_rmsprop_options ts_rmsprop_defaults(double lr) {
  return (ts_rmsprop_options){.lr = lr, .alpha = 0.99, .eps = 1e-8};
}

/* ------------------------------------------------------------ checking -- */

static bool check_optim(const ts_optim *o, const char *call) {
  if (!o) {
    ts__fail(TS_ERR_NULL, call,
             "the optimizer is NULL; pass one made by ts_optim_sgd, "
             "ts_optim_adam, ts_optim_adamw or ts_optim_rmsprop");
    return false;
  }
  if (!ts__obj_live(o, TS__OBJ_OPTIM)) {
    ts__fail(TS_ERR_STALE_HANDLE, call,
             "the optimizer is not live: it was freed by ts_optim_free or "
             "with its store by ts_store_free, or never came from "
             "ts_optim_*; pass a live optimizer");
    return false;
  }
  return true;
}

/* A hyperparameter that must be finite and >= 0 (and < 1 with below1). */
static bool check_hyper(const char *call, const char *name, double v,
                        bool below1) {
  if (isfinite(v) && v >= 0.0 && (!below1 || v < 1.0))
    return true;
  ts__fail(TS_ERR_ARG, call,
           "%s is %g; pass a finite value %s, as torch.optim requires", name, v,
           below1 ? "in [0, 1)" : ">= 0");
  return false;
}

/* --------------------------------------------------------------- create -- */

static ts_optim *optim_new(ts_store *s, const char *call, optim_kind kind,
                           double lr) {
  if (!ts__store_check(s, call, "s"))
    return NULL;
  size_t n = ts_store_param_count(s);
  ts_optim *o = calloc(1, sizeof *o);
  param_state *ps = n ? calloc(n, sizeof *ps) : NULL;
  if (!o || (n && !ps) || !ts__obj_add(o, TS__OBJ_OPTIM)) {
    free(o);
    free(ps);
    ts__fail(TS_ERR_OOM, call, "out of memory allocating the optimizer");
    return NULL;
  }
  if (!ts__store_attach_optim(s, o)) {
    ts__obj_remove(o);
    free(o);
    free(ps);
    ts__fail(TS_ERR_OOM, call, "out of memory allocating the optimizer");
    return NULL;
  }
  for (size_t i = 0; i < n; i++)
    ps[i].param = ts_store_param_at(s, i);
  o->store = s;
  o->kind = kind;
  o->lr = lr;
  o->ps = ps;
  o->n = n;
  ts__ok();
  return o;
}

ts_optim *ts_optim_sgd(ts_store *s, ts_sgd_options opt) {
  static const char call[] = "ts_optim_sgd";
  if (!check_hyper(call, "lr", opt.lr, false) ||
      !check_hyper(call, "momentum", opt.momentum, false) ||
      !check_hyper(call, "dampening", opt.dampening, false) ||
      !check_hyper(call, "weight_decay", opt.weight_decay, false))
    return NULL;
  if (opt.nesterov && (opt.momentum <= 0.0 || opt.dampening != 0.0)) {
    ts__fail(TS_ERR_ARG, call,
             "Nesterov momentum needs momentum > 0 and dampening 0 (got "
             "momentum %g, dampening %g), as in torch.optim.SGD",
             opt.momentum, opt.dampening);
    return NULL;
  }
  ts_optim *o = optim_new(s, call, OPT_SGD, opt.lr);
  if (o)
    o->sgd = opt;
  return o;
}

static ts_optim *adam_new(ts_store *s, ts_adam_options opt, optim_kind kind,
                          const char *call) {
  if (!check_hyper(call, "lr", opt.lr, false) ||
      !check_hyper(call, "eps", opt.eps, false) ||
      !check_hyper(call, "beta1", opt.beta1, true) ||
      !check_hyper(call, "beta2", opt.beta2, true) ||
      !check_hyper(call, "weight_decay", opt.weight_decay, false))
    return NULL;
  ts_optim *o = optim_new(s, call, kind, opt.lr);
  if (o)
    o->adam = opt;
  return o;
}

ts_optim *ts_optim_adam(ts_store *s, ts_adam_options opt) {
  return adam_new(s, opt, OPT_ADAM, "ts_optim_adam");
}

ts_optim *ts_optim_adamw(ts_store *s, ts_adam_options opt) {
  return adam_new(s, opt, OPT_ADAMW, "ts_optim_adamw");
}

ts_optim *ts_optim_rmsprop(ts_store *s, ts_rmsprop_options opt) {
  static const char call[] = "ts_optim_rmsprop";
  if (!check_hyper(call, "lr", opt.lr, false) ||
      !check_hyper(call, "alpha", opt.alpha, false) ||
      !check_hyper(call, "eps", opt.eps, false) ||
      !check_hyper(call, "momentum", opt.momentum, false) ||
      !check_hyper(call, "weight_decay", opt.weight_decay, false))
    return NULL;
  ts_optim *o = optim_new(s, call, OPT_RMSPROP, opt.lr);
  if (o)
    o->rms = opt;
  return o;
}

/* ---------------------------------------------------------------- free -- */

static void free_state(ts_tensor **t) {
  if (*t && ts__tensor_live(*t))
    ts_free(*t);
  *t = NULL;
}

void ts__optim_destroy(ts_optim *o) {
  for (size_t i = 0; i < o->n; i++) {
    param_state *p = &o->ps[i];
    free_state(&p->buf);
    free_state(&p->exp_avg);
    free_state(&p->exp_avg_sq);
    free_state(&p->max_exp_avg_sq);
    free_state(&p->square_avg);
    free_state(&p->grad_avg);
  }
  ts__store_detach_optim(o->store, o);
  ts__obj_remove(o);
  free(o->impl);
  free(o->pinned);
  free(o->batch);
  free(o->scal);
  free(o->ps);
  free(o);
}

void ts_optim_free(ts_optim *o) {
  if (!o) {
    ts__ok();
    return;
  }
  if (!check_optim(o, "ts_optim_free"))
    return;
  ts__optim_destroy(o);
  ts__ok();
}

/* ---------------------------------------------------------------- step -- */

/* A state tensor of the optimizer: zeros like p (or a clone of `like`),
 * taken out of the step's scope. */
static ts_tensor *state_zeros(const ts_tensor *p) {
  ts_tensor *t = ts_zeros_like(p, TS_NO_DTYPE, NULL);
  return t ? ts_keep(t) : NULL;
}

static ts_tensor *state_clone(const ts_tensor *like) {
  ts_tensor *t = ts_clone(like);
  return t ? ts_keep(t) : NULL;
}

/* Any NULL below means an operation failed with the error set: the step
 * stops there. */
#define TRY(expr)                                                              \
  do {                                                                         \
    if (!(expr))                                                               \
      return false;                                                            \
  } while (0)

/* torch.optim.sgd._single_tensor_sgd */
static bool sgd_update(const ts_optim *o, param_state *st, ts_tensor *grad) {
  const ts_sgd_options *h = &o->sgd;
  ts_tensor *p = st->param, *d_p = grad;
  if (h->weight_decay != 0.0)
    TRY(d_p = ts_add_Tensor(d_p, p, h->weight_decay));
  if (h->momentum != 0.0) {
    if (!st->buf) {
      TRY(st->buf = state_clone(d_p));
    } else {
      TRY(ts_mul_Scalar_(st->buf, h->momentum));
      TRY(ts_add_Tensor_(st->buf, d_p, 1.0 - h->dampening));
    }
    if (h->nesterov)
      TRY(d_p = ts_add_Tensor(d_p, st->buf, h->momentum));
    else
      d_p = st->buf;
  }
  TRY(ts_add_Tensor_(p, d_p, -o->lr));
  return true;
}

/* torch.optim.adam._single_tensor_adam and adamw._single_tensor_adamw
 * (not capturable, not differentiable). */
static bool adam_update(const ts_optim *o, param_state *st, ts_tensor *grad) {
  const ts_adam_options *h = &o->adam;
  ts_tensor *p = st->param;
  double lr = o->lr;
  if (!st->started) {
    TRY(st->exp_avg = state_zeros(p));
    TRY(st->exp_avg_sq = state_zeros(p));
    if (h->amsgrad)
      TRY(st->max_exp_avg_sq = state_zeros(p));
    st->started = true;
  }
  st->step += 1.0;
  if (o->kind == OPT_ADAMW)
    TRY(ts_mul_Scalar_(p, 1.0 - lr * h->weight_decay));
  else if (h->weight_decay != 0.0)
    TRY(grad = ts_add_Tensor(grad, p, h->weight_decay));
  TRY(ts_mul_Scalar_(st->exp_avg, h->beta1));
  TRY(ts_add_Tensor_(st->exp_avg, grad, 1.0 - h->beta1));
  TRY(ts_mul_Scalar_(st->exp_avg_sq, h->beta2));
  TRY(ts_addcmul_(st->exp_avg_sq, grad, grad, 1.0 - h->beta2));
  double bias_correction1 = 1.0 - pow(h->beta1, st->step);
  double bias_correction2 = 1.0 - pow(h->beta2, st->step);
  double step_size = lr / bias_correction1;
  double bias_correction2_sqrt = sqrt(bias_correction2);
  ts_tensor *second = st->exp_avg_sq;
  if (h->amsgrad) {
    TRY(ts_maximum_out(st->max_exp_avg_sq, st->exp_avg_sq, st->max_exp_avg_sq));
    second = st->max_exp_avg_sq;
  }
  ts_tensor *denom;
  TRY(denom = ts_sqrt(second));
  TRY(denom = ts_div_Scalar(denom, bias_correction2_sqrt));
  TRY(ts_add_Scalar_(denom, h->eps, 1.0));
  TRY(ts_addcdiv_(p, st->exp_avg, denom, -step_size));
  return true;
}

/* torch.optim.rmsprop._single_tensor_rmsprop (not differentiable). */
static bool rmsprop_update(const ts_optim *o, param_state *st,
                           ts_tensor *grad) {
  const ts_rmsprop_options *h = &o->rms;
  ts_tensor *p = st->param;
  if (!st->started) {
    TRY(st->square_avg = state_zeros(p));
    if (h->momentum > 0.0)
      TRY(st->buf = state_zeros(p));
    if (h->centered)
      TRY(st->grad_avg = state_zeros(p));
    st->started = true;
  }
  st->step += 1.0;
  if (h->weight_decay != 0.0)
    TRY(grad = ts_add_Tensor(grad, p, h->weight_decay));
  TRY(ts_mul_Scalar_(st->square_avg, h->alpha));
  TRY(ts_addcmul_(st->square_avg, grad, grad, 1.0 - h->alpha));
  ts_tensor *avg;
  if (h->centered) {
    TRY(ts_mul_Scalar_(st->grad_avg, h->alpha));
    TRY(ts_add_Tensor_(st->grad_avg, grad, 1.0 - h->alpha));
    TRY(avg = ts_addcmul(st->square_avg, st->grad_avg, st->grad_avg, -1.0));
    TRY(ts_sqrt_(avg));
  } else {
    TRY(avg = ts_sqrt(st->square_avg));
  }
  TRY(ts_add_Scalar_(avg, h->eps, 1.0));
  if (h->momentum > 0.0) {
    TRY(ts_mul_Scalar_(st->buf, h->momentum));
    TRY(ts_addcdiv_(st->buf, grad, avg, 1.0));
    TRY(ts_add_Tensor_(p, st->buf, -o->lr));
  } else {
    TRY(ts_addcdiv_(p, grad, avg, -o->lr));
  }
  return true;
}

#undef TRY

/* One parameter's single-tensor update; false with the error set. */
static bool step_one(const ts_optim *o, param_state *st) {
  ts_tensor *grad = ts_grad(st->param);
  if (!grad)
    return ts_last_status() == TS_OK; /* no gradient (frozen or unused):
                                         skipped, as in torch */
  switch (o->kind) {
  case OPT_SGD:
    return sgd_update(o, st, grad);
  case OPT_ADAM:
  case OPT_ADAMW:
    return adam_update(o, st, grad);
  case OPT_RMSPROP:
    return rmsprop_update(o, st, grad);
  }
  return false;
}

/* ------------------------------------------------------ batched update -- */

/* True when st's state is made, so that its update is the same operations
 * whether it is its first or not: then it can join the batch. (SGD's first
 * momentum step clones the gradient instead.) */
static bool state_made(const ts_optim *o, const param_state *st) {
  switch (o->kind) {
  case OPT_SGD:
    return o->sgd.momentum == 0.0 || st->buf;
  case OPT_ADAM:
  case OPT_ADAMW:
  case OPT_RMSPROP:
    return st->started;
  }
  return false;
}

static bool batch_alloc(ts_optim *o, const char *call) {
  if (o->impl)
    return true;
  size_t n = o->n;
  o->impl = calloc(4 * n, sizeof *o->impl);
  o->pinned = calloc(4 * n, sizeof *o->pinned);
  o->batch = calloc(n, sizeof *o->batch);
  o->scal = calloc(2 * n, sizeof *o->scal);
  if (o->impl && o->pinned && o->batch && o->scal)
    return true;
  free(o->impl), free(o->pinned), free(o->batch), free(o->scal);
  o->impl = NULL, o->pinned = NULL, o->batch = NULL, o->scal = NULL;
  ts__fail(TS_ERR_OOM, call, "out of memory allocating the optimizer's batch");
  return false;
}

/* Pins t as impl[role * n + k]; false with the error set. */
static bool pin(ts_optim *o, size_t *npinned, int role, size_t k,
                const ts_tensor *t, const char *call) {
  tsc_tensor *impl = ts__unwrap(t, call, "an optimizer state tensor");
  if (!impl)
    return false;
  o->impl[(size_t)role * o->n + k] = impl;
  o->pinned[(*npinned)++] = t;
  return true;
}

/* The batch's impls of a role (NULL when unused). */
#define ROLE(r) (o->impl + (size_t)(r)*o->n)

/* Updates the parameters idx[0 .. m) (live, state made) in one batch: those
 * with a gradient, as the single-tensor updates above would. */
static bool batch_update(ts_optim *o, const size_t *idx, size_t m,
                         const char *call) {
  if (!batch_alloc(o, call))
    return false;
  size_t np = 0, k = 0;
  bool ok = true;
  for (size_t j = 0; ok && j < m; j++) {
    param_state *st = &o->ps[idx[j]];
    tsc_tensor *p = ts__unwrap(st->param, call, "a parameter");
    if (!p) {
      ok = false;
      break;
    }
    if (!tsc_has_grad(p)) {
      ts__unpin(st->param); /* no gradient: skipped, as in torch */
      continue;
    }
    o->impl[k] = p;
    o->pinned[np++] = st->param;
    o->batch[k] = st;
    switch (o->kind) {
    case OPT_SGD:
      ok = o->sgd.momentum == 0.0 || pin(o, &np, 1, k, st->buf, call);
      break;
    case OPT_ADAM:
    case OPT_ADAMW:
      ok = pin(o, &np, 1, k, st->exp_avg, call) &&
           pin(o, &np, 2, k, st->exp_avg_sq, call) &&
           (!o->adam.amsgrad || pin(o, &np, 3, k, st->max_exp_avg_sq, call));
      break;
    case OPT_RMSPROP:
      ok = pin(o, &np, 1, k, st->square_avg, call) &&
           (!o->rms.centered || pin(o, &np, 2, k, st->grad_avg, call)) &&
           (o->rms.momentum <= 0.0 || pin(o, &np, 3, k, st->buf, call));
      break;
    }
    k++;
  }
  ts_status r = TS_OK;
  if (ok && k > 0) {
    switch (o->kind) {
    case OPT_SGD: {
      const ts_sgd_options *h = &o->sgd;
      r = tsc_foreach_sgd(call, ROLE(0), h->momentum != 0.0 ? ROLE(1) : NULL, k,
                          o->lr, h->momentum, h->dampening, h->weight_decay,
                          h->nesterov);
      break;
    }
    case OPT_ADAM:
    case OPT_ADAMW: {
      const ts_adam_options *h = &o->adam;
      double *bc2_sqrt = o->scal, *step_size = o->scal + o->n;
      for (size_t i = 0; i < k; i++) {
        param_state *st = o->batch[i];
        st->step += 1.0;
        bc2_sqrt[i] = sqrt(1.0 - pow(h->beta2, st->step));
        step_size[i] = o->lr / (1.0 - pow(h->beta1, st->step));
      }
      r = tsc_foreach_adam(call, ROLE(0), ROLE(1), ROLE(2),
                           h->amsgrad ? ROLE(3) : NULL, k, bc2_sqrt, step_size,
                           o->lr, h->beta1, h->beta2, h->eps, h->weight_decay,
                           o->kind == OPT_ADAMW);
      break;
    }
    case OPT_RMSPROP: {
      const ts_rmsprop_options *h = &o->rms;
      for (size_t i = 0; i < k; i++)
        o->batch[i]->step += 1.0;
      r = tsc_foreach_rmsprop(call, ROLE(0), ROLE(1),
                              h->centered ? ROLE(2) : NULL,
                              h->momentum > 0.0 ? ROLE(3) : NULL, k, o->lr,
                              h->alpha, h->eps, h->weight_decay, h->momentum);
      break;
    }
    }
    ok = r == TS_OK;
  }
  for (size_t i = 0; i < np; i++)
    ts__unpin(o->pinned[i]);
  return ok;
}

#undef ROLE

/* The whole step, inside the caller's (fresh) scope; false with the error
 * set. Parameters whose state is not made yet (their first step) take the
 * single-tensor update; the others are batched, after them. */
static bool step_all(ts_optim *o, const char *call) {
  size_t *idx = o->n ? malloc(o->n * sizeof *idx) : NULL;
  if (o->n && !idx) {
    ts__fail(TS_ERR_OOM, call, "out of memory for the optimizer's step");
    return false;
  }
  size_t m = 0;
  bool ok = true;
  for (size_t i = 0; ok && i < o->n; i++) {
    param_state *st = &o->ps[i];
    if (!ts__tensor_live(st->param)) {
      ts__fail(TS_ERR_STALE_HANDLE, call,
               "parameter %zu of the optimizer was freed by hand; the store "
               "owns its tensors, so do not ts_free them",
               i);
      ok = false;
      break;
    }
    if (state_made(o, st))
      idx[m++] = i;
    else
      ok = step_one(o, st);
  }
  ok = ok && (m == 0 || batch_update(o, idx, m, call));
  free(idx);
  return ok;
}

ts_status ts_optim_step(ts_optim *o) {
  static const char call[] = "ts_optim_step";
  if (!check_optim(o, call))
    return ts_last_status();
  bool grad_was = tsc_grad_enabled();
  tsc_set_grad_enabled(false);
  ts_scope_id scope = ts_scope_begin();
  bool ok = scope != 0 && step_all(o, call);
  ts_status st = TS_OK;
  char msg[1024] = "";
  if (!ok) {
    st = ts_last_status() != TS_OK ? ts_last_status() : TS_ERR_TORCH;
    snprintf(msg, sizeof msg, "%s", ts_last_error());
  }
  if (scope)
    (void)ts_scope_end(scope);
  tsc_set_grad_enabled(grad_was);
  if (!ok) {
    /* Parameters before the failing one are updated already. */
    size_t n = strlen(call);
    if (strncmp(msg, call, n) == 0 && msg[n] == ':')
      return ts__fail(st, call, "%s", msg + n + 2);
    return ts__fail(st, call, "the %s update failed: %s", kind_names[o->kind],
                    msg);
  }
  ts__ok();
  return TS_OK;
}

/* ts_optim_zero_grad and ts_optim_clear_grad: `each` on every parameter. */
static ts_status each_grad(ts_optim *o, const char *call,
                           ts_status (*each)(ts_tensor *)) {
  if (!check_optim(o, call))
    return ts_last_status();
  for (size_t i = 0; i < o->n; i++) {
    if (!ts__tensor_live(o->ps[i].param))
      return ts__fail(TS_ERR_STALE_HANDLE, call,
                      "parameter %zu of the optimizer was freed by hand; the "
                      "store owns its tensors, so do not ts_free them",
                      i);
    if (each(o->ps[i].param) != TS_OK)
      return ts__refail(call);
  }
  ts__ok();
  return TS_OK;
}

ts_status ts_optim_zero_grad(ts_optim *o) {
  return each_grad(o, "ts_optim_zero_grad", ts_zero_grad);
}

ts_status ts_optim_clear_grad(ts_optim *o) {
  return each_grad(o, "ts_optim_clear_grad", ts_clear_grad);
}

double ts_optim_get_lr(const ts_optim *o) {
  if (!check_optim(o, "ts_optim_get_lr"))
    return NAN;
  ts__ok();
  return o->lr;
}

ts_status ts_optim_set_lr(ts_optim *o, double lr) {
  static const char call[] = "ts_optim_set_lr";
  if (!check_optim(o, call))
    return ts_last_status();
  if (!check_hyper(call, "lr", lr, false))
    return TS_ERR_ARG;
  o->lr = lr;
  ts__ok();
  return TS_OK;
}

size_t ts_optim_param_count(const ts_optim *o) {
  if (!check_optim(o, "ts_optim_param_count"))
    return 0;
  ts__ok();
  return o->n;
}

/* ---------------------------------------------------------- schedules -- */

static ts_status sched_check(const ts_lr_scheduler *sch, const char *call) {
  if (!sch)
    return ts__fail(TS_ERR_NULL, call,
                    "the scheduler is NULL; pass a ts_lr_scheduler set up by "
                    "ts_lr_step_init or ts_lr_cosine_init");
  if (!check_optim(sch->optim, call))
    return ts_last_status();
  return TS_OK;
}

ts_status ts_lr_step_init(ts_lr_scheduler *sch, ts_optim *o, int64_t step_size,
                          double gamma) {
  static const char call[] = "ts_lr_step_init";
  if (!sch)
    return ts__fail(TS_ERR_NULL, call, "sch is NULL; pass a ts_lr_scheduler");
  if (!check_optim(o, call))
    return ts_last_status();
  if (step_size < 1)
    return ts__fail(TS_ERR_ARG, call,
                    "step_size is %lld; pass a period of at least 1 step",
                    (long long)step_size);
  if (!isfinite(gamma) || gamma < 0.0)
    return ts__fail(TS_ERR_ARG, call, "gamma is %g; pass a finite factor >= 0",
                    gamma);
  *sch = (ts_lr_scheduler){.optim = o,
                           .kind = TS_LR_STEP,
                           .last_epoch = 0,
                           .base_lr = o->lr,
                           .step_size = step_size,
                           .gamma = gamma};
  ts__ok();
  return TS_OK;
}

ts_status ts_lr_cosine_init(ts_lr_scheduler *sch, ts_optim *o, int64_t t_max,
                            double eta_min) {
  static const char call[] = "ts_lr_cosine_init";
  if (!sch)
    return ts__fail(TS_ERR_NULL, call, "sch is NULL; pass a ts_lr_scheduler");
  if (!check_optim(o, call))
    return ts_last_status();
  if (t_max < 1)
    return ts__fail(TS_ERR_ARG, call,
                    "t_max is %lld; pass a half period of at least 1 step",
                    (long long)t_max);
  if (!isfinite(eta_min) || eta_min < 0.0)
    return ts__fail(TS_ERR_ARG, call,
                    "eta_min is %g; pass a finite learning rate >= 0", eta_min);
  *sch = (ts_lr_scheduler){.optim = o,
                           .kind = TS_LR_COSINE,
                           .last_epoch = 0,
                           .base_lr = o->lr,
                           .t_max = t_max,
                           .eta_min = eta_min};
  ts__ok();
  return TS_OK;
}

/* torch.optim.lr_scheduler's recursive get_lr(), which is what step()
 * uses, so that the rounding is the same. */
ts_status ts_lr_scheduler_step(ts_lr_scheduler *sch) {
  static const char call[] = "ts_lr_scheduler_step";
  if (sched_check(sch, call) != TS_OK)
    return ts_last_status();
  ts_optim *o = sch->optim;
  int64_t e = ++sch->last_epoch;
  double lr = o->lr;
  if (sch->kind == TS_LR_STEP) {
    if (e % sch->step_size == 0)
      lr = lr * sch->gamma;
  } else if (sch->kind == TS_LR_COSINE) {
    double T = (double)sch->t_max, eta = sch->eta_min;
    if ((e - 1 - sch->t_max) % (2 * sch->t_max) == 0)
      lr = lr + (sch->base_lr - eta) * (1.0 - cos(pi / T)) / 2.0;
    else
      lr = (1.0 + cos(pi * (double)e / T)) /
               (1.0 + cos(pi * (double)(e - 1) / T)) * (lr - eta) +
           eta;
  } else {
    return ts__fail(TS_ERR_ARG, call,
                    "the scheduler's kind is %d; set it up with "
                    "ts_lr_step_init or ts_lr_cosine_init",
                    (int)sch->kind);
  }
  o->lr = lr;
  ts__ok();
  return TS_OK;
}
