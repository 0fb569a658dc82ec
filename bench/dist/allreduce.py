"""One rank of the all-reduce benchmark (bench/dist/run.sh):
torch.distributed.all_reduce of 1M float32 (4 MB) in place, SUM, gloo.
Prints the median wall time of one all-reduce in microseconds, the same
protocol as allreduce.c."""
import statistics
import time

import torch
import torch.distributed as dist

N, WARMUP, ROUNDS, ITERS = 1 << 20, 20, 15, 20

torch.set_num_threads(1)
dist.init_process_group("gloo")
t = torch.ones(N, dtype=torch.float32)
for _ in range(WARMUP):
    dist.all_reduce(t)
per = []
for _ in range(ROUNDS):
    dist.barrier()
    t0 = time.monotonic()
    for _ in range(ITERS):
        dist.all_reduce(t)
    per.append((time.monotonic() - t0) / ITERS * 1e6)
if dist.get_rank() == 0:
    print(f"{statistics.median(per):.1f}")
dist.destroy_process_group()
