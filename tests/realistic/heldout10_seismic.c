/*
 * heldout10_seismic.c - earthquake detection on a seismometer trace: a
 * stream struct opened with goto cleanup, STA/LTA triggers, a pick list
 * holding waveform snippets, envelopes and characteristic functions in
 * scopes, window differences across a scoped do loop, detection windows
 * from a pool, band filters, amplitude statistics through sort results.
 *
 * Labels (see README.md): `// OK: why` or `// BUG: check: why` on the line
 * before each function; the line of the bug itself ends in `// <- BUG`.
 */
#include <stdio.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { N = 64, STA = 4, LTA = 16, MAXP = 4, WIN = 8 };

typedef struct {
  ts_tensor *trace; /* [N] */
  ts_tensor *gain;  /* [N] */
  double rate;
} stream;

typedef struct {
  double t;
  ts_tensor *snip; /* [WIN], owned by the list */
} pick;

typedef struct {
  pick p[MAXP];
  int n;
} pick_list;

// OK: trace then gain; the cleanup frees what exists
static int stream_open(stream *s, int fail) {
  s->trace = s->gain = NULL;
  s->rate = 100.0;
  s->trace = ts_randn(TS_SHAPE(N), TS_FLOAT32);
  if (!s->trace)
    goto fail;
  s->gain = ts_full(TS_SHAPE(N), TS_FLOAT32, 2.0);
  if (!s->gain || fail)
    goto fail;
  return 0;
fail:
  if (s->gain)
    ts_free(s->gain);
  if (s->trace)
    ts_free(s->trace);
  s->trace = s->gain = NULL;
  return -1;
}

// OK: frees both
static void stream_close(stream *s) {
  ts_free(s->trace);
  ts_free(s->gain);
}

// OK: short-term over long-term mean energy at the end of the trace, 0-d
static ts_tensor *sta_lta(const ts_tensor *trace) {
  ts_tensor *e = ts_mul(trace, trace);
  ts_tensor *st = ts_narrow(e, 0, N - STA, STA);
  ts_tensor *lt = ts_narrow(e, 0, N - LTA, LTA);
  ts_tensor *ms = ts_mean(st);
  ts_tensor *ml = ts_mean(lt);
  ts_tensor *r = ts_div(ms, ml);
  ts_free(ml);
  ts_free(ms);
  ts_free(lt);
  ts_free(st);
  ts_free(e);
  return r;
}

// BUG: leak: the energy trace is sliced and never freed
static ts_tensor *sta_lta_fast(const ts_tensor *trace) {
  ts_tensor *e = ts_mul(trace, trace); // <- BUG
  ts_tensor *st = ts_narrow(e, 0, N - STA, STA);
  ts_tensor *lt = ts_narrow(e, 0, N - LTA, LTA);
  ts_tensor *ms = ts_mean(st);
  ts_tensor *ml = ts_mean(lt);
  ts_tensor *r = ts_div(ms, ml);
  ts_free(ml);
  ts_free(ms);
  ts_free(lt);
  ts_free(st);
  return r;
}

// OK: the ratio decides, then is freed
void seis_trigger(void) {
  stream s;
  if (stream_open(&s, 0) != 0)
    return;
  ts_tensor *r = sta_lta(s.trace);
  double v = ts_item(r);
  ts_free(r);
  printf("sta/lta %.3f: %s\n", v, v > 3.0 ? "event" : "quiet");
  stream_close(&s);
}

// OK: a failing open, then the fast ratio
void seis_trigger_fast(void) {
  stream s;
  if (stream_open(&s, 1) != 0)
    printf("open failed\n");
  if (stream_open(&s, 0) != 0)
    return;
  ts_tensor *r = sta_lta_fast(s.trace);
  printf("sta/lta %.3f\n", ts_item(r));
  ts_free(r);
  stream_close(&s);
}

// OK: the list takes the snippet; a full list frees it
static int picks_add(pick_list *l, double t, ts_tensor *snip) {
  if (l->n == MAXP) {
    ts_free(snip);
    return -1;
  }
  l->p[l->n].t = t;
  l->p[l->n++].snip = snip;
  return 0;
}

// OK: frees every snippet
static void picks_clear(pick_list *l) {
  for (int k = 0; k < l->n; k++)
    ts_free(l->p[k].snip);
  l->n = 0;
}

// OK: a pick closer than gap to the one before is merged away, its snippet
// freed
static void picks_merge(pick_list *l, double gap) {
  int out = 0;
  for (int k = 0; k < l->n; k++) {
    if (out > 0 && l->p[k].t - l->p[out - 1].t < gap) {
      ts_free(l->p[k].snip);
      continue;
    }
    l->p[out++] = l->p[k];
  }
  l->n = out;
}

// BUG: leak: a near-duplicate pick is overwritten by the compaction without
// freeing its snippet
static void picks_dedupe(pick_list *l, double gap) {
  int out = 0;
  for (int k = 0; k < l->n; k++) {
    if (out > 0 && l->p[k].t - l->p[out - 1].t < gap)
      continue; // <- BUG
    l->p[out++] = l->p[k];
  }
  l->n = out;
}

