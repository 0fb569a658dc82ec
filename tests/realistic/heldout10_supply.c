/*
 * heldout10_supply.c - an inventory network: warehouses with stock and
 * demand history in an array built with an unwinding loop, a FIFO of orders
 * carrying quantity tensors, restocks that take their shipment, demand
 * forecasts in scoped functions, safety stock in scoped loops, reorder
 * points with early returns.
 *
 * Labels (see README.md): `// OK: why` or `// BUG: check: why` on the line
 * before each function; the line of the bug itself ends in `// <- BUG`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <tsmem.h>
#include <tsmem/ops.h>

enum { ITEMS = 4, DAYS = 7, WH = 3 };

typedef struct {
  ts_tensor *stock;  /* [ITEMS] */
  ts_tensor *demand; /* [DAYS, ITEMS] */
  ts_tensor *safety; /* [ITEMS] or NULL */
} warehouse;

typedef struct {
  warehouse w[WH];
  int n;
} network;

typedef struct order {
  int wh;
  ts_tensor *qty; /* [ITEMS] */
  struct order *next;
} order;

typedef struct {
  order *head, *tail;
} order_queue;

// OK: one warehouse's tensors; stock freed if the history fails
static int wh_init(warehouse *w, int fail) {
  w->safety = NULL;
  w->stock = ts_full(TS_SHAPE(ITEMS), TS_FLOAT32, 50.0);
  if (!w->stock)
    return -1;
  w->demand = fail ? NULL : ts_rand(TS_SHAPE(DAYS, ITEMS), TS_FLOAT32);
  if (!w->demand) {
    ts_free(w->stock);
    return -1;
  }
  return 0;
}

// OK: frees one warehouse's tensors
static void wh_free(warehouse *w) {
  ts_free(w->stock);
  ts_free(w->demand);
  if (w->safety)
    ts_free(w->safety);
  w->stock = w->demand = w->safety = NULL;
}

// OK: builds every warehouse; a failure unwinds the ones already built
static int network_init(network *net, int fail_at) {
  int i;
  for (i = 0; i < WH; i++)
    if (wh_init(&net->w[i], i == fail_at) != 0)
      goto unwind;
  net->n = WH;
  return 0;
unwind:
  for (int j = i - 1; j >= 0; j--)
    wh_free(&net->w[j]);
  net->n = 0;
  return -1;
}

// BUG: leak: the unwinding loop stops before warehouse 0
static int network_init_fast(network *net, int fail_at) {
  int i;
  for (i = 0; i < WH; i++)
    if (wh_init(&net->w[i], i == fail_at) != 0)
      goto unwind;
  net->n = WH;
  return 0;
unwind:
  for (int j = i - 1; j > 0; j--) // <- BUG
    wh_free(&net->w[j]);
  net->n = 0;
  return -1;
}

// OK: frees every warehouse
static void network_free(network *net) {
  for (int i = 0; i < net->n; i++)
    wh_free(&net->w[i]);
  net->n = 0;
}

// OK: a network, a failing one, both inits
void sup_network(void) {
  network net;
  if (network_init(&net, -1) == 0) {
    ts_tensor *s = ts_sum(net.w[1].stock);
    printf("stock %.0f\n", ts_item(s));
    ts_free(s);
    network_free(&net);
  }
  if (network_init(&net, 2) != 0)
    printf("init failed\n");
}

// OK: the fast init failing at its last warehouse
void sup_network_fast(void) {
  network net;
  if (network_init_fast(&net, 2) != 0)
    printf("init failed\n");
}

// OK: takes the shipment: added to the stock, then freed
static void restock(warehouse *w, ts_tensor *shipment) {
  ts_tensor *next = ts_add(w->stock, shipment);
  ts_free(w->stock);
  ts_free(shipment);
  w->stock = next;
}

// OK: restocks each warehouse with a shipment it makes
void sup_restock(void) {
  network net;
  if (network_init(&net, -1) != 0)
    return;
  for (int i = 0; i < net.n; i++)
    restock(&net.w[i], ts_full(TS_SHAPE(ITEMS), TS_FLOAT32, 10.0 * i));
  ts_tensor *s = ts_sum(net.w[2].stock);
  printf("stock %.0f\n", ts_item(s));
  ts_free(s);
  network_free(&net);
}

