#!/usr/bin/python3
"""The PyTorch twin of examples/fashion_mnist.c: the same CNN, initialisation,
optimizer, schedule, batch size and data order, in Python (issue 12).

    /usr/bin/python3 bench/fashion_mnist_torch.py [--epochs 2] [--seed 1]
        [--batch-limit N] [--train-limit N] [--threads 1] [--save model.pt]

Prints one line per epoch, in the C program's format:
    epoch 1: loss 0.5123 test accuracy 0.8712 time 9.81 s cpu 9.75 s
(time: the epoch's training loop, wall clock; cpu: the process's CPU time
in it; evaluation not included)
and a last line "final test accuracy 0.xxxx" (bench/fashion_mnist_compare.py
reads both).

The model (FashionCNN) is also what examples/fashion_mnist_eval.py loads the
C program's checkpoint into, so its state_dict keys are the C store's names.
"""
import argparse
import gzip
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA_DIR = "/usr/share/datasets/fashion-mnist"  # Debian's dataset-fashion-mnist

# Hyper-parameters shared with examples/fashion_mnist.c (keep them equal).
BATCH_SIZE = 64
EVAL_BATCH = 1000
LR = 1e-3  # Adam, default betas and eps
MEAN, STD = 0.2860, 0.3530  # Fashion-MNIST training-set pixel statistics


class FashionCNN(nn.Module):
    """conv(1->16, 5x5, pad 2) relu maxpool 2, conv(16->32, 5x5, pad 2) relu
    maxpool 2, flatten, fc(1568->128) relu dropout(0.25), fc(128->10)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 5, padding=2)
        self.conv2 = nn.Conv2d(16, 32, 5, padding=2)
        self.fc1 = nn.Linear(32 * 7 * 7, 128)
        self.fc2 = nn.Linear(128, 10)
        self.dropout = nn.Dropout(0.25)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.flatten(1)
        x = self.dropout(F.relu(self.fc1(x)))
        return self.fc2(x)


def read_idx(path):
    """An IDX file (gzip'ed or plain) as a numpy uint8 array."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(split, data_dir=DATA_DIR):
    """(images float32 [N,1,28,28] normalised, labels int64 [N]) of 'train' or 't10k'."""
    def find(kind):
        base = os.path.join(data_dir, f"{split}-{kind}-ubyte")
        return base + ".gz" if os.path.exists(base + ".gz") else base
    x = read_idx(find("images-idx3")).astype(np.float32) / 255.0
    y = read_idx(find("labels-idx1")).astype(np.int64)
    x = (x - MEAN) / STD
    return torch.from_numpy(x).unsqueeze(1), torch.from_numpy(y)


@torch.no_grad()
def evaluate(model, x, y):
    model.eval()
    correct = 0
    for i in range(0, len(x), EVAL_BATCH):
        correct += (model(x[i:i + EVAL_BATCH]).argmax(1) == y[i:i + EVAL_BATCH]).sum().item()
    return correct / len(x)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--batch-limit", type=int, default=0, help="batches per epoch (0: all)")
    ap.add_argument("--train-limit", type=int, default=0, help="training images (0: all)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--data", default=DATA_DIR)
    ap.add_argument("--save", help="torch.save the state_dict here")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    xtr, ytr = load("train", a.data)
    xte, yte = load("t10k", a.data)
    if a.train_limit:
        xtr, ytr = xtr[:a.train_limit], ytr[:a.train_limit]
    model = FashionCNN()
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    gen = torch.Generator().manual_seed(a.seed)
    n = len(xtr)
    acc = 0.0
    for epoch in range(1, a.epochs + 1):
        model.train()
        t0, c0 = time.perf_counter(), time.process_time()
        perm = torch.randperm(n, generator=gen)
        total, batches = 0.0, 0
        for i in range(0, n, BATCH_SIZE):  # the last partial batch is kept
            if a.batch_limit and batches >= a.batch_limit:
                break
            idx = perm[i:i + BATCH_SIZE]
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(xtr[idx]), ytr[idx])
            loss.backward()
            opt.step()
            total += loss.item()
            batches += 1
        train_s, train_cpu = time.perf_counter() - t0, time.process_time() - c0
        acc = evaluate(model, xte, yte)
        print(f"epoch {epoch}: loss {total / max(batches, 1):.4f} test accuracy {acc:.4f} "
              f"time {train_s:.2f} s cpu {train_cpu:.2f} s", flush=True)
    print(f"final test accuracy {acc:.4f}")
    if a.save:
        torch.save(model.state_dict(), a.save)
    return 0


if __name__ == "__main__":
    sys.exit(main())
