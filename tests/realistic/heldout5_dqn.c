/* heldout5_dqn.c - deep Q-learning on a toy corridor: a Q network of two
 * linear layers and its target copy, a ring replay buffer of transitions
 * held as tensors, epsilon-greedy actions, TD targets from the target
 * network, hard and soft target updates.
 * Labels: tests/realistic/README.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { OBS = 4, HID = 16, ACT = 2, CAP = 6, BATCH = 4 };

struct qnet {
  ts_tensor *w1, *b1, *w2, *b2; /* owned */
};

struct transition {
  ts_tensor *s, *s2; /* [OBS], owned */
  int a;
  float r;
  int done;
};

struct replay {
  struct transition *slots;
  int cap, len, head;
};

// OK: every weight made outside a scope, the made ones freed on failure
static int qnet_init(struct qnet *q) {
  memset(q, 0, sizeof *q);
  q->w1 = ts_randn(TS_SHAPE(OBS, HID), TS_FLOAT32);
  if (!q->w1)
    goto fail;
  q->b1 = ts_zeros(TS_SHAPE(HID), TS_FLOAT32);
  if (!q->b1)
    goto fail;
  q->w2 = ts_randn(TS_SHAPE(HID, ACT), TS_FLOAT32);
  if (!q->w2)
    goto fail;
  q->b2 = ts_zeros(TS_SHAPE(ACT), TS_FLOAT32);
  if (!q->b2)
    goto fail;
  return 0;
fail:
  if (q->w1)
    ts_free(q->w1);
  if (q->b1)
    ts_free(q->b1);
  if (q->w2)
    ts_free(q->w2);
  memset(q, 0, sizeof *q);
  return -1;
}

// OK: frees the four weights and clears the handles, so a second call is
// harmless
static void qnet_free(struct qnet *q) {
  if (q->w1)
    ts_free(q->w1);
  if (q->b1)
    ts_free(q->b1);
  if (q->w2)
    ts_free(q->w2);
  if (q->b2)
    ts_free(q->b2);
  q->w1 = q->b1 = q->w2 = q->b2 = NULL;
}

// OK: temporaries and the result belong to the caller's scope
TS_CALLER_SCOPE static ts_tensor *qnet_forward(const struct qnet *q,
                                               const ts_tensor *x) {
  ts_tensor *h = ts_relu(ts_add(ts_matmul(x, q->w1), q->b1));
  return ts_add(ts_matmul(h, q->w2), q->b2);
}

// OK: the copy's weights are clones the copy owns
static int qnet_clone(struct qnet *dst, const struct qnet *src) {
  dst->w1 = ts_clone(src->w1);
  dst->b1 = ts_clone(src->b1);
  dst->w2 = ts_clone(src->w2);
  dst->b2 = ts_clone(src->b2);
  return dst->w1 && dst->b1 && dst->w2 && dst->b2 ? 0 : -1;
}

// OK: hard update: the old target weights are freed before the clones replace
// them
static void target_hard_update(struct qnet *target, const struct qnet *online) {
  qnet_free(target);
  qnet_clone(target, online);
}

// OK: tau-mix of one weight; the old handle is freed once and replaced
static void soft_mix(ts_tensor **dst, const ts_tensor *src, double tau) {
  ts_tensor *a = ts_mul_scalar(*dst, 1.0 - tau);
  ts_tensor *b = ts_mul_scalar(src, tau);
  ts_tensor *mixed = ts_add(a, b);
  ts_free(a);
  ts_free(b);
  ts_free(*dst);
  *dst = mixed;
}

// BUG: double-free: the old weight is freed by hand, then again by the loop
static void target_soft_update_bad(struct qnet *target,
                                   const struct qnet *online, double tau) {
  ts_tensor **dst[4] = {&target->w1, &target->b1, &target->w2, &target->b2};
  const ts_tensor *src[4] = {online->w1, online->b1, online->w2, online->b2};
  ts_tensor *old_w1 = target->w1;
  for (int i = 0; i < 4; i++)
    soft_mix(dst[i], src[i], tau);
  ts_free(old_w1); // <- BUG
}

// OK: all four weights mixed through soft_mix
static void target_soft_update(struct qnet *target, const struct qnet *online,
                               double tau) {
  soft_mix(&target->w1, online->w1, tau);
  soft_mix(&target->b1, online->b1, tau);
  soft_mix(&target->w2, online->w2, tau);
  soft_mix(&target->b2, online->b2, tau);
}

