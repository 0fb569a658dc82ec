/* heldout9_frame.c - a tiny dataframe: named float64 columns in a heap array
 * behind a pointer field, row filters, a hash-table group-by that keeps one
 * linked list of rows per key, and aggregate columns. Functions return NULL
 * (or -1) on error; frames are heap objects freed with df_free. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define DF_ROWS 12
#define DF_BUCKETS 7

typedef struct {
  char name[16];
  ts_tensor *data; /* [nrows] float64 */
} df_col;

typedef struct {
  int nrows, ncols, cap;
  df_col *cols;
} df_frame;

typedef struct df_group {
  int key;
  int n;
  int rows[DF_ROWS];
  ts_tensor *agg; /* 0-d aggregate, NULL until computed */
  struct df_group *next;
} df_group;

typedef struct {
  df_group *bucket[DF_BUCKETS];
  int ngroups;
} df_groups;

// OK: an empty frame with room for cap columns
static df_frame *df_new(int nrows, int cap) {
  df_frame *f = calloc(1, sizeof *f);
  if (!f)
    return NULL;
  f->cols = calloc((size_t)cap, sizeof *f->cols);
  if (!f->cols) {
    free(f);
    return NULL;
  }
  f->nrows = nrows;
  f->cap = cap;
  return f;
}

// OK: frees every column and the frame
static void df_free(df_frame *f) {
  if (!f)
    return;
  for (int i = 0; i < f->ncols; i++)
    if (f->cols[i].data)
      ts_free(f->cols[i].data);
  free(f->cols);
  free(f);
}

// OK: adds a column; the frame takes t, or frees it when full
static int df_add(df_frame *f, const char *name, ts_tensor *t) {
  if (f->ncols == f->cap) {
    ts_free(t);
    return -1;
  }
  df_col *c = &f->cols[f->ncols++];
  snprintf(c->name, sizeof c->name, "%s", name);
  c->data = t;
  return 0;
}

// OK: a column by name, borrowed
static ts_tensor *df_get(const df_frame *f, const char *name) {
  for (int i = 0; i < f->ncols; i++)
    if (strcmp(f->cols[i].name, name) == 0)
      return f->cols[i].data;
  return NULL;
}

// OK: a frame of synthetic sales data
static df_frame *df_sample(void) {
  double store[DF_ROWS], price[DF_ROWS], qty[DF_ROWS];
  for (int i = 0; i < DF_ROWS; i++) {
    store[i] = i % 3;
    price[i] = 1.5 + i * 0.25;
    qty[i] = (i * 7) % 5 + 1;
  }
  df_frame *f = df_new(DF_ROWS, 4);
  if (!f)
    return NULL;
  df_add(f, "store", ts_from_buffer(store, TS_SHAPE(DF_ROWS), TS_FLOAT64));
  df_add(f, "price", ts_from_buffer(price, TS_SHAPE(DF_ROWS), TS_FLOAT64));
  df_add(f, "qty", ts_from_buffer(qty, TS_SHAPE(DF_ROWS), TS_FLOAT64));
  return f;
}

// OK: a derived column price * qty added to the frame
static int df_add_revenue(df_frame *f) {
  ts_tensor *p = df_get(f, "price"), *q = df_get(f, "qty");
  if (!p || !q)
    return -1;
  return df_add(f, "revenue", ts_mul(p, q));
}

// OK: entry: sample frame, revenue column, total
void df_entry_revenue(void) {
  df_frame *f = df_sample();
  if (!f)
    return;
  df_add_revenue(f);
  ts_tensor *tot = ts_sum(df_get(f, "revenue"));
  printf("revenue %.2f\n", ts_item(tot));
  ts_free(tot);
  df_free(f);
}

// BUG: leak: a second revenue column does not fit and df_add frees it, but the price copy made for it is lost
static int df_add_revenue_twice(df_frame *f) {
  for (int k = 0; k < 2; k++) {
    ts_tensor *pc = ts_clone(df_get(f, "price")); // <- BUG
    if (df_add(f, "revenue", ts_mul(pc, df_get(f, "qty"))) != 0)
      return -1;
    ts_free(pc);
  }
  return 0;
}

