#!/bin/sh
# packaging.sh SOURCE_DIR: the ways people build tsmem, each in a fresh build
# tree, as CI systems do (`make test-packaging`; each builds tsmem from
# scratch, so this takes a while and is not part of `make test`):
#   gcc-make     GCC 12 (Debian's default) + Make: runtime and the tests that
#                need no plugin, configure message, ctest
#   gcc-ninja    GCC 12 + Ninja, likewise
#   clang-ninja  clang-19 + Ninja: everything, ctest
#   no-tests     -DBUILD_TESTING=OFF: builds no test, installs
#   fetchcontent a consumer that embeds tsmem with FetchContent and builds a
#                mixed C/C++ target with the plugin on its C file
# Arguments after SOURCE_DIR pick some of them. Prints one line per build.
set -eu
src=$(cd "${1:?usage: packaging.sh SOURCE_DIR [BUILD...]}" && pwd)
shift
builds=${*:-gcc-make gcc-ninja clang-ninja no-tests fetchcontent}
here=$(cd "$(dirname "$0")" && pwd)
work=${TSMEM_PACKAGING_WORK:-$(mktemp -d "${TMPDIR:-/tmp}/tsmem-packaging.XXXXXX")}
jobs=${JOBS:-2}
log() { echo "packaging: $*"; }

configure_build_test() { # name generator cc cxx source [cmake args...]
  name=$1 gen=$2 cc=$3 cxx=$4 source=$5; shift 5
  dir=$work/$name
  CC=$cc CXX=$cxx cmake -S "$source" -B "$dir" -G "$gen" "$@" >"$dir.configure.log" 2>&1 ||
    { cat "$dir.configure.log"; log "$name: configure FAILED"; return 1; }
  cmake --build "$dir" -j"$jobs" >"$dir.build.log" 2>&1 ||
    { tail -40 "$dir.build.log"; log "$name: build FAILED"; return 1; }
}

for b in $builds; do
  case $b in
  gcc-make | gcc-ninja)
    gen="Unix Makefiles"; [ $b = gcc-ninja ] && gen=Ninja
    configure_build_test $b "$gen" gcc g++ "$src"
    grep -q "tsmem: building without the Clang plugin" "$work/$b.configure.log" ||
      { log "$b: no configure message about the plugin"; exit 1; }
    (cd "$work/$b" && ctest -j"$jobs" --output-on-failure) >"$work/$b.test.log" 2>&1 ||
      { tail -40 "$work/$b.test.log"; log "$b: tests FAILED"; exit 1; }
    log "$b: $(grep 'tests passed' "$work/$b.test.log")" ;;
  clang-ninja)
    configure_build_test $b Ninja clang-19 clang++-19 "$src"
    (cd "$work/$b" && ctest -j"$jobs" --output-on-failure -E 'install/') \
      >"$work/$b.test.log" 2>&1 ||
      { tail -40 "$work/$b.test.log"; log "$b: tests FAILED"; exit 1; }
    log "$b: $(grep 'tests passed' "$work/$b.test.log")" ;;
  no-tests)
    configure_build_test $b Ninja clang-19 clang++-19 "$src" -DBUILD_TESTING=OFF
    ! grep -q "test_scope" "$work/$b/build.ninja" ||
      { log "$b: BUILD_TESTING=OFF still builds tests"; exit 1; }
    cmake --install "$work/$b" --prefix "$work/$b-prefix" >/dev/null
    [ -e "$work/$b-prefix/lib/tsmem/tsmem.so" ] && [ -e "$work/$b-prefix/lib/libtsmem.so" ]
    log "$b: built without tests and installed" ;;
  fetchcontent)
    configure_build_test $b Ninja clang-19 g++ "$here/fetchcontent" \
      -DTSMEM_SOURCE="$src"
    "$work/$b/downstream"
    log "$b: consumer built and ran" ;;
  *) echo "packaging.sh: unknown build '$b'" >&2; exit 2 ;;
  esac
done
log "all passed ($builds)"
