// ops_support.cpp - the out-of-line helpers of ops_support.hpp: argument
// checks with their messages, and the wrapping of list results.

#include "ops_support.hpp"

#include <cstring>

namespace tsg {

__thread ArgStats arg_stats;

BelowMode below_autograd_mode(const char *call, bool new_result) {
  // Operators whose autograd kernels (VariableTypeManual and the like) do
  // something for plain tensors too, or that read autograd state; named
  // broadly, so that a new one of the kind stays on the normal path.
  static const char *const keep[] = {
      "grad",     "dual",    "fw_primal", "detach",    "data", "retain",
      "backward", "version", "output_nr", "is_leaf",   "set_", "resize",
      "alias",    "lift",    "_make_",    "functional"};
  for (const char *k : keep)
    if (std::strstr(call, k))
      return BELOW_NONE;
  if (std::strstr(call, "conv") && !std::strstr(call, "convert"))
    // An out= or in-place convolution must bump its output's version
    // (ADInplaceOrView); below autograd only, it measured slower.
    return new_result ? BELOW_VIEWS : BELOW_NONE;
  return BELOW_AUTOGRAD;
}

bool check_str(const char *call, const char *arg, const char *s) {
  if (s)
    return true;
  ts__fail(TS_ERR_NULL, call, "%s is NULL; pass a string", arg);
  return false;
}

bool check_list(const char *call, const char *arg, const void *v, int n,
                bool optional) {
  if (optional && !v && n < 0)
    return true;
  if (n < 0) {
    ts__fail(TS_ERR_ARG, call, "%s has count %d; pass the number of values%s",
             arg, n, optional ? " (or NULL with -1 for None)" : "");
    return false;
  }
  if (n > 0 && !v) {
    ts__fail(TS_ERR_NULL, call,
             "%s is NULL with count %d; pass an array of count values", arg, n);
    return false;
  }
  return true;
}

bool check_count(const char *call, const char *arg, const void *v, int n,
                 int want) {
  if (n == want && v)
    return true;
  ts__fail(v ? TS_ERR_ARG : TS_ERR_NULL, call,
           "%s has %d values%s; pass exactly %d", arg, n,
           v ? "" : " and is NULL", want);
  return false;
}

bool check_out(const char *call, const void *out) {
  if (out)
    return true;
  ts__fail(TS_ERR_NULL, call,
           "out is NULL; pass an array with room for every result");
  return false;
}

bool check_list_out(const char *call, ts_tensor **out, int cap, int *count) {
  if (!count) {
    ts__fail(TS_ERR_NULL, call,
             "out_count is NULL; pass where to store the number of results");
    return false;
  }
  *count = 0;
  if (cap < 0 || (cap > 0 && !out)) {
    ts__fail(cap < 0 ? TS_ERR_ARG : TS_ERR_NULL, call,
             "out is %s with out_cap %d; pass an array of out_cap handles",
             out ? "an array" : "NULL", cap);
    return false;
  }
  return true;
}

void undo(const char *call, ts_tensor **out, size_t n) {
  ts_status st = ts_last_status();
  char msg[1024];
  const char *e = ts_last_error();
  size_t skip = strlen(call);
  if (strncmp(e, call, skip) == 0 && strncmp(e + skip, ": ", 2) == 0)
    e += skip + 2;
  snprintf(msg, sizeof msg, "%s", e);
  for (size_t i = 0; i < n; i++) {
    if (out[i])
      ts_free(out[i]);
    out[i] = nullptr;
  }
  // Keep the error that made the call fail, not the frees' outcome.
  ts__fail(st, call, "%s", msg);
}

ts_status wrap_list(std::vector<at::Tensor> &&v, const char *call, void *ret,
                    ts_tensor **out, int cap, int *count) {
  *count = (int)v.size();
  if (v.size() > (size_t)cap)
    return ts__fail(TS_ERR_ARG, call,
                    "the result has %zu tensors but out_cap is %d; pass an "
                    "array of at least %zu handles",
                    v.size(), cap, v.size());
  ts__site site = ts__pending_site;
  ts__ok_fast();
  for (size_t i = 0; i < v.size(); i++) {
    bool made = v[i].defined();
    out[i] = wrap(std::move(v[i]), call, ret, site);
    if (made && !out[i]) {
      undo(call, out, i);
      *count = 0;
      return ts_last_status();
    }
  }
  ts__pending_site = TS__NO_SITE;
  return TS_OK;
}

ts_dtype to_dtype(at::ScalarType t) {
  for (int d = TS_FLOAT32; d <= TS_BFLOAT16; d++)
    if (tsc::scalar_type((ts_dtype)d) == t)
      return (ts_dtype)d;
  return TS_NO_DTYPE;
}

} // namespace tsg
