#!/bin/sh
# Rewrites the config reference in docs/config.md from the schema.
#   scripts/regen_readme_config.sh [BUILD_DIR]
set -eu
build=$(cd "${1:-build}" && pwd)
cd "$(dirname "$0")/.."
"$build/systrain" config-reference > docs/config.md.ref
awk -v ref=docs/config.md.ref '
  /<!-- config-reference:begin/ { print; while ((getline l < ref) > 0) print l; skip = 1; next }
  /<!-- config-reference:end/ { skip = 0 }
  !skip { print }' docs/config.md > docs/config.md.new
mv docs/config.md.new docs/config.md
rm -f docs/config.md.ref
