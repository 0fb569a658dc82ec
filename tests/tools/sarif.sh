#!/bin/sh
# SARIF 2.1.0 that GitHub code scanning accepts: Microsoft's SARIF
# multitool (npm: @microsoft/sarif-multitool, pinned in sarif/package-lock.json)
# validates, with its SARIF and GitHub (GH*) rules, a multi-file report
# merged by tsmem-check and a log the plugin writes itself. Any result at
# level "error" fails the test.
# Usage: sarif.sh <build dir> <source dir>
set -eu
BUILD=$(cd "$1" && pwd); SRC=$(cd "$2" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
command -v npm >/dev/null && command -v node >/dev/null ||
  { echo "npm/node not installed: skipped"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

# npm ci once per lock file, in the build tree.
NODE_DIR=$BUILD/tests/tools/sarif-node
mkdir -p "$NODE_DIR"
want=$(cat "$HERE/sarif/package.json" "$HERE/sarif/package-lock.json" | sha256sum)
if [ "$(cat "$NODE_DIR/.stamp" 2>/dev/null)" != "$want" ]; then
  cp "$HERE/sarif/package.json" "$HERE/sarif/package-lock.json" "$NODE_DIR/"
  (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error) ||
    fail "npm ci of the SARIF multitool failed (network?)"
  echo "$want" > "$NODE_DIR/.stamp"
fi
MULTITOOL=$(cd "$NODE_DIR" && node -p "require('@microsoft/sarif-multitool')")
chmod u+x "$MULTITOOL" # its postinstall step, which npm may not run
export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1

T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
sh "$HERE/tsmem-check.sh" "$BUILD" "$SRC" "$T/merged.sarif" > /dev/null ||
  fail "tsmem-check.sh did not produce the merged report"
clang-19 -fplugin="$BUILD/lib/tsmem/tsmem.so" -I"$SRC/include" -fsyntax-only \
  -fplugin-arg-tsmem-sarif="$T/plugin.sarif" "$SRC/examples/buggy.c" 2>/dev/null
# One multitool run for both logs (its start-up is most of the time).
"$MULTITOOL" validate --rule-kind "Gh;Sarif" -o "$T/check.sarif" \
  "$T/merged.sarif" "$T/plugin.sarif" > "$T/out.txt" 2>&1 ||
  { cat "$T/out.txt"; fail "the multitool failed"; }
python3 - "$T/check.sarif" "$T/merged.sarif" "$T/plugin.sarif" <<'PY' || { cat "$T/out.txt"; fail "not valid"; }
import json, sys
out = json.load(open(sys.argv[1]))
errors = [r for run in out["runs"] for r in run.get("results", [])
          if r.get("level", "warning") == "error"]
for r in errors:
    print("error", r["ruleId"], r["message"])
scanned = {a["location"]["uri"].rsplit("/", 1)[-1]
           for run in out["runs"] for a in run.get("artifacts", [])}
for log in sys.argv[2:]:
    assert log.rsplit("/", 1)[-1] in scanned or not scanned, (log, scanned)
    n = len(json.load(open(log))["runs"][0]["results"])
    assert n >= 3, "expected findings in %s, got %d" % (log, n)
sys.exit(1 if errors else 0)
PY
grep -q '2 files scanned' "$T/out.txt" || { cat "$T/out.txt"; fail "the multitool did not scan both logs"; }
echo "ok: merged.sarif and plugin.sarif pass the SARIF multitool's SARIF and GitHub rules"
