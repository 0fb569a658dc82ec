/*
 * heldout10_auction.c - sealed-bid ad auctions: bidders with value vectors
 * in an array, second-price clearing through sort results and
 * out-parameters, a round struct torn down between rounds, budgets paced
 * across rounds in scopes, clearing prices computed in the caller's scope,
 * reports kept with ts_keep.
 *
 * Labels (see README.md): `// OK: why` or `// BUG: check: why` on the line
 * before each function; the line of the bug itself ends in `// <- BUG`.
 */
#include <stdio.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { SLOTS = 3, MAXB = 6 };

typedef struct {
  int id;
  ts_tensor *values; /* [SLOTS] what each slot is worth to the bidder */
  double budget;
} bidder;

typedef struct {
  bidder b[MAXB];
  int n;
} bidder_set;

typedef struct {
  ts_tensor *bids;  /* [n] for one slot */
  ts_tensor *price; /* 0-d */
  int winner;
} round_result;

// OK: a bidder with random values
static void bidders_add(bidder_set *s, int id, double budget) {
  if (s->n == MAXB)
    return;
  s->b[s->n].id = id;
  s->b[s->n].values = ts_rand(TS_SHAPE(SLOTS), TS_FLOAT32);
  s->b[s->n++].budget = budget;
}

// OK: frees every bidder's values
static void bidders_free(bidder_set *s) {
  for (int k = 0; k < s->n; k++)
    ts_free(s->b[k].values);
  s->n = 0;
}

// OK: removes bidder k: its values freed, the last bidder moved into the hole
static void bidders_remove(bidder_set *s, int k) {
  ts_free(s->b[k].values);
  s->b[k] = s->b[--s->n];
}

// BUG: double-free: the last bidder is copied into the hole but the count is
// not lowered, so its values sit in two slots and are freed twice
static void bidders_retire(bidder_set *s, int k) {
  ts_free(s->b[k].values);
  s->b[k] = s->b[s->n - 1]; // <- BUG
}

// OK: the bids of all bidders for one slot, [n]
static ts_tensor *slot_bids(const bidder_set *s, int slot) {
  const ts_tensor *cols[MAXB];
  for (int k = 0; k < s->n; k++)
    cols[k] = s->b[k].values;
  ts_tensor *all = ts_stack(cols, s->n, 0);
  ts_tensor *bids = ts_select_int(all, 1, slot);
  ts_free(all);
  return bids;
}

// OK: four bidders, one removed, all freed
void auc_bidders(void) {
  bidder_set s = {.n = 0};
  for (int k = 0; k < 4; k++)
    bidders_add(&s, k, 10.0);
  bidders_remove(&s, 1);
  ts_tensor *bids = slot_bids(&s, 0);
  printf("%lld bids\n", (long long)ts_numel(bids));
  ts_free(bids);
  bidders_free(&s);
}

// OK: a bidder retired through the helper that keeps the count
void auc_bidders_retire(void) {
  bidder_set s = {.n = 0};
  for (int k = 0; k < 4; k++)
    bidders_add(&s, k, 10.0);
  bidders_retire(&s, 0);
  bidders_free(&s);
}

// OK: second price: winner in *winner, price (the caller's) in *price; below
// the reserve nothing is sold and nothing is kept
static int clear_second_price(const ts_tensor *bids, double reserve,
                              int *winner, ts_tensor **price) {
  ts_tensor *res[2];
  *price = NULL;
  if (ts_sort(res, bids, 0, true) != TS_OK)
    return -1;
  ts_tensor *top = ts_select_int(res[0], 0, 0);
  ts_tensor *who = ts_select_int(res[1], 0, 0);
  double best = ts_item(top);
  *winner = (int)ts_item(who);
  ts_free(who);
  ts_free(top);
  if (best < reserve) {
    ts_free(res[0]);
    ts_free(res[1]);
    return -1;
  }
  *price = ts_select_int(res[0], 0, 1);
  ts_free(res[0]);
  ts_free(res[1]);
  return 0;
}

