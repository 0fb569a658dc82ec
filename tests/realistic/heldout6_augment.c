/* heldout6_augment.c - an image augmentation pipeline: stages as function
 * pointers that either borrow their input or consume it, a pipeline struct
 * with a malloc'd stage list, a user TS_CONSUMES helper, and per-image
 * augmented copies collected into a batch. */
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { AG_C = 1, AG_H = 4, AG_W = 4 };

/* A stage returns a new image; the input is the caller's (borrowed). */
typedef ts_tensor *(*ag_stage)(const ts_tensor *img, double p);

typedef struct {
  ag_stage *stages;
  double *params;
  int n;
} ag_pipeline;

// OK: a deterministic test image the caller owns
static ts_tensor *ag_image(double v) {
  ts_tensor *a = ts_arange(0, AG_C * AG_H * AG_W, 1, TS_FLOAT32);
  ts_tensor *b = ts_reshape(a, TS_SHAPE(AG_C, AG_H, AG_W));
  ts_free(a);
  ts_tensor *c = ts_mul_scalar(b, v / (AG_H * AG_W));
  ts_free(b);
  return c;
}

// OK: brightness stage, borrowed input, new output
static ts_tensor *ag_brightness(const ts_tensor *img, double p) {
  ts_tensor *r = NULL;
  TS_SCOPE { r = ts_escape(ts_clamp(ts_add_scalar(img, p), 0.0, 1.0)); }
  return r;
}

// OK: horizontal flip by reversing the last axis with index_select
static ts_tensor *ag_flip(const ts_tensor *img, double p) {
  (void)p;
  int64_t rev[AG_W];
  for (int i = 0; i < AG_W; i++)
    rev[i] = AG_W - 1 - i;
  ts_tensor *ix = ts_from_buffer(rev, TS_SHAPE(AG_W), TS_INT64);
  ts_tensor *r = ts_index_select(img, 2, ix);
  ts_free(ix);
  return r;
}

// BUG: leak: the noise tensor is made outside any scope and never freed
static ts_tensor *ag_noise(const ts_tensor *img, double p) {
  ts_tensor *n = ts_randn(TS_SHAPE(AG_C, AG_H, AG_W), TS_FLOAT32);
  ts_tensor *sn = ts_mul_scalar(n, p); // <- BUG
  ts_free(n);
  return ts_add(img, sn);
}

// OK: the noise stage with its temporaries freed
static ts_tensor *ag_noise_ok(const ts_tensor *img, double p) {
  ts_tensor *n = ts_randn(TS_SHAPE(AG_C, AG_H, AG_W), TS_FLOAT32);
  ts_tensor *sn = ts_mul_scalar(n, p);
  ts_free(n);
  ts_tensor *r = ts_add(img, sn);
  ts_free(sn);
  return r;
}

// BUG: unescaped-return: the contrast stage returns a tensor owned by its guard scope
static ts_tensor *ag_contrast(const ts_tensor *img, double p) {
  TS_SCOPE_GUARD();
  ts_tensor *m = ts_mean(img);
  ts_tensor *c = ts_add(ts_mul_scalar(ts_sub(img, m), p), m);
  return c; // <- BUG
}

// OK: a pipeline owns its stage arrays (no tensors)
static int ag_pipeline_init(ag_pipeline *pl, int cap) {
  pl->stages = malloc((size_t)cap * sizeof *pl->stages);
  pl->params = malloc((size_t)cap * sizeof *pl->params);
  pl->n = 0;
  if (!pl->stages || !pl->params) {
    free(pl->stages);
    free(pl->params);
    return -1;
  }
  return 0;
}

// OK: frees the arrays
static void ag_pipeline_free(ag_pipeline *pl) {
  free(pl->stages);
  free(pl->params);
  pl->n = 0;
}

// OK: runs the stages; each intermediate freed once the next exists
static ts_tensor *ag_run(const ag_pipeline *pl, const ts_tensor *img) {
  ts_tensor *cur = ts_clone(img);
  for (int i = 0; i < pl->n && cur; i++) {
    ts_tensor *next = pl->stages[i](cur, pl->params[i]);
    ts_free(cur);
    cur = next;
  }
  return cur;
}

// BUG: use-after-free: the intermediate is freed before the next stage reads it
static ts_tensor *ag_run_eager_free(const ag_pipeline *pl, const ts_tensor *img) {
  ts_tensor *cur = ts_clone(img);
  for (int i = 0; i < pl->n; i++) {
    ts_tensor *prev = cur;
    ts_free(prev);
    cur = pl->stages[i](prev, pl->params[i]); // <- BUG
  }
  return cur;
}

