#!/usr/bin/env python3
"""Export a PyTorch module to ONNX for systrain's network.onnx (Debian's python3-torch 1.13).

    scripts/export_onnx.py mlp configs/models/mlp_fashion.onnx
    scripts/export_onnx.py cnn configs/models/cnn_fashion.onnx
    scripts/export_onnx.py --module my_model.py:Net --input 1,28,28 out.onnx

The two shipped models are the ones under configs/models/: a 784-128-10 MLP and a small CNN
(conv 8 3x3 pad 1, ReLU, maxpool 2, conv 16 3x3 pad 1, ReLU, maxpool 2, flatten, linear 10), their
weights PyTorch's default initialisation from --seed. The batch dimension is symbolic ('batch'); every
other dimension is fixed, as systrain needs. systrain imports a chain of Gemm, MatMul (+ Add),
Conv, MaxPool, Relu, Flatten, Reshape (flattening), Identity, Dropout and a final
Softmax/LogSoftmax (README "Bring your own model").
"""
import argparse
import importlib.util
import sys

import torch
from torch import nn


def mlp():
    return nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10)), (784,)


def cnn():
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 7 * 7, 10)), (1, 28, 28)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", nargs="?", choices=["mlp", "cnn"], help="a shipped model")
    ap.add_argument("out", help="the .onnx file to write")
    ap.add_argument("--module", help="FILE.py:CLASS, a module of your own (constructed without arguments)")
    ap.add_argument("--input", help="its input shape without the batch, e.g. 784 or 1,28,28")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    if args.module:
        if not args.input:
            ap.error("--module needs --input")
        path, _, cls = args.module.partition(":")
        spec = importlib.util.spec_from_file_location("user_module", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        net, shape = getattr(mod, cls)(), tuple(int(x) for x in args.input.split(","))
    elif args.model:
        net, shape = {"mlp": mlp, "cnn": cnn}[args.model]()
    else:
        ap.error("name a shipped model (mlp, cnn) or give --module")
    net.eval()
    x = torch.zeros((1,) + shape)
    torch.onnx.export(net, x, args.out, input_names=["x"], output_names=["logits"],
                      dynamic_axes={"x": {0: "batch"}, "logits": {0: "batch"}}, opset_version=13)
    print(f"wrote {args.out}: input [batch, {', '.join(map(str, shape))}]", file=sys.stderr)


if __name__ == "__main__":
    main()
