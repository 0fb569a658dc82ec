/*
 * heldout_audio.c - an audio front end: framing a signal with narrowed
 * views, windowing, a filterbank projection, log compression, delta
 * features, per-utterance normalisation, a feature bank of utterances.
 * Held-out corpus (README.md).
 *
 * Labels: `// OK: why` or `// BUG: check: why` before each function; the
 * line of the bug ends in `// <- BUG`.
 */
#include <stdio.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define SAMPLES 64
#define FRAME 16
#define HOP 8
#define MELS 4
#define UTTS 3

// OK: frames of the signal stacked into [n, FRAME]; each narrowed view is
// freed after the stack copies it
static ts_tensor *audio_frames(const ts_tensor *sig) {
  const ts_tensor *views[SAMPLES / HOP];
  ts_tensor *owned[SAMPLES / HOP];
  int n = 0;
  for (int start = 0; start + FRAME <= SAMPLES; start += HOP) {
    owned[n] = ts_narrow(sig, 0, start, FRAME);
    views[n] = owned[n];
    n++;
  }
  ts_tensor *frames = ts_stack(views, n, 0);
  for (int i = 0; i < n; i++)
    ts_free(owned[i]);
  return frames;
}

// OK: a Hann-like window applied in place to the frames it is given
static ts_tensor *audio_window_(ts_tensor *frames) {
  ts_tensor *w = ts_hann_window(FRAME, TS_FLOAT32, NULL);
  ts_mul_Tensor_(frames, w);
  ts_free(w);
  return frames;
}

// OK: log filterbank energies; the projection is freed
static ts_tensor *audio_logmel(const ts_tensor *frames, const ts_tensor *fb) {
  ts_tensor *sq = ts_square(frames);
  ts_tensor *e = ts_mm(sq, fb);
  ts_free(sq);
  ts_tensor *out = ts_log1p(e);
  ts_free(e);
  return out;
}

// OK: the full front end on one signal; the windowed frames are the same
// tensor as the frames and freed once
void audio_frontend(void) {
  ts_manual_seed(31);
  ts_tensor *sig = ts_randn(TS_SHAPE(SAMPLES), TS_FLOAT32);
  ts_tensor *fb = ts_rand(TS_SHAPE(FRAME, MELS), TS_FLOAT32);
  ts_tensor *frames = audio_frames(sig);
  ts_tensor *win = audio_window_(frames);
  ts_tensor *feat = audio_logmel(win, fb);
  printf("features %lld x %lld\n", (long long)ts_size(feat, 0),
         (long long)ts_size(feat, 1));
  ts_free(feat);
  ts_free(win);
  ts_free(fb);
  ts_free(sig);
}

// BUG: double-free: the windowed frames are the frames themselves, and
// both names are freed
void audio_frontend_twice(void) {
  ts_tensor *sig = ts_randn(TS_SHAPE(SAMPLES), TS_FLOAT32);
  ts_tensor *frames = audio_frames(sig);
  ts_tensor *win = audio_window_(frames);
  printf("%lld\n", (long long)ts_numel(win));
  ts_free(win);
  ts_free(frames); // <- BUG
  ts_free(sig);
}

// BUG: leak: the frames are made, windowed and projected, but never freed
void audio_frames_leak(void) {
  ts_tensor *sig = ts_randn(TS_SHAPE(SAMPLES), TS_FLOAT32);
  ts_tensor *fb = ts_rand(TS_SHAPE(FRAME, MELS), TS_FLOAT32);
  ts_tensor *frames = audio_frames(sig); // <- BUG
  ts_tensor *feat = audio_logmel(audio_window_(frames), fb);
  printf("%lld\n", (long long)ts_numel(feat));
  ts_free(feat);
  ts_free(fb);
  ts_free(sig);
}

// BUG: unescaped-return: the deltas come from the guarded block's scope
// and are returned without ts_escape
static ts_tensor *audio_deltas(const ts_tensor *feat) {
  TS_SCOPE_GUARD();
  int64_t n = ts_size(feat, 0);
  ts_tensor *later = ts_narrow(feat, 0, 1, n - 1);
  ts_tensor *earlier = ts_narrow(feat, 0, 0, n - 1);
  return ts_sub(later, earlier); // <- BUG
}

// OK: the same deltas escaped out of the guarded block
static ts_tensor *audio_deltas_ok(const ts_tensor *feat) {
  TS_SCOPE_GUARD();
  int64_t n = ts_size(feat, 0);
  ts_tensor *later = ts_narrow(feat, 0, 1, n - 1);
  ts_tensor *earlier = ts_narrow(feat, 0, 0, n - 1);
  return ts_escape(ts_sub(later, earlier));
}

// OK: reads both deltas (the first helper's result is dead) and frees them
void audio_delta_report(void) {
  ts_tensor *feat = ts_randn(TS_SHAPE(7, MELS), TS_FLOAT32);
  ts_tensor *good = audio_deltas_ok(feat);
  printf("%lld\n", (long long)ts_numel(good));
  ts_free(good);
  ts_tensor *d = audio_deltas(feat);
  printf("%lld\n", (long long)ts_numel(d));
  ts_free(d);
  ts_free(feat);
}

