// Co-simulation of the systolic array: the generic decorators
// (cosim_unit.h) over tiles, compared by the lockstep checker (lockstep.h).
#pragma once
#include "array_model.h"
#include "cosim_unit.h"
#include "lockstep.h"

namespace systrain {

// what co-simulation compares of a tile: every access event, the phase of
// every cycle, the cycles per phase and the cycle count (lockstep.h)
inline std::optional<Divergence> compare_runs(const TileRun& ref, const TileRun& chk, int64_t start_cycle) {
  return compare_tile_runs(ref, chk, start_cycle);
}
inline void forget_record(TileRun& r) { r.events.clear(), r.phases.clear(); }

using CosimArray = CosimUnit<Tile, TileRun>;
using FaultyArray = FaultyUnit<Tile, TileRun>;

}  // namespace systrain
