#!/bin/sh
# Distributed builds on 127.0.0.1 (README "tsmem in your build"):
#  - distccd refuses -fplugin: plain distcc falls back to a local compile
#    with a warning;
#  - tools/tsmem-distcc sends plugin-free compiles to distccd and keeps the
#    plugin compiles local: the annotated file gets its warnings and the
#    same object as a direct compile, the plain one is compiled remotely.
# Usage: distcc.sh <build dir> <source dir>
set -eu
BUILD=$(cd "$1" && pwd); SRC=$(cd "$2" && pwd)
command -v distcc >/dev/null && command -v distccd >/dev/null ||
  { echo "distcc not installed: skipped"; exit 77; }
T=$(mktemp -d)
chmod 755 "$T"
DPID=""
cleanup() {
  [ -n "$DPID" ] && kill "$DPID" 2>/dev/null || true
  rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; cat "$T/distccd.log" 2>/dev/null | grep -v PATH | tail -20; exit 1; }
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
touch "$T/distccd.log"; chmod 666 "$T/distccd.log"
USER_ARG=""
[ "$(id -u)" = 0 ] && USER_ARG="--user nobody"
distccd --daemon --no-detach --allow 127.0.0.1 --listen 127.0.0.1 -p "$PORT" \
  --log-file "$T/distccd.log" --log-level info -j 2 $USER_ARG &
DPID=$!
for i in 1 2 3 4 5 6 7 8 9 10; do
  grep -q 'daemon started' "$T/distccd.log" && break
  sleep 0.5
done
grep -q 'daemon started' "$T/distccd.log" || fail "distccd did not start"

export DISTCC_HOSTS="127.0.0.1:$PORT/2" DISTCC_DIR="$T/state" DISTCC_BACKOFF_PERIOD=0 DISTCC_IO_TIMEOUT=30
mkdir -p "$T/state"
cp "$SRC/examples/buggy.c" "$T/"
printf 'int plain(int x) { return x + 1; }\n' > "$T/plain.c"
cd "$T"
PLUGIN="-fplugin=$BUILD/lib/tsmem/tsmem.so -I$SRC/include"
WRAP="sh $SRC/tools/tsmem-distcc"

# Plain distcc: distccd refuses -fplugin, and distcc 3.4's client sends the
# job again and again (fallback or not) until stopped.
if DISTCC_FALLBACK=1 timeout 8 distcc clang-19 $PLUGIN -c buggy.c -o refused.o 2> refused.txt &&
   [ -s refused.o ]; then
  echo "note: this distcc compiled a plugin compile (locally?): see refused.txt"
fi
grep -q 'insecure and not supported' distccd.log || fail "distccd did not refuse -fplugin"
echo "ok: distccd refuses -fplugin"

# tsmem-distcc, fallback off: a silent local compile would fail the test.
: > distccd.log
DISTCC_FALLBACK=0 timeout 60 $WRAP clang-19 -O1 -c plain.c -o plain.o || fail "plain compile through distcc"
grep -q 'compile from plain.c to plain.o' distccd.log || fail "plain.c was not compiled by distccd"
DISTCC_FALLBACK=0 timeout 60 $WRAP clang-19 $PLUGIN -O1 -c buggy.c -o wrapped.o 2> wrapped.txt ||
  fail "plugin compile through tsmem-distcc"
grep -q 'buggy.c' distccd.log && fail "the plugin compile went to distccd"
[ "$(grep -c 'warning: .*\[tsmem-' wrapped.txt)" = 5 ] || fail "tsmem warnings of the wrapped compile"
grep -q 'failed to distribute' wrapped.txt && fail "tsmem-distcc tried to distribute the plugin compile"
clang-19 $PLUGIN -O1 -c buggy.c -o direct.o 2>/dev/null
cmp -s direct.o wrapped.o || fail "the wrapped plugin compile differs from a direct one"
echo "ok: tsmem-distcc: plain compiles on distccd, plugin compiles local and equal"
