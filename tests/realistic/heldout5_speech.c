/* heldout5_speech.c - speech features: a synthetic signal cut into
 * overlapping frames, a Hann window, the power spectrum through DFT
 * matrices, a triangular mel filterbank, log-mel energies, deltas and
 * per-utterance mean normalisation; a feature extractor struct owning its
 * matrices, utterances in a malloc'd array.
 * Labels: tests/realistic/README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum {
  SR = 800,
  FRAME = 32,
  HOP = 16,
  NBIN = FRAME / 2 + 1,
  MELS = 6,
  NSAMP = 256
};

struct fbank {
  ts_tensor *window;      /* [FRAME] */
  ts_tensor *cosm, *sinm; /* [FRAME, NBIN] */
  ts_tensor *mel;         /* [NBIN, MELS] */
};

struct utterance {
  ts_tensor *feats; /* [frames, MELS], owned, NULL until extracted */
  int nframes;
};

// OK: the Hann window from a host buffer
static ts_tensor *hann_window(int n) {
  float w[FRAME];
  for (int i = 0; i < n; i++)
    w[i] = 0.5f - 0.5f * cosf(2.0f * 3.14159265f * (float)i / (float)(n - 1));
  return ts_from_buffer(w, TS_SHAPE(FRAME), TS_FLOAT32);
}

// OK: cosine and sine DFT matrices written to the out-parameters
static int dft_matrices(ts_tensor **cosm, ts_tensor **sinm) {
  static float c[FRAME][NBIN], s[FRAME][NBIN];
  for (int t = 0; t < FRAME; t++)
    for (int k = 0; k < NBIN; k++) {
      c[t][k] = cosf(2.0f * 3.14159265f * (float)(k * t) / FRAME);
      s[t][k] = -sinf(2.0f * 3.14159265f * (float)(k * t) / FRAME);
    }
  *cosm = ts_from_buffer(c, TS_SHAPE(FRAME, NBIN), TS_FLOAT32);
  *sinm = ts_from_buffer(s, TS_SHAPE(FRAME, NBIN), TS_FLOAT32);
  return *cosm && *sinm ? 0 : -1;
}

// OK: triangular filters on a linear-in-mel grid
static ts_tensor *mel_matrix(void) {
  static float m[NBIN][MELS];
  memset(m, 0, sizeof m);
  for (int j = 0; j < MELS; j++) {
    float centre = (float)(j + 1) * (NBIN - 1) / (MELS + 1);
    float width = (float)(NBIN - 1) / (MELS + 1);
    for (int k = 0; k < NBIN; k++) {
      float d = fabsf((float)k - centre) / width;
      m[k][j] = d < 1.0f ? 1.0f - d : 0.0f;
    }
  }
  return ts_from_buffer(m, TS_SHAPE(NBIN, MELS), TS_FLOAT32);
}

// OK: goto-cleanup init; each failure frees what was made before it
static int fbank_init(struct fbank *fb) {
  memset(fb, 0, sizeof *fb);
  fb->window = hann_window(FRAME);
  if (!fb->window)
    return -1;
  if (dft_matrices(&fb->cosm, &fb->sinm) != 0)
    goto fail_dft;
  fb->mel = mel_matrix();
  if (!fb->mel)
    goto fail_dft;
  return 0;
fail_dft:
  if (fb->cosm)
    ts_free(fb->cosm);
  if (fb->sinm)
    ts_free(fb->sinm);
fail_window:
  ts_free(fb->window);
  memset(fb, 0, sizeof *fb);
  return -1;
}

// OK: teardown of the four matrices
static void fbank_free(struct fbank *fb) {
  ts_free(fb->window);
  ts_free(fb->cosm);
  ts_free(fb->sinm);
  ts_free(fb->mel);
  memset(fb, 0, sizeof *fb);
}

// BUG: leak: a failing mel matrix returns without freeing the DFT matrices
static int fbank_init_leaky(struct fbank *fb, int want_mel) {
  memset(fb, 0, sizeof *fb);
  fb->window = hann_window(FRAME);
  if (dft_matrices(&fb->cosm, &fb->sinm) != 0) // <- BUG
    goto fail;
  fb->mel = want_mel ? mel_matrix() : NULL;
  if (!fb->mel)
    goto fail;
  return 0;
fail:
  ts_free(fb->window);
  fb->window = NULL;
  return -1;
}

