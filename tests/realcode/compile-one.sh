#!/bin/sh
# compile-one.sh PLUGIN FILE FLAGS - one file for compile-real-code.sh.
# Prints "<status> <file> <tsmem warnings>", status one of: ok; skip (does
# not build here even without the plugin); crash; broke (errors only with
# the plugin). The compiler's output for the last two goes to stderr.
plugin=$1
f=$2
flags=$3
cc=${CC:-clang-19}
# shellcheck disable=SC2086
if ! "$cc" -w -c -o /dev/null $flags "$f" >/dev/null 2>&1; then
  echo "skip $f 0"
  exit 0
fi
out=$(mktemp)
# shellcheck disable=SC2086
"$cc" -fplugin="$plugin" -c -o /dev/null $flags "$f" >"$out" 2>&1
rc=$?
warns=$(grep -c '\[tsmem-' "$out")
if [ $rc -ge 128 ] || grep -q -e 'PLEASE submit a bug report' \
  -e 'Stack dump' -e 'failed due to signal' "$out"; then
  echo "crash $f $warns"
  sed 's/^/    /' "$out" | head -n 40 >&2
elif [ $rc -ne 0 ]; then
  echo "broke $f $warns"
  sed 's/^/    /' "$out" | head -n 20 >&2
else
  echo "ok $f $warns"
  grep '\[tsmem-' "$out" | sed 's/^/    /' >&2
fi
rm -f "$out"
exit 0
