/* heldout9_hogwild.c - a lock-light logistic-regression trainer in the
 * hogwild style: worker threads each own an async scope and take gradient
 * buffers from a shared thread-safe pool; updates to the shared weights go
 * through a mutex here so runs stay deterministic. Evaluation runs through
 * ts_run. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>

#define HW_F 5
#define HW_B 8
#define HW_WORKERS 3

typedef struct {
  ts_tensor *w; /* [HW_F, 1], requires grad */
  pthread_mutex_t lock;
  ts_pool *pool; /* gradient buffers, shape [HW_F, 1] */
  int updates;
} hw_shared;

typedef struct {
  hw_shared *sh;
  ts_async_scope *as;
  int id, steps;
  ts_tensor *last_loss; /* owned by the worker's async scope */
  int failed;
} hw_worker;

typedef struct {
  ts_tensor *x; /* [HW_B, HW_F] */
  ts_tensor *y; /* [HW_B, 1] */
} hw_batch;

// OK: shared weights and a pool; 0 on success
static int hw_shared_init(hw_shared *sh) {
  memset(sh, 0, sizeof *sh);
  sh->w = ts_zeros(TS_SHAPE(HW_F, 1), TS_FLOAT32);
  if (!sh->w)
    return -1;
  ts_requires_grad(sh->w, true);
  sh->pool = ts_pool_new(8);
  pthread_mutex_init(&sh->lock, NULL);
  return 0;
}

// OK: frees the weights and destroys the pool
static void hw_shared_free(hw_shared *sh) {
  if (sh->w)
    ts_free(sh->w);
  sh->w = NULL;
  if (sh->pool)
    ts_pool_destroy(sh->pool);
  sh->pool = NULL;
  pthread_mutex_destroy(&sh->lock);
}

// OK: a synthetic batch, both tensors the caller's
static hw_batch hw_batch_make(int seed) {
  hw_batch b;
  ts_manual_seed((uint64_t)seed);
  b.x = ts_randn(TS_SHAPE(HW_B, HW_F), TS_FLOAT32);
  b.y = ts_rand(TS_SHAPE(HW_B, 1), TS_FLOAT32);
  return b;
}

// OK: frees a batch
static void hw_batch_free(hw_batch b) {
  ts_free(b.x);
  ts_free(b.y);
}

// OK: a gradient buffer from the pool, or a new one on a miss
static ts_tensor *hw_grad_buf(ts_pool *p) {
  ts_tensor *g = ts_pool_acquire(p, TS_SHAPE(HW_F, 1), TS_FLOAT32);
  if (!g)
    g = ts_zeros(TS_SHAPE(HW_F, 1), TS_FLOAT32);
  return g;
}

// OK: loss of a batch in the caller's scope
TS_CALLER_SCOPE static ts_tensor *hw_loss(const ts_tensor *w, hw_batch b) {
  ts_tensor *p = ts_sigmoid(ts_matmul(b.x, w));
  return ts_mse_loss(p, b.y);
}

// OK: applies a gradient under the lock
static void hw_apply(hw_shared *sh, const ts_tensor *g, double lr) {
  pthread_mutex_lock(&sh->lock);
  TS_SCOPE {
    ts_tensor *step = ts_mul_scalar(g, lr);
    ts_tensor *nw = ts_sub(sh->w, step);
    float buf[HW_F];
    ts_copy_to_buffer(nw, buf, sizeof buf);
    ts_tensor *fresh = ts_keep(ts_from_buffer(buf, TS_SHAPE(HW_F, 1), TS_FLOAT32));
    ts_requires_grad(fresh, true);
    ts_free(sh->w);
    sh->w = fresh;
  }
  sh->updates++;
  pthread_mutex_unlock(&sh->lock);
}

// OK: one worker step inside its async scope; the gradient goes back to the pool
static void hw_worker_step(hw_worker *wk, int seed) {
  hw_shared *sh = wk->sh;
  ts_async_scope_enter(wk->as);
  hw_batch b = hw_batch_make(seed);
  float wb[HW_F];
  pthread_mutex_lock(&sh->lock);
  ts_copy_to_buffer(sh->w, wb, sizeof wb);
  pthread_mutex_unlock(&sh->lock);
  ts_tensor *w = ts_from_buffer(wb, TS_SHAPE(HW_F, 1), TS_FLOAT32);
  ts_requires_grad(w, true);
  ts_tensor *loss = hw_loss(w, b);
  ts_backward(loss);
  ts_tensor *g = ts_grad(w);
  ts_tensor *buf = hw_grad_buf(sh->pool);
  ts_tensor *acc = ts_add(buf, g);
  ts_pool_release(sh->pool, buf);
  hw_apply(sh, acc, 0.1);
  wk->last_loss = loss;
  wk->steps++;
  ts_async_scope_leave(wk->as);
}

