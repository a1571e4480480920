// Verilated models of rtl/systolic/systolic_top.sv, one per (rows, cols, data_bits,
// acc_bits, pe_multipliers), built on first use by scripts/build_rtl_model.sh (and of
// the other kinds' RTL by theirs: load_rtl_library) and cached as
// shared libraries under $SYSTRAIN_RTL_CACHE (default
// ${XDG_CACHE_HOME:-~/.cache}/systrain/rtl/). An entry's name carries a hash of
// the RTL, the shim, the build script, the Verilator runtime library and the
// Verilator version, so an edit to any of them builds a fresh model. Builds
// are serialised with a lock file and published by an atomic rename, so
// concurrent runs never see a half-built model.
#pragma once
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "shim/rtl_abi.h"

namespace systrain {

struct RtlModelKey {
  int rows = 0, cols = 0, data_bits = 16, acc_bits = 32, multipliers = 1;
};

class RtlModelError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Loads (building if needed) the model; the library stays loaded for the
// life of the process.
const rtl_abi::Api& load_rtl_model(const RtlModelKey& key, bool verbose);

// Any kind's Verilated model (the array's above; the edge trainer's junction):
// its cache entry `name` (+ the hash of what it is built from), the RTL file
// list, the shim's files, the build script and its arguments after OUT_DIR
// RTL_DIR SHIM_DIR RUNTIME_LIB, the library and the function it exports (whose
// result, the kind's API table, is returned).
struct RtlBuildSpec {
  std::string name, what;
  std::filesystem::path sources_list, shim_dir, script;
  std::vector<std::string> shim_files, args;
  std::string lib, symbol;
};
const void* load_rtl_library(const RtlBuildSpec& spec, bool verbose);

std::string rtl_cache_dir();
// `verilator --version`, part of every entry's key. Running it starts a Perl
// wrapper and the binary (30 ms of every RTL run), so its output is kept in
// `cache_root` under a key of what would run: `verilator` as the shell finds
// it on PATH and `verilator_bin` beside it (each file's path, size,
// modification time, inode and device) and $VERILATOR_ROOT; it runs again
// when one of them changes, and every time where they cannot be found.
std::string verilator_version(const std::filesystem::path& cache_root);
// Where the RTL and its build scripts are read from: the source tree, or
// $SYSTRAIN_RTL_SOURCE (a folder with rtl/ and scripts/, such as an older
// commit's: bench/speed_bench.sh times the RTL as it was against this one;
// the shim is always this build's).
std::filesystem::path rtl_source_dir();
// The array's model takes more options from $SYSTRAIN_RTL_VERILATOR_FLAGS
// and $SYSTRAIN_RTL_CXXFLAGS (bench/speed_bench.sh measures what each buys);
// a build with them is a cache entry of its own.

}  // namespace systrain
