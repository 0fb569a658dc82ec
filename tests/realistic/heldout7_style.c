/* heldout7_style.c - neural style transfer by optimising the image: a tiny
 * two-layer random feature extractor, Gram-matrix style targets and a
 * content target, losses in the caller's scope, gradient steps with
 * autograd (ts_backward, ts_grad, ts_sgd_step), best-image tracking, a
 * total-variation denoiser and export to 8-bit. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define ST_H 8
#define ST_W 8
#define ST_C1 6
#define ST_C2 4

typedef struct {
  ts_tensor *f1; /* [C1,3] */
  ts_tensor *f2; /* [C2,C1] */
} st_model;

typedef struct {
  ts_tensor *content; /* [C2,HW] */
  ts_tensor *g1, *g2; /* style grams */
} st_targets;

// OK: two random projection layers; the first freed if the second fails
static int st_model_init(st_model *m) {
  ts_manual_seed(21);
  m->f1 = ts_randn(TS_SHAPE(ST_C1, 3), TS_FLOAT32);
  if (!m->f1)
    return -1;
  m->f2 = ts_randn(TS_SHAPE(ST_C2, ST_C1), TS_FLOAT32);
  if (!m->f2) {
    ts_free(m->f1);
    return -1;
  }
  return 0;
}

// OK: frees both layers
static void st_model_free(st_model *m) {
  ts_free(m->f2);
  ts_free(m->f1);
}

// OK: layer activations in the caller's scope
TS_CALLER_SCOPE static ts_tensor *st_layer1(const st_model *m, const ts_tensor *img) {
  return ts_relu(ts_matmul(m->f1, ts_reshape(img, TS_SHAPE(3, ST_H * ST_W))));
}

// OK: second layer on the first's activations
TS_CALLER_SCOPE static ts_tensor *st_layer2(const st_model *m, const ts_tensor *a1) {
  return ts_relu(ts_matmul(m->f2, a1));
}

// OK: Gram matrix normalised by the number of positions
TS_CALLER_SCOPE static ts_tensor *st_gram(const ts_tensor *f) {
  return ts_mul_scalar(ts_matmul(f, ts_t(f)), 1.0 / (double)ts_size(f, 1));
}

// OK: targets computed in a scope and kept out of it
static int st_targets_make(const st_model *m, const ts_tensor *content, const ts_tensor *style,
                           st_targets *t) {
  TS_SCOPE {
    ts_tensor *c1 = st_layer1(m, content);
    t->content = ts_keep(st_layer2(m, c1));
    ts_tensor *s1 = st_layer1(m, style);
    t->g1 = ts_keep(st_gram(s1));
    t->g2 = ts_keep(st_gram(st_layer2(m, s1)));
  }
  return t->content && t->g1 && t->g2 ? 0 : -1;
}

// OK: frees the three targets
static void st_targets_free(st_targets *t) {
  ts_free(t->g2);
  ts_free(t->g1);
  ts_free(t->content);
}

// BUG: use-after-scope: the style grams are stored without ts_keep and their sizes printed after the scope
static int st_targets_fast(const st_model *m, const ts_tensor *content, const ts_tensor *style,
                           st_targets *t) {
  TS_SCOPE {
    t->content = ts_keep(st_layer2(m, st_layer1(m, content)));
    ts_tensor *s1 = st_layer1(m, style);
    t->g1 = st_gram(s1);
    t->g2 = st_gram(st_layer2(m, s1));
  }
  printf("style: grams %lld and %lld\n", (long long)ts_numel(t->g1), (long long)ts_numel(t->g2)); // <- BUG
  return 0;
}

