#!/usr/bin/python3
"""tsmem-plot: draw a TSMEM_TRACE file as live bytes over time, with scopes.

    tsmem-plot.py trace.json memory.png [memory.svg ...]

Reads the Chrome trace event file the runtime writes when TSMEM_TRACE is set,
and draws the "live bytes" counter as a step line, the "live tensors" counter
on a second axis, and each outermost scope as a shaded span under it. The
output format follows each file's extension (png, svg, pdf).

Needs matplotlib (Debian: python3-matplotlib); `make demo` installs it.
"""
import json
import sys


def load_events(path):
    with open(path) as f:
        trace = json.load(f)
    return trace["traceEvents"] if isinstance(trace, dict) else trace


def counter_series(events, name, key):
    points = [(e["ts"], e["args"][key]) for e in events
              if e.get("ph") == "C" and e.get("name") == name]
    points.sort()
    return [t / 1000.0 for t, _ in points], [v for _, v in points]


def outermost_scopes(events):
    """(start_ms, end_ms) of the scopes at depth 1 on each thread."""
    depth, start, spans = {}, {}, []
    for e in sorted((e for e in events if e.get("cat") == "scope"),
                    key=lambda e: e["ts"]):
        tid = e.get("tid")
        d = depth.get(tid, 0)
        if e["ph"] == "B":
            if d == 0:
                start[tid] = e["ts"]
            depth[tid] = d + 1
        elif e["ph"] == "E" and d > 0:
            depth[tid] = d - 1
            if d == 1:
                spans.append((start[tid] / 1000.0, e["ts"] / 1000.0))
    return spans


def plot(events, outputs):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t_bytes, live_bytes = counter_series(events, "live bytes", "bytes")
    t_tensors, live_tensors = counter_series(events, "live tensors", "tensors")
    if not t_bytes:
        sys.exit("tsmem-plot: the trace has no 'live bytes' counter; was it "
                 "written by a program linked against tsmem with TSMEM_TRACE "
                 "set, and did the program make any tensor?")

    fig, ax = plt.subplots(figsize=(11, 4.5), dpi=110)
    for i, (s, e) in enumerate(outermost_scopes(events)):
        # Alternate the shade so back-to-back scopes stay distinguishable.
        ax.axvspan(s, e, color="tab:orange", alpha=0.10 if i % 2 else 0.22,
                   lw=0, label="outermost scopes" if i == 0 else None)
    ax.step(t_bytes, [b / 1024.0 for b in live_bytes], where="post",
            color="tab:blue", lw=1.2, label="live bytes (KiB)")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("live KiB")
    ax.set_ylim(bottom=0)
    ax2 = ax.twinx()
    ax2.step(t_tensors, live_tensors, where="post", color="tab:green",
             lw=0.8, alpha=0.7, label="live tensors")
    ax2.set_ylabel("live tensors")
    ax2.set_ylim(bottom=0)
    lines = ax.get_legend_handles_labels()
    lines2 = ax2.get_legend_handles_labels()
    ax.legend(lines[0] + lines2[0], lines[1] + lines2[1], loc="upper right")
    ax.set_title("tsmem memory timeline")
    fig.tight_layout()
    for out in outputs:
        fig.savefig(out)
        print("tsmem-plot: wrote %s" % out)


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__.strip())
    plot(load_events(argv[1]), argv[2:])


if __name__ == "__main__":
    main(sys.argv)
