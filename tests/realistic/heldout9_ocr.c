/* heldout9_ocr.c - an OCR line recogniser: a text line image is cut into
 * glyph segments (a linked list), each segment is matched against a glyph
 * template cache (open addressing by character), and the best matches are
 * joined into a string. Templates are learnt online from confirmed
 * characters. CamelCase names, error codes in an enum. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>

#define OCR_H 6
#define OCR_W 5
#define OCR_LINE 40
#define OCR_SLOTS 16

typedef enum { OcrOk = 0, OcrNoMem, OcrEmpty, OcrFull, OcrNoMatch } OcrStatus;

typedef struct OcrSeg {
  int x0, width;
  ts_tensor *pix; /* [OCR_H, OCR_W] */
  struct OcrSeg *next;
} OcrSeg;

typedef struct {
  char ch; /* 0: empty slot */
  int seen;
  ts_tensor *tmpl; /* [OCR_H, OCR_W] running mean */
} OcrSlot;

typedef struct {
  OcrSlot slot[OCR_SLOTS];
  int count;
} OcrCache;

// OK: a synthetic glyph bitmap for a character
static ts_tensor *ocrGlyph(char c) {
  float b[OCR_H * OCR_W];
  for (int i = 0; i < OCR_H * OCR_W; i++)
    b[i] = (float)(((c * 31 + i * 7) % 11) > 5);
  return ts_from_buffer(b, TS_SHAPE(OCR_H, OCR_W), TS_FLOAT32);
}

// OK: a line image [OCR_H, n*OCR_W] built from a string
static ts_tensor *ocrRenderLine(const char *text) {
  int n = (int)strlen(text);
  if (n == 0 || n * OCR_W > OCR_LINE)
    return NULL;
  ts_tensor *parts[OCR_LINE / OCR_W];
  for (int i = 0; i < n; i++)
    parts[i] = ocrGlyph(text[i]);
  float line[OCR_H * OCR_LINE];
  for (int i = 0; i < n; i++) {
    float g[OCR_H * OCR_W];
    ts_copy_to_buffer(parts[i], g, sizeof g);
    for (int r = 0; r < OCR_H; r++)
      memcpy(line + r * n * OCR_W + i * OCR_W, g + r * OCR_W, sizeof(float) * OCR_W);
    ts_free(parts[i]);
  }
  return ts_from_buffer(line, TS_SHAPE(OCR_H, n * OCR_W), TS_FLOAT32);
}

// OK: frees a segment list
static void ocrSegFree(OcrSeg *s) {
  while (s) {
    OcrSeg *n = s->next;
    ts_free(s->pix);
    free(s);
    s = n;
  }
}

// OK: cuts the line into fixed-width segments, list in order
static OcrStatus ocrSegment(const ts_tensor *line, OcrSeg **out) {
  *out = NULL;
  int64_t w = ts_size(line, 1);
  if (w <= 0)
    return OcrEmpty;
  OcrSeg **tail = out;
  float buf[OCR_H * OCR_LINE];
  ts_copy_to_buffer(line, buf, sizeof buf);
  for (int x = 0; x + OCR_W <= w; x += OCR_W) {
    OcrSeg *s = malloc(sizeof *s);
    if (!s) {
      ocrSegFree(*out);
      *out = NULL;
      return OcrNoMem;
    }
    float g[OCR_H * OCR_W];
    for (int r = 0; r < OCR_H; r++)
      memcpy(g + r * OCR_W, buf + r * w + x, sizeof(float) * OCR_W);
    s->x0 = x;
    s->width = OCR_W;
    s->pix = ts_from_buffer(g, TS_SHAPE(OCR_H, OCR_W), TS_FLOAT32);
    s->next = NULL;
    *tail = s;
    tail = &s->next;
  }
  return OcrOk;
}

