/*
 * heldout10_sonar.c - a towed sonar array: channel weights in a struct with
 * goto-cleanup init, delay-and-sum beams, a ring of recent pings, contact
 * tracks in a linked list, a noise floor estimated in scopes.
 *
 * Labels (see README.md): `// OK: why` or `// BUG: check: why` on the line
 * before each function; the line of the bug itself ends in `// <- BUG`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { CH = 4, NS = 16, RING = 3, BEAMS = 3 };

typedef struct {
  ts_tensor *weights; /* [CH, NS] */
  ts_tensor *window;  /* [NS] */
  ts_tensor *noise;   /* [CH, NS] noise floor */
  int pings;
} array_state;

typedef struct {
  ts_tensor *slot[RING];
  int head, count;
} ping_ring;

typedef struct contact {
  int id;
  ts_tensor *bearing; /* [CH] */
  struct contact *next;
} contact;

// OK: every step checked, the cleanup frees what was made so far
static int array_init(array_state *a, int fail_at) {
  a->weights = a->window = a->noise = NULL;
  a->pings = 0;
  a->weights = ts_ones(TS_SHAPE(CH, NS), TS_FLOAT32);
  if (!a->weights || fail_at == 1)
    goto fail;
  a->window = ts_full(TS_SHAPE(NS), TS_FLOAT32, 0.5);
  if (!a->window || fail_at == 2)
    goto fail;
  a->noise = ts_zeros(TS_SHAPE(CH, NS), TS_FLOAT32);
  if (!a->noise)
    goto fail;
  return 0;
fail:
  if (a->window)
    ts_free(a->window);
  if (a->weights)
    ts_free(a->weights);
  a->weights = a->window = NULL;
  return -1;
}

// OK: frees the three fields and clears them
static void array_teardown(array_state *a) {
  ts_free(a->weights);
  ts_free(a->window);
  ts_free(a->noise);
  a->weights = a->window = a->noise = NULL;
}

// BUG: leak: the window is made before the channel check, whose early return
// frees only the weights
static int array_init_quick(array_state *a, int channels) {
  a->noise = NULL;
  a->pings = 0;
  a->weights = ts_ones(TS_SHAPE(CH, NS), TS_FLOAT32);
  ts_tensor *win = ts_full(TS_SHAPE(NS), TS_FLOAT32, 0.5); // <- BUG
  if (channels != CH) {
    ts_free(a->weights);
    a->weights = NULL;
    return -1;
  }
  a->window = win;
  a->noise = ts_zeros(TS_SHAPE(CH, NS), TS_FLOAT32);
  return 0;
}

// OK: a beam is the weighted ping summed over samples; the caller owns it
static ts_tensor *beam_form(const array_state *a, const ts_tensor *ping) {
  ts_tensor *w = ts_mul(ping, a->weights);
  ts_tensor *s = ts_sum_dim_IntList(w, TS_SHAPE(1), false, TS_NO_DTYPE);
  ts_free(w);
  return s;
}

// OK: the mean square of a beam, temporaries freed
static double beam_power(const ts_tensor *beam) {
  ts_tensor *sq = ts_mul(beam, beam);
  ts_tensor *m = ts_mean(sq);
  double p = ts_item(m);
  ts_free(m);
  ts_free(sq);
  return p;
}

// BUG: leak: the square and its mean are made in one nested expression and
// never freed
static double beam_power_db(const ts_tensor *beam) {
  double p = ts_item(ts_mean(ts_mul(beam, beam))); // <- BUG
  return p > 0 ? 10.0 * p : -100.0;
}

// OK: init, one ping through the beamformer, teardown
void sonar_lifecycle(void) {
  array_state a;
  if (array_init(&a, 0) != 0)
    return;
  ts_tensor *ping = ts_randn(TS_SHAPE(CH, NS), TS_FLOAT32);
  ts_tensor *beam = beam_form(&a, ping);
  printf("power %.3f\n", beam_power(beam));
  ts_free(beam);
  ts_free(ping);
  a.pings++;
  array_teardown(&a);
}

// OK: a failing init has already freed what it made: nothing to tear down
void sonar_init_failure(void) {
  array_state a;
  for (int step = 1; step <= 2; step++)
    if (array_init(&a, step) != 0)
      printf("init failed at %d\n", step);
}

// OK: drives the quick init into its channel mismatch, then a good one
void sonar_quick_mismatch(void) {
  array_state a;
  if (array_init_quick(&a, CH + 1) != 0)
    printf("mismatch rejected\n");
  if (array_init_quick(&a, CH) == 0)
    array_teardown(&a);
}

// OK: uses the decibel helper on a fresh beam
void sonar_ping_db(void) {
  array_state a;
  if (array_init(&a, 0) != 0)
    return;
  ts_tensor *ping = ts_rand(TS_SHAPE(CH, NS), TS_FLOAT32);
  ts_tensor *beam = beam_form(&a, ping);
  printf("db %.2f\n", beam_power_db(beam));
  ts_free(beam);
  ts_free(ping);
  array_teardown(&a);
}

