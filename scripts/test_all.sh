#!/bin/sh
# Builds systrain and runs every test: the model and config tests under
# AddressSanitizer + UndefinedBehaviorSanitizer, the fuzz targets for a short
# fixed budget, then the whole suite (unit, config, RTL lockstep,
# co-simulation, smoke, command line) in Release, then the command-line tests
# again against a sanitized build.
set -eu
cd "$(dirname "$0")/.."
jobs=${JOBS:-2}
# ccache needs a writable cache folder; without HOME it has none
[ -n "${HOME:-}" ] || export CCACHE_DIR=${CCACHE_DIR:-/tmp/systrain-ccache}
cmake -S . -B build-asan -DSYSTRAIN_MODEL_ONLY=ON -DSYSTRAIN_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --test-dir build-asan -j"$jobs" --output-on-failure
# fuzzing: the config loader (with --set) and the IDX reader under libFuzzer
# with ASan and UBSan, SYSTRAIN_FUZZ_SECONDS each (README "Reliability")
CXX=clang++ cmake -S . -B build-fuzz -DSYSTRAIN_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSYSTRAIN_FUZZ_SECONDS="${SYSTRAIN_FUZZ_SECONDS:-30}" >/dev/null
cmake --build build-fuzz -j"$jobs"
ctest --test-dir build-fuzz -j"$jobs" --output-on-failure
cmake -S . -B build >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build -j"$jobs" --output-on-failure
# the command line under AddressSanitizer + UndefinedBehaviorSanitizer: every
# cli test against a sanitized systrain (its RTL models are built unsanitized).
# A test that fails runs once more: LeakSanitizer's own tracer has been seen
# to crash ("Tracer caught signal 11", before any report) at the exit of runs
# with OpenMP threads while the machine was loaded, in the landed code too; a
# real finding fails both times.
cmake -S . -B build-asan-cli -DSYSTRAIN_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-asan-cli -j"$jobs" --target systrain
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --test-dir build-asan-cli -R '^cli: ' -j"$jobs" \
  --repeat until-pass:2 \
  --output-on-failure
