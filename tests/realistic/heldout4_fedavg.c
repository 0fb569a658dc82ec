/* heldout4_fedavg.c - a federated-averaging simulation: a server holding
 * the global linear model and a malloc'd array of clients, each with its
 * own non-IID data and a local copy of the model, local SGD through
 * autograd, weighted aggregation, stragglers, FedProx, clipped and noised
 * updates, secure-aggregation masks, server momentum and client sessions
 * in async scopes.
 * Labels: tests/realistic/README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/nn.h>
#include <tsmem/ops.h>

enum { NCLIENTS = 4, NPARAM = 2, FD = 6 };

struct model {
  ts_tensor *w[NPARAM]; /* weight [FD,1], bias [1] */
};

struct client {
  ts_tensor *X, *y;
  struct model local;
  int64_t n;
  bool active;
};

struct server {
  struct model global;
  struct client *clients;
  int nclients;
};

// OK: a zero model; the weight is freed if the bias cannot be made
static int model_init(struct model *m) {
  m->w[0] = ts_zeros(TS_SHAPE(FD, 1), TS_FLOAT32);
  m->w[1] = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
  if (!m->w[0] || !m->w[1]) {
    if (m->w[0])
      ts_free(m->w[0]);
    if (m->w[1])
      ts_free(m->w[1]);
    m->w[0] = m->w[1] = NULL;
    return -1;
  }
  return 0;
}

// OK: frees what is there and clears it
static void model_free(struct model *m) {
  for (int i = 0; i < NPARAM; i++) {
    if (m->w[i]) {
      ts_free(m->w[i]);
      m->w[i] = NULL;
    }
  }
}

// OK: a deep copy
static void model_copy(struct model *dst, const struct model *src) {
  for (int i = 0; i < NPARAM; i++)
    dst->w[i] = ts_clone(src->w[i]);
}

// OK: a client's data, shifted by its index so the clients differ
static int client_init(struct client *c, int idx, int64_t n) {
  c->local.w[0] = c->local.w[1] = NULL;
  c->n = n;
  c->active = true;
  c->X = ts_randn(TS_SHAPE(n, FD), TS_FLOAT32);
  if (!c->X)
    return -1;
  ts_add_Scalar_(c->X, 0.3 * idx, 1.0);
  c->y = ts_sum_dim_IntList(c->X, TS_SHAPE(1), true, TS_NO_DTYPE);
  if (!c->y) {
    ts_free(c->X);
    return -1;
  }
  return 0;
}

// OK: frees the data and the local model
static void client_free(struct client *c) {
  ts_free(c->X);
  ts_free(c->y);
  model_free(&c->local);
}

// OK: the global model and every client; a failing client frees the
// clients before it, the model and the array
static int server_init(struct server *s, int nclients) {
  if (model_init(&s->global) != 0)
    return -1;
  s->clients = calloc((size_t)nclients, sizeof *s->clients);
  if (!s->clients) {
    model_free(&s->global);
    return -1;
  }
  for (s->nclients = 0; s->nclients < nclients; s->nclients++) {
    if (client_init(&s->clients[s->nclients], s->nclients,
                    10 + 5 * s->nclients) != 0) {
      while (s->nclients > 0)
        client_free(&s->clients[--s->nclients]);
      free(s->clients);
      model_free(&s->global);
      return -1;
    }
  }
  return 0;
}

// OK: frees every client, the array and the global model
static void server_free(struct server *s) {
  for (int c = 0; c < s->nclients; c++)
    client_free(&s->clients[c]);
  free(s->clients);
  s->clients = NULL;
  s->nclients = 0;
  model_free(&s->global);
}