// OK: entry: drives df_add_revenue_twice into the full frame
void df_entry_revenue_twice(void) {
  df_frame *f = df_sample();
  if (!f)
    return;
  df_add_revenue_twice(f);
  df_free(f);
}

// OK: copies the rows whose mask value is nonzero into a new frame
static df_frame *df_filter(const df_frame *f, const double *mask) {
  df_frame *out = NULL;
  int keep = 0;
  for (int i = 0; i < f->nrows; i++)
    keep += mask[i] != 0.0;
  out = df_new(keep, f->ncols);
  if (!out)
    return NULL;
  for (int c = 0; c < f->ncols; c++) {
    double src[DF_ROWS], dst[DF_ROWS];
    ts_copy_to_buffer(f->cols[c].data, src, sizeof src);
    int k = 0;
    for (int i = 0; i < f->nrows; i++)
      if (mask[i] != 0.0)
        dst[k++] = src[i];
    if (df_add(out, f->cols[c].name,
               ts_from_buffer(dst, TS_SHAPE(keep), TS_FLOAT64)) != 0) {
      df_free(out);
      return NULL;
    }
  }
  return out;
}

// OK: mask of rows where a column exceeds a threshold, as doubles
static void df_mask_gt(const df_frame *f, const char *col, double thr,
                       double *mask) {
  double v[DF_ROWS];
  ts_copy_to_buffer(df_get(f, col), v, sizeof v);
  for (int i = 0; i < f->nrows; i++)
    mask[i] = v[i] > thr;
}

// OK: entry: filter on price, mean quantity of the rest
void df_entry_filter(void) {
  df_frame *f = df_sample();
  if (!f)
    return;
  double mask[DF_ROWS];
  df_mask_gt(f, "price", 3.0, mask);
  df_frame *g = df_filter(f, mask);
  if (g) {
    ts_tensor *m = ts_mean(df_get(g, "qty"));
    printf("%d rows, mean qty %.2f\n", g->nrows, ts_item(m));
    ts_free(m);
    df_free(g);
  }
  df_free(f);
}

// BUG: use-after-free: the filtered column is read after its frame was freed
static double df_filtered_max_price(const df_frame *f, double thr) {
  double mask[DF_ROWS];
  df_mask_gt(f, "price", thr, mask);
  df_frame *g = df_filter(f, mask);
  if (!g)
    return 0.0;
  ts_tensor *p = df_get(g, "price");
  df_free(g);
  ts_tensor *mx = ts_argmax(p); // <- BUG
  double v = ts_item(mx);
  ts_free(mx);
  return v;
}

// OK: entry: drives df_filtered_max_price
void df_entry_filtered_max(void) {
  df_frame *f = df_sample();
  if (!f)
    return;
  printf("%.0f\n", df_filtered_max_price(f, 2.0));
  df_free(f);
}

// OK: hash of a group key
static unsigned df_hash(int key) { return (unsigned)key * 2654435761u % DF_BUCKETS; }

// OK: the group of a key, created on first sight
static df_group *df_group_of(df_groups *gs, int key) {
  unsigned h = df_hash(key);
  for (df_group *g = gs->bucket[h]; g; g = g->next)
    if (g->key == key)
      return g;
  df_group *g = calloc(1, sizeof *g);
  if (!g)
    return NULL;
  g->key = key;
  g->next = gs->bucket[h];
  gs->bucket[h] = g;
  gs->ngroups++;
  return g;
}

// OK: frees every group and its aggregate
static void df_groups_free(df_groups *gs) {
  for (int b = 0; b < DF_BUCKETS; b++) {
    df_group *g = gs->bucket[b];
    while (g) {
      df_group *nx = g->next;
      if (g->agg)
        ts_free(g->agg);
      free(g);
      g = nx;
    }
    gs->bucket[b] = NULL;
  }
  gs->ngroups = 0;
}