// OK: the cache slot of a character (linear probing), NULL when full
static OcrSlot *ocrSlotFor(OcrCache *c, char ch, int create) {
  unsigned h = (unsigned char)ch % OCR_SLOTS;
  for (int k = 0; k < OCR_SLOTS; k++) {
    OcrSlot *s = &c->slot[(h + k) % OCR_SLOTS];
    if (s->ch == ch)
      return s;
    if (s->ch == 0) {
      if (!create)
        return NULL;
      s->ch = ch;
      c->count++;
      return s;
    }
  }
  return NULL;
}

// OK: learns a template: first sighting stores a copy, later ones update the mean
static OcrStatus ocrLearn(OcrCache *c, char ch, const ts_tensor *pix) {
  OcrSlot *s = ocrSlotFor(c, ch, 1);
  if (!s)
    return OcrFull;
  if (!s->tmpl) {
    s->tmpl = ts_clone(pix);
    s->seen = 1;
    return s->tmpl ? OcrOk : OcrNoMem;
  }
  ts_tensor *upd = NULL;
  TS_SCOPE {
    ts_tensor *d = ts_sub(pix, s->tmpl);
    upd = ts_keep(ts_add(s->tmpl, ts_mul_scalar(d, 1.0 / (s->seen + 1))));
  }
  ts_free(s->tmpl);
  s->tmpl = upd;
  s->seen++;
  return OcrOk;
}

// OK: frees every template
static void ocrCacheFree(OcrCache *c) {
  for (int i = 0; i < OCR_SLOTS; i++)
    if (c->slot[i].tmpl) {
      ts_free(c->slot[i].tmpl);
      c->slot[i].tmpl = NULL;
    }
  c->count = 0;
}

// OK: the best matching character for a segment (squared error), scoped
static char ocrMatch(const OcrCache *c, const ts_tensor *pix, double *err) {
  char best = '?';
  double be = 1e30;
  for (int i = 0; i < OCR_SLOTS; i++) {
    const OcrSlot *s = &c->slot[i];
    if (!s->tmpl)
      continue;
    double e;
    TS_SCOPE { e = ts_item(ts_mse_loss(pix, s->tmpl)); }
    if (e < be) {
      be = e;
      best = s->ch;
    }
  }
  *err = be;
  return best;
}

// OK: recognises a line into out (NUL-terminated)
static OcrStatus ocrRecognise(const OcrCache *c, const ts_tensor *line,
                              char *out, int cap) {
  OcrSeg *segs;
  OcrStatus st = ocrSegment(line, &segs);
  if (st != OcrOk)
    return st;
  int n = 0;
  for (OcrSeg *s = segs; s && n < cap - 1; s = s->next) {
    double e;
    out[n++] = ocrMatch(c, s->pix, &e);
  }
  out[n] = 0;
  ocrSegFree(segs);
  return OcrOk;
}

// OK: trains the cache on a line whose text is known
static OcrStatus ocrTrainLine(OcrCache *c, const char *text) {
  ts_tensor *line = ocrRenderLine(text);
  if (!line)
    return OcrEmpty;
  OcrSeg *segs;
  OcrStatus st = ocrSegment(line, &segs);
  ts_free(line);
  if (st != OcrOk)
    return st;
  int i = 0;
  for (OcrSeg *s = segs; s; s = s->next, i++)
    if ((st = ocrLearn(c, text[i], s->pix)) != OcrOk)
      break;
  ocrSegFree(segs);
  return st;
}

// OK: entry: train on two lines, recognise a third
void ocr_entry_roundtrip(void) {
  OcrCache c;
  memset(&c, 0, sizeof c);
  ocrTrainLine(&c, "hello");
  ocrTrainLine(&c, "world");
  ts_tensor *line = ocrRenderLine("lower");
  char out[16];
  if (line && ocrRecognise(&c, line, out, sizeof out) == OcrOk)
    printf("read: %s\n", out);
  if (line)
    ts_free(line);
  ocrCacheFree(&c);
}

