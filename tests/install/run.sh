#!/bin/sh
# run.sh BUILD_DIR: install tsmem from BUILD_DIR into a fresh prefix, then
# build and run a downstream project two ways: CMake (find_package(tsmem),
# tsmem_enable_plugin) and pkg-config with -fplugin, as SPEC.md section 1
# says users do. Prints "install test: passed" or fails.
set -eu
build=$(cd "${1:?usage: run.sh BUILD_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/tsmem-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

cmake --install "$build" --prefix "$prefix" >/dev/null
for f in include/tsmem.h lib/libtsmem.so lib/libtsmem.a lib/tsmem/tsmem.so \
         lib/tsmem/tsmem-clang.so lib/tsmem/tsmem-pass.so \
         lib/pkgconfig/tsmem.pc lib/cmake/tsmem/tsmemConfig.cmake; do
  [ -e "$prefix/$f" ] || { echo "install test: $prefix/$f missing" >&2; exit 1; }
done

# CMake: find_package(tsmem) + tsmem_enable_plugin(target).
cmake -S "$here/downstream" -B "$work/cmake-build" -DCMAKE_C_COMPILER=clang-19 \
  -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/cmake-build" >/dev/null
LD_LIBRARY_PATH="$prefix/lib" "$work/cmake-build/downstream"

# pkg-config, as the README's one-liner.
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
clang-19 -fplugin="$prefix/lib/tsmem/tsmem.so" $(pkg-config --cflags tsmem) \
  "$here/downstream/main.c" $(pkg-config --libs tsmem) -o "$work/pc-downstream"
LD_LIBRARY_PATH="$prefix/lib" "$work/pc-downstream"

# The pass alone, in opt, from the installed pass-only name.
printf 'define void @f() {\n  ret void\n}\n' |
  opt-19 -load-pass-plugin="$prefix/lib/tsmem/tsmem-pass.so" -passes=tsmem \
    -disable-output
echo "install test: passed"
