// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// A condition read from memory (`o->verbose`) holds across a call given
// no pointer it may write through (a `const` struct, scalars, a tensor
// handle): tested again after it, it takes the same arm. A call that may
// write the memory (a pointer to non-const, a callback) or a global the
// condition reads forgets it (Paths.cpp, writesThroughArgs).
#include <stdbool.h>
#include <stdio.h>
#include <tsmem.h>

struct opts {
  bool verbose;
  int mode;
};
void log_opts(const void *o);
void show(const struct opts *o, int level, ts_tensor *t);
void tweak(struct opts *o);
void visit(void (*fn)(void));
extern bool g_debug;
void touch_globals(void);

// --- Correct code: silent -------------------------------------------------

void field_around_const_call(const struct opts *o, const ts_tensor *x) {
  ts_tensor *dbg = NULL;
  if (o->verbose)
    dbg = ts_clone(x);
  log_opts(o);
  printf("mode %d\n", o->mode);
  show(o, 2, dbg);
  if (o->verbose)
    ts_free(dbg);
}

void local_struct(const ts_tensor *x, struct opts in) {
  struct opts *o = &in;
  ts_tensor *t = NULL;
  if (o->mode == 3)
    t = ts_neg(x);
  log_opts(o);
  if (o->mode == 3)
    ts_free(t);
}

// --- Calls that may change the condition: the tests stay apart ------------

void field_after_tweak(struct opts *o, const ts_tensor *x) {
  ts_tensor *dbg = NULL;
  if (o->verbose) // expected-note {{branch taken: 'o->verbose' is true}}
    dbg = ts_clone(x); // expected-note {{made here}}
  tweak(o);
  if (o->verbose) // expected-note {{branch taken: 'o->verbose' is false}}
    ts_free(dbg);
} // expected-warning {{leaks}}

void global_after_call(const ts_tensor *x) {
  ts_tensor *dbg = NULL;
  if (g_debug) // expected-note {{branch taken: 'g_debug' is true}}
    dbg = ts_clone(x); // expected-note {{made here}}
  touch_globals();
  if (g_debug) // expected-note {{branch taken: 'g_debug' is false}}
    ts_free(dbg);
} // expected-warning {{leaks}}