// OK: groups the rows by an integer-valued key column
static int df_groupby(const df_frame *f, const char *key, df_groups *gs) {
  double k[DF_ROWS];
  memset(gs, 0, sizeof *gs);
  ts_tensor *col = df_get(f, key);
  if (!col)
    return -1;
  ts_copy_to_buffer(col, k, sizeof k);
  for (int i = 0; i < f->nrows; i++) {
    df_group *g = df_group_of(gs, (int)k[i]);
    if (!g) {
      df_groups_free(gs);
      return -1;
    }
    g->rows[g->n++] = i;
  }
  return 0;
}

// OK: the values of one group gathered into a new tensor
static ts_tensor *df_group_values(const df_frame *f, const df_group *g,
                                  const char *col) {
  double v[DF_ROWS], out[DF_ROWS];
  ts_copy_to_buffer(df_get(f, col), v, sizeof v);
  for (int i = 0; i < g->n; i++)
    out[i] = v[g->rows[i]];
  return ts_from_buffer(out, TS_SHAPE(g->n), TS_FLOAT64);
}

// OK: sum aggregate per group stored in the group (old aggregate replaced)
static void df_agg_sum(const df_frame *f, df_groups *gs, const char *col) {
  for (int b = 0; b < DF_BUCKETS; b++)
    for (df_group *g = gs->bucket[b]; g; g = g->next) {
      ts_tensor *v = df_group_values(f, g, col);
      ts_tensor *s = ts_sum(v);
      ts_free(v);
      if (g->agg)
        ts_free(g->agg);
      g->agg = s;
    }
}

// OK: entry: group by store, sum of quantity per store
void df_entry_groupby(void) {
  df_frame *f = df_sample();
  if (!f)
    return;
  df_groups gs;
  if (df_groupby(f, "store", &gs) == 0) {
    df_agg_sum(f, &gs, "qty");
    df_agg_sum(f, &gs, "price");
    for (int b = 0; b < DF_BUCKETS; b++)
      for (df_group *g = gs.bucket[b]; g; g = g->next)
        printf("store %d: %.2f\n", g->key, ts_item(g->agg));
    df_groups_free(&gs);
  }
  df_free(f);
}

// BUG: leak: the mean aggregate replaces the group's old aggregate without freeing it
static void df_agg_mean(const df_frame *f, df_groups *gs, const char *col) {
  for (int b = 0; b < DF_BUCKETS; b++)
    for (df_group *g = gs->bucket[b]; g; g = g->next) {
      ts_tensor *v = df_group_values(f, g, col);
      g->agg = ts_mean(v); // <- BUG
      ts_free(v);
    }
}

// OK: entry: a sum then a mean aggregate on the same groups
void df_entry_agg_mean(void) {
  df_frame *f = df_sample();
  if (!f)
    return;
  df_groups gs;
  if (df_groupby(f, "store", &gs) == 0) {
    df_agg_sum(f, &gs, "qty");
    df_agg_mean(f, &gs, "qty");
    df_groups_free(&gs);
  }
  df_free(f);
}

// BUG: double-free: removing a group frees its aggregate but the group stays linked, so df_groups_free frees it again
static void df_group_clear_agg(df_groups *gs, int key) {
  for (df_group *g = gs->bucket[df_hash(key)]; g; g = g->next)
    if (g->key == key && g->agg) {
      ts_free(g->agg); // <- BUG
      break;
    }
}

// OK: entry: clears one store's aggregate, then frees the groups
void df_entry_clear_agg(void) {
  df_frame *f = df_sample();
  if (!f)
    return;
  df_groups gs;
  if (df_groupby(f, "store", &gs) == 0) {
    df_agg_sum(f, &gs, "qty");
    df_group_clear_agg(&gs, 1);
    df_groups_free(&gs);
  }
  df_free(f);
}

// OK: unlinks and frees one group, its aggregate included
static int df_group_remove(df_groups *gs, int key) {
  df_group **pp = &gs->bucket[df_hash(key)];
  while (*pp) {
    df_group *g = *pp;
    if (g->key == key) {
      *pp = g->next;
      if (g->agg)
        ts_free(g->agg);
      free(g);
      gs->ngroups--;
      return 0;
    }
    pp = &g->next;
  }
  return -1;
}