// OK: takes p; when full the oldest ping is freed to make room
static void ring_push(ping_ring *r, ts_tensor *p) {
  int idx = (r->head + r->count) % RING;
  if (r->count == RING) {
    ts_free(r->slot[r->head]);
    idx = r->head;
    r->head = (r->head + 1) % RING;
  } else {
    r->count++;
  }
  r->slot[idx] = p;
}

// OK: frees every ping still held
static void ring_clear(ping_ring *r) {
  for (int i = 0; i < r->count; i++)
    ts_free(r->slot[(r->head + i) % RING]);
  r->count = 0;
  r->head = 0;
}

// OK: takes the newest ping out of the ring: the caller owns it now
static ts_tensor *ring_pop_latest(ping_ring *r) {
  if (r->count == 0)
    return NULL;
  int idx = (r->head + r->count - 1) % RING;
  ts_tensor *p = r->slot[idx];
  r->slot[idx] = NULL;
  r->count--;
  return p;
}

// OK: five pings through a ring of three, the mean of the newest, cleared
void sonar_ring_history(void) {
  ping_ring r = {{0}, 0, 0};
  for (int i = 0; i < 5; i++)
    ring_push(&r, ts_randn(TS_SHAPE(CH, NS), TS_FLOAT32));
  ts_tensor *m = ts_mean(r.slot[(r.head + r.count - 1) % RING]);
  printf("newest mean %.3f\n", ts_item(m));
  ts_free(m);
  ring_clear(&r);
}

// BUG: use-after-free: the first ping is read after the ring evicted (freed)
// it
void sonar_ring_stale_first(void) {
  ping_ring r = {{0}, 0, 0};
  ts_tensor *first = ts_randn(TS_SHAPE(CH, NS), TS_FLOAT32);
  ring_push(&r, first);
  for (int i = 0; i < RING; i++)
    ring_push(&r, ts_randn(TS_SHAPE(CH, NS), TS_FLOAT32));
  ts_tensor *s = ts_sum(first); // <- BUG
  printf("first ping energy %.3f\n", ts_item(s));
  ts_free(s);
  ring_clear(&r);
}

// BUG: double-free: the newest ping is freed after use but stays in the ring,
// which frees it again
void sonar_ring_drain_twice(void) {
  ping_ring r = {{0}, 0, 0};
  for (int i = 0; i < 2; i++)
    ring_push(&r, ts_rand(TS_SHAPE(CH, NS), TS_FLOAT32));
  ts_tensor *latest = r.slot[(r.head + r.count - 1) % RING];
  ts_tensor *m = ts_mean(latest);
  printf("latest %.3f\n", ts_item(m));
  ts_free(m);
  ts_free(latest);
  ring_clear(&r); // <- BUG
}

// OK: the newest ping is popped before it is freed, the rest cleared
void sonar_ring_pop(void) {
  ping_ring r = {{0}, 0, 0};
  for (int i = 0; i < 4; i++)
    ring_push(&r, ts_rand(TS_SHAPE(CH, NS), TS_FLOAT32));
  ts_tensor *latest = ring_pop_latest(&r);
  if (latest) {
    ts_tensor *m = ts_mean(latest);
    printf("latest %.3f\n", ts_item(m));
    ts_free(m);
    ts_free(latest);
  }
  ring_clear(&r);
}

// OK: the node takes the bearing
static contact *contact_add(contact *head, int id, ts_tensor *bearing) {
  contact *c = malloc(sizeof *c);
  if (!c) {
    ts_free(bearing);
    return head;
  }
  c->id = id;
  c->bearing = bearing;
  c->next = head;
  return c;
}

// OK: frees every node and its bearing
static void contact_free_all(contact *head) {
  while (head) {
    contact *next = head->next;
    ts_free(head->bearing);
    free(head);
    head = next;
  }
}

// OK: unlinks the contact and frees it with its bearing
static contact *contact_remove(contact *head, int id) {
  contact **pp = &head;
  while (*pp && (*pp)->id != id)
    pp = &(*pp)->next;
  if (*pp) {
    contact *dead = *pp;
    *pp = dead->next;
    ts_free(dead->bearing);
    free(dead);
  }
  return head;
}

// BUG: leak: the node is unlinked and freed, its bearing tensor is not
static contact *contact_drop(contact *head, int id) {
  contact **pp = &head;
  while (*pp && (*pp)->id != id)
    pp = &(*pp)->next;
  if (*pp) {
    contact *dead = *pp;
    *pp = dead->next;
    free(dead); // <- BUG
  }
  return head;
}

// OK: three contacts, one removed, the rest freed
void sonar_contacts(void) {
  contact *list = NULL;
  for (int i = 0; i < 3; i++)
    list = contact_add(list, i, ts_randn(TS_SHAPE(CH), TS_FLOAT32));
  list = contact_remove(list, 1);
  contact_free_all(list);
}