// OK: a snippet of the trace around sample at
static ts_tensor *snippet(const stream *s, int at) {
  return ts_narrow_copy(s->trace, 0, at, WIN);
}

// OK: picks merged, counted, cleared
void seis_picks(void) {
  stream s;
  pick_list l = {.n = 0};
  if (stream_open(&s, 0) != 0)
    return;
  double times[] = {0.1, 0.12, 0.5, 0.9, 1.3};
  for (int k = 0; k < 5; k++)
    if (picks_add(&l, times[k], snippet(&s, 8 * k)) != 0)
      printf("pick %d dropped\n", k);
  picks_merge(&l, 0.05);
  printf("%d picks\n", l.n);
  picks_clear(&l);
  stream_close(&s);
}

// OK: the same picks through the dedupe helper
void seis_picks_dedupe(void) {
  stream s;
  pick_list l = {.n = 0};
  if (stream_open(&s, 0) != 0)
    return;
  double times[] = {0.1, 0.12, 0.5};
  for (int k = 0; k < 3; k++)
    picks_add(&l, times[k], snippet(&s, 8 * k));
  picks_dedupe(&l, 0.05);
  picks_clear(&l);
  stream_close(&s);
}

// BUG: use-after-free: the exported snippet still belongs to the list, which
// the clear frees before the export is read
void seis_pick_export(void) {
  stream s;
  pick_list l = {.n = 0};
  if (stream_open(&s, 0) != 0)
    return;
  picks_add(&l, 0.3, snippet(&s, 16));
  ts_tensor *exported = l.p[0].snip;
  picks_clear(&l);
  ts_tensor *pk = ts_max(exported); // <- BUG
  printf("peak %.3f\n", ts_item(pk));
  ts_free(pk);
  stream_close(&s);
}

// OK: the characteristic function escapes the function's scope
TS_SCOPED static ts_tensor *char_fn(const ts_tensor *trace) {
  ts_tensor *e = ts_mul(trace, trace);
  ts_tensor *c = ts_cumsum(e, 0, TS_NO_DTYPE);
  return ts_escape(ts_div(e, ts_add_scalar(c, 1e-6)));
}

// OK: the envelope escapes the block it was made in, then the function
// returns it
static ts_tensor *envelope(const ts_tensor *trace) {
  ts_tensor *env = NULL;
  TS_SCOPE {
    ts_tensor *sq = ts_mul(trace, trace);
    env = ts_escape(ts_sqrt(ts_add_scalar(sq, 1e-9)));
  }
  return env;
}

// BUG: unescaped-return: returned from inside the block, the envelope is freed
// as the block's scope ends
static ts_tensor *envelope_quick(const ts_tensor *trace) {
  TS_SCOPE {
    ts_tensor *sq = ts_mul(trace, trace);
    return ts_sqrt(sq); // <- BUG
  }
  return NULL;
}

// OK: characteristic function and envelope, both freed
void seis_envelope(void) {
  stream s;
  if (stream_open(&s, 0) != 0)
    return;
  ts_tensor *cf = char_fn(s.trace);
  ts_tensor *env = envelope(s.trace);
  ts_tensor *m = ts_max(env);
  printf("cf %lld, envelope peak %.3f\n", (long long)ts_numel(cf), ts_item(m));
  ts_free(m);
  ts_free(env);
  ts_free(cf);
  stream_close(&s);
}

// OK: uses the quick envelope
void seis_envelope_quick(void) {
  stream s;
  if (stream_open(&s, 0) != 0)
    return;
  ts_tensor *env = envelope_quick(s.trace);
  ts_tensor *m = ts_max(env);
  printf("envelope peak %.3f\n", ts_item(m));
  ts_free(m);
  ts_free(env);
  stream_close(&s);
}

// BUG: use-after-scope: the previous window comes from the last iteration's
// scope, already ended
void seis_window_diff(void) {
  stream s;
  if (stream_open(&s, 0) != 0)
    return;
  ts_tensor *prev = NULL;
  int w = 0;
  TS_SCOPE do {
    ts_tensor *win = ts_narrow(s.trace, 0, w * WIN, WIN);
    if (prev) {
      ts_tensor *d = ts_sub(win, prev); // <- BUG
      printf("change %.3f\n", ts_item(ts_sum(ts_abs(d))));
    }
    prev = win;
    w++;
  }
  while (w < 3)
    ;
  stream_close(&s);
}

// OK: the previous window is cloned out of each iteration; the old copy freed
void seis_window_diff_ok(void) {
  stream s;
  if (stream_open(&s, 0) != 0)
    return;
  ts_tensor *prev = NULL;
  int w = 0;
  TS_SCOPE do {
    ts_tensor *win = ts_narrow(s.trace, 0, w * WIN, WIN);
    if (prev) {
      ts_tensor *d = ts_sub(win, prev);
      printf("change %.3f\n", ts_item(ts_sum(ts_abs(d))));
      ts_free(prev);
    }
    prev = ts_escape(ts_clone(win));
    w++;
  }
  while (w < 3)
    ;
  ts_free(prev);
  stream_close(&s);
}