// OK: local SGD from the global model: the old local model is freed, the
// graph of each epoch lives in a scope
static void local_train(struct client *c, const struct model *global,
                        int epochs, double lr) {
  model_free(&c->local);
  model_copy(&c->local, global);
  for (int i = 0; i < NPARAM; i++)
    ts_requires_grad(c->local.w[i], true);
  for (int e = 0; e < epochs; e++) {
    TS_SCOPE {
      ts_tensor *pred = ts_add(ts_mm(c->X, c->local.w[0]), c->local.w[1]);
      ts_backward(ts_mse_loss(pred, c->y));
    }
    for (int i = 0; i < NPARAM; i++) {
      ts_sgd_step(c->local.w[i], lr);
      ts_zero_grad(c->local.w[i]);
    }
  }
  for (int i = 0; i < NPARAM; i++)
    ts_requires_grad(c->local.w[i], false);
}

// OK: the sample-weighted mean of the active clients' models replaces the
// global one, parameter by parameter
static void aggregate(struct server *s) {
  int64_t total = 0;
  for (int c = 0; c < s->nclients; c++)
    if (s->clients[c].active)
      total += s->clients[c].n;
  if (total == 0)
    return;
  for (int i = 0; i < NPARAM; i++) {
    ts_tensor *acc = ts_zeros_like(s->global.w[i], TS_NO_DTYPE, NULL);
    for (int c = 0; c < s->nclients; c++)
      if (s->clients[c].active)
        ts_add_Tensor_(acc, s->clients[c].local.w[i],
                       (double)s->clients[c].n / total);
    ts_free(s->global.w[i]);
    s->global.w[i] = acc;
  }
}

// OK: the global model's loss on one client, temporaries in the
// function's scope
TS_SCOPED static double global_loss(const struct server *s,
                                    const struct client *c) {
  ts_tensor *pred = ts_add(ts_mm(c->X, s->global.w[0]), s->global.w[1]);
  return ts_item(ts_mse_loss(pred, c->y));
}

// OK: three rounds of FedAvg
void fed_rounds(void) {
  struct server s;
  ts_manual_seed(13);
  if (server_init(&s, NCLIENTS) != 0)
    return;
  for (int r = 0; r < 3; r++) {
    for (int c = 0; c < s.nclients; c++)
      local_train(&s.clients[c], &s.global, 5, 0.05);
    aggregate(&s);
    printf("round %d: loss on client 0 %.4f\n", r,
           global_loss(&s, &s.clients[0]));
  }
  server_free(&s);
}

// BUG: leak: the stacked client weights are averaged and the stack is
// never freed
void fed_average_leak(void) {
  struct server s;
  if (server_init(&s, NCLIENTS) != 0)
    return;
  const ts_tensor *ws[NCLIENTS];
  for (int c = 0; c < s.nclients; c++) {
    local_train(&s.clients[c], &s.global, 2, 0.05);
    ws[c] = s.clients[c].local.w[0];
  }
  ts_tensor *st = ts_stack(ws, s.nclients, 0); // <- BUG
  ts_tensor *mean = ts_mean_dim(st, TS_SHAPE(0), false, TS_NO_DTYPE);
  ts_free(s.global.w[0]);
  s.global.w[0] = mean;
  server_free(&s);
}

// BUG: double-free: client 0 is freed by hand when it leaves, and
// server_free frees it again
void fed_client_leaves(void) {
  struct server s;
  if (server_init(&s, NCLIENTS) != 0)
    return;
  local_train(&s.clients[0], &s.global, 1, 0.05);
  client_free(&s.clients[0]);
  s.clients[0].active = false;
  server_free(&s); // <- BUG
}

// BUG: use-after-free: the straggler's local model is freed but it stays
// active, so aggregate reads it
void fed_straggler_freed(void) {
  struct server s;
  if (server_init(&s, NCLIENTS) != 0)
    return;
  for (int c = 0; c < s.nclients; c++)
    local_train(&s.clients[c], &s.global, 1, 0.05);
  ts_free(s.clients[2].local.w[0]);
  aggregate(&s); // <- BUG
  s.clients[2].local.w[0] = NULL;
  server_free(&s);
}

