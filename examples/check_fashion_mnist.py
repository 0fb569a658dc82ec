#!/usr/bin/python3
"""ctest's short run of examples/fashion_mnist.c (issue 12).

    check_fashion_mnist.py <fashion_mnist binary> <workdir> [--ranks N] [args...]

Trains on a subset (the args: e.g. --train-limit 2000 --epochs 2) with
TSMEM_LEAK_REPORT=1, then checks:
  - the exit status is 0 and the leak report says nothing;
  - the live tensors printed after each epoch are the same (flat);
  - the last line is "live tensors at exit: 0";
  - examples/fashion_mnist_eval.py loads the checkpoint with torch.load into
    the PyTorch twin and finds the accuracy the C program printed.
--ranks N: runs N ranks on 127.0.0.1 (RANK/WORLD_SIZE/MASTER_* set as
torchrun sets them) instead of one process; rank 0's output is checked.
"""
import os
import re
import socket
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    binary, work = sys.argv[1], sys.argv[2]
    args = sys.argv[3:]
    ranks = 1
    if args[:1] == ["--ranks"]:
        ranks, args = int(args[1]), args[2:]
    os.makedirs(work, exist_ok=True)
    ckpt = os.path.join(work, f"fashion_mnist_{ranks}.pt")
    if os.path.exists(ckpt):
        os.remove(ckpt)
    cmd = [binary] + args + ["--checkpoint", ckpt]
    env = dict(os.environ, TSMEM_LEAK_REPORT="1")
    env.pop("WORLD_SIZE", None)
    print("$", " ".join(cmd), flush=True)
    if ranks == 1:
        procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)]
    else:
        port = str(free_port())
        procs = []
        for r in range(ranks):
            e = dict(env, RANK=str(r), LOCAL_RANK=str(r), WORLD_SIZE=str(ranks),
                     MASTER_ADDR="127.0.0.1", MASTER_PORT=port)
            procs.append(subprocess.Popen(cmd, env=e, stdout=subprocess.PIPE,
                                          stderr=subprocess.PIPE, text=True))
    outs = []
    try:
        for p in procs:
            outs.append(p.communicate(timeout=240) + (p.returncode,))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    failures = []
    for r, (out, err, rc) in enumerate(outs):
        sys.stdout.write("".join(f"[rank {r}] {l}\n" for l in out.splitlines()))
        sys.stdout.write("".join(f"[rank {r} stderr] {l}\n" for l in err.splitlines()))
        if rc != 0:
            failures.append(f"rank {r}: exit status {rc}")
        if "leak report" in err:
            failures.append(f"rank {r}: TSMEM_LEAK_REPORT reported live tensors at exit")
        if not out.splitlines() or out.splitlines()[-1] != "live tensors at exit: 0":
            failures.append(f"rank {r}: the last line is not 'live tensors at exit: 0'")
    out = outs[0][0]
    live = [int(m) for m in re.findall(r"live tensors (\d+) \(", out)]
    acc = re.search(r"^final test accuracy ([0-9.]+)$", out, re.M)
    if len(live) < 2:
        failures.append("fewer than two epochs printed")
    elif len(set(live)) != 1:
        failures.append(f"live tensors not flat across epochs: {live}")
    if not acc:
        failures.append("no final test accuracy")
    elif not failures:
        ev = [PY, os.path.join(HERE, "fashion_mnist_eval.py"), ckpt, "--expect", acc.group(1)]
        print("$", " ".join(ev), flush=True)
        p = subprocess.run(ev, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        sys.stdout.write(p.stdout)
        if p.returncode != 0:
            failures.append("the Python evaluator did not find the C program's accuracy")
    for f in failures:
        print("FAIL:", f)
    if not failures:
        print(f"ok: live tensors per epoch {live}, accuracy {acc.group(1)} in C and in PyTorch")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
