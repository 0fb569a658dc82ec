// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// A same-file teardown that frees the tensors the fields of *param hold
// (NULL-guarded or not) and leaves the fields as they are: after the call
// the caller's fields still name the freed tensors, so a second teardown
// frees them again and a read of a field is a use after free. A teardown
// that clears or replaces the fields, or a caller that re-fills or clears
// them, stays silent (EntryFields.cpp, FunctionSummary::KeptEntryFields).
#include <stddef.h>
#include <string.h>
#include <tsmem.h>

struct codec {
  ts_tensor *enc;
  ts_tensor *dec;
  int frames;
};

struct stage {
  int id;
  struct {
    ts_tensor *gain;
  } cal;
};

// --- Helpers --------------------------------------------------------------

static int codec_open(struct codec *c, int n) {
  c->enc = ts_ones(TS_SHAPE(n, 2), TS_FLOAT32);
  c->dec = ts_zeros(TS_SHAPE(2, n), TS_FLOAT32);
  c->frames = 0;
  return 0;
}

// Guarded, the fields left dangling.
static void codec_close(struct codec *c) {
  if (c->dec != NULL)
    ts_free(c->dec);
  if (c->enc)
    ts_free(c->enc);
}

// Guarded, and cleared: a second call is harmless.
static void codec_close_clear(struct codec *c) {
  if (c->enc) {
    ts_free(c->enc);
    c->enc = NULL;
  }
  if (c->dec)
    ts_free(c->dec);
  c->dec = NULL;
}

// Frees, then wipes the whole struct.
static void codec_close_wipe(struct codec *c) {
  if (c->enc)
    ts_free(c->enc);
  if (c->dec)
    ts_free(c->dec);
  memset(c, 0, sizeof *c);
}

// Frees, then resets the struct by assignment.
static void codec_close_reset(struct codec *c) {
  if (c->enc)
    ts_free(c->enc);
  if (c->dec)
    ts_free(c->dec);
  *c = (struct codec){0};
}

static double codec_level(const struct codec *c) {
  return (double)ts_numel(c->enc);
}

static void stage_init(struct stage *s) {
  s->id = 1;
  s->cal.gain = ts_full(TS_SHAPE(3), TS_FLOAT32, 0.5);
}

// A field one level down, freed and left dangling.
static void stage_done(struct stage *s) {
  if (s->cal.gain)
    ts_free(s->cal.gain);
}

// --- Bugs -----------------------------------------------------------------

// Torn down on the error way out of a retry loop, and again after it.
void retry_then_close(int frames) {
  struct codec c;
  codec_open(&c, 4);
  int tries = 0;
  while (tries < 3) {
    if (codec_level(&c) > (double)frames) {
      codec_close(&c);
      break;
    }
    tries++;
  }
  codec_close(&c); // expected-warning {{freed or released again after it was freed}}
  // expected-note@-6 {{freed here}}
  // expected-note@-9 {{branch taken: 'tries < 3' is true}}
  // expected-note@-9 {{branch taken: 'codec_level(&c) > (double)frames' is true}}
}

// Torn down on one branch, then unconditionally.
void close_on_error(int err) {
  struct codec c;
  codec_open(&c, 2);
  if (err)
    codec_close(&c);
  codec_close(&c); // expected-warning {{freed or released again after it was freed}}
  // expected-note@-2 {{freed here}}
  // expected-note@-4 {{branch taken: 'err' is true}}
}

// A field read after the teardown.
double read_after_close(void) {
  struct codec c;
  codec_open(&c, 3);
  codec_close(&c);
  return (double)ts_numel(c.enc); // expected-warning {{use of a tensor after it was freed}}
  // expected-note@-2 {{freed here}}
}

// A nested field, freed twice.
void stage_twice(void) {
  struct stage s;
  stage_init(&s);
  stage_done(&s);
  stage_done(&s); // expected-warning {{freed or released again after it was freed}}
  // expected-note@-2 {{freed here}}
}

// --- Correct code: silent ---------------------------------------------------

void close_once(int err) {
  struct codec c;
  codec_open(&c, 2);
  if (err) {
    codec_close(&c);
    return;
  }
  c.frames = 1;
  codec_close(&c);
}

void close_clear_twice(int err) {
  struct codec c;
  codec_open(&c, 2);
  if (err)
    codec_close_clear(&c);
  codec_close_clear(&c);
}

void close_wipe_twice(int err) {
  struct codec c;
  codec_open(&c, 2);
  if (err)
    codec_close_wipe(&c);
  codec_close_wipe(&c);
}

void close_reset_twice(int err) {
  struct codec c;
  codec_open(&c, 2);
  if (err)
    codec_close_reset(&c);
  codec_close_reset(&c);
}

// The caller clears the fields after the teardown.
void close_then_null(int err) {
  struct codec c;
  codec_open(&c, 2);
  if (err) {
    codec_close(&c);
    c.enc = NULL;
    c.dec = NULL;
  }
  codec_close(&c);
}

// Re-opened between the teardowns.
void close_reopen(void) {
  struct codec c;
  codec_open(&c, 2);
  for (int round = 0; round < 3; round++) {
    codec_close(&c);
    codec_open(&c, round + 1);
  }
  codec_close(&c);
}

// A flag set with the teardown.
void close_flagged(int err) {
  struct codec c;
  int closed = 0;
  codec_open(&c, 2);
  if (err) {
    codec_close(&c);
    closed = 1;
  }
  if (!closed)
    codec_close(&c);
}
