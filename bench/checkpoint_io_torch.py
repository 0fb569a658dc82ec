"""checkpoint_io_torch.py - torch.save/torch.load of the state_dict
checkpoint_io.c saves and loads (25 float32 tensors of 1000 x 1000, 100 MB):
the median over 7 rounds of this thread's CPU time per save and per load."""
import collections
import os
import statistics
import time

import torch

torch.set_num_threads(1)
sd = collections.OrderedDict(("layer%d.weight" % i, torch.randn(1000, 1000))
                             for i in range(25))
path = os.path.join(os.environ.get("TMPDIR", "/tmp"), "tsmem-bench-ckpt-py.pt")
save, load = [], []
for _ in range(7):
    a = time.thread_time()
    torch.save(sd, path)
    b = time.thread_time()
    torch.load(path)
    c = time.thread_time()
    save.append((b - a) * 1e3)
    load.append((c - b) * 1e3)
print("torch.save/torch.load 100 MB: save %6.1f ms, load %6.1f ms (median of 7)"
      % (statistics.median(save), statistics.median(load)))
os.remove(path)