// OK: thread body: a few steps, then the scope stays for the joiner to end
static void *hw_worker_main(void *arg) {
  hw_worker *wk = arg;
  for (int s = 0; s < 3; s++)
    hw_worker_step(wk, wk->id * 10 + s);
  return NULL;
}

// OK: starts and joins the workers, ends their scopes
static int hw_train(hw_shared *sh, double *loss_out) {
  hw_worker wk[HW_WORKERS];
  pthread_t th[HW_WORKERS];
  for (int i = 0; i < HW_WORKERS; i++) {
    wk[i] = (hw_worker){.sh = sh, .as = ts_async_scope_begin(), .id = i};
    pthread_create(&th[i], NULL, hw_worker_main, &wk[i]);
  }
  double sum = 0;
  for (int i = 0; i < HW_WORKERS; i++) {
    pthread_join(th[i], NULL);
    sum += ts_item(wk[i].last_loss);
    ts_async_scope_end(wk[i].as);
  }
  *loss_out = sum / HW_WORKERS;
  return 0;
}

// OK: entry: a hogwild run, everything released
void hw_entry_train(void) {
  hw_shared sh;
  if (hw_shared_init(&sh))
    return;
  double l;
  hw_train(&sh, &l);
  printf("loss %.4f after %d updates\n", l, sh.updates);
  hw_shared_free(&sh);
}

// BUG: use-after-scope: the mean loss is read from the workers after their async scopes ended
static int hw_train_report(hw_shared *sh, double *loss_out) {
  hw_worker wk[HW_WORKERS];
  pthread_t th[HW_WORKERS];
  for (int i = 0; i < HW_WORKERS; i++) {
    wk[i] = (hw_worker){.sh = sh, .as = ts_async_scope_begin(), .id = i};
    pthread_create(&th[i], NULL, hw_worker_main, &wk[i]);
  }
  for (int i = 0; i < HW_WORKERS; i++) {
    pthread_join(th[i], NULL);
    ts_async_scope_end(wk[i].as);
  }
  double sum = 0;
  for (int i = 0; i < HW_WORKERS; i++)
    sum += ts_item(wk[i].last_loss); // <- BUG
  *loss_out = sum / HW_WORKERS;
  return 0;
}

// OK: entry: drives hw_train_report
void hw_entry_train_report(void) {
  hw_shared sh;
  if (hw_shared_init(&sh))
    return;
  double l;
  hw_train_report(&sh, &l);
  hw_shared_free(&sh);
}

// OK: evaluation body for ts_run: the accuracy tensor escapes ts_run's scope
static void *hw_eval_fn(void *ctx) {
  hw_shared *sh = ctx;
  hw_batch b = hw_batch_make(99);
  ts_tensor *p = ts_sigmoid(ts_matmul(b.x, sh->w));
  ts_tensor *err = ts_mean(ts_mul(ts_sub(p, b.y), ts_sub(p, b.y)));
  return ts_escape(err);
}

// OK: entry: evaluation through ts_run
void hw_entry_eval(void) {
  hw_shared sh;
  if (hw_shared_init(&sh))
    return;
  ts_tensor *err = ts_run(hw_eval_fn, &sh);
  if (err) {
    printf("err %.4f\n", ts_item(err));
    ts_free(err);
  }
  hw_shared_free(&sh);
}

// BUG: unescaped-return: the evaluation result is returned from ts_run's scope without ts_escape
static void *hw_eval_fn_raw(void *ctx) {
  hw_shared *sh = ctx;
  hw_batch b = hw_batch_make(7);
  ts_tensor *p = ts_sigmoid(ts_matmul(b.x, sh->w));
  return ts_mse_loss(p, b.y); // <- BUG
}

// OK: entry: evaluation through ts_run with hw_eval_fn_raw
void hw_entry_eval_raw(void) {
  hw_shared sh;
  if (hw_shared_init(&sh))
    return;
  ts_tensor *err = ts_run(hw_eval_fn_raw, &sh);
  if (err)
    printf("err %.4f\n", ts_item(err));
  hw_shared_free(&sh);
}

// BUG: leak: a gradient buffer taken outside any scope is not returned to the pool when the batch is empty
static int hw_accumulate(hw_shared *sh, const ts_tensor *const *grads, int n) {
  ts_tensor *acc = hw_grad_buf(sh->pool); // <- BUG
  if (n == 0)
    return -1;
  for (int i = 0; i < n; i++) {
    ts_tensor *next = ts_add(acc, grads[i]);
    ts_pool_release(sh->pool, acc);
    acc = next;
  }
  hw_apply(sh, acc, 0.01);
  ts_pool_release(sh->pool, acc);
  return 0;
}