// OK: a synthetic chirp-like signal as a host array
static void synth_signal(float *x, int n, float f0) {
  for (int i = 0; i < n; i++)
    x[i] =
        sinf(2.0f * 3.14159265f * f0 * (float)i / SR * (1.0f + (float)i / n));
}

// OK: frames stacked into [nframes, FRAME]; each frame tensor freed after the
// stack
static ts_tensor *frame_signal(const float *x, int n, int *nframes) {
  int nf = 1 + (n - FRAME) / HOP;
  ts_tensor **fr = malloc(sizeof *fr * (size_t)nf);
  if (!fr)
    return NULL;
  for (int i = 0; i < nf; i++)
    fr[i] = ts_from_buffer(x + i * HOP, TS_SHAPE(FRAME), TS_FLOAT32);
  ts_tensor *out = ts_stack((const ts_tensor *const *)fr, nf, 0);
  for (int i = 0; i < nf; i++)
    ts_free(fr[i]);
  free(fr);
  *nframes = nf;
  return out;
}

// BUG: leak: the loop frees all frames but the last (off by one)
static ts_tensor *frame_signal_short(const float *x, int n, int *nframes) {
  int nf = 1 + (n - FRAME) / HOP;
  ts_tensor **fr = malloc(sizeof *fr * (size_t)nf);
  if (!fr)
    return NULL;
  for (int i = 0; i < nf; i++)
    fr[i] = ts_from_buffer(x + i * HOP, TS_SHAPE(FRAME), TS_FLOAT32); // <- BUG
  ts_tensor *out = ts_stack((const ts_tensor *const *)fr, nf, 0);
  for (int i = 0; i < nf - 1; i++)
    ts_free(fr[i]);
  free(fr);
  *nframes = nf;
  return out;
}

// OK: windowed power spectrum, all temporaries in the caller's scope
TS_CALLER_SCOPE static ts_tensor *power_spectrum(const struct fbank *fb,
                                                 const ts_tensor *frames) {
  ts_tensor *wf = ts_mul(frames, fb->window);
  ts_tensor *re = ts_matmul(wf, fb->cosm);
  ts_tensor *im = ts_matmul(wf, fb->sinm);
  return ts_mul_scalar(ts_add(ts_mul(re, re), ts_mul(im, im)), 1.0 / FRAME);
}

// OK: log-mel energies escaped from the function's scope
TS_SCOPED static ts_tensor *log_mel(const struct fbank *fb,
                                    const ts_tensor *frames) {
  ts_tensor *p = power_spectrum(fb, frames);
  ts_tensor *e = ts_matmul(p, fb->mel);
  return ts_escape(ts_log(ts_add_scalar(e, 1e-6)));
}

// BUG: unescaped-return: the normalised features belong to the function's scope
TS_SCOPED static ts_tensor *log_mel_cmn(const struct fbank *fb,
                                        const ts_tensor *frames) {
  ts_tensor *lm = ts_log(
      ts_add_scalar(ts_matmul(power_spectrum(fb, frames), fb->mel), 1e-6));
  ts_tensor *mu = ts_mean_dim(lm, TS_SHAPE(0), true, TS_FLOAT32);
  return ts_sub(lm, mu); // <- BUG
}

// OK: mean normalisation by hand: the mean is freed, the input replaced and
// freed
static ts_tensor *cmn(ts_tensor *feats) {
  ts_tensor *mu = ts_mean_dim(feats, TS_SHAPE(0), true, TS_FLOAT32);
  ts_tensor *out = ts_sub(feats, mu);
  ts_free(mu);
  ts_free(feats);
  return out;
}

// OK: first-order deltas x[t+1] - x[t] via narrow; views freed
static ts_tensor *deltas(const ts_tensor *feats) {
  int64_t n = ts_size(feats, 0);
  ts_tensor *a = ts_narrow(feats, 0, 1, n - 1);
  ts_tensor *b = ts_narrow(feats, 0, 0, n - 1);
  ts_tensor *d = ts_sub(a, b);
  ts_free(a);
  ts_free(b);
  return d;
}

