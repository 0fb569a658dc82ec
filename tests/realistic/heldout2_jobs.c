/* heldout2_jobs.c - a job queue whose jobs are small state machines, each
 * with its own async scope: steps enter and leave the scope, results are
 * kept out of it, jobs are malloc'd, handed out, retried and cancelled.
 * Labels: tests/realistic/README.md. */
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum job_state { JOB_QUEUED, JOB_RUNNING, JOB_DONE, JOB_FAILED };

struct job {
  int id;
  enum job_state state;
  ts_async_scope *scope;
  ts_tensor *input;   /* owned */
  ts_tensor *partial; /* owned by the job's async scope */
  ts_tensor *result;  /* owned (kept out of the scope) */
};

// OK: a malloc'd job owning input; on failure input is freed here
static struct job *job_new(int id, ts_tensor *input) {
  struct job *j = calloc(1, sizeof *j);
  if (!j) {
    ts_free(input);
    return NULL;
  }
  j->id = id;
  j->state = JOB_QUEUED;
  j->scope = ts_async_scope_begin();
  j->input = input;
  return j;
}

// OK: ends the job's scope (its partial results go with it), frees what the
// job owns and the job
static void job_free(struct job *j) {
  if (!j)
    return;
  ts_async_scope_end(j->scope);
  if (j->input)
    ts_free(j->input);
  if (j->result)
    ts_free(j->result);
  free(j);
}

// BUG: leak: the teardown used by the dispatcher frees the result but not the
// input
static void job_free_fast(struct job *j) {
  ts_async_scope_end(j->scope);
  if (j->result)
    ts_free(j->result);
  free(j); // <- BUG
}

// OK: one transition of the job's state machine
static int job_step(struct job *j) {
  switch (j->state) {
  case JOB_QUEUED:
    if (ts_numel(j->input) == 0) {
      j->state = JOB_FAILED;
      return 0;
    }
    ts_async_scope_enter(j->scope);
    j->partial = ts_mul_scalar(j->input, 2.0);
    ts_async_scope_leave(j->scope);
    j->state = JOB_RUNNING;
    return 1;
  case JOB_RUNNING: {
    ts_async_scope_enter(j->scope);
    ts_tensor *r = ts_relu(j->partial);
    j->result = ts_keep(ts_sum(r));
    ts_async_scope_leave(j->scope);
    j->state = JOB_DONE;
    return 1;
  }
  default:
    return 0;
  }
}

// OK: steps a job until it stops
static void job_run(struct job *j) {
  while (job_step(j))
    ;
}

// OK: the job's result, borrowed (the job still owns it)
static const ts_tensor *job_result(const struct job *j) { return j->result; }

// OK: moves the result out of the job: the caller owns it now
static ts_tensor *job_take_result(struct job *j) {
  ts_tensor *r = j->result;
  j->result = NULL;
  return r;
}

// OK: runs three jobs, prints their borrowed results, frees the jobs
void jobs_basic(void) {
  struct job *q[3];
  for (int i = 0; i < 3; i++)
    q[i] = job_new(i, ts_randn(TS_SHAPE(4), TS_FLOAT32));
  for (int i = 0; i < 3; i++) {
    if (!q[i])
      continue;
    job_run(q[i]);
    printf("job %d: %lld\n", q[i]->id, (long long)ts_numel(job_result(q[i])));
  }
  for (int i = 0; i < 3; i++)
    job_free(q[i]);
}

// OK: the result is taken out of the job before the job is freed
void jobs_take(void) {
  struct job *j = job_new(7, ts_ones(TS_SHAPE(3), TS_FLOAT32));
  if (!j)
    return;
  job_run(j);
  ts_tensor *r = job_take_result(j);
  job_free(j);
  printf("taken %.1f\n", ts_item(r));
  ts_free(r);
}

// BUG: use-after-free: the result is read through a local copy of the field
// after job_free freed it
void jobs_result_after_free(void) {
  struct job *j = job_new(8, ts_ones(TS_SHAPE(3), TS_FLOAT32));
  if (!j)
    return;
  job_run(j);
  ts_tensor *r = j->result;
  job_free(j);
  printf("result %.1f\n", ts_item(r)); // <- BUG
}

// BUG: double-free: the borrowed result is freed by the caller, and job_free
// frees it again
void jobs_free_borrowed(void) {
  struct job *j = job_new(9, ts_ones(TS_SHAPE(2), TS_FLOAT32));
  if (!j)
    return;
  job_run(j);
  ts_tensor *r = (ts_tensor *)job_result(j);
  printf("result %.1f\n", ts_item(r));
  ts_free(r);
  job_free(j); // <- BUG
}

// BUG: double-free: a failed job's input is freed by the caller, then again
// by job_free
void jobs_failed(void) {
  struct job *j = job_new(10, ts_zeros(TS_SHAPE(0), TS_FLOAT32));
  if (!j)
    return;
  job_run(j);
  if (j->state == JOB_FAILED) {
    fprintf(stderr, "job %d failed\n", j->id);
    ts_free(j->input);
  }
  job_free(j); // <- BUG
}

