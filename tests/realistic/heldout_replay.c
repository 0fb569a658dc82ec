/*
 * heldout_replay.c - an experience-replay ring buffer for a DQN-style
 * agent: transitions pushed into a struct of arrays that owns them,
 * overwritten when full, sampled into stacked batches, cleared at the end.
 * Held-out corpus (README.md).
 *
 * Labels: `// OK: why` or `// BUG: check: why` before each function; the
 * line of the bug ends in `// <- BUG`.
 */
#include <stdio.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define CAP 4
#define OBS 3
#define ACTS 2

struct replay {
  ts_tensor *obs[CAP];
  ts_tensor *reward[CAP];
  int head, size;
};

// OK: no tensor
static void rb_init(struct replay *rb) {
  for (int i = 0; i < CAP; i++)
    rb->obs[i] = rb->reward[i] = NULL;
  rb->head = rb->size = 0;
}

// OK: takes ownership of both tensors; an overwritten slot's tensors are
// freed first
static void rb_push(struct replay *rb, ts_tensor *obs, ts_tensor *reward) {
  int i = rb->head;
  if (rb->obs[i])
    ts_free(rb->obs[i]);
  if (rb->reward[i])
    ts_free(rb->reward[i]);
  rb->obs[i] = obs;
  rb->reward[i] = reward;
  rb->head = (i + 1) % CAP;
  if (rb->size < CAP)
    rb->size++;
}

// OK: frees every stored tensor
static void rb_clear(struct replay *rb) {
  for (int i = 0; i < CAP; i++) {
    if (rb->obs[i])
      ts_free(rb->obs[i]);
    if (rb->reward[i])
      ts_free(rb->reward[i]);
  }
  rb_init(rb);
}

// OK: a stacked batch of the first n observations; the buffer keeps its own
static ts_tensor *rb_stack_obs(const struct replay *rb, int n) {
  const ts_tensor *rows[CAP];
  if (n > rb->size)
    n = rb->size;
  for (int i = 0; i < n; i++)
    rows[i] = rb->obs[i];
  return ts_stack(rows, n, 0);
}

// OK: six pushes into a ring of four (two overwrites), a sample, a clear
void rb_fill_and_sample(void) {
  struct replay rb;
  rb_init(&rb);
  for (int t = 0; t < 6; t++) {
    ts_tensor *o = ts_rand(TS_SHAPE(OBS), TS_FLOAT32);
    ts_tensor *r = ts_full(TS_SHAPE(1), TS_FLOAT32, (double)t);
    rb_push(&rb, o, r);
  }
  ts_tensor *batch = rb_stack_obs(&rb, 3);
  printf("batch %lld x %lld\n", (long long)ts_size(batch, 0),
         (long long)ts_size(batch, 1));
  ts_free(batch);
  rb_clear(&rb);
}

// BUG: double-free: the observation was handed to the buffer and is freed
// here as well
void rb_push_then_free(void) {
  struct replay rb;
  rb_init(&rb);
  ts_tensor *o = ts_rand(TS_SHAPE(OBS), TS_FLOAT32);
  ts_tensor *r = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
  rb_push(&rb, o, r);
  printf("size %d\n", rb.size);
  ts_free(o); // <- BUG
  rb_clear(&rb);
}

// BUG: use-after-free: the first observation is kept in a local while the
// ring wraps and frees it
void rb_first_obs(void) {
  struct replay rb;
  rb_init(&rb);
  ts_tensor *first = NULL;
  for (int t = 0; t < CAP + 1; t++) {
    ts_tensor *o = ts_rand(TS_SHAPE(OBS), TS_FLOAT32);
    if (t == 0)
      first = o;
    rb_push(&rb, o, ts_zeros(TS_SHAPE(1), TS_FLOAT32));
  }
  printf("first obs %lld\n", (long long)ts_numel(first)); // <- BUG
  rb_clear(&rb);
}

