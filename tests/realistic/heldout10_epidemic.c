/*
 * heldout10_epidemic.c - an SIR epidemic over a few regions joined by a
 * contact matrix: compartments in a struct, manual and scoped steps, a
 * history of infections, per-region reports through out-parameters,
 * forecasts in ts_run, lockdowns that replace the contact matrix, a season
 * kept in an async scope.
 *
 * Labels (see README.md): `// OK: why` or `// BUG: check: why` on the line
 * before each function; the line of the bug itself ends in `// <- BUG`.
 */
#include <stdio.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { REG = 5, HIST = 3 };

typedef struct {
  ts_tensor *s, *i, *r; /* [REG, 1] each */
  ts_tensor *contact;   /* [REG, REG] */
  double beta, gamma;
} sim;

typedef struct {
  ts_tensor *hist[HIST];
  int n;
  ts_tensor *latest; /* the newest entry of hist, not a tensor of its own */
} history;

// OK: goto cleanup frees the compartments made before the failing step
static int sim_init(sim *m, int fail_at) {
  m->s = m->i = m->r = m->contact = NULL;
  m->beta = 0.3;
  m->gamma = 0.1;
  m->s = ts_full(TS_SHAPE(REG, 1), TS_FLOAT32, 0.99);
  if (!m->s)
    goto fail;
  m->i = ts_full(TS_SHAPE(REG, 1), TS_FLOAT32, 0.01);
  if (!m->i || fail_at == 1)
    goto fail;
  m->r = ts_zeros(TS_SHAPE(REG, 1), TS_FLOAT32);
  if (!m->r)
    goto fail;
  m->contact = ts_rand(TS_SHAPE(REG, REG), TS_FLOAT32);
  if (!m->contact || fail_at == 2)
    goto fail;
  return 0;
fail:
  if (m->r)
    ts_free(m->r);
  if (m->i)
    ts_free(m->i);
  if (m->s)
    ts_free(m->s);
  if (m->contact)
    ts_free(m->contact);
  m->s = m->i = m->r = m->contact = NULL;
  return -1;
}

// OK: frees what is there
static void sim_free(sim *m) {
  ts_tensor **f[] = {&m->s, &m->i, &m->r, &m->contact};
  for (int k = 0; k < 4; k++)
    if (*f[k]) {
      ts_free(*f[k]);
      *f[k] = NULL;
    }
}

// OK: one SIR step; every temporary and the old compartments freed
static void sir_step(sim *m) {
  ts_tensor *press = ts_matmul(m->contact, m->i);
  ts_tensor *tmp = ts_mul(m->s, press);
  ts_tensor *inf = ts_mul_scalar(tmp, m->beta);
  ts_free(tmp);
  ts_free(press);
  ts_tensor *rec = ts_mul_scalar(m->i, m->gamma);
  ts_tensor *s2 = ts_sub(m->s, inf);
  ts_tensor *tmp2 = ts_add(m->i, inf);
  ts_tensor *i2 = ts_sub(tmp2, rec);
  ts_tensor *r2 = ts_add(m->r, rec);
  ts_free(tmp2);
  ts_free(inf);
  ts_free(rec);
  ts_free(m->s);
  ts_free(m->i);
  ts_free(m->r);
  m->s = s2;
  m->i = i2;
  m->r = r2;
}

// BUG: leak: the recovered compartment is replaced without freeing the old one
static void sir_step_fast(sim *m) {
  ts_tensor *press = ts_matmul(m->contact, m->i);
  ts_tensor *tmp = ts_mul(m->s, press);
  ts_tensor *inf = ts_mul_scalar(tmp, m->beta);
  ts_free(tmp);
  ts_free(press);
  ts_tensor *rec = ts_mul_scalar(m->i, m->gamma);
  ts_tensor *s2 = ts_sub(m->s, inf);
  ts_tensor *tmp2 = ts_add(m->i, inf);
  ts_tensor *i2 = ts_sub(tmp2, rec);
  ts_free(tmp2);
  ts_free(inf);
  ts_free(m->s);
  ts_free(m->i);
  m->s = s2;
  m->i = i2;
  m->r = ts_add(m->r, rec); // <- BUG
  ts_free(rec);
}

