/*
 * heldout10_raster.c - a small software compositor: a framebuffer of colour
 * and depth, a stack of alpha layers flattened into one image, shader passes
 * chained through function pointers, sprite tiles recycled through a pool,
 * tiles rendered in scopes, scanlines gathered in a scoped loop, bounding
 * boxes through out-parameters.
 *
 * Labels (see README.md): `// OK: why` or `// BUG: check: why` on the line
 * before each function; the line of the bug itself ends in `// <- BUG`.
 */
#include <stdio.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { H = 8, W = 8, TILE = 4, LAYERS = 4 };

typedef struct {
  ts_tensor *color; /* [H, W] */
  ts_tensor *depth; /* [H, W] */
  int h, w;
} framebuffer;

typedef struct {
  ts_tensor *img[LAYERS];
  double alpha[LAYERS];
  int n;
} layer_stack;

typedef ts_tensor *(*shader)(const ts_tensor *in, double param);

// OK: colour then depth, colour freed if depth fails
static int fb_init(framebuffer *fb, int h, int w) {
  fb->h = h;
  fb->w = w;
  fb->color = ts_zeros(TS_SHAPE(h, w), TS_FLOAT32);
  if (!fb->color)
    return -1;
  fb->depth = ts_full(TS_SHAPE(h, w), TS_FLOAT32, 1e9);
  if (!fb->depth) {
    ts_free(fb->color);
    return -1;
  }
  return 0;
}

// OK: frees both planes
static void fb_free(framebuffer *fb) {
  ts_free(fb->color);
  ts_free(fb->depth);
}

// OK: new planes of the new size replace the old ones, both freed
static void fb_resize(framebuffer *fb, int h, int w) {
  ts_tensor *c = ts_zeros(TS_SHAPE(h, w), TS_FLOAT32);
  ts_tensor *d = ts_full(TS_SHAPE(h, w), TS_FLOAT32, 1e9);
  ts_free(fb->color);
  ts_free(fb->depth);
  fb->color = c;
  fb->depth = d;
  fb->h = h;
  fb->w = w;
}

// BUG: leak: the old depth plane is overwritten without being freed
static void fb_resize_colour_first(framebuffer *fb, int h, int w) {
  ts_tensor *c = ts_zeros(TS_SHAPE(h, w), TS_FLOAT32);
  ts_free(fb->color);
  fb->color = c;
  fb->depth = ts_full(TS_SHAPE(h, w), TS_FLOAT32, 1e9); // <- BUG
  fb->h = h;
  fb->w = w;
}

// OK: resize twice, free
void rast_resize(void) {
  framebuffer fb;
  if (fb_init(&fb, H, W) != 0)
    return;
  fb_resize(&fb, H / 2, W);
  fb_resize(&fb, H, W);
  printf("fb %dx%d\n", fb.h, fb.w);
  fb_free(&fb);
}

// OK: resize through the colour-first helper
void rast_resize_colour_first(void) {
  framebuffer fb;
  if (fb_init(&fb, H, W) != 0)
    return;
  fb_resize_colour_first(&fb, H, W / 2);
  fb_free(&fb);
}

// OK: the stack takes the layer; a full stack frees it and says so
static int layer_push(layer_stack *s, ts_tensor *img, double alpha) {
  if (s->n == LAYERS) {
    ts_free(img);
    return -1;
  }
  s->img[s->n] = img;
  s->alpha[s->n++] = alpha;
  return 0;
}

// OK: frees every layer
static void layers_free(layer_stack *s) {
  while (s->n > 0)
    ts_free(s->img[--s->n]);
}