// BUG: leak: on a terminal step the chosen action is dropped by `continue`
void rb_collect_episode(void) {
  struct replay rb;
  rb_init(&rb);
  ts_tensor *w = ts_randn(TS_SHAPE(OBS, ACTS), TS_FLOAT32);
  for (int t = 0; t < 5; t++) {
    ts_tensor *o = ts_rand(TS_SHAPE(1, OBS), TS_FLOAT32);
    ts_tensor *q = ts_matmul(o, w);
    ts_tensor *act = ts_argmax_dim(q, 1); // <- BUG
    ts_free(q);
    if (t == 2) { /* terminal */
      ts_free(o);
      continue;
    }
    rb_push(&rb, o, act);
  }
  ts_free(w);
  rb_clear(&rb);
}

// BUG: leak: the random indices used to pick the sample are never freed
static ts_tensor *rb_sample_random(const struct replay *rb, int n) {
  ts_tensor *idx = ts_randint(rb->size, TS_SHAPE(n), TS_INT64, NULL); // <- BUG
  int64_t pick[CAP];
  ts_copy_to_buffer(idx, pick, sizeof pick);
  const ts_tensor *rows[CAP];
  for (int i = 0; i < n; i++)
    rows[i] = rb->obs[pick[i]];
  return ts_stack(rows, n, 0);
}

// OK: samples twice from a full buffer and frees both samples (the sampler
// leaks)
void rb_random_batches(void) {
  struct replay rb;
  rb_init(&rb);
  for (int t = 0; t < CAP; t++)
    rb_push(&rb, ts_rand(TS_SHAPE(OBS), TS_FLOAT32),
            ts_ones(TS_SHAPE(1), TS_FLOAT32));
  for (int k = 0; k < 2; k++) {
    ts_tensor *b = rb_sample_random(&rb, CAP);
    printf("sample %lld\n", (long long)ts_numel(b));
    ts_free(b);
  }
  rb_clear(&rb);
}

// OK: the batch and the target are made in the caller's scope
TS_CALLER_SCOPE static ts_tensor *
rb_td_target(const struct replay *rb, const ts_tensor *w, double gamma) {
  ts_tensor *batch = rb_stack_obs(rb, rb->size);
  ts_tensor *q = ts_matmul(batch, w);
  ts_tensor *best = ts_amax(q, TS_SHAPE(1), false);
  return ts_mul_scalar(best, gamma);
}

// OK: targets computed and reduced inside each iteration's scope
void rb_train_scoped(void) {
  struct replay rb;
  rb_init(&rb);
  ts_tensor *w = ts_randn(TS_SHAPE(OBS, ACTS), TS_FLOAT32);
  for (int t = 0; t < 3; t++)
    rb_push(&rb, ts_rand(TS_SHAPE(OBS), TS_FLOAT32),
            ts_ones(TS_SHAPE(1), TS_FLOAT32));
  TS_SCOPE for (int epoch = 0; epoch < 2; epoch++) {
    ts_tensor *target = rb_td_target(&rb, w, 0.99);
    printf("target mean %f\n", ts_item(ts_mean(target)));
  }
  ts_free(w);
  rb_clear(&rb);
}

// BUG: use-after-scope: the target comes from the block's scope and is
// read after the block
void rb_target_after_block(void) {
  struct replay rb;
  rb_init(&rb);
  ts_tensor *w = ts_randn(TS_SHAPE(OBS, ACTS), TS_FLOAT32);
  rb_push(&rb, ts_rand(TS_SHAPE(OBS), TS_FLOAT32),
          ts_ones(TS_SHAPE(1), TS_FLOAT32));
  ts_tensor *target;
  TS_SCOPE { target = rb_td_target(&rb, w, 0.9); }
  printf("%lld targets\n", (long long)ts_numel(target)); // <- BUG
  ts_free(w);
  rb_clear(&rb);
}