// OK: five manual steps and the total infected
void epi_run(void) {
  sim m;
  if (sim_init(&m, 0) != 0)
    return;
  for (int t = 0; t < 5; t++)
    sir_step(&m);
  ts_tensor *tot = ts_sum(m.i);
  printf("infected %.4f\n", ts_item(tot));
  ts_free(tot);
  sim_free(&m);
}

// OK: both failing inits leave nothing behind
void epi_init_failures(void) {
  sim m;
  for (int k = 1; k <= 2; k++)
    if (sim_init(&m, k) != 0)
      printf("init %d failed\n", k);
  sim_free(&m);
}

// OK: runs the fast step that loses the old recovered compartment
void epi_run_fast(void) {
  sim m;
  if (sim_init(&m, 0) != 0)
    return;
  for (int t = 0; t < 3; t++)
    sir_step_fast(&m);
  sim_free(&m);
}

// BUG: leak: the early stop leaves the loop without freeing this step's total
void epi_run_until_small(void) {
  sim m;
  if (sim_init(&m, 0) != 0)
    return;
  for (int t = 0; t < 6; t++) {
    sir_step(&m);
    ts_tensor *tot = ts_sum(m.i);
    if (ts_item(tot) < 1e9)
      break; // <- BUG
    ts_free(tot);
  }
  sim_free(&m);
}

// OK: the same early stop, the total freed before the test decides
void epi_run_until_small_ok(void) {
  sim m;
  if (sim_init(&m, 0) != 0)
    return;
  for (int t = 0; t < 6; t++) {
    sir_step(&m);
    ts_tensor *tot = ts_sum(m.i);
    double v = ts_item(tot);
    ts_free(tot);
    if (v < 1e9)
      break;
  }
  sim_free(&m);
}

// OK: its tensors belong to the caller's scope
TS_CALLER_SCOPE static ts_tensor *force_of_infection(const sim *m) {
  return ts_mul_scalar(ts_mul(m->s, ts_matmul(m->contact, m->i)), m->beta);
}

// OK: the force is made and read inside each iteration's scope
void epi_scoped_force(void) {
  sim m;
  if (sim_init(&m, 0) != 0)
    return;
  double peak = 0;
  TS_SCOPE for (int t = 0; t < 3; t++) {
    ts_tensor *f = force_of_infection(&m);
    double v = ts_item(ts_max(f));
    if (v > peak)
      peak = v;
  }
  printf("peak force %.4f\n", peak);
  sim_free(&m);
}

// BUG: use-after-scope: the peak is read after the block that owned it ended
void epi_peak_force(void) {
  sim m;
  if (sim_init(&m, 0) != 0)
    return;
  ts_tensor *peak = NULL;
  TS_SCOPE {
    ts_tensor *f = force_of_infection(&m);
    peak = ts_max(f);
  }
  printf("peak %.4f\n", ts_item(peak)); // <- BUG
  sim_free(&m);
}

// OK: the peak escapes the block and is freed after use
void epi_peak_force_escaped(void) {
  sim m;
  if (sim_init(&m, 0) != 0)
    return;
  ts_tensor *peak = NULL;
  TS_SCOPE {
    ts_tensor *f = force_of_infection(&m);
    peak = ts_escape(ts_max(f));
  }
  printf("peak %.4f\n", ts_item(peak));
  ts_free(peak);
  sim_free(&m);
}

// OK: keeps a copy; when full the oldest copy is freed and the rest shifted
static void hist_record(history *h, const ts_tensor *i) {
  if (h->n == HIST) {
    ts_free(h->hist[0]);
    for (int k = 1; k < HIST; k++)
      h->hist[k - 1] = h->hist[k];
    h->n--;
  }
  h->hist[h->n++] = ts_clone(i);
  h->latest = h->hist[h->n - 1];
}

// OK: frees the copies; latest only points into them
static void hist_free(history *h) {
  for (int k = 0; k < h->n; k++)
    ts_free(h->hist[k]);
  h->n = 0;
  h->latest = NULL;
}

// BUG: double-free: latest is one of the copies, freed a second time
static void hist_free_all(history *h) {
  for (int k = 0; k < h->n; k++)
    ts_free(h->hist[k]);
  if (h->latest)
    ts_free(h->latest); // <- BUG
  h->n = 0;
}

