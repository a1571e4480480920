// A run of the edge trainer in its closed form (model/edge/edge_shape.h):
// cycles, MACs and every memory access of a timing-only run, per junction
// and pass (report ops: ff, bp, up), into the run's RunResult.
#pragma once
#include <string>

#include "config.h"
#include "run_result.h"

namespace systrain {

// "" when the run was made, else why not
std::string run_edge(const Config& cfg, RunResult& r);

}  // namespace systrain
