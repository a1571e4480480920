#!/bin/sh
# Verilates rtl/edge/edge_junction.sv for one junction width and links it with the ABI shim into a shared
# library. Called by systrain (sim/rtl/edge/edge_rtl.cpp, through sim/rtl/rtl_model_cache.cpp's cache) when a
# width is not in the cache yet. The RTL files are those rtl/edge/sources.f lists.
#   build_edge_rtl_model.sh OUT_DIR RTL_DIR SHIM_DIR RUNTIME_LIB LANES DATA_BITS FRAC_BITS
set -eu
out=$1 rtl=$2 shim=$3 rt=$4 z=$5 d=$6 f=$7
vinc=/usr/share/verilator/include
cxx=${CXX:-g++}
if command -v ccache >/dev/null 2>&1 && ccache -p >/dev/null 2>&1; then cxx="ccache $cxx"; fi
mkdir -p "$out/gen"
verilator --cc -O3 -Wall --Mdir "$out/gen" --prefix Vedge_junction --top-module edge_junction \
  -GZ="$z" -GD="$d" -GF="$f" -GAWID=16 -GPASSES=16 $(sed "s|^|$rtl/|" "$rtl/edge/sources.f")
flags="-std=c++17 -O2 -fPIC -w -I$out/gen -I$vinc -I$vinc/vltstd -I$shim \
  -DVM_TRACE=0 -DVM_COVERAGE=0 -DVM_SC=0 -DSYSTRAIN_Z=$z -DSYSTRAIN_D=$d -DSYSTRAIN_F=$f"
objs=""
pids=""
n=0
for src in "$out"/gen/*.cpp "$shim/edge_shim.cpp"; do
  obj="$out/gen/$(basename "$src" .cpp).o"
  $cxx $flags -c "$src" -o "$obj" &
  pids="$pids $!"
  objs="$objs $obj"
  n=$((n + 1))
  if [ $((n % 2)) -eq 0 ]; then for p in $pids; do wait "$p"; done; pids=""; fi
done
for p in $pids; do wait "$p"; done
$cxx -shared -o "$out/libedge.so" $objs "$rt" -lpthread
rm -rf "$out/gen"
