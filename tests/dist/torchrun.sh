#!/bin/sh
# torchrun.sh TORCHRUN PROGRAM ARGS...: PROGRAM under
# `torchrun --nproc_per_node=2` unchanged (torchrun's agent serves the
# store), on a free port, bounded by a timeout.
set -eu
torchrun=$1; shift
prog=$1
port=$("${TSMEM_PORT_PROG:-$prog}" port)
exec timeout -k 5 80 "$torchrun" --nproc_per_node=2 --master_addr=127.0.0.1 \
  --master_port="$port" --no_python "$@"