// OK: mean and variance normalisation into a new tensor; both moments are
// freed
static ts_tensor *audio_cmvn(const ts_tensor *feat) {
  ts_tensor *mu = ts_mean_dim(feat, TS_SHAPE(0), true, TS_NO_DTYPE);
  ts_tensor *c = ts_sub(feat, mu);
  ts_free(mu);
  ts_tensor *sd = ts_std(c, true);
  ts_tensor *out = ts_div(c, sd);
  ts_free(sd);
  ts_free(c);
  return out;
}

// BUG: use-after-free: the raw features are freed after normalisation and
// then compared with the normalised ones
void audio_cmvn_check(void) {
  ts_tensor *feat = ts_randn(TS_SHAPE(6, MELS), TS_FLOAT32);
  ts_tensor *norm = audio_cmvn(feat);
  ts_free(feat);
  ts_tensor *diff = ts_sub(norm, feat); // <- BUG
  printf("%lld\n", (long long)ts_numel(diff));
  ts_free(diff);
  ts_free(norm);
}

// BUG: use-after-scope: each utterance's normalised features are put in
// the bank from inside the loop's per-iteration scope
void audio_feature_bank(void) {
  ts_tensor *bank[UTTS];
  TS_SCOPE for (int u = 0; u < UTTS; u++) {
    ts_tensor *feat = ts_randn(TS_SHAPE(5, MELS), TS_FLOAT32);
    bank[u] = audio_cmvn(feat);
  }
  const ts_tensor *parts[UTTS] = {bank[0], bank[1], bank[2]};
  ts_tensor *all = ts_cat(parts, UTTS, 0); // <- BUG
  printf("%lld\n", (long long)ts_numel(all));
  ts_free(all);
}

// OK: the bank entries are escaped from the iteration scope and freed
// after the concatenation
void audio_feature_bank_ok(void) {
  ts_tensor *bank[UTTS];
  TS_SCOPE for (int u = 0; u < UTTS; u++) {
    ts_tensor *feat = ts_randn(TS_SHAPE(5, MELS), TS_FLOAT32);
    bank[u] = ts_escape(audio_cmvn(feat));
  }
  const ts_tensor *parts[UTTS] = {bank[0], bank[1], bank[2]};
  ts_tensor *all = ts_cat(parts, UTTS, 0);
  for (int u = 0; u < UTTS; u++)
    ts_free(bank[u]);
  printf("%lld\n", (long long)ts_numel(all));
  ts_free(all);
}

// BUG: double-free: the silence branch frees the features and falls
// through to the common free
static int audio_vad(ts_tensor *feat, double threshold) {
  int voiced = 1;
  ts_tensor *energy = ts_mean(feat);
  if (ts_item(energy) < threshold) {
    voiced = 0;
    ts_free(feat);
  }
  ts_free(energy);
  ts_free(feat); // <- BUG
  return voiced;
}

// OK: hands a silent utterance to the detector, which owns it (and frees
// it twice)
void audio_vad_driver(void) {
  ts_tensor *feat = ts_zeros(TS_SHAPE(4, MELS), TS_FLOAT32);
  printf("voiced %d\n", audio_vad(feat, 0.5));
}

// BUG: leak: an utterance shorter than one frame is rejected after its
// signal tensor was made
static int audio_load(const float *pcm, int n, ts_tensor **out) {
  ts_tensor *sig = ts_from_buffer(pcm, TS_SHAPE(n), TS_FLOAT32); // <- BUG
  if (n < FRAME)
    return -1;
  *out = sig;
  return 0;
}

// OK: loads a long and a short utterance (the loader leaks the short one)
void audio_load_driver(void) {
  float pcm[SAMPLES] = {0};
  ts_tensor *a = NULL;
  if (audio_load(pcm, SAMPLES, &a) == 0)
    ts_free(a);
  ts_tensor *b = NULL;
  if (audio_load(pcm, 4, &b) == 0)
    ts_free(b);
}

// BUG: unescaped-return: the pooled-over-time embedding of the scoped
// function is returned without ts_escape
TS_SCOPED static ts_tensor *audio_embed(const ts_tensor *feat) {
  ts_tensor *m = ts_mean_dim(feat, TS_SHAPE(0), false, TS_NO_DTYPE);
  ts_tensor *s = ts_std(feat, true);
  ts_tensor *e = ts_div(m, s);
  return e; // <- BUG
}

// OK: reads and frees the embedding (the helper returns it dead)
void audio_embed_driver(void) {
  ts_tensor *feat = ts_randn(TS_SHAPE(6, MELS), TS_FLOAT32);
  ts_tensor *e = audio_embed(feat);
  printf("%lld\n", (long long)ts_numel(e));
  ts_free(e);
  ts_free(feat);
}
