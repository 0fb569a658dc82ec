#!/bin/sh
# ccache with the tsmem plugin (README "tsmem in your build"):
#  - preprocessor and depend modes cache an annotated file: the second
#    compile is a hit and replays the same warnings;
#  - tsmem.so carries the SHA-256 of tsmem-clang.so, so a new analysis is a
#    new -fplugin file for ccache, and a changed tsmem.so misses.
# Usage: ccache.sh <build dir> <source dir>
set -eu
BUILD=$(cd "$1" && pwd); SRC=$(cd "$2" && pwd)
command -v ccache >/dev/null || { echo "ccache not installed: skipped"; exit 77; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
export CCACHE_DIR=$T/cache CCACHE_NOHASHDIR=1 CCACHE_TEMPDIR=$T/tmp
unset CCACHE_BASEDIR CCACHE_NODIRECT CCACHE_DEPEND CCACHE_DISABLE CCACHE_RECACHE || true
mkdir -p "$T/lib"
cp "$BUILD"/lib/tsmem/tsmem.so "$BUILD"/lib/tsmem/tsmem-clang.so "$T/lib/"
PLUGIN=$T/lib/tsmem.so
cp "$SRC/examples/buggy.c" "$T/buggy.c"
cd "$T"
fail() { echo "FAIL: $*"; exit 1; }
stat_of() { ccache --print-stats | awk -v k="$1" '$1 == k { print $2 }'; }

compile() { # mode, output file of the diagnostics
  case $1 in
    preprocessor) CCACHE_NODIRECT=1 ccache clang-19 -fplugin="$PLUGIN" -I"$SRC/include" -c buggy.c -o buggy.o 2>"$2" ;;
    depend) CCACHE_DEPEND=1 ccache clang-19 -fplugin="$PLUGIN" -I"$SRC/include" -MD -c buggy.c -o buggy.o 2>"$2" ;;
  esac
}

for mode in preprocessor depend; do
  ccache -C >/dev/null; ccache -z >/dev/null
  compile $mode first.txt
  compile $mode second.txt
  hits=$(( $(stat_of preprocessed_cache_hit) + $(stat_of direct_cache_hit) ))
  [ "$(stat_of cache_miss)" = 1 ] || fail "$mode mode: first compile not a plain miss ($(stat_of cache_miss) misses)"
  [ "$hits" = 1 ] || fail "$mode mode: second compile not a hit"
  n=$(grep -c 'warning: .*\[tsmem-' first.txt || true)
  [ "$n" = 5 ] || fail "$mode mode: expected 5 tsmem warnings, got $n"
  cmp -s first.txt second.txt || fail "$mode mode: the hit did not replay the same warnings"
  echo "ok: $mode mode: miss then hit, $n warnings replayed"
done

# tsmem.so embeds tsmem-clang.so's hash (the build regenerates it).
sum=$(sha256sum "$BUILD/lib/tsmem/tsmem-clang.so" | cut -d' ' -f1)
grep -q "tsmem-clang.so sha256 $sum" "$BUILD/lib/tsmem/tsmem.so" ||
  fail "tsmem.so does not carry the hash of the tsmem-clang.so beside it"
echo "ok: tsmem.so carries tsmem-clang.so's sha256"

# A new tsmem.so (same size and mtime, other bytes) is a miss.
ccache -z >/dev/null
touch -r "$PLUGIN" ref
printf 'x' >> "$PLUGIN"
touch -r ref "$PLUGIN"
compile preprocessor third.txt
[ "$(stat_of cache_miss)" = 1 ] || fail "a changed tsmem.so still hit the cache"
echo "ok: a changed plugin misses the cache"
