/*
 * heldout10_kriging.c - interpolating weather-station readings onto a grid:
 * a growable station table that owns each station's readings, an empirical
 * variogram, inverse-distance weights, a chained hash map of predicted grids
 * keyed by resolution, the nearest station through an optional
 * out-parameter, grids predicted in scopes and under scope guards.
 *
 * Labels (see README.md): `// OK: why` or `// BUG: check: why` on the line
 * before each function; the line of the bug itself ends in `// <- BUG`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { DAYS = 6, GRID = 4, BUCKETS = 3 };

typedef struct {
  int id;
  float x, y;
  ts_tensor *readings; /* [DAYS], owned by the table */
} station;

typedef struct {
  station *st;
  int n, cap;
} station_table;

typedef struct grid_entry {
  int res;
  ts_tensor *grid;
  struct grid_entry *next;
} grid_entry;

typedef struct {
  grid_entry *bucket[BUCKETS];
} grid_cache;

// OK: the table takes the readings, also when it refuses a duplicate id
static int table_add(station_table *t, int id, float x, float y,
                     ts_tensor *readings) {
  for (int k = 0; k < t->n; k++)
    if (t->st[k].id == id) {
      ts_free(readings);
      return -1;
    }
  if (t->n == t->cap) {
    int cap = t->cap ? 2 * t->cap : 2;
    station *s = realloc(t->st, cap * sizeof *s);
    if (!s) {
      ts_free(readings);
      return -1;
    }
    t->st = s;
    t->cap = cap;
  }
  t->st[t->n++] = (station){id, x, y, readings};
  return 0;
}

// BUG: leak: a duplicate id is refused without freeing the readings the
// table was meant to take
static int table_add_unique(station_table *t, int id, float x, float y,
                            ts_tensor *readings) {
  for (int k = 0; k < t->n; k++)
    if (t->st[k].id == id)
      return -1; // <- BUG
  return table_add(t, id, x, y, readings);
}

// OK: frees every station's readings and the array
static void table_free(station_table *t) {
  for (int k = 0; k < t->n; k++)
    ts_free(t->st[k].readings);
  free(t->st);
  t->st = NULL;
  t->n = t->cap = 0;
}

// OK: removes station k, freeing its readings
static void table_remove(station_table *t, int k) {
  ts_free(t->st[k].readings);
  t->st[k] = t->st[--t->n];
}

// OK: drops the stations whose mean reading is below the threshold
static void table_compact(station_table *t, double min_mean) {
  for (int k = 0; k < t->n;) {
    ts_tensor *m = ts_mean(t->st[k].readings);
    double v = ts_item(m);
    ts_free(m);
    if (v < min_mean)
      table_remove(t, k);
    else
      k++;
  }
}

// OK: a table of four stations
static void table_fill(station_table *t) {
  for (int k = 0; k < 4; k++)
    table_add(t, k, (float)k, (float)(k % 2),
              ts_full(TS_SHAPE(DAYS), TS_FLOAT32, k));
}

// OK: a full table, a duplicate refused, everything freed
void krg_table(void) {
  station_table t = {NULL, 0, 0};
  table_fill(&t);
  if (table_add(&t, 2, 0, 0, ts_zeros(TS_SHAPE(DAYS), TS_FLOAT32)) != 0)
    printf("duplicate refused\n");
  printf("%d stations\n", t.n);
  table_free(&t);
}

// OK: a duplicate through the unique add
void krg_table_unique(void) {
  station_table t = {NULL, 0, 0};
  table_fill(&t);
  table_add_unique(&t, 9, 1, 1, ts_ones(TS_SHAPE(DAYS), TS_FLOAT32));
  if (table_add_unique(&t, 1, 0, 0, ts_zeros(TS_SHAPE(DAYS), TS_FLOAT32)) != 0)
    printf("duplicate refused\n");
  table_free(&t);
}

