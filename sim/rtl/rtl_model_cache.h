// Verilated models of rtl/systolic/systolic_top.sv, one per (rows, cols, data_bits,
// acc_bits, pe_multipliers), built on first use by scripts/build_rtl_model.sh and cached as
// shared libraries under $SYSTRAIN_RTL_CACHE (default
// ${XDG_CACHE_HOME:-~/.cache}/systrain/rtl/). An entry's name carries a hash of
// the RTL, the shim, the build script, the Verilator runtime library and the
// Verilator version, so an edit to any of them builds a fresh model. Builds
// are serialised with a lock file and published by an atomic rename, so
// concurrent runs never see a half-built model.
#pragma once
#include <stdexcept>
#include <string>

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

std::string rtl_cache_dir();

}  // namespace systrain
