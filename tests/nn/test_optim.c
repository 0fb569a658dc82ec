/* test_optim.c - the optimizers and learning-rate schedules of <tsmem/nn.h>
 * against torch.optim (python3-torch, run at test time by torch_ref.py):
 * the same start, 100 steps of a small two-layer model, every optimizer and
 * option combination, the parameters and the final learning rate equal to
 * float tolerance. Then ownership of the optimizer state and bad input. */
#include "check.h"
#include "exchange.h"

#include <tsmem/nn.h>
#include <tsmem/ops.h>

enum { STEPS = 100 };

/* The largest difference seen, as a fraction of the tolerance. */
static double worst_err;

/* Every optimizer and option combination the issue names; torch_ref.py
 * reads the same lines. */
// clang-format off
static const char *const configs[] = {
    "opt=sgd lr=0.05",
    "opt=sgd lr=0.05 momentum=0.9",
    "opt=sgd lr=0.05 momentum=0.9 dampening=0.5",
    "opt=sgd lr=0.05 momentum=0.9 nesterov=1",
    "opt=sgd lr=0.05 weight_decay=0.01",
    "opt=sgd lr=0.05 momentum=0.8 dampening=0.1 weight_decay=0.05",
    "opt=sgd lr=0.05 momentum=0.9 nesterov=1 weight_decay=0.01",
    "opt=adam lr=0.01",
    "opt=adam lr=0.01 weight_decay=0.05",
    "opt=adam lr=0.01 amsgrad=1",
    "opt=adam lr=0.01 beta1=0.8 beta2=0.99 eps=1e-6 weight_decay=0.01 amsgrad=1",
    "opt=adamw lr=0.01",
    "opt=adamw lr=0.01 weight_decay=0.1 amsgrad=1",
    "opt=adamw lr=0.01 weight_decay=0 beta1=0.5",
    "opt=rmsprop lr=0.005",
    "opt=rmsprop lr=0.005 centered=1",
    "opt=rmsprop lr=0.005 momentum=0.9",
    "opt=rmsprop lr=0.005 alpha=0.9 eps=1e-6 weight_decay=0.01",
    "opt=rmsprop lr=0.002 centered=1 momentum=0.5 weight_decay=0.02",
    "opt=sgd lr=0.1 momentum=0.9 sched=step step_size=30 gamma=0.5",
    "opt=adam lr=0.02 sched=cosine t_max=40 eta_min=0.001",
    "opt=rmsprop lr=0.005 sched=cosine t_max=100 eta_min=0",
    "opt=adamw lr=0.01 sched=step step_size=7 gamma=0.8",
};
// clang-format on
enum { N_CONFIGS = sizeof configs / sizeof configs[0] };

/* The model's parameters: fc1 (w, b), fc2 (v) and one the loss never uses
 * (f), which no optimizer may touch. */
static const char *const pnames[] = {"w", "b", "v", "f"};

typedef struct config {
  char opt[16], sched[16];
  double lr, momentum, dampening, weight_decay, beta1, beta2, eps, alpha;
  bool nesterov, amsgrad, centered, has_wd, has_beta1, has_beta2, has_eps,
      has_alpha;
  int64_t step_size, t_max;
  double gamma, eta_min;
} config;