// BUG: leak: the second layer's style activations are never freed
static int st_targets_manual(const st_model *m, const ts_tensor *content, const ts_tensor *style,
                             st_targets *t) {
  ts_tensor *x = ts_reshape(content, TS_SHAPE(3, ST_H * ST_W));
  ts_tensor *c1 = ts_relu(ts_matmul(m->f1, x));
  ts_free(x);
  t->content = ts_relu(ts_matmul(m->f2, c1));
  ts_free(c1);
  ts_tensor *y = ts_reshape(style, TS_SHAPE(3, ST_H * ST_W));
  ts_tensor *s1 = ts_relu(ts_matmul(m->f1, y));
  ts_free(y);
  ts_tensor *s2 = ts_relu(ts_matmul(m->f2, s1)); // <- BUG
  ts_tensor *s1t = ts_t(s1);
  t->g1 = ts_matmul(s1, s1t);
  ts_free(s1t);
  ts_free(s1);
  ts_tensor *s2t = ts_t(s2);
  t->g2 = ts_matmul(s2, s2t);
  ts_free(s2t);
  return 0;
}

// OK: content plus weighted style loss, in the caller's scope
TS_CALLER_SCOPE static ts_tensor *st_loss(const st_model *m, const ts_tensor *img, const st_targets *t,
                                          double style_w) {
  ts_tensor *a1 = st_layer1(m, img);
  ts_tensor *a2 = st_layer2(m, a1);
  ts_tensor *style = ts_add(ts_mse_loss(st_gram(a1), t->g1), ts_mse_loss(st_gram(a2), t->g2));
  return ts_add(ts_mse_loss(a2, t->content), ts_mul_scalar(style, style_w));
}

// OK: one gradient step inside a scope; the gradient handle goes with it
static double st_step(const st_model *m, ts_tensor *img, const st_targets *t, double lr) {
  double v = 0.0;
  TS_SCOPE {
    ts_tensor *loss = st_loss(m, img, t, 10.0);
    ts_backward(loss);
    ts_sgd_step(img, lr);
    ts_zero_grad(img);
    v = ts_item(loss);
  }
  return v;
}

// BUG: leak: the gradient handle from ts_grad is never freed
static double st_step_logged(const st_model *m, ts_tensor *img, const st_targets *t, double lr) {
  double v = 0.0;
  TS_SCOPE {
    ts_tensor *loss = st_loss(m, img, t, 10.0);
    ts_backward(loss);
    v = ts_item(loss);
  }
  ts_tensor *g = ts_grad(img); // <- BUG
  if (g) {
    ts_tensor *n = ts_linalg_vector_norm(g, 2.0, NULL, -1, false, TS_NO_DTYPE);
    printf("style: |grad| %.4f\n", ts_item(n));
    ts_free(n);
  }
  ts_sgd_step(img, lr);
  ts_zero_grad(img);
  return v;
}

// BUG: use-after-free: the clip factor is computed from the gradient handle already freed
static double st_grad_scale(ts_tensor *img, double max_norm) {
  ts_tensor *g = ts_grad(img);
  if (!g)
    return 1.0;
  ts_tensor *n = ts_linalg_vector_norm(g, 2.0, NULL, -1, false, TS_NO_DTYPE);
  ts_free(g);
  double norm = ts_item(n);
  ts_free(n);
  if (norm <= max_norm)
    return 1.0;
  ts_tensor *a = ts_abs(g); // <- BUG
  ts_tensor *mx = ts_max(a);
  ts_free(a);
  double peak = ts_item(mx);
  ts_free(mx);
  return max_norm / (norm + peak);
}

// OK: the same scale, the gradient freed last
static double st_grad_scale_ok(ts_tensor *img, double max_norm) {
  ts_tensor *g = ts_grad(img);
  if (!g)
    return 1.0;
  ts_tensor *n = ts_linalg_vector_norm(g, 2.0, NULL, -1, false, TS_NO_DTYPE);
  double norm = n ? ts_item(n) : 0.0;
  if (n)
    ts_free(n);
  ts_free(g);
  return norm <= max_norm ? 1.0 : max_norm / norm;
}

