#!/bin/sh
# run.sh BUILD_DIR: install tsmem from BUILD_DIR into a fresh prefix, then
# build and run a downstream project two ways: CMake (find_package(tsmem 0.2),
# tsmem_enable_plugin on a mixed C/C++ target) and pkg-config with -fplugin,
# as SPEC.md section 1 says users do; then uninstall. Prints
# "install test: passed" or fails.
set -eu
build=$(cd "${1:?usage: run.sh BUILD_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/tsmem-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

cmake --install "$build" --prefix "$prefix" >/dev/null
for f in include/tsmem.h include/tsmem/version.h lib/libtsmem.so lib/libtsmem.a lib/tsmem/tsmem.so \
         lib/tsmem/tsmem-clang.so lib/tsmem/tsmem-pass.so \
         lib/pkgconfig/tsmem.pc lib/cmake/tsmem/tsmemConfig.cmake \
  lib/cmake/tsmem/tsmemEnablePlugin.cmake; do
  [ -e "$prefix/$f" ] || { echo "install test: $prefix/$f missing" >&2; exit 1; }
  # install_manifest.txt lists everything, so that uninstall removes it all.
  grep -qx "$prefix/$f" "$build/install_manifest.txt" ||
    { echo "install test: $f is missing from install_manifest.txt" >&2; exit 1; }
done

# One version everywhere: header, pkg-config, plugin.
version=$(sed -n 's/^#define TSMEM_VERSION_STRING "\(.*\)"$/\1/p' "$prefix/include/tsmem/version.h")
[ "$(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --modversion tsmem)" = "$version" ] ||
  { echo "install test: tsmem.pc's version is not $version" >&2; exit 1; }
echo 'int x;' | clang-19 -fplugin="$prefix/lib/tsmem/tsmem.so" -fplugin-arg-tsmem-version \
  -fsyntax-only -x c - | grep -q "^tsmem $version " ||
  { echo "install test: -fplugin-arg-tsmem-version does not print $version" >&2; exit 1; }

# CMake: find_package(tsmem 0.2) + tsmem_enable_plugin(target).
cmake -S "$here/downstream" -B "$work/cmake-build" -DCMAKE_C_COMPILER=clang-19 \
  -DCMAKE_PREFIX_PATH="$prefix" -DTSMEM_DOWNSTREAM_STATIC=ON >/dev/null
cmake --build "$work/cmake-build" >/dev/null
LD_LIBRARY_PATH="$prefix/lib" "$work/cmake-build/downstream"
"$work/cmake-build/downstream_static"

# pkg-config, as the README's one-liner.
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
c++ -c "$here/downstream/mean.cpp" -o "$work/mean.o"
clang-19 -fplugin="$prefix/lib/tsmem/tsmem.so" $(pkg-config --cflags tsmem) \
  "$here/downstream/main.c" "$work/mean.o" $(pkg-config --libs tsmem) -o "$work/pc-downstream"
LD_LIBRARY_PATH="$prefix/lib" "$work/pc-downstream"

# The pass alone, in opt, from the installed pass-only name.
printf 'define void @f() {\n  ret void\n}\n' |
  opt-19 -load-pass-plugin="$prefix/lib/tsmem/tsmem-pass.so" -passes=tsmem \
    -disable-output
# Uninstall removes every file the install laid down.
cmake --build "$build" --target uninstall >/dev/null
left=$(find "$prefix" -type f -o -type l)
[ -z "$left" ] || { echo "install test: uninstall left $left" >&2; exit 1; }
echo "install test: passed"