static bool parse(const char *line, config *c) {
  memset(c, 0, sizeof *c);
  char buf[256];
  snprintf(buf, sizeof buf, "%s", line);
  for (char *tok = strtok(buf, " "); tok; tok = strtok(NULL, " ")) {
    char *eq = strchr(tok, '=');
    if (!eq)
      return false;
    *eq = '\0';
    const char *k = tok, *v = eq + 1;
    double x = atof(v);
    if (!strcmp(k, "opt"))
      snprintf(c->opt, sizeof c->opt, "%s", v);
    else if (!strcmp(k, "sched"))
      snprintf(c->sched, sizeof c->sched, "%s", v);
    else if (!strcmp(k, "lr"))
      c->lr = x;
    else if (!strcmp(k, "momentum"))
      c->momentum = x;
    else if (!strcmp(k, "dampening"))
      c->dampening = x;
    else if (!strcmp(k, "weight_decay"))
      c->weight_decay = x, c->has_wd = true;
    else if (!strcmp(k, "beta1"))
      c->beta1 = x, c->has_beta1 = true;
    else if (!strcmp(k, "beta2"))
      c->beta2 = x, c->has_beta2 = true;
    else if (!strcmp(k, "eps"))
      c->eps = x, c->has_eps = true;
    else if (!strcmp(k, "alpha"))
      c->alpha = x, c->has_alpha = true;
    else if (!strcmp(k, "nesterov"))
      c->nesterov = x != 0;
    else if (!strcmp(k, "amsgrad"))
      c->amsgrad = x != 0;
    else if (!strcmp(k, "centered"))
      c->centered = x != 0;
    else if (!strcmp(k, "step_size"))
      c->step_size = (int64_t)x;
    else if (!strcmp(k, "gamma"))
      c->gamma = x;
    else if (!strcmp(k, "t_max"))
      c->t_max = (int64_t)x;
    else if (!strcmp(k, "eta_min"))
      c->eta_min = x;
    else
      return false;
  }
  return true;
}

static ts_optim *make_optim(ts_store *s, const config *c) {
  if (!strcmp(c->opt, "sgd")) {
    ts_sgd_options o = ts_sgd_defaults(c->lr);
    o.momentum = c->momentum;
    o.dampening = c->dampening;
    o.weight_decay = c->weight_decay;
    o.nesterov = c->nesterov;
    return ts_optim_sgd(s, o);
  }
  if (!strcmp(c->opt, "adam") || !strcmp(c->opt, "adamw")) {
    bool w = !strcmp(c->opt, "adamw");
    ts_adam_options o = w ? ts_adamw_defaults(c->lr) : ts_adam_defaults(c->lr);
    if (c->has_wd)
      o.weight_decay = c->weight_decay;
    if (c->has_beta1)
      o.beta1 = c->beta1;
    if (c->has_beta2)
      o.beta2 = c->beta2;
    if (c->has_eps)
      o.eps = c->eps;
    o.amsgrad = c->amsgrad;
    return w ? ts_optim_adamw(s, o) : ts_optim_adam(s, o);
  }
  if (!strcmp(c->opt, "rmsprop")) {
    ts_rmsprop_options o = ts_rmsprop_defaults(c->lr);
    if (c->has_alpha)
      o.alpha = c->alpha;
    if (c->has_eps)
      o.eps = c->eps;
    o.weight_decay = c->weight_decay;
    o.momentum = c->momentum;
    o.centered = c->centered;
    return ts_optim_rmsprop(s, o);
  }
  return NULL;
}

/* The model's loss: mse(tanh(x w^T + b) v^T, y). */
TS_CALLER_SCOPE static ts_tensor *
loss_of(ts_tensor *const *p, const ts_tensor *x, const ts_tensor *y) {
  ts_tensor *h = ts_tanh(ts_linear(x, p[0], p[1]));
  return ts_mse_loss(ts_linear(h, p[2], NULL), y);
}

/* Copies src into the parameter dst outside autograd. */
static void set_param(ts_tensor *dst, const ts_tensor *src) {
  bool was = ts_set_grad_enabled(false);
  CHECK(ts_copy_(dst, src, false) == dst);
  ts_set_grad_enabled(was);
}