// OK: records six steps into a history of three
void epi_history(void) {
  sim m;
  history h = {{0}, 0, NULL};
  if (sim_init(&m, 0) != 0)
    return;
  for (int t = 0; t < 6; t++) {
    sir_step(&m);
    hist_record(&h, m.i);
  }
  ts_tensor *d = ts_sub(h.latest, h.hist[0]);
  ts_tensor *s = ts_sum(d);
  printf("growth %.4f\n", ts_item(s));
  ts_free(s);
  ts_free(d);
  hist_free(&h);
  sim_free(&m);
}

// OK: tears the history down with the helper that frees latest twice
void epi_history_teardown(void) {
  sim m;
  history h = {{0}, 0, NULL};
  if (sim_init(&m, 0) != 0)
    return;
  for (int t = 0; t < 2; t++) {
    sir_step(&m);
    hist_record(&h, m.i);
  }
  hist_free_all(&h);
  sim_free(&m);
}

// BUG: use-after-free: the oldest copy is read after recording evicted it
void epi_history_first(void) {
  sim m;
  history h = {{0}, 0, NULL};
  if (sim_init(&m, 0) != 0)
    return;
  for (int t = 0; t < HIST; t++) {
    sir_step(&m);
    hist_record(&h, m.i);
  }
  ts_tensor *first = h.hist[0];
  sir_step(&m);
  hist_record(&h, m.i);
  ts_tensor *d = ts_sub(h.latest, first); // <- BUG
  ts_free(d);
  hist_free(&h);
  sim_free(&m);
}

// OK: *out is the region's (s, i, r) row, or NULL with -1 for a bad region
static int region_stats(const sim *m, int region, ts_tensor **out) {
  *out = NULL;
  if (region < 0 || region >= REG)
    return -1;
  const ts_tensor *parts[3] = {m->s, m->i, m->r};
  ts_tensor *all = ts_cat(parts, 3, 1);
  *out = ts_select_int(all, 0, region);
  ts_free(all);
  return 0;
}

// BUG: leak: the concatenation is made before the region is checked and the
// bad-region return loses it
static int region_stats_fast(const sim *m, int region, ts_tensor **out) {
  const ts_tensor *parts[3] = {m->s, m->i, m->r};
  ts_tensor *all = ts_cat(parts, 3, 1);
  *out = NULL;
  if (region >= REG)
    return -1; // <- BUG
  *out = ts_select_int(all, 0, region);
  ts_free(all);
  return 0;
}

// OK: asks for every region and one past the end; frees the rows it gets
void epi_region_report(void) {
  sim m;
  if (sim_init(&m, 0) != 0)
    return;
  for (int r = 0; r <= REG; r++) {
    ts_tensor *row;
    if (region_stats(&m, r, &row) != 0)
      continue;
    ts_tensor *s = ts_sum(row);
    printf("region %d %.3f\n", r, ts_item(s));
    ts_free(s);
    ts_free(row);
  }
  sim_free(&m);
}

// OK: the fast report on a good region and a bad one
void epi_region_fast_report(void) {
  sim m;
  if (sim_init(&m, 0) != 0)
    return;
  ts_tensor *row;
  if (region_stats_fast(&m, 1, &row) == 0)
    ts_free(row);
  if (region_stats_fast(&m, REG, &row) != 0)
    printf("no such region\n");
  sim_free(&m);
}

// BUG: use-after-free: the row is freed before the line that logs it
void epi_region_log(void) {
  sim m;
  if (sim_init(&m, 0) != 0)
    return;
  ts_tensor *row;
  if (region_stats(&m, 2, &row) == 0) {
    ts_tensor *mx = ts_max(row);
    double v = ts_item(mx);
    ts_free(mx);
    ts_free(row);
    if (v > 0.5) {
      ts_tensor *s = ts_sum(row); // <- BUG
      ts_free(s);
    }
    printf("region 2 max %.3f\n", v);
  }
  sim_free(&m);
}

// OK: the forecast runs in ts_run's scope and escapes
static void *forecast_job(void *ctx) {
  const sim *m = ctx;
  ts_tensor *i = ts_clone(m->i);
  for (int t = 0; t < 3; t++)
    i = ts_add(i, ts_mul_scalar(ts_matmul(m->contact, i), 0.05));
  return ts_escape(ts_sum(i));
}

// BUG: unescaped-return: the total is returned from ts_run's scope unescaped
static void *forecast_job_quick(void *ctx) {
  const sim *m = ctx;
  ts_tensor *next = ts_matmul(m->contact, m->i);
  return ts_sum(next); // <- BUG
}

