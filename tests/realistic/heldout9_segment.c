/* heldout9_segment.c - tiled image segmentation: a large image is cut into
 * overlapping tiles, each tile goes through a tiny per-pixel classifier
 * (logits over classes, argmax), and the tile masks are stitched back into
 * a label map. Scopes use TS_SCOPE_GUARD() and explicit begin/end, as code
 * built without the plugin would. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define SG_W 12
#define SG_TILE 6
#define SG_STRIDE 4
#define SG_CLS 3

typedef struct {
  ts_tensor *w; /* [1, SG_CLS] per-pixel weights */
  ts_tensor *b; /* [1, SG_CLS] */
} sg_model;

typedef struct {
  int x0, y0;
  ts_tensor *mask; /* [SG_TILE*SG_TILE] int64 labels, the tile's */
} sg_tile;

// OK: a fixed classifier
static int sg_model_init(sg_model *m) {
  const float w[SG_CLS] = {-2.0f, 0.0f, 2.0f}, b[SG_CLS] = {1.0f, 0.0f, -1.0f};
  m->w = ts_from_buffer(w, TS_SHAPE(1, SG_CLS), TS_FLOAT32);
  m->b = ts_from_buffer(b, TS_SHAPE(1, SG_CLS), TS_FLOAT32);
  if (!m->w || !m->b) {
    if (m->w)
      ts_free(m->w);
    if (m->b)
      ts_free(m->b);
    return -1;
  }
  return 0;
}

// OK: frees the classifier
static void sg_model_free(sg_model *m) {
  ts_free(m->w);
  ts_free(m->b);
}

// OK: a gradient image, caller owns it
static ts_tensor *sg_image(void) {
  float px[SG_W * SG_W];
  for (int y = 0; y < SG_W; y++)
    for (int x = 0; x < SG_W; x++)
      px[y * SG_W + x] = (float)(x + y) / SG_W - 1.0f;
  return ts_from_buffer(px, TS_SHAPE(SG_W, SG_W), TS_FLOAT32);
}

// OK: labels of one tile, made under a guard scope and kept for the caller
static ts_tensor *sg_classify_tile(const sg_model *m, const ts_tensor *img, int x0, int y0) {
  TS_SCOPE_GUARD();
  ts_tensor *rows = ts_narrow(img, 0, y0, SG_TILE);
  ts_tensor *tile = ts_narrow(rows, 1, x0, SG_TILE);
  ts_tensor *flat = ts_reshape(ts_clone(tile), TS_SHAPE(SG_TILE * SG_TILE, 1));
  ts_tensor *logits = ts_add(ts_matmul(flat, m->w), m->b);
  return ts_keep(ts_argmax_dim(logits, 1));
}

// OK: writes a tile's labels into the map (later tiles overwrite the overlap)
static void sg_stitch(int64_t *map, const sg_tile *t) {
  int64_t lab[SG_TILE * SG_TILE];
  ts_copy_to_buffer(t->mask, lab, sizeof lab);
  for (int y = 0; y < SG_TILE; y++)
    for (int x = 0; x < SG_TILE; x++)
      map[(t->y0 + y) * SG_W + t->x0 + x] = lab[y * SG_TILE + x];
}

// OK: every tile classified and stitched, masks freed after use
static int sg_segment(const sg_model *m, const ts_tensor *img, int64_t *map) {
  int n = 0;
  for (int y0 = 0; y0 + SG_TILE <= SG_W; y0 += SG_STRIDE)
    for (int x0 = 0; x0 + SG_TILE <= SG_W; x0 += SG_STRIDE) {
      sg_tile t = {x0, y0, sg_classify_tile(m, img, x0, y0)};
      if (!t.mask)
        return -1;
      sg_stitch(map, &t);
      ts_free(t.mask);
      n++;
    }
  return n;
}

// OK: entry: segments the image and counts class 2 pixels
void sg_entry_segment(void) {
  sg_model m;
  if (sg_model_init(&m) != 0)
    return;
  ts_tensor *img = sg_image();
  int64_t map[SG_W * SG_W] = {0};
  int n = sg_segment(&m, img, map);
  int c2 = 0;
  for (int i = 0; i < SG_W * SG_W; i++)
    c2 += map[i] == 2;
  printf("%d tiles, %d class-2 pixels\n", n, c2);
  ts_free(img);
  sg_model_free(&m);
}

// BUG: leak: a tile whose mask is all background is skipped without freeing the mask
static int sg_segment_sparse(const sg_model *m, const ts_tensor *img, int64_t *map) {
  int n = 0;
  for (int y0 = 0; y0 + SG_TILE <= SG_W; y0 += SG_STRIDE)
    for (int x0 = 0; x0 + SG_TILE <= SG_W; x0 += SG_STRIDE) {
      sg_tile t = {x0, y0, sg_classify_tile(m, img, x0, y0)}; // <- BUG
      int64_t lab[SG_TILE * SG_TILE];
      ts_copy_to_buffer(t.mask, lab, sizeof lab);
      int any = 0;
      for (int i = 0; i < SG_TILE * SG_TILE; i++)
        any |= lab[i] != 0;
      if (!any)
        continue;
      sg_stitch(map, &t);
      ts_free(t.mask);
      n++;
    }
  return n;
}