// BUG: double-free: the shipment is logged and freed after restock took it
void sup_restock_logged(void) {
  network net;
  if (network_init(&net, -1) != 0)
    return;
  ts_tensor *ship = ts_full(TS_SHAPE(ITEMS), TS_FLOAT32, 5.0);
  printf("shipping %lld items\n", (long long)ts_numel(ship));
  restock(&net.w[0], ship);
  ts_free(ship); // <- BUG
  network_free(&net);
}

// OK: appends an order; the queue takes qty
static void orders_push(order_queue *q, int wh, ts_tensor *qty) {
  order *o = malloc(sizeof *o);
  o->wh = wh;
  o->qty = qty;
  o->next = NULL;
  if (q->tail)
    q->tail->next = o;
  else
    q->head = o;
  q->tail = o;
}

// OK: ships the oldest order from its warehouse: the stock goes down, the
// order and its quantity are freed
static int fulfil_next(order_queue *q, network *net) {
  order *o = q->head;
  if (!o)
    return 0;
  q->head = o->next;
  if (!q->head)
    q->tail = NULL;
  warehouse *w = &net->w[o->wh];
  ts_tensor *left = ts_sub(w->stock, o->qty);
  ts_free(w->stock);
  w->stock = left;
  ts_free(o->qty);
  free(o);
  return 1;
}

// OK: three orders fulfilled
void sup_orders(void) {
  network net;
  order_queue q = {NULL, NULL};
  if (network_init(&net, -1) != 0)
    return;
  for (int k = 0; k < 3; k++)
    orders_push(&q, k % WH, ts_full(TS_SHAPE(ITEMS), TS_FLOAT32, 2.0));
  int shipped = 0;
  while (fulfil_next(&q, &net))
    shipped++;
  printf("%d orders shipped\n", shipped);
  network_free(&net);
}

// BUG: use-after-free: the next order's quantity is read after fulfil_next
// freed it
void sup_orders_receipt(void) {
  network net;
  order_queue q = {NULL, NULL};
  if (network_init(&net, -1) != 0)
    return;
  orders_push(&q, 0, ts_full(TS_SHAPE(ITEMS), TS_FLOAT32, 2.0));
  const ts_tensor *qty = q.head->qty;
  fulfil_next(&q, &net);
  ts_tensor *s = ts_sum(qty); // <- BUG
  printf("receipt: %.0f units\n", ts_item(s));
  ts_free(s);
  network_free(&net);
}

// OK: the receipt is taken before the order is fulfilled
void sup_orders_receipt_ok(void) {
  network net;
  order_queue q = {NULL, NULL};
  if (network_init(&net, -1) != 0)
    return;
  orders_push(&q, 0, ts_full(TS_SHAPE(ITEMS), TS_FLOAT32, 2.0));
  ts_tensor *s = ts_sum(q.head->qty);
  fulfil_next(&q, &net);
  printf("receipt: %.0f units\n", ts_item(s));
  ts_free(s);
  network_free(&net);
}

// OK: the moving average of the last three days, escaped
TS_SCOPED static ts_tensor *forecast(const warehouse *w) {
  ts_tensor *recent = ts_narrow(w->demand, 0, DAYS - 3, 3);
  return ts_escape(ts_mean_dim(recent, TS_SHAPE(0), false, TS_NO_DTYPE));
}

// BUG: unescaped-return: yesterday's demand is returned from the function's
// scope without ts_escape
TS_SCOPED static ts_tensor *forecast_naive(const warehouse *w) {
  ts_tensor *last = ts_select_int(w->demand, 0, DAYS - 1);
  return ts_clone(last); // <- BUG
}

// OK: the forecast, freed
void sup_forecast(void) {
  network net;
  if (network_init(&net, -1) != 0)
    return;
  ts_tensor *f = forecast(&net.w[0]);
  ts_tensor *s = ts_sum(f);
  printf("forecast %.3f\n", ts_item(s));
  ts_free(s);
  ts_free(f);
  network_free(&net);
}

