// The one accounting path of a run: OpExecutor runs every operation of every
// schedule on an engine (an array with the SRAM it reaches and a vector
// unit), computes its values through the model (the array's tiles through
// the backend, the vector unit's operations here), and counts it: cycles by
// stage, the op's and the layer's figures, SRAM and DRAM traffic by stage,
// bandwidth stalls, DRAM waits, overlap of two engines.
//
// What it leaves to a backend (the SystemC controller in sim/) is time: a
// tile through the array model, the vector unit busy, an engine idle, two
// engines at once. A backend implements the backend_* calls below and
// nothing else; it holds no schedule logic.
//
// Engines: one, or two for the speculative schedule (engine 0 runs the
// forward passes). Split engines share one vector unit, which serves one
// operation at a time; dual engines have one each. With two engines a stall
// is a cycle in which neither works, derived at the end of the run.
#pragma once
#include <array>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "executor.h"
#include "memory.h"
#include "pass.h"
#include "run_context.h"
#include "tile.h"

namespace systrain {

// Called before each step and after each of its operations: the tensor dump
// observes the run through this.
struct StepObserver {
  virtual ~StepObserver() = default;
  virtual void before_step(int64_t step, const Memory& mem, const std::vector<uint8_t>& labels) = 0;
  virtual void after_op(int64_t step, const StepOp& op, const Memory& mem) = 0;
};

struct TileRun;

struct EngineSetup {
  Memory* memory = nullptr;
  ArrayShape shape;
};

class OpExecutor : public Executor {
 public:
  OpExecutor(RunContext& ctx, std::vector<EngineSetup> engines, StepObserver* observer);

  int engines() const final { return static_cast<int>(eng_.size()); }
  int64_t now(int e) const final { return eng_[e].cycle; }
  OpOutcome run(int e, const StepOp& op, int64_t ready = 0, const Then& then = {}) final;
  void wait_until(int e, int64_t cycle, Wait why = Wait::kDram) final;
  void in_parallel(const std::function<void()>& on_engine0, const std::function<void()>& on_engine1) final;
  void join(int e, int other) final;
  void set_step(int e, int64_t step) final { eng_[e].step = step; }

  Memory& memory(int e) { return *eng_[e].memory; }
  const ArrayShape& shape(int e) const { return eng_[e].shape; }
  StepObserver* observer() const { return observer_; }
  // DRAM traffic since the last operation goes to the last stage; returns the
  // engine 0's waits not followed by an operation (the run's final drain)
  int64_t finish();

 protected:
  // --- the backend: time on the calling thread, trace signals ---
  // engine e's array runs tile t from now(e); the calling thread's time
  // passes over it. The result is the backend's until the next call.
  virtual const TileRun& backend_tile(int e, const Tile& t) = 0;
  // a pass in closed form (its values, if any, computed by the executor as
  // one GEMM: pass_values.h): engine e's array is busy t.cycles
  // from now(e) and time passes over them, if the backend needs no tile one
  // by one (its array is the TLM's and nothing is traced then); false: it
  // did nothing and wants backend_tile() for each. With two engines
  // t.sequence holds each tile's cycles: the engines' threads must meet in
  // the order they would tile by tile, as through backend_tile()
  // (tie_order.h).
  virtual bool backend_tiles(int e, const PassTiming& t) = 0;
  // engine e's vector unit is busy `cycles` from now(e); time passes
  virtual void backend_vector(int e, int64_t cycles) = 0;
  // engine e is idle from now(e) until `until`; time passes
  virtual void backend_idle(int e, int64_t until) = 0;
  // engine e's array holds from now(e) until `until` while the calling
  // thread is elsewhere (barriers): no time passes
  virtual void backend_hold(int e, int64_t until) = 0;
  // runs both at once, each on its own thread; returns when both have
  // ended, the calling thread at the later end
  virtual void backend_parallel(const std::function<void()>& on_engine0,
                                const std::function<void()>& on_engine1) = 0;
  // the calling thread's time reaches `cycle` (if it is earlier)
  virtual void backend_sync(int64_t cycle) = 0;

  int64_t step_of(int e) const { return eng_[e].step; }
  const std::string& op_name(int e) const { return eng_[e].op_name; }
  RunContext& ctx_;

 private:
  struct EngineState {
    Memory* memory = nullptr;
    ArrayShape shape;
    int64_t cycle = 0;
    int64_t step = 0;
    int64_t dram_wait = 0;  // DRAM-wait cycles not yet given to an operation
    int vector_unit = 0;
    std::string op_name;
    std::vector<std::pair<int64_t, int64_t>> busy;  // [from, to) busy cycles since the last barrier
  };
  int64_t idle_to(int e, int64_t cycle);  // returns the cycles waited
  void run_pass(int e, const StepOp& op, OpStats& os, LayerStats* ls);
  const PassTiming& pass_timing_of(int e, const Pass& p);  // by classes, each distinct pass once
  OpOutcome run_vector_op(int e, const StepOp& op, OpStats& os, int64_t& dram_wait, int64_t& engine_wait);
  int64_t vector_time(int e, int64_t cycles);  // returns the cycles it waited for a shared vector unit
  void mark_busy(int e, int64_t from, int64_t to);
  OpStats& op_stats(const StepOp& op, int layer, const std::string& name);  // layer: the config's
  void take_dram(int stage, OpStats* os);

  std::vector<EngineState> eng_;
  StepObserver* observer_;
  std::vector<int64_t> vector_free_;  // per vector unit: the cycle it is free
  std::map<std::pair<int, std::string>, size_t> op_index_;  // (layer, op) -> its place in result.ops
  DramCounts dram_seen_;
  int last_stage_ = 0;
  OpStats* last_op_ = nullptr;  // the op the transfers issued after the last one count with
  // the timing of the passes seen, by what decides it (pass_timing_of):
  // engine, mode, m, k, n, dx_rows, ag, and of 5 views: operand and buffer, base (modulo the banks), strides
  using PassKey = std::array<int64_t, 7 + 5 * 4>;
  std::map<PassKey, PassTiming> timing_;
};

}  // namespace systrain
