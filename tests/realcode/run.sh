#!/bin/sh
# run.sh PLUGIN [WORKDIR] - tsmem's diagnostics on real C code nobody here
# wrote: zlib and libiberty from Debian's binutils-source.
#
# Every .c file that plain clang-19 compiles (-fsyntax-only) is compiled
# again with the plugin, with TSMEM_ANALYZE_ALL=1 so that the ownership
# analysis runs on every function, not only on those that call tsmem. The
# expected result: no tsmem diagnostic and no crash. Prints one summary line
# and exits nonzero when either happens.
set -eu

plugin=${1:?usage: run.sh PLUGIN [WORKDIR]}
work=${2:-${TMPDIR:-/tmp}/tsmem-realcode}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
clang=${CLANG:-clang-19}

zlib=$(sh "$root/bench/compile/fetch-real-code.sh" "$work")
tarball=$(ls /usr/src/binutils/binutils-*.tar.* | head -n 1)
top=$(basename "$tarball" | sed 's/\.tar\..*$//')
if [ ! -f "$work/libiberty/xmalloc.c" ]; then
  tar -xf "$tarball" -C "$work" --strip-components=1 "$top/libiberty" "$top/include"
fi

# libiberty wants the config.h its configure script writes; these answers
# hold on Debian 12.
mkdir -p "$work/cfg"
cat >"$work/cfg/config.h" <<'CFG'
#define HAVE_STDLIB_H 1
#define HAVE_STRING_H 1
#define HAVE_STRINGS_H 1
#define HAVE_UNISTD_H 1
#define HAVE_LIMITS_H 1
#define HAVE_STDINT_H 1
#define HAVE_INTTYPES_H 1
#define HAVE_SYS_TYPES_H 1
#define HAVE_SYS_STAT_H 1
#define HAVE_FCNTL_H 1
#define HAVE_TIME_H 1
#define HAVE_SYS_TIME_H 1
#define HAVE_SYS_WAIT_H 1
#define HAVE_STDIO_H 1
#define HAVE_ERRNO_H 1
#define STDC_HEADERS 1
#define HAVE_DECL_BASENAME 1
#define HAVE_DECL_ASPRINTF 1
#define HAVE_DECL_VASPRINTF 1
#define HAVE_DECL_SNPRINTF 1
#define HAVE_DECL_VSNPRINTF 1
#define HAVE_STRERROR 1
#define HAVE_MEMCPY 1
#define HAVE_STRCHR 1
#define SIZEOF_INT 4
#define SIZEOF_LONG 8
#define SIZEOF_LONG_LONG 8
#define SIZEOF_SIZE_T 8
CFG

files=0 skipped=0 warnings=0 crashes=0
for f in "$zlib"/*.c "$work"/libiberty/*.c; do
  # No -w: it would silence tsmem too. Only tsmem's diagnostics are counted.
  flags="-I$zlib -I$work/cfg -I$work/include -DHAVE_CONFIG_H -DHAVE_UNISTD_H=1"
  if ! $clang -fsyntax-only $flags "$f" >/dev/null 2>&1; then
    skipped=$((skipped + 1))
    continue
  fi
  files=$((files + 1))
  out=$(TSMEM_ANALYZE_ALL=1 $clang -fsyntax-only -fplugin="$plugin" $flags "$f" 2>&1) && rc=0 || rc=$?
  n=$(printf '%s\n' "$out" | grep -c '\[tsmem-' || true)
  if [ "$n" -gt 0 ]; then
    printf '%s\n' "$out" | grep '\[tsmem-' >&2
    warnings=$((warnings + n))
  fi
  if [ "$rc" -ne 0 ]; then
    echo "crash or failure on $f (exit $rc)" >&2
    crashes=$((crashes + 1))
  fi
done
echo "realcode: $files files compiled with the plugin ($skipped that plain clang rejects skipped), tsmem diagnostics: $warnings, crashes: $crashes"
[ "$warnings" -eq 0 ] && [ "$crashes" -eq 0 ]
