/*
 * heldout10_elo.c - Elo ratings for a game league: a league struct whose
 * ratings are replaced after every match, expected scores, seasons of rounds
 * in scoped loops, pairings that own each player's recent form, a knockout
 * bracket, rating gaps with an early return, a simulation in ts_run that
 * reports back through its context.
 *
 * Labels (see README.md): `// OK: why` or `// BUG: check: why` on the line
 * before each function; the line of the bug itself ends in `// <- BUG`.
 */
#include <math.h>
#include <stdio.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { PLAYERS = 6, FORM = 3, ROUNDS = 3 };

typedef struct {
  ts_tensor *ratings; /* [PLAYERS] */
  double k;
  int matches;
} league;

typedef struct {
  ts_tensor *form_a; /* [FORM] recent results of player a */
  ts_tensor *form_b;
} pairing;

typedef struct {
  ts_tensor *form[PLAYERS]; /* NULL once eliminated */
  int alive;
} bracket;

typedef struct {
  const league *l;
  ts_tensor *final; /* the simulated final ratings */
  double spread;
} sim_ctx;

// OK: every player starts at 1500
static int league_init(league *l) {
  l->k = 32.0;
  l->matches = 0;
  l->ratings = ts_full(TS_SHAPE(PLAYERS), TS_FLOAT32, 1500.0);
  return l->ratings ? 0 : -1;
}

// OK: frees the ratings
static void league_free(league *l) {
  ts_free(l->ratings);
  l->ratings = NULL;
}

// OK: starts the season over: new ratings replace the old ones, which are
// freed
static void league_reset(league *l) {
  ts_tensor *fresh = ts_full(TS_SHAPE(PLAYERS), TS_FLOAT32, 1500.0);
  ts_free(l->ratings);
  l->ratings = fresh;
  l->matches = 0;
}

// OK: a one-hot [PLAYERS] for player i scaled by v
static ts_tensor *one_hot(int i, double v) {
  float buf[PLAYERS] = {0};
  buf[i] = (float)v;
  return ts_from_buffer(buf, TS_SHAPE(PLAYERS), TS_FLOAT32);
}

// OK: the expected score of a against b
static double expected(const league *l, int a, int b) {
  ts_tensor *ra = ts_select_int(l->ratings, 0, a);
  ts_tensor *rb = ts_select_int(l->ratings, 0, b);
  ts_tensor *d = ts_sub(rb, ra);
  double e = 1.0 / (1.0 + pow(10.0, ts_item(d) / 400.0));
  ts_free(d);
  ts_free(rb);
  ts_free(ra);
  return e;
}

// OK: a beats or loses to b (score 1 or 0); ratings replaced, temporaries freed
static void play(league *l, int a, int b, double score) {
  double delta = l->k * (score - expected(l, a, b));
  ts_tensor *da = one_hot(a, delta);
  ts_tensor *db = one_hot(b, -delta);
  ts_tensor *both = ts_add(da, db);
  ts_tensor *next = ts_add(l->ratings, both);
  ts_free(both);
  ts_free(db);
  ts_free(da);
  ts_free(l->ratings);
  l->ratings = next;
  l->matches++;
}

// BUG: leak: the combined change is folded into the new ratings and never
// freed
static void play_fast(league *l, int a, int b, double score) {
  double delta = l->k * (score - expected(l, a, b));
  ts_tensor *da = one_hot(a, delta);
  ts_tensor *db = one_hot(b, -delta);
  ts_tensor *next = ts_add(l->ratings, ts_add(da, db)); // <- BUG
  ts_free(db);
  ts_free(da);
  ts_free(l->ratings);
  l->ratings = next;
  l->matches++;
}

// OK: a few matches, the leader's rating
void elo_matches(void) {
  league l;
  if (league_init(&l) != 0)
    return;
  play(&l, 0, 1, 1.0);
  play(&l, 2, 0, 0.0);
  play(&l, 3, 4, 1.0);
  ts_tensor *mx = ts_max(l.ratings);
  printf("%d matches, leader %.1f\n", l.matches, ts_item(mx));
  ts_free(mx);
  league_free(&l);
}

// OK: matches through the fast update
void elo_matches_fast(void) {
  league l;
  if (league_init(&l) != 0)
    return;
  play_fast(&l, 0, 1, 1.0);
  play_fast(&l, 1, 2, 0.0);
  league_free(&l);
}