// OK: back-to-front "over" compositing; every intermediate freed
static ts_tensor *flatten(const layer_stack *s) {
  ts_tensor *out = ts_zeros(TS_SHAPE(H, W), TS_FLOAT32);
  for (int k = 0; k < s->n; k++) {
    ts_tensor *keep = ts_mul_scalar(out, 1.0 - s->alpha[k]);
    ts_tensor *add = ts_mul_scalar(s->img[k], s->alpha[k]);
    ts_tensor *next = ts_add(keep, add);
    ts_free(add);
    ts_free(keep);
    ts_free(out);
    out = next;
  }
  return out;
}

// BUG: leak: the faded background of each layer is never freed
static ts_tensor *flatten_fast(const layer_stack *s) {
  ts_tensor *out = ts_zeros(TS_SHAPE(H, W), TS_FLOAT32);
  for (int k = 0; k < s->n; k++) {
    ts_tensor *add = ts_mul_scalar(s->img[k], s->alpha[k]);
    ts_tensor *next =
        ts_add(ts_mul_scalar(out, 1.0 - s->alpha[k]), add); // <- BUG
    ts_free(add);
    ts_free(out);
    out = next;
  }
  return out;
}

// OK: five pushes into four slots, flattened, freed
void rast_composite(void) {
  layer_stack s = {{NULL}, {0}, 0};
  for (int k = 0; k < 5; k++)
    if (layer_push(&s, ts_rand(TS_SHAPE(H, W), TS_FLOAT32), 0.5) != 0)
      printf("layer %d dropped\n", k);
  ts_tensor *img = flatten(&s);
  ts_tensor *m = ts_mean(img);
  printf("composite %.3f\n", ts_item(m));
  ts_free(m);
  ts_free(img);
  layers_free(&s);
}

// OK: the fast flatten
void rast_composite_fast(void) {
  layer_stack s = {{NULL}, {0}, 0};
  for (int k = 0; k < 2; k++)
    layer_push(&s, ts_rand(TS_SHAPE(H, W), TS_FLOAT32), 0.3);
  ts_tensor *img = flatten_fast(&s);
  ts_free(img);
  layers_free(&s);
}

// BUG: double-free: the top layer is freed after the push that stored it, and
// layers_free frees it again
void rast_composite_overlay(void) {
  layer_stack s = {{NULL}, {0}, 0};
  layer_push(&s, ts_rand(TS_SHAPE(H, W), TS_FLOAT32), 1.0);
  ts_tensor *overlay = ts_full(TS_SHAPE(H, W), TS_FLOAT32, 0.2);
  layer_push(&s, overlay, 0.5);
  ts_tensor *img = flatten(&s);
  ts_free(overlay);
  ts_free(img);
  layers_free(&s); // <- BUG
}

// OK: a blur-like pass: the mean of the image and its transpose
static ts_tensor *soften(const ts_tensor *in, double amount) {
  ts_tensor *t = ts_transpose(in, 0, 1);
  ts_tensor *s = ts_add(in, t);
  ts_tensor *out = ts_mul_scalar(s, 0.5 * amount);
  ts_free(s);
  ts_free(t);
  return out;
}

// OK: gamma-like brightening
static ts_tensor *brighten(const ts_tensor *in, double amount) {
  ts_tensor *up = ts_add_scalar(in, amount);
  ts_tensor *out = ts_clamp(up, 0.0, 1.0);
  ts_free(up);
  return out;
}

// OK: runs the passes; each intermediate is freed once the next exists, the
// input is only borrowed
static ts_tensor *run_passes(const ts_tensor *in, const shader *passes, int n,
                             double param) {
  ts_tensor *cur = NULL;
  for (int k = 0; k < n; k++) {
    ts_tensor *next = passes[k](cur ? cur : in, param);
    if (cur)
      ts_free(cur);
    cur = next;
  }
  return cur;
}

// BUG: double-free: the first pass frees the borrowed input, which its caller
// frees too
static ts_tensor *run_passes_eager(ts_tensor *in, const shader *passes, int n,
                                   double param) {
  ts_tensor *cur = in;
  for (int k = 0; k < n; k++) {
    ts_tensor *next = passes[k](cur, param);
    ts_free(cur); // <- BUG
    cur = next;
  }
  return cur;
}