// OK: stragglers are marked inactive and left out of the average; their
// data and models stay until server_free
void fed_stragglers(void) {
  struct server s;
  if (server_init(&s, NCLIENTS) != 0)
    return;
  for (int r = 0; r < 2; r++) {
    for (int c = 0; c < s.nclients; c++) {
      s.clients[c].active = (c + r) % 3 != 0;
      if (s.clients[c].active)
        local_train(&s.clients[c], &s.global, 2, 0.05);
    }
    aggregate(&s);
  }
  printf("loss %.4f\n", global_loss(&s, &s.clients[1]));
  server_free(&s);
}

// BUG: unescaped-return: the client's update is made in the function's
// scope and returned as it is
TS_SCOPED static ts_tensor *client_delta(const struct client *c,
                                         const struct model *g) {
  return ts_sub(c->local.w[0], g->w[0]); // <- BUG
}

// OK: the norm of each client's update, through client_delta, freed
void fed_update_norms(void) {
  struct server s;
  if (server_init(&s, NCLIENTS) != 0)
    return;
  for (int c = 0; c < s.nclients; c++) {
    local_train(&s.clients[c], &s.global, 2, 0.05);
    ts_tensor *d = client_delta(&s.clients[c], &s.global);
    ts_tensor *n = ts_norm_Scalar(d, 2.0);
    printf("client %d moved %.4f\n", c, ts_item(n));
    ts_free(n);
    ts_free(d);
  }
  server_free(&s);
}

// OK: the update escaped out of the function's scope for the caller
TS_SCOPED static ts_tensor *client_update(const struct client *c,
                                          const struct model *g) {
  ts_tensor *d = ts_sub(c->local.w[0], g->w[0]);
  return ts_escape(ts_mul_scalar(d, (double)c->n));
}

// OK: secure aggregation: pairwise masks that cancel, each masked update
// escaped out of its iteration into an array, summed, the array freed
void fed_secure_sum(void) {
  struct server s;
  ts_tensor *masked[NCLIENTS];
  if (server_init(&s, NCLIENTS) != 0)
    return;
  ts_tensor *mask = ts_randn(TS_SHAPE(FD, 1), TS_FLOAT32);
  for (int c = 0; c < s.nclients; c++)
    local_train(&s.clients[c], &s.global, 1, 0.05);
  TS_SCOPE for (int c = 0; c < s.nclients; c++) {
    ts_tensor *u = client_update(&s.clients[c], &s.global);
    double sign = (c % 2 == 0) ? 1.0 : -1.0;
    masked[c] = ts_escape(ts_add(u, ts_mul_scalar(mask, sign)));
  }
  ts_tensor *sum = ts_zeros(TS_SHAPE(FD, 1), TS_FLOAT32);
  for (int c = 0; c < s.nclients; c++) {
    ts_add_Tensor_(sum, masked[c], 1.0);
    ts_free(masked[c]);
  }
  ts_tensor *n = ts_norm_Scalar(sum, 2.0);
  printf("unmasked sum norm %.4f\n", ts_item(n));
  ts_free(n);
  ts_free(sum);
  ts_free(mask);
  server_free(&s);
}

// BUG: use-after-scope: the pairwise mask is drawn inside a scope and
// applied after it ended
void fed_mask_scope(void) {
  struct server s;
  if (server_init(&s, NCLIENTS) != 0)
    return;
  ts_tensor *mask = NULL;
  TS_SCOPE {
    ts_tensor *seed = ts_randn(TS_SHAPE(FD, 1), TS_FLOAT32);
    mask = ts_mul_scalar(seed, 0.1);
  }
  local_train(&s.clients[0], &s.global, 1, 0.05);
  ts_add_Tensor_(s.clients[0].local.w[0], mask, 1.0); // <- BUG
  server_free(&s);
}

// OK: the FedProx term mu/2 |w - w_g|^2 in the caller's scope
TS_CALLER_SCOPE static ts_tensor *prox_term(const struct model *local,
                                            const struct model *g, double mu) {
  ts_tensor *d = ts_sub(local->w[0], g->w[0]);
  return ts_mul_scalar(ts_sum(ts_mul(d, d)), mu / 2);
}

