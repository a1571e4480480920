#!/bin/sh
# Verilates rtl/systolic/systolic_top.sv for one array shape and links it with the ABI
# shim into a shared library. Called by systrain (sim/rtl/rtl_model_cache.cpp) when
# a shape is not in the cache yet; usable by hand too. The RTL files are those
# rtl/systolic/sources.f lists (paths under rtl/, in compile order), the one
# list the build, the lint tests and the model cache read.
# EXTRA_VERILATOR_FLAGS and EXTRA_CXXFLAGS (optional: what $SYSTRAIN_RTL_VERILATOR_FLAGS and
# $SYSTRAIN_RTL_CXXFLAGS hold) are split at spaces, not globbed.
#   build_rtl_model.sh OUT_DIR RTL_DIR SHIM_DIR RUNTIME_LIB ROWS COLS DW AW MULT [EXTRA_VERILATOR_FLAGS EXTRA_CXXFLAGS]
set -eu
out=$1 rtl=$2 shim=$3 rt=$4 rows=$5 cols=$6 dw=$7 aw=$8 mult=$9 extra_v=${10:-} extra_c=${11:-}
. "$(dirname "$0")/verilated_lib.sh"
mkdir -p "$out/gen"
set -f  # the extra flags split, not globbed
verilator --cc --trace -O3 -Wall --Mdir "$out/gen" --prefix Vsystolic_top \
  --top-module systolic_top -GROWS="$rows" -GCOLS="$cols" -GDW="$dw" -GAW="$aw" -GMULT="$mult" \
  $extra_v $(sed "s|^|$rtl/|" "$rtl/systolic/sources.f")
set -- $extra_c
set +f
vinc=/usr/share/verilator/include
# shellcheck disable=SC2086
compile_verilated_lib "$out/gen" "$shim/rtl_shim.cpp" "$rt" "$out/libsystolic.so" g++ -std=c++17 -O2 -fPIC -w \
  -I"$out/gen" -I$vinc -I$vinc/vltstd -I"$shim" -DVM_TRACE=1 -DVM_TRACE_VCD=1 -DVM_TRACE_FST=0 -DVM_COVERAGE=0 \
  -DVM_SC=0 -DSYSTRAIN_ROWS="$rows" -DSYSTRAIN_COLS="$cols" -DSYSTRAIN_DW="$dw" -DSYSTRAIN_AW="$aw" \
  -DSYSTRAIN_MULT="$mult" "$@"
rm -rf "$out/gen"