// BUG: leak: when the line is too long the glyphs already made are not freed
static ts_tensor *ocrRenderChecked(const char *text, int maxw) {
  ts_tensor *parts[OCR_LINE / OCR_W];
  int n = 0;
  for (const char *p = text; *p; p++) {
    parts[n++] = ocrGlyph(*p); // <- BUG
    if (n * OCR_W > maxw)
      return NULL;
  }
  for (int i = 0; i < n; i++)
    ts_free(parts[i]);
  return ocrRenderLine(text);
}

// OK: entry: a line longer than the allowed width
void ocr_entry_render_long(void) {
  ts_tensor *l = ocrRenderChecked("abcdef", 20);
  if (l)
    ts_free(l);
}

// BUG: use-after-free: the first segment's pixels are read after the list was freed
static double ocrFirstInk(const ts_tensor *line) {
  OcrSeg *segs;
  if (ocrSegment(line, &segs) != OcrOk)
    return 0.0;
  ts_tensor *first = segs->pix;
  ocrSegFree(segs);
  ts_tensor *s = ts_sum(first); // <- BUG
  double v = ts_item(s);
  ts_free(s);
  return v;
}

// OK: entry: drives ocrFirstInk
void ocr_entry_first_ink(void) {
  ts_tensor *line = ocrRenderLine("ink");
  if (!line)
    return;
  printf("%.0f\n", ocrFirstInk(line));
  ts_free(line);
}

// BUG: double-free: a rejected template is freed but the slot still points at it, and ocrCacheFree frees it again
static OcrStatus ocrForget(OcrCache *c, char ch, int minSeen) {
  OcrSlot *s = ocrSlotFor(c, ch, 0);
  if (!s || !s->tmpl)
    return OcrNoMatch;
  if (s->seen < minSeen)
    ts_free(s->tmpl); // <- BUG
  return OcrOk;
}

// OK: entry: forget a rarely seen character, then free the cache
void ocr_entry_forget(void) {
  OcrCache c;
  memset(&c, 0, sizeof c);
  ocrTrainLine(&c, "abc");
  ocrForget(&c, 'b', 2);
  ocrCacheFree(&c);
}

// OK: forget that clears the slot's template
static OcrStatus ocrForgetOk(OcrCache *c, char ch, int minSeen) {
  OcrSlot *s = ocrSlotFor(c, ch, 0);
  if (!s || !s->tmpl)
    return OcrNoMatch;
  if (s->seen < minSeen) {
    ts_free(s->tmpl);
    s->tmpl = NULL;
    s->seen = 0;
  }
  return OcrOk;
}

// OK: entry: forget then retrain, recognising afterwards
void ocr_entry_forget_ok(void) {
  OcrCache c;
  memset(&c, 0, sizeof c);
  ocrTrainLine(&c, "abc");
  ocrForgetOk(&c, 'b', 2);
  ocrForgetOk(&c, 'z', 2);
  ocrTrainLine(&c, "bb");
  ts_tensor *line = ocrRenderLine("cab");
  char out[8];
  if (line) {
    ocrRecognise(&c, line, out, sizeof out);
    ts_free(line);
  }
  ocrCacheFree(&c);
}

// BUG: leak: a full cache makes ocrLearn fail and the line's segment list is left behind
static OcrStatus ocrTrainStrict(OcrCache *c, const char *text) {
  ts_tensor *line = ocrRenderLine(text);
  if (!line)
    return OcrEmpty;
  OcrSeg *segs;
  OcrStatus st = ocrSegment(line, &segs);
  ts_free(line);
  if (st != OcrOk)
    return st;
  int i = 0;
  for (OcrSeg *s = segs; s; s = s->next, i++)
    if ((st = ocrLearn(c, text[i], s->pix)) != OcrOk)
      return st; // <- BUG
  ocrSegFree(segs);
  return OcrOk;
}

// OK: entry: more distinct characters than slots through ocrTrainStrict
void ocr_entry_train_full(void) {
  OcrCache c;
  memset(&c, 0, sizeof c);
  ocrTrainStrict(&c, "abcdefgh");
  ocrTrainStrict(&c, "ijklmnop");
  ocrTrainStrict(&c, "qrs");
  ocrCacheFree(&c);
}