// OK: FedProx local training on one client with the proximal term
void fed_prox(void) {
  struct server s;
  if (server_init(&s, NCLIENTS) != 0)
    return;
  struct client *c = &s.clients[1];
  model_free(&c->local);
  model_copy(&c->local, &s.global);
  ts_requires_grad(c->local.w[0], true);
  ts_requires_grad(c->local.w[1], true);
  TS_SCOPE for (int e = 0; e < 4; e++) {
    ts_tensor *pred = ts_add(ts_mm(c->X, c->local.w[0]), c->local.w[1]);
    ts_tensor *loss =
        ts_add(ts_mse_loss(pred, c->y), prox_term(&c->local, &s.global, 0.1));
    ts_backward(loss);
    ts_sgd_step(c->local.w[0], 0.05);
    ts_sgd_step(c->local.w[1], 0.05);
    ts_zero_grad(c->local.w[0]);
    ts_zero_grad(c->local.w[1]);
  }
  server_free(&s);
}

// OK: clips an update to a maximum norm in place
static void clip_update(ts_tensor *u, double max_norm) {
  ts_tensor *n = ts_norm_Scalar(u, 2.0);
  double v = ts_item(n);
  ts_free(n);
  if (v > max_norm)
    ts_mul_Scalar_(u, max_norm / v);
}

// BUG: leak: a clipped update returns early without freeing the noise
// drawn for it
static void privatise(ts_tensor *u, double max_norm, double sigma) {
  ts_tensor *noise = ts_randn_like(u, TS_NO_DTYPE, NULL); // <- BUG
  ts_mul_Scalar_(noise, sigma * max_norm);
  ts_tensor *n = ts_norm_Scalar(u, 2.0);
  double v = ts_item(n);
  ts_free(n);
  if (v > max_norm) {
    ts_mul_Scalar_(u, max_norm / v);
    return;
  }
  ts_add_Tensor_(u, noise, 1.0);
  ts_free(noise);
}

// OK: differentially private updates through privatise and clip_update
void fed_private(void) {
  struct server s;
  if (server_init(&s, NCLIENTS) != 0)
    return;
  for (int c = 0; c < s.nclients; c++) {
    local_train(&s.clients[c], &s.global, 3, 0.1);
    ts_tensor *u = ts_sub(s.clients[c].local.w[0], s.global.w[0]);
    clip_update(u, 1.0);
    privatise(u, 1e-3, 0.5);
    ts_free(u);
  }
  server_free(&s);
}

// BUG: use-after-free: old still names the global weight aggregate freed
// when it replaced it
void fed_drift(void) {
  struct server s;
  if (server_init(&s, NCLIENTS) != 0)
    return;
  ts_tensor *old = s.global.w[0];
  for (int c = 0; c < s.nclients; c++)
    local_train(&s.clients[c], &s.global, 2, 0.05);
  aggregate(&s);
  ts_tensor *d = ts_sub(s.global.w[0], old); // <- BUG
  ts_free(d);
  server_free(&s);
}

// OK: the drift measured against a copy taken before the round
void fed_drift_ok(void) {
  struct server s;
  if (server_init(&s, NCLIENTS) != 0)
    return;
  ts_tensor *old = ts_clone(s.global.w[0]);
  for (int c = 0; c < s.nclients; c++)
    local_train(&s.clients[c], &s.global, 2, 0.05);
  aggregate(&s);
  ts_tensor *d = ts_sub(s.global.w[0], old);
  ts_tensor *n = ts_norm_Scalar(d, 2.0);
  printf("drift %.4f\n", ts_item(n));
  ts_free(n);
  ts_free(d);
  ts_free(old);
  server_free(&s);
}

struct eval_ctx {
  const struct server *s;
  int c;
  double loss;
};

// OK: a ts_run job evaluating one client
static void *eval_client(void *ctx) {
  struct eval_ctx *e = ctx;
  const struct client *c = &e->s->clients[e->c];
  ts_tensor *pred = ts_add(ts_mm(c->X, e->s->global.w[0]), e->s->global.w[1]);
  e->loss = ts_item(ts_mse_loss(pred, c->y));
  return NULL;
}

