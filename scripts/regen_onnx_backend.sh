#!/bin/sh
# Remakes tests/onnx_backend.txt, the outcome of every ONNX backend test case
# Debian's libonnx-testdata ships (pass, or refused with a located error), as
# `systrain onnx-test` gives it; `cli: onnx_backend` holds the build to it.
# Review the diff: a case that moves from pass to refused is a regression.
#   scripts/regen_onnx_backend.sh [BUILD_DIR]
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
st=${1:-$src/build}/systrain
data=/usr/share/libonnx-testdata/data
"$st" onnx-test "$data"/node/* "$data"/pytorch-converted/* "$data"/pytorch-operator/* "$data"/simple/* |
  sed -n 's/^\(pass\|refused\|MISMATCH\|CRASH\) \([^ :]*\).*/\1 \2/p' > "$src/tests/onnx_backend.txt"
echo "tests/onnx_backend.txt: $(grep -c '^pass' "$src/tests/onnx_backend.txt") pass, $(grep -c '^refused' "$src/tests/onnx_backend.txt") refused"
