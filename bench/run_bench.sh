#!/bin/bash
# Simulated cycles per second, wall time and peak memory of the TLM and RTL
# backends on 16x16 and 32x32 arrays (bench/bench.yaml). RTL models are built
# (or found in the cache) before timing starts. Prints a Markdown table;
# busy cycles are those the array computes (DRAM waits cost little to simulate).
#   bench/run_bench.sh [BUILD_DIR] [RTL_STEPS]
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
rtl_steps=${2:-60}
here=$(cd "$(dirname "$0")" && pwd)
st=$build/systrain
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
row() {  # name, args...
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$out/time" "$st" run "$here/bench.yaml" --quiet --out "$out/r" "$@" > /dev/null
  read -r wall rss < "$out/time"
  local cycles busy cps bps
  cycles=$(grep '^cycles.total,' "$out/r/report.csv" | cut -d, -f2)
  busy=$(grep '^cycles.forward,' "$out/r/report.csv" | cut -d, -f2)
  cps=$(awk -v c="$cycles" -v w="$wall" 'BEGIN { printf "%.3g", (w > 0 ? c / w : 0) }')
  bps=$(awk -v c="$busy" -v w="$wall" 'BEGIN { printf "%.3g", (w > 0 ? c / w : 0) }')
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$cycles" "$busy" "$wall" "$cps" "$bps" "$((rss / 1024))"
}
for s in 16 32; do  # build the RTL models outside the timing
  "$st" run "$here/bench.yaml" --quiet --out "$out/r" --backend rtl --set simulation.max_steps=1 \
    --set accelerator.array.rows=$s --set accelerator.array.cols=$s >/dev/null
done
echo "| run | simulated cycles | array-busy cycles | wall s | simulated cycles/s | busy cycles/s | peak RSS MiB |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for s in 16 32; do
  a=(--set accelerator.array.rows=$s --set accelerator.array.cols=$s)
  row "tlm ${s}x${s} ws, 10000 images, values" "${a[@]}"
  row "tlm ${s}x${s} ws, 10000 images, timing only" "${a[@]}" --set simulation.functional=false
  row "tlm ${s}x${s} os, 10000 images, values" "${a[@]}" --set schedule.forward_dataflow=os
  row "rtl ${s}x${s} ws, $rtl_steps steps" "${a[@]}" --backend rtl --set simulation.max_steps=$rtl_steps
  row "rtl ${s}x${s} os, $rtl_steps steps" "${a[@]}" --backend rtl --set simulation.max_steps=$rtl_steps --set schedule.forward_dataflow=os
  row "cosim ${s}x${s} ws, $rtl_steps steps" "${a[@]}" --backend cosim --set simulation.max_steps=$rtl_steps
done
