#!/bin/sh
# Builds systrain and runs every test: the model and config tests under
# AddressSanitizer + UndefinedBehaviorSanitizer, then the whole suite
# (unit, config, RTL lockstep, co-simulation, smoke, command line) in Release.
set -eu
cd "$(dirname "$0")/.."
jobs=${JOBS:-2}
# ccache needs a writable cache folder; without HOME it has none
[ -n "${HOME:-}" ] || export CCACHE_DIR=${CCACHE_DIR:-/tmp/systrain-ccache}
cmake -S . -B build-asan -DSYSTRAIN_MODEL_ONLY=ON -DSYSTRAIN_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --test-dir build-asan -j"$jobs" --output-on-failure
cmake -S . -B build >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build -j"$jobs" --output-on-failure
