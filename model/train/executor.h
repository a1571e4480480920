// What a training schedule asks of the machine that runs it. A schedule
// (training_schedule.h) is pure C++: it turns a step into operations
// (schedule.h StepOp) for one or two engines and says when each engine must
// wait; an Executor runs them. OpExecutor (op_executor.h) is the one
// implementation of the accounting; the SystemC controller (sim/) gives it
// time, threads and trace signals.
//
// Contract, with one worked example. Engine e has a cycle, now(e). run(e, op)
// starts op at now(e) and returns when it has ended: now(e) has grown by the
// op's cycles (its tiles, or the vector unit's cycles) plus any wait inside it
// (a table read from DRAM, the vector unit busy with the other engine's op).
// wait_until(e, c) moves engine e to cycle c if it is earlier, idle. A
// baseline layer whose weights arrive at cycle 500 while the array is free at
// 420 is
//     ex.wait_until(0, dram.layer_ready(...));  // 420 -> 500: 80 DRAM-wait cycles
//     ex.run(0, forward_op);                    // 500 -> 500 + its tiles' cycles
// and the report gives that op 80 dram_wait_cycles beside its own cycles.
// in_parallel(a, b) runs a on engine 0 and b on engine 1 at once (each from
// where it is) and returns when both have ended, with both engines at the
// later of their two cycles (a barrier).
#pragma once
#include <cstdint>
#include <functional>

#include "schedule.h"
#include "vector_unit.h"

namespace systrain {

// Why an engine waits: for DRAM (the cycles are the next operation's
// dram_wait_cycles and, with one engine, stall cycles), or for the other
// engine (its data, its copy of the weights; barrier and join cycles).
enum class Wait { kDram, kEngine };

// What one operation did, for the schedule's own figures.
struct OpOutcome {
  int64_t cycles = 0;  // its own cycles (tiles, or the vector unit's), waits excluded
  int64_t elements = 0;                    // vector-unit elements
  int64_t table_reads = 0, table_writes = 0;  // speculative tables (words)
  LossStats loss;                          // the loss operations: Σ −log p[label], correct
};

class Executor {
 public:
  virtual ~Executor() = default;
  virtual int engines() const = 0;
  virtual int64_t now(int engine) const = 0;
  // `ready`: the cycle the op's operands arrive from DRAM (it waits for
  // them); `then(end)`: the DRAM transfers the op's end starts (a spilled
  // output, a spilled dW), counted with the op
  using Then = std::function<void(int64_t end)>;
  virtual OpOutcome run(int engine, const StepOp& op, int64_t ready = 0, const Then& then = {}) = 0;
  virtual void wait_until(int engine, int64_t cycle, Wait why = Wait::kDram) = 0;
  virtual void in_parallel(const std::function<void()>& on_engine0, const std::function<void()>& on_engine1) = 0;
  // engine `e` waits until engine `other` is where it is (a one-sided barrier)
  virtual void join(int e, int other) = 0;
  // the step engine e works on (traces and messages name it)
  virtual void set_step(int engine, int64_t step) = 0;
};

}  // namespace systrain