// OK: entry: remove a group, aggregate the rest
void df_entry_remove(void) {
  df_frame *f = df_sample();
  if (!f)
    return;
  df_groups gs;
  if (df_groupby(f, "store", &gs) == 0) {
    df_agg_sum(f, &gs, "qty");
    df_group_remove(&gs, 2);
    df_group_remove(&gs, 42);
    df_agg_sum(f, &gs, "price");
    printf("%d groups\n", gs.ngroups);
    df_groups_free(&gs);
  }
  df_free(f);
}

// BUG: use-after-free: the aggregate of the removed group is read through a saved alias
static double df_remove_and_report(df_groups *gs, int key) {
  df_group *g = df_group_of(gs, key);
  ts_tensor *agg = g->agg;
  df_group_remove(gs, key);
  return agg ? ts_item(agg) : 0.0; // <- BUG
}

// OK: entry: drives df_remove_and_report on an aggregated group
void df_entry_remove_report(void) {
  df_frame *f = df_sample();
  if (!f)
    return;
  df_groups gs;
  if (df_groupby(f, "store", &gs) == 0) {
    df_agg_sum(f, &gs, "qty");
    printf("%.2f\n", df_remove_and_report(&gs, 0));
    df_groups_free(&gs);
  }
  df_free(f);
}

// OK: z-scored copy of a column, temporaries scoped, the result escaped
static ts_tensor *df_zscore(const df_frame *f, const char *col) {
  ts_tensor *z = NULL;
  ts_tensor *c = df_get(f, col);
  if (!c)
    return NULL;
  TS_SCOPE {
    ts_tensor *mu = ts_mean(c);
    ts_tensor *d = ts_sub(c, mu);
    ts_tensor *sd = ts_exp(ts_mul_scalar(ts_log(ts_add_scalar(ts_mean(ts_mul(d, d)), 1e-9)), 0.5));
    z = ts_escape(ts_div(d, sd));
  }
  return z;
}

// OK: entry: z-scores added as new columns
void df_entry_zscore(void) {
  df_frame *f = df_new(DF_ROWS, 6);
  df_frame *s = df_sample();
  if (!f || !s) {
    df_free(f);
    df_free(s);
    return;
  }
  const char *names[] = {"price", "qty"};
  for (int i = 0; i < 2; i++) {
    ts_tensor *z = df_zscore(s, names[i]);
    if (z && df_add(f, names[i], z) != 0)
      break;
  }
  printf("%d z columns\n", f->ncols);
  df_free(s);
  df_free(f);
}

// BUG: use-after-scope: the standard deviation made in the block is used for the second column after it
static int df_standardise_pair(df_frame *f, const char *a, const char *b) {
  ts_tensor *sd = NULL;
  ts_tensor *ca = df_get(f, a), *cb = df_get(f, b);
  TS_SCOPE {
    ts_tensor *d = ts_sub(ca, ts_mean(ca));
    sd = ts_exp(ts_mul_scalar(ts_log(ts_mean(ts_mul(d, d))), 0.5));
    df_add(f, "za", ts_keep(ts_div(d, sd)));
  }
  ts_tensor *zb = ts_div(cb, sd); // <- BUG
  return df_add(f, "zb", zb);
}

// OK: entry: drives df_standardise_pair
void df_entry_standardise(void) {
  df_frame *f = df_sample();
  if (!f)
    return;
  df_standardise_pair(f, "price", "qty");
  df_free(f);
}

// BUG: unescaped-return: the column's normalised copy is returned from the TS_SCOPED helper without ts_escape
TS_SCOPED static ts_tensor *df_minmax(const ts_tensor *c) {
  double v[DF_ROWS];
  ts_copy_to_buffer(c, v, sizeof v);
  double lo = v[0], hi = v[0];
  for (int i = 1; i < DF_ROWS; i++) {
    lo = v[i] < lo ? v[i] : lo;
    hi = v[i] > hi ? v[i] : hi;
  }
  ts_tensor *shift = ts_add_scalar(c, -lo);
  return ts_mul_scalar(shift, hi > lo ? 1.0 / (hi - lo) : 1.0); // <- BUG
}