// OK: two passes over an image the caller frees
void rast_shaders(void) {
  shader passes[] = {soften, brighten};
  ts_tensor *img = ts_rand(TS_SHAPE(H, W), TS_FLOAT32);
  ts_tensor *out = run_passes(img, passes, 2, 0.2);
  ts_tensor *m = ts_mean(out);
  printf("shaded %.3f\n", ts_item(m));
  ts_free(m);
  ts_free(out);
  ts_free(img);
}

// OK: the eager chain over an image this function made and frees
void rast_shaders_eager(void) {
  shader passes[] = {brighten, soften};
  ts_tensor *img = ts_rand(TS_SHAPE(H, W), TS_FLOAT32);
  ts_tensor *out = run_passes_eager(img, passes, 2, 0.1);
  ts_free(out);
  ts_free(img);
}

// OK: a tile from the pool or a new one
static ts_tensor *get_tile(ts_pool *p) {
  ts_tensor *t = ts_pool_acquire(p, TS_SHAPE(TILE, TILE), TS_FLOAT32);
  return t ? t : ts_zeros(TS_SHAPE(TILE, TILE), TS_FLOAT32);
}

// OK: checks the tile position before taking a tile; the tile goes back
static int blit_tile_checked(ts_pool *p, framebuffer *fb, int tx) {
  if (tx < 0 || (tx + 1) * TILE > fb->w)
    return -1;
  ts_tensor *tile = get_tile(p);
  ts_tensor *s = ts_sum(tile);
  printf("tile %d %.1f\n", tx, ts_item(s));
  ts_free(s);
  ts_pool_release(p, tile);
  return 0;
}

// BUG: leak: a tile outside the framebuffer is refused after the tile was
// taken, and it never goes back
static int blit_tile(ts_pool *p, framebuffer *fb, int tx) {
  ts_tensor *tile = get_tile(p);
  if ((tx + 1) * TILE > fb->w)
    return -1; // <- BUG
  ts_tensor *s = ts_sum(tile);
  printf("tile %d %.1f\n", tx, ts_item(s));
  ts_free(s);
  ts_pool_release(p, tile);
  return 0;
}

// OK: tiles in and out of range through the checked blit
void rast_tiles(void) {
  framebuffer fb;
  if (fb_init(&fb, H, W) != 0)
    return;
  ts_pool *p = ts_pool_new(4);
  for (int tx = 0; tx < 4; tx++)
    if (blit_tile_checked(p, &fb, tx) != 0)
      printf("tile %d outside\n", tx);
  ts_pool_destroy(p);
  fb_free(&fb);
}

// OK: the unchecked blit past the edge
void rast_tiles_edge(void) {
  framebuffer fb;
  if (fb_init(&fb, H, W) != 0)
    return;
  ts_pool *p = ts_pool_new(4);
  blit_tile(p, &fb, 0);
  if (blit_tile(p, &fb, 5) != 0)
    printf("tile outside\n");
  ts_pool_destroy(p);
  fb_free(&fb);
}

// BUG: use-after-free: the tile is summed after it went back to the pool
void rast_tile_after_release(void) {
  ts_pool *p = ts_pool_new(4);
  ts_tensor *tile = get_tile(p);
  ts_tensor *lit = ts_add_scalar(tile, 1.0);
  ts_pool_release(p, tile);
  ts_tensor *s = ts_sum(tile); // <- BUG
  printf("tile %.1f\n", ts_item(s));
  ts_free(s);
  ts_free(lit);
  ts_pool_destroy(p);
}

// OK: the tile's top-left corner, escaped out of the function's scope
TS_SCOPED static ts_tensor *render_tile(const framebuffer *fb, int ty, int tx) {
  ts_tensor *rows = ts_narrow(fb->color, 0, ty * TILE, TILE);
  ts_tensor *tile = ts_narrow(rows, 1, tx * TILE, TILE);
  return ts_escape(ts_add_scalar(tile, 0.5));
}

