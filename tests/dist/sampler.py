"""ts_dist_sampler gives the indices torch.utils.data.DistributedSampler
gives, for every rank, shuffled or not, padded or with drop_last (one
dist_test process answers every case)."""
import subprocess
import sys

from torch.utils.data import DistributedSampler

PROG = sys.argv[1]
cases = [(n, world, seed, epoch, shuffle, drop)
         for n in (0, 1, 7, 10, 64, 101, 1000)
         for world in (1, 2, 3, 4)
         for shuffle in (0, 1)
         for drop in (0, 1)
         for seed, epoch in ((0, 0), (42, 3))]
out = subprocess.run([PROG, "sampler"], capture_output=True, text=True,
                     timeout=60, check=True,
                     input="".join(" ".join(map(str, c)) + "\n"
                                   for c in cases)).stdout.split("\n")
line = 0
for n, world, seed, epoch, shuffle, drop in cases:
    for r in range(world):
        s = DistributedSampler(range(n), num_replicas=world, rank=r,
                               shuffle=bool(shuffle), seed=seed,
                               drop_last=bool(drop))
        s.set_epoch(epoch)
        want = str(list(s))
        if out[line] != want:
            sys.exit(f"n={n} world={world} shuffle={shuffle} drop_last={drop} "
                     f"seed={seed} epoch={epoch} rank={r}: tsmem {out[line]} "
                     f"!= torch {want}")
        line += 1
print(f"sampler: {len(cases)} cases, every rank's indices equal to "
      "torch.utils.data.DistributedSampler's")
