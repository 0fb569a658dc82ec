/* heldout8_transe.c - TransE knowledge-graph embeddings: entity and relation
 * vectors in heap arrays, triples scored by ||h + r - t||, margin ranking
 * against corrupted triples, mean-rank evaluation and checkpoints returned
 * by value in structs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsmem.h>
#include <tsmem/ops.h>

#define KD 5

typedef struct {
  int h, r, t;
} triple;

typedef struct {
  ts_tensor **ent; /* nent x [KD] */
  ts_tensor **rel; /* nrel x [KD] */
  int nent, nrel;
} kg_model;

typedef struct {
  ts_tensor *ent; /* [nent, KD] stacked copy */
  ts_tensor *rel; /* [nrel, KD] */
  int ok;
} kg_ckpt;

// OK: a random vector, caller owns it
static ts_tensor *rvec(void) {
  return ts_rand(TS_SHAPE(KD), TS_FLOAT32);
}

// OK: allocates both tables; everything made so far freed on failure
static int kg_init(kg_model *m, int nent, int nrel) {
  m->ent = calloc((size_t)nent, sizeof *m->ent);
  m->rel = calloc((size_t)nrel, sizeof *m->rel);
  m->nent = m->nrel = 0;
  if (!m->ent || !m->rel)
    goto fail;
  for (; m->nent < nent; m->nent++)
    if (!(m->ent[m->nent] = rvec()))
      goto fail;
  for (; m->nrel < nrel; m->nrel++)
    if (!(m->rel[m->nrel] = rvec()))
      goto fail;
  return 0;
fail:
  for (int i = 0; i < m->nent; i++)
    ts_free(m->ent[i]);
  for (int i = 0; i < m->nrel; i++)
    ts_free(m->rel[i]);
  free(m->ent);
  free(m->rel);
  m->ent = m->rel = NULL;
  return -1;
}

// OK: frees the tables
static void kg_free(kg_model *m) {
  for (int i = 0; i < m->nent; i++)
    ts_free(m->ent[i]);
  for (int i = 0; i < m->nrel; i++)
    ts_free(m->rel[i]);
  free(m->ent);
  free(m->rel);
  m->ent = m->rel = NULL;
  m->nent = m->nrel = 0;
}

// BUG: leak: only the array of relations is freed, not its vectors
static void kg_free_shallow_rel(kg_model *m) {
  for (int i = 0; i < m->nent; i++)
    ts_free(m->ent[i]);
  free(m->ent);
  free(m->rel); // <- BUG
  m->ent = m->rel = NULL;
}

// OK: distance of a triple in the caller's scope
TS_CALLER_SCOPE static ts_tensor *tri_dist(const kg_model *m, triple x) {
  ts_tensor *d = ts_sub(ts_add(m->ent[x.h], m->rel[x.r]), m->ent[x.t]);
  return ts_sum(ts_mul(d, d));
}

// OK: score of a triple as a number
static double tri_score(const kg_model *m, triple x) {
  double s;
  TS_SCOPE { s = ts_item(tri_dist(m, x)); }
  return s;
}

// OK: one margin-ranking update with a finite-difference-free closed form
static double kg_update(kg_model *m, triple pos, triple neg, double lr,
                        double margin) {
  double gap;
  TS_SCOPE {
    double dp = ts_item(tri_dist(m, pos));
    double dn = ts_item(tri_dist(m, neg));
    gap = margin + dp - dn;
    if (gap > 0) {
      ts_tensor *g = ts_sub(ts_add(m->ent[pos.h], m->rel[pos.r]), m->ent[pos.t]);
      ts_tensor *nh = ts_sub(m->ent[pos.h], ts_mul_scalar(g, lr));
      ts_tensor *nt = ts_add(m->ent[pos.t], ts_mul_scalar(g, lr));
      ts_free(m->ent[pos.h]);
      m->ent[pos.h] = ts_keep(nh);
      if (pos.t != pos.h) {
        ts_free(m->ent[pos.t]);
        m->ent[pos.t] = ts_keep(nt);
      }
    }
  }
  return gap > 0 ? gap : 0.0;
}

// BUG: double-free: a self-loop triple frees the head twice (h == t not handled)
static double kg_update_selfloop(kg_model *m, triple pos, double lr) {
  ts_tensor *g = ts_sub(ts_add(m->ent[pos.h], m->rel[pos.r]), m->ent[pos.t]);
  ts_tensor *nh = ts_sub(m->ent[pos.h], g);
  ts_tensor *nt = ts_add(m->ent[pos.t], g);
  ts_free(g);
  ts_free(m->ent[pos.h]);
  ts_free(m->ent[pos.t]); // <- BUG
  m->ent[pos.h] = nh;
  m->ent[pos.t] = nt;
  return lr;
}

