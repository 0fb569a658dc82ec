#!/bin/sh
# fetch-real-code.sh DIR - unpack real C code nobody here wrote into DIR.
#
# Debian's binutils-source package ships the binutils sources as a tarball
# under /usr/src/binutils. This installs the package if it is missing
# (apt-get, as root or through sudo) and extracts its zlib/ directory, which
# builds with plain clang and no configure step, to DIR/zlib. Used by the
# compile-time benchmark (compile-time.sh) and the zero-warning test of the
# plugin's diagnostics. Prints the path of the extracted directory.
set -eu

dir=${1:?usage: fetch-real-code.sh DIR}
tarball=$(ls /usr/src/binutils/binutils-*.tar.* 2>/dev/null | head -n 1 || true)
if [ -z "$tarball" ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
    --no-install-recommends binutils-source >&2
  tarball=$(ls /usr/src/binutils/binutils-*.tar.* | head -n 1)
fi

top=$(basename "$tarball" | sed 's/\.tar\..*$//') # binutils-2.40
if [ ! -f "$dir/zlib/zlib.h" ]; then
  mkdir -p "$dir"
  tar -xf "$tarball" -C "$dir" --strip-components=1 "$top/zlib"
fi
echo "$dir/zlib"
