"""gen_tests.py - the generated tests of the generated operators.

ops_handles.c: every tensor parameter of every generated function is given
a stale handle (and a foreign one, and NULL where None is not allowed): the
call must fail with TS_ERR_STALE_HANDLE / TS_ERR_NULL before libtorch runs.

ops_conformance.c + ops_conformance.json: a C program calls every op whose
arguments can be made automatically on fixed inputs and prints the results;
check_conformance.py makes PyTorch call the same schema on the same inputs
(from the JSON) and compares.
"""
import json
import os

from torchgen.model import BaseTy, BaseType, ListType, OptionalType, SchemaKind

SHAPE = [4, 4]
NUMEL = 16

# Values for int / int[] / float arguments, by name; an op with a required
# argument not named here is not called by the conformance test.
INTS = {"dim": 1, "dim0": 0, "dim1": 1, "k": 2, "diagonal": 0, "offset": 0,
        "chunks": 2, "sections": 2, "split_size": 2, "repeats": 2,
        "groups": 1, "reduction": 1, "ignore_index": -100, "index": 1,
        "start": 0, "length": 2, "step": 1, "n": 2, "source": 0,
        "destination": 1, "upscale_factor": 1, "downscale_factor": 1,
        "output_size": 2, "size": 2, "dimension": 1, "diagonal_offset": 0,
        "correction": 1, "end": 3, "shifts": 1, "decimals": 1, "num_classes": 4,
        "window_length": 4, "N": 4, "M": 4, "m": 4, "row": 4, "col": 4,
        "p": 2, "q": 1, "min": 0, "max": 2}
INT_LISTS = {"dim": [1], "size": SHAPE, "shape": [2, 8], "dims": [1, 0],
             "repeats": [1, 2], "sizes": SHAPE, "split_sizes": [1, 3],
             "kernel_size": [2], "output_size": [2, 2], "padding": [1],
             "shifts": [1], "pad": [1, 1], "indices": [1, 3],
             "split_size_or_sections": [1, 3], "tensor_indices_or_sections": [1, 3],
             "stride": [1], "dilation": [1], "normalized_shape": [4],
             "source": [0], "destination": [1], "s": [4]}
FLOATS = {"eps": 1e-5, "alpha": 1.5, "p": 2.0, "beta": 0.5, "exponent": 2.0,
          "threshold": 0.25, "value": 0.75, "lambd": 0.3, "momentum": 0.1,
          "scale": 1.25, "margin": 0.5, "min_val": -0.5, "max_val": 0.5,
          "negative_slope": 0.1, "other": 0.5, "min": -0.5, "max": 0.5,
          "weight": 0.3, "end": 0.8, "rtol": 1e-5, "atol": 1e-8, "tol": 1e-5,
          "rcond": 1e-5, "ord": 2.0, "delta": 1.0, "beta1": 0.5, "beta2": 0.5,
          "divisor": 2.0, "fill_value": 0.5, "upper": 0.5, "lower": 0.1,
          "input_scale": 1.0, "decimals": 1, "nan": 0.0, "posinf": 1.0,
          "neginf": -1.0}

# Crash inside libtorch (PyTorch too) with the inputs the test makes: left
# out of the conformance run, not out of the API.
CRASHERS = {
    "native_batch_norm": "segfaults without running stats in eval mode",
    "native_batch_norm_backward": "segfaults without running stats",
    "native_batch_norm_backward.out": "segfaults without running stats",
    "gru_cell": "segfaults on 4x4 inputs instead of raising",
}

# Nondeterministic or uninitialised results: called, not compared.
SMOKE_WORDS = ("rand", "dropout", "bernoulli", "normal", "multinomial",
               "poisson", "exponential", "geometric", "cauchy", "log_normal",
               "uniform", "random", "rrelu", "empty", "resize", "set_",
               "lstsq", "svd", "eig", "qr", "pca", "lobpcg")


def c_str(s):
    return '"%s"' % s.replace("\\", "\\\\").replace('"', '\\"')


def tensor_c(index):
    return "in[%d]" % index


class Case:
    """One call of an op on fixed inputs, or None when an argument cannot be
    made automatically."""