// OK: re-normalises entity i in place of the old vector
static void kg_renorm(kg_model *m, int i) {
  ts_tensor *n;
  TS_SCOPE {
    ts_tensor *e = m->ent[i];
    ts_tensor *len = ts_sum(ts_mul(e, e));
    double l = ts_item(len);
    n = l > 1.0 ? ts_keep(ts_mul_scalar(e, 1.0 / l)) : NULL;
  }
  if (n) {
    ts_free(m->ent[i]);
    m->ent[i] = n;
  }
}

// BUG: use-after-scope: the renormalised vector is made in the scope and stored without a keep
static void kg_renorm_nokeep(kg_model *m, int i) {
  TS_SCOPE {
    ts_tensor *e = m->ent[i];
    ts_tensor *n = ts_mul_scalar(e, 0.5);
    ts_free(m->ent[i]);
    m->ent[i] = n;
  }
  printf("%g\n", tri_score(m, (triple){i, 0, i})); // <- BUG
}

// OK: corrupts the tail of a triple deterministically
static triple corrupt(triple x, int nent, int salt) {
  triple y = x;
  y.t = (x.t + 1 + salt) % nent;
  if (y.t == x.t)
    y.t = (y.t + 1) % nent;
  return y;
}

// OK: rank of the true tail among all entities
static int tail_rank(const kg_model *m, triple x) {
  double s = tri_score(m, x);
  int rank = 1;
  for (int e = 0; e < m->nent; e++) {
    if (e == x.t)
      continue;
    if (tri_score(m, (triple){x.h, x.r, e}) < s)
      rank++;
  }
  return rank;
}

// OK: stacked copies of both tables, returned by value
static kg_ckpt kg_save(const kg_model *m) {
  kg_ckpt c = {NULL, NULL, 0};
  c.ent = ts_stack((const ts_tensor *const *)m->ent, m->nent, 0);
  if (!c.ent)
    return c;
  c.rel = ts_stack((const ts_tensor *const *)m->rel, m->nrel, 0);
  if (!c.rel) {
    ts_free(c.ent);
    c.ent = NULL;
    return c;
  }
  c.ok = 1;
  return c;
}

// OK: frees a checkpoint
static void kg_ckpt_free(kg_ckpt *c) {
  if (c->ent)
    ts_free(c->ent);
  if (c->rel)
    ts_free(c->rel);
  c->ent = c->rel = NULL;
  c->ok = 0;
}

// BUG: leak: a failed relation stack leaves the entity stack in the returned struct with ok = 0, which the caller never frees
static kg_ckpt kg_save_fast(const kg_model *m) {
  kg_ckpt c = {NULL, NULL, 0};
  c.ent = ts_stack((const ts_tensor *const *)m->ent, m->nent, 0); // <- BUG
  if (m->nrel < 2)
    return c;
  c.rel = ts_stack((const ts_tensor *const *)m->rel, m->nrel, 0);
  c.ok = c.rel != NULL;
  return c;
}

// OK: restores rows of the checkpoint into fresh vectors
static int kg_restore(kg_model *m, const kg_ckpt *c) {
  for (int i = 0; i < m->nent; i++) {
    ts_tensor *row = ts_narrow(c->ent, 0, i, 1);
    ts_tensor *v = row ? ts_reshape(row, TS_SHAPE(KD)) : NULL;
    ts_tensor *cp = v ? ts_clone(v) : NULL;
    if (v)
      ts_free(v);
    if (row)
      ts_free(row);
    if (!cp)
      return -1;
    ts_free(m->ent[i]);
    m->ent[i] = cp;
  }
  return 0;
}

// BUG: use-after-free: the restore frees the old vector before cloning from a view of it
static int kg_restore_inplace(kg_model *m, int i) {
  ts_tensor *old = m->ent[i];
  ts_tensor *v = ts_reshape(old, TS_SHAPE(1, KD));
  ts_free(old);
  ts_tensor *cp = ts_clone(old); // <- BUG
  ts_free(v);
  m->ent[i] = cp;
  return cp ? 0 : -1;
}

static const triple KB[5] = {{0, 0, 1}, {1, 0, 2}, {2, 1, 3}, {3, 1, 0}, {1, 1, 3}};