// OK: the slot array is calloc'd, so empty slots hold NULL handles
static int replay_init(struct replay *rb, int cap) {
  rb->slots = calloc((size_t)cap, sizeof *rb->slots);
  rb->cap = cap;
  rb->len = rb->head = 0;
  return rb->slots ? 0 : -1;
}

// OK: a full ring frees the transition it overwrites
static void replay_push(struct replay *rb, ts_tensor *s, int a, float r,
                        ts_tensor *s2, int done) {
  struct transition *t = &rb->slots[rb->head];
  if (t->s) {
    ts_free(t->s);
    ts_free(t->s2);
  }
  t->s = s;
  t->s2 = s2;
  t->a = a;
  t->r = r;
  t->done = done;
  rb->head = (rb->head + 1) % rb->cap;
  if (rb->len < rb->cap)
    rb->len++;
}

// BUG: leak: once the ring wraps, the overwritten transition's tensors are lost
static void replay_push_nofree(struct replay *rb, ts_tensor *s, int a, float r,
                               ts_tensor *s2, int done) {
  struct transition *t = &rb->slots[rb->head];
  t->s = s; // <- BUG
  t->s2 = s2;
  t->a = a;
  t->r = r;
  t->done = done;
  rb->head = (rb->head + 1) % rb->cap;
  if (rb->len < rb->cap)
    rb->len++;
}

// OK: frees the live slots and the array
static void replay_free(struct replay *rb) {
  for (int i = 0; i < rb->len; i++) {
    ts_free(rb->slots[i].s);
    ts_free(rb->slots[i].s2);
  }
  free(rb->slots);
  rb->slots = NULL;
  rb->len = 0;
}

// OK: clearing frees the tensors and nulls them, and resets the length
static void replay_clear(struct replay *rb) {
  for (int i = 0; i < rb->len; i++) {
    ts_free(rb->slots[i].s);
    ts_free(rb->slots[i].s2);
    rb->slots[i].s = rb->slots[i].s2 = NULL;
  }
  rb->len = rb->head = 0;
}

// BUG: double-free: the clear frees the states but keeps len, so replay_free
// frees them again
static void replay_reset_and_free(struct replay *rb) {
  for (int i = 0; i < rb->len; i++) {
    ts_free(rb->slots[i].s);
    ts_free(rb->slots[i].s2);
  }
  rb->head = 0;
  replay_free(rb); // <- BUG
}

// OK: a random state vector, manual
static ts_tensor *random_state(void) {
  return ts_randn(TS_SHAPE(OBS), TS_FLOAT32);
}

// OK: Q values in a scope of their own; only the int leaves it
static int greedy_action(const struct qnet *q, const ts_tensor *s) {
  int a;
  TS_SCOPE {
    ts_tensor *qv = qnet_forward(q, s);
    a = (int)ts_item(ts_argmax(qv));
  }
  return a;
}

// BUG: leak: the exploit branch returns without freeing the Q values
static int epsilon_greedy(const struct qnet *q, const ts_tensor *s,
                          double eps) {
  ts_tensor *u = ts_rand(TS_SHAPE(1), TS_FLOAT32);
  double roll = ts_item(u);
  ts_free(u);
  if (roll < eps)
    return rand() % ACT;
  ts_tensor *z = ts_matmul(s, q->w1);
  ts_tensor *h = ts_relu(z);
  ts_free(z);
  ts_tensor *qv = ts_matmul(h, q->w2); // <- BUG
  ts_free(h);
  ts_tensor *best = ts_argmax(qv);
  int a = (int)ts_item(best);
  ts_free(best);
  return a;
}

// OK: the TD target r + gamma * max Q' is escaped out of the function's scope
TS_SCOPED static ts_tensor *td_target(const struct qnet *target,
                                      const ts_tensor *s2, float r, int done,
                                      double gamma) {
  ts_tensor *q2 = qnet_forward(target, s2);
  ts_tensor *m = ts_mul_scalar(ts_max(q2), done ? 0.0 : gamma);
  return ts_escape(ts_add_scalar(m, r));
}

// BUG: unescaped-return: the target is owned by the function's scope
TS_SCOPED static ts_tensor *td_target_noescape(const struct qnet *target,
                                               const ts_tensor *s2, float r,
                                               double gamma) {
  ts_tensor *q2 = qnet_forward(target, s2);
  ts_tensor *m = ts_mul_scalar(ts_max(q2), gamma);
  return ts_add_scalar(m, r); // <- BUG
}

