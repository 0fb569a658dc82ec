// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// RUN: %clang -fsyntax-only -Xclang -verify -DPARSE_ALL=1 -DTSMEM_OPS_PARSE_ALL %tsmem %s
// RUN: %clang -fsyntax-only -Xclang -verify %tsmem -DOWNED %s
// RUN: %clang -fsyntax-only -Xclang -verify %tsmem -DOWNED -DPARSE_ALL=1 -DTSMEM_OPS_PARSE_ALL %s
// RUN: %clang -fsyntax-only %tsmem -DAGREE %s
// Under the plugin, <tsmem/ops.h> parses no declaration: the plugin makes
// each one when its name is first looked up (clang-plugin/lowering/LazyOps.cpp).
// The declarations it makes are those of <tsmem/ops_decls.h>, which the
// header parses without the plugin or with TSMEM_OPS_PARSE_ALL: every
// diagnostic below is the same either way.
#ifdef AGREE
// Every lazy declaration against the written one: ops_decls.h redeclares
// all 2,199 functions after the plugin has declared each (a redeclaration
// is looked up first); any difference of type is "conflicting types".
#include <tsmem/ops.h>
#include <tsmem/ops_decls.h>
int main(void) { return 0; }
#elif defined(OWNED)
#include <tsmem/ops.h>

// TS_OWNED on new tensors only; in-place calls return what they were given.
double owned(const ts_tensor *x) {
  ts_tensor *y = ts_sqrt(x); // expected-note {{tensor made here}}
  ts_sqrt_(y);
  return ts_item(y); // expected-warning {{tensor from 'ts_sqrt' leaks: 'y' goes out of scope before it is freed (free it, ts_keep() it or hand it on) [tsmem-leak]}}
}

double freed(const ts_tensor *x) {
  ts_tensor *y = ts_sqrt(x);
  double v = ts_item(ts_sqrt_(y));
  ts_free(y);
  return v;
}
#else

void before(const ts_tensor *x); // expected-error {{unknown type name 'ts_tensor'}}
void call_before(void) {
  ts_abs(0); // expected-error {{call to undeclared function 'ts_abs'}}
}

#include <tsmem/ops.h>
#ifdef PARSE_ALL
// The written declaration conflicts with the implicit one (the error above
// stops the compile either way).
// expected-error@*:* {{conflicting types for 'ts_abs'}}
// expected-note@*:* {{previous implicit declaration is here}}
#ifdef TS__OPS_LAZY
#error "TSMEM_OPS_PARSE_ALL or no plugin: every declaration is parsed"
#endif
#elif !defined(TS__OPS_LAZY)
#error "the plugin declares <tsmem/ops.h>'s functions on first use"
#endif

// Types and parameter names as written.
// expected-note@*:* {{'ts_silu' declared here}}
// expected-note@*:* {{passing argument to parameter 'self' here}}
void wrong_args(const ts_tensor *x) {
  ts_silu(x, 1); // expected-error {{too many arguments to function call, expected single argument 'self', have 2 arguments}}
  ts_abs_(1.5); // expected-error {{passing 'double' to parameter of incompatible type 'const ts_tensor *'}}
}

// A redeclaration must agree with the header's.
ts_tensor *ts_sin(const ts_tensor *self);
ts_tensor *ts_cos(const ts_tensor *self, int extra); // expected-error {{conflicting types for 'ts_cos'}}
// expected-note@*:* {{previous declaration is here}}

// Multi-result and list calls: pointer parameters of the right types.
ts_status results(const ts_tensor *x) {
  ts_tensor *mm[2];
  ts_tensor *parts[4];
  int n;
  int64_t one = 1;
  ts_status st = ts_max_dim(mm, x, 0, false);
  if (st == TS_OK)
    st = ts_split_Tensor(parts, 4, &n, x, 1, 0);
  return st == TS_OK ? ts_output_nr(&one, x) : st;
}
#endif
