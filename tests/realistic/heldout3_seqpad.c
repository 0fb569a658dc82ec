/* heldout3_seqpad.c - variable-length sequences: padding into batches with
 * masks, masked mean pooling, truncation, length buckets, unpadding into
 * views, packing, position indices in the caller's scope.
 * Labels: tests/realistic/README.md. */
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { MAXS = 6, DE = 3 };

struct seqs {
  ts_tensor *items[MAXS]; /* [len_i, DE], owned */
  int64_t len[MAXS];
  int n;
};

struct batch {
  ts_tensor *padded; /* [n, maxlen, DE] */
  ts_tensor *mask;   /* bool [n, maxlen] */
  int64_t maxlen;
};

// OK: prints a sum from a guard scope
static void show_sum(const char *what, const ts_tensor *t) {
  TS_SCOPE_GUARD();
  printf("%s %.4f\n", what, ts_item(ts_sum(t)));
}

// OK: n sequences of the given lengths
static void seqs_make(struct seqs *s, const int64_t *lens, int n) {
  s->n = n;
  for (int i = 0; i < n; i++) {
    s->len[i] = lens[i];
    s->items[i] = ts_randn(TS_SHAPE(lens[i], DE), TS_FLOAT32);
  }
}

// OK: frees every sequence
static void seqs_free(struct seqs *s) {
  for (int i = 0; i < s->n; i++)
    ts_free(s->items[i]);
  s->n = 0;
}

// OK: the longest length
static int64_t max_len(const struct seqs *s) {
  int64_t m = 0;
  for (int i = 0; i < s->n; i++)
    if (s->len[i] > m)
      m = s->len[i];
  return m;
}

// OK: pads to the longest length and stacks; items already that long are
// used as they are (borrowed), only the padded copies are freed
static struct batch pad_batch(const struct seqs *s) {
  struct batch b = {NULL, NULL, max_len(s)};
  ts_tensor *rows[MAXS];
  for (int i = 0; i < s->n; i++)
    rows[i] =
        s->len[i] == b.maxlen
            ? s->items[i]
            : ts_constant_pad_nd(s->items[i],
                                 TS_SHAPE(0, 0, 0, b.maxlen - s->len[i]), 0.0);
  b.padded = ts_stack((const ts_tensor *const *)rows, s->n, 0);
  for (int i = 0; i < s->n; i++)
    if (rows[i] != s->items[i])
      ts_free(rows[i]);
  ts_tensor *lens = ts_from_buffer(s->len, TS_SHAPE(s->n, 1), TS_INT64);
  ts_tensor *pos = ts_arange(0, b.maxlen, 1, TS_INT64);
  b.mask = ts_lt_Tensor(pos, lens);
  ts_free(pos);
  ts_free(lens);
  return b;
}

// OK: frees a batch
static void batch_free(struct batch *b) {
  ts_free(b->padded);
  ts_free(b->mask);
}

// OK: pads a batch and prints it
void seq_pad(void) {
  const int64_t lens[] = {3, 5, 2, 5};
  struct seqs s;
  seqs_make(&s, lens, 4);
  struct batch b = pad_batch(&s);
  show_sum("padded", b.padded);
  show_sum("mask", b.mask);
  batch_free(&b);
  seqs_free(&s);
}

// BUG: double-free: the cleanup frees every row, including the sequences
// used without padding, which the caller frees again
static ts_tensor *pad_stack_naive(const struct seqs *s) {
  int64_t m = max_len(s);
  ts_tensor *rows[MAXS];
  for (int i = 0; i < s->n; i++)
    rows[i] = s->len[i] == m
                  ? s->items[i]
                  : ts_constant_pad_nd(s->items[i],
                                       TS_SHAPE(0, 0, 0, m - s->len[i]), 0.0);
  ts_tensor *out = ts_stack((const ts_tensor *const *)rows, s->n, 0);
  for (int i = 0; i < s->n; i++)
    ts_free(rows[i]); // <- BUG
  return out;
}

// OK: drives the naive padding (the helper frees what it borrowed)
void seq_pad_naive(void) {
  const int64_t lens[] = {2, 4};
  struct seqs s;
  seqs_make(&s, lens, 2);
  ts_tensor *p = pad_stack_naive(&s);
  show_sum("naive", p);
  ts_free(p);
  seqs_free(&s);
}

