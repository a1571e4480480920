#!/bin/bash
# The README's table of speculative backpropagation on the small CNN
# (configs/speculative_cnn.yaml on all 60,000 training images, 3 epochs,
# scored on the 10,000 test images after each): baseline, interleaved, and
# both speculative policies on split and dual engines (output speculation
# verifying per sample, and per batch on split). Prints a Markdown
# table: cycles of the 3 epochs against baseline and interleaved, hit rate
# and test accuracy after epochs 1 and 3. Two runs at a time.
#   scripts/speculative_cnn_table.sh [BUILD_DIR] [EPOCHS]
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
epochs=${2:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cfg=$here/configs/speculative_cnn.yaml
common=(--set training.train_samples=60000 --set training.test_samples=10000 --set training.epochs="$epochs")
runs=(baseline interleaved gradient_reuse:split gradient_reuse:dual output_speculation:split output_speculation:dual
      output_speculation:split:batch)
one() {
  local r=$1 args=()
  case $r in
    baseline|interleaved) args=(--schedule "$r") ;;
    *) IFS=: read -r pol eng ver <<< "$r"
       args=(--set "schedule.speculation.policy=$pol" --set "schedule.speculation.engines=$eng"
             --set "schedule.speculation.verify=${ver:-sample}") ;;
  esac
  "$build/systrain" run "$cfg" --quiet --out "$out/${r//:/_}" "${common[@]}" "${args[@]}" > /dev/null
}
export -f one; export build cfg out
pids=()
for r in "${runs[@]}"; do
  one "$r" & pids+=($!)
  if (( ${#pids[@]} == 2 )); then wait "${pids[0]}" "${pids[1]}"; pids=(); fi
done
for p in "${pids[@]}"; do wait "$p"; done
/usr/bin/python3 - "$out" "$epochs" "${runs[@]}" <<'PY'
import json, sys
out, epochs, runs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
rep = {r: json.load(open(f"{out}/{r.replace(':', '_')}/report.json")) for r in runs}
base, il = rep["baseline"]["cycles"]["total"], rep["interleaved"]["cycles"]["total"]
print(f"| schedule | engines | cycles ({epochs} epochs) | vs baseline | vs interleaved | hit rate, epoch 1 / {epochs} "
      f"| test accuracy, epoch 1 / {epochs} |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for r in runs:
    x = rep[r]
    c = x["cycles"]["total"]
    acc = x["training"]["test_accuracy"]
    by = x["training"].get("by_epoch", [])
    parts = r.split(":")
    pol, eng, ver = parts[0], parts[1] if len(parts) > 1 else "–", parts[2] if len(parts) > 2 else ""
    if pol == "output_speculation": pol += f", verify: {ver or 'sample'}"
    hits = f"{by[0]['hit_rate']:.3f} / {by[-1]['hit_rate']:.3f}" if by and "hit_rate" in by[0] else "–"
    print(f"| {pol} | {eng} | {c:,} | {c / base:.3f}× | {c / il:.3f}× | {hits} | {acc[0]:.4f} / {acc[-1]:.4f} |")
PY
