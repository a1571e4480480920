#!/bin/sh
# Verilates rtl/systolic/systolic_top.sv for one array shape and links it with the ABI
# shim into a shared library. Called by systrain (sim/rtl/rtl_model_cache.cpp) when
# a shape is not in the cache yet; usable by hand too. The RTL files are those
# rtl/systolic/sources.f lists (paths under rtl/, in compile order), the one
# list the build, the lint tests and the model cache read.
#   build_rtl_model.sh OUT_DIR RTL_DIR SHIM_DIR RUNTIME_LIB ROWS COLS DW AW MULT
set -eu
out=$1 rtl=$2 shim=$3 rt=$4 rows=$5 cols=$6 dw=$7 aw=$8 mult=$9
vinc=/usr/share/verilator/include
cxx=${CXX:-g++}
# ccache when it works here (it needs a writable cache folder)
if command -v ccache >/dev/null 2>&1 && ccache -p >/dev/null 2>&1; then cxx="ccache $cxx"; fi
mkdir -p "$out/gen"
verilator --cc --trace -O3 -Wall --Mdir "$out/gen" --prefix Vsystolic_top \
  --top-module systolic_top -GROWS="$rows" -GCOLS="$cols" -GDW="$dw" -GAW="$aw" -GMULT="$mult" \
  $(sed "s|^|$rtl/|" "$rtl/systolic/sources.f")
flags="-std=c++17 -O2 -fPIC -w -I$out/gen -I$vinc -I$vinc/vltstd -I$shim \
  -DVM_TRACE=1 -DVM_TRACE_VCD=1 -DVM_TRACE_FST=0 -DVM_COVERAGE=0 -DVM_SC=0 \
  -DSYSTRAIN_ROWS=$rows -DSYSTRAIN_COLS=$cols -DSYSTRAIN_DW=$dw -DSYSTRAIN_AW=$aw -DSYSTRAIN_MULT=$mult"
# compile the generated files two at a time (the machines have two cores)
objs=""
pids=""
n=0
for src in "$out"/gen/*.cpp "$shim/rtl_shim.cpp"; do
  obj="$out/gen/$(basename "$src" .cpp).o"
  $cxx $flags -c "$src" -o "$obj" &
  pids="$pids $!"
  objs="$objs $obj"
  n=$((n + 1))
  if [ $((n % 2)) -eq 0 ]; then for p in $pids; do wait "$p"; done; pids=""; fi
done
for p in $pids; do wait "$p"; done
$cxx -shared -o "$out/libsystolic.so" $objs "$rt" -lpthread
rm -rf "$out/gen"
