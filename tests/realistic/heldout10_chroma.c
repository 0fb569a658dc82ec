/*
 * heldout10_chroma.c - chord recognition from a spectrogram: an analyzer
 * struct with a chroma projection and chord templates, per-frame chroma and
 * chord scores, a smoothing state replaced each frame, a frame iterator with
 * callbacks, key profiles and segment boundaries in scopes, chord
 * histograms, transcription in ts_run and sessions in an async scope.
 *
 * Labels (see README.md): `// OK: why` or `// BUG: check: why` on the line
 * before each function; the line of the bug itself ends in `// <- BUG`.
 */
#include <stdio.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { F = 6, BINS = 24, PC = 12, CHORDS = 4 };

typedef struct {
  ts_tensor *proj;      /* [BINS, PC] */
  ts_tensor *templates; /* [CHORDS, PC] */
  ts_tensor *smooth;    /* [PC] or NULL */
  double alpha;
} analyzer;

typedef void (*frame_cb)(const ts_tensor *frame, int k, void *ctx);

typedef struct {
  double energy;
  const ts_tensor *loudest;
  double loudest_e;
} frame_stats;

typedef struct {
  ts_tensor *bounds;
  int count;
} segments;

// OK: projection then templates, the first freed when the second fails
static int an_init(analyzer *an, double alpha) {
  an->alpha = alpha;
  an->smooth = NULL;
  an->proj = ts_rand(TS_SHAPE(BINS, PC), TS_FLOAT32);
  if (!an->proj)
    return -1;
  an->templates = ts_rand(TS_SHAPE(CHORDS, PC), TS_FLOAT32);
  if (!an->templates) {
    ts_free(an->proj);
    return -1;
  }
  return 0;
}

// OK: frees the fields, the smoothing state when there is one
static void an_free(analyzer *an) {
  ts_free(an->proj);
  ts_free(an->templates);
  if (an->smooth)
    ts_free(an->smooth);
  an->proj = an->templates = an->smooth = NULL;
}

// OK: a frame's chroma [PC], normalised to sum one; the caller owns it
static ts_tensor *chroma(const analyzer *an, const ts_tensor *frame) {
  ts_tensor *row = ts_reshape(frame, TS_SHAPE(1, BINS));
  ts_tensor *c = ts_matmul(row, an->proj);
  ts_tensor *flat = ts_reshape(c, TS_SHAPE(PC));
  ts_tensor *tot = ts_sum(flat);
  ts_tensor *n = ts_div(flat, tot);
  ts_free(tot);
  ts_free(flat);
  ts_free(c);
  ts_free(row);
  return n;
}

// OK: the best chord of a frame, or -1 for a silent frame (nothing kept)
static int frame_chord(const analyzer *an, const ts_tensor *frame) {
  ts_tensor *e = ts_sum(frame);
  double energy = ts_item(e);
  ts_free(e);
  if (energy < 1e-6)
    return -1;
  ts_tensor *c = chroma(an, frame);
  ts_tensor *scores = ts_matmul(an->templates, c);
  ts_tensor *best = ts_argmax(scores);
  int k = (int)ts_item(best);
  ts_free(best);
  ts_free(scores);
  ts_free(c);
  return k;
}

// BUG: leak: the chroma is computed before the silence test, whose early
// return drops it
static int frame_chord_fast(const analyzer *an, const ts_tensor *frame) {
  ts_tensor *c = chroma(an, frame);
  ts_tensor *mx = ts_max(frame);
  double peak = ts_item(mx);
  ts_free(mx);
  if (peak < 1e-6)
    return -1; // <- BUG
  ts_tensor *scores = ts_matmul(an->templates, c);
  ts_tensor *best = ts_argmax(scores);
  int k = (int)ts_item(best);
  ts_free(best);
  ts_free(scores);
  ts_free(c);
  return k;
}

// OK: chords of a spectrogram whose last frame is silent
void chr_chords(void) {
  analyzer an;
  if (an_init(&an, 0.5) != 0)
    return;
  ts_tensor *spec = ts_rand(TS_SHAPE(F, BINS), TS_FLOAT32);
  ts_tensor *silent = ts_zeros(TS_SHAPE(BINS), TS_FLOAT32);
  for (int k = 0; k < F; k++) {
    ts_tensor *fr = ts_select_int(spec, 0, k);
    printf("%d ", frame_chord(&an, fr));
    ts_free(fr);
  }
  printf("silent %d\n", frame_chord(&an, silent));
  ts_free(silent);
  ts_free(spec);
  an_free(&an);
}

