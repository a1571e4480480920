#!/usr/bin/python3
"""Regenerates the README's measured tables from systrain runs, so that they
cannot drift from what the code measures. Each table sits between
<!-- table:NAME --> and <!-- /table:NAME --> in README.md or a page of docs/; this script runs
what the table shows and rewrites the lines between the markers.

  scripts/readme_tables.py [--build DIR] [--check] [NAME ...]

NAME: memory_system (timing only, ~1 s), lockstep_training (~1 s),
threshold_sweep (12 epochs of speculative_mlp35, ~5 min), mlp_speculative (9
epochs of mlp_fashion, ~1 min), mlp35_speculative (7 epochs, ~30 s),
mlp_schedules (6 epochs of mlp_fashion, ~40 s), cnn_schedules (6 epochs of
cnn_fashion, ~1.5 min), onnx_backend (ONNX's backend tests, ~2 s), onnx_models
(the shipped ONNX models under every schedule, ~20 s), dataflows (AlexNet and ResNet-50 forward in
WS, OS, IS and auto, ~10 s), edge_training (the edge trainer's board build on Fashion-MNIST, ~20 s), edge_compare (the board build's
network on the array and on the edge trainer, ~2 min), llm_step (a GPT-3 175B training step, baseline and
interleaved, timing only, ~5 s). Without
NAME, all.
--check rewrites nothing: it exits 1 and shows the difference when a table in
the README is not what the runs give (the test suite checks the fast ones).
"""
import argparse
import csv
import difflib
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def g(v):
    """12345678 -> 12,345,678"""
    return f"{int(round(float(v))):,}"


def ratio(a, b):
    return f"{float(a) / float(b):.3f}×"