// BUG: unescaped-return: the contrast-stretched line is returned from TS_SCOPED without ts_escape on the early path
TS_SCOPED static ts_tensor *ocrBinarise(const ts_tensor *line, double thr) {
  ts_tensor *shifted = ts_add_scalar(line, -thr);
  if (thr <= 0.0)
    return ts_clone(line); // <- BUG
  return ts_escape(ts_relu(ts_mul_scalar(shifted, 1e6)));
}

// OK: entry: binarise with a zero threshold and recognise
void ocr_entry_binarise(void) {
  OcrCache c;
  memset(&c, 0, sizeof c);
  ocrTrainLine(&c, "ab");
  ts_tensor *line = ocrRenderLine("ab");
  if (!line) {
    ocrCacheFree(&c);
    return;
  }
  ts_tensor *bin = ocrBinarise(line, 0.0);
  char out[8];
  ocrRecognise(&c, bin, out, sizeof out);
  ts_free(bin);
  ts_free(line);
  ocrCacheFree(&c);
}

// OK: binarise that escapes the result on both paths
TS_SCOPED static ts_tensor *ocrBinariseOk(const ts_tensor *line, double thr) {
  if (thr <= 0.0)
    return ts_escape(ts_clone(line));
  ts_tensor *shifted = ts_add_scalar(line, -thr);
  return ts_escape(ts_relu(ts_mul_scalar(shifted, 1e6)));
}

// OK: entry: both thresholds through ocrBinariseOk
void ocr_entry_binarise_ok(void) {
  ts_tensor *line = ocrRenderLine("xy");
  if (!line)
    return;
  const double thr[2] = {0.0, 0.5};
  for (int i = 0; i < 2; i++) {
    ts_tensor *bin = ocrBinariseOk(line, thr[i]);
    if (!bin)
      continue;
    ts_tensor *ink = ts_sum(bin);
    printf("%.0f\n", ts_item(ink));
    ts_free(ink);
    ts_free(bin);
  }
  ts_free(line);
}

// BUG: use-after-scope: the error map of the block is read after it ended
static double ocrWorstSegment(const OcrCache *c, const ts_tensor *line) {
  OcrSeg *segs;
  if (ocrSegment(line, &segs) != OcrOk)
    return -1.0;
  ts_tensor *errs = NULL;
  TS_SCOPE {
    float e[OCR_LINE / OCR_W];
    int n = 0;
    for (OcrSeg *s = segs; s; s = s->next) {
      double er;
      ocrMatch(c, s->pix, &er);
      e[n++] = (float)er;
    }
    errs = ts_from_buffer(e, TS_SHAPE(n), TS_FLOAT32);
  }
  ocrSegFree(segs);
  ts_tensor *w = ts_argmax(errs); // <- BUG
  double v = ts_item(w);
  ts_free(w);
  return v;
}

// OK: entry: drives ocrWorstSegment
void ocr_entry_worst(void) {
  OcrCache c;
  memset(&c, 0, sizeof c);
  ocrTrainLine(&c, "cat");
  ts_tensor *line = ocrRenderLine("act");
  if (line) {
    printf("%.0f\n", ocrWorstSegment(&c, line));
    ts_free(line);
  }
  ocrCacheFree(&c);
}

// OK: splits a segment in two halves of a wider list (the old node's pixels freed)
static OcrStatus ocrSplitWide(OcrSeg *s) {
  float g[OCR_H * OCR_W];
  ts_copy_to_buffer(s->pix, g, sizeof g);
  OcrSeg *r = malloc(sizeof *r);
  if (!r)
    return OcrNoMem;
  float a[OCR_H * OCR_W] = {0}, b[OCR_H * OCR_W] = {0};
  for (int y = 0; y < OCR_H; y++)
    for (int x = 0; x < OCR_W; x++)
      (x < OCR_W / 2 ? a : b)[y * OCR_W + x] = g[y * OCR_W + x];
  ts_tensor *na = ts_from_buffer(a, TS_SHAPE(OCR_H, OCR_W), TS_FLOAT32);
  r->pix = ts_from_buffer(b, TS_SHAPE(OCR_H, OCR_W), TS_FLOAT32);
  r->x0 = s->x0 + OCR_W / 2;
  r->width = OCR_W - OCR_W / 2;
  r->next = s->next;
  ts_free(s->pix);
  s->pix = na;
  s->width = OCR_W / 2;
  s->next = r;
  return OcrOk;
}