// BUG: leak: each improvement overwrites the best copy without freeing the previous one
static ts_tensor *st_optimise_best(const st_model *m, ts_tensor *img, const st_targets *t, int steps) {
  ts_tensor *best = NULL;
  double best_v = 1e30;
  for (int i = 0; i < steps; i++) {
    double v = st_step(m, img, t, 1e-4);
    if (v < best_v) {
      best_v = v;
      best = ts_detach(img); // <- BUG
    }
  }
  return best;
}

// OK: the previous best is freed when a better one is copied
static ts_tensor *st_optimise(const st_model *m, ts_tensor *img, const st_targets *t, int steps) {
  ts_tensor *best = NULL;
  double best_v = 1e30;
  for (int i = 0; i < steps; i++) {
    double v = st_step(m, img, t, 1e-4);
    if (v < best_v) {
      ts_tensor *copy = ts_detach(img);
      ts_tensor *c = copy ? ts_clone(copy) : NULL;
      if (copy)
        ts_free(copy);
      if (!c)
        continue;
      if (best)
        ts_free(best);
      best = c;
      best_v = v;
    }
  }
  return best;
}

// BUG: use-after-scope: the last loss lives in the loop body's guard scope and is read after it
static double st_last_loss(const st_model *m, const ts_tensor *img, const st_targets *t, int n) {
  ts_tensor *last = NULL;
  for (int i = 0; i < n; i++) {
    TS_SCOPE_GUARD();
    last = st_loss(m, img, t, 1.0 + i);
  }
  return last ? ts_item(last) : 0.0; // <- BUG
}

// OK: a total-variation smoothing of the image; the difference tensors freed on both branches
static ts_tensor *st_denoise(const ts_tensor *img, double w) {
  ts_tensor *sh = ts_roll(img, TS_SHAPE(1), TS_SHAPE(2));
  if (!sh)
    return NULL;
  ts_tensor *avg = ts_add(img, sh);
  ts_free(sh);
  if (w <= 0.0) {
    ts_free(avg);
    return ts_clone(img);
  }
  ts_tensor *out = ts_mul_scalar(avg, 0.5 * w);
  ts_free(avg);
  return out;
}

// BUG: double-free: a zero weight frees the average in its branch and again at the end
static ts_tensor *st_denoise_blend(const ts_tensor *img, double w) {
  ts_tensor *sh = ts_roll(img, TS_SHAPE(1), TS_SHAPE(2));
  ts_tensor *avg = ts_add(img, sh);
  ts_free(sh);
  ts_tensor *out;
  if (w <= 0.0) {
    out = ts_clone(img);
    ts_free(avg);
  } else {
    out = ts_add(ts_mul_Scalar_(avg, 0.5 * w), img);
  }
  ts_free(avg); // <- BUG
  return out;
}

// OK: clamps to [0,1] and writes bytes; the temporaries freed after the copy
static int st_export(const ts_tensor *img, uint8_t *dst, size_t n) {
  ts_tensor *c = ts_clamp(img, 0.0, 1.0);
  if (!c)
    return -1;
  ts_tensor *s = ts_mul_scalar(c, 255.0);
  ts_free(c);
  ts_tensor *u8 = s ? ts_to_dtype(s, TS_UINT8, false, false) : NULL;
  if (s)
    ts_free(s);
  if (!u8)
    return -1;
  ts_status st = ts_copy_to_buffer(u8, dst, n);
  ts_free(u8);
  return st == TS_OK ? 0 : -1;
}

// BUG: use-after-free: the bytes are copied from the scaled tensor freed a line earlier
static int st_export_fast(const ts_tensor *img, uint8_t *dst, size_t n) {
  ts_tensor *c = ts_clamp(img, 0.0, 1.0);
  ts_tensor *s = ts_mul_scalar(c, 255.0);
  ts_free(c);
  ts_tensor *u8 = ts_to_dtype(s, TS_UINT8, false, false);
  ts_free(s);
  ts_status st = ts_copy_to_buffer(s, dst, n); // <- BUG
  ts_free(u8);
  return st == TS_OK ? 0 : -1;
}

