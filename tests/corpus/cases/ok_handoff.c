/* Correct hand-offs: ownership moves to structs, globals, arrays, unknown
 * functions, consuming user functions and the address of a variable. */
#include <tsmem.h>

struct layer {
  ts_tensor *w, *b;
};
struct cache {
  ts_tensor *items[8];
  int n;
};

static ts_tensor *g_last;
void registry_add(ts_tensor *t);
void list_push(void *list, void *item);
TS_CONSUMES(2) void cache_put(struct cache *c, ts_tensor *t);

int ok_struct_init(struct layer *l, int in, int out) {
  l->w = ts_randn(TS_SHAPE(in, out), TS_FLOAT32);
  l->b = ts_zeros(TS_SHAPE(out), TS_FLOAT32);
  return l->w && l->b ? 0 : -1;
}

void ok_global(const ts_tensor *x) {
  ts_free(g_last);
  g_last = ts_clone(x);
}

void ok_array(struct cache *c, const ts_tensor *x) {
  ts_tensor *t = ts_relu(x);
  c->items[c->n++] = t;
}

void ok_unknown(const ts_tensor *x) {
  ts_tensor *t = ts_sigmoid(x);
  registry_add(t);
}

void ok_void_ptr(void *list, const ts_tensor *x) {
  list_push(list, ts_exp(x));
}

void ok_consuming_user(struct cache *c, const ts_tensor *x) {
  ts_tensor *t = ts_tanh(x);
  cache_put(c, t);
}

void ok_address_taken(const ts_tensor *x, ts_tensor ***slot) {
  static ts_tensor *keep;
  keep = ts_relu(x);
  *slot = &keep;
}

struct layer ok_return_struct(int n) {
  struct layer l = {ts_ones(TS_SHAPE(n, n), TS_FLOAT32), ts_zeros(TS_SHAPE(n), TS_FLOAT32)};
  return l;
}

void ok_layer_free(struct layer *l) {
  ts_free(l->w);
  ts_free(l->b);
  l->w = l->b = NULL;
}

void ok_local_struct(struct layer *out, int n) {
  struct layer l;
  l.w = ts_ones(TS_SHAPE(n), TS_FLOAT32);
  l.b = ts_zeros(TS_SHAPE(n), TS_FLOAT32);
  *out = l;
}

void ok_swap(ts_tensor **a, ts_tensor **b) {
  ts_tensor *t = *a;
  *a = *b;
  *b = t;
}

ts_tensor *ok_passthrough(ts_tensor *x) {
  ts_tensor *y = x;
  return y;
}
