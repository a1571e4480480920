#!/bin/sh
# Rewrites the README's config reference from the schema.
#   scripts/regen_readme_config.sh [BUILD_DIR]
set -eu
build=$(cd "${1:-build}" && pwd)
cd "$(dirname "$0")/.."
"$build/systrain" config-reference > README.md.ref
awk -v ref=README.md.ref '
  /<!-- config-reference:begin/ { print; while ((getline l < ref) > 0) print l; skip = 1; next }
  /<!-- config-reference:end/ { skip = 0 }
  !skip { print }' README.md > README.md.new
mv README.md.new README.md
rm -f README.md.ref
