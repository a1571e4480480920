#!/bin/bash
# One epoch of configs/mlp_fashion.yaml (784-128-10, batch 32, 60,000 images,
# scored on the 10,000 test images) in every training schedule, float32 and
# 16-bit fixed, TLM backend: wall time, peak memory, simulated cycles per
# second. Prints a Markdown table. The issue's targets: <= 10 s an epoch in
# float32, <= 20 s in fixed point (PyTorch 1.13 on these 2 cores: ~30 s).
#   bench/train_bench.sh [BUILD_DIR] [SCHEDULES...]
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
shift || true
here=$(cd "$(dirname "$0")" && pwd)
st=$build/systrain
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
schedules=("$@")
[ ${#schedules[@]} -gt 0 ] || schedules=(baseline interleaved speculative:gradient_reuse speculative:output_speculation)
echo "| schedule | numerics | wall s | peak RSS MiB | simulated cycles | simulated cycles/s | test accuracy |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for s in "${schedules[@]}"; do
  kind=${s%%:*}
  args=(--schedule "$kind")
  [ "$kind" = speculative ] && args+=(--set "schedule.speculation.policy=${s#*:}")
  for nk in float32 fixed; do
    /usr/bin/time -f "%e %M" -o "$out/time" "$st" run "$here/../configs/mlp_fashion.yaml" --quiet --out "$out/r" \
      "${args[@]}" --set accelerator.numerics.kind=$nk > /dev/null
    read -r wall rss < "$out/time"
    cycles=$(grep '^cycles.total,' "$out/r/report.csv" | cut -d, -f2)
    acc=$(grep '^training.final_test_accuracy,' "$out/r/report.csv" | cut -d, -f2)
    cps=$(awk -v c="$cycles" -v w="$wall" 'BEGIN { printf "%.3g", (w > 0 ? c / w : 0) }')
    printf '| %s | %s | %s | %s | %s | %s | %.4f |\n' "$s" "$nk" "$wall" "$((rss / 1024))" "$cycles" "$cps" "$acc"
  done
done