// OK: a brightness/flip/noise pipeline on one image
void ag_pipeline_basic(void) {
  ag_pipeline pl;
  if (ag_pipeline_init(&pl, 4) != 0)
    return;
  pl.stages[pl.n] = ag_brightness;
  pl.params[pl.n++] = 0.1;
  pl.stages[pl.n] = ag_flip;
  pl.params[pl.n++] = 0;
  pl.stages[pl.n] = ag_noise_ok;
  pl.params[pl.n++] = 0.05;
  ts_tensor *img = ag_image(1.0);
  ts_tensor *out = ag_run(&pl, img);
  TS_SCOPE { printf("augment: %.3f\n", ts_item(ts_mean(out))); }
  ts_free(out);
  ts_free(img);
  ag_pipeline_free(&pl);
}

// OK: a pipeline with the leaky noise stage (its bug)
void ag_pipeline_noise(void) {
  ag_pipeline pl;
  if (ag_pipeline_init(&pl, 2) != 0)
    return;
  pl.stages[pl.n] = ag_noise;
  pl.params[pl.n++] = 0.1;
  ts_tensor *img = ag_image(1.0);
  ts_tensor *out = ag_run(&pl, img);
  ts_free(out);
  ts_free(img);
  ag_pipeline_free(&pl);
}

// OK: a pipeline with the unescaped contrast stage (its bug)
void ag_pipeline_contrast(void) {
  ag_pipeline pl;
  if (ag_pipeline_init(&pl, 2) != 0)
    return;
  pl.stages[pl.n] = ag_contrast;
  pl.params[pl.n++] = 1.5;
  pl.stages[pl.n] = ag_flip;
  pl.params[pl.n++] = 0;
  ts_tensor *img = ag_image(1.0);
  ts_tensor *out = ag_run(&pl, img);
  ts_free(out);
  ts_free(img);
  ag_pipeline_free(&pl);
}

// OK: runs the eager-freeing runner (its bug)
void ag_pipeline_eager(void) {
  ag_pipeline pl;
  if (ag_pipeline_init(&pl, 1) != 0)
    return;
  pl.stages[pl.n] = ag_flip;
  pl.params[pl.n++] = 0;
  ts_tensor *img = ag_image(1.0);
  ts_tensor *out = ag_run_eager_free(&pl, img);
  ts_free(out);
  ts_free(img);
  ag_pipeline_free(&pl);
}

// OK: consumes its argument: the image is freed here whatever happens
static ts_tensor *ag_to_batch_row(ts_tensor *img) TS_CONSUMES(1);
static ts_tensor *ag_to_batch_row(ts_tensor *img) {
  ts_tensor *r = ts_reshape(img, TS_SHAPE(1, AG_C * AG_H * AG_W));
  ts_free(img);
  return r;
}

// OK: augmented copies consumed into batch rows and concatenated
void ag_batch(void) {
  ts_tensor *rows[4];
  ts_tensor *img = ag_image(2.0);
  for (int i = 0; i < 4; i++)
    rows[i] = ag_to_batch_row(ag_brightness(img, 0.05 * i));
  ts_tensor *batch = ts_cat((const ts_tensor *const *)rows, 4, 0);
  printf("augment: batch %lld\n", (long long)ts_size(batch, 0));
  ts_free(batch);
  for (int i = 0; i < 4; i++)
    ts_free(rows[i]);
  ts_free(img);
}

// BUG: double-free: the image handed to the consuming helper is freed again by the caller
void ag_batch_double(void) {
  ts_tensor *img = ag_image(2.0);
  ts_tensor *aug = ag_flip(img, 0);
  ts_tensor *row = ag_to_batch_row(aug);
  printf("augment: %lld\n", (long long)ts_numel(row));
  ts_free(row);
  ts_free(aug); // <- BUG
  ts_free(img);
}

// BUG: use-after-free: the consumed image is read after the helper took it
void ag_batch_read_consumed(void) {
  ts_tensor *img = ag_image(2.0);
  ts_tensor *aug = ag_brightness(img, 0.2);
  ts_tensor *row = ag_to_batch_row(aug);
  TS_SCOPE { printf("augment: %.3f %.3f\n", ts_item(ts_sum(row)), ts_item(ts_sum(aug))); } // <- BUG
  ts_free(row);
  ts_free(img);
}

// BUG: leak: the mixup partner is not freed when the mixing weight is degenerate
static ts_tensor *ag_mixup(const ts_tensor *a, double lam) {
  ts_tensor *b = ag_flip(a, 0); // <- BUG
  if (lam <= 0.0 || lam >= 1.0)
    return ts_clone(a);
  ts_tensor *r = NULL;
  TS_SCOPE { r = ts_escape(ts_add(ts_mul_scalar(a, lam), ts_mul_scalar(b, 1 - lam))); }
  ts_free(b);
  return r;
}