// OK: the fast chord on a loud and a silent frame
void chr_chords_fast(void) {
  analyzer an;
  if (an_init(&an, 0.5) != 0)
    return;
  ts_tensor *loud = ts_rand(TS_SHAPE(BINS), TS_FLOAT32);
  ts_tensor *silent = ts_zeros(TS_SHAPE(BINS), TS_FLOAT32);
  printf("%d %d\n", frame_chord_fast(&an, loud), frame_chord_fast(&an, silent));
  ts_free(silent);
  ts_free(loud);
  an_free(&an);
}

// BUG: double-free: the copied analyzer shares the original's tensors and
// both are freed
void chr_analyzer_copy(void) {
  analyzer an;
  if (an_init(&an, 0.5) != 0)
    return;
  analyzer slow = an;
  slow.alpha = 0.9;
  printf("alphas %.1f %.1f\n", an.alpha, slow.alpha);
  an_free(&slow);
  an_free(&an); // <- BUG
}

// OK: the slow analyzer gets tensors of its own
void chr_analyzer_clone(void) {
  analyzer an;
  if (an_init(&an, 0.5) != 0)
    return;
  analyzer slow = {ts_clone(an.proj), ts_clone(an.templates), NULL, 0.9};
  printf("alphas %.1f %.1f\n", an.alpha, slow.alpha);
  an_free(&slow);
  an_free(&an);
}

// OK: exponential smoothing: the new state replaces the old, which is freed
static void an_smooth(analyzer *an, const ts_tensor *c) {
  if (!an->smooth) {
    an->smooth = ts_clone(c);
    return;
  }
  ts_tensor *a = ts_mul_scalar(an->smooth, an->alpha);
  ts_tensor *b = ts_mul_scalar(c, 1.0 - an->alpha);
  ts_tensor *next = ts_add(a, b);
  ts_free(b);
  ts_free(a);
  ts_free(an->smooth);
  an->smooth = next;
}

// OK: a copy of each smoothed state is kept and freed at the end
void chr_smooth_history(void) {
  analyzer an;
  if (an_init(&an, 0.7) != 0)
    return;
  ts_tensor *hist[F];
  for (int k = 0; k < F; k++) {
    ts_tensor *fr = ts_rand(TS_SHAPE(BINS), TS_FLOAT32);
    ts_tensor *c = chroma(&an, fr);
    an_smooth(&an, c);
    hist[k] = ts_clone(an.smooth);
    ts_free(c);
    ts_free(fr);
  }
  ts_tensor *d = ts_sub(hist[F - 1], hist[0]);
  ts_tensor *s = ts_sum(d);
  printf("drift %.3f\n", ts_item(s));
  ts_free(s);
  ts_free(d);
  for (int k = 0; k < F; k++)
    ts_free(hist[k]);
  an_free(&an);
}

// BUG: use-after-free: the history keeps the smoothing state itself, which the
// next frame's smoothing frees
void chr_smooth_refs(void) {
  analyzer an;
  if (an_init(&an, 0.7) != 0)
    return;
  const ts_tensor *hist[F];
  for (int k = 0; k < F; k++) {
    ts_tensor *fr = ts_rand(TS_SHAPE(BINS), TS_FLOAT32);
    ts_tensor *c = chroma(&an, fr);
    an_smooth(&an, c);
    hist[k] = an.smooth;
    ts_free(c);
    ts_free(fr);
  }
  ts_tensor *d = ts_sub(hist[F - 1], hist[0]); // <- BUG
  ts_free(d);
  an_free(&an);
}

// OK: each frame is lent to the callback and freed after it returns
static void for_each_frame(const ts_tensor *spec, frame_cb cb, void *ctx) {
  for (int k = 0; k < F; k++) {
    ts_tensor *fr = ts_select_int(spec, 0, k);
    cb(fr, k, ctx);
    ts_free(fr);
  }
}

// OK: adds up frame energies
static void add_energy(const ts_tensor *frame, int k, void *ctx) {
  frame_stats *st = ctx;
  ts_tensor *s = ts_sum(frame);
  st->energy += ts_item(s);
  ts_free(s);
  (void)k;
}

// OK: remembers the loudest frame seen during the walk
static void track_loudest(const ts_tensor *frame, int k, void *ctx) {
  frame_stats *st = ctx;
  ts_tensor *s = ts_sum(frame);
  double e = ts_item(s);
  ts_free(s);
  if (!st->loudest || e > st->loudest_e) {
    st->loudest = frame;
    st->loudest_e = e;
  }
  (void)k;
}

// OK: total energy through the iterator
void chr_energy(void) {
  ts_tensor *spec = ts_rand(TS_SHAPE(F, BINS), TS_FLOAT32);
  frame_stats st = {0, NULL, 0};
  for_each_frame(spec, add_energy, &st);
  printf("energy %.3f\n", st.energy);
  ts_free(spec);
}