// BUG: double-free: the removed station's readings were freed by
// table_remove
void krg_table_retire(void) {
  station_table t = {NULL, 0, 0};
  table_fill(&t);
  ts_tensor *old = t.st[1].readings;
  table_remove(&t, 1);
  ts_free(old); // <- BUG
  table_free(&t);
}

// BUG: use-after-free: the first station's readings are averaged after the
// compaction freed them
void krg_table_compact_log(void) {
  station_table t = {NULL, 0, 0};
  table_fill(&t);
  const ts_tensor *first = t.st[0].readings;
  table_compact(&t, 0.5);
  ts_tensor *m = ts_mean(first); // <- BUG
  printf("first %.2f\n", ts_item(m));
  ts_free(m);
  table_free(&t);
}

// OK: the compaction's survivors are read from the table
void krg_table_compact(void) {
  station_table t = {NULL, 0, 0};
  table_fill(&t);
  table_compact(&t, 0.5);
  for (int k = 0; k < t.n; k++) {
    ts_tensor *m = ts_mean(t.st[k].readings);
    printf("station %d %.2f\n", t.st[k].id, ts_item(m));
    ts_free(m);
  }
  table_free(&t);
}

// OK: gamma(h) for one lag h: half the mean squared difference of readings
static double semivariance(const station_table *t, int lag) {
  double acc = 0;
  int pairs = 0;
  for (int k = 0; k + lag < t->n; k++) {
    ts_tensor *d = ts_sub(t->st[k].readings, t->st[k + lag].readings);
    ts_tensor *sq = ts_mul(d, d);
    ts_tensor *m = ts_mean(sq);
    acc += ts_item(m);
    ts_free(m);
    ts_free(sq);
    ts_free(d);
    pairs++;
  }
  return pairs ? acc / (2 * pairs) : 0;
}

// OK: the variogram as a tensor, each lag's term freed after it is added
static ts_tensor *variogram(const station_table *t, int lags) {
  ts_tensor *acc = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
  for (int h = 1; h <= lags; h++) {
    ts_tensor *term = ts_full(TS_SHAPE(1), TS_FLOAT32, semivariance(t, h));
    ts_tensor *next = ts_add(acc, term);
    ts_free(term);
    ts_free(acc);
    acc = next;
  }
  return acc;
}

// BUG: leak: each lag replaces the running sum without freeing the old one
static ts_tensor *variogram_fit(const station_table *t, int lags) {
  ts_tensor *acc = ts_zeros(TS_SHAPE(1), TS_FLOAT32);
  for (int h = 1; h <= lags; h++) {
    ts_tensor *term = ts_full(TS_SHAPE(1), TS_FLOAT32, semivariance(t, h));
    acc = ts_add(acc, term); // <- BUG
    ts_free(term);
  }
  return acc;
}

// OK: both variograms
void krg_variogram(void) {
  station_table t = {NULL, 0, 0};
  table_fill(&t);
  ts_tensor *v = variogram(&t, 2);
  printf("sill %.3f\n", ts_item(v));
  ts_free(v);
  table_free(&t);
}

// OK: the fitted variogram, freed
void krg_variogram_fit(void) {
  station_table t = {NULL, 0, 0};
  table_fill(&t);
  ts_tensor *v = variogram_fit(&t, 3);
  printf("fit %.3f\n", ts_item(v));
  ts_free(v);
  table_free(&t);
}

// OK: the station's index; with dist_out, its distance too (the caller's)
static int nearest_station(const station_table *t, float x, float y,
                           ts_tensor **dist_out) {
  float buf[16];
  for (int k = 0; k < t->n; k++)
    buf[k] = (t->st[k].x - x) * (t->st[k].x - x) +
             (t->st[k].y - y) * (t->st[k].y - y);
  ts_tensor *d = ts_from_buffer(buf, TS_SHAPE(t->n), TS_FLOAT32);
  ts_tensor *nd = ts_neg(d);
  ts_tensor *i = ts_argmax(nd);
  ts_free(nd);
  int best = (int)ts_item(i);
  ts_free(i);
  if (dist_out)
    *dist_out = d;
  else
    ts_free(d);
  return best;
}

