#!/bin/bash
# This stop's features, timed: ONNX's backend test cases through `systrain onnx-test`, the two shipped ONNX
# models trained (one run each), AlexNet's forward in each dataflow and `auto` (timing only), and an epoch of the
# edge trainer's board build (values and timing only). Prints a Markdown table: wall time, peak memory,
# simulated cycles and cycles per second.
#   bench/import_edge_bench.sh [BUILD_DIR]
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
st=$build/systrain
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
data=/usr/share/libonnx-testdata/data
echo "| run | wall s | peak RSS MiB | simulated cycles | simulated cycles/s |"
echo "| --- | --- | --- | --- | --- |"
row() {  # NAME, then the command; the run's report (if any) in $out/r
  local name=$1
  shift
  rm -rf "$out/r"
  /usr/bin/time -f "%e %M" -o "$out/time" "$@" > /dev/null 2>&1
  read -r wall rss < "$out/time"
  local cycles="—" cps="—"
  if [ -f "$out/r/report.csv" ]; then
    cycles=$(grep '^cycles.total,' "$out/r/report.csv" | cut -d, -f2)
    cps=$(awk -v c="$cycles" -v w="$wall" 'BEGIN { printf "%.3g", (w > 0 ? c / w : 0) }')
  fi
  printf '| %s | %s | %s | %s | %s |\n' "$name" "$wall" "$((rss / 1024))" "$cycles" "$cps"
}
row "onnx-test, all 1,072 backend cases" "$st" onnx-test "$data"/node/* "$data"/pytorch-converted/* \
  "$data"/pytorch-operator/* "$data"/simple/*
for m in mlp cnn; do
  row "configs/onnx_$m.yaml (interleaved, values)" "$st" run "$here/../configs/onnx_$m.yaml" --quiet --out "$out/r"
done
for df in ws os is auto; do
  row "AlexNet conv1–5 forward, $df, timing only" "$st" run "$here/../configs/alexnet_topology.yaml" --quiet \
    --out "$out/r" --set schedule.forward_dataflow=$df
done
row "edge board build, 12,544 inputs, fixed point" "$st" run "$here/../configs/edge_board.yaml" --quiet --out "$out/r"
row "edge board build, 12,544 inputs, float32" "$st" run "$here/../configs/edge_board.yaml" --quiet --out "$out/r" \
  --set accelerator.numerics.kind=float32
row "edge board build, 125,440 inputs, timing only" "$st" run "$here/../configs/edge_board.yaml" --quiet \
  --out "$out/r" --set simulation.functional=false --set training.epochs=10
