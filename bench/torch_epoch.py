#!/usr/bin/python3
"""PyTorch's epoch of configs/mlp_fashion.yaml's network, the reference for systrain's functional speed
(bench/speed_bench.sh): 784-128-10 (ReLU), batch 32, SGD (learning rate 0.05), softmax cross-entropy, one
epoch of the 60,000 Fashion-MNIST training images from the same IDX files, float32 on the CPU. Prints
"cpu_s wall_s test_accuracy" (CPU and wall time of the epoch alone: the data are read and converted before).
  bench/torch_epoch.py [DATA_DIR] [THREADS]"""
import gzip
import sys
import time

import numpy as np
import torch


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def main():
    data = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
    if len(sys.argv) > 2:
        torch.set_num_threads(int(sys.argv[2]))
    torch.manual_seed(1)
    x = torch.from_numpy(idx(f"{data}/train-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255)
    y = torch.from_numpy(idx(f"{data}/train-labels-idx1-ubyte.gz").astype(np.int64))
    xt = torch.from_numpy(idx(f"{data}/t10k-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255)
    yt = torch.from_numpy(idx(f"{data}/t10k-labels-idx1-ubyte.gz").astype(np.int64))
    net = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    opt = torch.optim.SGD(net.parameters(), lr=0.05)
    loss = torch.nn.CrossEntropyLoss()
    c0, w0 = time.process_time(), time.perf_counter()
    for i in range(0, x.shape[0], 32):
        opt.zero_grad()
        loss(net(x[i:i + 32]), y[i:i + 32]).backward()
        opt.step()
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    with torch.no_grad():
        acc = (net(xt).argmax(1) == yt).float().mean().item()
    print(f"{cpu:.2f} {wall:.2f} {acc:.4f}")


if __name__ == "__main__":
    main()
