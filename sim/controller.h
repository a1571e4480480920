// The accelerator's controller: walks the steps of a run and issues each
// step's operations (model/schedule.h) in order: array passes as tile
// transactions to the array target (a TlmArray, an RtlArray, or a CosimArray
// that runs both and compares them), vector-unit operations on the SRAM
// directly. Time advances by the tiles' cycles, the vector unit's cycles and
// the DRAM waits; observers (the tensor dump) see every operation.
#pragma once
#include <atomic>
#include <cmath>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "dataset.h"
#include "dram.h"
#include "run_result.h"
#include "schedule.h"
#include "tlm_modules.h"
#include "vector_unit.h"
#include "workload.h"

namespace systrain {

// set by SIGINT/SIGTERM (sim/main.cpp); the controller stops at the next tile
extern std::atomic<bool> g_interrupted;

struct Engine {
  ArrayModel* array = nullptr;
  Memory* memory = nullptr;
};

// Called before each step and after each of its operations: the tensor dump
// observes the run through this.
struct StepObserver {
  virtual ~StepObserver() = default;
  virtual void before_step(int64_t step, const Memory& mem, const std::vector<uint8_t>& labels) = 0;
  virtual void after_op(int64_t step, const StepOp& op, const Memory& mem) = 0;
};

class Controller : public sc_core::sc_module {
 public:
  using Socket = tlm_utils::simple_initiator_socket<Controller>;
  Socket socket{"to_array"};

  // The schedule as signals, traced to a VCD in the tlm backend: written
  // every cycle inside simulation.vcd_window, held outside it.
  sc_core::sc_signal<uint32_t> step_sig{"step"}, layer_sig{"layer"}, tile_sig{"tile"};
  sc_core::sc_signal<sc_dt::sc_uint<3>> phase_sig{"phase"};  // 1 load 2 stream 3 flush 4 drain 5 update 6 writeback
  sc_core::sc_signal<sc_dt::sc_uint<2>> mode_sig{"mode"};    // 0 ws 1 os 2 ag 3 il
  sc_core::sc_signal<bool> busy_sig{"busy"}, vector_sig{"vector_busy"}, top_rd_sig{"top_rd"},
      left_rd_sig{"left_rd"}, psum_rd_sig{"psum_rd"}, out_wr_sig{"out_wr"};

  Controller(sc_core::sc_module_name n, const Config& cfg, const Workload& w, const Samples& train,
             const Samples& test, Engine engine, RunResult& result, sc_core::sc_trace_file* trace,
             bool progress, StepObserver* observer);
  std::string error() const { return error_; }
  void close_trace();  // idempotent; the run's end or the window's end calls it

 private:
  SC_HAS_PROCESS(Controller);
  void main();
  void run();
  void setup_memories();
  void load_batch(const Samples& s, const std::vector<int64_t>& order, int64_t first, int64_t m, Memory& mem);
  void run_step(const std::vector<int64_t>& order, int64_t first, int64_t m, int64_t next_m);
  void run_pass(const StepOp& op, OpStats& os, LayerStats* ls);
  double logit(int64_t word) const { return num_.is_float ? w2f(word) : static_cast<double>(word); }
  void run_vector_op(const StepOp& op, int64_t m, const uint8_t* labels);
  void issue(const Tile& t);
  void advance(const Tile& t, const TileRun& r);  // SystemC time over the tile
  void advance_vector(int64_t cycles);
  void idle_until(int64_t cycle);  // the array waits (for DRAM)
  void trace_idle();               // the traced signals say: idle
  double evaluate();  // test accuracy of the current weights (host only, no cycles)
  OpStats& op_stats(int layer, const std::string& name);

  const Config& cfg_;
  const Workload& w_;
  const Samples& train_;
  const Samples& test_;
  Engine engine_;
  RunResult& result_;
  sc_core::sc_trace_file* trace_;
  bool progress_;
  StepObserver* observer_;
  ArrayShape shape_;
  Numerics num_;
  StepLayout layout_;
  StepNumerics sn_;
  sc_core::sc_time period_;
  int64_t cycle_ = 0;
  DramSchedule dram_;
  std::string error_;
  TileRun run_;
  const StepOp* op_ = nullptr;  // the operation being issued
  tlm::tlm_generic_payload payload_;
  TileExt ext_;
  int64_t step_ = 0;
  int64_t tiles_issued_ = 0;
  std::vector<uint8_t> labels_;  // of the current step
  LossStats epoch_loss_;
};

}  // namespace systrain
