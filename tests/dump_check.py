#!/usr/bin/python3
"""Checks one step of a CNN's tensor dump layer by layer, numbered as the
config numbers its layers, against PyTorch's definitions of each layer
written here in plain Python (no numpy, no torch):
  conv2d/dense  y = act(conv2d(x, w_before, b_before, stride, padding)) (dense: x·W + b), to half an LSB
  maxpool       y = max_pool2d(x, size, stride, padding); dx holds dy at each window's max (summed where windows
                overlap), 0 elsewhere
  flatten       y = x.reshape(B, -1); dx = dy.reshape(x.shape)
and the chain between layers: a layer's x is the layer before's y; its dx is
the layer before's gradient at its output (through the ReLU mask of a conv or
dense layer with activation relu).
  tests/dump_check.py DUMP/step_N REPORT.json [--torch]
--torch also runs the conv and dense layers, forward and backward, through
PyTorch itself (autograd), each tensor within one step of its format.
"""
import json
import os
import struct
import sys


def load(path):
    with open(path, "rb") as f:
        data = f.read()
    assert data[:6] == b"\x93NUMPY", path
    hl = data[8] | data[9] << 8
    header = data[10:10 + hl].decode()
    descr = header.split("'descr': '")[1].split("'")[0]
    shape = tuple(int(x) for x in header.split("'shape': (")[1].split(")")[0].split(",") if x.strip())
    body = data[10 + hl:]
    n = 1
    for d in shape:
        n *= d
    vals = struct.unpack("<" + ("f" if descr == "<f4" else "q") * n, body[: n * (4 if descr == "<f4" else 8)])
    return shape, list(vals)


def at(shape, idx):
    o = 0
    for d, i in zip(shape, idx):
        o = o * d + i
    return o


failures = []


def check(ok, what):
    if not ok:
        failures.append(what)


