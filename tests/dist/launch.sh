#!/bin/sh
# launch.sh NPROC [-r "RANKS"] [-t SECONDS] PROGRAM ARGS...
#
# The plain shell launcher of README.md's "Distributed training": starts
# NPROC copies of PROGRAM on 127.0.0.1, each with RANK, LOCAL_RANK,
# WORLD_SIZE, MASTER_ADDR and a free MASTER_PORT, waits for them all, and
# exits 0 only if every one exited 0. -r starts only the listed ranks (the
# others "never arrive"); -t bounds each process (default 60 s). Every
# process it started is killed if it is interrupted or a process overruns.
set -u
nproc=$1; shift
ranks=""; limit=60
while [ $# -gt 0 ]; do
  case $1 in
    -r) ranks=$2; shift 2 ;;
    -t) limit=$2; shift 2 ;;
    *) break ;;
  esac
done
[ -n "$ranks" ] || ranks=$(seq 0 $((nproc - 1)))
prog=$1; shift
port=${MASTER_PORT:-$("${TSMEM_PORT_PROG:-$prog}" port)}

pids=""
cleanup() {
  for p in $pids; do kill -9 "$p" 2>/dev/null; done
}
trap 'cleanup; exit 130' INT TERM
trap cleanup EXIT

for r in $ranks; do
  RANK=$r LOCAL_RANK=$r WORLD_SIZE=$nproc MASTER_ADDR=127.0.0.1 \
    MASTER_PORT=$port timeout -k 5 "$limit" "$prog" "$@" &
  pids="$pids $!"
done
status=0
i=0
for p in $pids; do
  wait "$p"; rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "launch.sh: process $i (pid $p) exited with $rc" >&2
    status=1
  fi
  i=$((i + 1))
done
pids=""
exit $status
