/* A "system" header (included through -isystem): its leak is not ours. */
static inline double sys_leaky_helper(const ts_tensor *x) {
  ts_tensor *t = ts_relu(x);
  return ts_item(t);
}
