#!/bin/sh
# fetch-lua.sh DIR - Lua's C sources (the 5.2 interpreter and libraries,
# lua/src/*.c) into DIR/lua, from a Debian package: librust-lua52-sys-dev
# ships them inside the lua52-sys crate. The package is only downloaded
# (apt-get download) and unpacked (dpkg -x), not installed. Prints the path
# of the sources.
set -eu

dir=${1:?usage: fetch-lua.sh DIR}
pkg=librust-lua52-sys-dev
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
if [ ! -f "$dir/lua/src/lapi.c" ]; then
  deb=$(ls "$dir"/${pkg}_*.deb 2>/dev/null | head -n 1 || true)
  if [ -z "$deb" ]; then
    if ! (cd "$dir" && apt-get download -q "$pkg" >&2); then
      # No package lists yet (a fresh machine): update them, then retry.
      sudo=""
      [ "$(id -u)" = 0 ] || sudo=sudo
      $sudo apt-get update -qq >&2
      (cd "$dir" && apt-get download -q "$pkg" >&2)
    fi
    deb=$(ls "$dir"/${pkg}_*.deb | head -n 1)
  fi
  rm -rf "$dir/pkg"
  dpkg -x "$deb" "$dir/pkg"
  src=$(ls -d "$dir"/pkg/usr/share/cargo/registry/lua52-sys-*/lua | head -n 1)
  rm -rf "$dir/lua"
  cp -r "$src" "$dir/lua"
fi
echo "$dir/lua"
