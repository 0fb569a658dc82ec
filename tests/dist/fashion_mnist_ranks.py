#!/usr/bin/python3
"""examples/fashion_mnist.c data-parallel under torchrun (issue 13), short.

    fashion_mnist_ranks.py TORCHRUN PROGRAM WORKDIR [ARGS...]

Runs PROGRAM under `torchrun --nproc_per_node=2` (on a free port, in a
session of its own) with --rank-checkpoints, so that every rank saves its
parameters, then checks:
  - torchrun and both ranks exit with status 0, each rank's last line being
    "live tensors at exit: 0";
  - the two ranks' checkpoints hold the same tensors, bit for bit;
  - no process torchrun started (found by a mark in their environment) is
    left once torchrun has returned.
"""
import os
import signal
import socket
import subprocess
import sys
import time

import torch


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def marked_pids(mark):
    """The live processes whose environment holds `mark` (every process
    torchrun starts inherits it, whatever session it moves to)."""
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == os.getpid():
            continue
        try:
            with open(f"/proc/{d}/environ", "rb") as f:
                if mark.encode() not in f.read().split(b"\0"):
                    continue
            with open(f"/proc/{d}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    continue
        except OSError:
            continue
        pids.append(int(d))
    return pids


def main():
    torchrun, prog, work = sys.argv[1:4]
    args = sys.argv[4:]
    os.makedirs(work, exist_ok=True)
    prefix = os.path.join(work, "rank")
    for r in (0, 1):
        if os.path.exists(f"{prefix}{r}.pt"):
            os.remove(f"{prefix}{r}.pt")
    # Debian's torchrun needs --redirects/--tee as a mapping (tests/dist/torchrun.sh).
    cmd = [torchrun, "--nproc_per_node=2", "--master_addr=127.0.0.1",
           f"--master_port={free_port()}", "--redirects", "9:0", "--tee", "9:0",
           "--no_python", prog] + args + ["--checkpoint", "-",
                                          "--rank-checkpoints", prefix]
    print("$", " ".join(cmd), flush=True)
    mark = f"TSMEM_TEST_MARK={os.getpid()}.{time.time_ns()}"
    env = dict(os.environ, TSMEM_TEST_MARK=mark.split("=", 1)[1])
    for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(k, None)
    # Output to a file, not a pipe: a process left behind would hold a
    # pipe open, and reading to its end would wait for that process.
    log_path = os.path.join(work, "torchrun.log")
    failures = []
    with open(log_path, "w") as log:
        p = subprocess.Popen(cmd, env=env, stdout=log,
                             stderr=subprocess.STDOUT, start_new_session=True)
        try:
            p.wait(timeout=150)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
            failures.append("torchrun did not finish within 150 s")
    with open(log_path) as log:
        out = log.read()
    sys.stdout.write(out)
    if p.returncode != 0:
        failures.append(f"torchrun exited with status {p.returncode}")
    if out.count("live tensors at exit: 0") != 2:
        failures.append("not both ranks printed 'live tensors at exit: 0'")
    left = marked_pids(mark)
    for _ in range(20):  # a rank may still be in its exit
        if not left:
            break
        time.sleep(0.5)
        left = marked_pids(mark)
    if left:
        failures.append(f"processes left after torchrun returned: {left}")
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    if not failures:
        a = torch.load(f"{prefix}0.pt")
        b = torch.load(f"{prefix}1.pt")
        if sorted(a) != sorted(b):
            failures.append("the ranks' checkpoints have different keys")
        else:
            for k in sorted(a):
                if not torch.equal(a[k], b[k]):
                    d = (a[k].double() - b[k].double()).abs().max().item()
                    failures.append(f"{k} differs between rank 0 and rank 1 "
                                    f"(max |difference| {d:g})")
            print(f"{len(a)} tensors, {sum(t.numel() for t in a.values())} "
                  f"values: identical on both ranks")
    for f in failures:
        print("FAIL:", f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