// OK: entry: every segment split once
void ocr_entry_split(void) {
  ts_tensor *line = ocrRenderLine("split");
  if (!line)
    return;
  OcrSeg *segs;
  if (ocrSegment(line, &segs) == OcrOk) {
    for (OcrSeg *s = segs; s; s = s->next->next)
      if (ocrSplitWide(s) != OcrOk)
        break;
    int n = 0;
    for (OcrSeg *s = segs; s; s = s->next)
      n++;
    printf("%d pieces\n", n);
    ocrSegFree(segs);
  }
  ts_free(line);
}

// BUG: use-after-free: the old pixels of the split node are compared after ocrSplitWide freed them
static double ocrSplitLoss(OcrSeg *s) {
  ts_tensor *before = s->pix;
  if (ocrSplitWide(s) != OcrOk)
    return -1.0;
  ts_tensor *l = ts_mse_loss(before, s->pix); // <- BUG
  double v = ts_item(l);
  ts_free(l);
  return v;
}

// OK: entry: drives ocrSplitLoss on the first segment
void ocr_entry_split_loss(void) {
  ts_tensor *line = ocrRenderLine("ab");
  if (!line)
    return;
  OcrSeg *segs;
  if (ocrSegment(line, &segs) == OcrOk) {
    printf("%.3f\n", ocrSplitLoss(segs));
    ocrSegFree(segs);
  }
  ts_free(line);
}

// BUG: double-free: merging two segments frees the second's pixels and then frees the node list including them
static void ocrMergeNext(OcrSeg *s) {
  OcrSeg *n = s->next;
  if (!n)
    return;
  ts_tensor *sum = ts_add(s->pix, n->pix);
  ts_free(s->pix);
  s->pix = sum;
  ts_free(n->pix);
  s->next = n->next;
  n->next = NULL;
  ocrSegFree(n); // <- BUG
}

// OK: entry: merges the first two segments
void ocr_entry_merge(void) {
  ts_tensor *line = ocrRenderLine("abc");
  if (!line)
    return;
  OcrSeg *segs;
  if (ocrSegment(line, &segs) == OcrOk) {
    ocrMergeNext(segs);
    ocrSegFree(segs);
  }
  ts_free(line);
}

// BUG: leak: a confidence tensor per character is made and dropped when the match is rejected
static int ocrConfident(const OcrCache *c, const ts_tensor *line, double maxErr) {
  OcrSeg *segs;
  if (ocrSegment(line, &segs) != OcrOk)
    return 0;
  int ok = 0;
  for (OcrSeg *s = segs; s; s = s->next) {
    double e;
    ocrMatch(c, s->pix, &e);
    ts_tensor *conf = ts_full(TS_SHAPE(1), TS_FLOAT32, 1.0 / (1.0 + e)); // <- BUG
    if (e > maxErr)
      continue;
    ok += ts_item(conf) > 0.5;
    ts_free(conf);
  }
  ocrSegFree(segs);
  return ok;
}

// OK: entry: a strict confidence bound so some matches are rejected
void ocr_entry_confident(void) {
  OcrCache c;
  memset(&c, 0, sizeof c);
  ocrTrainLine(&c, "ab");
  ts_tensor *line = ocrRenderLine("abz");
  if (line) {
    printf("%d confident\n", ocrConfident(&c, line, 0.01));
    ts_free(line);
  }
  ocrCacheFree(&c);
}
