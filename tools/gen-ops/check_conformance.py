#!/usr/bin/env python3
"""check_conformance.py - the PyTorch half of the generated conformance test.

Runs the generated C program (ops_conformance.c, built against libtsmem),
which calls each case on fixed inputs and prints the results; then calls the
same ATen schema from PyTorch (torch.ops.aten.<name>.<overload>) on the same
inputs, built from ops_conformance.json, and compares:
  numeric   both succeed and every result matches (dtype, shape, values)
  smoke     both succeed; the op is nondeterministic or uninitialised, so
            only the call is checked
  error     both fail (the inputs do not suit the op)
  mismatch  anything else: the test fails
A crash of the C program on a case counts as a mismatch; the program is
restarted after it.

Usage: check_conformance.py BINARY CASES.json [--verbose]
"""
import json
import math
import subprocess
import sys

import torch

DTYPES = [torch.float32, torch.float64, torch.int32, torch.int64, torch.int16,
          torch.int8, torch.uint8, torch.bool, torch.float16, torch.bfloat16]


def run_c(binary, n):
    """{case: (status, [results])} from the C program, restarting it after
    a crash."""
    out, first = {}, 0
    while first < n:
        p = subprocess.run([binary, str(first)], capture_output=True, text=True)
        cur, lines = None, p.stdout.splitlines()
        for line in lines:
            if line.startswith("case "):
                cur = int(line.split()[1])
                out[cur] = ["?", []]
            elif line == "done":
                cur = None
            elif cur is not None:
                if line.startswith("ok "):
                    out[cur][0] = "ok"
                elif line.startswith("error "):
                    out[cur][0] = "error"
                    out[cur][1] = line
                else:
                    out[cur][1].append(line)
        if "done" in lines:
            break
        if cur is None:
            break
        out[cur] = ["crash", ["exit %d: %s" % (p.returncode, p.stderr[-300:])]]
        first = cur + 1
    return out


def inputs(shape):
    n = shape[0] * shape[1]
    ts = []
    for k in range(3):
        v = [(((i * 37 + k * 11) % 97) / 50.0 - 0.97) for i in range(n)]
        ts.append(torch.tensor(v, dtype=torch.float32).reshape(shape).clone())
    return ts


def py_value(v, ins, out):
    if isinstance(v, dict):
        if "tensor" in v:
            return ins[v["tensor"]]
        if "tensors" in v:
            return [ins[i] for i in v["tensors"]]
        if "out" in v:
            return out[v["out"]]
        if "float" in v:
            return float(v["float"])
        if "dtype" in v:
            return getattr(torch, v["dtype"])
    return v


def run_py(case, shape):
    ins = inputs(shape)
    out = [torch.empty(0) for _ in range(4)]
    args, kwargs = [], {}
    for name, kw, v in case["args"]:
        pv = py_value(v, ins, out)
        if kw:
            kwargs[name] = pv
        else:
            args.append(pv)
    op = getattr(getattr(torch.ops.aten, case["name"]), case["overload"])
    with torch.no_grad():
        r = op(*args, **kwargs)
    if case["ret"] == "value":
        if case["value"] == "ts_dtype":  # torch.ops gives c10::ScalarType's number
            aten = {6: 0, 7: 1, 3: 2, 4: 3, 2: 4, 1: 5, 0: 6, 11: 7, 5: 8, 15: 9}
            if isinstance(r, torch.dtype):
                return [("value", DTYPES.index(r) if r in DTYPES else -1)]
            return [("value", aten.get(int(r), -1))]
        return [("value", float(r))]
    if case["ret"] == "void":
        return []
    if isinstance(r, torch.Tensor):
        r = [r]
    return [("tensor", t) for t in r]


def serialize(res):
    out = []
    for kind, p in res:
        if kind == "value":
            out.append(["value", p])
        elif p is None or not isinstance(p, torch.Tensor):
            out.append(["undefined"])
        else:
            d = DTYPES.index(p.dtype) if p.dtype in DTYPES else -1
            vals = []
            if p.layout != torch.strided:
                p = p.to_dense()
            if d >= 0:
                vals = p.detach().to(torch.float64).reshape(-1)[:4096].tolist()
            out.append(["tensor", d, list(p.shape), vals])
    return out


def worker(cases_path, first):
    """Prints one JSON line per case from `first`: PyTorch's results."""
    with open(cases_path) as f:
        spec = json.load(f)
    torch.manual_seed(0)
    for i in range(first, len(spec["cases"])):
        print(json.dumps({"case": i}), flush=True)
        try:
            r = {"ok": serialize(run_py(spec["cases"][i], spec["shape"]))}
        except Exception as e:
            r = {"error": str(e).splitlines()[0] if str(e) else type(e).__name__}
        print(json.dumps(r), flush=True)
    print(json.dumps({"done": True}), flush=True)


