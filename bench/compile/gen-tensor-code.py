#!/usr/bin/env python3
"""gen-tensor-code.py N > big.c: N functions of generated tensor code.

Each function mixes the shapes the plugin handles: a TS_SCOPE block, a
TS_SCOPE loop, a TS_SCOPED function, hand-written ts_scope_begin/end, and
plain arithmetic. Without the plugin the same file compiles with
TS_SCOPE_GUARD() in their place (the SCOPE_* macros below), so the two
compiles build the same program and the difference is the plugin's cost.
"""
import sys

PRELUDE = """\
#include <tsmem.h>
#ifdef __TSMEM_PLUGIN__
#define SCOPE_BLOCK TS_SCOPE {
#define SCOPE_FOR(header) TS_SCOPE for header {
#define SCOPE_FN TS_SCOPED
#define SCOPE_FN_BODY
#else
#define SCOPE_BLOCK { TS_SCOPE_GUARD();
#define SCOPE_FOR(header) for header { TS_SCOPE_GUARD();
#define SCOPE_FN
#define SCOPE_FN_BODY TS_SCOPE_GUARD();
#endif
"""

FUNCTION = """\
SCOPE_FN static double layer{i}(const ts_tensor *x, int steps) {{
  SCOPE_FN_BODY
  ts_tensor *w = ts_randn(TS_SHAPE({n}, {n}), TS_FLOAT32);
  ts_tensor *acc = ts_escape(ts_zeros(TS_SHAPE({n}, {n}), TS_FLOAT32));
  double total = 0;
  SCOPE_FOR((int s = 0; s < steps; ++s))
    ts_tensor *h = ts_relu(ts_add(ts_matmul(x, w), ts_full(TS_SHAPE({n}, {n}), TS_FLOAT32, {c})));
    if (s % 3 == 2)
      continue;
    ts_tensor *p = ts_softmax(h, 1);
    total += ts_item(ts_sum(ts_mul_scalar(p, {c})));
    if (total > {limit})
      break;
  }}
  SCOPE_BLOCK
    ts_tensor *m = ts_mean(ts_sigmoid(ts_sub(w, x)));
    if (ts_item(m) < 0)
      return total;
    total += ts_item(m) * {c};
  }}
  ts_scope_id id = ts_scope_begin();
  ts_tensor *t = ts_transpose(ts_tanh(w), 0, 1);
  total += (double)ts_numel(t) / (steps + {i});
  ts_scope_end(id);
  for (int k = 0; k < {n}; ++k)
    total += (k * {c}) / (k + 1.0);
  ts_free(acc);
  return total;
}}

"""

def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    out = [PRELUDE]
    for i in range(count):
        out.append(FUNCTION.format(i=i, n=2 + i % 7, c=0.5 + i % 5,
                                   limit=100 + i))
    out.append("double run_all(const ts_tensor *x) {\n  double t = 0;\n")
    for i in range(count):
        out.append(f"  t += layer{i}(x, {1 + i % 4});\n")
    out.append("  return t;\n}\n")
    sys.stdout.write("".join(out))

if __name__ == "__main__":
    main()
