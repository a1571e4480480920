#!/bin/sh
# Installs everything systrain needs to build, run and test, from Debian 12's
# packages (run as root). The one list of dependencies: the README's commands
# and .ci/run call this.
set -eu
export DEBIAN_FRONTEND=noninteractive
pkgs="cmake make g++ ccache pkg-config git verilator libsystemc-dev libfmt-dev doctest-dev libyaml-cpp-dev
      libcli11-dev zlib1g-dev libdeflate-dev libonnx-dev libprotobuf-dev libonnx-testdata dataset-fashion-mnist gtkwave gnuplot-nox
      clang libclang-rt-14-dev python3 python3-torch"
missing=""
for p in $pkgs; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
