// RUN: %clang -fsyntax-only -Xclang -verify %tsmem -Wno-deprecated-non-prototype %s
// Control flow hidden in macros, statement expressions, switch, computed
// goto, setjmp, VLAs, K&R definitions: modelled or left alone, never a crash.
#include <tsmem.h>
#include <setjmp.h>
#define TRY(x) ({ ts_tensor *_t = (x); if (!_t) return -1; _t; })
#define CHECK(c) do { if (!(c)) goto fail; } while (0)
int stmtexpr(const ts_tensor *x) {
  ts_tensor *a = TRY(ts_relu(x));
  ts_free(a);
  return 0;
}
int macro_goto(const ts_tensor *x) {
  ts_tensor *a = ts_relu(x);
  CHECK(a);
  ts_free(a);
  return 0;
fail:
  return -1;
}
int sw(const ts_tensor *x, int k) {
  ts_tensor *t = NULL;
  switch (k) {
  case 0: t = ts_relu(x); break;
  case 1: t = ts_tanh(x); break;
  default: return -1;
  }
  ts_free(t);
  return 0;
}
int computed(const ts_tensor *x, int k) {
  static void *tbl[] = {&&a, &&b};
  ts_tensor *t = ts_relu(x);
  goto *tbl[k & 1];
a: ts_free(t); return 0;
b: ts_free(t); return 1;
}
jmp_buf jb;
int sj(const ts_tensor *x) {
  ts_tensor *t = ts_relu(x);
  if (setjmp(jb)) { ts_free(t); return 1; }
  ts_free(t);
  return 0;
}
int vla(int n, const ts_tensor *x) {
  ts_tensor *arr[n];
  for (int i = 0; i < n; i++) arr[i] = ts_relu(x);
  for (int i = 0; i < n; i++) ts_free(arr[i]);
  return 0;
}
int kr(a, n) ts_tensor *a; int n; {
  while (n--)
    a = ts_relu(a); // expected-warning {{'a' is overwritten before it is freed}} expected-note 2 {{tensor made here}}
  return 0; // expected-warning {{the function ends without freeing it}}
}
int dowhile(const ts_tensor *x) {
  ts_tensor *t;
  do { t = ts_relu(x); if (!t) return -1; ts_free(t); } while (ts_item(x) > 0);
  return 0;
}
int inner_decl_loop(const ts_tensor *x, int n) {
  for (ts_tensor *t = ts_relu(x); t; t = NULL) ts_free(t);
  return 0;
}
