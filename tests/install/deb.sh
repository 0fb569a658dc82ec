#!/bin/sh
# deb.sh BUILD_DIR: package BUILD_DIR with CPack (.deb and .tar.gz), install
# the .deb with dpkg into a fresh root (dpkg --root, as into a chroot), then
# build the downstream project against that root with find_package(tsmem 0.2)
# and with pkg-config. Prints "deb test: passed" or fails.
set -eu
build=$(cd "${1:?usage: deb.sh BUILD_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/tsmem-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT

(cd "$work" && cpack --config "$build/CPackConfig.cmake" -B "$work/out" >/dev/null)
deb=$(ls "$work"/out/tsmem_*.deb)
ls "$work"/out/tsmem-*-Linux.tar.gz >/dev/null

# What the package says about itself.
dpkg-deb --field "$deb" Package Version Depends
version=$(dpkg-deb --field "$deb" Version)
# The packaged plugin is stripped (CPACK_STRIP_FILES).
dpkg-deb -x "$deb" "$work/contents"
if file "$work/contents/usr/lib/tsmem/tsmem-clang.so" | grep -q "not stripped"; then
  echo "deb test: the packaged tsmem-clang.so is not stripped" >&2; exit 1
fi

# A fresh root with an empty dpkg database. Its dependencies are this
# machine's packages, not the fresh root's, hence --force-depends.
root=$work/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
: >"$root/var/lib/dpkg/status"
dpkg --root="$root" --force-depends --force-not-root --force-script-chrootless \
  -i "$deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; exit 1; }
dpkg --root="$root" -L tsmem | grep -q '/usr/lib/tsmem/tsmem.so$'

cmake -S "$here/downstream" -B "$work/cmake-build" -DCMAKE_C_COMPILER=clang-19 \
  -DCMAKE_PREFIX_PATH="$root/usr" >/dev/null
cmake --build "$work/cmake-build" >/dev/null
LD_LIBRARY_PATH="$root/usr/lib" "$work/cmake-build/downstream" | grep "tsmem $version "

export PKG_CONFIG_PATH="$root/usr/lib/pkgconfig"
[ "$(pkg-config --modversion tsmem)" = "$version" ]
c++ -c "$here/downstream/mean.cpp" -o "$work/mean.o"
clang-19 -fplugin="$(pkg-config --variable=plugin tsmem)" $(pkg-config --cflags tsmem) \
  "$here/downstream/main.c" "$work/mean.o" $(pkg-config --libs tsmem) -o "$work/pc-downstream"
"$work/pc-downstream"
echo "deb test: passed"
