// A training schedule: one step of a run as operations on one or two
// engines, in pure C++ (executor.h runs them). Each schedule is one file:
//   sequential.cpp   inference, baseline, interleaved (one engine)
//   speculative.cpp  gradient_reuse and output_speculation, split or dual
// All build a layer's backward operations with backward_ops() (backward.h).
#pragma once
#include <functional>
#include <memory>
#include <vector>

#include "executor.h"
#include "run_context.h"
#include "vector_unit.h"

namespace systrain {

struct StepInput {
  int64_t step = 0;
  int64_t m = 0;       // samples in this step
  int64_t next_m = 0;  // in the next step (0: this is the last); DRAM prefetches it
  const std::vector<uint8_t>* labels = nullptr;  // the step's m labels
  // writes the step's input batch into a region of the activations buffer
  // (a DMA fill: counted at the DRAM interface)
  std::function<void(const Mat& input)> load;
};

struct StepOutcome {
  LossStats loss;    // of the step's loss operations
  int64_t hits = 0;  // speculative: samples whose backward pass was skipped or verified
};

class TrainingSchedule {
 public:
  virtual ~TrainingSchedule() = default;
  virtual int engines() const = 0;
  virtual StepOutcome step(const StepInput& in, Executor& ex) = 0;
  // after the last step: work still in flight (a pending backward pass)
  virtual void finish(Executor& /*ex*/) {}
};

// the schedule of ctx.cfg.schedule.kind
std::unique_ptr<TrainingSchedule> make_schedule(RunContext& ctx);

}  // namespace systrain