// OK: the failed job's input is freed and cleared before job_free
void jobs_failed_ok(void) {
  struct job *j = job_new(11, ts_zeros(TS_SHAPE(0), TS_FLOAT32));
  if (!j)
    return;
  job_run(j);
  if (j->state == JOB_FAILED) {
    fprintf(stderr, "job %d failed\n", j->id);
    ts_free(j->input);
    j->input = NULL;
  }
  job_free(j);
}

// BUG: leak: each job gets a copy of the batch, and the batch itself is never
// freed
void jobs_fan_out(void) {
  ts_tensor *batch = ts_randn(TS_SHAPE(2, 3), TS_FLOAT32); // <- BUG
  struct job *q[2];
  for (int i = 0; i < 2; i++)
    q[i] = job_new(i, ts_clone(batch));
  for (int i = 0; i < 2; i++) {
    if (q[i])
      job_run(q[i]);
    job_free(q[i]);
  }
}

// OK: a dispatcher over job states; every finished or failed job is freed
void jobs_dispatch(void) {
  struct job *q[3] = {job_new(0, ts_ones(TS_SHAPE(2), TS_FLOAT32)),
                      job_new(1, ts_zeros(TS_SHAPE(0), TS_FLOAT32)),
                      job_new(2, ts_ones(TS_SHAPE(2), TS_FLOAT32))};
  int live = 3;
  while (live > 0) {
    for (int i = 0; i < 3; i++) {
      struct job *j = q[i];
      if (!j)
        continue;
      switch (j->state) {
      case JOB_QUEUED:
      case JOB_RUNNING:
        job_step(j);
        break;
      case JOB_DONE:
        printf("job %d done\n", j->id);
        job_free(j);
        q[i] = NULL;
        live--;
        break;
      case JOB_FAILED:
        printf("job %d failed\n", j->id);
        job_free(j);
        q[i] = NULL;
        live--;
        break;
      }
    }
  }
}

// OK: a dispatcher using the fast teardown (job_free_fast leaks by itself)
void jobs_dispatch_fast(void) {
  struct job *q[2] = {job_new(0, ts_ones(TS_SHAPE(2), TS_FLOAT32)),
                      job_new(1, ts_ones(TS_SHAPE(2), TS_FLOAT32))};
  for (int i = 0; i < 2; i++) {
    if (!q[i])
      continue;
    job_run(q[i]);
    job_free_fast(q[i]);
  }
}

// BUG: leak: finished jobs are reported but the DONE case never frees them
void jobs_dispatch_forget(void) {
  struct job *q[2] = {job_new(0, ts_ones(TS_SHAPE(2), TS_FLOAT32)),
                      job_new(1, ts_ones(TS_SHAPE(2), TS_FLOAT32))};
  int live = 2;
  while (live > 0) {
    for (int i = 0; i < 2; i++) {
      struct job *j = q[i];
      if (!j)
        continue;
      switch (j->state) {
      case JOB_DONE:
        printf("job %d done\n", j->id);
        q[i] = NULL; // <- BUG
        live--;
        break;
      case JOB_FAILED:
        job_free(j);
        q[i] = NULL;
        live--;
        break;
      default:
        job_step(j);
        break;
      }
    }
  }
}

// BUG: use-after-scope: the partial result belongs to the job's async scope,
// which is ended before the partial is inspected
void jobs_peek_partial(void) {
  struct job *j = job_new(12, ts_ones(TS_SHAPE(4), TS_FLOAT32));
  if (!j)
    return;
  job_step(j);
  ts_tensor *p = j->partial;
  ts_async_scope_end(j->scope);
  j->scope = ts_async_scope_begin();
  printf("partial %lld\n", (long long)ts_numel(p)); // <- BUG
  job_free(j);
}

// OK: the partial result is inspected while the job's scope is alive
void jobs_peek_partial_ok(void) {
  struct job *j = job_new(13, ts_ones(TS_SHAPE(4), TS_FLOAT32));
  if (!j)
    return;
  job_step(j);
  printf("partial %lld\n", (long long)ts_numel(j->partial));
  job_run(j);
  job_free(j);
}

// BUG: use-after-free: a retry frees the old result and then logs its size
static void job_retry(struct job *j) {
  if (j->result) {
    ts_free(j->result);
    printf("retrying job %d (old result %lld)\n", j->id,
           (long long)ts_numel(j->result)); // <- BUG
    j->result = NULL;
  }
  j->state = JOB_QUEUED;
}

// OK: drives job_retry (its bug is its own)
void jobs_retry(void) {
  struct job *j = job_new(14, ts_ones(TS_SHAPE(2), TS_FLOAT32));
  if (!j)
    return;
  job_run(j);
  job_retry(j);
  job_run(j);
  job_free(j);
}