// OK: a reset between seasons
void elo_reset(void) {
  league l;
  if (league_init(&l) != 0)
    return;
  play(&l, 0, 5, 1.0);
  league_reset(&l);
  play(&l, 5, 0, 1.0);
  league_free(&l);
}

// BUG: double-free: the ratings are freed by hand and then by league_reset
void elo_reset_twice(void) {
  league l;
  if (league_init(&l) != 0)
    return;
  play(&l, 0, 5, 1.0);
  ts_free(l.ratings);
  league_reset(&l); // <- BUG
  league_free(&l);
}

// OK: a season of scoped rounds; each round's ratings escape and replace the
// last
void elo_season(void) {
  league l;
  if (league_init(&l) != 0)
    return;
  TS_SCOPE for (int r = 0; r < ROUNDS; r++) {
    ts_tensor *noise =
        ts_mul_scalar(ts_randn(TS_SHAPE(PLAYERS), TS_FLOAT32), 10.0);
    ts_tensor *next = ts_escape(ts_add(l.ratings, noise));
    ts_free(l.ratings);
    l.ratings = next;
  }
  ts_tensor *m = ts_mean(l.ratings);
  printf("mean rating %.1f\n", ts_item(m));
  ts_free(m);
  league_free(&l);
}

// OK: the spread between the best and worst rating, every tensor freed
static double rating_gap(const league *l) {
  ts_tensor *hi = ts_max(l->ratings);
  ts_tensor *lo = ts_min(l->ratings);
  double gap = ts_item(hi) - ts_item(lo);
  ts_free(lo);
  ts_free(hi);
  return gap;
}

// BUG: leak: a league without a spread returns before the minimum is freed
static double rating_gap_fast(const league *l) {
  ts_tensor *hi = ts_max(l->ratings);
  ts_tensor *lo = ts_min(l->ratings);
  double top = ts_item(hi);
  ts_free(hi);
  if (top == ts_item(lo))
    return 0.0; // <- BUG
  double gap = top - ts_item(lo);
  ts_free(lo);
  return gap;
}

// OK: the gap before and after a match
void elo_gap(void) {
  league l;
  if (league_init(&l) != 0)
    return;
  printf("gap %.1f\n", rating_gap(&l));
  play(&l, 1, 2, 1.0);
  printf("gap %.1f\n", rating_gap(&l));
  league_free(&l);
}

// OK: the fast gap of a fresh league
void elo_gap_fast(void) {
  league l;
  if (league_init(&l) != 0)
    return;
  printf("gap %.1f\n", rating_gap_fast(&l));
  league_free(&l);
}

// OK: frees a pairing's two forms
static void pairing_free(pairing *p) {
  ts_free(p->form_a);
  ts_free(p->form_b);
}

// OK: each pairing gets forms of its own
void elo_pairings(void) {
  pairing ps[2];
  for (int k = 0; k < 2; k++) {
    ps[k].form_a = ts_rand(TS_SHAPE(FORM), TS_FLOAT32);
    ps[k].form_b = ts_rand(TS_SHAPE(FORM), TS_FLOAT32);
  }
  for (int k = 0; k < 2; k++) {
    ts_tensor *d = ts_sub(ps[k].form_a, ps[k].form_b);
    ts_tensor *s = ts_sum(d);
    printf("pairing %d edge %.2f\n", k, ts_item(s));
    ts_free(s);
    ts_free(d);
  }
  for (int k = 0; k < 2; k++)
    pairing_free(&ps[k]);
}

// BUG: double-free: the player in both pairings shares one form tensor, freed
// by each pairing
void elo_pairings_shared(void) {
  ts_tensor *star = ts_rand(TS_SHAPE(FORM), TS_FLOAT32);
  pairing ps[2];
  ps[0].form_a = star;
  ps[0].form_b = ts_rand(TS_SHAPE(FORM), TS_FLOAT32);
  ps[1].form_a = star;
  ps[1].form_b = ts_rand(TS_SHAPE(FORM), TS_FLOAT32);
  for (int k = 0; k < 2; k++)
    pairing_free(&ps[k]); // <- BUG
}