// BUG: double-free: cmn consumes its argument, and the caller frees it again
static ts_tensor *normalised_feats(const struct fbank *fb,
                                   const ts_tensor *frames) {
  ts_tensor *lm = log_mel(fb, frames);
  ts_tensor *n = cmn(lm);
  ts_free(lm); // <- BUG
  return n;
}

// OK: extracts into the utterance; the previous features are freed first
static int utt_extract(struct utterance *u, const struct fbank *fb, float f0) {
  float x[NSAMP];
  int nf = 0;
  synth_signal(x, NSAMP, f0);
  ts_tensor *frames = frame_signal(x, NSAMP, &nf);
  if (!frames)
    return -1;
  ts_tensor *lm = log_mel(fb, frames);
  ts_free(frames);
  if (u->feats)
    ts_free(u->feats);
  u->feats = cmn(lm);
  u->nframes = nf;
  return 0;
}

// BUG: leak: re-extracting overwrites the features of the last extraction
static int utt_extract_again(struct utterance *u, const struct fbank *fb,
                             float f0) {
  float x[NSAMP];
  int nf = 0;
  synth_signal(x, NSAMP, f0);
  ts_tensor *frames = frame_signal(x, NSAMP, &nf);
  if (!frames)
    return -1;
  u->feats = log_mel(fb, frames); // <- BUG
  u->nframes = nf;
  ts_free(frames);
  return 0;
}

// OK: frees every utterance's features and the array
static void utts_free(struct utterance *u, int n) {
  for (int i = 0; i < n; i++)
    if (u[i].feats)
      ts_free(u[i].feats);
  free(u);
}

// OK: the energy of each utterance in loop scopes; features stay in the array
static double total_energy(const struct utterance *u, int n) {
  double e = 0;
  for (int i = 0; i < n; i++)
    TS_SCOPE { e += ts_item(ts_sum(ts_exp(u[i].feats))); }
  return e;
}

// OK: whole front end on a batch of utterances
void sp5_frontend(void) {
  struct fbank fb;
  if (fbank_init(&fb) != 0)
    return;
  int n = 3;
  struct utterance *u = calloc((size_t)n, sizeof *u);
  if (!u) {
    fbank_free(&fb);
    return;
  }
  for (int i = 0; i < n; i++)
    if (utt_extract(&u[i], &fb, 50.0f + 40.0f * (float)i) != 0)
      break;
  utt_extract(&u[0], &fb, 70.0f);
  printf("energy %.3f\n", total_energy(u, n));
  utts_free(u, n);
  fbank_free(&fb);
}

// OK: drives fbank_init_leaky down its mel failure
void sp5_init_fail(void) {
  struct fbank fb;
  if (fbank_init_leaky(&fb, 0) == 0)
    fbank_free(&fb);
}

// OK: drives frame_signal_short
void sp5_frames_short(void) {
  float x[NSAMP];
  int nf = 0;
  synth_signal(x, NSAMP, 100.0f);
  ts_tensor *fr = frame_signal_short(x, NSAMP, &nf);
  printf("frames %d\n", nf);
  ts_free(fr);
}

// OK: uses and frees log_mel_cmn's result
void sp5_cmn_scoped(void) {
  struct fbank fb;
  float x[NSAMP];
  int nf = 0;
  fbank_init(&fb);
  synth_signal(x, NSAMP, 120.0f);
  ts_tensor *fr = frame_signal(x, NSAMP, &nf);
  ts_tensor *f = log_mel_cmn(&fb, fr);
  printf("cmn feats %lld\n", (long long)ts_numel(f));
  ts_free(f);
  ts_free(fr);
  fbank_free(&fb);
}

// OK: drives normalised_feats
void sp5_norm_twice(void) {
  struct fbank fb;
  float x[NSAMP];
  int nf = 0;
  fbank_init(&fb);
  synth_signal(x, NSAMP, 90.0f);
  ts_tensor *fr = frame_signal(x, NSAMP, &nf);
  ts_tensor *f = normalised_feats(&fb, fr);
  ts_free(f);
  ts_free(fr);
  fbank_free(&fb);
}

