#!/bin/sh
# compile-real-code.sh PLUGIN WORKDIR [zlib|all|lua] - the plugin on C code
# nobody here wrote: Debian's binutils sources (package binutils-source);
# lua: Lua 5.2's sources instead (fetch-lua.sh).
#
# zlib: zlib/*.c (no configure step). all: zlib, libiberty (after its
# ./configure), opcodes and bfd (after bfd's ./configure and the generated
# headers). Each file is first compiled without the plugin; only files that
# build that way count. Then it is compiled with -fplugin=PLUGIN (front-end
# analysis and LLVM pass, to an object file). Counted: files, crashes
# (a stack dump, "PLEASE submit a bug report", or death by a signal),
# files the plugin broke (errors only with the plugin) and tsmem warnings
# ([tsmem-*]). Exit status 0 only when the last three are all 0.
set -eu

plugin=${1:?usage: compile-real-code.sh PLUGIN WORKDIR [zlib|all]}
work=${2:?usage: compile-real-code.sh PLUGIN WORKDIR [zlib|all]}
subset=${3:-zlib}
cc=${CC:-clang-19}
jobs=${JOBS:-2}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
mkdir -p "$work"
work=$(cd "$work" && pwd)

# zlib through the plugin engineer's script (it installs binutils-source
# when missing); the rest from the same tarball.
"$root/bench/compile/fetch-real-code.sh" "$work" >/dev/null
tarball=$(ls /usr/src/binutils/binutils-*.tar.* | head -n 1)
top=$(basename "$tarball" | sed 's/\.tar\..*$//')

list=$work/files.txt
: >"$list"
add() { # add FLAGS FILE...: one line per file, "file<TAB>flags"
  flags=$1
  shift
  for f in "$@"; do printf '%s\t%s\n' "$f" "$flags" >>"$list"; done
}

add "-I$work/zlib -DHAVE_UNISTD_H -DHAVE_STDARG_H" "$work"/zlib/*.c

if [ "$subset" = lua ]; then
  # Lua 5.2's interpreter and libraries (fetch-lua.sh), instead of zlib.
  "$here/fetch-lua.sh" "$work" >/dev/null
  : >"$list"
  add "-DLUA_COMPAT_ALL -DLUA_USE_POSIX -DLUA_USE_DLOPEN" "$work"/lua/src/*.c
fi

if [ "$subset" = all ]; then
  if [ ! -f "$work/bfd/configure" ]; then
    # Top-level scripts configure needs, include/, libiberty/, opcodes/, bfd/.
    tar -xf "$tarball" -C "$work" --strip-components=1 \
      --exclude="$top/gas" --exclude="$top/ld" --exclude="$top/gold" \
      --exclude="$top/gprofng" --exclude="$top/binutils" \
      --exclude="$top/gprof" --exclude="$top/libctf" --exclude="$top/zlib"
  fi
  if [ ! -f "$work/libiberty/config.h" ]; then
    (cd "$work/libiberty" && ./configure -q CC="$cc" >configure.log 2>&1)
  fi
  add "-DHAVE_CONFIG_H -I$work/libiberty -I$work/include" \
    "$work"/libiberty/*.c
  if [ ! -f "$work/bfd/bfd.h" ]; then
    (cd "$work/bfd" &&
      ./configure -q CC="$cc" --disable-nls --enable-targets=all \
        >configure.log 2>&1 &&
      make -s bfd.h bfdver.h elf32-target.h elf64-target.h targmatch.h \
        >make.log 2>&1) || echo "realcode: bfd's configure failed; see $work/bfd/configure.log" >&2
  fi
  if [ -f "$work/bfd/bfd.h" ]; then
    add "-DHAVE_CONFIG_H -I$work/bfd -I$work/include -I$work/zlib" \
      "$work"/bfd/*.c
    add "-DHAVE_CONFIG_H -I$work/opcodes -I$work/bfd -I$work/include" \
      "$work"/opcodes/*.c
  fi
fi

results=$work/results.txt
start=$(date +%s)
tr '\t' '\001' <"$list" | while IFS=$(printf '\001') read -r f flags; do
  printf '%s\0%s\0' "$f" "$flags"
done | CC="$cc" xargs -0 -n 2 -P "$jobs" "$here/compile-one.sh" "$plugin" \
  >"$results"
secs=$(($(date +%s) - start))

count() { grep -c "^$1 " "$results" || true; }
total=$(wc -l <"$results")
ok=$(count ok)
skip=$(count skip)
crash=$(count crash)
broke=$(count broke)
warn=$(awk '{s += $3} END {print s + 0}' "$results")
echo "realcode ($subset): $total C files; $((ok + crash + broke)) build" \
  "without the plugin and were compiled with it in ${secs} s: $ok ok," \
  "$crash crashes, $broke broken by the plugin, $warn tsmem warnings" \
  "($skip skipped: they do not build here even without the plugin)"
for d in zlib libiberty bfd opcodes lua; do
  n=$(grep -c "^ok $work/$d/" "$results" || true)
  [ "$n" -gt 0 ] && echo "  $d: $n files compiled with the plugin"
done
[ "$crash" -eq 0 ] && [ "$broke" -eq 0 ] && [ "$warn" -eq 0 ]