// OK: a noise image returned, its handle also reported through the out-parameter
static ts_tensor *st_noise(double amp, ts_tensor **out) {
  ts_tensor *r = ts_rand(TS_SHAPE(3, ST_H, ST_W), TS_FLOAT32);
  ts_tensor *n = r ? ts_mul_scalar(r, amp) : NULL;
  if (r)
    ts_free(r);
  *out = n;
  return n;
}

// OK: content image: a horizontal ramp in every channel
static ts_tensor *st_content(void) {
  float px[3 * ST_H * ST_W];
  for (int i = 0; i < 3 * ST_H * ST_W; i++)
    px[i] = (float)(i % ST_W) / ST_W;
  return ts_from_buffer(px, TS_SHAPE(3, ST_H, ST_W), TS_FLOAT32);
}

// OK: style image: a checkerboard
static ts_tensor *st_style(void) {
  float px[3 * ST_H * ST_W];
  for (int i = 0; i < 3 * ST_H * ST_W; i++)
    px[i] = (float)(((i % ST_W) + (i / ST_W)) % 2);
  return ts_from_buffer(px, TS_SHAPE(3, ST_H, ST_W), TS_FLOAT32);
}

// OK: a full transfer: targets, optimisation with best tracking, denoise and export
void st_run_transfer(void) {
  st_model m;
  st_targets t;
  uint8_t bytes[3 * ST_H * ST_W];
  if (st_model_init(&m) != 0)
    return;
  ts_tensor *content = st_content(), *style = st_style();
  if (st_targets_make(&m, content, style, &t) == 0) {
    ts_tensor *img = ts_clone(content);
    ts_requires_grad(img, true);
    ts_tensor *best = st_optimise(&m, img, &t, 4);
    printf("style: last loss %.4f\n", st_step(&m, img, &t, 1e-4));
    if (best) {
      ts_tensor *smooth = st_denoise(best, 0.8);
      if (smooth && st_export(smooth, bytes, sizeof bytes) == 0)
        printf("style: first byte %u\n", bytes[0]);
      if (smooth)
        ts_free(smooth);
      ts_free(best);
    }
    ts_free(img);
    st_targets_free(&t);
  }
  ts_free(style);
  ts_free(content);
  st_model_free(&m);
}

// OK: targets through the fast path
void st_run_targets_fast(void) {
  st_model m;
  st_targets t;
  if (st_model_init(&m) != 0)
    return;
  ts_tensor *content = st_content(), *style = st_style();
  st_targets_fast(&m, content, style, &t);
  ts_free(t.content);
  ts_free(style);
  ts_free(content);
  st_model_free(&m);
}

// OK: targets through the manual path
void st_run_targets_manual(void) {
  st_model m;
  st_targets t;
  if (st_model_init(&m) != 0)
    return;
  ts_tensor *content = st_content(), *style = st_style();
  st_targets_manual(&m, content, style, &t);
  st_targets_free(&t);
  ts_free(style);
  ts_free(content);
  st_model_free(&m);
}

// OK: a logged step and the clip scales
void st_run_logged(void) {
  st_model m;
  st_targets t;
  if (st_model_init(&m) != 0)
    return;
  ts_tensor *content = st_content(), *style = st_style();
  if (st_targets_make(&m, content, style, &t) == 0) {
    ts_tensor *img = ts_clone(style);
    ts_requires_grad(img, true);
    st_step_logged(&m, img, &t, 0.01);
    ts_free(img);
    st_targets_free(&t);
  }
  ts_free(style);
  ts_free(content);
  st_model_free(&m);
}

