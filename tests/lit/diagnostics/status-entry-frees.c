// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// Same-file update helpers that free the tensor a field of *param holds
// (and store another) on the returns of one kind only: `return 0` after
// the swap, `return -1` where the new tensor could not be made, or a
// reference count that reaches zero. A caller that tests the result and
// goes on where the helper freed the field's old tensor has a copy of it
// dangling; where the result says nothing was freed, the copy is fine
// (MayFreeEntries.cpp).
#include <stddef.h>
#include <tsmem.h>
#include <tsmem/ops.h>

struct codec {
  ts_tensor *table;
  int quality;
};

extern ts_tensor *make_table(int quality);

// 0 when the table was replaced (the old one freed), -1 when it was kept.
static int codec_set_quality(struct codec *c, int quality) {
  ts_tensor *q = make_table(quality);
  if (!q)
    return -1;
  ts_free(c->table);
  c->table = q;
  c->quality = quality;
  return 0;
}

// 1 when the table was replaced, 0 when it was kept.
static int codec_retune(struct codec *c, int quality) {
  if (quality == c->quality)
    return 0;
  ts_tensor *q = make_table(quality);
  if (!q)
    return 0;
  ts_free(c->table);
  c->table = q;
  return 1;
}

// Frees on both kinds of result: the result says nothing.
static int codec_reset(struct codec *c, int quality) {
  ts_free(c->table);
  c->table = make_table(quality);
  if (!c->table)
    return -1;
  return 0;
}

struct ref {
  ts_tensor *t;
  int refs;
};

// The tensor goes with the last reference.
static void ref_release(struct ref *r) {
  if (r != NULL && --r->refs == 0) {
    ts_free(r->t);
    r->t = NULL;
  }
}

// --- Bugs -----------------------------------------------------------------

// Goes on where the swap happened: the old table is gone.
double ratio_after_swap(struct codec *c, int q) {
  const ts_tensor *old = c->table;
  if (codec_set_quality(c, q) != 0) // expected-note {{freed here}}
    return 0.0;
  ts_tensor *r = ts_div(c->table, old); // expected-warning {{use of a tensor after it was freed}}
  double v = ts_item(r);
  ts_free(r);
  return v;
}

// The same test written the other way, the use inside it.
double ratio_in_branch(struct codec *c, int q) {
  const ts_tensor *old = c->table;
  double v = 0.0;
  if (!codec_set_quality(c, q)) // expected-note {{freed here}}
    v = ts_item(old); // expected-warning {{use of a tensor after it was freed}}
  return v;
}

// A nonzero result says it was replaced.
double retuned_alias(struct codec *c, int q) {
  const ts_tensor *old = c->table;
  if (codec_retune(c, q)) // expected-note {{freed here}}
    return ts_item(old); // expected-warning {{use of a tensor after it was freed}}
  return 0.0;
}

// The last reference may be this one: the raw tensor may be gone.
double peek_after_release(struct ref *r) {
  const ts_tensor *raw = r->t;
  ref_release(r); // expected-note {{freed here}}
  return ts_item(raw); // expected-warning {{use of a tensor after it was freed}}
}

// --- Correct --------------------------------------------------------------

// The old table used only where the swap failed.
double old_on_failure(struct codec *c, int q) {
  const ts_tensor *old = c->table;
  if (codec_set_quality(c, q) != 0)
    return ts_item(old);
  return ts_item(c->table);
}

// The old table used where nothing was retuned.
double old_when_same(struct codec *c, int q) {
  const ts_tensor *old = c->table;
  if (!codec_retune(c, q))
    return ts_item(old);
  return ts_item(c->table);
}

// The field read again after the call: the current table.
double table_after_swap(struct codec *c, int q) {
  if (codec_set_quality(c, q) != 0)
    return 0.0;
  return ts_item(c->table);
}

// A copy made before the swap is the caller's.
double ratio_with_copy(struct codec *c, int q) {
  ts_tensor *old = ts_clone(c->table);
  if (!old)
    return 0.0;
  double v = 0.0;
  if (codec_set_quality(c, q) == 0) {
    ts_tensor *r = ts_div(c->table, old);
    v = ts_item(r);
    ts_free(r);
  }
  ts_free(old);
  return v;
}

// A reset frees on both results; the alias is not used after it.
double reset_then_read(struct codec *c, int q) {
  double v = ts_item(c->table);
  if (codec_reset(c, q) != 0)
    return v;
  return v + ts_item(c->table);
}

// The value read while the reference is held.
double peek_before_release(struct ref *r) {
  double v = ts_item(r->t);
  ref_release(r);
  return v;
}
