#!/usr/bin/env python3
"""check_buggy: buggy.c, compiled with the plugin, shows each check once.

    check_buggy.py compiler [args...]

Runs the compile command, which must succeed (the checks are warnings), and
requires exactly one warning from each of the five checks in its output.
"""
import subprocess
import sys

CHECKS = ["tsmem-unescaped-return", "tsmem-use-after-scope", "tsmem-leak",
          "tsmem-use-after-free", "tsmem-double-free"]


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__.strip())
    run = subprocess.run(argv[1:], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    bad = [] if run.returncode == 0 else ["exit status %d" % run.returncode]
    warnings = [l for l in run.stdout.splitlines() if "warning: " in l]
    for check in CHECKS:
        n = sum(1 for l in warnings if l.rstrip().endswith("[%s]" % check))
        if n != 1:
            bad.append("[%s]: %d warnings, expected 1" % (check, n))
    print(run.stdout, end="")
    if bad:
        print("check_buggy: " + "; ".join(bad))
        return 1
    print("check_buggy: one warning per check")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