// OK: entry: an empty accumulation through hw_accumulate
void hw_entry_accumulate_empty(void) {
  hw_shared sh;
  if (hw_shared_init(&sh))
    return;
  if (hw_accumulate(&sh, NULL, 0) != 0)
    fprintf(stderr, "nothing to apply\n");
  hw_shared_free(&sh);
}

// OK: accumulation that checks for an empty batch before taking a buffer
static int hw_accumulate_ok(hw_shared *sh, const ts_tensor *const *grads, int n) {
  if (n == 0)
    return -1;
  ts_tensor *acc = hw_grad_buf(sh->pool);
  for (int i = 0; i < n; i++) {
    ts_tensor *next = ts_add(acc, grads[i]);
    ts_pool_release(sh->pool, acc);
    acc = next;
  }
  hw_apply(sh, acc, 0.01);
  ts_pool_release(sh->pool, acc);
  return 0;
}

// OK: entry: two gradients accumulated, then an empty call
void hw_entry_accumulate(void) {
  hw_shared sh;
  if (hw_shared_init(&sh))
    return;
  ts_tensor *g[2] = {ts_ones(TS_SHAPE(HW_F, 1), TS_FLOAT32),
                     ts_ones(TS_SHAPE(HW_F, 1), TS_FLOAT32)};
  hw_accumulate_ok(&sh, (const ts_tensor *const *)g, 2);
  hw_accumulate_ok(&sh, NULL, 0);
  ts_free(g[0]);
  ts_free(g[1]);
  hw_shared_free(&sh);
}

// BUG: double-free: the buffer is released to the pool and then freed again by the shared error cleanup
static int hw_apply_clipped(hw_shared *sh, const ts_tensor *g, double maxn) {
  ts_tensor *buf = hw_grad_buf(sh->pool);
  ts_tensor *c = ts_add(buf, g);
  ts_pool_release(sh->pool, buf);
  int rc = 0;
  if (maxn <= 0.0) {
    rc = -1;
    goto out;
  }
  hw_apply(sh, c, 0.05);
out:
  ts_free(c);
  if (rc)
    ts_pool_release(sh->pool, buf); // <- BUG
  return rc;
}

// OK: entry: hw_apply_clipped with an invalid bound
void hw_entry_clip_bad(void) {
  hw_shared sh;
  if (hw_shared_init(&sh))
    return;
  ts_tensor *g = ts_ones(TS_SHAPE(HW_F, 1), TS_FLOAT32);
  hw_apply_clipped(&sh, g, 0.0);
  ts_free(g);
  hw_shared_free(&sh);
}

// BUG: use-after-free: the pooled buffer is read after it went back to the pool
static double hw_grad_norm_pooled(hw_shared *sh, const ts_tensor *g) {
  ts_tensor *buf = hw_grad_buf(sh->pool);
  ts_tensor *c = ts_add(buf, g);
  ts_pool_release(sh->pool, buf);
  ts_tensor *s = ts_sum(buf); // <- BUG
  double v = ts_item(s);
  ts_free(s);
  ts_free(c);
  return v;
}

// OK: entry: drives hw_grad_norm_pooled
void hw_entry_norm_pooled(void) {
  hw_shared sh;
  if (hw_shared_init(&sh))
    return;
  ts_tensor *g = ts_ones(TS_SHAPE(HW_F, 1), TS_FLOAT32);
  printf("%.2f\n", hw_grad_norm_pooled(&sh, g));
  ts_free(g);
  hw_shared_free(&sh);
}

/* per-worker session state in async scopes kept across calls */
typedef struct {
  ts_async_scope *as;
  ts_tensor *momentum; /* owned by as */
} hw_session;

// OK: opens a session, its momentum made inside the async scope
static int hw_session_open(hw_session *s) {
  s->as = ts_async_scope_begin();
  if (!s->as)
    return -1;
  ts_async_scope_enter(s->as);
  s->momentum = ts_zeros(TS_SHAPE(HW_F, 1), TS_FLOAT32);
  ts_async_scope_leave(s->as);
  return 0;
}

// OK: momentum update inside the session's scope
static void hw_session_push(hw_session *s, const ts_tensor *g) {
  ts_async_scope_enter(s->as);
  s->momentum = ts_add(ts_mul_scalar(s->momentum, 0.9), g);
  ts_async_scope_leave(s->as);
}

// OK: closes a session (its scope frees the momentum chain)
static void hw_session_close(hw_session *s) {
  ts_async_scope_end(s->as);
  s->as = NULL;
  s->momentum = NULL;
}