// OK: the mean over valid positions [n, DE]
static ts_tensor *masked_mean(const struct batch *b) {
  ts_tensor *m = ts_unsqueeze(b->mask, 2);
  ts_tensor *mf = ts_to_dtype(m, TS_FLOAT32, false, false);
  ts_free(m);
  ts_tensor *x = ts_mul(b->padded, mf);
  ts_tensor *sum = ts_sum_dim_IntList(x, TS_SHAPE(1), false, TS_NO_DTYPE);
  ts_free(x);
  ts_tensor *cnt = ts_sum_dim_IntList(mf, TS_SHAPE(1), false, TS_NO_DTYPE);
  ts_free(mf);
  ts_div_Tensor_(sum, cnt);
  ts_free(cnt);
  return sum;
}

// OK: pooled features of a padded batch
void seq_pool(void) {
  const int64_t lens[] = {1, 4, 3};
  struct seqs s;
  seqs_make(&s, lens, 3);
  struct batch b = pad_batch(&s);
  ts_tensor *pooled = masked_mean(&b);
  show_sum("pooled", pooled);
  ts_free(pooled);
  batch_free(&b);
  seqs_free(&s);
}

// BUG: use-after-free: the float mask is freed before the counts are taken
// from it
static ts_tensor *masked_max_mean(const struct batch *b) {
  ts_tensor *m = ts_unsqueeze(b->mask, 2);
  ts_tensor *mf = ts_to_dtype(m, TS_FLOAT32, false, false);
  ts_free(m);
  ts_tensor *x = ts_mul(b->padded, mf);
  ts_free(mf);
  ts_tensor *sum = ts_sum_dim_IntList(x, TS_SHAPE(1), false, TS_NO_DTYPE);
  ts_free(x);
  ts_tensor *cnt =
      ts_sum_dim_IntList(mf, TS_SHAPE(1), false, TS_NO_DTYPE); // <- BUG
  ts_div_Tensor_(sum, cnt);
  ts_free(cnt);
  return sum;
}

// OK: drives the reordered pooling (the helper is wrong)
void seq_pool_reordered(void) {
  const int64_t lens[] = {2, 3};
  struct seqs s;
  seqs_make(&s, lens, 2);
  struct batch b = pad_batch(&s);
  ts_tensor *p = masked_max_mean(&b);
  ts_free(p);
  batch_free(&b);
  seqs_free(&s);
}

// OK: truncates every sequence to at most `limit` rows, replacing items
static void truncate_all(struct seqs *s, int64_t limit) {
  for (int i = 0; i < s->n; i++) {
    if (s->len[i] <= limit)
      continue;
    ts_tensor *t = ts_narrow(s->items[i], 0, 0, limit);
    ts_tensor *c = ts_contiguous(t);
    ts_free(t);
    ts_free(s->items[i]);
    s->items[i] = c;
    s->len[i] = limit;
  }
}

// OK: truncation then padding
void seq_truncate(void) {
  const int64_t lens[] = {6, 2, 4};
  struct seqs s;
  seqs_make(&s, lens, 3);
  truncate_all(&s, 3);
  struct batch b = pad_batch(&s);
  show_sum("truncated", b.padded);
  batch_free(&b);
  seqs_free(&s);
}

// BUG: leak: a truncated sequence replaces the item, and the original is
// never freed
static void truncate_views(struct seqs *s, int64_t limit) {
  for (int i = 0; i < s->n; i++) {
    if (s->len[i] <= limit)
      continue;
    s->items[i] = ts_narrow(s->items[i], 0, 0, limit); // <- BUG
    s->len[i] = limit;
  }
}

// OK: truncation by views (the helper leaks the originals)
void seq_truncate_views(void) {
  const int64_t lens[] = {5, 1};
  struct seqs s;
  seqs_make(&s, lens, 2);
  truncate_views(&s, 2);
  struct batch b = pad_batch(&s);
  batch_free(&b);
  seqs_free(&s);
}