class Runner:
    def __init__(self, build, tmp):
        self.st = os.path.join(build, "systrain")
        self.tmp = tmp
        self.n = 0
        import threading
        self.lock = threading.Lock()

    def report(self, config, *args):
        """report.csv of one run, as a dict"""
        with self.lock:
            self.n += 1
            out = os.path.join(self.tmp, f"run{self.n}")
        subprocess.run([self.st, "run", os.path.join(ROOT, config), "--quiet", "--out", out, *args], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(os.path.join(out, "report.csv"), newline="") as f:
            m = {r["counter"]: r["value"] for r in csv.DictReader(f)}
        with open(os.path.join(out, "report.json"), encoding="utf-8") as f:
            m["json"] = json.load(f)  # the ops' names (strings stay out of report.csv)
        return m

    def reports(self, runs):
        """report.csv of several runs, two at a time (this machine's cores), in order"""
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(2) as pool:
            return list(pool.map(lambda ca: self.report(ca[0], *ca[1]), runs))

    def sweep(self, config, *args):
        self.n += 1
        out = os.path.join(self.tmp, f"sweep{self.n}")
        subprocess.run([self.st, "sweep", os.path.join(ROOT, config), "--jobs", "2", "--out", out, *args], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(os.path.join(out, "sweep.csv"), newline="") as f:
            return list(csv.DictReader(f))


def memory_system(r):
    """README "The memory system": baseline against interleaved, one training step, timing only, 32x32"""
    rows = [("AlexNet conv1–5, batch 8", "configs/alexnet_topology.yaml", ["training.batch=8", "training.train_samples=8"]),
            ("ResNet-50, batch 32", "configs/resnet50_topology.yaml", [])]
    lines = ["| network, SRAM (words a cycle, banks) | baseline cycles (bandwidth stall) | interleaved cycles "
             "(bandwidth stall) | SRAM reads | DRAM reads | energy |",
             "| --- | --- | --- | --- | --- | --- |"]
    for name, config, sets in rows:
        for wpc, banks in ([(128, 64), (32, 16)] if "AlexNet" in name else [(128, 64), (64, 16), (32, 16)]):
            args = [a for s in sets + [f"accelerator.sram.words_per_cycle={wpc}", f"accelerator.sram.banks={banks}"]
                    for a in ("--set", s)]
            b = r.report(config, "--schedule", "baseline", *args)
            i = r.report(config, "--schedule", "interleaved", *args)
            lines.append(f"| {name}, ({wpc}, {banks}) | {g(b['cycles.total'])} ({g(b['cycles.bandwidth_stall'])}) | "
                         f"{g(i['cycles.total'])} ({g(i['cycles.bandwidth_stall'])}) — "
                         f"{ratio(i['cycles.total'], b['cycles.total'])} | "
                         f"{ratio(i['memory.sram.reads'], b['memory.sram.reads'])} | "
                         f"{ratio(i['memory.dram.reads'], b['memory.dram.reads'])} | "
                         f"{ratio(i['energy_pj.total'], b['energy_pj.total'])} |")
    return lines


def lockstep_training(r):
    """README "Training on Fashion-MNIST": configs/lockstep_training.yaml under each schedule"""
    c, t = "configs/lockstep_training.yaml", ["--backend", "tlm"]
    b = r.report(c, *t, "--schedule", "baseline")
    i1 = r.report(c, *t, "--schedule", "interleaved")
    i2 = r.report(c, *t, "--schedule", "interleaved", "--set", "accelerator.array.pe_multipliers=2")

    def same(key_list, text):
        return "same" if all(i1[k] == i2[k] for k in key_list) else text
    rd, wr, dy, e = "memory.sram.reads", "memory.sram.writes", "memory.sram.by_operand.dy.reads", "energy_pj.total"
    return [
        "| figure | baseline | interleaved, 1 mult. | interleaved, 2 mult. |",
        "| --- | --- | --- | --- |",
        f"| cycles.total | {g(b['cycles.total'])} | {g(i1['cycles.total'])} ({ratio(i1['cycles.total'], b['cycles.total'])}) "
        f"| {g(i2['cycles.total'])} ({ratio(i2['cycles.total'], b['cycles.total'])}) |",
        f"| backward / update cycles | {g(b['cycles.backward'])} / {g(b['cycles.update'])} | {g(i1['cycles.backward'])} / "
        f"{g(i1['cycles.update'])} | {g(i2['cycles.backward'])} / {g(i2['cycles.update'])} |",
        f"| SRAM reads / writes | {g(b[rd])} / {g(b[wr])} | {g(i1[rd])} / {g(i1[wr])} ({ratio(i1[rd], b[rd])} / "
        f"{ratio(i1[wr], b[wr])}) | {same([rd, wr], f'{g(i2[rd])} / {g(i2[wr])}')} |",
        f"| dY SRAM reads | {g(b[dy])} | {g(i1[dy])} ({ratio(i1[dy], b[dy])}) | {same([dy], g(i2[dy]))} |",
        f"| energy (pJ) | {g(b[e])} | {g(i1[e])} ({ratio(i1[e], b[e])}) | {same([e], g(i2[e]))} |",
    ]


def threshold_sweep(r):
    """README "Speculative backpropagation": the threshold sweep of configs/speculative_mlp35.yaml"""
    rows = r.sweep("configs/speculative_mlp35.yaml", "--set",
                   "schedule.speculation.policy=gradient_reuse,output_speculation", "--set",
                   "schedule.speculation.threshold=0,0.1,0.25,0.5,1,2", "--set", "schedule.speculation.engines=split")
    by = {(x["schedule.speculation.policy"], x["schedule.speculation.threshold"]): x for x in rows}
    lines = ["| threshold | gradient_reuse cycles | hits | test acc. | output_speculation cycles | hits | test acc. |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for t in ["0", "0.1", "0.25", "0.5", "1", "2"]:
        a, o = by[("gradient_reuse", t)], by[("output_speculation", t)]
        lines.append(f"| {t} | {g(a['cycles.total'])} | {g(a['speculation.hits'])} | "
                     f"{float(a['training.final_test_accuracy']):.4f} | {g(o['cycles.total'])} | "
                     f"{g(o['speculation.hits'])} | {float(o['training.final_test_accuracy']):.4f} |")
    return lines


def sup(n):
    return "".join("⁰¹²³⁴⁵⁶⁷⁸⁹"[int(c)] if c.isdigit() else "⁻" for c in str(n))


def sci(v, d=2):
    """55,9xx,xxx,xxx -> 5.59·10¹⁰"""
    v = float(v)
    e = len(f"{int(abs(v)):d}") - 1 if abs(v) >= 1 else 0
    return f"{v / 10 ** e:.{d}f}·10{sup(e)}"


def spec_rows(r, config, rows, energy):
    """rows of (label, args): cycles, ratio to the first row, overlap, hits, test accuracy (and energy)"""
    reps = r.reports([(config, args) for _, args in rows])
    base = float(reps[0]["cycles.total"])
    out = []
    for (label, _), m in zip(rows, reps):
        spec = m.get("speculation.ran") == "true"
        c = float(m["cycles.total"])
        ov = float(m.get("cycles.overlap", 0))
        hits = int(float(m.get("speculation.hits", 0)))
        cells = [label, g(c), "1" if c == base and label == rows[0][0] else f"{c / base:.3f}",
                 f"{ov / 1e6:.1f} M" if ov else "0",
                 ("0" if hits == 0 else f"{100 * float(m['speculation.hit_rate']):.1f} %") if spec else "–",
                 f"{float(m['training.final_test_accuracy']):.4f}"]
        if energy:
            cells.append(sci(m["energy_pj.total"]))
        out.append("| " + " | ".join(cells) + " |")
    return out


def mlp_speculative(r):
    """docs/speculation.md: configs/mlp_fashion.yaml under every schedule and speculative variant"""
    c = "configs/mlp_fashion.yaml"
    sp, sv = ["--schedule", "speculative"], lambda k, v: ["--set", f"schedule.speculation.{k}={v}"]
    g512 = ["--set", "accelerator.sram.gradients_kib=512"]
    rows = [("baseline", ["--schedule", "baseline"]), ("interleaved", ["--schedule", "interleaved"]),
            ("gradient_reuse, split 8+8", sp), ("gradient_reuse, dual", sp + sv("engines", "dual")),
            ("output_speculation, split", sp + sv("policy", "output_speculation")),
            ("output_speculation, dual", sp + sv("policy", "output_speculation") + sv("engines", "dual")),
            ("output_speculation, split, `verify: batch`", sp + sv("policy", "output_speculation") + sv("verify", "batch")),
            ("baseline, 512 KiB gradients buffer", ["--schedule", "baseline"] + g512),
            ("gradient_reuse, split, 512 KiB", sp + g512)]
    return ["| 784-128-10, batch 32, threshold 0.25 | cycles.total | ratio | overlap | hits | test acc. | energy (pJ) |",
            "| --- | --- | --- | --- | --- | --- | --- |"] + spec_rows(r, c, rows, True)


def mlp35_speculative(r):
    """docs/speculation.md: configs/speculative_mlp35.yaml ([3]'s network) under every schedule"""
    c = "configs/speculative_mlp35.yaml"
    split, sp = ["--set", "schedule.speculation.engines=split"], ["--schedule", "speculative"]
    rows = [("baseline", ["--schedule", "baseline"] + split), ("interleaved", ["--schedule", "interleaved"] + split),
            ("gradient_reuse, split 8+8", sp + split),
            ("gradient_reuse, split, threshold 0 (no hits)", sp + split + ["--set", "schedule.speculation.threshold=0"]),
            ("gradient_reuse, dual", sp + ["--set", "schedule.speculation.engines=dual"]),
            ("output_speculation, split", sp + split + ["--set", "schedule.speculation.policy=output_speculation"]),
            ("output_speculation, dual", sp + ["--set", "schedule.speculation.engines=dual", "--set",
                                               "schedule.speculation.policy=output_speculation"])]
    return ["| 784-35-35-10, batch 1, threshold 0.25 | cycles.total | ratio | overlap | hits | test acc. |",
            "| --- | --- | --- | --- | --- | --- |"] + spec_rows(r, c, rows, False)


def M(v):
    return f"{float(v) / 1e6:.1f} M"


def G(v):
    return f"{float(v) / 1e9:.3f} G"


def mlp_schedules(r):
    """docs/hardware.md: one epoch of configs/mlp_fashion.yaml under baseline and interleaved (1 and 2
    multipliers), at the config's 128 KiB gradients buffer and at 512 KiB"""
    c = "configs/mlp_fashion.yaml"
    two, g512 = ["--set", "accelerator.array.pe_multipliers=2"], ["--set", "accelerator.sram.gradients_kib=512"]
    b, b5, i1, i2, i15, i25 = r.reports([(c, ["--schedule", "baseline"]), (c, ["--schedule", "baseline"] + g512),
                                         (c, ["--schedule", "interleaved"]), (c, ["--schedule", "interleaved"] + two),
                                         (c, ["--schedule", "interleaved"] + g512),
                                         (c, ["--schedule", "interleaved"] + two + g512)])
    ct, rd, wr = "cycles.total", "memory.sram.reads", "memory.sram.writes"
    dwr, dww, dyr = "memory.sram.by_operand.dw.reads", "memory.sram.by_operand.dw.writes", "memory.sram.by_operand.dy.reads"
    e = "energy_pj.total"

    def same(keys, text, word="same"):
        return word if all(i1[k] == i2[k] for k in keys) else text
    zero_or_m = lambda v: "0" if float(v) == 0 else M(v)
    return [
        "| figure | baseline | interleaved, 1 mult. | interleaved, 2 mult. |",
        "| --- | --- | --- | --- |",
        f"| cycles.total, 128 KiB gradients buffer (the config) | {g(b[ct])} | {g(i1[ct])} ({ratio(i1[ct], b[ct])}) | "
        f"{g(i2[ct])} ({ratio(i2[ct], b[ct])}) |",
        f"| of which DRAM stall | {g(b['cycles.stall'])} | {g(i1['cycles.stall'])} | {g(i2['cycles.stall'])} |",
        f"| cycles.total, 512 KiB gradients buffer | {g(b5[ct])} | {g(i15[ct])} ({ratio(i15[ct], b5[ct])}) | "
        f"{g(i25[ct])} ({ratio(i25[ct], b5[ct])}) |",
        f"| backward / update cycles{' (either buffer)' if b['cycles.backward'] == b5['cycles.backward'] else ''} | "
        f"{M(b['cycles.backward'])} / {M(b['cycles.update'])} | {M(i1['cycles.backward'])} / {M(i1['cycles.update'])} | "
        f"{M(i2['cycles.backward'])} / {M(i2['cycles.update'])} |",
        f"| SRAM reads / writes | {G(b[rd])} / {G(b[wr])} | {G(i1[rd])} / {G(i1[wr])} ({ratio(i1[rd], b[rd])} / "
        f"{ratio(i1[wr], b[wr])}) | {same([rd, wr], f'{G(i2[rd])} / {G(i2[wr])}', 'same as 1 mult.')} |",
        f"| dW SRAM reads / writes | {zero_or_m(b[dwr])} / {zero_or_m(b[dww])} | {zero_or_m(i1[dwr])} / "
        f"{zero_or_m(i1[dww])} | {zero_or_m(i2[dwr])} / {zero_or_m(i2[dww])} |",
        f"| dY SRAM reads | {M(b[dyr])} | {M(i1[dyr])} ({ratio(i1[dyr], b[dyr])}) | {same([dyr], M(i2[dyr]))} |",
        f"| DRAM reads / writes, 128 KiB | {M(b['memory.dram.reads'])} / {M(b['memory.dram.writes'])} | "
        f"{M(i1['memory.dram.reads'])} / {M(i1['memory.dram.writes'])} | "
        f"{same(['memory.dram.reads', 'memory.dram.writes'], M(i2['memory.dram.reads']) + ' / ' + M(i2['memory.dram.writes']))} |",
        f"| energy, 128 KiB / 512 KiB (pJ) | {sci(b[e])} / {sci(b5[e])} | {sci(i1[e])} ({ratio(i1[e], b[e])} / "
        f"{ratio(i1[e], b5[e])}) | {same([e], sci(i2[e]))} |",
        f"| test accuracy | {float(b['training.final_test_accuracy']):.4f} | "
        f"{float(i1['training.final_test_accuracy']):.4f} | {float(i2['training.final_test_accuracy']):.4f} |",
    ]


def cnn_schedules(r):
    """docs/cnn.md: one epoch of configs/cnn_fashion.yaml under baseline and interleaved (1 and 2
    multipliers), fixed point and float32"""
    c = "configs/cnn_fashion.yaml"
    two, f32 = ["--set", "accelerator.array.pe_multipliers=2"], ["--set", "accelerator.numerics.kind=float32"]
    b, i1, i2, bf, i1f, i2f = r.reports([(c, ["--schedule", "baseline"]), (c, ["--schedule", "interleaved"]),
                                         (c, ["--schedule", "interleaved"] + two), (c, ["--schedule", "baseline"] + f32),
                                         (c, ["--schedule", "interleaved"] + f32),
                                         (c, ["--schedule", "interleaved"] + two + f32)])
    acc, loss = "training.final_test_accuracy", "training.final_train_loss"

    def pair(m, mf, k, d):
        return f"{float(m[k]):.{d}f} / {float(mf[k]):.{d}f}"

    def same_as_base(m, mf, k, d):
        return "same" if (m[k], mf[k]) == (b[k], bf[k]) else pair(m, mf, k, d)

    def op_cycles(m, names, layer=None):
        return sum(o["cycles"] for o in m["json"]["ops"] if o["op"] in names and (layer is None or o["layer"] == layer))

    def vector(m):
        return (", ".join(M(op_cycles(m, [n])) for n in ("im2col", "maxpool", "flatten")) + " / " +
                ", ".join(M(op_cycles(m, [n])) for n in ("unflatten", "unpool", "mask")))

    def conv(m):
        return f"{M(op_cycles(m, ['forward'], 0))} / {M(op_cycles(m, ['wg', 'il'], 0))}"

    def stages(m):
        return " / ".join(M(m[f"cycles.{k}"]) for k in ("forward", "backward", "update"))

    def energy(m, base=None):
        e = float(m["energy_pj.total"])
        ex = len(f"{int(e):d}") - 1
        parts = [float(m[f"energy_pj.by_phase.{k}.total"]) / 10 ** ex for k in ("forward", "backward", "update")]
        by = " / ".join("0" if v == 0 else f"{v:.3f}" for v in parts)
        return f"{sci(e, 3)}{f' ({ratio(e, base)})' if base else ''}; {by}{' ·10' + sup(ex) if parts[-1] else ''}"

    ct, rd, wr = "cycles.total", "memory.sram.reads", "memory.sram.writes"
    nu = b["json"]["config"]["accelerator"]["numerics"]
    fr = "/".join(str(nu[k + "_frac_bits"]) for k in ("activation", "weight", "error", "gradient"))
    same = lambda f, t: "same" if f(i2) == f(i1) else t
    return [
        "| figure | baseline | interleaved, 1 mult. | interleaved, 2 mult. |",
        "| --- | --- | --- | --- |",
        f"| test accuracy, fixed (fa/fw/fe/fg = {fr}) / float32 | {pair(b, bf, acc, 4)} | {same_as_base(i1, i1f, acc, 4)} | "
        f"{same_as_base(i2, i2f, acc, 4)} |",
        f"| mean training loss, fixed / float32 | {pair(b, bf, loss, 4)} | {same_as_base(i1, i1f, loss, 4)} | "
        f"{same_as_base(i2, i2f, loss, 4)} |",
        f"| cycles.total | {g(b[ct])} | {g(i1[ct])} ({ratio(i1[ct], b[ct])}) | {g(i2[ct])} ({ratio(i2[ct], b[ct])}) |",
        f"| forward / backward / update cycles | {stages(b)} | {stages(i1)} | {stages(i2)} |",
        f"| of which vector unit: im2col, maxpool, flatten / unflatten, unpool, ReLU mask | {vector(b)} | "
        f"{'same' if vector(i1) == vector(b) else vector(i1)} | {'same' if vector(i2) == vector(b) else vector(i2)} |",
        f"| conv layer: forward / WG or IL pass | {conv(b)} | {conv(i1)} | {same(conv, conv(i2))} |",
        f"| SRAM reads / writes | {G(b[rd])} / {G(b[wr])} | {G(i1[rd])} / {G(i1[wr])} ({ratio(i1[rd], b[rd])} / "
        f"{ratio(i1[wr], b[wr])}) | {same(lambda m: (m[rd], m[wr]), G(i2[rd]) + ' / ' + G(i2[wr]))} |",
        f"| energy (pJ): total; forward / backward / update | {energy(b)} | {energy(i1, b['energy_pj.total'])} | "
        f"{same(lambda m: m['energy_pj.total'], energy(i2, b['energy_pj.total']))} |",
    ]


ONNX_DATA = "/usr/share/libonnx-testdata/data"


def onnx_backend(r):
    """docs/models.md: ONNX's backend test cases through `systrain onnx-test`, by suite and outcome"""
    import glob
    import re
    suites = ["node", "pytorch-converted", "pytorch-operator", "simple"]
    dirs = [d for s in suites for d in sorted(glob.glob(os.path.join(ONNX_DATA, s, "*")))]
    out = subprocess.run([r.st, "onnx-test", *dirs], capture_output=True, text=True).stdout.split("\n")
    reasons = [("an op systrain does not import", r"op \S+ is not supported|a Transpose of data"),
               ("an input of rank 1, 3 or 5 (1-D, sequences, 3-D)", r"has rank"),
               ("a data type other than float32", r" is (uint8|int8|int32|int64|bool|string|float16|float64|another type)|an integer tensor"),
               ("several outputs, or several inputs that are data", r"outputs; systrain|inputs that are not initializers|graph has \d+ inputs"),
               ("MaxPool with a non-square window, uneven padding, ceil or dilations", r"MaxPool with kernel"),
               ("Conv with groups or dilations", r"group = |dilations"),
               ("Gemm with transA or a matrix bias; Flatten, Softmax on another axis", r"transA|bias '.*' of shape|Flatten with axis|over axis"),
               ("a branch, or not a chain", r"branch|not a chain|computed by the graph"),
               ("other limits (sequence and optional inputs, a Reshape that is not a flatten, …)", r".")]
    rows = {s: {"pass": 0, **{k: 0 for k, _ in reasons}} for s in suites}
    worst = 0.0
    for line in out:
        m = re.match(r"^(pass|refused|MISMATCH|CRASH) ([^/ ]+)/\S+?:? (.*)$", line)
        if not m:
            continue
        kind, suite, rest = m.groups()
        if kind in ("MISMATCH", "CRASH"):
            sys.exit(f"readme_tables: onnx-test: {line}")
        if kind == "pass":
            rows[suite]["pass"] += 1
            worst = max(worst, float(re.search(r"max relative error (\S+?)[,)]", rest).group(1)))
            continue
        for k, rx in reasons:
            if re.search(rx, rest):
                rows[suite][k] += 1
                break
    lines = ["| outcome | " + " | ".join(f"`{s}`" for s in suites) + " | all |",
             "| --- | " + " | ".join("---" for _ in suites) + " | --- |"]
    for k in ["pass"] + [k for k, _ in reasons]:
        label = f"**pass** (max relative error {worst:.1g})" if k == "pass" else f"refused: {k}"
        lines.append(f"| {label} | " + " | ".join(str(rows[s][k]) for s in suites) +
                     f" | {sum(rows[s][k] for s in suites)} |")
    lines.append("| cases | " + " | ".join(str(sum(rows[s].values())) for s in suites) +
                 f" | {sum(sum(rows[s].values()) for s in suites)} |")
    return lines


def onnx_models(r):
    """docs/models.md: the two shipped ONNX models trained under every schedule"""
    lines = ["| model | schedule | cycles | against baseline | energy (pJ) | test accuracy |",
             "| --- | --- | --- | --- | --- | --- |"]
    for name, config in (("MLP 784-128-10", "configs/onnx_mlp.yaml"), ("CNN c8-c16-d10", "configs/onnx_cnn.yaml")):
        runs = r.reports([(config, ["--schedule", s]) for s in ("baseline", "interleaved", "speculative")])
        for s, m in zip(("baseline", "interleaved", "speculative"), runs):
            lines.append(f"| {name} | {s} | {g(m['cycles.total'])} | "
                         f"{'—' if s == 'baseline' else ratio(m['cycles.total'], runs[0]['cycles.total'])} | "
                         f"{g(m['energy_pj.total'])} | {100 * float(m['training.final_test_accuracy']):.2f} % |")
    return lines


def dataflows(r):
    """docs/cnn.md: AlexNet and ResNet-50 forward, one image, in each dataflow and auto"""
    nets = [("AlexNet conv1–5", "configs/alexnet_topology.yaml"), ("ResNet-50", "configs/resnet50_topology.yaml")]
    srams = [("shipped", []), ("never stalls", ["--set", "accelerator.sram.words_per_cycle=65536",
                                                "--set", "accelerator.sram.banks=1024"])]
    lines = ["| network, SRAM | ws | os | is | auto (its choices) |", "| --- | --- | --- | --- | --- |"]
    for name, config in nets:
        for sname, sets in srams:
            runs = r.reports([(config, ["--schedule", "inference", "--set", f"schedule.forward_dataflow={d}", *sets])
                              for d in ("ws", "os", "is", "auto")])
            arr = [int(m["cycles.forward"]) for m in runs]  # the array's forward cycles, SRAM stalls included
            best = min(arr[:3])
            cells = [f"**{g(v)}**" if v == best else g(v) for v in arr[:3]]
            choice = {}
            for l in runs[3]["json"]["layers"]:
                if l.get("dataflow"):
                    choice[l["dataflow"]] = choice.get(l["dataflow"], 0) + 1
            chosen = ", ".join(f"{k} {v}" for k, v in sorted(choice.items()))
            lines.append(f"| {name}, {sname} | " + " | ".join(cells) + f" | {g(arr[3])} ({chosen}) |")
    return lines


def edge_training(r):
    """docs/edge.md: the board build trained on Fashion-MNIST, per epoch, beside a dense float32 network on the array"""
    epochs = 3
    common = ["--set", f"training.epochs={epochs}"]
    runs = [("edge, pipelined, 10-bit fixed point", "configs/edge_board.yaml", common),
            ("edge, baseline, 10-bit fixed point", "configs/edge_board.yaml", common + ["--schedule", "baseline"]),
            ("edge, pipelined, seeded interleaver", "configs/edge_board.yaml",
             common + ["--set", "accelerator.edge.interleaver.start=seeded"]),
            ("edge, pipelined, float32", "configs/edge_board.yaml", common + ["--set", "accelerator.numerics.kind=float32"]),
            ("array 16×16, dense 1024-64-32 (ReLU, softmax), float32, baseline, batch 1", "configs/quickstart.yaml",
             common + ["--schedule", "baseline", "--set", "accelerator.numerics.kind=float32",
                       "--set", "network.input_shape=[1024]",
                       "--set", "network.layers=[{type: dense, units: 64, activation: relu}, {type: dense, units: 32}]",
                       "--set", "training.batch=1", "--set", "training.train_samples=12544",
                       "--set", "training.learning_rate=0.01"])]
    reports = r.reports([(c, a) for _, c, a in runs])
    lines = ["| accelerator, schedule, numerics | " + " | ".join(f"epoch {e + 1}" for e in range(epochs)) +
             " | cycles | weights |", "| --- | " + " | ".join("---" for _ in range(epochs)) + " | --- | --- |"]
    for (name, _, _), m in zip(runs, reports):
        acc = [f"{100 * float(m[f'training.by_epoch.{e}.test_accuracy']):.2f} %" for e in range(epochs)]
        weights = g(m["footprint.weight_words"])
        lines.append(f"| {name} | " + " | ".join(acc) + f" | {g(m['cycles.total'])} | {weights} |")
    return lines


def edge_compare(r):
    """docs/edge.md: `compare --variants accelerator.kind=systolic,edge` on the board build's masked network"""
    import tempfile as tf
    out = tf.mkdtemp(dir=r.tmp)
    subprocess.run([r.st, "compare", os.path.join(ROOT, "configs/edge_board.yaml"), "--variants",
                    "accelerator.kind=systolic,edge", "--out", out], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    runs = ["systolic-baseline", "systolic-interleaved", "edge-baseline", "edge-pipelined"]
    m = []
    for d in runs:
        with open(os.path.join(out, d, "report.csv"), newline="") as f:
            m.append({x["counter"]: x["value"] for x in csv.DictReader(f)})
    rows = [("cycles (an epoch of 12,544 inputs)", "cycles.total", g),
            ("cycles an input", None, None),
            ("utilization", "utilization", lambda v: f"{100 * float(v):.1f} %"),
            ("MACs", "macs", g),
            ("SRAM reads + writes", None, None),
            ("DRAM reads + writes", None, None),
            ("energy (pJ)", "energy_pj.total", g),
            ("test accuracy after one epoch", "training.final_test_accuracy", lambda v: f"{100 * float(v):.2f} %")]
    lines = ["| figure | array 16×24, baseline | array 16×24, interleaved | edge, baseline | edge, pipelined |",
             "| --- | --- | --- | --- | --- |"]
    for name, key, fmt_ in rows:
        if name == "cycles an input":
            cells = [f"{float(x['cycles.total']) / 12544:,.1f}" for x in m]
        elif name.startswith("SRAM"):
            cells = [g(float(x["memory.sram.reads"]) + float(x["memory.sram.writes"])) for x in m]
        elif name.startswith("DRAM"):
            cells = [g(float(x["memory.dram.reads"]) + float(x["memory.dram.writes"])) for x in m]
        else:
            cells = [fmt_(x[key]) for x in m]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def llm_step(r):
    """README "LLM scale": one GPT-3 175B training step (bench/gpt3.yaml) under baseline and interleaved, timing only"""
    b = r.report("bench/gpt3.yaml", "--schedule", "baseline")
    i = r.report("bench/gpt3.yaml", "--schedule", "interleaved")
    def rw(x, level):
        return float(x[f"memory.{level}.reads"]) + float(x[f"memory.{level}.writes"])
    def e(x):
        return sci(x["energy_pj.total"])
    rows = [("cycles", lambda x: sci(x["cycles.total"]), lambda x: float(x["cycles.total"])),
            ("of them, the array computing (forward + backward + update)",
             lambda x: sci(float(x["cycles.forward"]) + float(x["cycles.backward"]) + float(x["cycles.update"])),
             lambda x: float(x["cycles.forward"]) + float(x["cycles.backward"]) + float(x["cycles.update"])),
            ("of them, waiting for DRAM", lambda x: sci(x["cycles.stall"]), lambda x: float(x["cycles.stall"])),
            ("seconds at 500 MHz", lambda x: f"{float(x['simulated_seconds']):,.1f}", lambda x: float(x["simulated_seconds"])),
            ("tiles", lambda x: g(x["tiles"]), lambda x: float(x["tiles"])),
            ("SRAM words read + written", lambda x: sci(rw(x, "sram")), lambda x: rw(x, "sram")),
            ("DRAM words read + written", lambda x: sci(rw(x, "dram")), lambda x: rw(x, "dram")),
            ("energy (pJ)", e, lambda x: float(x["energy_pj.total"]))]
    lines = ["| one training step, 2,048 tokens, 128×128 | baseline | interleaved | interleaved / baseline |",
             "| --- | --- | --- | --- |"]
    for name, show, val in rows:
        lines.append(f"| {name} | {show(b)} | {show(i)} | {val(i) / val(b):.3f}× |")
    return lines


TABLES = {"cnn_schedules": cnn_schedules, "mlp_schedules": mlp_schedules, "memory_system": memory_system, "lockstep_training": lockstep_training, "threshold_sweep": threshold_sweep,
          "mlp_speculative": mlp_speculative, "mlp35_speculative": mlp35_speculative, "onnx_backend": onnx_backend,
          "onnx_models": onnx_models, "dataflows": dataflows, "edge_training": edge_training,
          "edge_compare": edge_compare, "llm_step": llm_step}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--check", action="store_true")
    ap.add_argument("names", nargs="*")
    a = ap.parse_args()
    names = a.names or list(TABLES)
    for n in names:
        if n not in TABLES:
            sys.exit(f"readme_tables: no table '{n}' (tables: {', '.join(TABLES)})")
    pages = [os.path.join(ROOT, "README.md")] + sorted(
        os.path.join(ROOT, "docs", f) for f in os.listdir(os.path.join(ROOT, "docs")) if f.endswith(".md"))
    texts = {}
    for p in pages:
        with open(p, encoding="utf-8") as f:
            texts[p] = f.read().split("\n")
    bad = 0
    changed = set()
    with tempfile.TemporaryDirectory() as tmp:
        r = Runner(os.path.abspath(a.build), tmp)
        for n in names:
            page = next((p for p in pages if f"<!-- table:{n} -->" in texts[p]), None)
            if page is None:
                sys.exit(f"readme_tables: no page has a <!-- table:{n} --> ... <!-- /table:{n} --> block")
            text = texts[page]
            start, end = text.index(f"<!-- table:{n} -->"), text.index(f"<!-- /table:{n} -->")
            new = TABLES[n](r)
            old = text[start + 1:end]
            if old != new:
                bad += 1
                changed.add(page)
                rel = os.path.relpath(page, ROOT)
                sys.stdout.writelines(l + "\n" for l in difflib.unified_diff(old, new, f"{rel} ({n})", "measured",
                                                                           lineterm=""))
            text[start + 1:end] = new
    if a.check:
        if bad:
            print(f"readme_tables: {bad} table(s) differ from what the runs measure; run scripts/readme_tables.py")
        sys.exit(1 if bad else 0)
    for p in changed:
        with open(p + ".tmp", "w", encoding="utf-8") as f:
            f.write("\n".join(texts[p]))
        os.replace(p + ".tmp", p)
    print(f"readme_tables: {', '.join(names)} regenerated" + (f" ({bad} changed)" if bad else " (unchanged)"))


if __name__ == "__main__":
    main()