// OK: per-client losses through ts_run, into a double array
void fed_eval_all(void) {
  struct server s;
  double losses[NCLIENTS];
  if (server_init(&s, NCLIENTS) != 0)
    return;
  for (int c = 0; c < s.nclients; c++) {
    struct eval_ctx e = {&s, c, 0.0};
    ts_run(eval_client, &e);
    losses[c] = e.loss;
  }
  printf("losses %.3f %.3f %.3f %.3f\n", losses[0], losses[1], losses[2],
         losses[3]);
  server_free(&s);
}

// OK: each client's session lives in an async scope: the prediction made
// while it is entered belongs to it, ts_async_scope_end frees it
void fed_sessions(void) {
  struct server s;
  ts_async_scope *sess[NCLIENTS];
  ts_tensor *pred[NCLIENTS];
  if (server_init(&s, NCLIENTS) != 0)
    return;
  for (int c = 0; c < s.nclients; c++) {
    sess[c] = ts_async_scope_begin();
    ts_async_scope_enter(sess[c]);
    pred[c] = ts_mm(s.clients[c].X, s.global.w[0]);
    ts_async_scope_leave(sess[c]);
  }
  for (int c = 0; c < s.nclients; c++) {
    printf("client %d: %lld predictions\n", c, (long long)ts_numel(pred[c]));
    ts_async_scope_end(sess[c]);
  }
  server_free(&s);
}

// BUG: use-after-scope: ts_async_scope_end freed the session's
// prediction, which the caller then frees again
void fed_session_free(void) {
  struct server s;
  if (server_init(&s, NCLIENTS) != 0)
    return;
  ts_async_scope *sess = ts_async_scope_begin();
  ts_async_scope_enter(sess);
  ts_tensor *pred = ts_mm(s.clients[0].X, s.global.w[0]);
  ts_async_scope_leave(sess);
  printf("%lld predictions\n", (long long)ts_numel(pred));
  ts_async_scope_end(sess);
  ts_free(pred); // <- BUG
  server_free(&s);
}

// OK: server momentum (FedAvgM): the buffer is updated in place and the
// global weight moved by it
void fed_momentum(void) {
  struct server s;
  if (server_init(&s, NCLIENTS) != 0)
    return;
  ts_tensor *mom = ts_zeros(TS_SHAPE(FD, 1), TS_FLOAT32);
  for (int r = 0; r < 3; r++) {
    ts_tensor *old = ts_clone(s.global.w[0]);
    for (int c = 0; c < s.nclients; c++)
      local_train(&s.clients[c], &s.global, 1, 0.05);
    aggregate(&s);
    ts_tensor *delta = ts_sub(s.global.w[0], old);
    ts_mul_Scalar_(mom, 0.9);
    ts_add_Tensor_(mom, delta, 1.0);
    ts_copy_(s.global.w[0], old, false);
    ts_add_Tensor_(s.global.w[0], mom, 1.0);
    ts_free(delta);
    ts_free(old);
  }
  ts_free(mom);
  server_free(&s);
}

// BUG: leak: the momentum buffer is replaced by a new tensor each round
// and the old buffer is not freed
void fed_momentum_leak(void) {
  struct server s;
  if (server_init(&s, NCLIENTS) != 0)
    return;
  ts_tensor *mom = ts_zeros(TS_SHAPE(FD, 1), TS_FLOAT32);
  for (int r = 0; r < 2; r++) {
    ts_tensor *old = ts_clone(s.global.w[0]);
    for (int c = 0; c < s.nclients; c++)
      local_train(&s.clients[c], &s.global, 1, 0.05);
    aggregate(&s);
    ts_tensor *delta = ts_sub(s.global.w[0], old);
    mom = ts_add(ts_mul_scalar(mom, 0.9), delta); // <- BUG
    ts_free(delta);
    ts_free(old);
  }
  ts_free(mom);
  server_free(&s);
}
