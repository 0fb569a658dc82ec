"""mlp_torch.py - the benchmark's MLP training step in PyTorch.

Driven by bench.c over stdin/stdout so that its rounds interleave with the C
ones: prints "ready", then for each line "N" runs N steps and prints the
CPU seconds they took on this thread; "loss" prints the current loss; EOF ends it.
"""
import sys
import time

import torch
import torch.nn.functional as F

BATCH, IN, HIDDEN, CLASSES, LR = 64, 32, 64, 10, 0.1

torch.set_num_threads(1)
torch.manual_seed(0)
x = torch.randn(BATCH, IN)
y = torch.randint(0, CLASSES, (BATCH,))
w1 = (torch.randn(IN, HIDDEN) * 0.1).requires_grad_()
b1 = torch.zeros(HIDDEN).requires_grad_()
w2 = (torch.randn(HIDDEN, CLASSES) * 0.1).requires_grad_()
b2 = torch.zeros(CLASSES).requires_grad_()
params = (w1, b1, w2, b2)


def step():
    h = torch.relu(torch.matmul(x, w1) + b1)
    logits = torch.matmul(h, w2) + b2
    loss = F.cross_entropy(logits, y)
    loss.backward()
    with torch.no_grad():
        for p in params:
            p.add_(p.grad, alpha=-LR)
            p.grad.zero_()


print("ready", flush=True)
for line in sys.stdin:
    cmd = line.strip()
    if cmd == "loss":
        with torch.no_grad():
            h = torch.relu(torch.matmul(x, w1) + b1)
            print(F.cross_entropy(torch.matmul(h, w2) + b2, y).item(),
                  flush=True)
        continue
    n = int(cmd)
    # Thread CPU time, as bench.c measures its own rounds.
    t0 = time.thread_time()
    for _ in range(n):
        step()
    print(time.thread_time() - t0, flush=True)