// OK: drives mixup with a degenerate weight
void ag_mixup_degenerate(void) {
  ts_tensor *img = ag_image(1.0);
  ts_tensor *m = ag_mixup(img, 1.0);
  ts_free(m);
  ts_free(img);
}

// OK: the mixup that checks the weight first
static ts_tensor *ag_mixup_ok(const ts_tensor *a, double lam) {
  if (lam <= 0.0 || lam >= 1.0)
    return ts_clone(a);
  ts_tensor *b = ag_flip(a, 0);
  ts_tensor *r = NULL;
  TS_SCOPE { r = ts_escape(ts_add(ts_mul_scalar(a, lam), ts_mul_scalar(b, 1 - lam))); }
  ts_free(b);
  return r;
}

// OK: both mixup paths
void ag_mixup_both(void) {
  ts_tensor *img = ag_image(1.0);
  ts_tensor *m1 = ag_mixup_ok(img, 1.0);
  ts_tensor *m2 = ag_mixup_ok(img, 0.3);
  TS_SCOPE { printf("augment: %.3f\n", ts_item(ts_mse_loss(m1, m2))); }
  ts_free(m2);
  ts_free(m1);
  ts_free(img);
}

// BUG: use-after-scope: the augmented views are stored from a loop scope for a later batch
void ag_views_from_scope(void) {
  ts_tensor *img = ag_image(1.0);
  ts_tensor *views[2] = {NULL, NULL};
  TS_SCOPE for (int i = 0; i < 2; i++) {
    ts_tensor *v = ts_add_scalar(img, 0.1 * i);
    views[i] = ts_reshape(v, TS_SHAPE(1, AG_C * AG_H * AG_W));
  }
  ts_tensor *b = ts_cat((const ts_tensor *const *)views, 2, 0); // <- BUG
  ts_free(b);
  ts_free(img);
}

// OK: the views escaped from the loop scope and freed after the batch
void ag_views_escaped(void) {
  ts_tensor *img = ag_image(1.0);
  ts_tensor *views[2] = {NULL, NULL};
  TS_SCOPE for (int i = 0; i < 2; i++) {
    ts_tensor *v = ts_add_scalar(img, 0.1 * i);
    views[i] = ts_escape(ts_reshape(v, TS_SHAPE(1, AG_C * AG_H * AG_W)));
  }
  ts_tensor *b = ts_cat((const ts_tensor *const *)views, 2, 0);
  ts_free(b);
  for (int i = 0; i < 2; i++)
    ts_free(views[i]);
  ts_free(img);
}

// BUG: double-free: the cutout result replaces the input, and both names are freed at the end
void ag_cutout_alias(void) {
  ts_tensor *img = ag_image(1.0);
  ts_tensor *mask = ts_ones(TS_SHAPE(AG_C, AG_H, AG_W), TS_FLOAT32);
  ts_tensor *cut = ts_mul(img, mask);
  ts_tensor *orig = img;
  ts_free(img);
  img = cut;
  TS_SCOPE { printf("augment: cut %.3f\n", ts_item(ts_sum(img))); }
  ts_free(mask);
  ts_free(img);
  ts_free(orig); // <- BUG
}

// BUG: leak: the random-choice branch replaces the image without freeing the old copy
void ag_random_choice(void) {
  ts_tensor *img = ag_image(1.0);
  ts_tensor *cur = ts_clone(img); // <- BUG
  for (int i = 0; i < 3; i++) {
    if (i % 2 == 0)
      cur = ag_flip(cur, 0);
  }
  ts_free(cur);
  ts_free(img);
}

// OK: the random-choice loop that frees the replaced copy
void ag_random_choice_ok(void) {
  ts_tensor *img = ag_image(1.0);
  ts_tensor *cur = ts_clone(img);
  for (int i = 0; i < 3; i++) {
    if (i % 2 == 0) {
      ts_tensor *next = ag_flip(cur, 0);
      ts_free(cur);
      cur = next;
    }
  }
  TS_SCOPE { printf("augment: %.3f\n", ts_item(ts_sum(ts_sub(cur, img)))); }
  ts_free(cur);
  ts_free(img);
}

// OK: a ts_run job applying the whole pipeline, its result escaped
static void *ag_job(void *ctx) {
  const ts_tensor *img = ctx;
  ts_tensor *a = ag_brightness(img, 0.1);
  ts_tensor *b = ag_flip(a, 0);
  return ts_escape(b);
}

// OK: the job's result freed by the caller
void ag_job_run(void) {
  ts_tensor *img = ag_image(1.0);
  ts_tensor *r = ts_run(ag_job, img);
  TS_SCOPE { printf("augment: job %.3f\n", ts_item(ts_mean(r))); }
  ts_free(r);
  ts_free(img);
}