// OK: the player in both pairings gets a copy in the second one
void elo_pairings_copied(void) {
  ts_tensor *star = ts_rand(TS_SHAPE(FORM), TS_FLOAT32);
  pairing ps[2];
  ps[0].form_a = star;
  ps[0].form_b = ts_rand(TS_SHAPE(FORM), TS_FLOAT32);
  ps[1].form_a = ts_clone(star);
  ps[1].form_b = ts_rand(TS_SHAPE(FORM), TS_FLOAT32);
  for (int k = 0; k < 2; k++)
    pairing_free(&ps[k]);
}

// OK: a few recent results of form for each player
static void bracket_init(bracket *b) {
  for (int k = 0; k < PLAYERS; k++)
    b->form[k] = ts_rand(TS_SHAPE(FORM), TS_FLOAT32);
  b->alive = PLAYERS;
}

// OK: player k is out: its form is freed and its slot cleared
static void eliminate(bracket *b, int k) {
  ts_free(b->form[k]);
  b->form[k] = NULL;
  b->alive--;
}

// OK: frees the forms of the players still in
static void bracket_free(bracket *b) {
  for (int k = 0; k < PLAYERS; k++)
    if (b->form[k])
      ts_free(b->form[k]);
}

// OK: losers' forms read before they are eliminated
void elo_knockout(void) {
  bracket b;
  bracket_init(&b);
  double lost = 0;
  for (int k = 0; k < PLAYERS; k += 2) {
    ts_tensor *s = ts_sum(b.form[k]);
    lost += ts_item(s);
    ts_free(s);
    eliminate(&b, k);
  }
  printf("%d left, losers' form %.2f\n", b.alive, lost);
  bracket_free(&b);
}

// BUG: use-after-free: the first loser's form is summarised after its
// elimination freed it
void elo_knockout_recap(void) {
  bracket b;
  bracket_init(&b);
  ts_tensor *first_loser = b.form[0];
  for (int k = 0; k < PLAYERS; k += 2)
    eliminate(&b, k);
  ts_tensor *s = ts_sum(first_loser); // <- BUG
  printf("first loser's form %.2f\n", ts_item(s));
  ts_free(s);
  bracket_free(&b);
}

// OK: simulates a round in ts_run; the final ratings are escaped into the
// context before the run's scope ends
static void *simulate(void *arg) {
  sim_ctx *c = arg;
  ts_tensor *noise =
      ts_mul_scalar(ts_randn(TS_SHAPE(PLAYERS), TS_FLOAT32), 25.0);
  ts_tensor *fin = ts_add(c->l->ratings, noise);
  c->spread = ts_item(ts_std(fin, true));
  c->final = ts_escape(fin);
  return NULL;
}

// BUG: use-after-scope: the final ratings are stored in the context without
// ts_escape, so ts_run's scope frees them before the caller reads them
static void *simulate_quick(void *arg) {
  sim_ctx *c = arg;
  ts_tensor *noise =
      ts_mul_scalar(ts_randn(TS_SHAPE(PLAYERS), TS_FLOAT32), 25.0);
  c->final = ts_add(c->l->ratings, noise); // <- BUG
  c->spread = 25.0;
  return NULL;
}

// OK: reads the simulated ratings and frees them
void elo_simulate(void) {
  league l;
  if (league_init(&l) != 0)
    return;
  sim_ctx c = {&l, NULL, 0};
  ts_run(simulate, &c);
  ts_tensor *mx = ts_max(c.final);
  printf("simulated leader %.1f (spread %.1f)\n", ts_item(mx), c.spread);
  ts_free(mx);
  ts_free(c.final);
  league_free(&l);
}

// OK: reads the quick simulation's ratings
void elo_simulate_quick(void) {
  league l;
  if (league_init(&l) != 0)
    return;
  sim_ctx c = {&l, NULL, 0};
  ts_run(simulate_quick, &c);
  ts_tensor *mx = ts_max(c.final);
  printf("simulated leader %.1f\n", ts_item(mx));
  ts_free(mx);
  ts_free(c.final);
  league_free(&l);
}

// OK: the top three ratings through topk; both results freed
void elo_leaderboard(void) {
  league l;
  if (league_init(&l) != 0)
    return;
  play(&l, 4, 2, 1.0);
  play(&l, 3, 1, 1.0);
  ts_tensor *res[2];
  if (ts_topk(res, l.ratings, 3, 0, true, true) == TS_OK) {
    ts_tensor *first = ts_select_int(res[1], 0, 0);
    printf("leader is player %d\n", (int)ts_item(first));
    ts_free(first);
    ts_free(res[0]);
    ts_free(res[1]);
  }
  league_free(&l);
}
