"""A C rank (dist_test interop) and a Python rank (torch.distributed, gloo)
in one process group, both ways round: C rank 0 serves the store and Python
is rank 1, then Python rank 0 and C rank 1. The Python side mirrors
dist_test.c's interop() call for call. Every process started is bounded by a
timeout and killed on the way out."""
import datetime
import os
import subprocess
import sys

import torch
import torch.distributed as dist

PROG = sys.argv[1]
TIMEOUT = float(os.environ.get("TSMEM_DIST_TIMEOUT", "20"))


def python_rank(rank, world):
    dist.init_process_group("gloo", timeout=datetime.timedelta(seconds=TIMEOUT))
    assert dist.get_rank() == rank and dist.get_world_size() == world
    t = torch.full((4,), float(rank + 1))
    dist.all_reduce(t)
    assert torch.all(t == world * (world + 1) / 2), t
    t = torch.full((2, 2), 10.0 * rank)
    dist.broadcast(t, world - 1)
    assert torch.all(t == 10.0 * (world - 1)), t
    t = torch.full((3,), float(rank))
    out = [torch.empty(3) for _ in range(world)]
    dist.all_gather(out, t)
    assert all(torch.all(o == k) for k, o in enumerate(out)), out
    t = torch.arange(0, 1 << 20, dtype=torch.float32)
    work = dist.all_reduce(t, dist.ReduceOp.MAX, async_op=True)
    work.wait()
    assert t[12345] == 12345
    dist.barrier()
    dist.destroy_process_group()
    print(f"rank {rank} (Python): interop with C passed", flush=True)


def run(c_rank, py_rank):
    port = subprocess.run([os.environ.get("TSMEM_PORT_PROG", PROG), "port"], capture_output=True, text=True,
                          check=True).stdout.strip()
    env = dict(os.environ, WORLD_SIZE="2", MASTER_ADDR="127.0.0.1",
               MASTER_PORT=port)
    child = subprocess.Popen([PROG, "interop"],
                             env=dict(env, RANK=str(c_rank), LOCAL_RANK=str(c_rank)))
    try:
        os.environ.update(env, RANK=str(py_rank), LOCAL_RANK=str(py_rank))
        python_rank(py_rank, 2)
        rc = child.wait(timeout=TIMEOUT + 30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    if rc != 0:
        sys.exit(f"the C rank {c_rank} exited with {rc}")


if __name__ == "__main__":
    run(c_rank=0, py_rank=1)
    run(c_rank=1, py_rank=0)
    print("interop: C and Python ranks all-reduce, broadcast, all-gather "
          "and barrier together, both ways round")