// OK: epochs over the triples, renorm, ranks, a checkpoint round trip
void kg_entry_train(void) {
  kg_model m;
  ts_manual_seed(4);
  if (kg_init(&m, 4, 2) != 0)
    return;
  double loss = 0.0;
  for (int ep = 0; ep < 3; ep++)
    for (int i = 0; i < 5; i++)
      loss += kg_update(&m, KB[i], corrupt(KB[i], m.nent, ep), 0.05, 1.0);
  for (int i = 0; i < m.nent; i++)
    kg_renorm(&m, i);
  kg_ckpt c = kg_save(&m);
  if (c.ok)
    kg_restore(&m, &c);
  kg_ckpt_free(&c);
  int r = 0;
  for (int i = 0; i < 5; i++)
    r += tail_rank(&m, KB[i]);
  printf("%g %g\n", loss, r / 5.0);
  kg_free(&m);
}

// OK: drives the shallow teardown
void kg_entry_shallow(void) {
  kg_model m;
  if (kg_init(&m, 2, 2) == 0)
    kg_free_shallow_rel(&m);
}

// OK: drives the update on a self-loop
void kg_entry_selfloop(void) {
  kg_model m;
  if (kg_init(&m, 2, 1) != 0)
    return;
  kg_update_selfloop(&m, (triple){1, 0, 1}, 0.1);
  kg_free(&m);
}

// OK: drives the renormalisation without keep
void kg_entry_renorm(void) {
  kg_model m;
  if (kg_init(&m, 2, 1) != 0)
    return;
  kg_renorm_nokeep(&m, 1);
  kg_free(&m);
}

// OK: drives the fast save with a single relation
void kg_entry_save_fast(void) {
  kg_model m;
  if (kg_init(&m, 3, 1) != 0)
    return;
  kg_ckpt c = kg_save_fast(&m);
  if (c.ok)
    kg_ckpt_free(&c);
  kg_free(&m);
}

// OK: drives the in-place restore
void kg_entry_restore_inplace(void) {
  kg_model m;
  if (kg_init(&m, 2, 1) != 0)
    return;
  kg_restore_inplace(&m, 0);
  kg_free(&m);
}

// BUG: double-free: the checkpoint is freed by hand and then through kg_ckpt_free
void kg_entry_ckpt_twice(void) {
  kg_model m;
  if (kg_init(&m, 3, 2) != 0)
    return;
  kg_ckpt c = kg_save(&m);
  if (c.ok) {
    ts_free(c.ent);
    ts_free(c.rel);
  }
  kg_ckpt_free(&c); // <- BUG
  kg_free(&m);
}

// BUG: leak: the early exit on a bad rank skips the checkpoint free
void kg_entry_rank_exit(void) {
  kg_model m;
  if (kg_init(&m, 4, 2) != 0)
    return;
  kg_ckpt c = kg_save(&m); // <- BUG
  int r = tail_rank(&m, KB[0]);
  if (r >= 1) {
    kg_free(&m);
    return;
  }
  kg_ckpt_free(&c);
  kg_free(&m);
}

// BUG: use-after-free: a relation vector is freed by hand and then scored through the model
void kg_entry_rel_free(void) {
  kg_model m;
  if (kg_init(&m, 4, 2) != 0)
    return;
  ts_free(m.rel[1]);
  printf("%g\n", tri_score(&m, KB[2])); // <- BUG
  kg_free(&m);
}

// OK: entity scores in a TS_SCOPE loop, one number per iteration
void kg_entry_scores(void) {
  kg_model m;
  double best = 1e30;
  if (kg_init(&m, 4, 2) != 0)
    return;
  TS_SCOPE for (int i = 0; i < 5; i++) {
    ts_tensor *d = tri_dist(&m, KB[i]);
    double v = ts_item(d);
    if (v < best)
      best = v;
  }
  printf("%g\n", best);
  kg_free(&m);
}

// BUG: use-after-free: an entity vector held across kg_restore, which replaces and frees it
void kg_entry_held_restore(void) {
  kg_model m;
  if (kg_init(&m, 3, 2) != 0)
    return;
  ts_tensor *e0 = m.ent[0];
  kg_ckpt c = kg_save(&m);
  if (c.ok)
    kg_restore(&m, &c);
  kg_ckpt_free(&c);
  ts_tensor *d = ts_sub(e0, m.ent[0]); // <- BUG
  printf("%lld\n", (long long)ts_numel(d));
  ts_free(d);
  kg_free(&m);
}
