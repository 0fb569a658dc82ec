#!/usr/bin/python3
"""torch_ref.py - the PyTorch side of tests/nn: reads what a C test wrote
(exchange.h's files), does the same thing with torch.nn / torch.optim, and
writes the results for the C test to compare.

  torch_ref.py optim  DIR   100 steps of every optimizer configuration in
                            DIR/configs.txt on the model of test_optim.c
  torch_ref.py layers DIR   forward and backward of test_layers.c's layers
                            with the weights the C test wrote
  torch_ref.py init   DIR   torch.nn's initialisation after a seed, for
                            test_layers.c to compare with its own
"""
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

DTYPES = {"float32": torch.float32, "float64": torch.float64,
          "int64": torch.int64, "int32": torch.int32}
NAMES = {v: k for k, v in DTYPES.items()}


def read(d, name):
    with open(os.path.join(d, name + ".t"), "rb") as f:
        head = f.readline().split()
        dtype = DTYPES[head[0].decode()]
        shape = [int(v) for v in head[2:2 + int(head[1])]]
        data = f.read()
    t = torch.frombuffer(bytearray(data), dtype=dtype) if data else \
        torch.empty(0, dtype=dtype)
    return t.reshape(shape).clone()


def write(d, name, t):
    t = t.detach().contiguous()
    with open(os.path.join(d, name + ".t"), "wb") as f:
        f.write(("%s %d%s\n" % (NAMES[t.dtype], t.dim(),
                                "".join(" %d" % s for s in t.shape))).encode())
        f.write(t.numpy().tobytes())


# ----------------------------------------------------------------- optim --

def parse(line):
    kv = dict(tok.split("=", 1) for tok in line.split())
    return kv


def make_optim(kv, params):
    name = kv["opt"]
    lr = float(kv["lr"])
    f = lambda k, d: float(kv.get(k, d))
    b = lambda k: kv.get(k, "0") == "1"
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=f("momentum", 0),
                               dampening=f("dampening", 0),
                               weight_decay=f("weight_decay", 0),
                               nesterov=b("nesterov"))
    if name in ("adam", "adamw"):
        cls = torch.optim.Adam if name == "adam" else torch.optim.AdamW
        wd = f("weight_decay", 0 if name == "adam" else 1e-2)
        return cls(params, lr=lr, betas=(f("beta1", 0.9), f("beta2", 0.999)),
                   eps=f("eps", 1e-8), weight_decay=wd, amsgrad=b("amsgrad"))
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=f("alpha", 0.99),
                                   eps=f("eps", 1e-8),
                                   weight_decay=f("weight_decay", 0),
                                   momentum=f("momentum", 0),
                                   centered=b("centered"))
    raise SystemExit("unknown optimizer " + name)


def make_sched(kv, opt):
    s = kv.get("sched")
    if s == "step":
        return torch.optim.lr_scheduler.StepLR(
            opt, step_size=int(kv["step_size"]), gamma=float(kv["gamma"]))
    if s == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(
            opt, T_max=int(kv["t_max"]), eta_min=float(kv["eta_min"]))
    return None


def optim_mode(d):
    x, y = read(d, "x"), read(d, "y")
    init = {n: read(d, "init_" + n) for n in ("w", "b", "v", "f")}
    steps = int(open(os.path.join(d, "steps.txt")).read())
    with open(os.path.join(d, "configs.txt")) as f:
        lines = [l for l in f.read().splitlines() if l.strip()]
    for k, line in enumerate(lines):
        kv = parse(line)
        p = {n: t.clone().requires_grad_(True) for n, t in init.items()}
        opt = make_optim(kv, [p["w"], p["b"], p["v"], p["f"]])
        sched = make_sched(kv, opt)
        for _ in range(steps):
            opt.zero_grad()
            h = torch.tanh(F.linear(x, p["w"], p["b"]))
            loss = F.mse_loss(F.linear(h, p["v"]), y)
            loss.backward()
            opt.step()
            if sched:
                sched.step()
        for n, t in p.items():
            write(d, "r%d_%s" % (k, n), t)
        write(d, "r%d_lr" % k,
              torch.tensor(opt.param_groups[0]["lr"], dtype=torch.float64))


# ---------------------------------------------------------------- layers --

