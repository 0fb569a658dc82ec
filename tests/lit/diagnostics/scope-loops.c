// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// Uses after a scope (or a free) read through arrays and loops: elements
// filled under a scoped loop or TS_SCOPE_GUARD() and read by a later loop,
// an array of tensors handed to ts_stack/ts_cat after its scope ended, a
// tensor carried into a scoped loop's next pass. Each use is reported once,
// with its scope's end, also when the read is itself in a loop.
#include <tsmem.h>
#include <tsmem/ops.h>
#include <stdio.h>
enum { N = 4 };
/* BUG: rows made in a scoped loop, read in a second loop */
double rows_sum(const ts_tensor *x) {
  ts_tensor *rows[N];
  TS_SCOPE for (int r = 0; r < N; r++) // expected-note {{the scope ends here}}
    rows[r] = ts_mul(x, x);
  double s = 0;
  int k = 0;
  while (k < N) {
    s += ts_item(rows[k]); // expected-warning {{use of a tensor after the scope that owned it ended and freed it; ts_escape() it inside the scope to keep it [tsmem-use-after-scope]}}
    k++;
  }
  return s;
}
/* BUG: guard in a while loop, elements read after by index */
void guard_while(const ts_tensor *x) {
  ts_tensor *outs[3];
  int i = 0;
  while (i < 3) {
    TS_SCOPE_GUARD();
    outs[i] = ts_neg(x);
    i++;
  } // expected-note {{the scope ends here}}
  for (int j = 2; j >= 0; j--)
    printf("%f\n", ts_item(outs[j])); // expected-warning {{use of a tensor after the scope that owned it ended and freed it; ts_escape() it inside the scope to keep it [tsmem-use-after-scope]}}
}
/* BUG: stacked after the scope */
ts_tensor *stack_late(const ts_tensor *x) {
  ts_tensor *parts[2];
  TS_SCOPE {
    parts[0] = ts_neg(x);
    parts[1] = ts_abs(x);
  } // expected-note {{the scope ends here}}
  return ts_stack((const ts_tensor **)parts, 2, 0); // expected-warning {{use of a tensor after the scope that owned it ended and freed it; ts_escape() it inside the scope to keep it [tsmem-use-after-scope]}}
}
/* BUG: carried across iterations of a scoped loop */
void carried(const ts_tensor *w) {
  ts_tensor *acc = ts_zeros(TS_SHAPE(2, 2), TS_FLOAT32);
  ts_tensor *first = acc;
  TS_SCOPE for (int t = 0; t < 3; t++) // expected-note {{the scope ends here}} expected-note {{branch taken: 't < 3' is true}}
    acc = ts_relu(ts_add(acc, w)); // expected-warning {{use of a tensor after the scope that owned it ended and freed it; ts_escape() it inside the scope to keep it [tsmem-use-after-scope]}}
  ts_free(first);
}
/* OK: escaped out of the scoped loop */
void rows_escaped(const ts_tensor *x) {
  ts_tensor *rows[N];
  TS_SCOPE for (int r = 0; r < N; r++)
    rows[r] = ts_escape(ts_mul(x, x));
  for (int r = 0; r < N; r++)
    printf("%f\n", ts_item(rows[r]));
  for (int r = 0; r < N; r++)
    ts_free(rows[r]);
}
/* OK: only the live element is concatenated */
ts_tensor *cat_prefix(const ts_tensor *x) {
  ts_tensor *parts[2];
  parts[0] = ts_neg(x);
  TS_SCOPE { parts[1] = ts_abs(x); }
  ts_tensor *r = ts_cat((const ts_tensor **)parts, 1, 0);
  ts_free(parts[0]);
  return r;
}
/* OK: the carried tensor is made again before each read */
void carried_ok(const ts_tensor *w) {
  ts_tensor *acc = NULL;
  TS_SCOPE for (int t = 0; t < 3; t++) {
    acc = ts_relu(w);
    printf("%f\n", ts_item(ts_sum(acc)));
  }
}
/* OK: read inside the scope */
void stack_inside(const ts_tensor *x) {
  ts_tensor *parts[2];
  TS_SCOPE {
    parts[0] = ts_neg(x);
    parts[1] = ts_abs(x);
    ts_tensor *s = ts_stack((const ts_tensor **)parts, 2, 0);
    printf("%lld\n", (long long)ts_numel(s));
  }
}
/* BUG (uaf): freed in a loop, read in a loop */
double freed_then_read(const ts_tensor *x) {
  ts_tensor *v[3];
  for (int i = 0; i < 3; i++) v[i] = ts_neg(x);
  for (int i = 0; i < 3; i++) ts_free(v[i]); // expected-note {{freed here}}
  double s = 0;
  for (int i = 0; i < 3; i++) s += ts_item(v[i]); // expected-warning {{[tsmem-use-after-free]}}
  return s;
}
