/*
 * paths.c - a data loader and report writer whose bugs sit on some paths
 * only (an error path, one branch before a join, one loop iteration), next
 * to code whose paths are correlated (the same condition tested twice) and
 * therefore correct.
 *
 * Labels (see README.md): `// OK: why` or `// BUG: check: why` on the line
 * before each function; the line of the bug itself ends in `// <- BUG`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>

enum { N = 6 };

// OK: opaque to the analysis: what the "configuration" says at run time (no
// tensor)
static int flag(const char *name) {
  const char *v = getenv(name);
  return v ? atoi(v) : 1;
}

// BUG: use-after-free: on the verbose path the batch is freed before the
// summary reads it
void paths_free_on_branch(void) {
  ts_tensor *batch = ts_rand(TS_SHAPE(N), TS_FLOAT32);
  int verbose = flag("REALISTIC_VERBOSE");
  if (verbose) {
    printf("batch %lld\n", (long long)ts_numel(batch));
    ts_free(batch);
  }
  ts_tensor *s = ts_sum(batch); // <- BUG
  printf("sum %f\n", ts_item(s));
  ts_free(s);
  if (!verbose)
    ts_free(batch);
}

// OK: the same condition frees the batch before and decides after; the paths
// are correlated
void paths_correlated_free(void) {
  ts_tensor *batch = ts_rand(TS_SHAPE(N), TS_FLOAT32);
  int keep = flag("REALISTIC_KEEP");
  if (!keep)
    ts_free(batch);
  if (keep) {
    ts_tensor *s = ts_sum(batch);
    printf("sum %f\n", ts_item(s));
    ts_free(s);
    ts_free(batch);
  }
}

// BUG: double-free: the error branch frees the batch and falls through to the
// common free
void paths_double_free_on_error(void) {
  ts_tensor *batch = ts_rand(TS_SHAPE(N), TS_FLOAT32);
  int bad = flag("REALISTIC_BAD");
  if (bad) {
    fprintf(stderr, "bad batch, dropping it\n");
    ts_free(batch);
  }
  ts_free(batch); // <- BUG
}

// OK: the error branch frees and returns, the common path frees once
void paths_error_returns(void) {
  ts_tensor *batch = ts_rand(TS_SHAPE(N), TS_FLOAT32);
  if (flag("REALISTIC_BAD")) {
    ts_free(batch);
    return;
  }
  ts_free(batch);
}

// BUG: leak: one error path returns without freeing the normalised copy
void paths_leak_on_error(void) {
  ts_tensor *batch = ts_rand(TS_SHAPE(N), TS_FLOAT32);
  ts_tensor *norm = ts_mul_scalar(batch, 0.5);
  ts_free(batch);
  if (flag("REALISTIC_BAD")) {
    fprintf(stderr, "cannot write the report\n");
    return; // <- BUG
  }
  printf("norm %lld\n", (long long)ts_numel(norm));
  ts_free(norm);
}

// OK: every error path frees through one cleanup label
void paths_cleanup_label(void) {
  int rc = -1;
  ts_tensor *batch = ts_rand(TS_SHAPE(N), TS_FLOAT32);
  ts_tensor *norm = NULL, *s = NULL;
  if (!batch)
    goto out;
  norm = ts_mul_scalar(batch, 0.5);
  if (!norm || flag("REALISTIC_BAD"))
    goto out;
  s = ts_sum(norm);
  if (!s)
    goto out;
  printf("sum %f\n", ts_item(s));
  rc = 0;
out:
  if (s)
    ts_free(s);
  if (norm)
    ts_free(norm);
  if (batch)
    ts_free(batch);
  printf("rc %d\n", rc);
}

// BUG: leak: the cleanup label forgets the sum on the path that reaches it last
void paths_cleanup_label_leak(void) {
  ts_tensor *batch = ts_rand(TS_SHAPE(N), TS_FLOAT32);
  ts_tensor *norm = NULL, *s = NULL;
  norm = ts_mul_scalar(batch, 0.5);
  if (!norm)
    goto out;
  s = ts_sum(norm);
  if (!s)
    goto out;
  printf("sum %f\n", ts_item(s));
out:
  if (norm)
    ts_free(norm);
  ts_free(batch);
} // <- BUG

// BUG: use-after-free: a batch freed in one iteration is read in the next
void paths_free_in_loop(void) {
  ts_tensor *acc = ts_zeros(TS_SHAPE(N), TS_FLOAT32);
  for (int i = 0; i < 3; i++) {
    ts_tensor *s = ts_sum(acc); // <- BUG
    printf("acc %f\n", ts_item(s));
    ts_free(s);
    if (i == 1)
      ts_free(acc);
  }
}

// OK: the accumulator is freed after the last iteration's read, tested on the
// same counter
void paths_free_in_last_iteration(void) {
  ts_tensor *acc = ts_zeros(TS_SHAPE(N), TS_FLOAT32);
  for (int i = 0; i < 3; i++) {
    ts_tensor *s = ts_sum(acc);
    printf("acc %f\n", ts_item(s));
    ts_free(s);
    if (i == 2)
      ts_free(acc);
  }
}

// BUG: leak: the tensor made under a condition is freed under a different one
void paths_uncorrelated_free(void) {
  int a = flag("REALISTIC_A");
  int b = flag("REALISTIC_B") + 1;
  ts_tensor *extra = NULL;
  if (a)
    extra = ts_ones(TS_SHAPE(N), TS_FLOAT32);
  printf("a=%d b=%d\n", a, b);
  if (b == 1)
    ts_free(extra);
} // <- BUG

// OK: made and freed under the same condition
void paths_correlated_make_free(void) {
  int a = flag("REALISTIC_A");
  ts_tensor *extra = NULL;
  if (a)
    extra = ts_ones(TS_SHAPE(N), TS_FLOAT32);
  printf("a=%d\n", a);
  if (a)
    ts_free(extra);
}

// BUG: unescaped-return: the mean escapes on the flagged path only; the other
// path returns it unescaped
static ts_tensor *mean_maybe_escaped(const ts_tensor *x, int esc) {
  TS_SCOPE_GUARD();
  ts_tensor *m = ts_mean(x);
  if (esc)
    return ts_escape(m);
  return m; // <- BUG
}

// OK: reads the mean from the path-dependent helper (its bug is the helper's)
// and frees it
void paths_mean_caller(void) {
  ts_tensor *x = ts_rand(TS_SHAPE(N), TS_FLOAT32);
  ts_tensor *m = mean_maybe_escaped(x, 0);
  printf("mean %f\n", ts_item(m));
  ts_free(m);
  ts_free(x);
}

// OK: a switch over a mode frees on every arm exactly once
void paths_switch_free(void) {
  ts_tensor *t = ts_rand(TS_SHAPE(N), TS_FLOAT32);
  switch (flag("REALISTIC_MODE")) {
  case 0:
    ts_free(t);
    break;
  case 1: {
    ts_tensor *r = ts_relu(t);
    ts_free(t);
    ts_free(r);
    break;
  }
  default:
    ts_free(t);
  }
}

// BUG: leak: the switch's default arm forgets the tensor
void paths_switch_leak(void) {
  ts_tensor *t = ts_rand(TS_SHAPE(N), TS_FLOAT32);
  switch (flag("REALISTIC_MODE") + 5) {
  case 0:
    ts_free(t);
    break;
  case 1:
    ts_free(t);
    break;
  default:
    break; // <- BUG
  }
}

// OK: a NULL test after the allocation guards the free
void paths_null_guard(void) {
  ts_tensor *t = ts_rand(TS_SHAPE(N), TS_FLOAT32);
  if (t == NULL) {
    fprintf(stderr, "out of memory: %s\n", ts_last_error());
    return;
  }
  printf("numel %lld\n", (long long)ts_numel(t));
  ts_free(t);
}

// BUG: leak: the search breaks out of the loop with the candidate it just made
// still alive
void paths_break_leak(void) {
  ts_tensor *x = ts_rand(TS_SHAPE(N), TS_FLOAT32);
  for (int i = 0; i < 4; i++) {
    ts_tensor *c = ts_mul_scalar(x, i);
    if (i == 2)
      break; // <- BUG
    ts_free(c);
  }
  ts_free(x);
}

// OK: a tensor owned only when a flag says so is freed under the same flag
void paths_owned_flag(void) {
  ts_tensor *shared = ts_ones(TS_SHAPE(N), TS_FLOAT32);
  int owned = flag("REALISTIC_OWNED");
  ts_tensor *t = owned ? ts_mul_scalar(shared, 2.0) : shared;
  printf("t %lld\n", (long long)ts_numel(t));
  if (owned)
    ts_free(t);
  ts_free(shared);
}

// BUG: leak: the ownership flag is tested the wrong way round, so the owned
// copy is never freed
void paths_owned_flag_inverted(void) {
  ts_tensor *shared = ts_ones(TS_SHAPE(N), TS_FLOAT32);
  int owned = flag("REALISTIC_OWNED");
  ts_tensor *t = owned ? ts_mul_scalar(shared, 2.0) : shared; // <- BUG
  printf("t %lld\n", (long long)ts_numel(t));
  if (!owned && t != shared)
    ts_free(t);
  ts_free(shared);
}

// OK: an optional tensor is NULL when not made, and freed only when not NULL
void paths_optional_extra(void) {
  ts_tensor *extra =
      flag("REALISTIC_A") ? ts_ones(TS_SHAPE(N), TS_FLOAT32) : NULL;
  ts_tensor *base = ts_zeros(TS_SHAPE(N), TS_FLOAT32);
  if (extra) {
    ts_tensor *sum = ts_add(base, extra);
    printf("sum %lld\n", (long long)ts_numel(sum));
    ts_free(sum);
  }
  ts_free(base);
  if (extra)
    ts_free(extra);
}

// BUG: use-after-free: a failed attempt frees the buffer and the retry uses it
void paths_retry_after_free(void) {
  ts_tensor *buf = ts_zeros(TS_SHAPE(N), TS_FLOAT32);
  int fails = flag("REALISTIC_FAILS");
  for (int attempt = 0; attempt < 3; attempt++) {
    ts_tensor *r = ts_add_scalar(buf, attempt); // <- BUG
    if (attempt < fails) {
      ts_free(r);
      ts_free(buf);
      continue;
    }
    ts_free(r);
    break;
  }
  if (fails == 0)
    ts_free(buf);
}
