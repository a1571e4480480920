#!/usr/bin/env python3
"""Writes configs/topologies/gpt3_175b.csv: the GEMMs of one GPT-3 175B training sample (Brown et al. 2020,
Table 2.1: 96 layers, d_model 12,288, 96 heads of 128, a 2,048-token context, FFN 4·d_model) in SCALE-Sim's
GEMM format (Layer, M, N, K: Y[M×N] = X[M×K]·W[K×N]; M = the sequence). A layer is 196 rows: the fused QKV
projection, each head's Q·Kᵀ and A·V (as GEMMs whose second operand the file calls weights), the output
projection and the two FFN GEMMs. 96 layers: 18,816 rows. Embeddings, softmax, layer norms and the logits
are left out (issue 18's workload).
  scripts/gpt3_topology.py [OUT]
"""
import os
import sys

D, HEADS, SEQ, LAYERS = 12288, 96, 2048, 96
DH, FFN = D // HEADS, 4 * D
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "configs", "topologies",
                                                          "gpt3_175b.csv")
rows = ["Layer, M, N, K,"]
for layer in range(LAYERS):
    p = f"l{layer}"
    rows.append(f"{p}_qkv, {SEQ}, {3 * D}, {D},")
    for h in range(HEADS):
        rows.append(f"{p}_h{h}_qk, {SEQ}, {SEQ}, {DH},")
        rows.append(f"{p}_h{h}_av, {SEQ}, {DH}, {SEQ},")
    rows.append(f"{p}_proj, {SEQ}, {D}, {D},")
    rows.append(f"{p}_ffn1, {SEQ}, {FFN}, {D},")
    rows.append(f"{p}_ffn2, {SEQ}, {D}, {FFN},")
with open(out, "w") as f:
    f.write("\n".join(rows) + "\n")
print(f"{out}: {len(rows) - 1} GEMM rows", file=sys.stderr)
