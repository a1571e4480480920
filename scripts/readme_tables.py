#!/usr/bin/python3
"""Regenerates the README's measured tables from systrain runs, so that they
cannot drift from what the code measures. Each table sits between
<!-- table:NAME --> and <!-- /table:NAME --> in README.md or a page of docs/; this script runs
what the table shows and rewrites the lines between the markers.

  scripts/readme_tables.py [--build DIR] [--check] [NAME ...]

NAME: memory_system (timing only, ~1 s), lockstep_training (~1 s),
threshold_sweep (12 epochs of speculative_mlp35, ~5 min). Without NAME, all.
--check rewrites nothing: it exits 1 and shows the difference when a table in
the README is not what the runs give (the test suite checks the fast ones).
"""
import argparse
import csv
import difflib
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

    def report(self, config, *args):
        """report.csv of one run, as a dict"""
        self.n += 1
        out = os.path.join(self.tmp, f"run{self.n}")
        subprocess.run([self.st, "run", os.path.join(ROOT, config), "--quiet", "--out", out, *args], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(os.path.join(out, "report.csv"), newline="") as f:
            return {r["counter"]: r["value"] for r in csv.DictReader(f)}

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


TABLES = {"memory_system": memory_system, "lockstep_training": lockstep_training, "threshold_sweep": threshold_sweep}


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
