#!/bin/sh
# The quickstart's comparison and its bar charts in docs/ (the README shows
# them): cycles by stage, energy by level, each layer's cycles.
#   scripts/quickstart_charts.sh [BUILD_DIR]
set -eu
build=$(cd "${1:-build}" && pwd)
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$build/systrain" compare configs/quickstart.yaml --schedules baseline,interleaved,speculative --out "$tmp/qs" > /dev/null
for of in stages energy layers; do
  "$build/systrain" bars "$tmp/qs" --of $of --out docs/quickstart_$of.png
done