def make_case(op):
    s = op.f.func
    name = str(s.name.name)
    if (name.startswith("_") and not name.startswith("_foreach_")) or op.ret == "void":
        return None
    cargs, pyargs = [], []
    ntensor = nout = 0
    if str(s.name) in CRASHERS:
        return None
    for x in op.args:
        a, t = x.a, x.a.type
        kw = a in s.arguments.flat_kwarg_only or a in s.arguments.out
        if x.tensor == "t":
            if x.write and a in s.arguments.out:
                cargs.append("outs[%d]" % nout)
                pyargs.append((a.name, kw, {"out": nout}))
                nout += 1
                continue
            cargs.append(tensor_c(ntensor % 3))
            pyargs.append((a.name, kw, {"tensor": ntensor % 3}))
            ntensor += 1
        elif x.tensor == "opt":
            cargs.append("NULL")
            pyargs.append((a.name, kw, None))
        elif x.tensor == "list":
            if x.write:
                return None
            cargs += ["inl", "2"]
            pyargs.append((a.name, kw, {"tensors": [0, 1]}))
        elif x.tensor == "optlist":
            return None
        elif not x.params:  # defaulted (Layout, Generator, MemoryFormat)
            if a.default is None:
                pyargs.append((a.name, kw, None))
            continue
        elif isinstance(t, OptionalType):
            ty = x.params[0][0]
            if len(x.params) == 2:
                cargs += ["NULL", "-1"]
            elif ty == "int64_t":
                cargs.append("TS_NO_INT")
            elif ty == "double":
                cargs.append("NAN")
            elif ty == "int":
                cargs.append("TS_NO_BOOL")
            elif ty == "ts_dtype":
                cargs.append("TS_NO_DTYPE")
            else:
                cargs.append("NULL")
            pyargs.append((a.name, kw, None))
        elif isinstance(t, BaseType):
            b = t.name
            if b in (BaseTy.int, BaseTy.SymInt):
                if a.default is not None:
                    v = int(a.default) if a.default.lstrip("-").isdigit() else None
                    if v is None:
                        if a.name in INTS:
                            v = INTS[a.name]
                        else:
                            return None
                elif a.name in INTS:
                    v = INTS[a.name]
                else:
                    return None
                cargs.append("%d" % v)
                pyargs.append((a.name, kw, v))
            elif b in (BaseTy.float, BaseTy.Scalar):
                if a.default is not None:
                    try:
                        v = float(a.default)
                    except ValueError:
                        return None
                else:
                    v = FLOATS.get(a.name, 0.5)
                cargs.append(repr(v))
                pyargs.append((a.name, kw, {"float": v}))
            elif b == BaseTy.bool:
                v = a.default == "True"
                cargs.append("true" if v else "false")
                pyargs.append((a.name, kw, v))
            elif b == BaseTy.ScalarType:
                cargs.append("TS_FLOAT32")
                pyargs.append((a.name, kw, {"dtype": "float32"}))
            elif b == BaseTy.str and a.default is not None:
                v = a.default.strip("\"'")
                cargs.append(c_str(v))
                pyargs.append((a.name, kw, v))
            else:
                return None
        elif isinstance(t, ListType):
            e = t.elem
            if e in (BaseType(BaseTy.int), BaseType(BaseTy.SymInt)):
                if a.name in INT_LISTS:
                    v = INT_LISTS[a.name]
                elif a.default is not None and a.default.startswith("["):
                    v = json.loads(a.default)
                else:
                    return None
                if t.size and len(v) != t.size:
                    v = (v * t.size)[:t.size]
                cargs += ["(const int64_t[]){%s}" % ", ".join(map(str, v or [0])), "%d" % len(v)]
                pyargs.append((a.name, kw, v))
            elif e == BaseType(BaseTy.Scalar):  # one per tensor of the list
                cargs += ["(const double[]){0.5, 1.5}", "2"]
                pyargs.append((a.name, kw, [0.5, 1.5]))
            elif e == BaseType(BaseTy.bool) and t.size:
                cargs += ["(const bool[]){%s}" % ", ".join(["true"] * t.size), "%d" % t.size]
                pyargs.append((a.name, kw, [True] * t.size))
            else:
                return None
        else:
            return None
    pre = []
    if op.ret == "newN":
        cargs.insert(0, "res")
    elif op.ret == "list":
        cargs[0:0] = ["res", "16", "&nres"]
    elif op.ret == "value":
        cargs.insert(0, "&val.%s" % {"bool": "b", "int64_t": "i", "double": "d",
                                     "ts_dtype": "t"}[op.value_type])
    smoke = any(w in name for w in SMOKE_WORDS) or any(
        "Generator" in str(x.a.type) for x in op.args)
    return {
        "c": "%s(%s)" % (op.cname, ", ".join(cargs)),
        "name": name, "overload": s.name.overload_name or "default",
        "cname": op.cname, "ret": op.ret, "nret": op.nret,
        "value": getattr(op, "value_type", None),
        "args": pyargs, "smoke": smoke,
        "inplace": op.kind == SchemaKind.inplace,
    }


