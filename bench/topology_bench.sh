#!/bin/bash
# Timing-only runs of SCALE-Sim topology files (issue 8's targets): AlexNet
# conv1-5 forward on a 32x32 array, WS and OS (SCALE-Sim v2 takes 154-177 s
# of CPU and ~2 GB per dataflow on this machine; target <= 0.15 s CPU and
# <= 100 MB each), and one ResNet-50 training step at batch 32, baseline and
# interleaved (target < 1 s). Each run is repeated 5 times; the table gives
# the median CPU (user + system) and the largest peak RSS. Prints Markdown.
#   bench/topology_bench.sh [BUILD_DIR]
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
st=$build/systrain
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "| run | CPU s (median of 5) | peak RSS MiB | simulated cycles | tiles |"
echo "| --- | --- | --- | --- | --- |"
run() {
  local name=$1 cfg=$2
  shift 2
  local cpus=() rss=0
  for i in 1 2 3 4 5; do
    /usr/bin/time -f "%U %S %M" -o "$out/time" "$st" run "$here/../configs/$cfg" --quiet --out "$out/r" "$@" > /dev/null
    read -r u s m < "$out/time"
    cpus+=("$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')")
    [ "$m" -gt "$rss" ] && rss=$m
  done
  local med
  med=$(printf '%s\n' "${cpus[@]}" | sort -n | sed -n 3p)
  printf '| %s | %s | %s | %s | %s |\n' "$name" "$med" "$((rss / 1024))" \
    "$(grep '^cycles.total,' "$out/r/report.csv" | cut -d, -f2)" "$(grep '^tiles,' "$out/r/report.csv" | cut -d, -f2)"
}
run "AlexNet conv1-5 forward, WS, 32x32" alexnet_topology.yaml
run "AlexNet conv1-5 forward, OS, 32x32" alexnet_topology.yaml --set schedule.forward_dataflow=os
run "ResNet-50 training step, baseline, batch 32" resnet50_topology.yaml --schedule baseline
run "ResNet-50 training step, interleaved, batch 32" resnet50_topology.yaml --schedule interleaved
