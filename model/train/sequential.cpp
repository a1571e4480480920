// The one-engine schedules (model/train/schedule.h step_ops): inference, baseline
// and interleaved. A step's operations run in order on engine 0; before each
// the engine waits for what DRAM must bring (model/mem/dram.h):
//   forward: a layer's first operation waits for its input and weights
//            (layer_ready); a pass's end lets a spilled output leave
//   backward: a layer's first pass waits for its stash and weights
//            (backward_ready); every pass waits for a spilled dY; an update
//            waits for its spilled dW
#include "backward.h"
#include "training_schedule.h"

namespace systrain {

namespace {

class SequentialSchedule final : public TrainingSchedule {
 public:
  explicit SequentialSchedule(RunContext& ctx) : ctx_(ctx) {}
  int engines() const override { return 1; }

  StepOutcome step(const StepInput& in, Executor& ex) override {
    DramSchedule& dram = ctx_.dram;
    const bool training = ctx_.result.training;
    const int64_t m = in.m;
    ex.set_step(0, in.step);
    if (ctx_.functional()) in.load(ctx_.layout.input);
    std::vector<StepOp> ops = step_ops(ctx_.cfg, ctx_.w, ctx_.layout, m);
    StepOutcome out;
    int backward_layer = -1, forward_layer = -1;
    int64_t dw_ready = -1;  // a spilled dW is back in SRAM
    for (StepOp& op : ops) {
      op.labels = in.labels->data();
      if (op.stage == Stage::kForward) {
        op.labels = nullptr;
        const int64_t ready =
            op.layer != forward_layer ? dram.layer_ready(in.step, m, in.next_m, op.layer, ex.now(0)) : 0;
        forward_layer = op.layer;
        out.loss += ex.run(0, op, ready, [&](int64_t end) {
                         if (op.array) dram.layer_done(m, op.layer, end, training);
                       }).loss;
        continue;
      }
      if (op.array) {
        const bool first = op.layer != backward_layer;  // the first pass of a layer's backward
        if (first) {
          if (backward_layer >= 0) dram.backward_done(backward_layer, ex.now(0));
          backward_layer = op.layer;
          ex.wait_until(0, dram.backward_ready(m, op.layer, ex.now(0)));
        }
        ex.wait_until(0, dram.dy_ready(m, op.layer, ex.now(0), first));  // every pass reads dY
      }
      if (!op.array && op.vector == VectorKind::kUpdate && dw_ready >= 0) ex.wait_until(0, dw_ready), dw_ready = -1;
      out.loss += ex.run(0, op, 0, [&](int64_t end) {
                       if (op.writes_dw() && dram.gradients_spill(m, op.layer)) dw_ready = dram.spill_dw(op.layer, end);
                     }).loss;
    }
    if (backward_layer >= 0) dram.backward_done(backward_layer, ex.now(0));
    return out;
  }

 private:
  RunContext& ctx_;
};

}  // namespace

std::unique_ptr<TrainingSchedule> make_sequential_schedule(RunContext& ctx) {
  return std::make_unique<SequentialSchedule>(ctx);
}

}  // namespace systrain
