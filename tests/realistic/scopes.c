/*
 * scopes.c - feature extraction written with scopes: TS_CALLER_SCOPE
 * helpers, TS_SCOPE blocks and loops, TS_SCOPED functions, manual
 * ts_scope_begin/ts_scope_end, escapes through one and two scopes.
 *
 * Labels (see README.md): `// OK: why` or `// BUG: check: why` on the line
 * before each function; the line of the bug itself ends in `// <- BUG`.
 */
#include <stdio.h>
#include <tsmem.h>

enum { N = 5, D = 3 };

// OK: its tensors belong to the caller's scope, and it returns one of them to
// that caller
TS_CALLER_SCOPE static ts_tensor *standardise(const ts_tensor *x) {
  ts_tensor *m = ts_mean(x);
  ts_tensor *c = ts_sub(x, m);
  return ts_mul_scalar(c, 2.0);
}

// OK: a caller-scope helper that makes two features and reports through an
// out-parameter
TS_CALLER_SCOPE static void two_features(const ts_tensor *x, ts_tensor **a,
                                         ts_tensor **b) {
  *a = ts_relu(x);
  *b = ts_tanh(x);
}

// OK: uses the caller-scope helper inside a TS_SCOPE block
void scopes_caller_scope(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(N, D), TS_FLOAT32);
  TS_SCOPE {
    ts_tensor *z = standardise(x);
    printf("z %f\n", ts_item(ts_sum(z)));
  }
  ts_free(x);
}

// BUG: use-after-scope: the standardised tensor belongs to the block's scope
// and is read after it
void scopes_caller_scope_after(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(N, D), TS_FLOAT32);
  ts_tensor *z = NULL;
  TS_SCOPE { z = standardise(x); }
  printf("z %lld\n", (long long)ts_numel(z)); // <- BUG
  ts_free(x);
}

// BUG: unescaped-return: returns the caller-scope helper's result out of its
// own scope without ts_escape
TS_SCOPED static ts_tensor *standardised_copy(const ts_tensor *x) {
  ts_tensor *z = standardise(x);
  return z; // <- BUG
}

// OK: calls the scoped copier (its bug is the copier's) and frees the result
void scopes_standardised_copy(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(N, D), TS_FLOAT32);
  ts_tensor *z = standardised_copy(x);
  printf("z %lld\n", (long long)ts_numel(z));
  ts_free(z);
  ts_free(x);
}

// OK: escapes the caller-scope helper's result out of its scope
TS_SCOPED static ts_tensor *standardised_copy_ok(const ts_tensor *x) {
  return ts_escape(standardise(x));
}

// OK: the escaped copy is manual in the caller and freed
void scopes_standardised_copy_ok(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(N, D), TS_FLOAT32);
  ts_tensor *z = standardised_copy_ok(x);
  printf("z %lld\n", (long long)ts_numel(z));
  ts_free(z);
  ts_free(x);
}

// OK: the out-parameters of the caller-scope helper are used inside the scope
void scopes_two_features(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(N, D), TS_FLOAT32);
  TS_SCOPE {
    ts_tensor *a, *b;
    two_features(x, &a, &b);
    printf("a+b %f\n", ts_item(ts_sum(ts_add(a, b))));
  }
  ts_free(x);
}

// BUG: use-after-scope: an out-parameter of the caller-scope helper is read
// after the scope ended
void scopes_two_features_after(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(N, D), TS_FLOAT32);
  ts_tensor *a = NULL, *b = NULL;
  TS_SCOPE {
    two_features(x, &a, &b);
    printf("a %lld\n", (long long)ts_numel(a));
  }
  printf("b %lld\n", (long long)ts_numel(b)); // <- BUG
  ts_free(x);
}

// OK: escapes through two nested scopes, once in each, while each is current
static ts_tensor *two_level_feature(const ts_tensor *x) {
  TS_SCOPE_GUARD();
  ts_tensor *r = NULL;
  {
    TS_SCOPE_GUARD();
    ts_tensor *t = ts_exp(ts_neg(x));
    r = ts_escape(t);
  }
  return ts_escape(r);
}

// BUG: unescaped-return: escapes once but the return leaves two scopes
static ts_tensor *two_level_feature_once(const ts_tensor *x) {
  TS_SCOPE_GUARD();
  ts_tensor *r = NULL;
  {
    TS_SCOPE_GUARD();
    r = ts_escape(ts_exp(ts_neg(x)));
  }
  return r; // <- BUG
}

// OK: uses both two-level helpers (the second one's bug is its own)
void scopes_two_levels(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(N, D), TS_FLOAT32);
  ts_tensor *a = two_level_feature(x);
  printf("a %lld\n", (long long)ts_numel(a));
  ts_free(a);
  ts_free(x);
}

// OK: the faulty two-level helper's result is used by its caller (the bug is
// the callee's)
void scopes_two_levels_once(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(N, D), TS_FLOAT32);
  ts_tensor *a = two_level_feature_once(x);
  printf("a %lld\n", (long long)ts_numel(a));
  ts_free(a);
  ts_free(x);
}