// BUG: unescaped-return: the flattened tile is made in the function's scope
// and returned without ts_escape
TS_SCOPED static ts_tensor *render_tile_flat(const framebuffer *fb, int ty) {
  ts_tensor *rows = ts_narrow(fb->color, 0, ty * TILE, TILE);
  ts_tensor *tile = ts_narrow(rows, 1, 0, TILE);
  return ts_reshape(tile, TS_SHAPE(TILE * TILE)); // <- BUG
}

// OK: renders a tile, uses and frees it
void rast_render_tile(void) {
  framebuffer fb;
  if (fb_init(&fb, H, W) != 0)
    return;
  ts_tensor *t = render_tile(&fb, 1, 1);
  ts_tensor *m = ts_mean(t);
  printf("tile mean %.3f\n", ts_item(m));
  ts_free(m);
  ts_free(t);
  fb_free(&fb);
}

// OK: uses the flat tile
void rast_render_tile_flat(void) {
  framebuffer fb;
  if (fb_init(&fb, H, W) != 0)
    return;
  ts_tensor *t = render_tile_flat(&fb, 0);
  printf("flat tile %lld\n", (long long)ts_numel(t));
  ts_tensor *m = ts_mean(t);
  printf("flat mean %.3f\n", ts_item(m));
  ts_free(m);
  ts_free(t);
  fb_free(&fb);
}

// BUG: use-after-scope: the scanlines are made in the loop's scopes and
// stacked after it
void rast_scanlines(void) {
  framebuffer fb;
  if (fb_init(&fb, H, W) != 0)
    return;
  ts_tensor *rows[H];
  TS_SCOPE for (int r = 0; r < H; r++) {
    rows[r] = ts_add_scalar(ts_select_int(fb.color, 0, r), r);
  }
  ts_tensor *img = ts_stack((const ts_tensor **)rows, H, 0); // <- BUG
  ts_free(img);
  fb_free(&fb);
}

// OK: each scanline escapes its iteration and is freed after stacking
void rast_scanlines_ok(void) {
  framebuffer fb;
  if (fb_init(&fb, H, W) != 0)
    return;
  ts_tensor *rows[H];
  TS_SCOPE for (int r = 0; r < H; r++) {
    rows[r] = ts_escape(ts_add_scalar(ts_select_int(fb.color, 0, r), r));
  }
  ts_tensor *img = ts_stack((const ts_tensor **)rows, H, 0);
  for (int r = 0; r < H; r++)
    ts_free(rows[r]);
  ts_tensor *m = ts_mean(img);
  printf("ramp %.3f\n", ts_item(m));
  ts_free(m);
  ts_free(img);
  fb_free(&fb);
}

// OK: a sprite from raw pixels, or NULL when the size is wrong (nothing made)
static ts_tensor *load_sprite(const float *px, int n) {
  if (n != TILE * TILE)
    return NULL;
  return ts_from_buffer(px, TS_SHAPE(TILE, TILE), TS_FLOAT32);
}

// BUG: leak: the pixels are copied into a tensor before the size check, which
// returns NULL without freeing it
static ts_tensor *load_sprite_flat(const float *px, int n) {
  ts_tensor *flat = ts_from_buffer(px, TS_SHAPE(n), TS_FLOAT32); // <- BUG
  if (n != TILE * TILE)
    return NULL;
  ts_tensor *sprite = ts_reshape(flat, TS_SHAPE(TILE, TILE));
  ts_free(flat);
  return sprite;
}

// OK: a good sprite and a short one
void rast_sprites(void) {
  float px[TILE * TILE];
  for (int k = 0; k < TILE * TILE; k++)
    px[k] = k / 16.0f;
  ts_tensor *a = load_sprite(px, TILE * TILE);
  ts_tensor *b = load_sprite(px, 3);
  printf("sprites %d %d\n", a != NULL, b != NULL);
  if (a)
    ts_free(a);
}

