// A run of the edge trainer: its closed form (model/edge/edge_shape.h) gives
// the cycles, MACs and every memory access, per junction and pass (report
// ops: ff, bp, up); a functional run also trains on `train` and scores
// `test` after each epoch (model/edge/edge_train.h).
#pragma once
#include <string>

#include "config.h"
#include "run_result.h"
#include "edge_train.h"
#include "samples.h"

namespace systrain {

// "" when the run was made, else why not
// `unit`: the junctions' blocks of work run by the RTL (or co-simulated) instead of the training model
std::string run_edge(const Config& cfg, RunResult& r, const Samples* train = nullptr, const Samples* test = nullptr,
                     const EdgeBlockUnit* unit = nullptr);

}  // namespace systrain