def torch_checks(layers, t, frac):
    """The conv and dense layers through PyTorch itself (Debian's python3-torch):
    y = act(F.conv2d / F.linear(x, w_before, b_before)); from the dumped dy,
    autograd's gradients at x (dx, the layers after the first) and at w and b
    (dw, db), each within one step of its fixed-point format (a conv's dx: half a step for each of the
    ceil(k/s)² windows that can cover an input, at least one step)."""
    import torch
    import torch.nn.functional as F
    def bits(name, more):
        v = frac[name + "_frac_bits"]
        return v if v is not None else max(frac["frac_bits"], min(frac["frac_bits"] + more, frac["data_bits"] - 2))
    step = {"y": 2.0 ** -bits("activation", 0), "dx": 2.0 ** -bits("error", 6), "dw": 2.0 ** -bits("gradient", 6)}
    ten = lambda v: torch.tensor(v[1], dtype=torch.float64).reshape(v[0])
    for i, l in enumerate(layers):
        T = t[i]
        if l["type"] not in ("conv2d", "dense") or not {"x", "y", "w_before", "dy"} <= T.keys():
            continue
        x = ten(T["x"]).requires_grad_(True)
        w = ten(T["w_before"]).requires_grad_(True)
        b = ten(T["b_before"]).reshape(-1).requires_grad_(True) if "b_before" in T else None
        if l["type"] == "dense":  # our W is [K, N]; F.linear takes [N, K]
            z = F.linear(x, w.t(), b)
        else:
            z = F.conv2d(x, w, b, stride=l["stride"], padding=l["padding"])
        y = torch.relu(z) if l.get("activation") == "relu" else z
        dev = (y - ten(T["y"])).abs().max().item()
        check(dev <= step["y"], f"layer_{i} ({l['type']}): y is {dev} from PyTorch's (> {step['y']})")
        z.backward(ten(T["dy"]))  # dy: the error at the pre-activation output
        if i > 0 and "dx" in T:
            # a conv's dx is col2im's sum of the column gradients, each rounded to the error format: up to
            # ceil(k/s)² windows cover an input, each half a step off
            cover = 1 if l["type"] == "dense" else (-(-l["kernel"] // l["stride"])) ** 2
            tol = max(1.0, cover / 2) * step["dx"]
            dev = (x.grad - ten(T["dx"])).abs().max().item()
            check(dev <= tol, f"layer_{i} ({l['type']}): dx is {dev} from autograd's (> {tol})")
        if "dw" in T:
            dev = (w.grad - ten(T["dw"])).abs().max().item()
            check(dev <= step["dw"], f"layer_{i} ({l['type']}): dw is {dev} from autograd's (> {step['dw']})")
        if b is not None and "db" in T:
            dev = (b.grad - ten(T["db"]).reshape(-1)).abs().max().item()
            check(dev <= step["dw"], f"layer_{i} ({l['type']}): db is {dev} from autograd's (> {step['dw']})")
    print("dump_check: the conv and dense layers checked against PyTorch", torch.__version__)


def main():
    step, report = sys.argv[1], json.load(open(sys.argv[2]))
    layers = report["config"]["network"]["layers"]
    frac = report["config"]["accelerator"]["numerics"]
    lsb = 2.0 ** -(frac["activation_frac_bits"] if frac["activation_frac_bits"] is not None else frac["frac_bits"])
    t = {}
    for i in range(len(layers)):
        d = os.path.join(step, f"layer_{i}")
        check(os.path.isdir(d), f"layer_{i}: no folder")
        t[i] = {f[:-4]: load(os.path.join(d, f)) for f in os.listdir(d)} if os.path.isdir(d) else {}
    for i, l in enumerate(layers):
        T = t[i]
        kind = l["type"]
        if kind in ("conv2d", "dense") and {"x", "y", "w_before"} <= T.keys():
            (xs, x), (ys, y), (ws, w) = T["x"], T["y"], T["w_before"]
            b = T["b_before"][1] if "b_before" in T else None
            relu = l.get("activation") == "relu"
            worst = 0.0
            if kind == "dense":
                B, K = xs
                N = ys[1]
                for bi in range(B):
                    for n in range(N):
                        s = sum(x[bi * K + k] * w[k * N + n] for k in range(K)) + (b[n] if b else 0.0)
                        worst = max(worst, abs(y[bi * N + n] - (max(s, 0.0) if relu else s)))
            else:
                B, C, H, W = xs
                F, _, kh, kw = ws
                _, _, OH, OW = ys
                st, pd = l["stride"], l["padding"]
                for bi in range(B):
                    for f in range(F):
                        for i0 in range(OH):
                            for j0 in range(OW):
                                s = b[f] if b else 0.0
                                for c in range(C):
                                    for u in range(kh):
                                        for v in range(kw):
                                            ii, jj = i0 * st + u - pd, j0 * st + v - pd
                                            if 0 <= ii < H and 0 <= jj < W:
                                                s += x[at(xs, (bi, c, ii, jj))] * w[at(ws, (f, c, u, v))]
                                worst = max(worst, abs(y[at(ys, (bi, f, i0, j0))] - (max(s, 0.0) if relu else s)))
            check(worst <= lsb, f"layer_{i} ({kind}): y differs from PyTorch's {kind} of x by {worst} (> {lsb})")
        if kind == "maxpool" and {"x", "y"} <= T.keys():
            (xs, x), (ys, y) = T["x"], T["y"]
            k = l["size"]
            st, pd = l.get("stride", k), l.get("padding", 0)
            B, C, OH, OW = ys
            H, W = xs[2], xs[3]
            want_dx = [0.0] * len(x)
            have_d = {"dx", "dy"} <= T.keys()
            for bi in range(B):
                for c in range(C):
                    for i0 in range(OH):
                        for j0 in range(OW):
                            cells = [at(xs, (bi, c, i0 * st - pd + u, j0 * st - pd + v)) for u in range(k) for v in range(k)
                                     if 0 <= i0 * st - pd + u < H and 0 <= j0 * st - pd + v < W]
                            m = max(x[q] for q in cells)
                            check(y[at(ys, (bi, c, i0, j0))] == m, f"layer_{i} (maxpool): y != max_pool2d(x) at {(bi, c, i0, j0)}")
                            if have_d:  # the gradient goes to the first maximum (row-major), overlapping windows add up
                                want_dx[next(q for q in cells if x[q] == m)] += T["dy"][1][at(ys, (bi, c, i0, j0))]
            if have_d:
                dx = T["dx"][1]
                worst = max(abs(a - b) for a, b in zip(dx, want_dx))
                check(worst <= 1e-6 + lsb, f"layer_{i} (maxpool): dx is not dy scattered to the windows' maxima (by {worst})")
        if kind == "flatten" and {"x", "y"} <= T.keys():
            check(T["x"][1] == T["y"][1], f"layer_{i} (flatten): y != x.reshape(B, -1)")
            if {"dx", "dy"} <= T.keys():
                check(T["dx"][1] == T["dy"][1], f"layer_{i} (flatten): dx != dy.reshape(x.shape)")
        # the chain: this layer's input is the previous layer's output, and the
        # gradient it passes back is the previous layer's (through its ReLU mask)
        if i > 0 and "x" in T and "y" in t[i - 1]:
            check(T["x"][1] == t[i - 1]["y"][1], f"layer_{i}: x is not layer_{i - 1}'s y")
        if i > 0 and "dx" in T and "dy" in t[i - 1]:
            prev, (_, py), (_, pdy) = layers[i - 1], t[i - 1]["y"], t[i - 1]["dy"]
            masked = [g if (prev.get("activation") != "relu" or yv > 0) else 0.0 for g, yv in zip(T["dx"][1], py)]
            check(pdy == masked, f"layer_{i}: dx is not layer_{i - 1}'s dy (through its ReLU mask)")
    if "--torch" in sys.argv:
        torch_checks(layers, t, frac)
    for f in failures[:20]:
        print("FAIL:", f)
    print(f"dump_check: {len(layers)} layers, {len(failures)} failures")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