// OK: a good sprite and a short one through the flat loader
void rast_sprites_flat(void) {
  float px[TILE * TILE];
  for (int k = 0; k < TILE * TILE; k++)
    px[k] = k / 16.0f;
  ts_tensor *c = load_sprite_flat(px, TILE * TILE);
  if (c)
    ts_free(c);
  ts_tensor *d = load_sprite_flat(px, 5);
  if (d)
    ts_free(d);
}

// OK: takes the fragment's depth and colour: writes the nearer ones, frees both
static void zbuffer_write(framebuffer *fb, ts_tensor *frag_depth,
                          ts_tensor *frag_color) {
  ts_tensor *nearer = ts_lt_Tensor(frag_depth, fb->depth);
  ts_tensor *c = ts_where_self(nearer, frag_color, fb->color);
  ts_tensor *d = ts_where_self(nearer, frag_depth, fb->depth);
  ts_free(nearer);
  ts_free(fb->color);
  ts_free(fb->depth);
  fb->color = c;
  fb->depth = d;
  ts_free(frag_depth);
  ts_free(frag_color);
}

// OK: two fragments handed to the z-buffer
void rast_zbuffer(void) {
  framebuffer fb;
  if (fb_init(&fb, H, W) != 0)
    return;
  for (int k = 0; k < 2; k++)
    zbuffer_write(&fb, ts_rand(TS_SHAPE(H, W), TS_FLOAT32),
                  ts_full(TS_SHAPE(H, W), TS_FLOAT32, k + 1));
  ts_tensor *m = ts_mean(fb.color);
  printf("colour %.3f\n", ts_item(m));
  ts_free(m);
  fb_free(&fb);
}

// BUG: double-free: the fragment colour was taken by zbuffer_write and is
// freed again
void rast_zbuffer_cleanup(void) {
  framebuffer fb;
  if (fb_init(&fb, H, W) != 0)
    return;
  ts_tensor *depth = ts_rand(TS_SHAPE(H, W), TS_FLOAT32);
  ts_tensor *color = ts_ones(TS_SHAPE(H, W), TS_FLOAT32);
  zbuffer_write(&fb, depth, color);
  ts_free(color); // <- BUG
  fb_free(&fb);
}

// BUG: use-after-free: the snapshot copies the struct, not the planes, which
// the resize frees
void rast_snapshot(void) {
  framebuffer fb;
  if (fb_init(&fb, H, W) != 0)
    return;
  framebuffer snap = fb;
  fb_resize(&fb, H, W);
  ts_tensor *m = ts_mean(snap.color); // <- BUG
  printf("before %.3f\n", ts_item(m));
  ts_free(m);
  fb_free(&fb);
}

// OK: the snapshot clones the colour plane
void rast_snapshot_ok(void) {
  framebuffer fb;
  if (fb_init(&fb, H, W) != 0)
    return;
  ts_tensor *before = ts_clone(fb.color);
  fb_resize(&fb, H, W);
  ts_tensor *m = ts_mean(before);
  printf("before %.3f\n", ts_item(m));
  ts_free(m);
  ts_free(before);
  fb_free(&fb);
}

// OK: the final image is kept out of the block's scope and freed by hand
void rast_present(void) {
  framebuffer fb;
  if (fb_init(&fb, H, W) != 0)
    return;
  ts_tensor *frame = NULL;
  TS_SCOPE {
    ts_tensor *lit = brighten(fb.color, 0.25);
    frame = ts_keep(soften(lit, 1.0));
  }
  ts_tensor *m = ts_mean(frame);
  printf("frame %.3f\n", ts_item(m));
  ts_free(m);
  ts_free(frame);
  fb_free(&fb);
}
