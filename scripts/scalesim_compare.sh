#!/bin/bash
# Our forward cycles of a SCALE-Sim conv topology (one image, inference,
# timing only) beside SCALE-Sim v2's closed forms, per layer, as a Markdown
# table. SCALE-Sim counts a fold (one R×C block of the GEMM) as
#   WS: 2R + C + T − 2, T = OFMAP pixels (M)   folds = ceil(K/R)·ceil(N/C)
#   OS:  R + C + T − 2, T = K                   folds = ceil(M/R)·ceil(N/C)
#   IS: 2R + C + T − 2, T = filters (N)         folds = ceil(K/R)·ceil(M/C)
# (the lengths of its skewed demand matrices: systolic_compute_ws.py,
# systolic_compute_os.py and systolic_compute_is.py). Ours is the array's cycles of the layer's forward
# pass (the sum of its phase cycles; im2col in the vector unit and DRAM
# waits are not in SCALE-Sim's compute cycles). The SRAM is made wide enough never to stall
# (SCALE-Sim's compute cycles assume so).
#   scripts/scalesim_compare.sh [BUILD_DIR] [CONFIG] [ws|os|is]
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
cfg=${2:-$here/../configs/alexnet_topology.yaml}
df=${3:-ws}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$build/systrain" run "$cfg" --quiet --out "$out" --schedule inference --set schedule.forward_dataflow="$df" \
  --set accelerator.sram.words_per_cycle=65536 --set accelerator.sram.banks=1024 \
  --set training.batch=1 --set training.test_samples=1 > /dev/null
R=$(grep '^config.accelerator.array.rows,' "$out/report.csv" | cut -d, -f2 || true)
C=$(grep '^config.accelerator.array.cols,' "$out/report.csv" | cut -d, -f2 || true)
[ -n "$R" ] || R=$(grep -o '"rows": [0-9]*' "$out/report.json" | head -1 | grep -o '[0-9]*$')
[ -n "$C" ] || C=$(grep -o '"cols": [0-9]*' "$out/report.json" | head -1 | grep -o '[0-9]*$')
awk -F, -v R="$R" -v C="$C" -v df="$df" '
  function ceil(a, b) { return int((a + b - 1) / b) }
  FNR == NR {
    if ($1 ~ /^layers\.[0-9]+\.gemm\.(m|k|n)$/) { split($1, p, "."); g[p[2], p[4]] = $2 }
    if ($1 ~ /^layers\.[0-9]+\.tiles$/) { split($1, p, "."); tiles[p[2]] = $2; if (p[2] + 1 > L) L = p[2] + 1 }
    if ($1 ~ /^layers\.[0-9]+\.phase_cycles\./) { split($1, p, "."); ours[p[2]] += $2 }
    next
  }
  END {
    printf "| layer | M | K | N | folds | SCALE-Sim %s cycles | systrain %s cycles | difference | per fold |\n", toupper(df), toupper(df)
    print "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    for (i = 0; i < L; ++i) {
      m = g[i, "m"]; k = g[i, "k"]; n = g[i, "n"]
      if (df == "ws") { folds = ceil(k, R) * ceil(n, C); ss = folds * (2 * R + C + m - 2) }
      else if (df == "is") { folds = ceil(k, R) * ceil(m, C); ss = folds * (2 * R + C + n - 2) }
      else { folds = ceil(m, R) * ceil(n, C); ss = folds * (R + C + k - 2) }
      d = ours[i] - ss; ts += ss; to += ours[i]; tf += folds
      printf "| %d | %d | %d | %d | %d | %d | %d | %+d | %+.2f |\n", i, m, k, n, folds, ss, ours[i], d, d / folds
    }
    printf "| all | | | | %d | %d | %d | %+d (%+.3f%%) | |\n", tf, ts, to, to - ts, 100 * (to - ts) / ts
  }' "$out/report.csv" /dev/null
