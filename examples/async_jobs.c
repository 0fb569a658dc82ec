/*
 * async_jobs.c - async scopes: jobs that hop between threads.
 *
 * Two jobs run power iteration (the largest eigenvalue of a small matrix)
 * on a pool of two worker threads, one step at a time. A job's steps run on
 * alternate workers, so both jobs are in flight at once and each hops thread
 * at every step. A job's tensors (its matrix and current vector) cannot live
 * in a scope of one thread's stack; they live in the job's async scope,
 * which a step enters on whatever thread it runs and leaves when it is done.
 * Each step's temporaries live in an ordinary scope nested inside it.
 *
 *   clang-19 -fplugin=<prefix>/lib/tsmem/tsmem.so async_jobs.c -ltsmem
 * -lpthread
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <tsmem.h>

enum { WORKERS = 2, STEPS = 40, QUEUE = 8 };

typedef struct {
  const char *name;
  ts_async_scope *scope; /* owns m and v between steps */
  ts_tensor *m, *v;
  int steps_done;
  pthread_t ran_on[STEPS];
} job;

/* -------------------------------------------- a tiny thread pool -- */

/* One queue per worker; NULL in a queue tells its worker to stop. */
typedef struct {
  job *items[QUEUE];
  int head, count;
  pthread_mutex_t mu;
  pthread_cond_t ready;
} queue;

static queue queues[WORKERS];
static pthread_mutex_t done_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cv = PTHREAD_COND_INITIALIZER;
static int jobs_done;

static void push(int w, job *j) {
  queue *q = &queues[w];
  pthread_mutex_lock(&q->mu);
  q->items[(q->head + q->count++) % QUEUE] = j;
  pthread_cond_signal(&q->ready);
  pthread_mutex_unlock(&q->mu);
}

static job *pop(int w) {
  queue *q = &queues[w];
  pthread_mutex_lock(&q->mu);
  while (q->count == 0)
    pthread_cond_wait(&q->ready, &q->mu);
  job *j = q->items[q->head];
  q->head = (q->head + 1) % QUEUE;
  q->count--;
  pthread_mutex_unlock(&q->mu);
  return j;
}

/* ------------------------------------------------------- the job -- */

/* v <- M v / |M v|, in the job's async scope, on whichever thread runs it. */
static void job_step(job *j) {
  ts_async_scope_enter(j->scope);
  TS_SCOPE { /* the step's temporaries: freed at the closing brace */
    ts_tensor *mv = ts_matmul(j->m, j->v);
    ts_tensor *len = ts_exp(ts_mul_scalar(ts_log(ts_sum(ts_mul(mv, mv))), 0.5));
    /* The new vector escapes one scope up: into the job's async scope. */
    ts_tensor *next = ts_escape(ts_div(mv, len));
    ts_free(j->v); /* the old vector is no longer needed */
    j->v = next;
  }
  ts_async_scope_leave(j->scope);
  j->ran_on[j->steps_done++] = pthread_self();
}

static void *worker(void *arg) {
  int w = (int)(intptr_t)arg;
  for (job *j; (j = pop(w));) {
    job_step(j);
    if (j->steps_done < STEPS) {
      push((w + 1) % WORKERS, j); /* the next step runs on the other worker */
    } else {
      pthread_mutex_lock(&done_mu);
      jobs_done++;
      pthread_cond_signal(&done_cv);
      pthread_mutex_unlock(&done_mu);
    }
  }
  return NULL;
}

static void job_start(job *j, const char *name, const float m[2][2]) {
  j->name = name;
  j->steps_done = 0;
  j->scope = ts_async_scope_begin();
  ts_async_scope_enter(j->scope); /* tensors made now belong to the job */
  j->m = ts_from_buffer(m, TS_SHAPE(2, 2), TS_FLOAT32);
  j->v = ts_ones(TS_SHAPE(2, 1), TS_FLOAT32);
  ts_async_scope_leave(j->scope);
}

/* Prints the eigenvalue v.Mv and ends the job's scope, freeing m and v. */
static void job_finish(job *j) {
  ts_async_scope_enter(j->scope);
  size_t owned = ts_scope_tensor_count();
  double lambda;
  TS_SCOPE {
    ts_tensor *mv = ts_matmul(j->m, j->v);
    lambda = ts_item(ts_matmul(ts_transpose(j->v, 0, 1), mv));
  }
  int threads = 0; /* distinct threads the steps ran on */
  for (int s = 0; s < STEPS; s++) {
    int seen = 0;
    for (int t = 0; t < s; t++)
      seen |= pthread_equal(j->ran_on[t], j->ran_on[s]);
    threads += !seen;
  }
  printf("job %s: eigenvalue %.4f after %d steps on %d threads; "
         "its scope held %zu tensors\n",
         j->name, lambda, j->steps_done, threads, owned);
  ts_async_scope_leave(j->scope);
  ts_async_scope_end(j->scope);
}

int main(void) {
  ts_set_num_threads(1);
  static const float ma[2][2] = {{2, 1}, {1, 3}}; /* (5 + sqrt 5) / 2 */
  static const float mb[2][2] = {{4, 1}, {2, 3}}; /* 5 */
  job a, b;
  job_start(&a, "A", ma);
  job_start(&b, "B", mb);

  pthread_t threads[WORKERS];
  for (int w = 0; w < WORKERS; w++) {
    pthread_mutex_init(&queues[w].mu, NULL);
    pthread_cond_init(&queues[w].ready, NULL);
  }
  for (int w = 0; w < WORKERS; w++)
    pthread_create(&threads[w], NULL, worker, (void *)(intptr_t)w);
  push(0, &a); /* both jobs at once, one per worker */
  push(1, &b);

  pthread_mutex_lock(&done_mu);
  while (jobs_done < 2)
    pthread_cond_wait(&done_cv, &done_mu);
  pthread_mutex_unlock(&done_mu);
  for (int w = 0; w < WORKERS; w++)
    push(w, NULL);
  for (int w = 0; w < WORKERS; w++)
    pthread_join(threads[w], NULL);

  printf("live tensors before the jobs end: %zu\n", ts_memory().live_tensors);
  job_finish(&a);
  job_finish(&b);
  printf("live tensors at exit: %zu\n", ts_memory().live_tensors);
  return 0;
}
