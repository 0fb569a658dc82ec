#!/bin/sh
# Editors and linters (README "tsmem in your build"):
#  - clangd-19 with the documented .clangd (-DTSMEM_EDITOR) reports no error
#    on files that use TS_SCOPE/TS_SCOPED (and does without it);
#  - clang-tidy-19 with tsmem-tidy.so reports the five checks on
#    examples/buggy.c, as the plugin does, and nothing on a correct example.
# Usage: editors.sh <build dir> <source dir>
set -eu
BUILD=$(cd "$1" && pwd); SRC=$(cd "$2" && pwd)
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
cp "$SRC/examples/buggy.c" "$SRC/examples/train_mlp.c" "$T/"
cd "$T"

if command -v clangd-19 >/dev/null; then
  printf 'CompileFlags:\n  Add: [-I%s]\n' "$SRC/include" > .clangd
  clangd-19 --check=buggy.c > without.log 2>&1 || true
  grep -q 'TS_SCOPE needs the tsmem Clang plugin' without.log ||
    fail "clangd without -DTSMEM_EDITOR: expected the no-plugin error"
  printf 'CompileFlags:\n  Add: [-DTSMEM_EDITOR, -I%s]\n' "$SRC/include" > .clangd
  for f in buggy.c train_mlp.c; do
    clangd-19 --check=$f > clangd.log 2>&1 || { cat clangd.log; fail "clangd --check=$f failed"; }
    grep -q 'All checks completed, 0 errors' clangd.log || { grep '^E\[' clangd.log; fail "clangd reports errors on $f"; }
  done
  echo "ok: clangd-19 with .clangd (-DTSMEM_EDITOR): no errors"
else
  echo "clangd-19 not installed: clangd part skipped"
fi

if command -v clang-tidy-19 >/dev/null && [ -f "$BUILD/lib/tsmem/tsmem-tidy.so" ]; then
  clang-tidy-19 --load="$BUILD/lib/tsmem/tsmem-tidy.so" -checks='-*,tsmem-*' \
    buggy.c -- -I"$SRC/include" > tidy.log 2>&1 || { cat tidy.log; fail "clang-tidy failed"; }
  clang-19 -fplugin="$BUILD/lib/tsmem/tsmem.so" -I"$SRC/include" -fsyntax-only \
    buggy.c > plugin.log 2>&1
  for c in unescaped-return use-after-scope leak use-after-free double-free; do
    grep -q "buggy.c:[0-9]*:[0-9]*: warning: .*\[tsmem-$c\]" tidy.log ||
      { cat tidy.log; fail "clang-tidy: no tsmem-$c finding"; }
  done
  grep -E '(warning|note):' tidy.log | sed "s|^$T/||" > tidy.diags
  grep -E '(warning|note):' plugin.log > plugin.diags
  diff plugin.diags tidy.diags || fail "clang-tidy's findings differ from the plugin's"
  # One check at a time, and none on a correct program.
  clang-tidy-19 --load="$BUILD/lib/tsmem/tsmem-tidy.so" -checks='-*,tsmem-leak' \
    buggy.c -- -I"$SRC/include" > leak.log 2>&1
  [ "$(grep -c 'warning: .*\[tsmem-' leak.log)" = 1 ] || { cat leak.log; fail "-checks=tsmem-leak"; }
  clang-tidy-19 --load="$BUILD/lib/tsmem/tsmem-tidy.so" -checks='-*,tsmem-*' \
    --warnings-as-errors='tsmem-*' train_mlp.c -- -I"$SRC/include" > ok.log 2>&1 ||
    { cat ok.log; fail "clang-tidy on a correct example"; }
  echo "ok: clang-tidy-19 with tsmem-tidy.so: the plugin's five findings"
else
  echo "clang-tidy-19 or tsmem-tidy.so missing: clang-tidy part skipped"
fi
