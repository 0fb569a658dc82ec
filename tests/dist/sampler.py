"""ts_dist_sampler gives the indices torch.utils.data.DistributedSampler
gives, for every rank, shuffled or not, padded or with drop_last."""
import subprocess
import sys

from torch.utils.data import DistributedSampler

PROG = sys.argv[1]
cases = 0
for n in (0, 1, 7, 10, 64, 101):
    for world in (1, 2, 3, 4):
        for shuffle in (0, 1):
            for drop in (0, 1):
                for seed, epoch in ((0, 0), (42, 3)):
                    out = subprocess.run(
                        [PROG, "sampler", str(n), str(world), str(seed),
                         str(epoch), str(shuffle), str(drop)],
                        capture_output=True, text=True, check=True).stdout
                    got = [[int(x) for x in line.split()]
                           for line in out.split("\n")[:world]]
                    for r in range(world):
                        s = DistributedSampler(range(n), num_replicas=world,
                                               rank=r, shuffle=bool(shuffle),
                                               seed=seed, drop_last=bool(drop))
                        s.set_epoch(epoch)
                        want = list(s)
                        if got[r] != want:
                            sys.exit(f"n={n} world={world} shuffle={shuffle} "
                                     f"drop_last={drop} seed={seed} "
                                     f"epoch={epoch} rank={r}: tsmem {got[r]} "
                                     f"!= torch {want}")
                    cases += 1
print(f"sampler: {cases} cases equal to torch's DistributedSampler")