CONF_TOP = r"""/* GENERATED by tools/gen-ops/gen_tests.py: the C half of the conformance
 * test (check_conformance.py runs it and PyTorch, and compares). Usage:
 * ops_conformance FIRST: runs cases FIRST.. and prints one block each. */
#include <tsmem/ops.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ts_tensor *in[3], *outs[4], *res[16];
static const ts_tensor *inl[2];
static int nres;
static union { bool b; int64_t i; double d; ts_dtype t; } val;

static ts_tensor *input(int k) {
  float v[%(numel)d];
  for (int i = 0; i < %(numel)d; i++)
    v[i] = (float)(((i * 37 + k * 11) %% 97) / 50.0 - 0.97);
  return ts_from_buffer(v, TS_SHAPE(%(shape)s), TS_FLOAT32);
}

static void fresh(void) {
  for (int k = 0; k < 3; k++)
    in[k] = input(k);
  inl[0] = in[0];
  inl[1] = in[1];
  for (int k = 0; k < 4; k++)
    outs[k] = ts_empty(TS_SHAPE(0), TS_FLOAT32);
  nres = 0;
  memset(res, 0, sizeof res);
}

static void print_tensor(const ts_tensor *t) {
  if (!t) {
    printf("undefined\n");
    return;
  }
  ts_dtype d = ts_tensor_dtype(t);
  int nd = ts_ndim(t);
  printf("tensor %%d %%d", (int)d, nd);
  for (int i = 0; i < nd; i++)
    printf(" %%lld", (long long)ts_size(t, i));
  printf(" |");
  if ((int)d < 0) {
    printf(" unsupported\n");
    return;
  }
  ts_tensor *c = ts_to_dtype(t, TS_FLOAT64, false, true);
  if (!c) { /* sparse, mkldnn */
    ts_tensor *dense = ts_to_dense(t, TS_NO_DTYPE);
    c = dense ? ts_to_dtype(dense, TS_FLOAT64, false, true) : NULL;
  }
  if (!c) {
    printf(" unreadable %%s\n", ts_last_error());
    return;
  }
  int64_t n = ts_numel(c);
  double *buf = malloc((size_t)(n ? n : 1) * sizeof *buf);
  ts_copy_to_buffer(c, buf, (size_t)n * sizeof *buf);
  for (int64_t i = 0; i < n && i < 4096; i++)
    printf(" %%.9g", buf[i]);
  printf("\n");
  free(buf);
}

static void result(ts_tensor *t) {
  if (!t && ts_last_status() != TS_OK) {
    printf("error %%d %%s\n", (int)ts_last_status(), ts_last_error());
    return;
  }
  printf("ok 1\n");
  print_tensor(t);
}

static void results(ts_status st, int n) {
  if (st != TS_OK) {
    printf("error %%d %%s\n", (int)st, ts_last_error());
    return;
  }
  printf("ok %%d\n", n);
  for (int i = 0; i < n; i++)
    print_tensor(res[i]);
}

static void written(ts_status st, int n) {
  if (st != TS_OK) {
    printf("error %%d %%s\n", (int)st, ts_last_error());
    return;
  }
  printf("ok %%d\n", n);
  for (int i = 0; i < n; i++)
    print_tensor(outs[i]);
}

static void value(ts_status st, int kind) {
  if (st != TS_OK) {
    printf("error %%d %%s\n", (int)st, ts_last_error());
    return;
  }
  double v = kind == 0 ? val.b : kind == 1 ? (double)val.i : kind == 2 ? val.d : (double)val.t;
  printf("ok 1\nvalue %%.9g\n", v);
}

static void run(int i) {
  switch (i) {
"""

CONF_END = r"""  }
}

int main(int argc, char **argv) {
  int first = argc > 1 ? atoi(argv[1]) : 0;
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (int i = first; i < %(n)d; i++) {
    ts_scope_id s = ts_scope_begin();
    fresh();
    printf("case %%d\n", i);
    fflush(stdout);
    run(i);
    ts_scope_end(s);
  }
  printf("done\n");
  return 0;
}
"""

