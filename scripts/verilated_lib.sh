# Sourced by scripts/build_rtl_model.sh and scripts/build_edge_rtl_model.sh: compiles a Verilated model's
# generated C++ and its ABI shim two files at a time (the machines have two cores) and links them with the
# Verilator runtime into one shared library.
#   compile_verilated_lib GEN_DIR SHIM_SOURCE RUNTIME_LIB OUT_LIB PREFERRED_CXX FLAGS...
compile_verilated_lib() {
  gen=$1 shim_src=$2 rt=$3 lib=$4 prefer=$5
  shift 5
  # the compiler whose code runs the model faster here, each build script's (measured: the array's
  # model is 13 % faster through g++ at 16x16 and 2 % slower at 32x32, the edge junction's 12 % faster
  # through clang++; bench/speed_bench.sh measures the array's both ways), where it is installed;
  # $CXX chooses another
  if [ -z "${CXX:-}" ] && command -v "$prefer" >/dev/null 2>&1; then cxx=$prefer; else cxx=${CXX:-g++}; fi
  # ccache when it works here (it needs a writable cache folder)
  if command -v ccache >/dev/null 2>&1 && ccache -p >/dev/null 2>&1; then cxx="ccache $cxx"; fi
  objs=""
  pids=""
  n=0
  for src in "$gen"/*.cpp "$shim_src"; do
    obj="$gen/$(basename "$src" .cpp).o"
    $cxx "$@" -c "$src" -o "$obj" &
    pids="$pids $!"
    objs="$objs $obj"
    n=$((n + 1))
    if [ $((n % 2)) -eq 0 ]; then for p in $pids; do wait "$p"; done; pids=""; fi
  done
  for p in $pids; do wait "$p"; done
  $cxx -shared -o "$lib" $objs "$rt" -lpthread
}
