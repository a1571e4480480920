#!/bin/sh
# Regenerates tests/golden/NAME.csv (the report.csv of configs/NAME.yaml on
# the TLM backend). Review the diff before committing: a change is a change in
# what systrain reports.
#   scripts/regen_golden_reports.sh [BUILD_DIR]
set -eu
build=$(cd "${1:-build}" && pwd)
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
for name in quickstart inference_mlp lockstep odd_shapes os_inference lockstep_training; do
  "$build/systrain" run "configs/$name.yaml" --backend tlm --quiet --out "$tmp/$name" > /dev/null
  cp "$tmp/$name/report.csv" "tests/golden/$name.csv"
done
rm -rf "$tmp"