// OK: Q(s, a) picked with select, in the caller's scope
TS_CALLER_SCOPE static ts_tensor *q_of_action(const struct qnet *q,
                                              const ts_tensor *s, int a) {
  return ts_select_int(qnet_forward(q, s), 0, a);
}

// OK: one TD step per sampled transition, each in its own loop scope; weights
// updated in place
static double train_step(struct qnet *q, const struct qnet *target,
                         const struct replay *rb, double lr) {
  double total = 0;
  for (int k = 0; k < BATCH; k++)
    TS_SCOPE {
      const struct transition *t = &rb->slots[rand() % rb->len];
      ts_tensor *y = td_target(target, t->s2, t->r, t->done, 0.9);
      ts_tensor *loss = ts_mse_loss(q_of_action(q, t->s, t->a), y);
      total += ts_item(loss);
      ts_backward(loss);
      ts_sgd_step(q->w1, lr);
      ts_sgd_step(q->w2, lr);
      ts_zero_grad(q->w1);
      ts_zero_grad(q->w2);
      ts_free(y);
    }
  return total / BATCH;
}

// OK: fills the buffer from random rollouts, ownership of states moved into it
static void fill_buffer(struct replay *rb, const struct qnet *q, int n) {
  for (int i = 0; i < n; i++) {
    ts_tensor *s = random_state();
    ts_tensor *s2 = random_state();
    int a = greedy_action(q, s);
    replay_push(rb, s, a, (float)(i % 3) - 1.0f, s2, i % 5 == 4);
  }
}

// OK: weights require gradients; errors reported as a status
static int qnet_train_mode(struct qnet *q) {
  if (ts_requires_grad(q->w1, true) != TS_OK)
    return -1;
  if (ts_requires_grad(q->w2, true) != TS_OK)
    return -1;
  return 0;
}

// OK: the whole DQN loop: online and target nets, buffer, hard update, teardown
void dqn5_train(void) {
  struct qnet q, target;
  struct replay rb;
  ts_manual_seed(5);
  if (qnet_init(&q) != 0)
    return;
  if (qnet_clone(&target, &q) != 0 || replay_init(&rb, CAP) != 0) {
    qnet_free(&q);
    qnet_free(&target);
    return;
  }
  qnet_train_mode(&q);
  fill_buffer(&rb, &q, 2 * CAP);
  for (int epoch = 0; epoch < 3; epoch++) {
    double l = train_step(&q, &target, &rb, 0.01);
    if (epoch == 1)
      target_hard_update(&target, &q);
    printf("epoch %d loss %.3f\n", epoch, l);
  }
  replay_free(&rb);
  qnet_free(&target);
  qnet_free(&q);
}

// OK: soft updates keep one handle per weight; teardown frees each once
void dqn5_soft(void) {
  struct qnet q, target;
  if (qnet_init(&q) != 0)
    return;
  qnet_clone(&target, &q);
  for (int i = 0; i < 3; i++)
    target_soft_update(&target, &q, 0.1);
  qnet_free(&q);
  qnet_free(&target);
  qnet_free(&target);
}

// OK: drives the soft update that frees a weight twice
void dqn5_soft_bad(void) {
  struct qnet q, target;
  if (qnet_init(&q) != 0)
    return;
  qnet_clone(&target, &q);
  target_soft_update_bad(&target, &q, 0.5);
  qnet_free(&q);
  qnet_free(&target);
}

// OK: pushes past the capacity through the push that forgets old slots
void dqn5_wrap(void) {
  struct replay rb;
  replay_init(&rb, 3);
  for (int i = 0; i < 5; i++)
    replay_push_nofree(&rb, random_state(), i % ACT, 1.0f, random_state(), 0);
  replay_free(&rb);
}

// OK: clear then free: the cleared buffer has length 0
void dqn5_clear(void) {
  struct replay rb;
  replay_init(&rb, CAP);
  for (int i = 0; i < 4; i++)
    replay_push(&rb, random_state(), 0, 0.5f, random_state(), 1);
  replay_clear(&rb);
  replay_free(&rb);
}

// OK: drives the reset that frees twice
void dqn5_reset(void) {
  struct replay rb;
  replay_init(&rb, CAP);
  replay_push(&rb, random_state(), 1, 0.0f, random_state(), 0);
  replay_reset_and_free(&rb);
}

// OK: drives epsilon_greedy down its exploit branch (eps 0)
void dqn5_act(void) {
  struct qnet q;
  if (qnet_init(&q) != 0)
    return;
  ts_tensor *s = random_state();
  int a = epsilon_greedy(&q, s, 0.0);
  printf("action %d\n", a);
  ts_free(s);
  qnet_free(&q);
}

