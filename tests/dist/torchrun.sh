#!/bin/sh
# torchrun.sh TORCHRUN PROGRAM ARGS...: PROGRAM under
# `torchrun --nproc_per_node=2` unchanged (torchrun's agent serves the
# store), on a free port, bounded by a timeout.
#
# Debian 12's torchrun (torch 1.13 on Python 3.11) fails on its own default
# `--redirects 0 --tee 0` (Std.from_str("0") gives None there), so both are
# given as a mapping for a local rank that does not exist: no redirection.
set -eu
torchrun=$1; shift
prog=$1
port=$("${TSMEM_PORT_PROG:-$prog}" port)
exec timeout -k 5 80 "$torchrun" --nproc_per_node=2 --master_addr=127.0.0.1 \
  --master_port="$port" --redirects 9:0 --tee 9:0 --no_python "$@"
