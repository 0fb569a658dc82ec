#!/usr/bin/env python3
"""check_output: run an example and compare its stdout with an expected file.

    check_output.py expected.txt program [args...]

The program must exit with status 0 and print exactly the expected lines,
except that
  - decimal numbers (a digit, a point, digits) may differ by a little
    (1e-3 + 1% relative), so a libtorch built for another CPU still passes;
  - "{{*}}" in an expected line matches any text (libtorch's own messages);
    such a line is otherwise compared literally.
Integers, words and spacing must match exactly: tensor counts, pool hits and
"live tensors at exit: 0" are the point of the examples.
"""
import re
import subprocess
import sys

FLOAT = re.compile(r"(-?\d+\.\d+)")


def numbers_close(got, want):
    g, w = float(got), float(want)
    return abs(g - w) <= 1e-3 + 1e-2 * abs(w)


def text_matches(got, want):
    """Literal comparison with {{*}} wildcards."""
    parts = [re.escape(p) for p in want.split("{{*}}")]
    return re.fullmatch(".*".join(parts), got, re.S) is not None


def line_matches(got, want):
    if "{{*}}" in want:
        return text_matches(got, want)
    g_parts, w_parts = FLOAT.split(got), FLOAT.split(want)
    if len(g_parts) != len(w_parts):
        return False
    for i, (g, w) in enumerate(zip(g_parts, w_parts)):
        if i % 2 == 1:
            if not numbers_close(g, w):
                return False
        elif g != w:
            return False
    return True


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__.strip())
    with open(argv[1]) as f:
        want = f.read().splitlines()
    run = subprocess.run(argv[2:], stdout=subprocess.PIPE, text=True)
    got = run.stdout.splitlines()
    bad = []
    if run.returncode != 0:
        bad.append("exit status %d, expected 0" % run.returncode)
    for n in range(max(len(got), len(want))):
        g = got[n] if n < len(got) else "<missing>"
        w = want[n] if n < len(want) else "<nothing more>"
        if n >= len(got) or n >= len(want) or not line_matches(g, w):
            bad.append("line %d:\n  got:      %s\n  expected: %s" % (n + 1, g, w))
            break
    if bad:
        print("--- output of %s ---" % " ".join(argv[2:]))
        print(run.stdout, end="")
        print("--- mismatch ---")
        print("\n".join(bad))
        return 1
    print("check_output: %d lines as expected" % len(want))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