// OK: uses and frees what td_target_noescape returns
void dqn5_target(void) {
  struct qnet q;
  qnet_init(&q);
  ts_tensor *s2 = random_state();
  ts_tensor *y = td_target_noescape(&q, s2, 1.0f, 0.99);
  printf("target %.3f\n", ts_item(y));
  ts_free(y);
  ts_free(s2);
  qnet_free(&q);
}

// BUG: use-after-scope: the best state's Q values are kept from a loop scope
void dqn5_best_state(void) {
  struct qnet q;
  qnet_init(&q);
  ts_tensor *best = NULL;
  double best_v = -1e9;
  for (int i = 0; i < 3; i++)
    TS_SCOPE {
      ts_tensor *s = ts_randn(TS_SHAPE(OBS), TS_FLOAT32);
      ts_tensor *qv = qnet_forward(&q, s);
      double v = ts_item(ts_max(qv));
      if (v > best_v) {
        best_v = v;
        best = qv;
      }
    }
  ts_tensor *am = ts_argmax(best); // <- BUG
  printf("best argmax %.0f\n", ts_item(am));
  ts_free(am);
  qnet_free(&q);
}

// OK: the best Q values are cloned and kept out of the loop scope, freed after
void dqn5_best_kept(void) {
  struct qnet q;
  qnet_init(&q);
  ts_tensor *best = NULL;
  double best_v = -1e9;
  for (int i = 0; i < 3; i++)
    TS_SCOPE {
      ts_tensor *qv = qnet_forward(&q, ts_randn(TS_SHAPE(OBS), TS_FLOAT32));
      double v = ts_item(ts_max(qv));
      if (v > best_v) {
        best_v = v;
        if (best)
          ts_free(best);
        best = ts_keep(ts_clone(qv));
      }
    }
  ts_tensor *am = ts_argmax(best);
  printf("best argmax %.0f\n", ts_item(am));
  ts_free(am);
  ts_free(best);
  qnet_free(&q);
}

// BUG: use-after-free: the target net is evaluated after its teardown
void dqn5_eval_after_free(void) {
  struct qnet q, target;
  qnet_init(&q);
  qnet_clone(&target, &q);
  ts_tensor *s = random_state();
  ts_tensor *w2 = target.w2;
  qnet_free(&target);
  ts_tensor *z = ts_matmul(s, q.w1);
  ts_tensor *h = ts_relu_(z);
  ts_tensor *out = ts_matmul(h, w2); // <- BUG
  ts_free(out);
  ts_free(h);
  ts_free(s);
  qnet_free(&q);
}

// BUG: leak: the sampled batch of states is stacked and never freed
void dqn5_batch_leak(void) {
  struct qnet q;
  qnet_init(&q);
  const ts_tensor *states[BATCH];
  ts_tensor *own[BATCH];
  for (int i = 0; i < BATCH; i++)
    states[i] = own[i] = random_state();
  ts_tensor *batch = ts_stack(states, BATCH, 0); // <- BUG
  ts_tensor *h = ts_relu_(ts_matmul(batch, q.w1));
  printf("hidden rows %lld\n", (long long)ts_size(h, 0));
  for (int i = 0; i < BATCH; i++)
    ts_free(own[i]);
  ts_free(h);
  qnet_free(&q);
}

// OK: the batch, hidden layer and its mean are all scoped by the guard
void dqn5_batch(void) {
  struct qnet q;
  qnet_init(&q);
  {
    TS_SCOPE_GUARD();
    const ts_tensor *states[BATCH];
    for (int i = 0; i < BATCH; i++)
      states[i] = ts_randn(TS_SHAPE(OBS), TS_FLOAT32);
    ts_tensor *batch = ts_stack(states, BATCH, 0);
    ts_tensor *h = ts_relu(ts_matmul(batch, q.w1));
    printf("hidden mean %.3f\n", ts_item(ts_mean(h)));
  }
  qnet_free(&q);
}

// BUG: use-after-free: the transition's state is read after the slot was
// overwritten
void dqn5_stale_slot(void) {
  struct replay rb;
  replay_init(&rb, 2);
  replay_push(&rb, random_state(), 0, 0.0f, random_state(), 0);
  ts_tensor *first = rb.slots[0].s;
  replay_push(&rb, random_state(), 1, 1.0f, random_state(), 0);
  replay_push(&rb, random_state(), 1, 1.0f, random_state(), 1);
  printf("first state size %lld\n", (long long)ts_numel(first)); // <- BUG
  replay_free(&rb);
}
