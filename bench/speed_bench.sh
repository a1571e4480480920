#!/bin/bash
# Issue 18's targets, each measured beside its reference in the same run (Markdown tables on stdout):
#   timing      timing by tile classes against the per-tile path (simulation.tile_classes: false): one
#               GPT-3 175B training step from configs/topologies/gpt3_175b.csv on a 128x128 array
#               (bench/gpt3.yaml), baseline and interleaved; ResNet-50 (configs/resnet50_topology.yaml), 1
#               and 10 training steps. Targets: GPT-3 <= 0.2 s of CPU; 10 ResNet-50 steps <= 1.5x one.
#   functional  one epoch of configs/mlp_fashion.yaml (784-128-10, batch 32, 16x16) in every schedule,
#               float32 and fixed point, each pass as one GEMM against tile by tile; PyTorch's epoch
#               (bench/torch_epoch.py) when python3-torch is installed. Targets: <= 0.5 s CPU (float32),
#               <= 0.7 s (fixed).
#   rtl         training steps on the Verilated RTL at 16x16 and 32x32: this RTL against the RTL before
#               issue 18 (commit ff88588, built from `git archive` through SYSTRAIN_RTL_SOURCE), Verilator and
#               C++ options one at a time (SYSTRAIN_RTL_VERILATOR_FLAGS, SYSTRAIN_RTL_CXXFLAGS, CXX=clang++ for
#               the other compiler; 16x16), and
#               co-simulation against the RTL alone (the best of RUNS runs each). Targets: 2x the
#               reference; co-simulation within 10 % of the RTL. Builds every model it times (minutes).
# CPU = user + system seconds of the whole command (start-up, data set, report included; the data set from
# the cache of decompressed files, ~/.cache/systrain/data, except in the rows that say otherwise), the median of
# RUNS runs (default 3; the timing runs by classes: perf's task-clock over 10 runs, when perf is there); RSS =
# the largest peak. GPT-3's reports: totals (bench/gpt3.yaml's simulation.report_detail) or full (every op and
# layer: 144 MB).
#   bench/speed_bench.sh [BUILD_DIR] [timing|functional|rtl|all] [RUNS]
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
what=${2:-all}
runs=${3:-3}
here=$(cd "$(dirname "$0")" && pwd)
cfgs=$here/../configs
st=$build/systrain
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# measure ARGS...: runs `systrain run ARGS --quiet --out $out/r` RUNS times; sets cpu (median), rss (MiB)
measure() {
  local cpus=() m=0
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%U %S %M" -o "$out/time" "$st" run "$@" --quiet --out "$out/r" > /dev/null 2> "$out/err" \
      || { cat "$out/err" >&2; exit 1; }
    local tu ts tk
    read -r tu ts tk < "$out/time"
    cpus+=("$(awk -v u="$tu" -v s="$ts" 'BEGIN { printf "%.2f", u + s }')")
    [ "$tk" -gt "$m" ] && m=$tk
  done
  cpu=$(printf '%s\n' "${cpus[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p")
  rss=$((m / 1024))
}
key() { grep "^$1," "$out/r/report.csv" | cut -d, -f2; }
host() { python3 -c "import json,sys; print(json.load(open('$out/r/report.json'))['host']['$1'])"; }

# precise ARGS...: cpu = perf's task-clock of `systrain run ARGS`, the mean of 10 runs (ms resolution, for the
# short runs), when perf works here; else measure's median stands
precise() {
  if command -v perf > /dev/null && perf stat -e task-clock true > /dev/null 2>&1; then
    cpu=$(perf stat -r 10 -x, -e task-clock "$st" run "$@" --quiet --out "$out/r" 2>&1 > /dev/null |
      awk -F, '/task-clock/ { printf "%.4f", $1 / 1000 }')
  fi
}

if [ "$what" = timing ] || [ "$what" = all ]; then
  echo "| timing only | path | reports | CPU s | simulating, wall s | peak RSS MiB | tiles | simulated cycles |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
  for s in baseline interleaved; do
    # classes: the totals (bench/gpt3.yaml) and every op and layer (144 MB); per tile: the totals
    for run in "true totals" "true full" "false totals"; do
      read -r tc detail <<< "$run"
      measure "$here/gpt3.yaml" --schedule $s --set simulation.tile_classes=$tc --set simulation.report_detail=$detail
      [ $tc = true ] && precise "$here/gpt3.yaml" --schedule $s --set simulation.report_detail=$detail
      printf '| GPT-3 175B step, %s, 128x128 | %s | %s | %s | %s | %s | %s | %s |\n' "$s" \
        "$([ $tc = true ] && echo classes || echo per tile)" "$detail" "$cpu" "$(host wall_seconds)" "$rss" \
        "$(key tiles)" "$(key cycles.total)"
    done
  done
  for n in 1 10; do
    for tc in true false; do
      measure "$cfgs/resnet50_topology.yaml" --set training.train_samples=$((32 * n)) --set simulation.tile_classes=$tc
      precise "$cfgs/resnet50_topology.yaml" --set training.train_samples=$((32 * n)) --set simulation.tile_classes=$tc
      printf '| ResNet-50, %s step(s) of 32, interleaved, 32x32 | %s | full | %s | %s | %s | %s | %s |\n' "$n" \
        "$([ $tc = true ] && echo classes || echo per tile)" "$cpu" "$(host wall_seconds)" "$rss" "$(key tiles)" \
        "$(key cycles.total)"
    done
  done
  echo
