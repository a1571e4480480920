#!/bin/sh
# Regenerates tests/bad_configs/*.err (the exact messages the config tests
# expect) from the current build. Review the diff before committing.
#   scripts/regen_bad_config_errors.sh [BUILD_DIR]
set -eu
build=$(cd "${1:-build}" && pwd)
cd "$(dirname "$0")/../tests/bad_configs"
for f in *.yaml; do
  "$build/systrain" check "$f" 2>&1 >/dev/null | grep -v '^systrain:' > "${f%.yaml}.err" || true
done
