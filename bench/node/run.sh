#!/bin/sh
# bench/node: install TensorFlow.js and a copy of bindings/node (npm ci, from
# package-lock.json), then run bench.mjs with the given arguments.
# TSMEM_LIB: the libtsmem to measure (default: the build tree's).
set -e
cd "$(dirname "$0")"
npm ci --install-links --ignore-scripts --no-audit --no-fund --loglevel=error
export TSMEM_LIB="${TSMEM_LIB:-$(pwd)/../../build/runtime/libtsmem.so}"
exec node bench.mjs "$@"