// OK: the naive forecast, used and freed
void sup_forecast_naive(void) {
  network net;
  if (network_init(&net, -1) != 0)
    return;
  ts_tensor *f = forecast_naive(&net.w[1]);
  ts_tensor *s = ts_sum(f);
  printf("naive %.3f\n", ts_item(s));
  ts_free(s);
  ts_free(f);
  network_free(&net);
}

// OK: each warehouse's safety stock escapes its iteration into the
// warehouse, which frees it
void sup_safety(void) {
  network net;
  if (network_init(&net, -1) != 0)
    return;
  TS_SCOPE for (int i = 0; i < net.n; i++) {
    ts_tensor *sd = ts_std_dim(net.w[i].demand, TS_SHAPE(0), true, false);
    net.w[i].safety = ts_escape(ts_mul_scalar(sd, 1.65));
  }
  ts_tensor *s = ts_sum(net.w[0].safety);
  printf("safety %.3f\n", ts_item(s));
  ts_free(s);
  network_free(&net);
}

// BUG: use-after-scope: the safety stock stays in the warehouse after its
// iteration's scope freed it
void sup_safety_quick(void) {
  network net;
  if (network_init(&net, -1) != 0)
    return;
  TS_SCOPE for (int i = 0; i < net.n; i++) {
    ts_tensor *sd = ts_std_dim(net.w[i].demand, TS_SHAPE(0), true, false);
    net.w[i].safety = ts_mul_scalar(sd, 1.65);
  }
  ts_tensor *s = ts_sum(net.w[0].safety); // <- BUG
  printf("safety %.3f\n", ts_item(s));
  ts_free(s);
  network_free(&net);
}

// OK: the reorder point mean + safety, or the mean alone when the demand does
// not vary; every tensor freed on both paths
static double reorder_point(const warehouse *w, int item) {
  ts_tensor *col = ts_select_int(w->demand, 1, item);
  ts_tensor *mu = ts_mean(col);
  ts_tensor *var = ts_var(col, true);
  double m = ts_item(mu), v = ts_item(var);
  ts_free(var);
  ts_free(mu);
  ts_free(col);
  if (v < 1e-9)
    return m * DAYS;
  return m * DAYS + 1.65 * v;
}

// BUG: leak: a flat demand returns before the column and its mean are freed
static double reorder_point_fast(const warehouse *w, int item, double floor) {
  ts_tensor *col = ts_select_int(w->demand, 1, item);
  ts_tensor *mu = ts_mean(col);
  double m = ts_item(mu);
  if (m < floor)
    return floor * DAYS; // <- BUG
  ts_free(mu);
  ts_free(col);
  return m * DAYS;
}

// OK: reorder points of every item
void sup_reorder(void) {
  network net;
  if (network_init(&net, -1) != 0)
    return;
  for (int k = 0; k < ITEMS; k++)
    printf("item %d reorder at %.2f\n", k, reorder_point(&net.w[0], k));
  network_free(&net);
}

// OK: fast reorder points with a floor above every mean
void sup_reorder_fast(void) {
  network net;
  if (network_init(&net, -1) != 0)
    return;
  printf("reorder at %.2f\n", reorder_point_fast(&net.w[0], 0, 2.0));
  network_free(&net);
}

// OK: a transfer in ts_run: the moved amount escapes, the stocks are
// replaced by kept tensors and the old ones freed
static void *transfer_job(void *ctx) {
  network *net = ctx;
  ts_tensor *amt = ts_mul_scalar(net->w[0].stock, 0.1);
  ts_tensor *a = ts_keep(ts_sub(net->w[0].stock, amt));
  ts_tensor *b = ts_keep(ts_add(net->w[1].stock, amt));
  ts_free(net->w[0].stock);
  ts_free(net->w[1].stock);
  net->w[0].stock = a;
  net->w[1].stock = b;
  return ts_escape(amt);
}

// OK: the escaped amount, freed
void sup_transfer(void) {
  network net;
  if (network_init(&net, -1) != 0)
    return;
  ts_tensor *moved = ts_run(transfer_job, &net);
  ts_tensor *s = ts_sum(moved);
  printf("moved %.1f\n", ts_item(s));
  ts_free(s);
  ts_free(moved);
  network_free(&net);
}