class Model(nn.Module):
    """test_layers.c's layers, under the same names."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(5, 4)
        self.fc_nobias = nn.Linear(5, 3, bias=False)
        self.conv1 = nn.Conv2d(3, 4, 3, padding=1)
        self.conv2 = nn.Conv2d(4, 6, (3, 2), stride=2, padding=(1, 0),
                               dilation=(1, 2), groups=2)
        self.bn = nn.BatchNorm2d(4)
        self.bn1d = nn.BatchNorm1d(5, momentum=None)
        self.ln = nn.LayerNorm([3, 4])
        self.emb = nn.Embedding(10, 4, padding_idx=1)
        self.lstm = nn.LSTM(4, 5, num_layers=2)
        self.lstm_bf = nn.LSTM(3, 2, batch_first=True)


def layers_outputs(m, inp):
    """Every output test_layers.c computes, by name."""
    out = {}
    out["fc"] = m.fc(inp["x_fc"])
    out["fc3d"] = m.fc(inp["x_fc3d"])
    out["fc_nobias"] = m.fc_nobias(inp["x_fc"])
    c1 = m.conv1(inp["x_img"])
    out["conv1"] = c1
    out["conv2"] = m.conv2(c1)
    out["maxpool"] = F.max_pool2d(c1, 2)
    out["maxpool_s1p1"] = F.max_pool2d(c1, 3, stride=1, padding=1)
    out["avgpool"] = F.avg_pool2d(c1, 2)
    out["avgpool_s1p1"] = F.avg_pool2d(c1, 3, stride=1, padding=1)
    out["bn"] = m.bn(c1)
    out["bn1d_a"] = m.bn1d(inp["x_bn1d"])
    out["bn1d_b"] = m.bn1d(inp["x_bn1d"] * 2 + 1)
    out["ln"] = m.ln(inp["x_ln"])
    out["emb"] = m.emb(inp["idx"])
    o, (h, c) = m.lstm(inp["x_seq"])
    out["lstm"], out["lstm_h"], out["lstm_c"] = o, h, c
    o, (h, c) = m.lstm_bf(inp["x_seq_bf"], (inp["h0_bf"], inp["c0_bf"]))
    out["lstm_bf"], out["lstm_bf_h"], out["lstm_bf_c"] = o, h, c
    return out


def layers_mode(d):
    m = Model()
    names = open(os.path.join(d, "names.txt")).read().split()
    sd = {n: read(d, "p_" + n) for n in names}
    m.load_state_dict(sd, strict=True)
    inp = {n: read(d, "in_" + n) for n in open(
        os.path.join(d, "inputs.txt")).read().split()}
    out = layers_outputs(m, inp)
    loss = sum((o * read(d, "g_" + n)).sum() for n, o in out.items())
    loss.backward()
    for n, o in out.items():
        write(d, "out_" + n, o)
    for n, p in m.named_parameters():
        if p.grad is not None:
            write(d, "grad_" + n, p.grad)
    for n, b in m.named_buffers():
        write(d, "buf_" + n, b)
    # Evaluation mode: running statistics, dropout off.
    m.eval()
    with torch.no_grad():
        write(d, "eval_bn", m.bn(out["conv1"].detach()))
    write(d, "eval_dropout", F.dropout(inp["x_fc"], 0.5, training=False))


# ------------------------------------------------------------------ init --

def init_mode(d):
    seed = int(open(os.path.join(d, "seed.txt")).read())
    torch.manual_seed(seed)
    m = nn.Module()
    m.fc = nn.Linear(20, 30)
    m.conv = nn.Conv2d(3, 8, 5)
    m.emb = nn.Embedding(7, 3, padding_idx=2)
    m.lstm = nn.LSTM(4, 6)
    m.bn = nn.BatchNorm2d(3)
    m.ln = nn.LayerNorm(5)
    for n, t in m.state_dict().items():
        write(d, "init_" + n, t)
    # A dropout mask after the same seed.
    torch.manual_seed(seed + 1)
    write(d, "dropout", F.dropout(torch.ones(64, 64), 0.3, training=True))


if __name__ == "__main__":
    torch.set_num_threads(1)
    mode, d = sys.argv[1], sys.argv[2]
    {"optim": optim_mode, "layers": layers_mode, "init": init_mode}[mode](d)