// BUG: leak: below the reserve the sorted bids and their indices are dropped
static int clear_first_price(const ts_tensor *bids, double reserve, int *winner,
                             ts_tensor **price) {
  ts_tensor *res[2];
  *price = NULL;
  if (ts_sort(res, bids, 0, true) != TS_OK)
    return -1;
  ts_tensor *top = ts_select_int(res[0], 0, 0);
  double best = ts_item(top);
  ts_free(top);
  if (best < reserve)
    return -1; // <- BUG
  ts_tensor *who = ts_select_int(res[1], 0, 0);
  *winner = (int)ts_item(who);
  ts_free(who);
  *price = ts_select_int(res[0], 0, 0);
  ts_free(res[0]);
  ts_free(res[1]);
  return 0;
}

// OK: a sale and a reserve too high to sell
void auc_second_price(void) {
  bidder_set s = {.n = 0};
  for (int k = 0; k < 4; k++)
    bidders_add(&s, k, 10.0);
  ts_tensor *bids = slot_bids(&s, 0);
  double reserves[] = {0.0, 5.0};
  for (int r = 0; r < 2; r++) {
    int w = -1;
    ts_tensor *price;
    if (clear_second_price(bids, reserves[r], &w, &price) == 0) {
      printf("bidder %d pays %.3f\n", w, ts_item(price));
      ts_free(price);
    } else {
      printf("unsold\n");
    }
  }
  ts_free(bids);
  bidders_free(&s);
}

// OK: first price with a reserve nobody meets
void auc_first_price(void) {
  bidder_set s = {.n = 0};
  for (int k = 0; k < 3; k++)
    bidders_add(&s, k, 10.0);
  ts_tensor *bids = slot_bids(&s, 1);
  int w = -1;
  ts_tensor *price;
  if (clear_first_price(bids, 5.0, &w, &price) == 0)
    ts_free(price);
  ts_free(bids);
  bidders_free(&s);
}

// OK: frees the round's tensors
static void round_clear(round_result *r) {
  ts_free(r->bids);
  if (r->price)
    ts_free(r->price);
}

// OK: announces, then clears the round
void auc_round(void) {
  bidder_set s = {.n = 0};
  for (int k = 0; k < 3; k++)
    bidders_add(&s, k, 10.0);
  round_result r;
  r.bids = slot_bids(&s, 2);
  clear_second_price(r.bids, 0.0, &r.winner, &r.price);
  if (r.price)
    printf("round: bidder %d pays %.3f\n", r.winner, ts_item(r.price));
  round_clear(&r);
  bidders_free(&s);
}

// BUG: use-after-free: the price is announced after the round was cleared
void auc_round_late_notice(void) {
  bidder_set s = {.n = 0};
  for (int k = 0; k < 3; k++)
    bidders_add(&s, k, 10.0);
  round_result r;
  r.bids = slot_bids(&s, 2);
  clear_second_price(r.bids, 0.0, &r.winner, &r.price);
  round_clear(&r);
  if (r.price)
    printf("bidder %d pays %.3f\n", r.winner, ts_item(r.price)); // <- BUG
  bidders_free(&s);
}

// OK: the clearing price of a slot, in the caller's scope, through *out
TS_CALLER_SCOPE static void clearing_price(const bidder_set *s, int slot,
                                           ts_tensor **out) {
  ts_tensor *bids = slot_bids(s, slot);
  ts_tensor *res[2];
  ts_topk(res, bids, 2, 0, true, true);
  *out = ts_select_int(res[0], 0, 1);
}

// OK: prices computed and read inside the block; the total leaves as a double
void auc_prices_scoped(void) {
  bidder_set s = {.n = 0};
  for (int k = 0; k < 4; k++)
    bidders_add(&s, k, 10.0);
  double total = 0;
  TS_SCOPE {
    for (int slot = 0; slot < SLOTS; slot++) {
      ts_tensor *p;
      clearing_price(&s, slot, &p);
      total += ts_item(p);
    }
  }
  printf("revenue %.3f\n", total);
  bidders_free(&s);
}

// BUG: use-after-scope: the price comes out of the block through the
// out-parameter and is read after the block's scope freed it
void auc_price_after_block(void) {
  bidder_set s = {.n = 0};
  for (int k = 0; k < 4; k++)
    bidders_add(&s, k, 10.0);
  ts_tensor *p = NULL;
  TS_SCOPE { clearing_price(&s, 0, &p); }
  printf("price %.3f\n", ts_item(p)); // <- BUG
  bidders_free(&s);
}