// BUG: use-after-scope: the mask of the batch is rebuilt in a block and
// stored in the struct, then used after the block
void seq_mask_rebuilt(void) {
  const int64_t lens[] = {3, 1, 2};
  struct seqs s;
  seqs_make(&s, lens, 3);
  struct batch b = pad_batch(&s);
  ts_free(b.mask);
  TS_SCOPE {
    ts_tensor *lens_t = ts_from_buffer(s.len, TS_SHAPE(3, 1), TS_INT64);
    ts_tensor *pos = ts_arange(0, b.maxlen, 1, TS_INT64);
    b.mask = ts_lt_Tensor(pos, lens_t);
  }
  ts_tensor *pooled = masked_mean(&b); // <- BUG
  ts_free(pooled);
  batch_free(&b);
  seqs_free(&s);
}

// OK: lengths as a tensor, escaped from the scoped helper
TS_SCOPED static ts_tensor *lengths_tensor(const struct seqs *s) {
  ts_tensor *l = ts_from_buffer(s->len, TS_SHAPE(s->n), TS_INT64);
  return ts_escape(ts_to_dtype(l, TS_FLOAT32, false, false));
}

// BUG: unescaped-return: the inverse lengths are returned from the scoped
// helper without ts_escape
TS_SCOPED static ts_tensor *inverse_lengths(const struct seqs *s) {
  ts_tensor *l = ts_from_buffer(s->len, TS_SHAPE(s->n), TS_INT64);
  return ts_reciprocal(ts_to_dtype(l, TS_FLOAT32, false, false)); // <- BUG
}

// OK: the lengths' sum
void seq_lengths(void) {
  const int64_t lens[] = {3, 1, 2};
  struct seqs s;
  seqs_make(&s, lens, 3);
  ts_tensor *l = lengths_tensor(&s);
  show_sum("lengths", l);
  ts_free(l);
  seqs_free(&s);
}

// OK: inverse lengths used as if escaped (the helper is wrong)
void seq_inverse_lengths(void) {
  const int64_t lens[] = {3, 1, 2};
  struct seqs s;
  seqs_make(&s, lens, 3);
  ts_tensor *l = inverse_lengths(&s);
  show_sum("inverse lengths", l);
  ts_free(l);
  seqs_free(&s);
}

// OK: positions 0..maxlen-1 broadcast to the batch, in the caller's scope
TS_CALLER_SCOPE static ts_tensor *positions(const struct batch *b) {
  ts_tensor *p = ts_arange(0, b->maxlen, 1, TS_FLOAT32);
  ts_tensor *pm = ts_mul(p, ts_to_dtype(b->mask, TS_FLOAT32, false, false));
  return pm;
}

// OK: adds position features inside a block
void seq_positions(void) {
  const int64_t lens[] = {2, 4};
  struct seqs s;
  seqs_make(&s, lens, 2);
  struct batch b = pad_batch(&s);
  TS_SCOPE {
    ts_tensor *p = positions(&b);
    ts_tensor *feat = ts_add(b.padded, ts_unsqueeze(p, 2));
    show_sum("with positions", feat);
  }
  batch_free(&b);
  seqs_free(&s);
}

// OK: unpads into views of the batch and packs the valid rows
void seq_unpad_pack(void) {
  const int64_t lens[] = {2, 3, 1};
  struct seqs s;
  seqs_make(&s, lens, 3);
  struct batch b = pad_batch(&s);
  ts_tensor *views[MAXS];
  for (int i = 0; i < s.n; i++) {
    ts_tensor *row = ts_select_int(b.padded, 0, i);
    views[i] = ts_narrow(row, 0, 0, s.len[i]);
    ts_free(row);
  }
  batch_free(&b);
  ts_tensor *packed = ts_cat((const ts_tensor *const *)views, s.n, 0);
  for (int i = 0; i < s.n; i++)
    ts_free(views[i]);
  show_sum("packed", packed);
  ts_free(packed);
  seqs_free(&s);
}

// OK: sorts indices by length (insertion sort) for bucketing
static void by_length(const struct seqs *s, int *order) {
  for (int i = 0; i < s->n; i++)
    order[i] = i;
  for (int i = 1; i < s->n; i++)
    for (int j = i; j > 0 && s->len[order[j]] < s->len[order[j - 1]]; j--) {
      int t = order[j];
      order[j] = order[j - 1];
      order[j - 1] = t;
    }
}

