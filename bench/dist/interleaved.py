"""All-reduce of 1M float32 between 2 local processes: tsmem against
torch.distributed, interleaved in the same two processes so both see the
same machine (bench/README.md). Each process joins two groups: PyTorch's
(torch.distributed, gloo) and tsmem's (libtsmem.so through ctypes, its own
port); round k runs ITERS all-reduces on one, then ITERS on the other (which
goes first alternates), and the figure is the median over rounds of the
per-round ratio tsmem / PyTorch. ctypes adds about a microsecond per tsmem
call (against milliseconds per all-reduce), counted against tsmem.

Short blocks (ITERS all-reduces, default 2) and many rounds keep both sides
of a ratio within tens of milliseconds of each other, so a burst of load
from other programs hits both or neither; the order within a round
alternates. The line also gives a 95% confidence interval of the median
(order statistics) and the median of the first and second half of the
rounds. Each block starts with a barrier on the group it times and one
untimed all-reduce on it: a barrier on torch.distributed's group before
both blocks (the old method) wakes PyTorch's Gloo threads but not tsmem's
and favoured PyTorch by 5-15% (bench/README.md; BENCH_WARM=0 leaves out
the untimed all-reduce). BENCH_AA=2 times a second torch.distributed group
against the default one (the control for that bias). BENCH_AA=1 times torch.distributed against itself (an A/A run: the
noise floor of the method; its ratio should be 1).

  interleaved.py LIBTSMEM PORT_PROGRAM [ROUNDS [ITERS]]   (starts both ranks)
"""
import math
import ctypes
import os
import statistics
import subprocess
import sys
import time

N, WARMUP = 1 << 20, 20
ITERS = int(os.environ.get("BENCH_ITERS", "2"))
AA = os.environ.get("BENCH_AA") == "1"
AB = os.environ.get("BENCH_AA") == "2"
WARM = os.environ.get("BENCH_WARM", "1") != "0"


def rank_main(lib_path, rounds):
    import torch
    import torch.distributed as dist
    torch.set_num_threads(1)
    rank = int(os.environ["RANK"])
    dist.init_process_group("gloo")
    ts = ctypes.CDLL(lib_path)
    ts.ts_dist_init.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p,
                                ctypes.c_int, ctypes.c_double]
    ts.ts_ones.restype = ctypes.c_void_p
    ts.ts_ones.argtypes = [ctypes.POINTER(ctypes.c_int64), ctypes.c_int,
                           ctypes.c_int]
    ts.ts_dist_all_reduce.argtypes = [ctypes.c_void_p, ctypes.c_int]
    ts.ts_free.argtypes = [ctypes.c_void_p]
    ts.ts_set_num_threads(1)
    if ts.ts_dist_init(rank, 2, b"127.0.0.1", int(os.environ["TSMEM_PORT"]),
                       60.0) != 0:
        ts.ts_last_error.restype = ctypes.c_char_p
        sys.exit(ts.ts_last_error().decode())
    shape = (ctypes.c_int64 * 1)(N)
    th = ts.ts_ones(shape, 1, 0)  # TS_FLOAT32
    pt = torch.ones(N, dtype=torch.float32)

    pg2 = dist.new_group([0, 1]) if AB else None
    pt2 = torch.ones(N, dtype=torch.float32)

    def run_ts(iters=ITERS):
        if AA:
            return run_pt(iters)
        if AB:
            for _ in range(iters):
                dist.all_reduce(pt2, group=pg2)
            return
        for _ in range(iters):
            if ts.ts_dist_all_reduce(th, 0) != 0:
                sys.exit("ts_dist_all_reduce failed")

    def run_pt(iters=ITERS):
        for _ in range(iters):
            dist.all_reduce(pt)

    def barrier_of(f):
        if f is run_pt or AA:
            return dist.barrier()
        if AB:
            return dist.barrier(group=pg2)
        if ts.ts_dist_barrier() != 0:
            sys.exit("ts_dist_barrier failed")

    def timed(f):
        barrier_of(f)
        if WARM:
            f(1)
        t0 = time.perf_counter()
        f()
        return time.perf_counter() - t0

    for _ in range(WARMUP):
        run_ts()
        run_pt()
    ratios, t_ts, t_pt = [], [], []
    for k in range(rounds):
        if k % 2:
            a = timed(run_ts)
            b = timed(run_pt)
        else:
            b = timed(run_pt)
            a = timed(run_ts)
        ratios.append(a / b)
        t_ts.append(a / ITERS * 1e6)
        t_pt.append(b / ITERS * 1e6)
    if rank == 0:
        srt = sorted(ratios)
        half = 1.96 * math.sqrt(rounds) / 2
        lo = srt[max(0, int(rounds / 2 - half))]
        hi = srt[min(rounds - 1, int(math.ceil(rounds / 2 + half)))]
        h1 = statistics.median(ratios[:rounds // 2])
        h2 = statistics.median(ratios[rounds // 2:])
        what = ("A/A: torch.distributed" if AA else
                "A/A': a second torch.distributed group" if AB else "tsmem")
        check = os.environ.get("TSMEM_DIST_CHECK", "1") != "0"
        print(f"{what} {statistics.median(t_ts):.0f} us, torch.distributed "
              f"{statistics.median(t_pt):.0f} us per all-reduce (medians); "
              f"ratio {statistics.median(ratios):.3f} [95% CI {lo:.3f}-"
              f"{hi:.3f}; halves {h1:.3f} {h2:.3f}] (median of {rounds} "
              f"per-round ratios, {ITERS} all-reduces a block"
              f"{'' if WARM else ' unwarmed'}, check "
              f"{'on' if check and not (AA or AB) else 'off'}; goal <= 1.05)",
              flush=True)
    ts.ts_free(th)
    ts.ts_dist_destroy()
    dist.destroy_process_group()


def main():
    lib, portprog = sys.argv[1], sys.argv[2]
    rounds = sys.argv[3] if len(sys.argv) > 3 else "401"
    if len(sys.argv) > 4:
        os.environ["BENCH_ITERS"] = sys.argv[4]
    port = lambda: subprocess.run([portprog], capture_output=True, text=True,
                                  check=True).stdout.strip()
    env = dict(os.environ, WORLD_SIZE="2", MASTER_ADDR="127.0.0.1",
               MASTER_PORT=port(), TSMEM_PORT=port(), BENCH_RANK_OF=lib,
               BENCH_ROUNDS=rounds)
    procs = [subprocess.Popen([sys.executable, __file__],
                              env=dict(env, RANK=str(r), LOCAL_RANK=str(r)))
             for r in (0, 1)]
    try:
        rcs = [p.wait(timeout=600) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    sys.exit(max(rcs))


if __name__ == "__main__":
    if "BENCH_RANK_OF" in os.environ:
        rank_main(os.environ["BENCH_RANK_OF"], int(os.environ["BENCH_ROUNDS"]))
    else:
        main()