/* Trains config k in C and compares with the reference's r<k>_* files. */
static void run_config(int k, ts_tensor *const *init, const ts_tensor *x,
                       const ts_tensor *y) {
  TS_SCOPE_GUARD();
  config c;
  CHECK(parse(configs[k], &c));
  ts_store *s = ts_store_new();
  ts_tensor *p[4];
  const char *keys[] = {"fc1.weight", "fc1.bias", "fc2.weight", "unused"};
  for (int i = 0; i < 4; i++) {
    int64_t shape[2];
    int nd = ts_ndim(init[i]);
    for (int d = 0; d < nd; d++)
      shape[d] = ts_size(init[i], d);
    p[i] = ts_store_param(s, keys[i], shape, nd, TS_FLOAT32);
    set_param(p[i], init[i]);
  }
  ts_optim *o = make_optim(s, &c);
  CHECK(o != NULL);
  ts_lr_scheduler sch;
  bool has_sched = c.sched[0] != '\0';
  if (!strcmp(c.sched, "step"))
    CHECK_EQ(ts_lr_step_init(&sch, o, c.step_size, c.gamma), TS_OK);
  else if (!strcmp(c.sched, "cosine"))
    CHECK_EQ(ts_lr_cosine_init(&sch, o, c.t_max, c.eta_min), TS_OK);
  for (int step = 0; o && step < STEPS; step++) {
    TS_SCOPE_GUARD();
    CHECK_EQ(ts_optim_zero_grad(o), TS_OK);
    CHECK_EQ(ts_backward(loss_of(p, x, y)), TS_OK);
    CHECK_EQ(ts_optim_step(o), TS_OK);
    if (has_sched)
      CHECK_EQ(ts_lr_scheduler_step(&sch), TS_OK);
  }
  for (int i = 0; i < 4; i++) {
    char name[32];
    snprintf(name, sizeof name, "r%d_%s", k, pnames[i]);
    ts_tensor *ref = xchg_read(name);
    double err = xchg_compare(p[i], ref, 1e-4, 1e-6);
    if (err > worst_err)
      worst_err = err;
    if (!(err <= 1.0))
      fprintf(stderr,
              "config \"%s\": parameter %s differs (%g of the "
              "tolerance)\n",
              configs[k], pnames[i], err);
    CHECK(err <= 1.0);
  }
  char name[32];
  snprintf(name, sizeof name, "r%d_lr", k);
  double ref_lr = ts_item(xchg_read(name));
  double lr = ts_optim_get_lr(o);
  CHECK(fabs(lr - ref_lr) <= 1e-12 * fabs(ref_lr) + 1e-15);
  if (!(fabs(lr - ref_lr) <= 1e-12 * fabs(ref_lr) + 1e-15))
    fprintf(stderr, "config \"%s\": lr %.17g, torch's %.17g\n", configs[k], lr,
            ref_lr);
  ts_store_free(s); /* frees the optimizer too */
}

TEST(parity_with_torch_optim) {
  TS_SCOPE_GUARD();
  ts_set_num_threads(1);
  CHECK(xchg_open());
  ts_manual_seed(1234);
  ts_tensor *x = ts_randn(TS_SHAPE(16, 5), TS_FLOAT32);
  ts_tensor *y = ts_randn(TS_SHAPE(16, 3), TS_FLOAT32);
  ts_tensor *init[4] = {
      ts_mul_scalar(ts_randn(TS_SHAPE(6, 5), TS_FLOAT32), 0.5),
      ts_mul_scalar(ts_randn(TS_SHAPE(6), TS_FLOAT32), 0.1),
      ts_mul_scalar(ts_randn(TS_SHAPE(3, 6), TS_FLOAT32), 0.5),
      ts_randn(TS_SHAPE(4), TS_FLOAT32)};
  CHECK(xchg_write("x", x) && xchg_write("y", y));
  for (int i = 0; i < 4; i++) {
    char name[16];
    snprintf(name, sizeof name, "init_%s", pnames[i]);
    CHECK(xchg_write(name, init[i]));
  }
  char path[128];
  snprintf(path, sizeof path, "%s/configs.txt", xchg_dir);
  FILE *f = fopen(path, "w");
  CHECK(f != NULL);
  for (int k = 0; f && k < N_CONFIGS; k++)
    fprintf(f, "%s\n", configs[k]);
  if (f)
    fclose(f);
  snprintf(path, sizeof path, "%s/steps.txt", xchg_dir);
  f = fopen(path, "w");
  CHECK(f != NULL);
  if (f) {
    fprintf(f, "%d\n", STEPS);
    fclose(f);
  }
  if (xchg_run_reference("optim")) {
    for (int k = 0; k < N_CONFIGS; k++)
      run_config(k, init, x, y);
    printf("optimizer parity: %d configurations x %d steps, largest "
           "difference %.3g of the tolerance (rtol 1e-4, atol 1e-6)\n",
           N_CONFIGS, STEPS, worst_err);
    /* Both sides run the same libtorch kernels, operation for operation
     * (optim.c's batched updates too: `_foreach_` ops run the per-tensor
     * kernels on the CPU; the products are ATen's under TSMEM_GEMM=aten,
     * which CMake sets for this test), so the parameters are bitwise
     * equal. */
    CHECK(worst_err == 0.0);
  } else {
    CHECK(!"the PyTorch reference failed");
  }
  xchg_close();
}

