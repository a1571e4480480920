// The training loop around a schedule: weight initialisation, epochs,
// shuffling, batch loading, test-set evaluation after each epoch, and the
// run's end (the last DRAM writes, totals and their checks). Pure C++: it
// drives an OpExecutor, which a backend gives time to.
#pragma once
#include <chrono>
#include <vector>

#include "op_executor.h"
#include "samples.h"
#include "training_schedule.h"

namespace systrain {

class Trainer {
 public:
  Trainer(RunContext& ctx, OpExecutor& ex, TrainingSchedule& schedule, const Samples& train, const Samples& test,
          bool progress);
  // the whole run; throws on a simulation failure
  void run();

 private:
  void setup_memories();
  void load_batch(const Samples& s, const std::vector<int64_t>& order, int64_t first, int64_t m, Memory& mem,
                  const Mat& input);
  double evaluate();  // test accuracy of the current weights (host only, no cycles)
  int64_t top1(const Memory& mem, int64_t row) const;  // the argmax of a row of the logits
  void finish_run();
  // warnings when training does not learn (model/train/trainer.cpp)
  void learning_checks(const std::vector<double>& step_loss, const std::vector<int64_t>& initial_weights);
  // the progress line: epoch, step, share done, rate and time left
  void progress(int epoch, int epochs, int64_t done, int64_t steps);

  RunContext& ctx_;
  OpExecutor& ex_;
  TrainingSchedule& schedule_;
  const Samples& train_;
  const Samples& test_;
  bool progress_;
  bool progress_shown_ = false;
  std::chrono::steady_clock::time_point progress_start_, progress_last_;
};

}  // namespace systrain