// OK: buckets of two sequences of similar length, each padded and pooled;
// a bucket that is too long stops the loop after its batch is freed
void seq_buckets(void) {
  const int64_t lens[] = {5, 1, 3, 2, 6, 4};
  struct seqs s;
  seqs_make(&s, lens, 6);
  int order[MAXS];
  by_length(&s, order);
  for (int k = 0; k + 1 < s.n; k += 2) {
    struct seqs bucket = {{s.items[order[k]], s.items[order[k + 1]]},
                          {s.len[order[k]], s.len[order[k + 1]]},
                          2};
    struct batch b = pad_batch(&bucket);
    ts_tensor *pooled = masked_mean(&b);
    show_sum("bucket", pooled);
    ts_free(pooled);
    int64_t ml = b.maxlen;
    batch_free(&b);
    if (ml > 4)
      break;
  }
  seqs_free(&s);
}

// BUG: double-free: the bucket that stops the loop was freed before the
// break, and the code after the loop frees it again
void seq_buckets_last(void) {
  const int64_t lens[] = {5, 1, 3, 2};
  struct seqs s;
  seqs_make(&s, lens, 4);
  int order[MAXS];
  by_length(&s, order);
  struct batch b = {NULL, NULL, 0};
  int stopped = 0;
  for (int k = 0; k + 1 < s.n; k += 2) {
    struct seqs bucket = {{s.items[order[k]], s.items[order[k + 1]]},
                          {s.len[order[k]], s.len[order[k + 1]]},
                          2};
    b = pad_batch(&bucket);
    batch_free(&b);
    if (b.maxlen > 2) {
      stopped = 1;
      break;
    }
  }
  if (stopped)
    batch_free(&b); // <- BUG
  seqs_free(&s);
}

// BUG: leak: the bucket's pooled features are dropped when the bucket is
// skipped for having a single real row
void seq_buckets_skip(void) {
  const int64_t lens[] = {1, 1, 3, 2};
  struct seqs s;
  seqs_make(&s, lens, 4);
  for (int k = 0; k + 1 < s.n; k += 2) {
    struct seqs bucket = {
        {s.items[k], s.items[k + 1]}, {s.len[k], s.len[k + 1]}, 2};
    struct batch b = pad_batch(&bucket);
    ts_tensor *pooled = masked_mean(&b); // <- BUG
    batch_free(&b);
    if (bucket.len[0] + bucket.len[1] < 3)
      continue;
    show_sum("bucket", pooled);
    ts_free(pooled);
  }
  seqs_free(&s);
}

// BUG: leak: the batch's mask is never freed
void seq_mask_leak(void) {
  const int64_t lens[] = {2, 3};
  struct seqs s;
  seqs_make(&s, lens, 2);
  struct batch b = pad_batch(&s); // <- BUG
  show_sum("padded", b.padded);
  ts_free(b.padded);
  seqs_free(&s);
}

// BUG: double-free: the batch is freed after pooling and again at the end
void seq_batch_twice(void) {
  const int64_t lens[] = {2, 3};
  struct seqs s;
  seqs_make(&s, lens, 2);
  struct batch b = pad_batch(&s);
  ts_tensor *p = masked_mean(&b);
  batch_free(&b);
  show_sum("pooled", p);
  ts_free(p);
  batch_free(&b); // <- BUG
  seqs_free(&s);
}

// BUG: use-after-free: a sequence is freed before the padding reads it
void seq_item_freed(void) {
  const int64_t lens[] = {2, 3, 4};
  struct seqs s;
  seqs_make(&s, lens, 3);
  ts_free(s.items[1]);
  struct batch b = pad_batch(&s); // <- BUG
  batch_free(&b);
  s.items[1] = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
  seqs_free(&s);
}

// BUG: leak: the packed rows are not freed
void seq_pack_leak(void) {
  const int64_t lens[] = {2, 1};
  struct seqs s;
  seqs_make(&s, lens, 2);
  ts_tensor *packed =
      ts_cat((const ts_tensor *const *)s.items, s.n, 0); // <- BUG
  show_sum("packed", packed);
  seqs_free(&s);
}

// BUG: use-after-free: the padded batch is freed before the unpadding views
// are taken
void seq_unpad_freed(void) {
  const int64_t lens[] = {2, 3};
  struct seqs s;
  seqs_make(&s, lens, 2);
  struct batch b = pad_batch(&s);
  batch_free(&b);
  ts_tensor *row = ts_select_int(b.padded, 0, 0); // <- BUG
  ts_free(row);
  seqs_free(&s);
}