// OK: entry: a session across several pushes
void hw_entry_session(void) {
  hw_session s;
  if (hw_session_open(&s))
    return;
  ts_tensor *g = ts_ones(TS_SHAPE(HW_F, 1), TS_FLOAT32);
  for (int i = 0; i < 4; i++)
    hw_session_push(&s, g);
  ts_async_scope_enter(s.as);
  ts_tensor *tot = ts_sum(s.momentum);
  printf("%.3f\n", ts_item(tot));
  ts_async_scope_leave(s.as);
  hw_session_close(&s);
  ts_free(g);
}

// BUG: use-after-scope: the momentum is summed after hw_session_close ended its scope
static double hw_session_final(hw_session *s) {
  ts_tensor *m = s->momentum;
  hw_session_close(s);
  ts_tensor *tot = ts_sum(m); // <- BUG
  double v = ts_item(tot);
  ts_free(tot);
  return v;
}

// OK: entry: drives hw_session_final
void hw_entry_session_final(void) {
  hw_session s;
  if (hw_session_open(&s))
    return;
  ts_tensor *g = ts_ones(TS_SHAPE(HW_F, 1), TS_FLOAT32);
  hw_session_push(&s, g);
  printf("%.3f\n", hw_session_final(&s));
  ts_free(g);
}

// BUG: leak: the snapshot kept out of the session's scope is not freed when the session has no momentum yet
static double hw_session_snapshot(hw_session *s, int pushes) {
  ts_async_scope_enter(s->as);
  ts_tensor *snap = ts_keep(ts_clone(s->momentum)); // <- BUG
  ts_async_scope_leave(s->as);
  if (pushes == 0)
    return 0.0;
  ts_tensor *tot = ts_sum(snap);
  double v = ts_item(tot);
  ts_free(tot);
  ts_free(snap);
  return v;
}

// OK: entry: a snapshot of a fresh session (no pushes)
void hw_entry_snapshot(void) {
  hw_session s;
  if (hw_session_open(&s))
    return;
  printf("%.3f\n", hw_session_snapshot(&s, 0));
  hw_session_close(&s);
}

// OK: the pool's statistics printed through the key callback
static void hw_pool_key(const char *key, size_t count, void *ctx) {
  int *n = ctx;
  *n += (int)count;
  printf("%s: %zu\n", key, count);
}

// OK: entry: buffers cycled through the pool, then listed and pruned
void hw_entry_pool(void) {
  hw_shared sh;
  if (hw_shared_init(&sh))
    return;
  ts_tensor *bufs[4];
  for (int i = 0; i < 4; i++)
    bufs[i] = hw_grad_buf(sh.pool);
  for (int i = 0; i < 4; i++)
    ts_pool_release(sh.pool, bufs[i]);
  int n = 0;
  ts_pool_foreach_key(sh.pool, hw_pool_key, &n);
  ts_pool_prune(sh.pool, TS_POOL_HALF);
  printf("held %d\n", n);
  hw_shared_free(&sh);
}

// OK: ends a worker; a failed worker's kept loss is the worker's to free
static void hw_worker_cleanup(hw_worker *wk) {
  if (wk->failed && wk->last_loss)
    ts_free(wk->last_loss);
  wk->last_loss = NULL;
  ts_async_scope_end(wk->as);
  wk->as = NULL;
}

// OK: entry: one worker stepped and cleaned up normally
void hw_entry_worker(void) {
  hw_shared sh;
  if (hw_shared_init(&sh))
    return;
  hw_worker wk = {.sh = &sh, .as = ts_async_scope_begin(), .id = 0};
  hw_worker_step(&wk, 1);
  hw_worker_step(&wk, 2);
  hw_worker_cleanup(&wk);
  hw_shared_free(&sh);
}

// BUG: double-free: aborting frees the last loss but leaves the field set, so hw_worker_cleanup frees it again
static void hw_worker_abort(hw_worker *wk) {
  wk->failed = 1;
  if (wk->last_loss)
    ts_free(wk->last_loss); // <- BUG
}

// OK: entry: one worker stepped, aborted, then cleaned up
void hw_entry_abort(void) {
  hw_shared sh;
  if (hw_shared_init(&sh))
    return;
  hw_worker wk = {.sh = &sh, .as = ts_async_scope_begin(), .id = 0};
  hw_worker_step(&wk, 1);
  hw_worker_abort(&wk);
  hw_worker_cleanup(&wk);
  hw_shared_free(&sh);
}

// OK: entry: a batch made outside scopes, its loss computed in one, freed
void hw_entry_batch_loss(void) {
  hw_shared sh;
  if (hw_shared_init(&sh))
    return;
  hw_batch b = hw_batch_make(3);
  double l = 0;
  TS_SCOPE { l = ts_item(hw_loss(sh.w, b)); }
  printf("%.4f\n", l);
  hw_batch_free(b);
  hw_shared_free(&sh);
}