// OK: a detection window from the pool, or a new one
static ts_tensor *window_get(ts_pool *p) {
  ts_tensor *t = ts_pool_acquire(p, TS_SHAPE(WIN), TS_FLOAT32);
  return t ? t : ts_zeros(TS_SHAPE(WIN), TS_FLOAT32);
}

// OK: each window goes back once: early on a trigger, else at the loop's end
void seis_detect(void) {
  stream s;
  if (stream_open(&s, 0) != 0)
    return;
  ts_pool *p = ts_pool_new(2);
  int events = 0;
  for (int w = 0; w < 4; w++) {
    ts_tensor *win = window_get(p);
    ts_tensor *m = ts_mean(win);
    double level = ts_item(m) + w;
    ts_free(m);
    if (level > 1.5) {
      events++;
      ts_pool_release(p, win);
      continue;
    }
    ts_pool_release(p, win);
  }
  printf("%d events\n", events);
  ts_pool_destroy(p);
  stream_close(&s);
}

// BUG: double-free: a triggering window is released, then released again at
// the end of the iteration
void seis_detect_release(void) {
  stream s;
  if (stream_open(&s, 0) != 0)
    return;
  ts_pool *p = ts_pool_new(2);
  int events = 0;
  for (int w = 0; w < 4; w++) {
    ts_tensor *win = window_get(p);
    ts_tensor *m = ts_mean(win);
    double level = ts_item(m) + w;
    ts_free(m);
    if (level > 1.5) {
      events++;
      ts_pool_release(p, win);
    }
    ts_pool_release(p, win); // <- BUG
  }
  printf("%d events\n", events);
  ts_pool_destroy(p);
  stream_close(&s);
}

// OK: every band's filtered trace is freed, skipped band included
void seis_bands(void) {
  stream s;
  if (stream_open(&s, 0) != 0)
    return;
  for (int b = 0; b < 3; b++) {
    ts_tensor *filt = ts_mul_scalar(s.trace, 1.0 / (b + 1));
    if (b == 1) {
      ts_free(filt);
      continue;
    }
    ts_tensor *r = sta_lta(filt);
    printf("band %d %.3f\n", b, ts_item(r));
    ts_free(r);
    ts_free(filt);
  }
  stream_close(&s);
}

// BUG: leak: the skipped band's filtered trace is not freed before continue
void seis_bands_skip(void) {
  stream s;
  if (stream_open(&s, 0) != 0)
    return;
  for (int b = 0; b < 3; b++) {
    ts_tensor *filt = ts_mul_scalar(s.gain, 1.0 / (b + 1));
    if (b == 1)
      continue; // <- BUG
    ts_tensor *r = sta_lta(filt);
    printf("band %d %.3f\n", b, ts_item(r));
    ts_free(r);
    ts_free(filt);
  }
  stream_close(&s);
}

// OK: the magnitude estimate escapes ts_run's scope
static void *magnitude_job(void *ctx) {
  const stream *s = ctx;
  ts_tensor *amp = ts_max(ts_abs(ts_mul(s->trace, s->gain)));
  return ts_escape(ts_log(ts_add_scalar(amp, 1.0)));
}

// OK: the escaped magnitude, freed
void seis_magnitude(void) {
  stream s;
  if (stream_open(&s, 0) != 0)
    return;
  ts_tensor *mag = ts_run(magnitude_job, &s);
  printf("magnitude %.3f\n", ts_item(mag));
  ts_free(mag);
  stream_close(&s);
}

// OK: the median absolute amplitude; both sort results freed
static double median_amplitude(const ts_tensor *trace) {
  ts_tensor *a = ts_abs(trace);
  ts_tensor *res[2];
  double v = 0;
  if (ts_sort(res, a, 0, false) == TS_OK) {
    ts_tensor *mid = ts_select_int(res[0], 0, N / 2);
    v = ts_item(mid);
    ts_free(mid);
    ts_free(res[0]);
    ts_free(res[1]);
  }
  ts_free(a);
  return v;
}

// BUG: leak: the sort's index tensor is never freed
static double quantile_amplitude(const ts_tensor *trace, double q) {
  ts_tensor *a = ts_abs(trace);
  ts_tensor *res[2];
  double v = 0;
  if (ts_sort(res, a, 0, false) == TS_OK) { // <- BUG
    ts_tensor *at = ts_select_int(res[0], 0, (int64_t)(q * (N - 1)));
    v = ts_item(at);
    ts_free(at);
    ts_free(res[0]);
  }
  ts_free(a);
  return v;
}

// OK: the median amplitude
void seis_amplitudes(void) {
  stream s;
  if (stream_open(&s, 0) != 0)
    return;
  printf("median %.3f\n", median_amplitude(s.trace));
  stream_close(&s);
}

// OK: the 90th percentile amplitude
void seis_amplitude_q90(void) {
  stream s;
  if (stream_open(&s, 0) != 0)
    return;
  printf("q90 %.3f\n", quantile_amplitude(s.trace, 0.9));
  stream_close(&s);
}
