#!/bin/sh
# Verilates rtl/edge/edge_junction.sv for one junction width and links it with the ABI shim into a shared
# library. Called by systrain (sim/rtl/edge/edge_rtl.cpp, through sim/rtl/rtl_model_cache.cpp's cache) when a
# width is not in the cache yet. The RTL files are those rtl/edge/sources.f lists.
#   build_edge_rtl_model.sh OUT_DIR RTL_DIR SHIM_DIR RUNTIME_LIB LANES DATA_BITS FRAC_BITS
set -eu
out=$1 rtl=$2 shim=$3 rt=$4 z=$5 d=$6 f=$7
. "$(dirname "$0")/verilated_lib.sh"
mkdir -p "$out/gen"
verilator --cc -O3 -Wall --Mdir "$out/gen" --prefix Vedge_junction --top-module edge_junction \
  -GZ="$z" -GD="$d" -GF="$f" -GAWID=16 -GPASSES=16 $(sed "s|^|$rtl/|" "$rtl/edge/sources.f")
vinc=/usr/share/verilator/include
compile_verilated_lib "$out/gen" "$shim/edge_shim.cpp" "$rt" "$out/libedge.so" clang++ -std=c++17 -O2 -fPIC -w \
  -I"$out/gen" -I$vinc -I$vinc/vltstd -I"$shim" -DVM_TRACE=0 -DVM_COVERAGE=0 -DVM_SC=0 -DSYSTRAIN_Z="$z" \
  -DSYSTRAIN_D="$d" -DSYSTRAIN_F="$f"
rm -rf "$out/gen"