// BUG: leak: without an out-parameter the distances are dropped
static int nearest_station_fast(const station_table *t, float x, float y,
                                ts_tensor **dist_out) {
  float buf[16];
  for (int k = 0; k < t->n; k++)
    buf[k] = (t->st[k].x - x) * (t->st[k].x - x);
  ts_tensor *d = ts_from_buffer(buf, TS_SHAPE(t->n), TS_FLOAT32); // <- BUG
  ts_tensor *i = ts_argmax(d);
  int best = (int)ts_item(i);
  ts_free(i);
  if (dist_out)
    *dist_out = d;
  return best;
}

// OK: with and without the distances
void krg_nearest(void) {
  station_table t = {NULL, 0, 0};
  table_fill(&t);
  ts_tensor *d = NULL;
  int a = nearest_station(&t, 1.5f, 0.5f, &d);
  int b = nearest_station(&t, 0.0f, 0.0f, NULL);
  printf("nearest %d %d\n", a, b);
  ts_free(d);
  table_free(&t);
}

// OK: the fast lookup without the distances
void krg_nearest_fast(void) {
  station_table t = {NULL, 0, 0};
  table_fill(&t);
  printf("nearest %d\n", nearest_station_fast(&t, 2.0f, 0.0f, NULL));
  table_free(&t);
}

// OK: its tensors belong to the caller's scope
TS_CALLER_SCOPE static ts_tensor *idw_weights(const station_table *t, float x,
                                              float y) {
  float buf[16];
  for (int k = 0; k < t->n; k++)
    buf[k] = -((t->st[k].x - x) * (t->st[k].x - x) +
               (t->st[k].y - y) * (t->st[k].y - y));
  return ts_softmax(ts_from_buffer(buf, TS_SHAPE(t->n), TS_FLOAT32), 0);
}

// OK: the readings stacked [n, DAYS]; in the caller's scope
TS_CALLER_SCOPE static ts_tensor *stacked(const station_table *t) {
  const ts_tensor *rows[16];
  for (int k = 0; k < t->n; k++)
    rows[k] = t->st[k].readings;
  return ts_stack(rows, t->n, 0);
}

// OK: a grid of predictions, escaped out of the function's scope
TS_SCOPED static ts_tensor *predict_grid(const station_table *t, int res) {
  ts_tensor *readings = stacked(t);
  const ts_tensor *cells[GRID * GRID];
  int n = 0;
  for (int i = 0; i < res; i++)
    for (int j = 0; j < res; j++) {
      ts_tensor *w =
          ts_reshape(idw_weights(t, (float)i, (float)j), TS_SHAPE(1, t->n));
      cells[n++] = ts_matmul(w, readings);
    }
  return ts_escape(ts_cat(cells, n, 0));
}

// BUG: unescaped-return: the coarse grid is returned from the function's scope
// without ts_escape
TS_SCOPED static ts_tensor *predict_coarse(const station_table *t) {
  ts_tensor *w = ts_reshape(idw_weights(t, 1.0f, 1.0f), TS_SHAPE(1, t->n));
  ts_tensor *cell = ts_matmul(w, stacked(t));
  return cell; // <- BUG
}

// OK: a predicted grid, used and freed
void krg_predict(void) {
  station_table t = {NULL, 0, 0};
  table_fill(&t);
  ts_tensor *g = predict_grid(&t, 2);
  ts_tensor *m = ts_mean(g);
  printf("grid mean %.3f\n", ts_item(m));
  ts_free(m);
  ts_free(g);
  table_free(&t);
}

// OK: the coarse prediction, used and freed
void krg_predict_coarse(void) {
  station_table t = {NULL, 0, 0};
  table_fill(&t);
  ts_tensor *g = predict_coarse(&t);
  ts_tensor *m = ts_mean(g);
  printf("coarse %.3f\n", ts_item(m));
  ts_free(m);
  ts_free(g);
  table_free(&t);
}

