/* test_clear_grad_nn.c - ts_store_clear_grad and ts_optim_clear_grad
 * (torch's zero_grad(set_to_none=True)): the gradients are dropped, the
 * optimizers then give the same parameters as after zeroing when every
 * parameter gets a gradient each step, and skip a parameter that got none
 * (where a zeroed gradient still moves it through momentum), as in torch. */
#include "check.h"

#include <tsmem/nn.h>

/* Two parameters a, b with values 1..n; loss = sum(a * a * k) + sum(b). */
typedef struct {
  ts_store *s;
  ts_tensor *a, *b;
  ts_optim *o;
} setup;

static void setup_init(setup *u, double momentum) {
  u->s = ts_store_new();
  u->a = ts_store_param(u->s, "a", TS_SHAPE(3), TS_FLOAT32);
  u->b = ts_store_param(u->s, "b", TS_SHAPE(2), TS_FLOAT32);
  ts_init_constant_(u->a, 0.5);
  ts_init_constant_(u->b, -1.0);
  ts_sgd_options o = ts_sgd_defaults(0.1);
  o.momentum = momentum;
  o.weight_decay = 0.01;
  u->o = ts_optim_sgd(u->s, o);
  CHECK(u->s && u->a && u->b && u->o);
}

static void backward(setup *u, double k, bool with_b) {
  TS_SCOPE_GUARD();
  ts_tensor *loss = ts_sum(ts_mul_scalar(ts_mul(u->a, u->a), k));
  if (with_b)
    loss = ts_add(loss, ts_sum(u->b));
  CHECK_EQ(ts_backward(loss), TS_OK);
}

static void values(ts_tensor *t, float *v, size_t cap) {
  CHECK_EQ(ts_copy_to_buffer(t, v, cap * sizeof *v), TS_OK);
}

static bool has_grad(ts_tensor *t) {
  TS_SCOPE_GUARD();
  return ts_grad(t) != NULL;
}

/* Every parameter gets a gradient each step: clearing and zeroing give the
 * same parameters (value for value), with momentum and weight decay. */
TEST(clear_matches_zero_when_every_parameter_has_a_gradient) {
  setup z, c;
  setup_init(&z, 0.9);
  setup_init(&c, 0.9);
  for (int step = 0; step < 5; step++) {
    double k = 1.0 + 0.5 * step;
    backward(&z, k, true);
    backward(&c, k, true);
    CHECK_EQ(ts_optim_step(z.o), TS_OK);
    CHECK_EQ(ts_optim_step(c.o), TS_OK);
    CHECK_EQ(ts_optim_zero_grad(z.o), TS_OK);
    CHECK_EQ(ts_optim_clear_grad(c.o), TS_OK);
    CHECK(has_grad(z.a) && has_grad(z.b));
    CHECK(!has_grad(c.a) && !has_grad(c.b));
    float va[3], vc[3];
    values(z.a, va, 3), values(c.a, vc, 3);
    CHECK(va[0] == vc[0] && va[2] == vc[2]);
    values(z.b, va, 2), values(c.b, vc, 2);
    CHECK(va[0] == vc[0] && va[1] == vc[1]);
  }
  ts_store_free(z.s);
  ts_store_free(c.s);
}

/* A parameter with no new gradient: after ts_optim_clear_grad the step
 * skips it; after ts_optim_zero_grad momentum still moves it (torch). */
TEST(cleared_parameter_without_gradient_is_skipped) {
  setup z, c;
  setup_init(&z, 0.9);
  setup_init(&c, 0.9);
  backward(&z, 1.0, true);
  backward(&c, 1.0, true);
  ts_optim_step(z.o), ts_optim_step(c.o);
  CHECK_EQ(ts_optim_zero_grad(z.o), TS_OK);
  CHECK_EQ(ts_store_clear_grad(c.s), TS_OK);
  float before[2], after_z[2], after_c[2];
  values(c.b, before, 2);
  backward(&z, 1.0, false); /* b gets no gradient this step */
  backward(&c, 1.0, false);
  ts_optim_step(z.o), ts_optim_step(c.o);
  values(z.b, after_z, 2), values(c.b, after_c, 2);
  CHECK(after_c[0] == before[0] && after_c[1] == before[1]);
  CHECK(after_z[0] != before[0]);
  CHECK(!has_grad(c.b) && has_grad(c.a));
  ts_store_free(z.s);
  ts_store_free(c.s);
}

TEST(bad_store_and_optimizer) {
  setup u;
  setup_init(&u, 0.0);
  CHECK_EQ(ts_store_clear_grad(u.s), TS_OK); /* no gradients yet: fine */
  CHECK_EQ(ts_optim_clear_grad(u.o), TS_OK);
  ts_optim_free(u.o);
  CHECK_EQ(ts_optim_clear_grad(u.o), TS_ERR_STALE_HANDLE);
  CHECK_ERROR(TS_ERR_STALE_HANDLE, "ts_optim_clear_grad");
  CHECK_EQ(ts_optim_clear_grad(NULL), TS_ERR_NULL);
  CHECK_ERROR(TS_ERR_NULL, "ts_optim_clear_grad");
  ts_store_free(u.s);
  CHECK_EQ(ts_store_clear_grad(u.s), TS_ERR_STALE_HANDLE);
  CHECK_ERROR(TS_ERR_STALE_HANDLE, "ts_store_clear_grad");
  CHECK_EQ(ts_store_clear_grad(NULL), TS_ERR_NULL);
  CHECK_ERROR(TS_ERR_NULL, "ts_store_clear_grad");
  ts_clear_error();
}

RUN_TESTS(T(clear_matches_zero_when_every_parameter_has_a_gradient),
          T(cleared_parameter_without_gradient_is_skipped),
          T(bad_store_and_optimizer))