// OK: a manual scope pair around a feature loop, the result kept
void scopes_manual_pair(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(N, D), TS_FLOAT32);
  ts_tensor *total = NULL;
  ts_scope_id s = ts_scope_begin();
  ts_tensor *acc = ts_zeros(TS_SHAPE(N, D), TS_FLOAT32);
  for (int i = 0; i < 3; i++)
    acc = ts_add(acc, x);
  total = ts_keep(ts_sum(acc));
  ts_scope_end(s);
  printf("total %f\n", ts_item(total));
  ts_free(total);
  ts_free(x);
}

// BUG: use-after-scope: the accumulator made in the manual scope is read after
// ts_scope_end
void scopes_manual_pair_after(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(N, D), TS_FLOAT32);
  ts_scope_id s = ts_scope_begin();
  ts_tensor *acc = ts_zeros(TS_SHAPE(N, D), TS_FLOAT32);
  for (int i = 0; i < 3; i++)
    acc = ts_add(acc, x);
  ts_scope_end(s);
  printf("acc %lld\n", (long long)ts_numel(acc)); // <- BUG
  ts_free(x);
}

// BUG: use-after-scope: a feature kept from a scoped loop iteration is read in
// the next
void scopes_loop_carry(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(N, D), TS_FLOAT32);
  ts_tensor *prev = NULL;
  TS_SCOPE for (int i = 0; i < 3; i++) {
    ts_tensor *f = ts_mul_scalar(x, i);
    if (prev)
      printf("delta %lld\n", (long long)ts_numel(prev)); // <- BUG
    prev = f;
  }
  ts_free(x);
}

// OK: a feature carried between scoped iterations is cloned and kept, the old
// one freed
void scopes_loop_carry_kept(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(N, D), TS_FLOAT32);
  ts_tensor *prev = NULL;
  TS_SCOPE for (int i = 0; i < 3; i++) {
    ts_tensor *f = ts_mul_scalar(x, i);
    if (prev) {
      printf("delta %f\n", ts_item(ts_sum(ts_sub(f, prev))));
      ts_free(prev);
    }
    prev = ts_keep(f);
  }
  ts_free(prev);
  ts_free(x);
}

// BUG: unescaped-return: on one path out of the scoped loop the found feature
// is returned unescaped
static ts_tensor *first_positive(const ts_tensor *x) {
  TS_SCOPE for (int i = 1; i < 4; i++) {
    ts_tensor *f = ts_mul_scalar(x, i);
    if (i == 2)
      return f; // <- BUG
  }
  return NULL;
}

// OK: uses the scoped search (its bug is the search's) and frees the result
void scopes_first_positive(void) {
  ts_tensor *x = ts_ones(TS_SHAPE(N, D), TS_FLOAT32);
  ts_tensor *f = first_positive(x);
  if (f) {
    printf("found %lld\n", (long long)ts_numel(f));
    ts_free(f);
  }
  ts_free(x);
}

// OK: the search escapes what it returns from the loop's scope
static ts_tensor *first_positive_ok(const ts_tensor *x) {
  TS_SCOPE for (int i = 1; i < 4; i++) {
    ts_tensor *f = ts_mul_scalar(x, i);
    if (i == 2)
      return ts_escape(f);
  }
  return NULL;
}

// OK: frees the escaped search result
void scopes_first_positive_ok(void) {
  ts_tensor *x = ts_ones(TS_SHAPE(N, D), TS_FLOAT32);
  ts_tensor *f = first_positive_ok(x);
  if (f) {
    printf("found %lld\n", (long long)ts_numel(f));
    ts_free(f);
  }
  ts_free(x);
}

// OK: ts_keep inside a scope makes the result manual; it is freed after the
// scope
void scopes_keep(void) {
  ts_tensor *k = NULL;
  TS_SCOPE {
    ts_tensor *t = ts_rand(TS_SHAPE(N), TS_FLOAT32);
    k = ts_keep(ts_relu(t));
  }
  printf("kept %lld\n", (long long)ts_numel(k));
  ts_free(k);
}

// BUG: leak: a tensor kept out of the scope is never freed
void scopes_keep_leak(void) {
  ts_tensor *k = NULL;
  TS_SCOPE {
    ts_tensor *t = ts_rand(TS_SHAPE(N), TS_FLOAT32);
    k = ts_keep(ts_relu(t));
  }
  printf("kept %lld\n", (long long)ts_numel(k));
} // <- BUG

// BUG: use-after-scope: a tensor made after a TS_SCOPE_GUARD in an inner block
// is used after the block
void scopes_guard_block_after(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(N, D), TS_FLOAT32);
  ts_tensor *y = NULL;
  {
    TS_SCOPE_GUARD();
    y = ts_sigmoid(x);
  }
  printf("y %lld\n", (long long)ts_numel(y)); // <- BUG
  ts_free(x);
}