// BUG: use-after-scope: the cell is made under the inner block's guard and
// read after the block
void krg_cell_guarded(void) {
  station_table t = {NULL, 0, 0};
  table_fill(&t);
  ts_tensor *cell;
  {
    TS_SCOPE_GUARD();
    ts_tensor *w = ts_reshape(idw_weights(&t, 0.5f, 0.5f), TS_SHAPE(1, t.n));
    cell = ts_matmul(w, stacked(&t));
  }
  ts_tensor *m = ts_mean(cell); // <- BUG
  printf("cell %.3f\n", ts_item(m));
  ts_free(m);
  table_free(&t);
}

// OK: the cell escapes the guarded block and is freed after use
void krg_cell_guarded_ok(void) {
  station_table t = {NULL, 0, 0};
  table_fill(&t);
  ts_tensor *cell;
  {
    TS_SCOPE_GUARD();
    ts_tensor *w = ts_reshape(idw_weights(&t, 0.5f, 0.5f), TS_SHAPE(1, t.n));
    cell = ts_escape(ts_matmul(w, stacked(&t)));
  }
  ts_tensor *m = ts_mean(cell);
  printf("cell %.3f\n", ts_item(m));
  ts_free(m);
  ts_free(cell);
  table_free(&t);
}

// OK: the cache takes the grid; an existing entry's grid is freed first
static void cache_insert(grid_cache *c, int res, ts_tensor *grid) {
  grid_entry **b = &c->bucket[res % BUCKETS];
  for (grid_entry *e = *b; e; e = e->next)
    if (e->res == res) {
      ts_free(e->grid);
      e->grid = grid;
      return;
    }
  grid_entry *e = malloc(sizeof *e);
  e->res = res;
  e->grid = grid;
  e->next = *b;
  *b = e;
}

// OK: borrowed from the cache
static ts_tensor *cache_lookup(const grid_cache *c, int res) {
  for (grid_entry *e = c->bucket[res % BUCKETS]; e; e = e->next)
    if (e->res == res)
      return e->grid;
  return NULL;
}

// OK: frees every entry and its grid
static void cache_destroy(grid_cache *c) {
  for (int b = 0; b < BUCKETS; b++) {
    grid_entry *e = c->bucket[b];
    while (e) {
      grid_entry *next = e->next;
      ts_free(e->grid);
      free(e);
      e = next;
    }
    c->bucket[b] = NULL;
  }
}

// OK: grids cached by resolution, one replaced, the cache destroyed
void krg_cache(void) {
  station_table t = {NULL, 0, 0};
  grid_cache c = {{NULL}};
  table_fill(&t);
  for (int r = 1; r <= 2; r++)
    cache_insert(&c, r, predict_grid(&t, r));
  cache_insert(&c, 1, predict_grid(&t, 1));
  ts_tensor *g = cache_lookup(&c, 2);
  if (g)
    printf("res 2: %lld cells\n", (long long)ts_size(g, 0));
  cache_destroy(&c);
  table_free(&t);
}

// BUG: double-free: the grid taken from the cache is clamped in place and
// inserted again: the insert frees the old grid, which is the same tensor
void krg_cache_refresh(void) {
  station_table t = {NULL, 0, 0};
  grid_cache c = {{NULL}};
  table_fill(&t);
  cache_insert(&c, 2, predict_grid(&t, 2));
  ts_tensor *g = cache_lookup(&c, 2);
  ts_relu_(g);
  cache_insert(&c, 2, g); // <- BUG
  cache_destroy(&c);
  table_free(&t);
}

// OK: the refreshed grid is a new tensor, so the insert frees only the old one
void krg_cache_refresh_ok(void) {
  station_table t = {NULL, 0, 0};
  grid_cache c = {{NULL}};
  table_fill(&t);
  cache_insert(&c, 2, predict_grid(&t, 2));
  ts_tensor *g = cache_lookup(&c, 2);
  cache_insert(&c, 2, ts_relu(g));
  cache_destroy(&c);
  table_free(&t);
}