// OK: the escaped forecast is freed after use
void epi_forecast(void) {
  sim m;
  if (sim_init(&m, 0) != 0)
    return;
  ts_tensor *f = ts_run(forecast_job, &m);
  printf("forecast %.4f\n", ts_item(f));
  ts_free(f);
  sim_free(&m);
}

// OK: reads the quick forecast
void epi_forecast_quick(void) {
  sim m;
  if (sim_init(&m, 0) != 0)
    return;
  ts_tensor *f = ts_run(forecast_job_quick, &m);
  printf("quick forecast %.4f\n", ts_item(f));
  ts_free(f);
  sim_free(&m);
}

// OK: replaces the contact matrix with a damped one, freeing the old
static void apply_lockdown(sim *m, double factor) {
  ts_tensor *damped = ts_mul_scalar(m->contact, factor);
  ts_free(m->contact);
  m->contact = damped;
}

// OK: the baseline is a copy of its own, freed after the comparison
void epi_lockdown(void) {
  sim m;
  if (sim_init(&m, 0) != 0)
    return;
  ts_tensor *base = ts_clone(m.contact);
  apply_lockdown(&m, 0.4);
  ts_tensor *d = ts_sub(base, m.contact);
  ts_tensor *s = ts_sum(d);
  printf("contacts removed %.3f\n", ts_item(s));
  ts_free(s);
  ts_free(d);
  ts_free(base);
  sim_free(&m);
}

// BUG: double-free: the baseline is the old contact matrix, which the lockdown
// already freed
void epi_lockdown_baseline(void) {
  sim m;
  if (sim_init(&m, 0) != 0)
    return;
  ts_tensor *base = m.contact;
  apply_lockdown(&m, 0.4);
  sir_step(&m);
  ts_free(base); // <- BUG
  sim_free(&m);
}

// OK: the snapshot is cleared once freed, so the final check skips it
void epi_snapshots(void) {
  sim m;
  if (sim_init(&m, 0) != 0)
    return;
  ts_tensor *snap = NULL;
  for (int t = 0; t < 4; t++) {
    sir_step(&m);
    if (t == 0)
      snap = ts_clone(m.i);
    if (t == 2 && snap) {
      ts_tensor *d = ts_sub(m.i, snap);
      ts_free(d);
      ts_free(snap);
      snap = NULL;
    }
  }
  if (snap)
    ts_free(snap);
  sim_free(&m);
}

// BUG: double-free: the snapshot freed at step 2 is not cleared, so the final
// check frees it again
void epi_snapshots_twice(void) {
  sim m;
  if (sim_init(&m, 0) != 0)
    return;
  ts_tensor *snap = NULL;
  for (int t = 0; t < 4; t++) {
    sir_step(&m);
    if (t == 0)
      snap = ts_clone(m.i);
    if (t == 2 && snap) {
      ts_tensor *d = ts_sub(m.i, snap);
      ts_free(d);
      ts_free(snap);
    }
  }
  if (snap)
    ts_free(snap); // <- BUG
  sim_free(&m);
}

// OK: the season's prior lives in an async scope until its end
void epi_async_season(void) {
  ts_async_scope *season = ts_async_scope_begin();
  ts_async_scope_enter(season);
  ts_tensor *prior = ts_full(TS_SHAPE(REG, 1), TS_FLOAT32, 0.02);
  ts_async_scope_leave(season);
  for (int week = 0; week < 3; week++) {
    ts_async_scope_enter(season);
    TS_SCOPE {
      ts_tensor *s = ts_sum(ts_mul_scalar(prior, 1.0 + week));
      printf("week %d %.3f\n", week, ts_item(s));
    }
    ts_async_scope_leave(season);
  }
  ts_async_scope_end(season);
}

// BUG: use-after-scope: the prior is read after the season's scope ended
void epi_async_after_end(void) {
  ts_async_scope *season = ts_async_scope_begin();
  ts_async_scope_enter(season);
  ts_tensor *prior = ts_full(TS_SHAPE(REG, 1), TS_FLOAT32, 0.02);
  ts_async_scope_leave(season);
  ts_async_scope_end(season);
  ts_tensor *s = ts_sum(prior); // <- BUG
  printf("prior %.3f\n", ts_item(s));
  ts_free(s);
}
