// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// Structs returned by value whose fields a TS_CALLER_SCOPE function made:
// they belong to the caller's current scope, so a field read after that
// scope ends is a use after scope; with no scope open in the caller, which
// scope owns them is not known here (quiet).
#include <tsmem.h>
#include <tsmem/ops.h>
struct stat2 { ts_tensor *mean; double n; };
TS_CALLER_SCOPE static struct stat2 stats_here(const ts_tensor *x) {
  struct stat2 s;
  s.mean = ts_neg(x);
  s.n = 2;
  return s;
}
static struct stat2 stats_owned(const ts_tensor *x) {
  struct stat2 s = {ts_abs(x), 1};
  return s;
}
/* BUG */
double late(const ts_tensor *x) {
  struct stat2 s;
  TS_SCOPE { s = stats_here(x); } // expected-note {{the scope ends here}}
  return ts_item(s.mean); // expected-warning {{use of a tensor after the scope that owned it ended and freed it; ts_escape() it inside the scope to keep it [tsmem-use-after-scope]}}
}
/* OK */
double inside(const ts_tensor *x) {
  double v;
  TS_SCOPE { struct stat2 s = stats_here(x); v = ts_item(s.mean); }
  return v;
}
/* OK: no scope here: the caller's scope owns it */
TS_CALLER_SCOPE double outside(const ts_tensor *x) {
  struct stat2 s = stats_here(x);
  return ts_item(s.mean);
}
/* OK (quiet): whose scope owns it is the caller's business */
double plain(const ts_tensor *x) {
  struct stat2 s = stats_here(x);
  return ts_item(s.mean);
}
/* BUG: an ordinary helper's struct made in the block */
double owned_late(const ts_tensor *x) {
  struct stat2 s;
  TS_SCOPE { s = stats_owned(x); } // expected-note {{the scope ends here}}
  return ts_item(s.mean); // expected-warning {{[tsmem-use-after-scope]}}
}
/* OK */
double owned_ok(const ts_tensor *x) {
  struct stat2 s = stats_owned(x);
  double v = ts_item(s.mean);
  ts_free(s.mean);
  return v;
}