// OK: only the loudest frame's energy, a double, is used after the walk
void chr_loudest_energy(void) {
  ts_tensor *spec = ts_rand(TS_SHAPE(F, BINS), TS_FLOAT32);
  frame_stats st = {0, NULL, 0};
  for_each_frame(spec, track_loudest, &st);
  printf("loudest energy %.3f\n", st.loudest_e);
  ts_free(spec);
}

// BUG: use-after-free: the loudest frame was lent for the walk only and is
// read after the iterator freed it
void chr_loudest(void) {
  ts_tensor *spec = ts_rand(TS_SHAPE(F, BINS), TS_FLOAT32);
  frame_stats st = {0, NULL, 0};
  for_each_frame(spec, track_loudest, &st);
  if (st.loudest) {
    ts_tensor *pk = ts_max(st.loudest); // <- BUG
    printf("loudest peak %.3f\n", ts_item(pk));
    ts_free(pk);
  }
  ts_free(spec);
}

// OK: the mean chroma over all frames, escaped from the function's scope
TS_SCOPED static ts_tensor *key_profile(const analyzer *an,
                                        const ts_tensor *spec) {
  ts_tensor *c = ts_matmul(spec, an->proj);
  return ts_escape(ts_mean_dim(c, TS_SHAPE(0), false, TS_NO_DTYPE));
}

// BUG: unescaped-return: the profile is returned from the function's scope
// without ts_escape
TS_SCOPED static ts_tensor *key_profile_quick(const analyzer *an,
                                              const ts_tensor *spec) {
  ts_tensor *c = ts_matmul(spec, an->proj);
  ts_tensor *prof = ts_mean_dim(c, TS_SHAPE(0), false, TS_NO_DTYPE);
  return prof; // <- BUG
}

// OK: the key's pitch class from the profile
void chr_key(void) {
  analyzer an;
  if (an_init(&an, 0.5) != 0)
    return;
  ts_tensor *spec = ts_rand(TS_SHAPE(F, BINS), TS_FLOAT32);
  ts_tensor *prof = key_profile(&an, spec);
  ts_tensor *k = ts_argmax(prof);
  printf("key %d\n", (int)ts_item(k));
  ts_free(k);
  ts_free(prof);
  ts_free(spec);
  an_free(&an);
}

// OK: the same through the quick profile
void chr_key_quick(void) {
  analyzer an;
  if (an_init(&an, 0.5) != 0)
    return;
  ts_tensor *spec = ts_rand(TS_SHAPE(F, BINS), TS_FLOAT32);
  ts_tensor *prof = key_profile_quick(&an, spec);
  ts_tensor *k = ts_argmax(prof);
  printf("key %d\n", (int)ts_item(k));
  ts_free(k);
  ts_free(prof);
  ts_free(spec);
  an_free(&an);
}

// BUG: use-after-scope: the boundaries are made in the block's scope and
// counted after it ended
void chr_segments(void) {
  analyzer an;
  segments sg = {NULL, 0};
  if (an_init(&an, 0.5) != 0)
    return;
  ts_tensor *spec = ts_rand(TS_SHAPE(F, BINS), TS_FLOAT32);
  TS_SCOPE {
    ts_tensor *c = ts_matmul(spec, an.proj);
    ts_tensor *a = ts_narrow(c, 0, 1, F - 1);
    ts_tensor *b = ts_narrow(c, 0, 0, F - 1);
    ts_tensor *nov = ts_sum_dim_IntList(ts_abs(ts_sub(a, b)), TS_SHAPE(1),
                                        false, TS_NO_DTYPE);
    sg.bounds = ts_argmax(nov);
  }
  sg.count = (int)ts_item(sg.bounds); // <- BUG
  printf("boundary at %d\n", sg.count);
  ts_free(spec);
  an_free(&an);
}

// OK: the boundary escapes the block and is freed after use
void chr_segments_ok(void) {
  analyzer an;
  segments sg = {NULL, 0};
  if (an_init(&an, 0.5) != 0)
    return;
  ts_tensor *spec = ts_rand(TS_SHAPE(F, BINS), TS_FLOAT32);
  TS_SCOPE {
    ts_tensor *c = ts_matmul(spec, an.proj);
    ts_tensor *a = ts_narrow(c, 0, 1, F - 1);
    ts_tensor *b = ts_narrow(c, 0, 0, F - 1);
    ts_tensor *nov = ts_sum_dim_IntList(ts_abs(ts_sub(a, b)), TS_SHAPE(1),
                                        false, TS_NO_DTYPE);
    sg.bounds = ts_escape(ts_argmax(nov));
  }
  sg.count = (int)ts_item(sg.bounds);
  printf("boundary at %d\n", sg.count);
  ts_free(sg.bounds);
  ts_free(spec);
  an_free(&an);
}