fi

if [ "$what" = functional ] || [ "$what" = all ]; then
  echo "| epoch, 784-128-10, batch 32, 16x16 | numerics | path | CPU s | wall s (simulating) | peak RSS MiB | test accuracy |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
  for s in baseline interleaved speculative:gradient_reuse speculative:output_speculation; do
    kind=${s%%:*}
    args=(--schedule "$kind")
    [ "$kind" = speculative ] && args+=(--set "schedule.speculation.policy=${s#*:}")
    for nk in float32 fixed; do
      for tc in true false; do
        measure "$cfgs/mlp_fashion.yaml" "${args[@]}" --set accelerator.numerics.kind=$nk --set simulation.tile_classes=$tc
        printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$s" "$nk" "$([ $tc = true ] && echo "one GEMM a pass" || echo "tile by tile")" \
          "$cpu" "$(host wall_seconds)" "$rss" "$(key training.final_test_accuracy)"
      done
    done
  done
  # the data set decompressed in every run, as without the cache (sim/io/data_cache.h)
  for s in baseline interleaved; do
    SYSTRAIN_DATA_CACHE=off measure "$cfgs/mlp_fashion.yaml" --schedule $s --set accelerator.numerics.kind=float32
    printf '| %s | float32 | one GEMM a pass, no data-set cache | %s | %s | %s | %s |\n' "$s" "$cpu" "$(host wall_seconds)" \
      "$rss" "$(key training.final_test_accuracy)"
  done
  if /usr/bin/python3 -c "import torch" 2> /dev/null; then
    for th in 1 2; do
      read -r tcpu twall tacc < <(/usr/bin/python3 "$here/torch_epoch.py" /usr/share/datasets/fashion-mnist $th)
      printf '| PyTorch %s, %s thread(s), the epoch alone | float32 | autograd | %s | %s | | %s |\n' \
        "$(/usr/bin/python3 -c 'import torch; print(torch.__version__)')" "$th" "$tcpu" "$twall" "$tacc"
    done
  else
    echo "| PyTorch | (python3-torch is not installed) | | | | | |"
  fi
  echo
fi

if [ "$what" = rtl ] || [ "$what" = all ]; then
  # the reference: the RTL and its build script as they were before issue 18 (this build's shim)
  ref=ff88588
  refsrc=""
  if git -C "$here/.." cat-file -e "$ref^{commit}" 2> /dev/null; then
    refsrc=$out/ref
    mkdir -p "$refsrc"
    git -C "$here/.." archive "$ref" rtl scripts | tar -x -C "$refsrc"
  fi
  echo "| RTL, configs/mlp_fashion.yaml, interleaved, training steps | array | backend | simulating, wall s | array-busy cycles | busy cycles/s | against the reference |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
  for size in 16 32; do
    steps=$([ $size = 16 ] && echo 20 || echo 8)
    a=("$cfgs/mlp_fashion.yaml" --set accelerator.array.rows=$size --set accelerator.array.cols=$size
       --set training.test_samples=16 --set simulation.max_steps=$steps)
    variants=("reference|rtl|SYSTRAIN_RTL_SOURCE=$refsrc" "this RTL|rtl|" "this RTL, co-simulated with the TLM|cosim|")
    [ $size = 16 ] && variants+=("this RTL, compiled with clang++ (not g++)|rtl|CXX=clang++"
      "this RTL, C++ -O3|rtl|SYSTRAIN_RTL_CXXFLAGS=-O3"
      "this RTL, --x-assign fast --x-initial fast|rtl|SYSTRAIN_RTL_VERILATOR_FLAGS=--x-assign fast --x-initial fast"
      "this RTL, --threads 2|rtl|SYSTRAIN_RTL_VERILATOR_FLAGS=--threads 2")
    base=""
    for v in "${variants[@]}"; do
      IFS='|' read -r name be env <<< "$v"
      if [ "$name" = reference ]; then
        [ -n "$refsrc" ] || { echo "| ${size}x$size, reference | (not a git checkout: no commit $ref) | | | | | |"; continue; }
        name="the RTL before issue 18 ($ref)"
      fi
      envs=()
      [ -n "$env" ] && envs=("$env")
      # build the model outside the timing
      env "${envs[@]}" "$st" run "${a[@]}" --backend "$be" --set simulation.max_steps=1 --quiet --out "$out/r" > /dev/null
      wall=""
      for _ in $(seq "$runs"); do  # the best of RUNS: the machine's noise only slows a run
        env "${envs[@]}" "$st" run "${a[@]}" --backend "$be" --quiet --out "$out/r" > /dev/null
        w=$(host wall_seconds)
        if [ -z "$wall" ] || awk -v a="$w" -v b="$wall" 'BEGIN { exit !(a < b) }'; then wall=$w; fi
      done
      busy=$(($(key cycles.forward) + $(key cycles.backward) + $(key cycles.update)))
      bps=$(awk -v b="$busy" -v w="$wall" 'BEGIN { printf "%.3g", b / w }')
      [ -z "$base" ] && base=$bps
      printf '| %s | %sx%s | %s | %s | %s | %s | %s |\n' "$name" "$size" "$size" "$be" "$wall" "$busy" "$bps" \
        "$(awk -v b="$bps" -v r="$base" 'BEGIN { printf "%.2fx", b / r }')"
    done
  done
fi