HANDLES_TOP = r"""/* GENERATED by tools/gen-ops/gen_tests.py: every tensor parameter of every
 * generated function, given a stale, a foreign and (where None is not
 * allowed) a NULL handle, fails with TS_ERR_STALE_HANDLE / TS_ERR_NULL and
 * never reaches libtorch. */
#include <tsmem/ops.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static ts_tensor *g, *stale, *res[16];
static const ts_tensor *gl[2], *sl[2];
static const ts_tensor *foreign = (const ts_tensor *)(uintptr_t)0x75E0000000ABCDEFull;
static int nres, checks, failures;
static union { bool b; int64_t i; double d; ts_dtype t; } val;
static const int64_t ints[8] = {1, 1, 1, 1, 1, 1, 1, 1};
static const double dbls[8] = {1, 1, 1, 1, 1, 1, 1, 1};
static const bool bools[8];

static void expect(const char *what, bool failed, ts_status want) {
  checks++;
  if (failed && ts_last_status() == want)
    return;
  failures++;
  fprintf(stderr, "FAIL %s: status %d (want %d) %s\n", what, (int)ts_last_status(),
          (int)want, ts_last_error());
}
#define T(what, call, want) expect(what, (call) == NULL, want)
#define S(what, call, want) expect(what, (call) == want, want)

int main(void) {
  ts_scope_id s = ts_scope_begin();
  g = ts_zeros(TS_SHAPE(2, 2), TS_FLOAT32);
  stale = ts_zeros(TS_SHAPE(2, 2), TS_FLOAT32);
  ts_free(stale);
  gl[0] = gl[1] = g;
  sl[0] = g;
  sl[1] = stale;
  size_t live = ts_scope_tensor_count();
"""

HANDLES_END = r"""
  if (ts_scope_tensor_count() != live) {
    failures++;
    fprintf(stderr, "FAIL: a rejected call made a tensor\n");
  }
  ts_scope_end(s);
  printf("%d checks, %d failures\n", checks, failures);
  return failures != 0;
}
"""


def handle_cases(op):
    """[(C call, expected status)] for each tensor parameter."""
    base = []
    tslots = []
    for x in op.args:
        for ty, n in x.params:
            i = len(base)
            if ty == "const ts_tensor *":
                base.append("g")
                tslots.append((i, x.tensor, x.name))
            elif ty == "const ts_tensor *const *":
                base.append("gl")
                tslots.append((i, x.tensor, x.name))
            elif ty == "int64_t":
                base.append("1")
            elif ty == "double":
                base.append("1.0")
            elif ty == "bool":
                base.append("false")
            elif ty == "int":
                base.append("2" if n.endswith("_count") else "0")
            elif ty == "ts_dtype":
                base.append("TS_FLOAT32")
            elif ty == "const char *":
                base.append('"cpu"')
            elif ty == "const int64_t *":
                base.append("ints")
            elif ty == "const double *":
                base.append("dbls")
            elif ty == "const bool *":
                base.append("bools")
            else:
                raise ValueError(ty)
        # bool[N] needs exactly N values
        if x.params and x.params[0][0] == "const bool *":
            base[-1] = str(x.a.type.size)
    pre = []
    if op.ret == "newN":
        pre = ["res"]
    elif op.ret == "list":
        pre = ["res", "16", "&nres"]
    elif op.ret == "value":
        pre = ["&val.%s" % {"bool": "b", "int64_t": "i", "double": "d", "ts_dtype": "t"}[op.value_type]]
    out = []
    status = op.c_return() == "ts_status"
    for i, kind, name in tslots:
        variants = []
        if kind in ("t", "opt"):
            variants.append(("stale", "stale", "TS_ERR_STALE_HANDLE"))
            variants.append(("foreign", "foreign", "TS_ERR_STALE_HANDLE"))
            if kind == "t":
                variants.append(("NULL", "NULL", "TS_ERR_NULL"))
        else:
            variants.append(("stale", "sl", "TS_ERR_STALE_HANDLE"))
        for label, v, want in variants:
            args = list(base)
            args[i] = v
            call = "%s(%s)" % (op.cname, ", ".join(pre + args))
            out.append(('%s("%s %s %s", %s, %s);' % (
                "S" if status else "T", op.cname, name, label, call, want)))
    return out