// OK: how often each chord wins, as a tensor; every per-frame tensor freed
static ts_tensor *chord_histogram(const analyzer *an, const ts_tensor *spec) {
  float counts[CHORDS] = {0};
  for (int k = 0; k < F; k++) {
    ts_tensor *fr = ts_select_int(spec, 0, k);
    ts_tensor *c = chroma(an, fr);
    ts_tensor *sc = ts_matmul(an->templates, c);
    ts_tensor *best = ts_argmax(sc);
    counts[(int)ts_item(best)] += 1;
    ts_free(best);
    ts_free(sc);
    ts_free(c);
    ts_free(fr);
  }
  return ts_from_buffer(counts, TS_SHAPE(CHORDS), TS_FLOAT32);
}

// BUG: leak: each frame's winning index is read inline and never freed
static ts_tensor *chord_histogram_fast(const analyzer *an,
                                       const ts_tensor *spec) {
  float counts[CHORDS] = {0};
  for (int k = 0; k < F; k++) {
    ts_tensor *fr = ts_select_int(spec, 0, k);
    ts_tensor *c = chroma(an, fr);
    ts_tensor *sc = ts_matmul(an->templates, c);
    counts[(int)ts_item(ts_argmax(sc))] += 1; // <- BUG
    ts_free(sc);
    ts_free(c);
    ts_free(fr);
  }
  return ts_from_buffer(counts, TS_SHAPE(CHORDS), TS_FLOAT32);
}

// OK: histograms of two takes merged; on one take the total is the first
// histogram itself and is freed once
void chr_histogram(void) {
  analyzer an;
  if (an_init(&an, 0.5) != 0)
    return;
  ts_tensor *spec = ts_rand(TS_SHAPE(F, BINS), TS_FLOAT32);
  for (int takes = 1; takes <= 2; takes++) {
    ts_tensor *h1 = chord_histogram(&an, spec);
    ts_tensor *h2 = takes == 2 ? chord_histogram_fast(&an, spec) : NULL;
    ts_tensor *total = h1;
    if (h2) {
      total = ts_add(h1, h2);
      ts_free(h1);
      ts_free(h2);
    }
    ts_tensor *m = ts_max(total);
    printf("takes %d: top count %.0f\n", takes, ts_item(m));
    ts_free(m);
    ts_free(total);
  }
  ts_free(spec);
  an_free(&an);
}

// BUG: double-free: with one take the total is the first histogram, freed
// under both names
void chr_histogram_single(void) {
  analyzer an;
  if (an_init(&an, 0.5) != 0)
    return;
  ts_tensor *spec = ts_rand(TS_SHAPE(F, BINS), TS_FLOAT32);
  ts_tensor *h1 = chord_histogram(&an, spec);
  ts_tensor *h2 = NULL;
  ts_tensor *total = h1;
  if (h2) {
    total = ts_add(h1, h2);
    ts_free(h2);
  }
  ts_tensor *m = ts_max(total);
  printf("top count %.0f\n", ts_item(m));
  ts_free(m);
  ts_free(total);
  ts_free(h1); // <- BUG
  ts_free(spec);
  an_free(&an);
}

// OK: the histogram escapes ts_run's scope
static void *transcribe_job(void *ctx) {
  const analyzer *an = ctx;
  ts_tensor *spec = ts_rand(TS_SHAPE(F, BINS), TS_FLOAT32);
  return ts_escape(chord_histogram(an, spec));
}

// OK: the escaped histogram, freed
void chr_transcribe(void) {
  analyzer an;
  if (an_init(&an, 0.5) != 0)
    return;
  ts_tensor *h = ts_run(transcribe_job, &an);
  ts_tensor *s = ts_sum(h);
  printf("frames %.0f\n", ts_item(s));
  ts_free(s);
  ts_free(h);
  an_free(&an);
}

// OK: a listening session keeps its profile in an async scope; each feed
// escapes the new profile into it and frees the old one
void chr_session(void) {
  analyzer an;
  if (an_init(&an, 0.5) != 0)
    return;
  ts_async_scope *sess = ts_async_scope_begin();
  ts_async_scope_enter(sess);
  ts_tensor *profile = ts_zeros(TS_SHAPE(PC), TS_FLOAT32);
  ts_async_scope_leave(sess);
  for (int k = 0; k < 3; k++) {
    ts_async_scope_enter(sess);
    TS_SCOPE {
      ts_tensor *fr = ts_rand(TS_SHAPE(BINS), TS_FLOAT32);
      ts_tensor *next = ts_escape(ts_add(profile, chroma(&an, fr)));
      ts_free(profile);
      profile = next;
    }
    ts_async_scope_leave(sess);
  }
  ts_async_scope_enter(sess);
  ts_tensor *k = ts_argmax(profile);
  printf("session key %d\n", (int)ts_item(k));
  ts_async_scope_leave(sess);
  ts_async_scope_end(sess);
  an_free(&an);
}