/* State tensors: made at the first step, counted by ts_memory, owned by the
 * optimizer (no scope frees them), freed by ts_optim_free. */
TEST(state_is_owned_by_the_optimizer) {
  size_t base = ts_memory().live_tensors;
  ts_store *s = ts_store_new();
  ts_tensor *w = ts_store_param(s, "w", TS_SHAPE(3), TS_FLOAT32);
  CHECK(ts_store_param(s, "frozen", TS_SHAPE(2), TS_FLOAT32) != NULL);
  CHECK_EQ(ts_store_set_requires_grad(s, "frozen", false, NULL), TS_OK);
  ts_adam_options ao = ts_adam_defaults(0.1);
  ao.amsgrad = true;
  ts_optim *o = ts_optim_adam(s, ao);
  CHECK(o != NULL);
  CHECK_EQ(ts_optim_param_count(o), 2);
  CHECK_EQ(ts_memory().live_tensors, base + 2); /* no state yet */
  {
    TS_SCOPE_GUARD();
    CHECK_EQ(ts_backward(ts_sum(ts_mul(w, w))), TS_OK);
    CHECK_EQ(ts_optim_step(o), TS_OK);
    CHECK_EQ(ts_scope_tensor_count(), 2); /* the loss's only */
  }
  /* exp_avg, exp_avg_sq, max_exp_avg_sq for w; nothing for "frozen". */
  CHECK_EQ(ts_memory().live_tensors, base + 2 + 3);
  ts_optim_free(o);
  CHECK_EQ(ts_last_status(), TS_OK);
  CHECK_EQ(ts_memory().live_tensors, base + 2);
  /* A second optimizer left alive is freed with the store. */
  ts_optim *o2 = ts_optim_sgd(s, (ts_sgd_options){.lr = 0.1, .momentum = 0.9});
  {
    TS_SCOPE_GUARD();
    CHECK_EQ(ts_optim_zero_grad(o2), TS_OK);
    CHECK_EQ(ts_backward(ts_sum(ts_mul(w, w))), TS_OK);
    CHECK_EQ(ts_optim_step(o2), TS_OK);
  }
  CHECK_EQ(ts_memory().live_tensors, base + 2 + 1); /* momentum_buffer */
  ts_store_free(s);
  CHECK_EQ(ts_memory().live_tensors, base);
  /* o2 died with the store: detected, not dereferenced. */
  CHECK_EQ(ts_optim_step(o2), TS_ERR_STALE_HANDLE);
  CHECK(strstr(ts_last_error(), "ts_store_free") != NULL);
}

TEST(step_runs_without_grad_and_restores_the_mode) {
  ts_store *s = ts_store_new();
  ts_tensor *w = ts_store_param(s, "w", TS_SHAPE(2), TS_FLOAT32);
  ts_optim *o = ts_optim_sgd(s, ts_sgd_defaults(0.5));
  {
    TS_SCOPE_GUARD();
    CHECK_EQ(ts_backward(ts_sum(ts_add_scalar(w, 1.0))), TS_OK); /* grad 1 */
    CHECK_EQ(ts_optim_step(o), TS_OK);
    CHECK(ts_item(ts_sum(w)) == -1.0);
    CHECK(ts_is_grad_enabled());
    /* The update recorded no graph: w is still a leaf with its grad. */
    ts_tensor *g = ts_grad(w);
    CHECK(g != NULL && ts_item(ts_sum(g)) == 2.0);
    /* And with gradient mode off by the caller it stays off. */
    ts_set_grad_enabled(false);
    CHECK_EQ(ts_optim_step(o), TS_OK);
    CHECK(!ts_is_grad_enabled());
    ts_set_grad_enabled(true);
  }
  ts_store_free(s);
}

