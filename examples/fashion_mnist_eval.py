#!/usr/bin/python3
"""Loads the checkpoint examples/fashion_mnist.c saved (torch.save format)
with torch.load into the PyTorch twin of its model and evaluates it on
Fashion-MNIST's 10,000 test images.

    /usr/bin/python3 examples/fashion_mnist_eval.py fashion_mnist.pt [--expect 0.8912]

--expect ACC: exit 1 unless the accuracy is ACC (the C program's own figure)
within --tolerance (default 0.0005, i.e. the same to the printed 4 digits,
give or take a tie).
"""
import argparse
import os
import sys

import torch

# The model and the data reader are bench/fashion_mnist_torch.py's.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
import fashion_mnist_torch as twin  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("checkpoint")
    ap.add_argument("--data", default=twin.DATA_DIR)
    ap.add_argument("--expect", type=float)
    ap.add_argument("--tolerance", type=float, default=0.0005)
    a = ap.parse_args()

    torch.set_num_threads(1)
    state = torch.load(a.checkpoint)
    model = twin.FashionCNN()
    model.load_state_dict(state)  # strict: every key, shape and dtype
    x, y = twin.load("t10k", a.data)
    acc = twin.evaluate(model, x, y)
    print(f"{a.checkpoint}: {len(state)} tensors, test accuracy {acc:.4f}")
    if a.expect is not None and abs(acc - a.expect) > a.tolerance:
        print(f"FAIL: the C program reported {a.expect:.4f}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
