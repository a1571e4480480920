// What a run will hold in this process's memory, estimated before anything
// is allocated, part by part: timing-only runs too (their per-sample arrays,
// tile lists and report grow with the config as a functional run's SRAM
// state does). sim/tlm/run.cpp refuses a run whose parts do not fit in the
// room the process has (sim/io/memory_room.h), naming the biggest part and
// the key that shrinks it.
#pragma once
#include <string>
#include <vector>

#include "config.h"
#include "workload.h"

namespace systrain {

struct MemoryPart {
  std::string what;    // "per-sample labels and order (2000 samples)"
  double bytes = 0;
  std::string change;  // the key to change: "lower training.train_samples"
};

std::vector<MemoryPart> host_memory(const Config& cfg, const Workload& w, bool training);

// about how many tiles a step issues (weight-stationary blocks of every pass)
double tiles_per_step(const Config& cfg, const Workload& w, bool training);

}  // namespace systrain
