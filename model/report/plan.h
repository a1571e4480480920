// What `systrain check` predicts before anything runs: each GEMM layer's
// shape for one step, the footprint of weights, stash and gradients against
// each SRAM buffer, and the bottleneck that follows (DRAM traffic from a
// buffer that does not hold its tensor, or an SRAM port asked for more words
// a cycle than it gives). A heuristic: the run counts every cycle exactly.
#pragma once
#include <string>

#include "config.h"

namespace systrain {

// the plan as YAML comment lines ("# ...")
std::string check_plan(const Config& cfg);

}  // namespace systrain
