// What every part of a training run shares: the config and the network, the
// numerics, the layout of the SRAM buffers, the DRAM schedule, and the
// result the run's figures go to. Built once per run.
#pragma once
#include "config.h"
#include "dram.h"
#include "fixed_point.h"
#include "run_result.h"
#include "schedule.h"
#include "workload.h"

namespace systrain {

struct RunContext {
  RunContext(const Config& c, const Workload& wl, RunResult& r);
  const Config& cfg;
  const Workload& w;
  RunResult& result;
  Numerics num;
  StepNumerics sn;
  StepLayout layout;
  DramSchedule dram;
  bool functional() const { return cfg.simulation.functional; }
  // a masked network (fan_out on the array: the edge trainer's pre-defined sparse junctions, from
  // model/edge/edge_train.h's connectivity): per GEMM layer, which weight words are edges (the bias row is
  // kept); empty: dense. The array computes the dense GEMMs; the masked words start at 0 and stay 0.
  std::vector<std::vector<uint8_t>> keep;
  void mask_weights(std::vector<int64_t>& words, int layer) const;
  float lr() const { return static_cast<float>(cfg.training.learning_rate); }
  // a word of the logits as a comparable value (the argmax of a row)
  double logit(int64_t word) const { return num.is_float ? w2f(word) : static_cast<double>(word); }
};

// the numerics of a config
Numerics numerics_of(const Config& cfg);

}  // namespace systrain