TEST(bad_input) {
  ts_store *s = ts_store_new();
  CHECK(ts_store_param(s, "w", TS_SHAPE(2), TS_FLOAT32) != NULL);
  size_t live = ts_memory().live_tensors;
  CHECK(ts_optim_sgd(NULL, ts_sgd_defaults(0.1)) == NULL);
  CHECK_ERROR(TS_ERR_NULL, "ts_optim_sgd");
  CHECK(ts_optim_sgd(s, ts_sgd_defaults(-1)) == NULL);
  CHECK_ERROR(TS_ERR_ARG, "ts_optim_sgd");
  CHECK(strstr(ts_last_error(), "lr is -1") != NULL);
  ts_sgd_options bad = ts_sgd_defaults(0.1);
  bad.nesterov = true;
  CHECK(ts_optim_sgd(s, bad) == NULL);
  CHECK_ERROR(TS_ERR_ARG, "ts_optim_sgd");
  CHECK(strstr(ts_last_error(), "Nesterov") != NULL);
  ts_adam_options ab = ts_adam_defaults(0.1);
  ab.beta2 = 1.0;
  CHECK(ts_optim_adam(s, ab) == NULL);
  CHECK_ERROR(TS_ERR_ARG, "ts_optim_adam");
  CHECK(strstr(ts_last_error(), "beta2") != NULL);
  ab = ts_adamw_defaults(NAN);
  CHECK(ts_optim_adamw(s, ab) == NULL);
  CHECK_ERROR(TS_ERR_ARG, "ts_optim_adamw");
  ts_rmsprop_options rb = ts_rmsprop_defaults(0.1);
  rb.alpha = -0.5;
  CHECK(ts_optim_rmsprop(s, rb) == NULL);
  CHECK_ERROR(TS_ERR_ARG, "ts_optim_rmsprop");
  CHECK_EQ(ts_memory().live_tensors, live);

  ts_optim *o = ts_optim_sgd(s, ts_sgd_defaults(0.1));
  CHECK_EQ(ts_optim_set_lr(o, INFINITY), TS_ERR_ARG);
  CHECK(ts_optim_get_lr(o) == 0.1);
  CHECK_EQ(ts_optim_set_lr(o, 0.2), TS_OK);
  CHECK(ts_optim_get_lr(o) == 0.2);
  ts_lr_scheduler sch;
  CHECK_EQ(ts_lr_step_init(&sch, o, 0, 0.5), TS_ERR_ARG);
  CHECK_EQ(ts_lr_step_init(NULL, o, 3, 0.5), TS_ERR_NULL);
  CHECK_EQ(ts_lr_cosine_init(&sch, o, 10, -1.0), TS_ERR_ARG);
  CHECK_EQ(ts_lr_scheduler_step(NULL), TS_ERR_NULL);
  CHECK_EQ(ts_lr_cosine_init(&sch, o, 10, 0.0), TS_OK);
  CHECK_EQ(ts_optim_step(NULL), TS_ERR_NULL);
  CHECK_ERROR(TS_ERR_NULL, "ts_optim_step");
  int not_an_optim = 0;
  CHECK_EQ(ts_optim_step((ts_optim *)&not_an_optim), TS_ERR_STALE_HANDLE);
  CHECK_EQ(ts_optim_step((ts_optim *)s), TS_ERR_STALE_HANDLE); /* a store */
  ts_optim_free(o);
  CHECK_EQ(ts_optim_step(o), TS_ERR_STALE_HANDLE);
  CHECK_ERROR(TS_ERR_STALE_HANDLE, "ts_optim_step");
  CHECK_EQ(ts_lr_scheduler_step(&sch), TS_ERR_STALE_HANDLE);
  ts_optim_free(o); /* twice: reported, not done */
  CHECK_ERROR(TS_ERR_STALE_HANDLE, "ts_optim_free");
  ts_optim_free(NULL);
  CHECK_EQ(ts_last_status(), TS_OK);
  ts_store_free(s);
}

RUN_TESTS(T(parity_with_torch_optim), T(state_is_owned_by_the_optimizer),
          T(step_runs_without_grad_and_restores_the_mode), T(bad_input))