// OK: entry: drives sg_segment_sparse (the top-left tiles are background)
void sg_entry_sparse(void) {
  sg_model m;
  if (sg_model_init(&m) != 0)
    return;
  ts_tensor *img = sg_image();
  int64_t map[SG_W * SG_W] = {0};
  printf("%d\n", sg_segment_sparse(&m, img, map));
  ts_free(img);
  sg_model_free(&m);
}

// BUG: use-after-scope: the tile logits made under the manual scope are read after ts_scope_end
static double sg_tile_confidence(const sg_model *m, const ts_tensor *img, int x0, int y0) {
  ts_scope_id s = ts_scope_begin();
  ts_tensor *rows = ts_narrow(img, 0, y0, SG_TILE);
  ts_tensor *tile = ts_narrow(rows, 1, x0, SG_TILE);
  ts_tensor *flat = ts_reshape(ts_clone(tile), TS_SHAPE(SG_TILE * SG_TILE, 1));
  ts_tensor *prob = ts_softmax(ts_add(ts_matmul(flat, m->w), m->b), 1);
  ts_scope_end(s);
  float p[SG_TILE * SG_TILE * SG_CLS];
  ts_copy_to_buffer(prob, p, sizeof p); // <- BUG
  float best = 0;
  for (int i = 0; i < SG_TILE * SG_TILE * SG_CLS; i++)
    best = p[i] > best ? p[i] : best;
  return best;
}

// OK: entry: drives sg_tile_confidence
void sg_entry_confidence(void) {
  sg_model m;
  if (sg_model_init(&m) != 0)
    return;
  ts_tensor *img = sg_image();
  printf("%.3f\n", sg_tile_confidence(&m, img, 0, 0));
  ts_free(img);
  sg_model_free(&m);
}

// BUG: leak: the stacked tile masks are made once per batch and never freed
static int sg_count_batch(const sg_model *m, const ts_tensor *img) {
  ts_tensor *masks[9];
  int n = 0;
  for (int y0 = 0; y0 + SG_TILE <= SG_W; y0 += SG_STRIDE)
    for (int x0 = 0; x0 + SG_TILE <= SG_W; x0 += SG_STRIDE)
      masks[n++] = sg_classify_tile(m, img, x0, y0);
  ts_tensor *all = ts_stack((const ts_tensor *const *)masks, n, 0); // <- BUG
  for (int i = 0; i < n; i++)
    ts_free(masks[i]);
  return (int)ts_numel(all);
}

// OK: entry: drives sg_count_batch
void sg_entry_batch(void) {
  sg_model m;
  if (sg_model_init(&m) != 0)
    return;
  ts_tensor *img = sg_image();
  printf("%d\n", sg_count_batch(&m, img));
  ts_free(img);
  sg_model_free(&m);
}

// BUG: use-after-free: the tile's mask is stitched after an early free on the overlap path
static void sg_stitch_owned(int64_t *map, sg_tile *t, int overlap_only) {
  if (overlap_only)
    ts_free(t->mask);
  sg_stitch(map, t); // <- BUG
  if (!overlap_only)
    ts_free(t->mask);
  t->mask = NULL;
}

// OK: entry: stitches one tile on the overlap path
void sg_entry_stitch_owned(void) {
  sg_model m;
  if (sg_model_init(&m) != 0)
    return;
  ts_tensor *img = sg_image();
  int64_t map[SG_W * SG_W] = {0};
  sg_tile t = {4, 4, sg_classify_tile(&m, img, 4, 4)};
  sg_stitch_owned(map, &t, 1);
  ts_free(img);
  sg_model_free(&m);
}

// BUG: use-after-scope: the class histogram is built in a guard-scoped block and read outside it
static int sg_majority(const ts_tensor *mask) {
  ts_tensor *hist;
  {
    TS_SCOPE_GUARD();
    ts_tensor *oh = ts_one_hot(mask, SG_CLS);
    hist = ts_sum_dim_IntList(oh, TS_SHAPE(0), false, TS_INT64);
  }
  int64_t h[SG_CLS];
  ts_copy_to_buffer(hist, h, sizeof h); // <- BUG
  int best = 0;
  for (int c = 1; c < SG_CLS; c++)
    if (h[c] > h[best])
      best = c;
  return best;
}

// OK: entry: majority class of a tile through sg_majority
void sg_entry_majority(void) {
  sg_model m;
  if (sg_model_init(&m) != 0)
    return;
  ts_tensor *img = sg_image();
  ts_tensor *mask = sg_classify_tile(&m, img, 6, 6);
  printf("%d\n", sg_majority(mask));
  ts_free(mask);
  ts_free(img);
  sg_model_free(&m);
}

// BUG: leak: the tile crop is cloned for padding and lost when the tile falls off the image
static ts_tensor *sg_classify_edge(const sg_model *m, const ts_tensor *img, int x0, int y0) {
  ts_tensor *padded = ts_zeros(TS_SHAPE(SG_W + SG_TILE, SG_W + SG_TILE), TS_FLOAT32); // <- BUG
  if (x0 + SG_TILE > SG_W || y0 + SG_TILE > SG_W)
    return NULL;
  ts_free(padded);
  return sg_classify_tile(m, img, x0, y0);
}

// OK: entry: a tile past the right edge
void sg_entry_edge(void) {
  sg_model m;
  if (sg_model_init(&m) != 0)
    return;
  ts_tensor *img = sg_image();
  ts_tensor *mask = sg_classify_edge(&m, img, 10, 0);
  if (mask)
    ts_free(mask);
  ts_free(img);
  sg_model_free(&m);
}