// OK: the reserve for a slot: the bids' mean, escaped on both paths
TS_SCOPED static ts_tensor *reserve_price(const bidder_set *s, int slot) {
  ts_tensor *bids = slot_bids(s, slot);
  if (s->n == 1)
    return ts_escape(ts_mul_scalar(bids, 0.5));
  return ts_escape(ts_mean(bids));
}

// BUG: unescaped-return: with a single bidder the reserve is returned without
// ts_escape
TS_SCOPED static ts_tensor *reserve_price_fast(const bidder_set *s, int slot) {
  ts_tensor *bids = slot_bids(s, slot);
  if (s->n == 1)
    return ts_mul_scalar(bids, 0.5); // <- BUG
  return ts_escape(ts_mean(bids));
}

// OK: reserves with one and with three bidders
void auc_reserve(void) {
  bidder_set s = {.n = 0};
  for (int n = 1; n <= 3; n += 2) {
    while (s.n < n)
      bidders_add(&s, s.n, 10.0);
    ts_tensor *r = reserve_price(&s, 0);
    ts_tensor *m = ts_mean(r);
    printf("reserve with %d: %.3f\n", n, ts_item(m));
    ts_free(m);
    ts_free(r);
  }
  bidders_free(&s);
}

// OK: the fast reserve with one bidder
void auc_reserve_fast(void) {
  bidder_set s = {.n = 0};
  bidders_add(&s, 0, 10.0);
  ts_tensor *r = reserve_price_fast(&s, 0);
  ts_tensor *m = ts_mean(r);
  printf("reserve %.3f\n", ts_item(m));
  ts_free(m);
  ts_free(r);
  bidders_free(&s);
}

// OK: each bidder's spend paced in a scoped loop; budgets are doubles
void auc_pacing(void) {
  bidder_set s = {.n = 0};
  for (int k = 0; k < 3; k++)
    bidders_add(&s, k, 1.0);
  TS_SCOPE for (int r = 0; r < 4; r++) {
    for (int k = 0; k < s.n; k++) {
      ts_tensor *spend = ts_mul_scalar(ts_sum(s.b[k].values), 0.1);
      s.b[k].budget -= ts_item(spend);
    }
  }
  printf("budget left %.3f\n", s.b[0].budget);
  bidders_free(&s);
}

// OK: the report is kept out of the block; freed on both paths
static void pacing_report(bidder_set *s, int print) {
  ts_tensor *report = NULL;
  TS_SCOPE {
    ts_tensor *bids = slot_bids(s, 0);
    report = ts_keep(ts_cumsum(bids, 0, TS_NO_DTYPE));
  }
  if (!print) {
    ts_free(report);
    return;
  }
  ts_tensor *last = ts_max(report);
  printf("cumulative %.3f\n", ts_item(last));
  ts_free(last);
  ts_free(report);
}

// BUG: leak: the kept report is not freed when nothing is printed
static void pacing_report_quiet(bidder_set *s, int print) {
  ts_tensor *report = NULL;
  TS_SCOPE {
    ts_tensor *bids = slot_bids(s, 0);
    report = ts_keep(ts_cumsum(bids, 0, TS_NO_DTYPE)); // <- BUG
  }
  if (!print)
    return;
  ts_tensor *last = ts_max(report);
  printf("cumulative %.3f\n", ts_item(last));
  ts_free(last);
  ts_free(report);
}

// OK: reports printed and silent
void auc_reports(void) {
  bidder_set s = {.n = 0};
  for (int k = 0; k < 3; k++)
    bidders_add(&s, k, 1.0);
  pacing_report(&s, 1);
  pacing_report(&s, 0);
  bidders_free(&s);
}

// OK: the quiet report helper without printing
void auc_reports_quiet(void) {
  bidder_set s = {.n = 0};
  for (int k = 0; k < 3; k++)
    bidders_add(&s, k, 1.0);
  pacing_report_quiet(&s, 0);
  bidders_free(&s);
}
