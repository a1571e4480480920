// The co-simulation checker: compares what two arrays did for one tile.
// Unit-tested on its own (tests/test_lockstep.cpp); the controller calls it
// for every tile of a cosim run (model/cosim/cosim_array.h).
#pragma once
#include <optional>
#include <string>

#include "array_model.h"
#include "memory.h"

namespace systrain {

struct Divergence {
  int64_t cycle = 0;  // global cycle of the first difference
  std::string what;   // what each side did, and the last events both agreed on
};

// Access events first (the earliest differing event), then the controller
// phase of every cycle, the cycles per phase, and the cycle count.
std::optional<Divergence> compare_tile_runs(const TileRun& tlm, const TileRun& rtl, int64_t start_cycle);

}  // namespace systrain
