// RUN: %clang -fsyntax-only -Xclang -verify %tsmem %s
// Same-file getters that return the tensor a field of *param holds (or
// NULL), leaving it there: the caller's result is that field's tensor,
// borrowed. Freeing it and then tearing the struct down frees it twice; a
// result kept across an update that frees the field is used after free.
// A function that moves the tensor out (clears the field) is not a getter
// (EntryFields.cpp, FunctionSummary::RetEntryParam).
#include <stddef.h>
#include <tsmem.h>

struct sensor {
  ts_tensor *reading;
  ts_tensor *bias;
  int samples;
};

// --- Helpers --------------------------------------------------------------

static void sensor_open(struct sensor *s) {
  s->reading = ts_zeros(TS_SHAPE(3), TS_FLOAT32);
  s->bias = ts_full(TS_SHAPE(3), TS_FLOAT32, 0.25);
  s->samples = 0;
}

static void sensor_close(struct sensor *s) {
  if (s->reading)
    ts_free(s->reading);
  s->reading = NULL;
  if (s->bias)
    ts_free(s->bias);
  s->bias = NULL;
}

// A new reading replaces the old one (freed).
static void sensor_sample(struct sensor *s) {
  ts_tensor *next = ts_add(s->reading, s->bias);
  ts_free(s->reading);
  s->reading = next;
  s->samples++;
}

// Getters.
static const ts_tensor *sensor_reading(const struct sensor *s) {
  return s->reading;
}

static ts_tensor *sensor_bias(struct sensor *s) { return s->bias; }

// Moves the reading out: the caller owns it, the field is cleared.
static ts_tensor *sensor_take(struct sensor *s) {
  ts_tensor *r = s->reading;
  s->reading = NULL;
  return r;
}

// --- Bugs -----------------------------------------------------------------

// The borrowed bias freed by the caller, then again by the teardown.
void free_borrowed_bias(void) {
  struct sensor s;
  sensor_open(&s);
  ts_tensor *b = sensor_bias(&s);
  ts_free(b);
  sensor_close(&s); // expected-warning {{freed or released again after it was freed}}
  // expected-note@-2 {{freed here}}
}

// A reading kept across a sample, which freed it.
double stale_reading(void) {
  struct sensor s;
  sensor_open(&s);
  const ts_tensor *first = sensor_reading(&s);
  sensor_sample(&s);
  double n = (double)ts_numel(first); // expected-warning {{use of a tensor after it was freed}}
  // expected-note@-2 {{freed here}}
  sensor_close(&s);
  return n;
}

// Through a pointer to the struct: read after the teardown.
double reading_after_close(struct sensor *s) {
  const ts_tensor *r = sensor_reading(s);
  sensor_close(s);
  return (double)ts_numel(r); // expected-warning {{use of a tensor after it was freed}}
  // expected-note@-2 {{freed here}}
}

// --- Correct code: silent ---------------------------------------------------

double reading_before_close(void) {
  struct sensor s;
  sensor_open(&s);
  sensor_sample(&s);
  const ts_tensor *r = sensor_reading(&s);
  double n = (double)ts_numel(r);
  sensor_close(&s);
  return n;
}

double taken_then_closed(void) {
  struct sensor s;
  sensor_open(&s);
  ts_tensor *r = sensor_take(&s);
  sensor_close(&s);
  double n = (double)ts_numel(r);
  ts_free(r);
  return n;
}

void bias_freed_and_cleared(void) {
  struct sensor s;
  sensor_open(&s);
  ts_tensor *b = sensor_bias(&s);
  ts_free(b);
  s.bias = NULL;
  sensor_close(&s);
}

double reread_after_sample(void) {
  struct sensor s;
  sensor_open(&s);
  const ts_tensor *r = sensor_reading(&s);
  double n = (double)ts_numel(r);
  sensor_sample(&s);
  r = sensor_reading(&s);
  n += (double)ts_numel(r);
  sensor_close(&s);
  return n;
}
