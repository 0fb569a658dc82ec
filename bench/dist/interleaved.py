"""All-reduce of 1M float32 between 2 local processes: tsmem against
torch.distributed, interleaved in the same two processes so both see the
same machine (bench/README.md). Each process joins two groups: PyTorch's
(torch.distributed, gloo) and tsmem's (libtsmem.so through ctypes, its own
port); round k runs ITERS all-reduces on one, then ITERS on the other (which
goes first alternates), and the figure is the median over rounds of the
per-round ratio tsmem / PyTorch. ctypes adds about a microsecond per tsmem
call (against milliseconds per all-reduce), counted against tsmem.

  interleaved.py LIBTSMEM PORT_PROGRAM [ROUNDS]   (starts both ranks itself)
"""
import ctypes
import os
import statistics
import subprocess
import sys
import time

N, WARMUP, ITERS = 1 << 20, 10, 10


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

    def run_ts():
        for _ in range(ITERS):
            if ts.ts_dist_all_reduce(th, 0) != 0:
                sys.exit("ts_dist_all_reduce failed")

    def run_pt():
        for _ in range(ITERS):
            dist.all_reduce(pt)

    def timed(f):
        dist.barrier()
        t0 = time.monotonic()
        f()
        return time.monotonic() - t0

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
        print(f"tsmem {statistics.median(t_ts):.0f} us, torch.distributed "
              f"{statistics.median(t_pt):.0f} us per all-reduce (medians); "
              f"ratio {statistics.median(ratios):.3f} (median of {rounds} "
              f"per-round ratios; goal <= 1.05)", flush=True)
    ts.ts_free(th)
    ts.ts_dist_destroy()
    dist.destroy_process_group()


def main():
    lib, portprog = sys.argv[1], sys.argv[2]
    rounds = sys.argv[3] if len(sys.argv) > 3 else "31"
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