def emit(ops, outdir):
    cases = []
    for op in ops:
        c = make_case(op)
        if c:
            cases.append(c)
    with open(os.path.join(outdir, "ops_conformance.c"), "w") as f:
        f.write(CONF_TOP % {"numel": NUMEL, "shape": ", ".join(map(str, SHAPE))})
        for i, c in enumerate(cases):
            if c["ret"] in ("new1", "self1"):
                line = "result(%s);" % c["c"]
            elif c["ret"] == "newN":
                line = "results(%s, %d);" % (c["c"], c["nret"])
            elif c["ret"] == "list":
                line = "{ ts_status st = %s; results(st, nres); }" % c["c"]
            elif c["ret"] == "value":
                kind = ["bool", "int64_t", "double", "ts_dtype"].index(c["value"])
                line = "value(%s, %d);" % (c["c"], kind)
            elif c["ret"] == "writeN":
                line = "written(%s, %d);" % (c["c"], c["nret"])
            else:
                line = "results(%s, 0);" % c["c"]
            f.write("  case %d: /* %s.%s */\n    %s\n    break;\n" % (
                i, c["name"], c["overload"], line))
        f.write(CONF_END % {"n": len(cases)})
    with open(os.path.join(outdir, "ops_conformance.json"), "w") as f:
        json.dump({"shape": SHAPE, "cases": cases}, f, indent=0)
    emit_plugin_ok(cases, os.path.join(outdir, "ops_plugin_ok.c"))
    with open(os.path.join(outdir, "ops_handles.c"), "w") as f:
        f.write(HANDLES_TOP)
        for op in ops:
            for line in handle_cases(op):
                f.write("  " + line + "\n")
        f.write(HANDLES_END)


PLUGIN_OK_TOP = r"""/* GENERATED by tools/gen-ops/gen_tests.py: %(n)d different generated
 * operators used correctly (scoped, manual, escaped, in-place, out=): the
 * tsmem plugin must say nothing about this file (lit: ops/no-false-warning). */
#include <tsmem/ops.h>

#include <math.h>

static ts_tensor *in[3], *outs[4], *res[16];
static const ts_tensor *inl[2];
static int nres;
static union { bool b; int64_t i; double d; ts_dtype t; } val;

TS_SCOPED double scoped_calls(void) {
  double acc = 0;
  ts_tensor *t;
"""


def emit_plugin_ok(cases, path):
    """Uses of 200 distinct operators: new tensors in a TS_SCOPED function,
    some freed by hand, some escaped, in-place and out= results."""
    seen, new1, other = set(), [], []
    for c in cases:
        if c["name"] in seen or c["smoke"]:
            continue
        seen.add(c["name"])
        (new1 if c["ret"] == "new1" and not c["inplace"] else other).append(c)
    scoped, manual, escaped = new1[:120], new1[120:160], new1[160:170]
    rest = other[:200 - len(scoped) - len(manual) - len(escaped)]
    n = len(scoped) + len(manual) + len(escaped) + len(rest)
    with open(path, "w") as f:
        f.write(PLUGIN_OK_TOP % {"n": n})
        for c in scoped:
            f.write("  t = %s;\n  if (t)\n    acc += (double)ts_numel(t);\n" % c["c"])
        for c in rest:
            if c["ret"] in ("new1", "self1"):
                f.write("  (void)%s;\n" % c["c"])
            else:
                f.write("  if (%s != TS_OK)\n    acc -= 1;\n" % c["c"])
        f.write("  return acc;\n}\n\n")
        f.write("double manual_calls(void) {\n  double acc = 0;\n")
        for c in manual:
            f.write("  {\n    ts_tensor *t = %s;\n    acc += (double)ts_numel(t);\n"
                    "    ts_free(t);\n  }\n" % c["c"])
        f.write("  return acc;\n}\n\n")
        f.write("ts_tensor *escaped_calls(void) {\n  TS_SCOPE_GUARD();\n  ts_tensor *t = NULL;\n")
        for i, c in enumerate(escaped):
            f.write("  ts_tensor *t%d = %s;\n  if (t%d) {\n    if (t)\n      ts_free(t);\n"
                    "    t = ts_escape(t%d);\n  }\n" % (i, c["c"], i, i))
        f.write("  return t;\n}\n\n")
        f.write("int main(void) {\n  return scoped_calls() + manual_calls() > 0 && escaped_calls() ? 0 : 1;\n}\n")
