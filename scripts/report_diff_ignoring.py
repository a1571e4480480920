#!/usr/bin/python3
"""Diffs two folders of reports (as ../shared/tools/report-diff leaves them in
out-old/ and out-new/) with some keys left out: each argument after the two
folders is a regular expression matched against a report key's dotted path
(ops.3.cycles). Wall-clock and version fields are always left out. Exit 0
when every report is otherwise the same.

  scripts/report_diff_ignoring.py /tmp/report-diff/out-old /tmp/report-diff/out-new \
      '^ops\\.\\d+\\.(cycles|dram_wait_cycles|engine_wait_cycles)$' '^cycles\\.drain$'
"""
import json
import os
import re
import sys


def flat(v, path, out):
    if isinstance(v, dict):
        for k, x in v.items():
            flat(x, f"{path}.{k}" if path else k, out)
    elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
        for i, x in enumerate(v):
            flat(x, f"{path}.{i}", out)
    else:
        out[path] = v
    return out


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    old_dir, new_dir, pats = sys.argv[1], sys.argv[2], [re.compile(p) for p in sys.argv[3:]]
    pats += [re.compile(r"^host\."), re.compile(r"^systrain_version$")]
    differ = 0
    for name in sorted(os.listdir(old_dir)):
        po, pn = (os.path.join(d, name, "report.json") for d in (old_dir, new_dir))
        if not os.path.exists(po):
            continue
        a, b = (flat(json.load(open(p)), "", {}) for p in (po, pn))
        keys = sorted(k for k in set(a) | set(b) if not any(p.search(k) for p in pats))
        diffs = [k for k in keys if a.get(k, "<absent>") != b.get(k, "<absent>")]
        if diffs:
            differ += 1
            print(f"{name}: {len(diffs)} keys differ")
            for k in diffs[:10]:
                print(f"    {k}: {a.get(k, '<absent>')} -> {b.get(k, '<absent>')}")
        else:
            print(f"{name}: same ({len(keys)} keys)")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