// OK: drives utt_extract_again twice on one utterance
void sp5_reextract(void) {
  struct fbank fb;
  struct utterance u = {NULL, 0};
  fbank_init(&fb);
  utt_extract_again(&u, &fb, 60.0f);
  utt_extract_again(&u, &fb, 80.0f);
  ts_free(u.feats);
  fbank_free(&fb);
}

// OK: deltas of the log-mel features, every handle freed once
void sp5_deltas(void) {
  struct fbank fb;
  float x[NSAMP];
  int nf = 0;
  fbank_init(&fb);
  synth_signal(x, NSAMP, 200.0f);
  ts_tensor *fr = frame_signal(x, NSAMP, &nf);
  ts_tensor *lm = log_mel(&fb, fr);
  ts_tensor *d = deltas(lm);
  printf("deltas %lld x %lld\n", (long long)ts_size(d, 0),
         (long long)ts_size(d, 1));
  ts_free(d);
  ts_free(lm);
  ts_free(fr);
  fbank_free(&fb);
}

// BUG: use-after-free: the window is freed with the filterbank and then reused
void sp5_window_after_free(void) {
  struct fbank fb;
  fbank_init(&fb);
  ts_tensor *win = fb.window;
  fbank_free(&fb);
  ts_tensor *w2 = ts_mul(win, win); // <- BUG
  ts_free(w2);
}

// BUG: use-after-scope: the spectrum of the last frame block survives its scope
// by pointer
void sp5_spectrum_scope(void) {
  struct fbank fb;
  float x[NSAMP];
  int nf = 0;
  fbank_init(&fb);
  synth_signal(x, NSAMP, 150.0f);
  ts_tensor *fr = frame_signal(x, NSAMP, &nf);
  ts_tensor *spec;
  TS_SCOPE { spec = power_spectrum(&fb, fr); }
  ts_tensor *m = ts_mean(spec); // <- BUG
  printf("mean power %.3f\n", ts_item(m));
  ts_free(m);
  ts_free(fr);
  fbank_free(&fb);
}

// OK: the spectrum leaves its scope escaped and is freed by hand
void sp5_spectrum_escaped(void) {
  struct fbank fb;
  float x[NSAMP];
  int nf = 0;
  fbank_init(&fb);
  synth_signal(x, NSAMP, 150.0f);
  ts_tensor *fr = frame_signal(x, NSAMP, &nf);
  ts_tensor *spec;
  TS_SCOPE { spec = ts_escape(power_spectrum(&fb, fr)); }
  ts_tensor *m = ts_mean(spec);
  printf("mean power %.3f\n", ts_item(m));
  ts_free(m);
  ts_free(spec);
  ts_free(fr);
  fbank_free(&fb);
}

// BUG: double-free: the error path frees the frames and the common exit frees
// them again
void sp5_error_exit(void) {
  struct fbank fb;
  float x[NSAMP];
  int nf = 0;
  fbank_init(&fb);
  synth_signal(x, NSAMP, 40.0f);
  ts_tensor *fr = frame_signal(x, NSAMP, &nf);
  ts_tensor *lm = NULL;
  if (nf < 100) {
    fprintf(stderr, "utterance too short: %d frames\n", nf);
    ts_free(fr);
    goto out;
  }
  lm = log_mel(&fb, fr);
  ts_free(lm);
out:
  ts_free(fr); // <- BUG
  fbank_free(&fb);
}

// OK: the short-utterance path frees the frames and clears the handle first
void sp5_error_exit_ok(void) {
  struct fbank fb;
  float x[NSAMP];
  int nf = 0;
  fbank_init(&fb);
  synth_signal(x, NSAMP, 40.0f);
  ts_tensor *fr = frame_signal(x, NSAMP, &nf);
  if (nf < 100) {
    fprintf(stderr, "utterance too short: %d frames\n", nf);
    ts_free(fr);
    fr = NULL;
    goto out;
  }
  ts_free(log_mel(&fb, fr));
out:
  if (fr)
    ts_free(fr);
  fbank_free(&fb);
}
