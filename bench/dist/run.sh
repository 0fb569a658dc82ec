#!/bin/sh
# run.sh C_PROGRAM PORT_PROGRAM [RUNS]: all-reduce of 1M floats between 2
# local processes, tsmem (C_PROGRAM, allreduce.c) against torch.distributed
# in Python (allreduce.py), alternating, RUNS times (default 3). Prints each
# run's median microseconds per all-reduce, and the ratio tsmem / PyTorch;
# with signature checks on (the default) and off (TSMEM_DIST_CHECK=0).
set -eu
prog=$1; portprog=$2; runs=${3:-3}
here=$(dirname "$0")
py=${PYTHON:-/usr/bin/python3}
two() { # two ranks of a command; rank 0's output
  port=$("$portprog")
  out=$(mktemp)
  for r in 1 0; do
    RANK=$r LOCAL_RANK=$r WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port \
      timeout -k 5 300 "$@" > "$out.$r" &
  done
  wait
  cat "$out.0"; rm -f "$out" "$out.0" "$out.1"
}
i=1
while [ "$i" -le "$runs" ]; do
  c=$(two "$prog")
  nc=$(TSMEM_DIST_CHECK=0 two "$prog")
  p=$(two "$py" "$here/allreduce.py")
  echo "run $i: tsmem $c us, tsmem (TSMEM_DIST_CHECK=0) $nc us, torch.distributed $p us;" \
    "ratio $(awk "BEGIN{printf \"%.3f\", $c / $p}"), unchecked $(awk "BEGIN{printf \"%.3f\", $nc / $p}") (goal <= 1.05)"
  i=$((i + 1))
done