// OK: a clip scale after a backward pass
void st_run_clip(void) {
  st_model m;
  st_targets t;
  if (st_model_init(&m) != 0)
    return;
  ts_tensor *content = st_content(), *style = st_style();
  if (st_targets_make(&m, content, style, &t) == 0) {
    ts_tensor *img = ts_clone(style);
    ts_requires_grad(img, true);
    TS_SCOPE {
      ts_backward(st_loss(&m, img, &t, 10.0));
    }
    printf("style: scale %.3f\n", st_grad_scale_ok(img, 1e-3));
    printf("style: scale %.3f\n", st_grad_scale(img, 1e-3));
    ts_free(img);
    st_targets_free(&t);
  }
  ts_free(style);
  ts_free(content);
  st_model_free(&m);
}

// OK: optimisation keeping every best copy
void st_run_best(void) {
  st_model m;
  st_targets t;
  if (st_model_init(&m) != 0)
    return;
  ts_tensor *content = st_content(), *style = st_style();
  if (st_targets_make(&m, content, style, &t) == 0) {
    ts_tensor *img = ts_clone(content);
    ts_requires_grad(img, true);
    ts_tensor *best = st_optimise_best(&m, img, &t, 3);
    if (best)
      ts_free(best);
    ts_free(img);
    st_targets_free(&t);
  }
  ts_free(style);
  ts_free(content);
  st_model_free(&m);
}

// OK: the last of a few losses
void st_run_last_loss(void) {
  st_model m;
  st_targets t;
  if (st_model_init(&m) != 0)
    return;
  ts_tensor *content = st_content(), *style = st_style();
  if (st_targets_make(&m, content, style, &t) == 0) {
    printf("style: last %.4f\n", st_last_loss(&m, content, &t, 3));
    st_targets_free(&t);
  }
  ts_free(style);
  ts_free(content);
  st_model_free(&m);
}

// OK: blended denoising with a zero weight
void st_run_denoise_blend(void) {
  ts_tensor *img = st_content();
  ts_tensor *d = st_denoise_blend(img, 0.0);
  if (d)
    ts_free(d);
  ts_free(img);
}

// OK: the fast export
void st_run_export_fast(void) {
  uint8_t bytes[3 * ST_H * ST_W];
  ts_tensor *img = st_style();
  st_export_fast(img, bytes, sizeof bytes);
  ts_free(img);
}

// OK: a noise image, freed once through the returned handle
void st_run_noise(void) {
  ts_tensor *alias = NULL;
  ts_tensor *n = st_noise(0.1, &alias);
  if (n)
    ts_free(n);
}

// BUG: double-free: the returned noise and the out-parameter are the same tensor, freed twice
void st_run_noise_twice(void) {
  ts_tensor *alias = NULL;
  ts_tensor *n = st_noise(0.1, &alias);
  ts_tensor *img = st_content();
  ts_tensor *noisy = ts_add(img, n);
  ts_free(noisy);
  ts_free(img);
  ts_free(n);
  ts_free(alias); // <- BUG
}

// BUG: use-after-scope: the preview lives in the async scope that has already ended
void st_run_async_preview(void) {
  ts_async_scope *sc = ts_async_scope_begin();
  ts_tensor *img = st_style();
  ts_tensor *preview = NULL;
  if (sc) {
    ts_async_scope_enter(sc);
    preview = ts_clamp(ts_mul_scalar(img, 0.8), 0.0, 1.0);
    ts_async_scope_leave(sc);
    ts_async_scope_end(sc);
    printf("style: preview %lld\n", (long long)ts_numel(preview)); // <- BUG
  }
  ts_free(img);
}

// BUG: use-after-free: the model is torn down before the final feature preview uses it
void st_run_teardown_order(void) {
  st_model m;
  if (st_model_init(&m) != 0)
    return;
  ts_tensor *img = st_content();
  st_model_free(&m);
  TS_SCOPE {
    ts_tensor *a = st_layer1(&m, img); // <- BUG
    printf("style: preview %lld\n", (long long)ts_numel(a));
  }
  ts_free(img);
}