def run_py_all(n):
    """{case: ("ok", results) | ("error", msg)}, restarting after a crash."""
    out, first = {}, 0
    while first < n:
        p = subprocess.run([sys.executable, __file__, "--worker", sys.argv[2], str(first)],
                           capture_output=True, text=True)
        cur, done = None, False
        for line in p.stdout.splitlines():
            try:
                d = json.loads(line)
            except ValueError:
                continue
            if "case" in d:
                cur = d["case"]
            elif "done" in d:
                done = True
            elif cur is not None:
                out[cur] = ("ok", d["ok"]) if "ok" in d else ("error", d["error"])
                cur = None
        if done or cur is None:
            break
        out[cur] = ("error", "PyTorch crashed (exit %d)" % p.returncode)
        first = cur + 1
    return out


def parse_tensor(line):
    head, _, vals = line.partition("|")
    h = head.split()
    if h[0] == "undefined":
        return None
    dtype, nd = int(h[1]), int(h[2])
    shape = [int(x) for x in h[3:3 + nd]]
    vals = vals.split()
    return dtype, shape, vals


def compare(case, c_lines, py):
    if len(c_lines) != len(py):
        return "%d results in C, %d in PyTorch" % (len(c_lines), len(py))
    for line, p in zip(c_lines, py):
        if p[0] == "value":
            v, w = float(line.split()[1]), p[1]
            if not (v == w or (math.isnan(v) and math.isnan(w)) or
                    abs(v - w) <= 1e-5 + 1e-4 * abs(w)):
                return "value %r vs %r" % (v, w)
            continue
        t = parse_tensor(line)
        if t is None or p[0] == "undefined":
            if t is None and p[0] == "undefined":
                continue
            return "undefined result on one side"
        dtype, shape, vals = t
        _, pd, pshape, pvals = p
        if pshape != shape:
            return "shape %s vs %s" % (shape, pshape)
        if pd != dtype:
            return "dtype %d vs %d" % (dtype, pd)
        if case["smoke"] or pd < 0:
            continue
        if vals[:1] == ["unreadable"]:
            return "C could not read the result: " + " ".join(vals[1:])
        have = torch.tensor([float(x) for x in vals], dtype=torch.float64)
        want = torch.tensor(pvals, dtype=torch.float64)
        if have.numel() != want.numel():
            return "%d values vs %d" % (have.numel(), want.numel())
        if not torch.allclose(have, want, rtol=1e-4, atol=1e-5, equal_nan=True):
            return "values differ (max %g)" % (have - want).abs().nan_to_num(0).max()
    return None


def main():
    if sys.argv[1] == "--worker":
        worker(sys.argv[2], int(sys.argv[3]))
        return 0
    binary, cases_path = sys.argv[1], sys.argv[2]
    verbose = "--verbose" in sys.argv
    with open(cases_path) as f:
        spec = json.load(f)
    cases, shape = spec["cases"], spec["shape"]
    torch.manual_seed(0)
    c = run_c(binary, len(cases))
    pyr = run_py_all(len(cases))
    counts = {"numeric": 0, "smoke": 0, "error": 0, "mismatch": 0}
    bad = []
    for i, case in enumerate(cases):
        st, lines = c.get(i, ["missing", []])
        pst, pv = pyr.get(i, ("error", "missing"))
        py, perr = (pv, None) if pst == "ok" else (None, pv)
        label = "%s (%s.%s)" % (case["cname"], case["name"], case["overload"])
        if st == "error" and py is None:
            counts["error"] += 1
            if verbose:
                print("error  %s: %s" % (label, lines))
            continue
        if st == "ok" and py is not None:
            why = compare(case, lines, py)
            if why is None:
                counts["smoke" if case["smoke"] else "numeric"] += 1
                continue
        else:
            why = "C: %s %s; PyTorch: %s" % (st, lines if st != "ok" else "ok",
                                             perr if py is None else "ok")
        counts["mismatch"] += 1
        bad.append("%s: %s" % (label, why))
    for b in bad:
        print("MISMATCH " + b)
    print("conformance: %d cases: %d checked numerically, %d smoke-called, "
          "%d failing on both sides, %d mismatches" % (
              len(cases), counts["numeric"], counts["smoke"], counts["error"],
              counts["mismatch"]))
    return 1 if counts["mismatch"] else 0


if __name__ == "__main__":
    sys.exit(main())
