#!/usr/bin/env python3
"""check_trace: a TSMEM_TRACE file is valid JSON in Chrome's trace event format.

    check_trace.py trace.json program [args...]

Runs the program with TSMEM_TRACE=trace.json (it must exit with 0), then
loads the file with json.load and checks the trace event format: an object
with a "traceEvents" list whose events carry "ph", "pid" and, but for
metadata, a numeric "ts"; scope events ("B"/"E") carry a "tid" and balance
on each thread; counters ("C") carry a name and numeric args; the "live
bytes" and "live tensors" counters are there and end at 0.
"""
import json
import os
import subprocess
import sys

REQUIRED = {"ph", "pid"}


def check(trace):
    if not isinstance(trace, dict) or not isinstance(trace.get("traceEvents"), list):
        return ['top level is not an object with a "traceEvents" list']
    errors, depth, counters = [], {}, {}
    for n, e in enumerate(trace["traceEvents"]):
        where = "event %d %s" % (n, json.dumps(e)[:120])
        if not isinstance(e, dict) or not REQUIRED <= e.keys():
            errors.append("%s: needs %s" % (where, sorted(REQUIRED)))
            continue
        ph = e["ph"]
        if ph != "M" and not isinstance(e.get("ts"), (int, float)):
            errors.append("%s: no numeric ts" % where)
        if ph in ("B", "E"):
            if "tid" not in e:
                errors.append("%s: scope event without tid" % where)
                continue
            d = depth.get(e["tid"], 0) + (1 if ph == "B" else -1)
            if d < 0:
                errors.append("%s: E without a B on its thread" % where)
            depth[e["tid"]] = max(d, 0)
            if ph == "B" and not e.get("name"):
                errors.append("%s: B without a name" % where)
        elif ph == "C":
            args = e.get("args")
            if not e.get("name") or not isinstance(args, dict) or not all(
                    isinstance(v, (int, float)) for v in args.values()):
                errors.append("%s: counter needs a name and numeric args" % where)
                continue
            counters.setdefault(e["name"], []).append((e["ts"], args))
        elif ph != "M":
            errors.append("%s: unexpected phase %r" % (where, ph))
    for tid, d in depth.items():
        if d:
            errors.append("thread %s: %d scopes begun and never ended" % (tid, d))
    for name, key in (("live bytes", "bytes"), ("live tensors", "tensors")):
        series = sorted(counters.get(name, []), key=lambda p: p[0])
        if not series:
            errors.append('no "%s" counter' % name)
        elif series[-1][1].get(key) != 0:
            errors.append('"%s" ends at %r, not 0' % (name, series[-1][1].get(key)))
    return errors


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__.strip())
    path = argv[1]
    if os.path.exists(path):
        os.remove(path)
    env = dict(os.environ, TSMEM_TRACE=path)
    run = subprocess.run(argv[2:], env=env)
    if run.returncode != 0:
        print("check_trace: the program exited with %d" % run.returncode)
        return 1
    with open(path) as f:
        trace = json.load(f)  # raises on invalid JSON: the test fails
    errors = check(trace)
    for err in errors[:20]:
        print("check_trace: " + err)
    if errors:
        return 1
    print("check_trace: %s: %d events, valid trace event format"
          % (path, len(trace["traceEvents"])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