// OK: adds a min-max scaled column through df_minmax
static int df_add_minmax(df_frame *f, const char *col, const char *as) {
  ts_tensor *c = df_get(f, col);
  if (!c)
    return -1;
  ts_tensor *m = df_minmax(c);
  ts_tensor *copy = ts_clone(m);
  ts_free(m);
  return df_add(f, as, copy);
}

// OK: entry: a min-max column through df_add_minmax
void df_entry_minmax(void) {
  df_frame *f = df_sample();
  if (!f)
    return;
  df_add_minmax(f, "price", "price01");
  df_free(f);
}

// BUG: double-free: on a full frame df_add has already freed the column, and the caller frees it again
static int df_add_lagged(df_frame *f, const char *col) {
  double v[DF_ROWS], lag[DF_ROWS];
  ts_copy_to_buffer(df_get(f, col), v, sizeof v);
  lag[0] = v[0];
  for (int i = 1; i < f->nrows; i++)
    lag[i] = v[i - 1];
  ts_tensor *t = ts_from_buffer(lag, TS_SHAPE(DF_ROWS), TS_FLOAT64);
  if (df_add(f, "lag", t) != 0) {
    ts_free(t); // <- BUG
    return -1;
  }
  return 0;
}

// OK: entry: lagged columns until the frame is full
void df_entry_lagged(void) {
  df_frame *f = df_sample();
  if (!f)
    return;
  for (int i = 0; i < 3; i++)
    if (df_add_lagged(f, "qty") != 0)
      break;
  df_free(f);
}

// OK: drops a column by name (freed), shifting the rest down
static int df_drop(df_frame *f, const char *name) {
  for (int i = 0; i < f->ncols; i++)
    if (strcmp(f->cols[i].name, name) == 0) {
      ts_free(f->cols[i].data);
      memmove(&f->cols[i], &f->cols[i + 1],
              sizeof *f->cols * (size_t)(f->ncols - i - 1));
      f->ncols--;
      return 0;
    }
  return -1;
}

// OK: entry: columns dropped and re-added
void df_entry_drop(void) {
  df_frame *f = df_sample();
  if (!f)
    return;
  df_drop(f, "qty");
  df_add(f, "qty2", ts_ones(TS_SHAPE(DF_ROWS), TS_FLOAT64));
  df_drop(f, "missing");
  df_free(f);
}

// BUG: leak: renaming by drop and re-add loses the clone when the column is missing
static int df_rename(df_frame *f, const char *from, const char *to) {
  ts_tensor *c = df_get(f, from);
  ts_tensor *copy = ts_clone(c ? c : df_get(f, "store")); // <- BUG
  if (df_drop(f, from) != 0)
    return -1;
  return df_add(f, to, copy);
}

// OK: entry: renames a missing column
void df_entry_rename_missing(void) {
  df_frame *f = df_sample();
  if (!f)
    return;
  df_rename(f, "nope", "yes");
  df_free(f);
}

// BUG: leak: on a grow failure the new column array is fine but the widened tensor of the last column is dropped
static int df_pad_rows(df_frame *f, int extra, int fail_at) {
  for (int c = 0; c < f->ncols; c++) {
    ts_tensor *pad = ts_zeros(TS_SHAPE(extra), TS_FLOAT64);
    const ts_tensor *parts[2] = {f->cols[c].data, pad};
    ts_tensor *wide = ts_cat(parts, 2, 0);
    ts_free(pad);
    if (c == fail_at)
      return -1; // <- BUG
    ts_free(f->cols[c].data);
    f->cols[c].data = wide;
  }
  f->nrows += extra;
  return 0;
}

// OK: entry: df_pad_rows failing on the second column
void df_entry_pad_fail(void) {
  df_frame *f = df_sample();
  if (!f)
    return;
  df_pad_rows(f, 2, 1);
  df_free(f);
}