// OK: drops a contact through the helper that forgets its bearing
void sonar_contacts_drop(void) {
  contact *list = NULL;
  for (int i = 0; i < 3; i++)
    list = contact_add(list, i, ts_randn(TS_SHAPE(CH), TS_FLOAT32));
  list = contact_drop(list, 2);
  contact_free_all(list);
}

// BUG: use-after-free: the bearing is reported after its contact was removed
void sonar_contact_report(void) {
  contact *list = NULL;
  for (int i = 0; i < 3; i++)
    list = contact_add(list, i, ts_randn(TS_SHAPE(CH), TS_FLOAT32));
  ts_tensor *b = list->bearing;
  list = contact_remove(list, list->id);
  ts_tensor *peak = ts_max(b); // <- BUG
  printf("peak %.3f\n", ts_item(peak));
  ts_free(peak);
  contact_free_all(list);
}

// OK: the noise estimate escapes the function's scope
TS_SCOPED static ts_tensor *estimate_noise(int n) {
  ts_tensor *acc = ts_zeros(TS_SHAPE(CH, NS), TS_FLOAT32);
  for (int i = 0; i < n; i++)
    acc =
        ts_add(acc, ts_mul_scalar(ts_randn(TS_SHAPE(CH, NS), TS_FLOAT32), 0.1));
  return ts_escape(ts_mul_scalar(acc, 1.0 / n));
}

// BUG: unescaped-return: the quick estimate is returned without ts_escape and
// dies with the function's scope
TS_SCOPED static ts_tensor *estimate_noise_quick(void) {
  ts_tensor *x = ts_randn(TS_SHAPE(CH, NS), TS_FLOAT32);
  ts_tensor *sq = ts_mul(x, x);
  return ts_mul_scalar(sq, 0.01); // <- BUG
}

// OK: replaces the noise field with a fresh estimate
void sonar_noise(void) {
  array_state a;
  if (array_init(&a, 0) != 0)
    return;
  ts_tensor *n = estimate_noise(3);
  ts_free(a.noise);
  a.noise = n;
  ts_tensor *m = ts_mean(a.noise);
  printf("noise %.4f\n", ts_item(m));
  ts_free(m);
  array_teardown(&a);
}

// OK: uses the quick estimate and frees it
void sonar_noise_quick(void) {
  ts_tensor *n = estimate_noise_quick();
  ts_tensor *m = ts_mean(n);
  printf("quick noise %.4f\n", ts_item(m));
  ts_free(m);
  ts_free(n);
}

// BUG: use-after-scope: the best beam is kept across the scoped loop's
// iterations and read after the loop, its scope long gone
void sonar_scan_bearings(void) {
  array_state a;
  if (array_init(&a, 0) != 0)
    return;
  ts_tensor *ping = ts_randn(TS_SHAPE(CH, NS), TS_FLOAT32);
  ts_tensor *best = NULL;
  double best_p = -1.0;
  TS_SCOPE for (int b = 0; b < BEAMS; b++) {
    ts_tensor *steer = ts_mul_scalar(ping, 1.0 + b);
    ts_tensor *beam = beam_form(&a, steer);
    double p = beam_power(beam);
    if (p > best_p) {
      best_p = p;
      best = beam;
    }
  }
  ts_tensor *s = ts_sum(best); // <- BUG
  printf("best %.3f\n", ts_item(s));
  ts_free(s);
  ts_free(ping);
  array_teardown(&a);
}

// OK: the best beam is cloned out of each iteration's scope, the previous best
// freed
void sonar_scan_bearings_kept(void) {
  array_state a;
  if (array_init(&a, 0) != 0)
    return;
  ts_tensor *ping = ts_randn(TS_SHAPE(CH, NS), TS_FLOAT32);
  ts_tensor *best = NULL;
  double best_p = -1.0;
  TS_SCOPE for (int b = 0; b < BEAMS; b++) {
    ts_tensor *steer = ts_mul_scalar(ping, 1.0 + b);
    ts_tensor *beam = beam_form(&a, steer);
    double p = beam_power(beam);
    if (p > best_p) {
      best_p = p;
      if (best)
        ts_free(best);
      best = ts_escape(ts_clone(beam));
    }
  }
  ts_tensor *s = ts_sum(best);
  printf("best %.3f\n", ts_item(s));
  ts_free(s);
  ts_free(best);
  ts_free(ping);
  array_teardown(&a);
}

// OK: the track runs in ts_run's scope and escapes its result
static void *track_job(void *ctx) {
  array_state *a = ctx;
  ts_tensor *ping = ts_randn(TS_SHAPE(CH, NS), TS_FLOAT32);
  ts_tensor *beam = beam_form(a, ping);
  return ts_escape(ts_softmax(beam, 0));
}

// OK: the escaped track is the caller's to free
void sonar_run_track(void) {
  array_state a;
  if (array_init(&a, 0) != 0)
    return;
  ts_tensor *t = ts_run(track_job, &a);
  ts_tensor *m = ts_max(t);
  printf("track peak %.3f\n", ts_item(m));
  ts_free(m);
  ts_free(t);
  array_teardown(&a);
}
